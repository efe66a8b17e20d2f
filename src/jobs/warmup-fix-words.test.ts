// src/jobs/warmup-fix-words.test.ts — an epoch-based run whose warmup leaves no steps at the full rate, found by the
// worker once the dataset turned epochs into steps: its `error` event carries the fix as data (shorter-warmup), so the
// CLI says `--epochs` and a server job's failure says the request's fields. Before, the worker's message ended
// "raise --steps", which reached the web app as the failed job's message (and named a flag the run was not given).
import { describe, expect, it } from 'vitest';
import { errorFromEvent } from '../worker/worker-outcome.js';
import { parseWorkerLine } from '../worker/protocol.js';
import { cliWordsIn, webMessage } from './job-error-hints.js';

// as trainer/toonlora_trainer/config.py check_warmup raises it (trainer/tests/test_error_fix.py) and the worker sends it
const LINE = JSON.stringify({
  version: 1,
  type: 'error',
  kind: 'config',
  message:
    'config.lrWarmupSteps: 50 warmup steps leave none of the 40 training steps (2 epochs) at the full rate.',
  fix: { kind: 'shorter-warmup', count: 'epochs' },
});

describe('a warmup longer than an epoch-based run', () => {
  it('the CLI names --epochs, the web app the request fields', () => {
    const parsed = parseWorkerLine(LINE);
    if (!parsed.ok || parsed.event.type !== 'error')
      throw new Error(`not an error event: ${JSON.stringify(parsed)}`);
    const error = errorFromEvent(parsed.event, 'train');
    expect(error.message).toBe(
      'config.lrWarmupSteps: 50 warmup steps leave none of the 40 training steps (2 epochs) at the full rate. Lower training.lrWarmupSteps or raise --epochs.',
    );
    const web = webMessage(error);
    expect(web).toBe(
      'config.lrWarmupSteps: 50 warmup steps leave none of the 40 training steps (2 epochs) at the full rate. Lower params.training.lrWarmupSteps or raise params.training.epochs.',
    );
    expect(cliWordsIn(web)).toEqual([]);
  });
});
