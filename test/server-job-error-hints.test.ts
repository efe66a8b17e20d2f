// test/server-job-error-hints.test.ts — a server job that fails because its base did not load says the
// trainer's CLI fix and where the web app does the same (the Models page's pull); other failures are as thrown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIX_SLOT } from '../src/error-fix.js';
import { isToonloraError, ToonloraError } from '../src/errors.js';
import { checkOutputFolder } from '../src/output-folder.js';
import { checkBasePulled, checkTrainingBase } from '../src/worker/base-check.js';
import { GENERATE_OUTPUT_FIX } from '../src/worker/lora-input-check.js';
import { parseWorkerLine } from '../src/worker/protocol.js';
import { errorFromEvent } from '../src/worker/worker-outcome.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const apps = appsClosedAfterEach('job-error-hints');
/** What trainer/toonlora_trainer/base_files.py says of a Hub base's damaged file, given its snapshot folder. */
const BROKEN_HUB_BASE =
  '/home/u/.cache/huggingface/hub/models--someone--toon-sd15/snapshots/c0: cannot load its tokenizer from tokenizer/merges.txt (Merges text file invalid at line 1): a file there is damaged or truncated (a stopped download or copy?). Delete /home/u/.cache/huggingface/hub/models--someone--toon-sd15/snapshots/c0/tokenizer/merges.txt and run `toonlora models pull someone/toon-sd15` again.';

async function failedWith(error: Error) {
  const app = await apps.makeApp({
    runners: {
      train: async () => {
        throw error;
      },
    },
  });
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const job = app.queue.submit('train', character.id, {});
  await app.queue.whenIdle();
  return app.queue.getJob(job.id);
}

describe('a failed job whose base did not load', () => {
  it('leads with the Models page, not the server path and the CLI pull', async () => {
    const job = await failedWith(
      new ToonloraError('TL_ERR_MODEL_MISSING', BROKEN_HUB_BASE, {
        fix: { kind: 'pull-model', id: 'someone/toon-sd15' },
      }),
    );
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({
      code: 'TL_ERR_MODEL_MISSING',
      message: 'someone/toon-sd15 is not downloaded on the server: pull it on the Models page.',
    });
  });
  it('leaves other failures as they were thrown', async () => {
    const job = await failedWith(new ToonloraError('TL_ERR_WORKER', 'training: no LoRA file was written.'));
    expect(job.error?.message).toBe('training: no LoRA file was written.');
  });
});

/** The ToonloraError `run` throws (the real wording of the check, the same the worker gives). */
async function thrownBy(run: () => unknown): Promise<ToonloraError> {
  try {
    await run();
  } catch (error) {
    if (isToonloraError(error)) return error;
  }
  throw new Error('expected a ToonloraError');
}

/** No CLI flag (`--base`, `-o`, `--lora`) a web user has no way to give. */
const CLI_FLAG = /(^|[\s(`])(--[a-z]|-o\b)/;

describe("a failed job's fix named by a CLI flag, in the web app's words", () => {
  const scratch = mkdtempSync(join(tmpdir(), 'tl-webwords-'));
  const aFile = join(scratch, 'a-file');
  writeFileSync(aFile, 'x');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('a base folder that is not there: the Base model field, not "Check the --base path"', async () => {
    const error = await thrownBy(() => checkTrainingBase(join(scratch, 'gone')));
    expect(error.message).toContain('Check the --base path'); // the CLI keeps its words
    const job = await failedWith(error);
    expect(job.error?.message).toBe(
      `${join(scratch, 'gone')}: base model not found on this machine. No such folder. Choose another Base model in the form, or pull it again on the Models page.`,
    );
  });
  it('a registry base not downloaded: choose another Base model, not "give --base another base"', async () => {
    const env = { TOONLORA_HOME: join(scratch, 'home'), HF_HUB_CACHE: join(scratch, 'hf') };
    const job = await failedWith(await thrownBy(() => checkBasePulled('anything-v5', { env })));
    expect(job.error?.message).toBe(
      'anything-v5 is not downloaded on the server: pull it on the Models page, or choose another Base model in the form.',
    );
  });
  it("the worker's LoRA that does not fit the base: the Base model field, not (--base)", async () => {
    // trainer/toonlora_trainer/lora_loading.py's words for a LoRA of another architecture, as its error event
    const worker =
      'lora.safetensors: cannot load this LoRA on the base: unet.down.0 (lora_down) expects [320, 4], the base has [640, 4] (e.g. an SD 2.x LoRA on an SD1.5 base).';
    const line = JSON.stringify({
      version: 1,
      type: 'error',
      message: worker,
      kind: 'lora_format',
      fix: { kind: 'choose-base', why: 'lora' },
    });
    const parsed = parseWorkerLine(line);
    if (!parsed.ok || parsed.event.type !== 'error') throw new Error(`not an error event: ${line}`);
    const error = errorFromEvent(parsed.event, 'generate');
    expect(error.message).toBe(`${worker} Generate with the base model the LoRA was trained for (--base).`);
    const job = await failedWith(error);
    expect(job.error?.message).toContain(
      'Generate with the base model the LoRA was trained for (the Base model field).',
    );
    expect(job.error?.message).not.toMatch(CLI_FLAG);
  });
  it("a training run that died after a checkpoint: the Train page's Resume button, not --resume", async () => {
    // src/worker/train.ts's words for a worker that died, the checkpoint at step 4 on disk
    const died = `training: the Python worker was killed (SIGKILL). It had finished step 6 of 10. The checkpoint at step 4 is on disk (/d/run/checkpoints/step-000004): ${FIX_SLOT} continue from it; steps 5-6 since the checkpoint at step 4 are lost.`;
    const error = new ToonloraError('TL_ERR_WORKER', died, { fix: { kind: 'resume' } });
    expect(error.message).toContain(
      ': run the same train command with --resume to continue from it; steps 5-6',
    );
    const job = await failedWith(error);
    expect(job.error?.message).toBe(
      'training: the Python worker was killed (SIGKILL). It had finished step 6 of 10. The checkpoint at step 4 is on disk (/d/run/checkpoints/step-000004): press Resume from checkpoint on the Train page to continue from it; steps 5-6 since the checkpoint at step 4 are lost.',
    );
  });
  it.each([
    ['a training run', { kind: 'writable-output', folder: 'run' } as const, ' (the run folder).'], // src/worker/train.ts
    ['a generate', GENERATE_OUTPUT_FIX, '.'],
  ])("%s's output folder it cannot write: the server's data folder, not -o", async (_, fix, end) => {
    const error = await thrownBy(() => checkOutputFolder(join(aFile, 'run'), fix));
    expect(error.message).toContain(`Choose a folder you can write to for -o${end}`);
    const job = await failedWith(error);
    expect(job.error?.message).toBe(
      `${join(aFile, 'run')}: ${aFile} is a file, so no folder can be made in it. The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.`,
    );
  });
});
