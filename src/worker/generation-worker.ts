// src/worker/generation-worker.ts — `GenerationWorker`, the warm generation worker the server uses: one long-lived
// Python process that loads the base model once, swaps LoRAs per request (keeping the last few loaded) and answers
// requests one at a time, in order, routed by id; a deleted LoRA is unloaded from it; a worker silent past its
// allowance is killed (SPEC §5). One request's options, LoRA choice and result are generate.ts's.
import { resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { type BaseModelOptions, sd15ConfigDir, workerBaseModel } from '../models/base-model.js';
import { errorInGivenBaseWords } from '../models/base-revision.js';
import type { CacheOptions } from '../models/cache.js';
import {
  chooseLoraFile,
  type GenerateOptions,
  type GenerationResult,
  requestFor,
  resultFrom,
  stoppedResult,
} from './generate.js';
import { checkedSilence, silentWorkerError } from './generate-silence.js';
import { type CancelledEvent, type DoneEvent, PROTOCOL_VERSION, type ProgressEvent } from './protocol.js';
import { defaultWorkerSpawn, errorFromEvent, WorkerProcess, type WorkerSpawn } from './python-worker.js';
import { SilenceWatchdog, type WorkerSilenceLimits } from './silence-watchdog.js';

/** How long closing a worker killed for its silence waits for its exit before the next job goes on without it. */
const STALLED_EXIT_WAIT_MS = 10_000;

interface Pending {
  resolve: (answer: DoneEvent | CancelledEvent) => void;
  reject: (error: Error) => void;
  onEvent?: ((event: ProgressEvent) => void) | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * What `GenerationWorker.generate` takes: `onEvent` gets this request's `progress` (one per sampling step),
 * `onWarning` the message of each `warn` log the worker tags with this request's id (e.g. a prompt longer
 * than CLIP reads); aborting `signal` cancels the request in the worker at its next sampling step (the
 * base stays loaded).
 */
export type WarmGenerateOptions = Omit<GenerateOptions, 'onEvent' | 'spawn'> & {
  readonly onEvent?: (event: ProgressEvent) => void;
  readonly onWarning?: (message: string) => void;
};

/**
 * A warm generation worker: `start()` loads the base model once; each `generate()` swaps the LoRA
 * (load_lora_weights once per file, then set_adapters) and samples. Requests run one at a time, in order.
 */
export class GenerationWorker {
  readonly baseModel: string;
  private worker: WorkerProcess | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private ready: Promise<{ loadSeconds: number; device: string }> | undefined;
  /** Why the process is gone (exited, killed, broke the protocol), once it is. */
  private endedWith: Error | undefined;

  /** How the base-model name is read: `fromApi` for a server's worker (base-model.ts). */
  private readonly baseOptions: BaseModelOptions;
  private readonly silence: WorkerSilenceLimits | undefined;
  /** Runs while the worker owes an answer (the base load, a request): a silent worker is killed. */
  private readonly watchdog = new SilenceWatchdog((limitMs) => this.stopSilent(limitMs));
  /** Until the first sampling step of its first request, the worker gets the cold (load) allowance. */
  private cold = true;
  /** How long close() waits for a worker killed for its silence to exit (STALLED_EXIT_WAIT_MS; tests shorten it). */
  private readonly stalledExitWaitMs: number;
  /** Fails the base load and every request in flight with the worker's end (set by start()). */
  private failAll: ((error: Error) => void) | undefined;
  /**
   * The files the worker was sent for each LoRA file asked for (its own path or a diffusers-format copy), by the
   * asked-for file's absolute path: what unloadLora() names.
   */
  private readonly sentLoras = new Map<string, Set<string>>();

  /**
   * `options.apiBaseModel`: the base model came over the API, so it is never a local path. `options.silence`: how
   * long the worker may send nothing while it owes an answer before it is killed and its requests fail
   * (TL_ERR_WORKER, `details.silentS`); left out, it is waited for however long it takes. `options.stalledExitWaitMs`:
   * how long close() waits for such a killed worker to exit (default 10 s: one stuck in the GPU driver may never).
   * `options.modelCache`: where the base model and the LoRA copies are looked for (a server's `modelCache`);
   * default this process's environment.
   */
  constructor(
    baseModel: string,
    private readonly spawnSpec?: WorkerSpawn,
    options: {
      apiBaseModel?: boolean;
      silence?: WorkerSilenceLimits;
      stalledExitWaitMs?: number;
      modelCache?: CacheOptions;
    } = {},
  ) {
    this.stalledExitWaitMs = options.stalledExitWaitMs ?? STALLED_EXIT_WAIT_MS;
    this.baseModel = baseModel;
    this.baseOptions = { ...options.modelCache, fromApi: options.apiBaseModel ?? false };
    // a bad limit in code fails here, not as a RangeError at the first job
    this.silence = options.silence && checkedSilence(options.silence);
  }

  /** Starts the worker and resolves once the base model is loaded (seconds it took, device). */
  start(): Promise<{ loadSeconds: number; device: string }> {
    this.ready ??= new Promise((resolveReady, rejectReady) => {
      const baseModel = workerBaseModel(this.baseModel, this.baseOptions); // may throw: before any spawn
      const worker = new WorkerProcess(
        this.spawnSpec ?? defaultWorkerSpawn('serve-generation'),
        'serve-generation',
        (event) => {
          this.watchdog.touch(); // any line is a sign of life; a stuck worker sends none
          if (event.type === 'ready') {
            resolveReady({ loadSeconds: event.load_s, device: event.device });
            if (this.pending.size === 0) this.watchdog.disarm();
          } else if (event.type === 'progress') {
            if (this.cold && event.id && this.pending.has(event.id)) this.warmUp();
            // Routed by id: a step of another (or an unknown) request never moves this one's progress.
            if (event.id) this.pending.get(event.id)?.onEvent?.(event);
          } else if (event.type === 'log') {
            // Likewise by id; info/debug lines and untagged ones (the base load) concern no request's job.
            if (event.level === 'warn' && event.id) this.pending.get(event.id)?.onWarning?.(event.message);
          } else if (
            event.type === 'done' ||
            event.type === 'error' ||
            (event.type === 'cancelled' && event.id)
          ) {
            const pending = event.id ? this.pending.get(event.id) : undefined;
            const error =
              event.type === 'error'
                ? errorInGivenBaseWords(errorFromEvent(event, 'serve-generation'), this.baseModel)
                : undefined;
            if (!pending) {
              if (error) rejectReady(error); // an error before `ready`: the base model did not load
              return;
            }
            this.pending.delete(event.id ?? '');
            if (this.pending.size === 0) this.watchdog.disarm();
            if (error) pending.reject(error);
            else if (event.type !== 'error') pending.resolve(event);
          }
        },
      );
      this.worker = worker;
      const failAll = (error: Error): void => {
        this.watchdog.disarm();
        this.endedWith ??= error; // a worker the watchdog killed keeps its reason, not "killed by SIGKILL"
        rejectReady(this.endedWith);
        for (const pending of this.pending.values()) pending.reject(this.endedWith);
        this.pending.clear();
      };
      this.failAll = failAll;
      worker.exited.then((exit) => failAll(worker.diedError(exit)), failAll);
      if (this.silence) this.watchdog.arm(this.silence.loadS * 1000);
      worker.send({
        version: PROTOCOL_VERSION,
        command: 'serve-generation',
        base_model: baseModel,
        sd15_config_dir: sd15ConfigDir(this.baseOptions),
      });
    });
    return this.ready;
  }

  /** Whether the started process has ended (it then answers no request: start another worker). */
  get ended(): boolean {
    return this.endedWith !== undefined;
  }

  /**
   * Generates with `lora` at `config.loraWeight`; the config's baseModel must be this worker's.
   * `options.onEvent` receives this request's `progress` events (step/total = sampling step/steps),
   * `options.onWarning` its warnings.
   * Aborting `options.signal` sends the worker `cancel`: the result then has `stopped` and no images.
   */
  async generate(options: WarmGenerateOptions): Promise<GenerationResult> {
    const lora = await chooseLoraFile(options.lora, options.loraName, this.baseOptions);
    if (options.config.baseModel !== this.baseModel) {
      throw new ToonloraError(
        'TL_ERR_CONFLICT',
        `baseModel: this generation worker holds ${this.baseModel}, got ${options.config.baseModel}. Start another worker for that base.`,
      );
    }
    await this.start();
    // a process that ended while idle would never answer: the request would wait for good
    if (this.endedWith) throw this.endedWith;
    if (options.lora && lora) this.rememberSent(options.lora, lora.path);
    const id = `g${this.nextId++}`;
    const answer = new Promise<DoneEvent | CancelledEvent>((resolveAnswer, rejectAnswer) => {
      this.pending.set(id, {
        resolve: resolveAnswer,
        reject: rejectAnswer,
        onEvent: options.onEvent,
        onWarning: options.onWarning,
      });
    });
    if (this.silence && !this.watchdog.armed) {
      this.watchdog.arm((this.cold ? this.silence.loadS : this.silence.requestS) * 1000);
    }
    this.worker?.send(requestFor({ ...options, ...(lora ? { lora: lora.path } : {}) }, id, this.baseOptions));
    const cancel = () => this.worker?.send({ version: PROTOCOL_VERSION, command: 'cancel', id });
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      const event = await answer;
      return event.type === 'cancelled' ? stoppedResult(event) : resultFrom(event, lora, 'serve-generation');
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  /**
   * Forgets the LoRA file at `lora` (a LoRA deleted on the server): the worker drops the adapters it loaded from it
   * (or from its diffusers-format copy), freeing their memory, once the requests sent before are done. Nothing is
   * sent for a file this worker was never asked for, nor to a worker that has ended.
   */
  unloadLora(lora: string): void {
    const asked = resolve(lora);
    const sent = this.sentLoras.get(asked) ?? new Set<string>();
    this.sentLoras.delete(asked);
    if (this.endedWith) return;
    for (const path of sent)
      this.worker?.send({ version: PROTOCOL_VERSION, command: 'unload_lora', lora: path });
  }

  private rememberSent(asked: string, sent: string): void {
    const key = resolve(asked);
    this.sentLoras.set(key, (this.sentLoras.get(key) ?? new Set<string>()).add(resolve(sent)));
  }

  /** The first sampling step of the first request came: from now on the worker gets the request allowance. */
  private warmUp(): void {
    this.cold = false;
    if (this.silence) this.watchdog.arm(this.silence.requestS * 1000);
  }

  /**
   * The watchdog's verdict: the worker sent nothing for `limitMs` while it owed an answer. It is killed (its whole
   * process group), and the base load and every request in flight fail with TL_ERR_WORKER saying so; the warm
   * service then starts a fresh worker for the next job.
   */
  private stopSilent(limitMs: number): void {
    const loading = this.pending.size === 0;
    this.endedWith ??= silentWorkerError('serve', limitMs / 1000, loading || this.cold, loading);
    this.worker?.kill();
    // now, not once it has exited: a process stuck in the GPU driver may outlive SIGKILL for good
    this.failAll?.(this.endedWith);
  }

  /** Asks the worker to exit and waits for it. */
  async close(): Promise<void> {
    this.watchdog.disarm();
    if (!this.worker) return;
    this.worker.send({ version: PROTOCOL_VERSION, command: 'shutdown' });
    this.worker.closeInput();
    const exited = this.worker.exited.then(
      () => {},
      () => {},
    );
    if (!this.stalled) return exited;
    // killed for its silence: waited for a while only, so that the next job is not held by a process that
    // does not die (uninterruptible in the GPU driver); it then starts its own worker
    let timer: NodeJS.Timeout | undefined;
    const given = new Promise<void>((done) => {
      timer = setTimeout(done, this.stalledExitWaitMs);
    });
    await Promise.race([exited, given]).finally(() => clearTimeout(timer));
  }

  /** Whether the watchdog stopped this worker for its silence. */
  get stalled(): boolean {
    return this.endedWith instanceof ToonloraError && this.endedWith.details.stalled === true;
  }
}
