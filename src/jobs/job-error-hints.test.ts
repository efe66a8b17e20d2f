// src/jobs/job-error-hints.test.ts — a failed job's fix, carried as data, in the web app's words (and the same error
// in the CLI's): each fix kind, from a TS raise site and from the Python worker's error event.
import { describe, expect, it } from 'vitest';
import { type ErrorFix, FIX_SLOT } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { parseWorkerLine } from '../worker/protocol.js';
import { errorFromEvent } from '../worker/worker-outcome.js';
import { webMessage } from './job-error-hints.js';

/** A worker `error` event line as trainer/toonlora_trainer/protocol.py writes it. */
function errorLine(message: string, fix: unknown): string {
  return JSON.stringify({ version: 1, type: 'error', message, kind: 'model_missing', fix });
}

/** The ToonloraError for a worker error event line (what runWorker throws). */
function fromWorker(line: string): ToonloraError {
  const parsed = parseWorkerLine(line);
  if (!parsed.ok || parsed.event.type !== 'error') throw new Error(`not an error event: ${line}`);
  return errorFromEvent(parsed.event, 'train');
}

describe('webMessage', () => {
  it("leads a Hub base's damaged file with the web fix: Remove it on the Models page, then pull it again", () => {
    // before: the server paths and `toonlora models pull …` came first, and the Models page listed it complete
    const message =
      '/h/hub/models--someone--toon-sd1.5/snapshots/c0/: cannot load its tokenizer from tokenizer/vocab.json (bad): a file there is damaged or truncated (a stopped download or copy?). Delete /h/tokenizer/vocab.json and run `toonlora models pull someone/toon-sd1.5` again.';
    const error = fromWorker(errorLine(message, { kind: 'repull-model', id: 'someone/toon-sd1.5' }));
    expect(error.message).toBe(message); // the CLI's: the message names the delete and the pull itself
    expect(webMessage(error)).toBe(
      'someone/toon-sd1.5 on the server is damaged or incomplete (a file in it cannot be read): Remove it on the Models page, then pull it again.',
    );
  });
  it('leads a model not downloaded with the Models page, not the server path and the CLI command', () => {
    const message =
      'isnet-anime: isnet-anime.onnx is not downloaded (looked in /tmp/d/isnet-anime.onnx). Run: toonlora models pull isnet-anime';
    const error = new ToonloraError('TL_ERR_MODEL_MISSING', message, {
      fix: { kind: 'pull-model', id: 'isnet-anime' },
    });
    expect(error.message).toBe(message);
    expect(webMessage(error)).toBe(
      'isnet-anime is not downloaded on the server: pull it on the Models page.',
    );
  });
  it("says a remote worker's job lacks the model on the worker's machine, not on the server", () => {
    // before: "the Models page pulls anything-v5", which pulls it on the server, not on the worker
    const error = new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      'worker gpu-box: x: the folder lacks unet/config.json. Run: toonlora models pull anything-v5',
      { fix: { kind: 'pull-model', id: 'anything-v5' }, details: { remoteWorker: 'gpu-box' } },
    );
    expect(webMessage(error)).toBe(
      "anything-v5 is not downloaded on worker gpu-box: pull it on the worker's machine (toonlora models pull anything-v5 there).",
    );
    const damaged = new ToonloraError('TL_ERR_MODEL_MISSING', 'worker gpu-box: bad', {
      fix: { kind: 'repull-model', id: 'nobody/half' },
      details: { remoteWorker: 'gpu-box' },
    });
    expect(webMessage(damaged)).toBe(
      "nobody/half on worker gpu-box is damaged or incomplete (a file in it cannot be read): delete it there and pull it on the worker's machine (toonlora models pull nobody/half there).",
    );
  });
  it('leaves errors that carry no fix as they are', () => {
    expect(webMessage(new ToonloraError('TL_ERR_WORKER', 'run `toonlora models pull tiny` again.'))).toBe(
      'run `toonlora models pull tiny` again.',
    );
    expect(webMessage(new ToonloraError('TL_ERR_MODEL_MISSING', 'no base here'))).toBe('no base here');
    expect(webMessage(new Error('plain'))).toBe('plain');
  });

  it.each<[string, ErrorFix, string, string]>([
    [
      'a base path not there',
      { kind: 'choose-base', why: 'path' },
      'Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny).',
      'Choose another Base model in the form, or pull it again on the Models page.',
    ],
    [
      'a base file not there',
      { kind: 'choose-base', why: 'file' },
      'Check the --base path (a .safetensors file, a HF id or tiny).',
      'Choose another Base model in the form, or pull it again on the Models page.',
    ],
    [
      'a LoRA for another base',
      { kind: 'choose-base', why: 'lora' },
      'Generate with the base model the LoRA was trained for (--base).',
      'Generate with the base model the LoRA was trained for (the Base model field).',
    ],
    [
      'a run folder it cannot write',
      { kind: 'writable-output', folder: 'run' },
      'Choose a folder you can write to for -o (the run folder).',
      'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.',
    ],
    [
      'an output folder it cannot write',
      { kind: 'writable-output', folder: 'output' },
      'Choose a folder you can write to for -o.',
      'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.',
    ],
    [
      "a prep's dataset folder it cannot use",
      { kind: 'writable-output', folder: 'dataset' },
      'Choose a new or empty folder you can write to for -o.',
      'The server cannot write there: whoever runs the server must make its data folder writable, or start it with another one.',
    ],
    [
      'a run folder holding an earlier run',
      { kind: 'resume-or-new-run' },
      'Add --resume to continue it, or choose another -o.',
      'Press Resume from checkpoint on the Train page to continue it, or start a new training.',
    ],
  ])('%s: a worker event with its fix, in CLI and web words', (_, fix, cli, web) => {
    const error = fromWorker(errorLine('x: not usable.', fix));
    expect(error.fix).toEqual(fix);
    expect(error.message).toBe(`x: not usable. ${cli}`);
    expect(webMessage(error)).toBe(`x: not usable. ${web}`);
  });

  it('puts a fix inside the message where FIX_SLOT marks it (resume, a base not pulled)', () => {
    const died = new ToonloraError(
      'TL_ERR_WORKER',
      `on disk (/c): ${FIX_SLOT} continue from it; step 5 is lost.`,
      {
        fix: { kind: 'resume' },
      },
    );
    expect(died.message).toBe(
      'on disk (/c): run the same train command with --resume to continue from it; step 5 is lost.',
    );
    expect(webMessage(died)).toBe(
      'on disk (/c): press Resume from checkpoint on the Train page to continue from it; step 5 is lost.',
    );
    const notPulled = new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `Run \`toonlora models pull a\` first, or ${FIX_SLOT}`,
      {
        fix: { kind: 'choose-base', why: 'not-pulled', pull: 'a' },
      },
    );
    expect(notPulled.message).toBe(
      'Run `toonlora models pull a` first, or give --base another base (a local folder, a .safetensors file, a pulled HF id, or tiny).',
    );
    expect(webMessage(notPulled)).toBe(
      'a is not downloaded on the server: pull it on the Models page, or choose another Base model in the form.',
    );
  });

  it("words a full disk's resume for the web (the worker's message said `run again with --resume`)", () => {
    const message = `/r/checkpoints: could not write checkpoint step-000004: no space left on the disk (ENOSPC, 0.0 MB free); the partial file was removed. Free some space on it, then ${FIX_SLOT} continue from /r/checkpoints/step-000002.`;
    const error = fromWorker(errorLine(message, { kind: 'resume' }));
    expect(error.message).toContain('then run the same train command with --resume to continue from /r/');
    expect(webMessage(error)).toContain(
      'Free some space on it, then press Resume from checkpoint on the Train page to continue from /r/checkpoints/step-000002.',
    );
  });

  it('keeps the web fix whatever the message says around it (no wording is matched)', () => {
    // the regexes this replaced matched the CLI sentence: a reworded one showed `--base` on the web page
    const error = new ToonloraError('TL_ERR_MODEL_MISSING', 'the base folder /b went away.', {
      fix: { kind: 'choose-base', why: 'path' },
    });
    expect(webMessage(error)).toBe(
      'the base folder /b went away. Choose another Base model in the form, or pull it again on the Models page.',
    );
    expect(webMessage(error)).not.toContain('--base');
  });
});

describe("the worker protocol's error fix", () => {
  it.each([
    ['an unknown kind', { kind: 'reinstall' }],
    ['a pull without its id', { kind: 'pull-model' }],
    ['a base fix of no known reason', { kind: 'choose-base', why: 'because' }],
    ['a field the kind has not', { kind: 'resume', step: 4 }],
  ])('refuses %s', (_, fix) => {
    const parsed = parseWorkerLine(errorLine('x', fix));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toMatch(/^fix/);
  });
});
