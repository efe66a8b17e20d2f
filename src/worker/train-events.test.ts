// src/worker/train-events.test.ts — `train --events` prints one compact JSON line per progress / sample / checkpoint
// event and the result (or error) last; `--json` stays one document, and the two are not given together.
import { describe, expect, it } from 'vitest';
import { checkOutputFlags } from '../cli/commands/train-flags.js';
import { errorLine, resultLine, trainEventLineSchema, workerEventLine } from './train-events.js';

const parse = (line: string | null) => {
  expect(line).toMatch(/^\{.*\}\n$/); // one line, compact
  return trainEventLineSchema.parse(JSON.parse(line ?? ''));
};

describe('train --events lines', () => {
  it('writes progress, sample and checkpoint events without the worker protocol version', () => {
    const progress = {
      version: 1,
      type: 'progress',
      step: 3,
      total: 8,
      loss: 0.12,
      lr: null,
      it_per_s: 2,
      eta_s: 2.5,
    } as const;
    expect(parse(workerEventLine(progress))).toEqual({
      type: 'progress',
      step: 3,
      total: 8,
      loss: 0.12,
      lr: null,
      it_per_s: 2,
      eta_s: 2.5,
    });
    expect(
      parse(workerEventLine({ version: 1, type: 'sample', step: 4, paths: ['/r/samples/a.png'] })),
    ).toEqual({
      type: 'sample',
      step: 4,
      paths: ['/r/samples/a.png'],
    });
    expect(
      parse(workerEventLine({ version: 1, type: 'checkpoint', step: 4, path: '/r/checkpoints/step-000004' })),
    ).toEqual({ type: 'checkpoint', step: 4, path: '/r/checkpoints/step-000004' });
  });

  it('leaves log lines to stderr', () => {
    expect(workerEventLine({ version: 1, type: 'log', level: 'warn', message: 'x' })).toBeNull();
  });

  it('ends with the result document, or the error', () => {
    const result = {
      status: 'done',
      runDir: '/r',
      steps: 8,
      adapter: '/r/adapter_model.safetensors',
    } as const;
    expect(parse(resultLine(result))).toEqual({ type: 'result', result });
    expect(parse(errorLine({ code: 'TL_ERR_CONFIG', message: 'no' }))).toEqual({
      type: 'error',
      error: { code: 'TL_ERR_CONFIG', message: 'no' },
    });
  });
});

describe('train output flags', () => {
  it('refuses --events with --json or --dry-run, and takes each alone', () => {
    expect(() => checkOutputFlags({ events: true, json: true, dryRun: false })).toThrow(
      expect.objectContaining({ code: 'TL_ERR_USAGE', message: expect.stringContaining('Give only one') }),
    );
    expect(() => checkOutputFlags({ events: true, json: false, dryRun: true })).toThrow(
      expect.objectContaining({ code: 'TL_ERR_USAGE' }),
    );
    expect(() => checkOutputFlags({ events: true, json: false, dryRun: false })).not.toThrow();
    expect(() => checkOutputFlags({ json: true, dryRun: true })).not.toThrow();
  });
});
