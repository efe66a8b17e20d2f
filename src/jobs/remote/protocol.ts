// src/jobs/remote/protocol.ts — what `toonlora worker` and `serve --remote-workers` say to each other over HTTP
// (/api/worker/...): the claim, the lease's event batches (which renew it and carry a cancel back), the
// checkpoint the server keeps for a resume on any worker, the end of a run. zod schemas, types derived from them; both sides and the OpenAPI document read them from here.
//
// WORKER_PROTOCOL: the worker sends it (and its toonlora version) on every /api/worker request, the server answers
// with its own; either side refuses another number, naming both protocols, which side is older and both toonlora
// versions. Bump it for a change one side of another version would refuse or misread: a field added to a request body (the bodies are
// strict), a field removed or renamed, a type, unit or meaning changed, a route or method changed or removed, a
// body's encoding changed. Do not bump it for a new optional reply field the other side ignores, a new route only
// newer workers call, wording of messages or logs, or limits (sizes, times): those work across versions.
import { z } from 'zod';
import { errorFixSchema } from '../../error-fix.js';
import { apiIdSchema, logLevelSchema } from '../../schemas/api-common.js';
import { jobProgressSchema } from '../../schemas/api-jobs.js';
import { TOONLORA_VERSION } from '../../version.js';

/** The version of what is said over /api/worker (see the header above for when it changes). */
export const WORKER_PROTOCOL = 1;
/** Request and reply header: the sender's WORKER_PROTOCOL. */
export const PROTOCOL_HEADER = 'x-toonlora-worker-protocol';
/** Request and reply header: the sender's toonlora version (for the refusal's words only). */
export const VERSION_HEADER = 'x-toonlora-version';

/** The headers this side sends: its protocol and toonlora version. */
export function protocolHeaders(): Record<string, string> {
  return { [PROTOCOL_HEADER]: String(WORKER_PROTOCOL), [VERSION_HEADER]: TOONLORA_VERSION };
}

/** One side's protocol and toonlora version as its headers say (null: not sent, or not a number / a version). */
export interface PeerVersion {
  protocol: number | null;
  version: string | null;
}

/** This side's protocol and version. */
export const OWN_VERSION: PeerVersion = { protocol: WORKER_PROTOCOL, version: TOONLORA_VERSION };

/** The other side's PeerVersion from its headers (`get` returns a header's value, lower-case name). */
export function peerVersion(get: (name: string) => string | string[] | null | undefined): PeerVersion {
  const one = (name: string) => {
    const value = get(name);
    return typeof value === 'string' ? value.trim() : null;
  };
  const protocol = one(PROTOCOL_HEADER);
  const version = one(VERSION_HEADER);
  return {
    protocol: protocol !== null && /^\d{1,6}$/.test(protocol) ? Number(protocol) : null,
    version: version !== null && /^[0-9A-Za-z.+-]{1,50}$/.test(version) ? version : null,
  };
}

/** Whether `peer` speaks this side's protocol. */
export const sameProtocol = (peer: PeerVersion): boolean => peer.protocol === WORKER_PROTOCOL;

/**
 * The one line both sides say when the protocols differ: which side's toonlora is older (the one with the older
 * protocol; a side that sends none is older than any), both protocols (what differs: two builds may both say the same
 * toonlora version), the toonlora versions they said, and to install the same toonlora on both. `workerName` names
 * the worker (server side).
 */
export function protocolMismatchLine(worker: PeerVersion, server: PeerVersion, workerName?: string): string {
  const named = workerName ? `worker ${workerName}` : 'the worker';
  const workerOlder = (worker.protocol ?? 0) < (server.protocol ?? 0);
  const [older, newer] = workerOlder
    ? [
        { name: named, peer: worker, none: 'sends' },
        { name: 'the server', peer: server },
      ]
    : [
        { name: 'the server', peer: server, none: 'answers' },
        { name: named, peer: worker },
      ];
  const protocols =
    older.peer.protocol === null
      ? `it ${older.none} no worker protocol version, ${newer.name} speaks worker protocol ${newer.peer.protocol}`
      : `worker protocol ${older.peer.protocol} on ${older.name}, ${newer.peer.protocol} on ${newer.name}`;
  return (
    `the toonlora on ${older.name} is older than on ${newer.name}: ${protocols}${versionsSaid(worker, server, named)}; ` +
    'install the same toonlora on both (toonlora --version prints the protocol)'
  );
}

/** ` (toonlora A on the worker, B on the server)`, ` (both say toonlora A)`, one of them, or nothing. */
function versionsSaid(worker: PeerVersion, server: PeerVersion, named: string): string {
  if (worker.version && worker.version === server.version) return ` (both say toonlora ${worker.version})`;
  const said = [
    worker.version ? `${worker.version} on ${named}` : null,
    server.version ? `${server.version} on the server` : null,
  ].filter((part) => part !== null);
  return said.length > 0 ? ` (toonlora ${said.join(', ')})` : '';
}

/** A worker's name, as jobs and the server log show it (`gpu-box-2`). */
export const workerNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');

export const workerClaimBodySchema = z
  .object({
    worker: workerNameSchema,
    /** How long the server may hold the request open for a job (long poll); 0 answers at once. */
    waitS: z.number().int().min(0).max(30).default(20),
  })
  .strict();

export const workerClaimSchema = z.object({
  leaseId: apiIdSchema,
  /** When the lease ends unless an events batch renews it first. */
  leaseExpiresAt: z.string(),
  /** How often the worker sends an events batch (empty or not) to keep the lease. */
  renewEveryMs: z.number().int().positive(),
  job: z.object({
    id: apiIdSchema,
    characterId: apiIdSchema,
    /** The job's attempt this lease is for (1, then 2 after a resume, ...). */
    attempt: z.number().int().positive(),
    /** True when the job continues from a checkpoint: the worker resumes its own run folder when it has it. */
    resume: z.boolean(),
    /** On a resume: the newest checkpoint a worker uploaded for this job, which the server keeps (GET `path` for
     * it, a zip of the checkpoint folder); the worker uses it unless its own run folder holds a newer one. */
    checkpoint: z
      .object({ step: z.number().int().min(0), bytes: z.number().int().min(0), path: z.string() })
      .nullable()
      .default(null),
    /** The run folder's name: the LoRA's file and `<lora:name>` name. */
    loraName: z.string().min(1),
    /** The train job's params (dataset id, training settings), as GET /api/jobs/:id shows them. */
    params: z.record(z.string(), z.unknown()),
    /** Where the dataset is: GET it for the kohya-layout zip. */
    datasetZipPath: z.string(),
  }),
});
export type WorkerClaim = z.infer<typeof workerClaimSchema>;

export const leaseParamsSchema = z.object({ id: apiIdSchema });

/** One thing the worker's run reported, as the job records it. */
export const leaseEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), progress: jobProgressSchema }),
  z.object({ type: z.literal('log'), level: logLevelSchema, message: z.string().max(10_000) }),
  // path: where the checkpoint is on the worker's machine (a resume there continues from it)
  z.object({ type: z.literal('checkpoint'), step: z.number().int(), path: z.string().max(1000) }),
]);
export type LeaseEvent = z.infer<typeof leaseEventSchema>;

/** The most events one batch may carry (a worker with more queued sends several batches). */
export const LEASE_EVENTS_MAX = 1000;

export const leaseEventsBodySchema = z
  .object({ events: z.array(leaseEventSchema).max(LEASE_EVENTS_MAX) })
  .strict();

export const leaseEventsReplySchema = z.object({
  leaseExpiresAt: z.string(),
  /** The job was cancelled (or the server stops): end the run, saving a checkpoint. */
  stop: z.boolean(),
});
export type LeaseEventsReply = z.infer<typeof leaseEventsReplySchema>;

/** A step count in a query: digits only (`1e3`, `0x10`, ` 5` are refused, not read as numbers). */
const queryStep = z
  .string()
  .regex(/^\d{1,15}$/, 'a whole number written in digits')
  .transform(Number);

/** The body of …/complete is the kohya LoRA file itself (application/octet-stream); these go in the query. */
export const leaseCompleteQuerySchema = z.object({
  steps: queryStep,
  lastLoss: z.coerce.number().optional(),
});

export const leaseFailBodySchema = z
  .object({
    error: z.object({
      code: z.string().min(1).max(100),
      /** The error's text; a fix it names is `fix`, as data, which the server words for the web app. */
      message: z.string().max(10_000),
      fix: errorFixSchema.optional(),
    }),
    /** The run stopped because the lease's events reply said stop (cancel / shutdown), not on its own. */
    stopped: z.boolean().default(false),
  })
  .strict();
export type LeaseFail = z.infer<typeof leaseFailBodySchema>;

/** The body of …/checkpoint is a zip of one checkpoint folder (application/zip); its step goes in the query. */
export const leaseCheckpointQuerySchema = z.object({ step: queryStep });
export const leaseCheckpointReplySchema = z.object({
  step: z.number().int().min(0),
  bytes: z.number().int().min(0),
});

/** The sample images one step of the run wrote (one per prompt and seed, in the trainer's order: the Train page
 * labels them by their place), each a PNG in base64 under its file name (`step-000050-0-seed42.png`). */
export const leaseSamplesBodySchema = z
  .object({
    step: z.number().int().min(0),
    images: z
      .array(
        z.object({
          name: z
            .string()
            .max(200)
            .regex(
              /^[A-Za-z0-9][A-Za-z0-9._-]*\.png$/,
              'a file name ending .png: letters, digits and . _ - only',
            ),
          png: z.string().min(1).base64(),
        }),
      )
      .min(1)
      .max(64),
  })
  .strict();
export type LeaseSamples = z.infer<typeof leaseSamplesBodySchema>;
export const leaseSamplesReplySchema = z.object({ artifactIds: z.array(apiIdSchema) });

/** Worker routes answer 200 with this when the job's record took the end. */
export const leaseEndedSchema = z.object({ jobId: apiIdSchema });
