// src/worker/protocol.ts — every message between this process and the Python worker
// (trainer/toonlora_trainer/protocol.py is the other side; STYLE rule 5). Requests go to the worker's
// stdin as one JSON line; events come back on its stdout, one JSON object per line, each carrying
// `version` and `type`. Anything else on stdout is a protocol error, never ignored.
// The events live in protocol-events.ts, each command's `done` in protocol-done.ts, the requests in
// protocol-requests.ts; this module parses and encodes the lines and re-exports every name.
import { isDeepStrictEqual } from 'node:util';
import { type WorkerEvent, workerEventSchema } from './protocol-events.js';
import { type WorkerRequest, workerRequestSchema } from './protocol-requests.js';

export {
  blipCaptionDoneSchema,
  doneSchemaByCommand,
  estimateMemoryDoneSchema,
  generateDoneSchema,
  loraCountDoneSchema,
  scanDatasetDoneSchema,
  trainDoneSchema,
} from './protocol-done.js';
export {
  type CancelledEvent,
  type CaptionEvent,
  cancelledEventSchema,
  captionEventSchema,
  checkpointEventSchema,
  type DoneEvent,
  doneEventSchema,
  type ErrorEvent,
  errorEventSchema,
  errorKindSchema,
  logEventSchema,
  PROTOCOL_VERSION,
  type ProgressEvent,
  progressEventSchema,
  readyEventSchema,
  sampleEventSchema,
  type WorkerEvent,
  workerEventSchema,
} from './protocol-events.js';
export {
  type Architecture,
  architectureOf,
  architectureSchema,
  blipRequestSchema,
  type CommandRequest,
  cancelRequestSchema,
  estimateMemoryRequestSchema,
  type GenerateRequest,
  generateRequestSchema,
  loraCountRequestSchema,
  loraNameSchema,
  resolvedTrainingConfigSchema,
  scanDatasetRequestSchema,
  serveGenerationRequestSchema,
  shutdownRequestSchema,
  type TrainRequest,
  trainRequestSchema,
  unloadLoraRequestSchema,
  type WorkerCommand,
  type WorkerRequest,
  workerRequestSchema,
} from './protocol-requests.js';

/** Result of parsing one stdout line: the event, or why the line is not one. */
export type ParsedLine = { ok: true; event: WorkerEvent } | { ok: false; reason: string };

/** Parses one stdout line of the worker; never throws. */
export function parseWorkerLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not a JSON line: ${JSON.stringify(line.slice(0, 120))}` };
  }
  const result = workerEventSchema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(line)';
  return {
    ok: false,
    reason: `${where}: ${issue?.message ?? 'invalid'} in ${JSON.stringify(line.slice(0, 120))}`,
  };
}

/** Serialises a request after validating it against its schema (throws zod's error on a bad one). */
export function encodeRequest(request: WorkerRequest): string {
  return `${JSON.stringify(workerRequestSchema.parse(request))}\n`;
}

/**
 * Parses one request line as the worker must receive it: valid AND complete. A request that only
 * validates because zod filled in defaults is rejected, since the Python side invents no defaults.
 */
export function parseWorkerRequestLine(line: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: `not a JSON line: ${JSON.stringify(line.slice(0, 120))}` };
  }
  const result = workerRequestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, reason: `${issue?.path.join('.') || '(line)'}: ${issue?.message ?? 'invalid'}` };
  }
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(result.data)), value)) {
    return {
      ok: false,
      reason: 'incomplete request: fields are missing (defaults must be resolved before sending)',
    };
  }
  return { ok: true, request: result.data };
}

export type ParsedRequest = { ok: true; request: WorkerRequest } | { ok: false; reason: string };
