// src/worker/python-worker.test.ts — the driver against a fake worker (test/fixtures/fake-worker.mjs):
// events in order, a malformed line is an error, a crash names the exit code and the last stderr lines,
// error events become coded errors, abort sends SIGTERM and returns the checkpoint, the warm worker routes by id.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { captionImagesWithBlip } from './blip.js';
import { runGeneration } from './generate.js';
import { GenerationWorker } from './generation-worker.js';
import { type CommandRequest, type ErrorEvent, PROTOCOL_VERSION, type WorkerEvent } from './protocol.js';
import {
  errorFromEvent,
  pauseLiveWorkers,
  resumeLiveWorkers,
  runWorker,
  type WorkerSpawn,
} from './python-worker.js';
import { makePeftTensors, writeFixtureFile } from '../lora/lora-fixtures.js';
import { sd15AttentionModules } from '../lora/sd15-modules.js';
import { createBlipCaptioner } from '../prep/stage-registry.js';
import { generationConfigSchema, prepConfigSchema } from '../schemas/config.js';

const FAKE = fileURLToPath(new URL('../../test/fixtures/fake-worker.mjs', import.meta.url));
const fake = (mode: string): WorkerSpawn => ({
  command: process.execPath,
  args: [FAKE, mode],
  cwd: process.cwd(),
});
const request: CommandRequest = {
  version: PROTOCOL_VERSION,
  command: 'lora-count',
  unet: 'tiny',
  lora: { rank: 4, alpha: 4, targetModules: ['to_q'], dora: false, algorithm: 'lora', lokrFactor: -1 },
};

describe('runWorker', () => {
  it('delivers every event in order and returns done', async () => {
    const events: WorkerEvent[] = [];
    const outcome = await runWorker({
      request,
      spawn: fake('ok'),
      onEvent: (e) => events.push(e),
    });
    expect(events.map((e) => e.type)).toEqual(['progress', 'progress', 'progress', 'done']);
    expect(outcome.status).toBe('done');
    if (outcome.status === 'done') expect(outcome.done.artifacts.echo).toBe('lora-count');
  });

  it('treats a non-protocol stdout line as a protocol error and stops the worker', async () => {
    const started = Date.now();
    await expect(runWorker({ request, spawn: fake('malformed') })).rejects.toMatchObject({
      code: 'TL_ERR_WORKER_PROTOCOL',
      message: expect.stringContaining('not a JSON line: "Loading pipeline components...: 100%"'),
    });
    expect(Date.now() - started).toBeLessThan(1900); // killed, not waited for
  });

  it('names the exit code and the last stderr lines when the worker dies', async () => {
    const error = await runWorker({ request, spawn: fake('crash') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TL_ERR_WORKER' });
    const message = (error as Error).message;
    expect(message).toContain('python worker (lora-count) exited with code 3 before finishing');
    expect(message).toContain('RuntimeError: CUDA out of memory');
    expect(message).toContain('traceback line 30');
    expect(message).not.toContain('traceback line 5\n'); // only the tail
  });

  it('maps an error event to its coded error with the worker message', async () => {
    await expect(runWorker({ request, spawn: fake('error') })).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      message: expect.stringContaining('toonlora models pull anything-v5'),
    });
  });

  it('tells a missing input from a broken one and a LoRA the loaders refuse', () => {
    const codeOf = (kind: ErrorEvent['kind']) =>
      errorFromEvent({ version: PROTOCOL_VERSION, type: 'error', kind, message: 'm' }, 'train').code;
    expect(codeOf('input_missing')).toBe('TL_ERR_INPUT_NOT_FOUND');
    expect(codeOf('input_invalid')).toBe('TL_ERR_INPUT_INVALID');
    expect(codeOf('lora_format')).toBe('TL_ERR_LORA_FORMAT');
  });

  it('sends SIGTERM on abort and returns the checkpoint the worker saved', async () => {
    const controller = new AbortController();
    const outcome = await runWorker({
      request,
      spawn: fake('cancel'),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress') controller.abort();
      },
    });
    expect(outcome).toMatchObject({
      status: 'cancelled',
      step: 1,
      checkpoint: '/run/checkpoints/step-000001',
    });
  });

  it.runIf(process.platform === 'linux')(
    "passes the terminal's Ctrl-Z and fg on to a worker in its own process group, while one runs",
    async () => {
      const HANGING = `process.stdout.write(JSON.stringify({version:1,type:'log',level:'info',message:'pid '+process.pid})+'\\n');
setInterval(() => {}, 1000);`;
      const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      const before = process.listenerCount('SIGTSTP');
      const kill = new AbortController();
      const seen: Array<string | undefined> = [];
      const outcome = runWorker({
        request,
        spawn: { command: process.execPath, args: ['-e', HANGING], cwd: process.cwd() },
        kill: kill.signal,
        onEvent: (event) => {
          if (event.type !== 'log' || !event.message.startsWith('pid ')) return;
          const pid = Number(event.message.slice(4));
          expect(process.listenerCount('SIGTSTP')).toBe(before + 1);
          pauseLiveWorkers();
          // the stop is delivered asynchronously: wait for the kernel to show it
          const until = Date.now() + 2000;
          while (state(pid) !== 'T' && Date.now() < until);
          seen.push(state(pid));
          resumeLiveWorkers();
          const later = Date.now() + 2000;
          while (state(pid) === 'T' && Date.now() < later);
          seen.push(state(pid));
          kill.abort();
        },
      });
      await expect(outcome).rejects.toMatchObject({ details: { stopped: true, killed: true } });
      expect(seen[0]).toBe('T');
      expect(seen[1]).not.toBe('T');
      expect(process.listenerCount('SIGTSTP')).toBe(before); // no worker left: Node's own Ctrl-Z again
    },
  );

  it('hands the worker (cwd trainer/) relative cache variables absolute, as the CLI read them', async () => {
    // the worker writes the variables it got as its done event's artifacts
    const echoEnv =
      "process.stdin.once('data', () => process.stdout.write(JSON.stringify({ version: 1, type: 'done', " +
      'artifacts: { HF_HOME: process.env.HF_HOME, TOONLORA_HOME: process.env.TOONLORA_HOME, ' +
      "HF_HUB_CACHE: process.env.HF_HUB_CACHE ?? null, PYTHONPATH: process.env.PYTHONPATH }, stats: {} }) + '\\n'));";
    const saved = { HF_HOME: process.env.HF_HOME, TOONLORA_HOME: process.env.TOONLORA_HOME };
    const HF_HUB_CACHE = process.env.HF_HUB_CACHE;
    process.env.HF_HOME = 'relhf';
    process.env.TOONLORA_HOME = '~/relhome';
    delete process.env.HF_HUB_CACHE;
    try {
      const spawn = {
        command: process.execPath,
        args: ['-e', echoEnv],
        cwd: mkdtempSync(join(tmpdir(), 'tl-worker-cwd-')),
        env: { PYTHONPATH: '/trainer' },
      };
      const outcome = await runWorker({ request, spawn });
      expect(outcome.status === 'done' && outcome.done.artifacts).toEqual({
        HF_HOME: resolve('relhf'),
        TOONLORA_HOME: join(homedir(), 'relhome'),
        HF_HUB_CACHE: null, // unset stays unset: HF_HOME/hub is still the cache
        PYTHONPATH: '/trainer',
      });
    } finally {
      for (const [name, value] of Object.entries({ ...saved, HF_HUB_CACHE })) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('says how to set up Python when the interpreter is missing', async () => {
    const spawn = { command: '/nonexistent/python', args: [], cwd: process.cwd() };
    await expect(runWorker({ request, spawn })).rejects.toMatchObject({
      code: 'TL_ERR_PYTHON_ENV',
    });
  });
});

describe('GenerationWorker', () => {
  it('starts once, answers requests by id, and rejects only the failing one', async () => {
    const loras = mkdtempSync(join(tmpdir(), 'tl-worker-'));
    // its diffusers copy of a LoRA goes under this home, not the default one
    const modelCache = { env: { TOONLORA_HOME: join(loras, 'home') } };
    const worker = new GenerationWorker('tiny', fake('serve'), { modelCache });
    const config = generationConfigSchema.parse({ baseModel: 'tiny', prompt: 'sks' });
    expect(await worker.start()).toEqual({ loadSeconds: 1.5, device: 'cpu' });
    const badLora = join(loras, 'bad-lora.safetensors'); // a valid file the fake worker rejects ("bad")
    await writeFixtureFile(
      badLora,
      makePeftTensors({ modules: sd15AttentionModules().slice(0, 1), rank: 2, seed: 1 }),
    );
    const emptyLora = join(loras, 'empty.safetensors');
    writeFileSync(emptyLora, '');
    const [a, bad, b] = await Promise.allSettled([
      worker.generate({ outputDir: '/o1', config }),
      worker.generate({ outputDir: '/o2', config, lora: `${badLora}` }),
      worker.generate({ outputDir: '/o3', config }),
    ]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { images: ['/o1/seed-1.png'] } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { images: ['/o3/seed-1.png'] } });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'TL_ERR_INPUT_NOT_FOUND' } });
    // a file that is not a LoRA is refused before it reaches the worker, naming the file
    await expect(worker.generate({ outputDir: '/o5', config, lora: emptyLora })).rejects.toMatchObject({
      code: 'TL_ERR_SAFETENSORS',
      message: expect.stringContaining('empty.safetensors'),
    });
    await expect(
      worker.generate({ outputDir: '/o4', config: { ...config, baseModel: 'other' } }),
    ).rejects.toMatchObject({ code: 'TL_ERR_CONFLICT' });
    await worker.close();
  });

  it('routes each progress event to the request with its id', async () => {
    const worker = new GenerationWorker('tiny', fake('serve-progress'));
    const config = generationConfigSchema.parse({ baseModel: 'tiny', prompt: 'sks' });
    const seen: Record<string, Array<[number, number]>> = { a: [], b: [] };
    const [a, b] = await Promise.all([
      worker.generate({
        outputDir: '/a',
        config: { ...config, steps: 3 },
        onEvent: (event) => seen.a?.push([event.step, event.total]),
      }),
      worker.generate({
        outputDir: '/b',
        config: { ...config, steps: 2 },
        onEvent: (event) => seen.b?.push([event.step, event.total]),
      }),
    ]);
    expect(a.images).toEqual(['/a/seed-1.png']);
    expect(b.images).toEqual(['/b/seed-1.png']);
    // interleaved on the wire (a1 b1 a2 b2 a3); steps of an unknown id or of none reach neither
    expect(seen).toEqual({
      a: [
        [1, 3],
        [2, 3],
        [3, 3],
      ],
      b: [
        [1, 2],
        [2, 2],
      ],
    });
    await worker.close();
  });
});

describe('captionImagesWithBlip', () => {
  it('returns captions in input order with the schema defaults, and the error for a bad file', async () => {
    const captions = await captionImagesWithBlip(['/d/a.png', '/d/broken.png', '/d/c.png'], {
      spawn: fake('blip'),
    });
    expect(captions).toEqual([
      { path: '/d/a.png', caption: 'a manga girl (beams 3, max 50)' },
      { path: '/d/broken.png', caption: null, error: '/d/broken.png: cannot read image' },
      { path: '/d/c.png', caption: 'a manga girl (beams 3, max 50)' },
    ]);
  });
});

describe('runGeneration', () => {
  it('forwards one progress event per sampling step to onEvent, then returns the images', async () => {
    const events: WorkerEvent[] = [];
    const config = generationConfigSchema.parse({
      baseModel: 'tiny',
      prompt: 'sks',
      steps: 4,
      seeds: [1, 2],
    });
    const result = await runGeneration({
      outputDir: '/gen',
      config,
      spawn: fake('generate'),
      onEvent: (e) => events.push(e),
    });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => [e.step, e.total])).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(progress.every((e) => e.loss === null && e.lr === null)).toBe(true);
    expect(events.at(-1)?.type).toBe('done');
    expect(result.images).toEqual(['/gen/seed-1.png', '/gen/seed-2.png']);
  });
});

describe('createBlipCaptioner (prep)', () => {
  it('reports BLIP progress as captioning done/total and passes the run signal to the worker', async () => {
    const seen: { signal?: AbortSignal }[] = [];
    const viaFake: typeof captionImagesWithBlip = (paths, options = {}) => {
      seen.push(options);
      return captionImagesWithBlip(paths, { ...options, spawn: fake('blip') });
    };
    const progress: { done: number; total: number }[] = [];
    const controller = new AbortController();
    const captioner = createBlipCaptioner('/models/blip', prepConfigSchema.parse({}), viaFake, {
      signal: controller.signal,
      onCaptionProgress: (p) => progress.push({ ...p }),
    });
    await captioner.describe([], ['/d/a.png', '/d/b.png', '/d/broken.png']);
    const captions = await captioner.finish?.();
    expect(progress).toEqual([{ done: 3, total: 3 }]);
    expect(seen[0]?.signal).toBe(controller.signal);
    expect(captions?.get('/d/a.png')).toEqual({ sentence: 'a manga girl (beams 3, max 50)' });
    expect(captions?.get('/d/broken.png')).toEqual({});
  });
});
