// web/src/models-api.ts — the Models page's API calls: the registry models and their disk state, starting and
// cancelling a pull, removing a model, and following a pull's server-sent events (each a whole snapshot, read through the
// schema), reconnected with the job streams' backoff until the pull ends; and the message that tells the
// other pages of this browser (the Train page's base list) that a model was just pulled.
import {
  type ModelPull,
  type ModelRemoved,
  type ModelRow,
  modelPullSchema,
} from '../../src/schemas/models-api.js';
import { request } from './api.js';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS } from './components/job-follow.js';
import { isPullActive } from './components/model-pull-view.js';

export const modelsApi = {
  list: () => request<{ models: ModelRow[] }>('GET', '/api/models').then((r) => r.models),
  /** Starts the pull (a Hub repo at `revision`, default main), or gets the one already running. */
  pull: (id: string, revision?: string) =>
    request<ModelPull>(
      'POST',
      `/api/models/${encodeURIComponent(id)}/pull${revision === undefined ? '' : `?revision=${encodeURIComponent(revision)}`}`,
    ),
  cancel: (id: string) => request<ModelPull>('DELETE', `/api/models/${encodeURIComponent(id)}/pull`),
  /** Removes the model from the server's disk (`toonlora models rm`); answers the bytes freed. */
  remove: (id: string) => request<ModelRemoved>('DELETE', `/api/models/${encodeURIComponent(id)}`),
};

/** The BroadcastChannel on which this browser's pages hear that a model finished pulling. */
export const MODELS_CHANNEL = 'toonlora-models';

/** Tells this browser's other pages and tabs that model `id` was pulled (the Train page re-reads its bases). */
export function announcePulled(id: string): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(MODELS_CHANNEL);
  channel.postMessage({ pulled: id });
  channel.close();
}

/** Calls `onPulled` when a page of this browser announces a pull; returns the function that stops listening. */
export function onModelPulled(onPulled: () => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => {};
  const channel = new BroadcastChannel(MODELS_CHANNEL);
  channel.onmessage = () => onPulled();
  return () => channel.close();
}

/** What followPull calls back with. */
export interface PullStreamHandlers {
  /** Each snapshot newer than the last one seen. */
  pull: (pull: ModelPull) => void;
  /** A message the schema does not accept: a sentence saying so, to show. */
  unreadable: (problem: string) => void;
}

/**
 * Follows the pull of model `id` until it ends; returns the function that stops following. The server ends
 * the stream after the final snapshot; when it breaks before one (a dropped connection), it is opened again
 * after a backoff (0.5 s doubling to 15 s), and the server sends the current snapshot first.
 */
export function followPull(id: string, on: PullStreamHandlers): () => void {
  let lastSeq = 0;
  let ended = false;
  let failures = 0;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const handle = (message: MessageEvent<string>) => {
    let parsed: ReturnType<typeof modelPullSchema.safeParse>;
    try {
      parsed = modelPullSchema.safeParse(JSON.parse(message.data));
    } catch {
      on.unreadable(
        `The server sent a pull event for ${id} this page cannot read (not JSON). Reload the page.`,
      );
      return;
    }
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'the event'}: ${i.message}`);
      on.unreadable(
        `The server sent a pull event for ${id} this page cannot read (${issues.join('; ')}); reload the page; if this stays, the server and the web app are from different versions.`,
      );
      return;
    }
    failures = 0;
    if (parsed.data.seq <= lastSeq) return;
    lastSeq = parsed.data.seq;
    ended = !isPullActive(parsed.data);
    on.pull(parsed.data);
  };
  const open = () => {
    if (stopped) return;
    const current = new EventSource(`/api/models/${encodeURIComponent(id)}/pull/stream`);
    source = current;
    current.addEventListener('pull', handle as EventListener);
    current.onerror = () => {
      current.close();
      if (stopped || ended) return;
      const delay = Math.min(RECONNECT_BASE_MS * 2 ** failures, RECONNECT_MAX_MS);
      failures += 1;
      timer = setTimeout(open, delay);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
