// prep on several threads (src/prep/analysis-pool.ts): the same dataset, byte for byte, as one
// thread; a worker opens the model stages the run resolved and analyses like this thread does; a
// worker that cannot open its models, or dies mid-file, is reported and the run goes on.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import {
  AnalyserLostError,
  startAnalysisWorker,
  type AnalysisWorkerSpec,
} from '../src/prep/analysis-pool.js';
import { loadAnalysisStages } from '../src/prep/stage-registry.js';
import { type PrepResult, runPrep } from '../src/prep/pipeline.js';
import { analyseFile, type FileAnalysis } from '../src/prep/analyse-file.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import { setDefaultIntraOpThreads } from '../src/vision/onnx.js';
import { emptyModelCache, fixtureModelCache, onnxFixture } from './helpers/images.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-workers-'));
const emptyCache = emptyModelCache(root);
let files: string[];

const fixtureCache = () => fixtureModelCache(root);

/** An analysis as JSON, timings left out and pixel arrays as their sha256 (toEqual on 3 MB typed
 * arrays takes seconds). */
function fingerprint(analysis: FileAnalysis): unknown {
  const plain = analysis.kind === 'analysed' ? { ...analysis, timings: {} } : analysis;
  return JSON.parse(
    JSON.stringify(plain, (_key, value: unknown) =>
      ArrayBuffer.isView(value)
        ? `${value.constructor.name}:${createHash('sha256')
            .update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
            .digest('hex')}`
        : value,
    ),
  );
}

/** Every file under `dir` (relative path -> bytes), manifest.json aside. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name !== 'manifest.json') out.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

/** The manifest without what may differ between two runs (clock, timings, the thread setting). */
function comparable(result: PrepResult) {
  const { createdAt: _createdAt, settings, files: entries, ...rest } = result.manifest;
  const { workers: _workers, ...otherSettings } = settings;
  return {
    ...rest,
    settings: otherSettings,
    files: entries.map(({ timingsMs: _timings, ...entry }) => entry),
  };
}

beforeAll(async () => {
  files = await writePanelImages(await drawPanels(), join(root, 'in'));
}, 60_000);

describe('runPrep with analysis workers', () => {
  it('writes the same dataset, stage images and manifest as the run thread alone (networks on inference threads)', async () => {
    const run = (workers: number, out: string) =>
      runPrep({
        inputs: [join(root, 'in')],
        outDir: join(root, out),
        config: { trigger: 'zyx', workers, characters: 'all' },
        saveStages: true,
        cache: emptyCache,
      });
    const messages: string[] = [];
    const one = await run(1, 'one-thread');
    const three = await runPrep({
      inputs: [join(root, 'in')],
      outDir: join(root, 'three-threads'),
      config: { trigger: 'zyx', workers: 3, characters: 'all' },
      saveStages: true,
      cache: emptyCache,
      onMessage: (line) => messages.push(line),
    });
    expect(messages.filter((m) => m.includes('did not start'))).toEqual([]);
    expect(one.manifest.settings.workers).toBe(1);
    expect(three.manifest.settings.workers).toBe(3);
    expect(comparable(three)).toEqual(comparable(one));
    expect(one.manifest.summary.crops).toBeGreaterThan(0);
    const a = filesUnder(join(root, 'one-thread'));
    const b = filesUnder(join(root, 'three-threads'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [path, bytes] of a) expect(b.get(path)?.equals(bytes), path).toBe(true);
  }, 240_000);

  it('cancelled: the files started are finished, the rest left, the manifest says cancelled', async () => {
    // 24 files: more than the look-ahead window (4 per worker), so some are never started
    const many = join(root, 'many');
    mkdirSync(many);
    const inputs = files.flatMap((file, i) =>
      [0, 1, 2, 3].map((copy) => {
        const path = join(many, `${copy}-${i}.png`);
        copyFileSync(file, path);
        return path;
      }),
    );
    const controller = new AbortController();
    const result = await runPrep({
      inputs,
      outDir: join(root, 'cancelled'),
      config: { workers: 2 },
      cache: emptyCache,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 1) controller.abort();
      },
    });
    expect(result.manifest.cancelled).toBe(true);
    expect(result.manifest.files.length).toBeGreaterThanOrEqual(1);
    expect(result.manifest.files.length).toBeLessThan(inputs.length);
    expect(result.manifest.files.map((f) => f.source)).toEqual(inputs.slice(0, result.manifest.files.length));
  }, 120_000);

  it('a stage that cannot open ends the run with its error, and the workers already started are closed', async () => {
    const started = Date.now();
    await expect(
      runPrep({
        inputs: [join(root, 'in')],
        outDir: join(root, 'never'),
        config: { workers: 2, segmenter: 'isnet-anime' },
        cache: emptyCache,
      }),
    ).rejects.toMatchObject({ code: 'TL_ERR_MODEL_MISSING' });
    expect(Date.now() - started).toBeLessThan(30_000); // closed, not left to the 60 s hard stop
  }, 60_000);
});

describe('one analysis worker', () => {
  const config = prepConfigSchema.parse({});

  // (the person detector is opened but, with --characters largest, not run: the tiny fixture takes
  // seconds per panel on one thread)
  it('opens the resolved model stages (isnet-anime, person detector) and analyses as this thread does', async () => {
    const spec: AnalysisWorkerSpec = {
      config,
      saveStages: true,
      intraOpThreads: 1,
      segmenter: 'isnet-anime',
      personDetectorModel: onnxFixture('anime-person-detector.onnx'),
      cache: fixtureCache(),
    };
    const worker = startAnalysisWorker();
    worker.configure(spec);
    try {
      await worker.ready;
      const inWorker = await worker.analyse(files[0] as string);
      const previous = setDefaultIntraOpThreads(1);
      try {
        const here = await analyseFile(await loadAnalysisStages(spec), config, files[0] as string, true);
        expect(inWorker.kind).toBe('analysed');
        expect(fingerprint(inWorker)).toEqual(fingerprint(here));
      } finally {
        setDefaultIntraOpThreads(previous);
      }
    } finally {
      await worker.close();
    }
  }, 120_000);

  it('reports a model it cannot open as a failed start, naming the model', async () => {
    const worker = startAnalysisWorker();
    worker.configure({
      config,
      saveStages: false,
      intraOpThreads: 1,
      segmenter: 'isnet-anime',
      personDetectorModel: null,
      cache: emptyCache,
    });
    await expect(worker.ready).rejects.toThrow(/isnet-anime.*toonlora models pull isnet-anime/);
    await worker.close();
  }, 60_000);

  it('a worker that exits mid-file fails that file with the exit code, and refuses further files', async () => {
    const entry = new URL('./fixtures/exiting-analysis-worker.mjs', import.meta.url);
    const worker = startAnalysisWorker(entry);
    await worker.ready;
    const lost = worker.analyse(files[0] as string);
    await expect(lost).rejects.toBeInstanceOf(AnalyserLostError);
    await expect(lost).rejects.toThrow(/exited \(code 3\)/);
    await expect(worker.analyse(files[1] as string)).rejects.toBeInstanceOf(AnalyserLostError);
    await worker.close();
  }, 60_000);
});
