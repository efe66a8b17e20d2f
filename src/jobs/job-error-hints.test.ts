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
  it("adds the Models page to the trainer's refetch hint for a Hub base (its snapshot folder)", () => {
    const message =
      '/h/hub/models--someone--toon-sd1.5/snapshots/c0/: cannot load its tokenizer from tokenizer/vocab.json (bad): a file there is damaged or truncated (a stopped download or copy?). Delete /h/tokenizer/vocab.json and run `toonlora models pull someone/toon-sd1.5` again.';
    const error = fromWorker(errorLine(message, { kind: 'pull-model', id: 'someone/toon-sd1.5' }));
    expect(error.message).toBe(message); // the CLI's: the message names the pull itself
    expect(webMessage(error)).toBe(`${message} (In the web app: the Models page pulls someone/toon-sd1.5.)`);
  });
  it('reads the pull from the fix, not the message (a folder lacking files)', () => {
    const message = 'x: the folder lacks unet/config.json. Run: toonlora models pull anything-v5';
    const error = new ToonloraError('TL_ERR_MODEL_MISSING', message, {
      fix: { kind: 'pull-model', id: 'anything-v5' },
    });
    expect(webMessage(error)).toBe(`${message} (In the web app: the Models page pulls anything-v5.)`);
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
      'Run `toonlora models pull a` first, or choose another Base model in the form. (In the web app: the Models page pulls a.)',
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
