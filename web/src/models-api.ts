// web/src/models-api.ts — the Models page's API calls: the registry models and their disk state, starting and
// cancelling a pull, removing a model, and following a pull's server-sent events (each a whole snapshot, read and
// tracked by components/pull-follow.ts), reconnected with the job streams' backoff until the pull ends; and the
// message that tells the other pages of this browser (the Train page's base list) that a model was just pulled.
import type { ModelPull, ModelRemoved, ModelRow } from '../../src/schemas/models-api.js';
import { request } from './api.js';
import { FOLLOW_START, type FollowState, reconnectDelayMs } from './components/job-follow.js';
import { followStateAfterPull, readPullMessage } from './components/pull-follow.js';

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
 * after the job streams' backoff (reconnectDelayMs), and the server sends the current snapshot first.
 */
export function followPull(id: string, on: PullStreamHandlers): () => void {
  let state: FollowState = FOLLOW_START;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const handle = (message: MessageEvent<string>) => {
    const read = readPullMessage(id, message.data);
    if (!read.ok) return on.unreadable(read.problem);
    const next = followStateAfterPull(state, read.pull);
    state = next.state;
    if (next.fresh) on.pull(read.pull);
  };
  const open = () => {
    if (stopped) return;
    const current = new EventSource(`/api/models/${encodeURIComponent(id)}/pull/stream`);
    source = current;
    current.addEventListener('pull', handle as EventListener);
    current.onerror = () => {
      current.close();
      const delay = reconnectDelayMs(state);
      if (stopped || delay === null) return;
      state = { ...state, failures: state.failures + 1 };
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
