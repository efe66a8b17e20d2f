// src/vision/onnx.ts — the only module that imports onnxruntime-node: opens sessions (cached per
// file), checks their input/output names against what the caller expects, and runs them on CPU, on
// the calling thread or, after `startInferenceThreads`, on helper threads (inference-threads.ts).
import './ort-telemetry.js'; // before onnxruntime-node loads: see there
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ToonloraError } from '../errors.js';
import { InferenceThreadLostError, InferenceThreads, type OpenedModel } from './inference-threads.js';

/** An open model: its inputs and outputs, and `run` (on this thread or on an inference thread). */
export interface OnnxSession extends OpenedModel {
  run(feeds: Record<string, ort.Tensor>): Promise<Readonly<Record<string, ort.Tensor>>>;
}

const sessions = new Map<string, Promise<OnnxSession>>();

/** The helper threads sessions run on while `startInferenceThreads` is in effect on this thread. */
let inferenceThreads: { threads: InferenceThreads; users: number; previousIntraOp: number | undefined } | undefined;
/** Cache-key suffix of sessions opened on the helper threads. */
const THREADED_KEY = '#threads';

/**
 * Sessions opened from now on (on this JavaScript thread) run on `count` helper threads with
 * `intraOpThreads` onnxruntime threads each, so this thread can work while a network runs. Returns
 * the function that ends this use: once the last use ends (runs overlapping in one process share
 * the first one's helpers), the helpers finish their runs and close, and sessions run here again.
 */
export function startInferenceThreads(
  count: number,
  intraOpThreads: number,
  runtime?: string,
): () => Promise<void> {
  if (!inferenceThreads) {
    const previousIntraOp = setDefaultIntraOpThreads(intraOpThreads);
    inferenceThreads = { threads: new InferenceThreads(count, runtime), users: 0, previousIntraOp };
  }
  const use = inferenceThreads;
  use.users++;
  let ended = false;
  return async () => {
    if (ended) return;
    ended = true;
    if (--use.users > 0) return;
    inferenceThreads = undefined;
    setDefaultIntraOpThreads(use.previousIntraOp);
    for (const key of sessions.keys()) if (key.endsWith(THREADED_KEY)) sessions.delete(key);
    await use.threads.close();
  };
}

/** Intra-op threads for sessions whose caller does not say; undefined = onnxruntime's default (all cores). */
let defaultIntraOpThreads: number | undefined;

/**
 * Sets the intra-op thread count for sessions opened afterwards without `intraOpThreads` (undefined
 * restores onnxruntime's default). Per JavaScript thread: prep's analysis workers each take their
 * share of the cores (see prep/analysis-pool.ts). Returns the previous value.
 */
export function setDefaultIntraOpThreads(threads: number | undefined): number | undefined {
  const previous = defaultIntraOpThreads;
  defaultIntraOpThreads = threads;
  return previous;
}

export interface OpenSessionOptions {
  /** Model id for messages (e.g. `isnet-anime`). */
  modelId: string;
  /** Input names the code feeds; a model without them is rejected with a clear error. */
  expectInputs?: readonly string[];
  /** Threads for one op; default: {@link setDefaultIntraOpThreads}'s value, else all cores. */
  intraOpThreads?: number;
  /**
   * Let idle intra-op threads spin-wait for work (onnxruntime's default, true). false yields the CPU
   * instead: on a busy 2-core machine PP-OCRv4 det at 960² took 274-287 ms without spinning vs 406 ms
   * with it (2 threads; measured while other jobs shared the cores).
   */
  allowSpinning?: boolean;
}

/** Opens (once per path) an ONNX session on the CPU; throws TL_ERR_MODEL_MISSING when the file is absent, unloadable or lacks an expected input. */
export function openOnnxSession(path: string, given: OpenSessionOptions): Promise<OnnxSession> {
  const threads = given.intraOpThreads ?? defaultIntraOpThreads;
  const options: OpenSessionOptions = threads ? { ...given, intraOpThreads: threads } : given;
  const helpers = inferenceThreads?.threads;
  const key = `${path}#${options.intraOpThreads ?? 0}#${options.allowSpinning === false ? 'nospin' : 'spin'}${helpers ? THREADED_KEY : ''}`;
  let session = sessions.get(key);
  if (!session) {
    session = createSession(path, options, helpers && { helpers, key });
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  return session;
}

/** onnxruntime session options for `options`: the one place they are built, for this thread and the helpers. */
function sessionOptions(options: OpenSessionOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(options.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}

/**
 * A session opened on the inference threads: `run` goes to the least busy one. The threads only make
 * prep faster: when none is left (they could not start, or exited), the session opens and runs on
 * this thread instead.
 */
async function openOnHelpers(
  helpers: InferenceThreads,
  key: string,
  path: string,
  options: OpenSessionOptions,
): Promise<OnnxSession> {
  let here: Promise<ort.InferenceSession> | undefined;
  const openHere = () => {
    here ??= ort.InferenceSession.create(path, sessionOptions(options));
    return here;
  };
  let model: OpenedModel;
  try {
    model = await helpers.open(key, path, sessionOptions({ ...options, intraOpThreads: options.intraOpThreads ?? 1 }));
  } catch (error) {
    if (error instanceof InferenceThreadLostError) return openHere();
    throw error;
  }
  return {
    ...model,
    run: (feeds) =>
      helpers.run(key, feeds, ort.Tensor).catch(async (error: unknown) => {
        if (error instanceof InferenceThreadLostError) return (await openHere()).run(feeds);
        throw error;
      }),
  };
}

async function createSession(
  path: string,
  options: OpenSessionOptions,
  onHelpers?: { helpers: InferenceThreads; key: string },
): Promise<OnnxSession> {
  if (!existsSync(path)) {
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${options.modelId}: model file not found at ${path}. Run: toonlora models pull ${options.modelId}`,
      { details: { model: options.modelId, path }, fix: { kind: 'pull-model', id: options.modelId } },
    );
  }
  let session: OnnxSession;
  try {
    session = onHelpers
      ? await openOnHelpers(onHelpers.helpers, onHelpers.key, path, options)
      : await ort.InferenceSession.create(path, sessionOptions(options));
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `${options.modelId}: ${path} is not a loadable ONNX model (${(error as Error).message}). Delete it and run: toonlora models pull ${options.modelId}`,
      // there but damaged: on the web, Remove it on the Models page, then pull it (the CLI's words are the same)
      { cause: error, details: { model: options.modelId, path }, fix: { kind: 'repull-model', id: options.modelId } },
    );
  }
  for (const name of options.expectInputs ?? []) {
    if (!session.inputNames.includes(name)) {
      throw new ToonloraError(
        'TL_ERR_MODEL_MISSING',
        `${options.modelId}: ${path} has inputs [${session.inputNames.join(', ')}], expected "${name}". Is this the right model file?`,
        { details: { model: options.modelId, path } },
      );
    }
  }
  return session;
}

/**
 * Releases every cached session (after their pending opens settle) and empties the cache. An
 * analysis worker calls this before it exits: onnxruntime-node aborts the whole process when a
 * thread's environment goes away under a session call still in flight (microsoft/onnxruntime#24486,
 * and the terminate crash seen here), so workers end themselves at a quiet point instead.
 */
export async function releaseOnnxSessions(): Promise<void> {
  const open = [...sessions.values()];
  sessions.clear();
  for (const pending of open) {
    const session = await pending.catch(() => undefined);
    // (sessions on inference threads have no `release`: their threads release them when closed)
    await (session as Partial<ort.InferenceSession> | undefined)?.release?.().catch(() => undefined);
  }
}

/** float32 tensor of the given shape (data is used as-is, not copied). */
export function float32Tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

/** Runs a session and returns its outputs by name. */
export async function runOnnx(
  session: OnnxSession,
  feeds: Record<string, ort.Tensor>,
): Promise<Readonly<Record<string, ort.Tensor>>> {
  return session.run(feeds);
}
