// src/vision/inference-threads.ts — onnxruntime sessions run on helper threads. onnxruntime-node runs
// a session synchronously on the thread that calls it (its promise settles only after the whole
// run), so during a network the calling thread can do nothing else. Through these helpers a run goes
// to the least busy helper thread, and the calling thread works on another file meanwhile (prep
// analyses several files at once on its own thread this way; bench/prep-speed.ts measures it).
// Each helper opens every model of the run (eagerly, so a bad model fails when the stages open),
// runs one request at a time, and ends only once idle and told to: onnxruntime-node aborts the
// process when a thread goes away under a call in flight (see onnx.ts, releaseOnnxSessions). A helper
// that cannot start or exits fails its requests with InferenceThreadLostError, and onnx.ts then runs
// those sessions on the calling thread: the helpers make prep faster, never make it fail.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';

/** What a helper reports about a model it opened (the same fields as an InferenceSession's). */
export interface OpenedModel {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
}

/** onnxruntime session options, as onnx.ts builds them (plain data: they are sent to the helpers). */
export type HelperSessionOptions = ort.InferenceSession.SessionOptions;

/** A tensor as it crosses between threads. */
interface PlainTensor {
  readonly type: ort.Tensor.Type;
  readonly dims: readonly number[];
  readonly data: ort.Tensor.DataType;
}

type HelperRequest =
  | {
      readonly type: 'open';
      readonly id: number;
      readonly key: string;
      readonly path: string;
      readonly options: HelperSessionOptions;
    }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly key: string;
      readonly feeds: Record<string, PlainTensor>;
    }
  | { readonly type: 'close' };

type HelperReply =
  | { readonly type: 'opened'; readonly id: number; readonly model: OpenedModel }
  | { readonly type: 'ran'; readonly id: number; readonly outputs: Record<string, PlainTensor> }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

// The helper's code: plain CommonJS (no TypeScript loader), so a helper starts in ~0.1 s.
const HELPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.onnxruntime);
const sessions = new Map();
const reply = (message, transfer) => parentPort.postMessage(message, transfer);
async function open({ id, key, path, options }) {
  let session = sessions.get(key);
  if (!session) {
    session = ort.InferenceSession.create(path, options);
    sessions.set(key, session);
    session.catch(() => sessions.delete(key));
  }
  const { inputNames, outputNames, inputMetadata } = await session;
  reply({ type: 'opened', id, model: { inputNames, outputNames, inputMetadata } });
}
async function run({ id, key, feeds }) {
  const session = await sessions.get(key);
  if (!session) throw new Error('model ' + key + ' was not opened on this helper thread');
  const inputs = {};
  for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(t.type, t.data, t.dims);
  const results = await session.run(inputs);
  const outputs = {};
  const transfer = [];
  for (const [name, t] of Object.entries(results)) {
    outputs[name] = { type: t.type, dims: t.dims, data: t.data };
    if (t.data.buffer instanceof ArrayBuffer && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
  }
  reply({ type: 'ran', id, outputs }, transfer);
}
async function close() {
  for (const pending of sessions.values()) {
    const session = await pending.catch(() => undefined);
    await session?.release().catch(() => undefined);
  }
  sessions.clear();
  parentPort.close();
}
let busy = Promise.resolve();
parentPort.on('message', (request) => {
  busy = busy.then(async () => {
    if (request.type === 'close') return close();
    try {
      await (request.type === 'open' ? open(request) : run(request));
    } catch (error) {
      reply({ type: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) });
    }
  });
});
`;

/**
 * A request that failed because its helper thread is gone (not because of the model or the feeds):
 * the caller may do the work on its own thread instead (onnx.ts does).
 */
export class InferenceThreadLostError extends Error {}

/** How long `close` waits for a helper to finish and exit before stopping it hard. */
const CLOSE_TIMEOUT_MS = 60_000;

interface Helper {
  readonly worker: Worker;
  /** Requests sent and not yet answered. */
  pending: number;
  /** Why it can no longer work, once it exited. */
  lost?: string;
  readonly exited: Promise<void>;
}

/** Helper threads for onnxruntime sessions; see the file comment. */
export class InferenceThreads {
  readonly #helpers: Helper[];
  /** Unanswered requests by id, with the helper each went to (they fail when it is lost). */
  readonly #waiting = new Map<
    number,
    { helper: Helper; resolve: (reply: HelperReply) => void; reject: (error: Error) => void }
  >();
  #nextId = 0;
  #closed = false;

  /**
   * Starts `count` helper threads (at least 1), each loading `runtime` (onnxruntime-node's entry
   * file; tests pass a broken one).
   */
  constructor(count: number, runtime = createRequire(import.meta.url).resolve('onnxruntime-node')) {
    this.#helpers = Array.from({ length: Math.max(1, count) }, () => this.#start(runtime));
  }

  #start(onnxruntime: string): Helper {
    const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { onnxruntime } });
    worker.unref(); // only requests in flight keep the process alive (see #send)
    let markExited!: () => void;
    const helper: Helper = { worker, pending: 0, exited: new Promise((resolve) => (markExited = resolve)) };
    worker.on('message', (reply: HelperReply) => {
      const slot = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      this.#settled(helper);
      slot?.resolve(reply);
    });
    worker.on('error', (error) => {
      helper.lost ??= `an inference thread failed (${error.message})`;
    });
    worker.once('exit', (code) => {
      helper.lost ??= `an inference thread exited (code ${code})`;
      markExited();
      for (const [id, slot] of this.#waiting) {
        if (slot.helper === helper) {
          this.#waiting.delete(id);
          slot.reject(new InferenceThreadLostError(helper.lost));
        }
      }
    });
    return helper;
  }

  #settled(helper: Helper): void {
    helper.pending--;
    if (helper.pending === 0) helper.worker.unref();
  }

  #send(helper: Helper, request: Exclude<HelperRequest, { type: 'close' }>): Promise<HelperReply> {
    if (helper.lost) return Promise.reject(new InferenceThreadLostError(helper.lost));
    helper.pending++;
    helper.worker.ref();
    return new Promise<HelperReply>((resolve, reject) => {
      this.#waiting.set(request.id, { helper, resolve, reject });
      helper.worker.postMessage(request);
    });
  }

  /**
   * Opens `path` on every helper still there (under `key`: the same key runs the same session).
   * @throws Error with onnxruntime's message when a helper cannot load it;
   *   InferenceThreadLostError when no helper is left to open it.
   */
  async open(key: string, path: string, options: HelperSessionOptions): Promise<OpenedModel> {
    if (this.#closed) throw new Error('the inference threads were closed');
    const replies = await Promise.allSettled(
      this.#helpers.map((helper) =>
        this.#send(helper, { type: 'open', id: this.#nextId++, key, path, options }),
      ),
    );
    let lost: unknown;
    let opened: OpenedModel | undefined;
    for (const result of replies) {
      if (result.status === 'rejected') lost ??= result.reason;
      else if (result.value.type === 'failed') throw new Error(result.value.message);
      else if (result.value.type === 'opened') opened ??= result.value.model;
    }
    if (opened) return opened;
    throw lost instanceof Error ? lost : new InferenceThreadLostError('no inference thread answered the open');
  }

  /** Runs the session opened under `key` on the least busy helper; `Tensor` rebuilds the outputs. */
  async run(
    key: string,
    feeds: Readonly<Record<string, ort.Tensor>>,
    Tensor: typeof ort.Tensor,
  ): Promise<Record<string, ort.Tensor>> {
    if (this.#closed) throw new Error('the inference threads were closed');
    const helper = this.#helpers
      .filter((h) => !h.lost)
      .reduce<Helper | undefined>((best, h) => (!best || h.pending < best.pending ? h : best), undefined);
    if (!helper) throw new InferenceThreadLostError(this.#helpers[0]?.lost ?? 'no inference thread is left');
    const plain: Record<string, PlainTensor> = {};
    // (the input data is copied to the helper: callers may reuse their buffers at once)
    for (const [name, tensor] of Object.entries(feeds))
      plain[name] = { type: tensor.type, dims: tensor.dims, data: tensor.data };
    const reply = await this.#send(helper, { type: 'run', id: this.#nextId++, key, feeds: plain });
    if (reply.type === 'failed') throw new Error(reply.message);
    if (reply.type !== 'ran') throw new Error('an inference thread answered a run with something else');
    const outputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(reply.outputs)) {
      outputs[name] = new Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    }
    return outputs;
  }

  /** Lets every helper finish its requests, release its sessions and exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#helpers.map(async (helper) => {
        if (helper.lost) return;
        helper.worker.ref();
        helper.worker.postMessage({ type: 'close' } satisfies HelperRequest);
        const stuck = setTimeout(() => void helper.worker.terminate(), CLOSE_TIMEOUT_MS);
        stuck.unref();
        await helper.exited;
        clearTimeout(stuck);
      }),
    );
  }
}
