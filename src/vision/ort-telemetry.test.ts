// src/vision/ort-telemetry.test.ts — opening an ONNX session through onnx.ts leaves no onnxruntime telemetry
// behind: no device id under the home folder, no /tmp/mat-debug-<pid>.log (onnxruntime 1.29+ writes both, and
// uploads events, unless ORT_DISABLE_TELEMETRY is set before it initialises).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const loader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const onnxModule = pathToFileURL(join(root, 'src', 'vision', 'onnx.ts')).href;
const model = join(root, 'test', 'fixtures', 'onnx', 'anime-person-detector.onnx');

let home: string | undefined;
afterEach(() => {
  if (home) rmSync(home, { recursive: true, force: true });
  home = undefined;
});

describe('onnxruntime telemetry', () => {
  it('is off: a session opened through onnx.ts writes no device id and no /tmp/mat-debug log', () => {
    home = mkdtempSync(join(tmpdir(), 'tl-ort-home-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
    delete env.ORT_DISABLE_TELEMETRY;
    delete env.XDG_CACHE_HOME;
    const script = `const { openOnnxSession } = await import(${JSON.stringify(onnxModule)});
const session = await openOnnxSession(${JSON.stringify(model)}, { modelId: 'detector' });
console.log(JSON.stringify({ pid: process.pid, inputs: session.inputNames, env: process.env.ORT_DISABLE_TELEMETRY }));`;
    const run = spawnSync(process.execPath, ['--import', loader, '--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const { pid, inputs, env: seen } = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(inputs).toEqual(['images']); // the session really opened
    expect(seen).toBe('1');
    expect(readdirSync(home)).toEqual([]); // no .cache/Microsoft/DeveloperTools/.onnxruntime/deviceid
    expect(existsSync(`/tmp/mat-debug-${pid}.log`)).toBe(false);
  });
});
