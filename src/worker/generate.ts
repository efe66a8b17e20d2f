// src/worker/generate.ts — image generation through the Python worker: `runGeneration` (one request,
// one process) and `GenerationWorker`, a long-lived process that loads the base model once and swaps
// LoRAs per request (what the server's warm worker uses; SPEC §5).
import { join, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { type DiffusersLoraChoice, loraFileForDiffusers } from '../lora/diffusers-copy.js';
import { type BaseModelOptions, sd15ConfigDir, workerBaseModel } from '../models/base-model.js';
import { errorInGivenBaseWords } from '../models/base-revision.js';
import { type CacheOptions, toonloraHome } from '../models/cache.js';
import { checkOutputFolder } from '../output-folder.js';
import type { GenerationConfig } from '../schemas/config.js';
import {
  type CancelledEvent,
  type DoneEvent,
  type GenerateRequest,
  generateDoneSchema,
  loraNameSchema,
  PROTOCOL_VERSION,
  type ProgressEvent,
  type WorkerEvent,
} from './protocol.js';
import {
  defaultWorkerSpawn,
  errorFromEvent,
  parseDone,
  runWorker,
  type WorkerOutcome,
  WorkerProcess,
  type WorkerSpawn,
} from './python-worker.js';
import { checkedSilence, silentWorkerError } from './generate-silence.js';
import { checkLoraPath, GENERATE_OUTPUT_HINT } from './lora-input-check.js';
import { SilenceWatchdog, type WorkerSilenceLimits } from './silence-watchdog.js';

export interface GenerateOptions {
  /** kohya / diffusers LoRA file; left out, the bare base model. */
  readonly lora?: string;
  /**
   * The LoRA's name for the images' WebUI text (`<lora:name:weight>`, `Lora hashes`); left out, the file's stem
   * (a server passes its artifact name: its stored file is `<uuid>.safetensors`).
   */
  readonly loraName?: string;
  readonly outputDir: string;
  /** The resolved generation config (prompt, seeds, weight, scheduler, ...). */
  readonly config: GenerationConfig;
  readonly onEvent?: (event: WorkerEvent) => void;
  readonly signal?: AbortSignal;
  readonly spawn?: WorkerSpawn;
  /**
   * One-shot runs: how long the worker may send nothing (the load allowance until its first sampling step, the
   * request one between later events) before it is killed and the run fails (TL_ERR_WORKER, `details.silentS`);
   * left out, it is waited for however long it takes.
   */
  readonly silence?: WorkerSilenceLimits;
}

export interface GenerationResult {
  /** One PNG per seed, in seed order. */
  readonly images: readonly string[];
  /** All seeds side by side, when there are several. */
  readonly grid: string | null;
  /**
   * Seconds: base load (one-shot runs), LoRA load/swap, and sampling + decoding; `lora_copy_s` when the
   * LoRA was loaded from a converted copy: making (or finding) the copy, before the LoRA load.
   */
  readonly timings: Readonly<Record<string, number | null>>;
  /** What the user should know about the run (e.g. the LoRA was loaded from a diffusers-format copy). */
  readonly notes: readonly string[];
  /** A warm worker's request cancelled through its `signal`: no images were written. */
  readonly stopped: boolean;
}

/**
 * Where diffusers-format copies of mixed-alpha kohya LoRAs are kept (see src/lora/diffusers-copy.ts): under
 * TOONLORA_HOME of `cache` (a server's `modelCache`), default this process's.
 */
export function diffusersCopyFolder(cache: CacheOptions = {}): string {
  return join(toonloraHome(cache.env, cache.homeDir), 'lora-diffusers');
}

/** The file diffusers loads and the seconds it took to choose it (to convert it, when it needed a copy). */
type ChosenLora = DiffusersLoraChoice & { readonly seconds: number };

/** Checks `lora` and picks the file diffusers loads: the file itself or its diffusers-format copy. */
async function chooseLoraFile(
  lora: string | undefined,
  loraName?: string,
  cache: CacheOptions = {},
): Promise<ChosenLora | undefined> {
  if (lora !== undefined) checkLoraPath(lora);
  checkLoraName(loraName);
  if (lora === undefined) return undefined;
  const started = performance.now();
  const choice = await loraFileForDiffusers(resolve(lora), diffusersCopyFolder(cache));
  return { ...choice, seconds: (performance.now() - started) / 1000 };
}

/** @throws TL_ERR_USAGE for a name the worker's request refuses (empty, a line break). */
function checkLoraName(loraName: string | undefined): void {
  if (loraName === undefined) return;
  const checked = loraNameSchema.safeParse(loraName);
  if (!checked.success) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `LoRA name ${JSON.stringify(loraName)}: expected ${checked.error.issues[0]?.message ?? 'a non-empty name'}.`,
    );
  }
}

function requestFor(
  options: Pick<GenerateOptions, 'lora' | 'loraName' | 'outputDir' | 'config'>,
  id: string | null,
  baseOptions: BaseModelOptions = {},
): GenerateRequest {
  return {
    version: PROTOCOL_VERSION,
    command: 'generate',
    id,
    lora: options.lora ? resolve(options.lora) : null,
    ...(options.lora && options.loraName !== undefined ? { lora_name: options.loraName } : {}),
    output_dir: resolve(options.outputDir),
    config: { ...options.config, baseModel: workerBaseModel(options.config.baseModel, baseOptions) },
    sd15_config_dir: sd15ConfigDir(baseOptions),
  };
}

/** @throws TL_ERR_WORKER_PROTOCOL when `done` (from `label`) lacks the images, the grid or a timing. */
function resultFrom(
  done: WorkerOutcome | DoneEvent,
  lora: ChosenLora | undefined,
  label: 'generate' | 'serve-generation',
): GenerationResult {
  const { artifacts, stats } = parseDone(generateDoneSchema, done, label);
  return {
    images: artifacts.images,
    grid: artifacts.grid,
    // a copy's conversion (or finding it made) happens here, before the worker's LoRA load (swap_s)
    timings: lora?.note ? { ...stats, lora_copy_s: lora.seconds } : stats,
    notes: lora?.note ? [lora.note] : [],
    stopped: false,
  };
}

function stoppedResult(cancelled: CancelledEvent): GenerationResult {
  return { images: [], grid: null, timings: { stopped_at_step: cancelled.step }, notes: [], stopped: true };
}

/**
 * Generates one image per seed (and a grid) in a fresh worker.
 * @throws TL_ERR_USAGE (-o is a file or not writable), TL_ERR_INPUT_NOT_FOUND / TL_ERR_SAFETENSORS (LoRA file), TL_ERR_MODEL_MISSING (base), TL_ERR_WORKER,
 *   TL_ERR_WORKER_PROTOCOL (a `done` without the images), ...
 */
export async function runGeneration(options: GenerateOptions): Promise<GenerationResult> {
  checkOutputFolder(options.outputDir, GENERATE_OUTPUT_HINT);
  const lora = await chooseLoraFile(options.lora, options.loraName);
  const outcome = await runWorker({
    request: requestFor({ ...options, ...(lora ? { lora: lora.path } : {}) }, null),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.spawn ? { spawn: options.spawn } : {}),
    ...(options.silence
      ? {
          silence: {
            limits: checkedSilence(options.silence, 'generate'),
            error: (silentS: number, cold: boolean) => silentWorkerError('generate', silentS, cold, cold),
          },
        }
      : {}),
  }).catch((error: unknown) => {
    throw errorInGivenBaseWords(error, options.config.baseModel); // `--revision v1.0`, not the commit it names
  });
  return resultFrom(outcome, lora, 'generate');
}

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
