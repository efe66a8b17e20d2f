// web/src/components/pull-follow.ts — following a model pull's event stream (pure): each message read through
// modelPullSchema (one the page cannot read becomes a sentence to show), which snapshot is new, and whether and
// when to open the stream again after it broke: the job streams' FollowState and reconnectDelayMs, with a pull
// that is no longer active as the final state.
import { type ModelPull, modelPullSchema } from '../../../src/schemas/models-api.js';
import type { FollowState } from './job-follow.js';
import { isPullActive } from './model-pull-view.js';

/** A pull stream message read: the snapshot, or a sentence saying why the page cannot read it. */
export type PullMessageRead = { ok: true; pull: ModelPull } | { ok: false; problem: string };

/**
 * Parses one `pull` event's data (of model `id`'s stream) with modelPullSchema. Data that is not JSON or not a
 * snapshot the schema knows (a server of another version) comes back as a sentence for the user naming the
 * model, the fields at fault and what to do, not as an error thrown in the listener.
 */
export function readPullMessage(id: string, data: string): PullMessageRead {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return {
      ok: false,
      problem: `The server sent a pull event for ${id} this page cannot read (not JSON). Reload the page.`,
    };
  }
  const parsed = modelPullSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'the event'}: ${i.message}`);
    return {
      ok: false,
      problem: `The server sent a pull event for ${id} this page cannot read (${issues.join('; ')}); reload the page; if this stays, the server and the web app are from different versions.`,
    };
  }
  return { ok: true, pull: parsed.data };
}

/**
 * `state` after a snapshot arrived: any snapshot read resets the reconnect backoff (the stream delivers again;
 * after a reconnect the server sends the current one first). `fresh` is false for one not newer than the last
 * seen (that replay is not shown again); a fresh one that is no longer active (done, failed, cancelled) is final.
 */
export function followStateAfterPull(
  state: FollowState,
  pull: ModelPull,
): { state: FollowState; fresh: boolean } {
  if (pull.seq <= state.lastSeq) return { state: { ...state, failures: 0 }, fresh: false };
  return { state: { lastSeq: pull.seq, final: !isPullActive(pull), failures: 0 }, fresh: true };
}
