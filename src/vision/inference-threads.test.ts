// Tests for inference-threads.ts and onnx.ts's startInferenceThreads: sessions opened there give the
// same outputs as on this thread (the real PaddleOCR detector and a tiny fixture), leave this thread
// free while they run, report unloadable models and bad feeds as onnx.ts does, keep working after a
// failed run, and close when the last use ends.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onnxFixture } from '../../test/helpers/images.js';
import { defaultPaddleDetModelPath } from '../prep/text-detect-paddle.js';
import { InferenceThreadLostError, InferenceThreads } from './inference-threads.js';
import { float32Tensor, type OnnxSession, openOnnxSession, runOnnx, startInferenceThreads } from './onnx.js';

function ramp(length: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => ((i * 7919) % 1000) / 1000);
}

async function outputsOf(session: OnnxSession, data: Float32Array, dims: number[]) {
  const outputs = await runOnnx(session, { [session.inputNames[0] as string]: float32Tensor(data, dims) });
  const digest = (data: Float32Array) =>
    createHash('sha256')
      .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
      .digest('hex');
  return Object.fromEntries(
    Object.entries(outputs).map(([name, t]) => [
      name,
      { dims: [...t.dims], sha256: digest(t.data as Float32Array) },
    ]),
  );
}

let endUse: (() => Promise<void>) | undefined;
afterEach(async () => {
  await endUse?.();
  endUse = undefined;
});

describe('startInferenceThreads', () => {
  it('runs the PaddleOCR detector and a fixture model with the same outputs as this thread', async () => {
    const det = defaultPaddleDetModelPath();
    const isnet = onnxFixture('isnet-anime.onnx');
    const detInput = ramp(3 * 64 * 96);
    const here = await openOnnxSession(det, { modelId: 'paddleocr-det-v4', intraOpThreads: 1 });
    const hereIsnet = await openOnnxSession(isnet, { modelId: 'isnet-anime', intraOpThreads: 1 });
    const isnetDims = [1, 3, 1024, 1024]; // (the fixture's fixed input size)
    const isnetInput = ramp(3 * 1024 * 1024);
    const expected = [
      await outputsOf(here, detInput, [1, 3, 64, 96]),
      await outputsOf(hereIsnet, isnetInput, isnetDims),
    ];

    endUse = startInferenceThreads(2, 1);
    const helped = await openOnnxSession(det, { modelId: 'paddleocr-det-v4', intraOpThreads: 1 });
    const helpedIsnet = await openOnnxSession(isnet, { modelId: 'isnet-anime', intraOpThreads: 1 });
    expect(helped).not.toBe(here);
    expect(helped.inputNames).toEqual(here.inputNames);
    expect(helped.outputNames).toEqual(here.outputNames);
    expect(helped.inputMetadata).toEqual(here.inputMetadata);
    // several at once: they spread over both helpers, each answer goes to its own caller
    const got = await Promise.all([
      outputsOf(helped, detInput, [1, 3, 64, 96]),
      outputsOf(helpedIsnet, isnetInput, isnetDims),
      outputsOf(helped, detInput, [1, 3, 64, 96]),
    ]);
    expect(got).toEqual([expected[0], expected[1], expected[0]]);
  }, 60_000);

  it('leaves this thread free while a network runs (onnxruntime-node alone blocks it)', async () => {
    const det = defaultPaddleDetModelPath();
    const dims = [1, 3, 640, 640];
    const input = ramp(3 * 640 * 640);
    const ticksDuring = async (session: OnnxSession) => {
      let ticks = 0;
      let on = true;
      const tick = () => {
        ticks++;
        if (on) setImmediate(tick);
      };
      setImmediate(tick);
      await runOnnx(session, { x: float32Tensor(input, dims) });
      on = false;
      return ticks;
    };
    const here = await openOnnxSession(det, { modelId: 'paddleocr-det-v4', intraOpThreads: 1 });
    await ticksDuring(here); // warm-up
    const blocked = await ticksDuring(here);
    endUse = startInferenceThreads(1, 1);
    const helped = await openOnnxSession(det, { modelId: 'paddleocr-det-v4', intraOpThreads: 1 });
    await ticksDuring(helped);
    const free = await ticksDuring(helped);
    expect(blocked).toBeLessThanOrEqual(3);
    expect(free).toBeGreaterThan(20);
  }, 60_000);

  it('reports a missing file, a file that is not a model and a missing input as onnx.ts does', async () => {
    endUse = startInferenceThreads(2, 1);
    const dir = mkdtempSync(join(tmpdir(), 'toonlora-threads-'));
    await expect(openOnnxSession(join(dir, 'absent.onnx'), { modelId: 'u2net' })).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringContaining('toonlora models pull u2net'),
    });
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    await expect(openOnnxSession(junk, { modelId: 'u2net' })).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringMatching(/is not a loadable ONNX model/),
    });
    await expect(
      openOnnxSession(onnxFixture('u2net.onnx'), { modelId: 'u2net', expectInputs: ['pixel_values'] }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringContaining('expected "pixel_values"'),
    });
  });

  it("a bad feed fails that run with onnxruntime's message; the helpers go on", async () => {
    endUse = startInferenceThreads(1, 1);
    const session = await openOnnxSession(onnxFixture('isnet-anime.onnx'), { modelId: 'isnet-anime' });
    await expect(
      runOnnx(session, { nope: float32Tensor(ramp(3 * 64 * 64), [1, 3, 64, 64]) }),
    ).rejects.toThrow(/img.*missing/);
    const ok = await outputsOf(session, ramp(3 * 1024 * 1024), [1, 3, 1024, 1024]);
    expect(Object.keys(ok).length).toBeGreaterThan(0);
  });

  it('overlapping uses share the helpers, which close when the last one ends', async () => {
    const first = startInferenceThreads(2, 1);
    const second = startInferenceThreads(2, 1);
    const session = await openOnnxSession(onnxFixture('isnet-anime.onnx'), { modelId: 'isnet-anime' });
    await first();
    // still open for the second use
    const input = ramp(3 * 1024 * 1024);
    await expect(outputsOf(session, input, [1, 3, 1024, 1024])).resolves.toBeDefined();
    await second();
    await expect(outputsOf(session, input, [1, 3, 1024, 1024])).rejects.toThrow(/closed/);
  });
});

/** An onnxruntime entry file that throws when loaded: helper threads that cannot start. */
function brokenRuntime(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'toonlora-threads-')), 'broken-runtime.cjs');
  writeFileSync(path, "throw new Error('no onnxruntime here');\n");
  return path;
}

describe('helper threads that cannot start', () => {
  it('InferenceThreads says they are lost (not that the model is bad)', async () => {
    const threads = new InferenceThreads(2, brokenRuntime());
    const opening = threads.open('det', defaultPaddleDetModelPath(), { intraOpNumThreads: 1 });
    await expect(opening).rejects.toBeInstanceOf(InferenceThreadLostError);
    await threads.close();
  });

  it('sessions then open and run on this thread, with the same outputs', async () => {
    const isnet = onnxFixture('isnet-anime.onnx');
    const input = ramp(3 * 1024 * 1024);
    const dims = [1, 3, 1024, 1024];
    const here = await openOnnxSession(isnet, { modelId: 'isnet-anime', intraOpThreads: 1 });
    const expected = await outputsOf(here, input, dims);
    endUse = startInferenceThreads(2, 1, brokenRuntime());
    const fallback = await openOnnxSession(isnet, { modelId: 'isnet-anime', intraOpThreads: 1 });
    expect(fallback).not.toBe(here);
    // an onnxruntime session of this thread (a helper's stand-in has no `release`)
    expect(typeof (fallback as { release?: unknown }).release).toBe('function');
    expect(await outputsOf(fallback, input, dims)).toEqual(expected);
  });
});

describe('InferenceThreads', () => {
  it('close waits for the runs in flight, then every helper exits', async () => {
    const threads = new InferenceThreads(2);
    const det = defaultPaddleDetModelPath();
    await threads.open('det', det, { intraOpNumThreads: 1 });
    const { Tensor } = await import('onnxruntime-node');
    const feeds = { x: float32Tensor(ramp(3 * 320 * 320), [1, 3, 320, 320]) };
    const running = [threads.run('det', feeds, Tensor), threads.run('det', feeds, Tensor)];
    await threads.close();
    const outputs = await Promise.all(running);
    expect(outputs.every((o) => Object.keys(o).length > 0)).toBe(true);
    await expect(threads.run('det', feeds, Tensor)).rejects.toThrow(/closed/);
  }, 60_000);
});
