// src/worker/base-pull-words.test.ts — a worker error about a base named at a tag (`--base someone/toon@v1.0`) names
// the pull with the tag the user typed, not the commit the worker was handed (models/base-revision.ts
// errorInGivenBaseWords).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ToonloraError } from '../errors.js';
import { errorInGivenBaseWords } from '../models/base-revision.js';
import { generationConfigSchema, trainingConfigSchema } from '../schemas/config.js';
import { runGeneration } from './generate.js';
import { GenerationWorker } from './generation-worker.js';
import type { WorkerSpawn } from './python-worker.js';
import { planTraining, runTraining } from './train.js';

const TAG = 'b'.repeat(40);
const WORKER_TIMEOUT = 120_000; // the real Python worker, on a loaded machine

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('errorInGivenBaseWords', () => {
  it('puts the revision as given back into the pull command, and leaves everything else', () => {
    const error = new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `someone/toon@${TAG} (/c/snapshots/${TAG}): cannot load its tokenizer. Delete x and run ` +
        `\`toonlora models pull someone/toon --revision ${TAG}\` again.`,
      { details: { model: 'someone/toon' } },
    );
    const restated = errorInGivenBaseWords(error, 'someone/toon@v1.0') as ToonloraError;
    expect(restated.message).toBe(
      `someone/toon@${TAG} (/c/snapshots/${TAG}): cannot load its tokenizer. Delete x and run ` +
        '`toonlora models pull someone/toon --revision v1.0` again.',
    );
    expect(restated).toMatchObject({ code: 'TL_ERR_MODEL_MISSING', details: { model: 'someone/toon' } });
    expect(errorInGivenBaseWords(error, 'someone/toon')).toBe(error); // no revision typed: nothing to restate
    expect(errorInGivenBaseWords(error, 'other/toon@v1.0')).toBe(error); // another repo's pull stays
    expect(errorInGivenBaseWords(error, `someone/toon@${TAG}`).message).toBe(error.message); // the commit typed
  });
});

describe('a damaged tokenizer at --base owner/name@TAG', () => {
  it(
    'the dry run names `models pull owner/name --revision TAG`, not the commit the tag names',
    async () => {
      const root = mkdtempSync(join(tmpdir(), 'tl-pull-words-'));
      const repo = join(root, 'hub', 'models--someone--toon');
      const snapshot = join(repo, 'snapshots', TAG);
      mkdirSync(join(snapshot, 'tokenizer'), { recursive: true });
      mkdirSync(join(snapshot, 'scheduler'));
      mkdirSync(join(repo, 'refs'));
      writeFileSync(join(snapshot, 'tokenizer', 'vocab.json'), '{"a": 0}');
      writeFileSync(join(snapshot, 'tokenizer', 'merges.txt'), 'merges');
      writeFileSync(join(snapshot, 'scheduler', 'scheduler_config.json'), '{}');
      writeFileSync(join(repo, 'refs', 'v1.0'), TAG);
      vi.stubEnv('HF_HUB_CACHE', join(root, 'hub'));
      const dataset = join(root, 'ds');
      mkdirSync(join(dataset, '5_sks girl'), { recursive: true });
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
        .png()
        .toFile(join(dataset, '5_sks girl', 'a.png'));
      const config = trainingConfigSchema.parse({ baseModel: 'someone/toon@v1.0', steps: 10 });
      const error = await planTraining(dataset, config).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ToonloraError);
      const message = (error as Error).message;
      expect(message).toContain('cannot load its tokenizer');
      // before: `toonlora models pull someone/toon --revision bbbb…` (the 40-hex commit refs/v1.0 names)
      expect(message).toContain('`toonlora models pull someone/toon --revision v1.0` again.');
      expect(message).not.toContain(`--revision ${TAG}`);
    },
    WORKER_TIMEOUT,
  );
});

/** A worker that reads its request (the first line: a warm session keeps stdin open) and says the base did not load, naming the pull of the commit it was handed. */
function failingWorker(): WorkerSpawn {
  const message = `someone/toon@${TAG}: cannot load its vae. Run \`toonlora models pull someone/toon --revision ${TAG}\` again.`;
  const event = JSON.stringify({ version: 1, type: 'error', kind: 'model_missing', message });
  return {
    command: process.execPath,
    args: [
      '-e',
      `process.stdin.once('data', () => { console.log(${JSON.stringify(event)}); process.exit(1); });`,
    ],
    cwd: process.cwd(),
  };
}

describe('train and generate at --base owner/name@TAG', () => {
  it('name the pull with the tag, as typed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tl-pull-words-run-'));
    const repo = join(root, 'hub', 'models--someone--toon');
    mkdirSync(join(repo, 'snapshots', TAG), { recursive: true });
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'v1.0'), TAG);
    vi.stubEnv('HF_HUB_CACHE', join(root, 'hub'));
    const dataset = join(root, 'ds');
    mkdirSync(join(dataset, '5_sks girl'), { recursive: true });
    writeFileSync(join(dataset, '5_sks girl', 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const pull = '`toonlora models pull someone/toon --revision v1.0` again.';
    const trained = await runTraining({
      datasetDir: dataset,
      runDir: join(root, 'run'),
      config: trainingConfigSchema.parse({ baseModel: 'someone/toon@v1.0', steps: 10 }),
      spawn: failingWorker(),
    }).catch((thrown: unknown) => thrown);
    expect(trained).toMatchObject({ code: 'TL_ERR_MODEL_MISSING' });
    expect((trained as Error).message).toContain(pull);
    const generated = await runGeneration({
      outputDir: join(root, 'out'),
      config: generationConfigSchema.parse({ baseModel: 'someone/toon@v1.0', prompt: 'x' }),
      spawn: failingWorker(),
    }).catch((thrown: unknown) => thrown);
    expect(generated).toMatchObject({ code: 'TL_ERR_MODEL_MISSING' });
    expect((generated as Error).message).toContain(pull);
    const session = new GenerationWorker('someone/toon@v1.0', failingWorker());
    const loaded = await session.start().catch((thrown: unknown) => thrown);
    await session.close();
    expect(loaded).toMatchObject({ code: 'TL_ERR_MODEL_MISSING' });
    expect((loaded as Error).message).toContain(pull);
  });
});
