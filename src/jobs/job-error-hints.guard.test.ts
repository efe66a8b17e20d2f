// src/jobs/job-error-hints.guard.test.ts — a guard: no text the web app shows for a failure names a CLI flag or
// command (`--base`, ` -o `, `toonlora …`), except the deliberate command a remote worker's owner runs "on the
// worker's machine". It words every fix kind (with each of its variants), for a server job and a remote worker's,
// around the CLI messages the raise sites build, and lists every offender.
import { describe, expect, it } from 'vitest';
import { type ErrorFix, errorFixSchema, FIX_SLOT } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { MODEL_REGISTRY } from '../models/registry.js';
import { outDirError } from '../prep/out-dir.js';
import { checkExportImages } from './kohya-export.js';
import { checkStoredLora } from './runners/generate-runner.js';
import { stageInput } from './runners/prep-runner.js';
import { cliWordsIn, type FailureSite, webMessage } from './job-error-hints.js';

const PULL_MESSAGE =
  'isnet-anime: isnet-anime.onnx is not downloaded (looked in /tmp/d/isnet-anime.onnx). Run: toonlora models pull isnet-anime';
const REPULL_MESSAGE =
  'nobody/half (/h/snap): cannot load its tokenizer. Delete /h/snap/tokenizer/vocab.json and run `toonlora models pull nobody/half` again.';
const NOT_PULLED_MESSAGE = `anything-v5: base model not found on this machine (not downloaded yet). Run \`toonlora models pull anything-v5\` first, or ${FIX_SLOT}`;
const DISK_FULL_MESSAGE = `/r/checkpoints: could not write checkpoint step-000004: the disk is full; the partial file was removed. Free some space on it, then ${FIX_SLOT} continue from /r/checkpoints/step-000002.`;

/**
 * Each fix kind and variant with a message as its raise sites build it (its text, which the CLI's fix words complete);
 * a kind added to errorFixSchema must be added here: the first test says so.
 */
const CASES: ReadonlyArray<readonly [ErrorFix, string]> = [
  [{ kind: 'pull-model', id: 'isnet-anime' }, PULL_MESSAGE],
  [{ kind: 'repull-model', id: 'nobody/half' }, REPULL_MESSAGE],
  [{ kind: 'choose-base', why: 'path' }, '/models/b: No such folder.'],
  [{ kind: 'choose-base', why: 'file' }, '/models/b.safetensors: base checkpoint file not found.'],
  [{ kind: 'choose-base', why: 'not-pulled', pull: 'anything-v5' }, NOT_PULLED_MESSAGE],
  [{ kind: 'choose-base', why: 'lora' }, 'l.safetensors: made for SDXL, the base is SD1.5.'],
  [{ kind: 'resume' }, DISK_FULL_MESSAGE],
  [
    { kind: 'resume-or-new-run' },
    "/r: holds an earlier run's checkpoints (newest: /r/checkpoints/step-000002, step 2).",
  ],
  [{ kind: 'writable-output', folder: 'run' }, '/r: /r is not writable (EACCES).'],
  [{ kind: 'writable-output', folder: 'output' }, '/o: /o is not writable (EACCES).'],
  [{ kind: 'writable-output', folder: 'dataset' }, '/d: the output folder is not empty.'],
];

const SITES: readonly FailureSite[] = [{}, { worker: 'gpu-box' }];

describe('web failure texts name no CLI flag or command', () => {
  it('covers every fix kind of errorFixSchema', () => {
    const kinds = errorFixSchema.options.map((option) => option.shape.kind.value);
    expect(new Set(CASES.map(([fix]) => fix.kind))).toEqual(new Set(kinds));
  });

  it('the checker finds the CLI words it guards against', () => {
    expect(
      cliWordsIn('Add --resume to continue it, or choose another -o. Run: toonlora models pull x'),
    ).toEqual(['--resume', '-o', 'toonlora models']);
    expect(cliWordsIn("pull it on the worker's machine (toonlora models pull x there).")).toEqual([]);
    expect(cliWordsIn('a run-once step -offset')).toEqual([]);
  });

  it("every fix kind, for a server job and a remote worker's", () => {
    const offenders: string[] = [];
    for (const [fix, message] of CASES)
      for (const site of SITES) {
        const details = site.worker === undefined ? undefined : { remoteWorker: site.worker };
        const text = site.worker === undefined ? message : `worker ${site.worker}: ${message}`;
        const web = webMessage(new ToonloraError('TL_ERR_WORKER', text, { fix, details }));
        const found = cliWordsIn(web);
        if (found.length > 0)
          offenders.push(`${JSON.stringify(fix)} ${site.worker ?? 'server'}: ${found} in "${web}"`);
      }
    expect(offenders).toEqual([]);
  });

  it("a prep's output folder error from its raise site", () => {
    const web = webMessage(outDirError('/data/jobs/j1/dataset', 'the folder is not empty'));
    expect(cliWordsIn(web)).toEqual([]);
  });

  it("the Models page's 'without it' of every registry model", () => {
    const offenders = [...MODEL_REGISTRY.values()].flatMap((entry) =>
      cliWordsIn(entry.webWhenMissing).map((words) => `${entry.id}: ${words}`),
    );
    expect(offenders).toEqual([]);
  });

  it('a deleted screenshot, dataset image or LoRA file, from their raise sites', async () => {
    const failures = await Promise.all([
      stageInput('/nonexistent/u1.png', '/nonexistent/001-a.png', 'a.png').catch((error: unknown) => error),
      checkExportImages('/nonexistent', 'd1', [
        { key: '001-a', source: 'a.png', imagePath: 'jobs/j/a.png', caption: 'c', excluded: false },
      ]).catch((error: unknown) => error),
      Promise.resolve()
        .then(() => checkStoredLora('/nonexistent/l.safetensors', 'mina'))
        .catch((error: unknown) => error),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ToonloraError);
      expect(cliWordsIn(webMessage(failure))).toEqual([]);
    }
  });
});
