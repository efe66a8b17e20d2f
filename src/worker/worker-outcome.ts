// src/worker/worker-outcome.ts — what a finished worker run means: the outcome type (`done` or `cancelled`),
// the ToonloraError for a worker `error` event or for a run stopped on request, and a command's `done` payload
// checked against its schema (parseDone).
import type { z } from 'zod';
import { type ErrorCode, ToonloraError } from '../errors.js';
import type { DoneEvent, ErrorEvent, WorkerEvent } from './protocol.js';

export type WorkerOutcome =
  | { readonly status: 'done'; readonly done: DoneEvent; readonly events: readonly WorkerEvent[] }
  | {
      readonly status: 'cancelled';
      readonly step: number;
      readonly checkpoint: string | null;
      readonly events: readonly WorkerEvent[];
    };

const ERROR_CODE_FOR_KIND: Record<ErrorEvent['kind'], ErrorCode> = {
  config: 'TL_ERR_CONFIG',
  input_missing: 'TL_ERR_INPUT_NOT_FOUND',
  input_invalid: 'TL_ERR_INPUT_INVALID',
  lora_format: 'TL_ERR_LORA_FORMAT',
  model_missing: 'TL_ERR_MODEL_MISSING',
  nan_loss: 'TL_ERR_TRAINING_DIVERGED',
  out_of_memory: 'TL_ERR_GPU_OUT_OF_MEMORY',
  output_write: 'TL_ERR_OUTPUT_WRITE',
  protocol: 'TL_ERR_WORKER_PROTOCOL',
  internal: 'TL_ERR_WORKER',
};

/** The ToonloraError for a worker `error` event (its message is already written for the user, its fix as data). */
export function errorFromEvent(event: ErrorEvent, label: string): ToonloraError {
  return new ToonloraError(ERROR_CODE_FOR_KIND[event.kind], event.message, {
    details: { worker: label, kind: event.kind },
    fix: event.fix,
  });
}

/**
 * TL_ERR_WORKER for a worker stopped on request (Ctrl-C / SIGTERM) that ended without saying it saved anything
 * (`killed`: a second Ctrl-C, or it outlived its grace time). Training turns this into a result naming the
 * checkpoint on disk (worker/train.ts).
 */
export function stoppedError(label: string, killed: boolean, graceMs?: number): ToonloraError {
  const grace =
    graceMs === undefined
      ? ''
      : ` It did not stop within the ${graceMs / 1000} s grace after the stop request, so it was killed.`;
  return new ToonloraError(
    'TL_ERR_WORKER',
    `${label} was stopped (Ctrl-C / SIGTERM) before it finished; nothing was written for it.${grace}`,
    {
      details: { worker: label, stopped: true, killed, ...(graceMs === undefined ? {} : { graceMs }) },
    },
  );
}

/**
 * The payload of a command's `done`, checked against that command's schema (protocol.ts `doneSchemaByCommand`).
 * `outcome` is runWorker's, or a warm worker's `done` for one request.
 * @throws TL_ERR_WORKER_PROTOCOL naming `label` (the command) when the worker answered `cancelled` instead, or when
 *   its `done` lacks a field, has one of the wrong type (a non-finite number arrives as null) or one this side does
 *   not know: naming the field, what was expected and what arrived.
 */
export function parseDone<T>(schema: z.ZodType<T>, outcome: WorkerOutcome | DoneEvent, label: string): T {
  const done = 'status' in outcome ? (outcome.status === 'done' ? outcome.done : undefined) : outcome;
  const advice = 'trainer/ and the CLI may be from different versions; run toonlora setup.';
  if (done === undefined) {
    throw new ToonloraError(
      'TL_ERR_WORKER_PROTOCOL',
      `python worker (${label}) answered "cancelled" where the protocol has only "done" for this command. ${advice}`,
      { details: { worker: label } },
    );
  }
  const result = schema.safeParse(done);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || '(event)';
  const got = issue?.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key],
    done,
  );
  throw new ToonloraError(
    'TL_ERR_WORKER_PROTOCOL',
    `python worker (${label}) sent a "done" event that does not match the protocol: ${field}: ` +
      `${issue?.message ?? 'invalid'} (got ${JSON.stringify(got) ?? 'nothing'}). ${advice}`,
    { details: { worker: label, field } },
  );
}
