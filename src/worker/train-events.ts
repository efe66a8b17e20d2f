// src/worker/train-events.ts — the lines `toonlora train --events` prints on stdout: one compact JSON object per
// line, `progress` / `sample` / `checkpoint` as the run goes (the worker's events without the protocol's `version`),
// then one last line, `result` (the document `--json` prints) or `error` (the one `--json` prints on a failure).
// `--json` stays one final document, as in every other command; `--events` is for a caller that follows a run live.
import { z } from 'zod';
import {
  checkpointEventSchema,
  progressEventSchema,
  sampleEventSchema,
  type WorkerEvent,
} from './protocol.js';

export const trainProgressLineSchema = progressEventSchema.omit({ version: true, id: true });
export const trainSampleLineSchema = sampleEventSchema.omit({ version: true });
export const trainCheckpointLineSchema = checkpointEventSchema.omit({ version: true });
/** The last line of a run that ended (done, or stopped: `result.status` says which). */
export const trainResultLineSchema = z.strictObject({
  type: z.literal('result'),
  result: z.looseObject({ status: z.enum(['done', 'cancelled']), runDir: z.string(), steps: z.number() }),
});
/** The last line of a run that failed: the error `--json` prints, code and message first. */
export const trainErrorLineSchema = z.strictObject({
  type: z.literal('error'),
  error: z.looseObject({ code: z.string(), message: z.string() }),
});

export const trainEventLineSchema = z.discriminatedUnion('type', [
  trainProgressLineSchema,
  trainSampleLineSchema,
  trainCheckpointLineSchema,
  trainResultLineSchema,
  trainErrorLineSchema,
]);
export type TrainEventLine = z.infer<typeof trainEventLineSchema>;

function line(value: TrainEventLine): string {
  return `${JSON.stringify(trainEventLineSchema.parse(value))}\n`;
}

/** The `--events` line of a worker event: progress, sample and checkpoint; null for the others (logs go to stderr). */
export function workerEventLine(event: WorkerEvent): string | null {
  if (event.type === 'progress') {
    const { version: _, id: __, ...rest } = event;
    return line(rest);
  }
  if (event.type === 'sample' || event.type === 'checkpoint') {
    const { version: _, ...rest } = event;
    return line(rest);
  }
  return null;
}

/** The last `--events` line of a run that ended. */
export function resultLine(result: { status: 'done' | 'cancelled'; runDir: string; steps: number }): string {
  return line({ type: 'result', result: { ...result } });
}

/** The last `--events` line of a run that failed (`error`: the object `--json` prints under `error`). */
export function errorLine(error: { code: string; message: string }): string {
  return line({ type: 'error', error: { ...error } });
}
