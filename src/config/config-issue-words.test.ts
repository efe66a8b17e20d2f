// src/config/config-issue-words.test.ts — how a refused setting reads, wherever it came from (a config file, a flag,
// an API body): zod's own issues in words ("training.steps: must be at least 1, got 0", before "Too small: expected
// number to be >=1"), and a refusal that names its value and fix says each once (before: "3 cycles apply to
// lrScheduler cosine_with_restarts only, not constant (…), got 3. Set training.lrSchedulerNumCycles.").
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { parsePrepConfig } from '../prep/pipeline.js';
import { jobCreateSchema } from '../schemas/api-jobs.js';
import { jsonSchemaOf, zodValidatorCompiler } from '../server/route-schema.js';
import { loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'toonlora-issue-words-'));

/** The refusal's lines after its `<source>: invalid settings` line, for `text` as a TOML file and `overrides`. */
function refusal(text: string, overrides: Record<string, unknown> = {}): string[] {
  const file = join(dir, 'config.toml');
  writeFileSync(file, text);
  const error = thrownToonloraError(() => loadConfig({ file, overrides }));
  expect(error.code).toBe('TL_ERR_CONFIG');
  return error.message.split('\n').slice(1);
}

/** What POST /api/jobs answers for `body` (the route's own validator), or undefined when it is taken. */
function requestRefusal(body: unknown): string | undefined {
  const validate = zodValidatorCompiler({
    schema: jsonSchemaOf(jobCreateSchema),
    httpPart: 'body',
    method: 'POST',
    url: '/api/jobs',
  }) as (data: unknown) => { error?: Error };
  return validate(body).error?.message;
}

const TRAIN = { kind: 'train', characterId: 'c1', params: { datasetId: 'd1' } };

describe("zod's own issues in words", () => {
  it('steps = 0 in a config file, --steps 0 and steps: 0 in a request', () => {
    const words = 'training.steps: must be at least 1, got 0. Set --steps or training.steps.';
    expect(refusal('[training]\nsteps = 0\n')).toEqual([words]);
    expect(refusal('', { training: { steps: 0 } })).toEqual([words]);
    const body = { ...TRAIN, params: { datasetId: 'd1', training: { steps: 0 } } };
    expect(requestRefusal(body)).toBe(
      'invalid request: body.params.training.steps: must be at least 1, got 0.',
    );
  });

  it('a prep setting given to the prep library', () => {
    const error = thrownToonloraError(() => parsePrepConfig({ repeats: 0 }));
    expect(error.message).toContain(
      'prep.repeats: must be at least 1, got 0. Set --repeats or prep.repeats.',
    );
  });
});

describe('a refusal that names its value and fix says each once', () => {
  it('lrSchedulerNumCycles with a scheduler without cycles: one sentence', () => {
    expect(refusal('[training]\nlrScheduler = "constant"\nlrSchedulerNumCycles = 3\n')).toEqual([
      'training.lrSchedulerNumCycles: 3 cycles work with lrScheduler cosine_with_restarts only, not constant; ' +
        'set lrScheduler to cosine_with_restarts, or remove lrSchedulerNumCycles.',
    ]);
    const body = { ...TRAIN, params: { datasetId: 'd1', training: { lrSchedulerNumCycles: 3 } } };
    expect(requestRefusal(body)).toBe(
      'invalid request: body.params.training.lrSchedulerNumCycles: 3 cycles work with lrScheduler ' +
        'cosine_with_restarts only, not cosine; set lrScheduler to cosine_with_restarts, or remove lrSchedulerNumCycles.',
    );
  });

  it('a warmup that takes every step', () => {
    expect(refusal('[training]\nsteps = 100\nlrWarmupSteps = 100\n')).toEqual([
      'training.lrWarmupSteps: 100 warmup steps leave none of the 100 training steps at the full rate; ' +
        'lower it below 100, or raise --steps.',
    ]);
    const body = { ...TRAIN, params: { datasetId: 'd1', training: { steps: 100, lrWarmupSteps: 100 } } };
    expect(requestRefusal(body)).toBe(
      'invalid request: body.params.training.lrWarmupSteps: 100 warmup steps leave none of the 100 training steps ' +
        'at the full rate; lower it below 100, or raise params.training.steps.',
    );
  });

  it('dora with a LoKr, and a LoKr factor of 0 named once', () => {
    expect(refusal('[training.lora]\ndora = true\nalgorithm = "lokr"\nlokrFactor = 0\n')).toEqual([
      'training.lora.lokrFactor: must be -1 (near square) or a positive side, got 0. ' +
        'Set --lokr-factor or training.lora.lokrFactor.',
      'training.lora.dora: dora works with algorithm "lora" only, not "lokr"; ' +
        'turn dora off (no --dora) or train a LoRA (no --lokr).',
    ]);
  });

  it('a weight given twice in a sweep', () => {
    const body = { kind: 'generate', characterId: 'c1', params: { loraId: 'l1', weights: [0.5, 0.5] } };
    expect(requestRefusal(body)).toBe(
      'invalid request: body.params.weights: weight 0.5 is given more than once: each repeat renders the same row ' +
        'of images again; give each weight once.',
    );
  });
});
