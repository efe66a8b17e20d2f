// web/src/components/hub-repo-input.ts — what the Models page's "Pull a Hub repo" field sends (pure): the typed
// text trimmed, or the sentence that says why it is not a Hub repo id, before any request. A Hub page's address
// (https://huggingface.co/owner/name, /tree/<rev>, /blob/<rev>/<file>) is read as its id and its revision
// (src/models/hub-address.ts, as `models pull URL` reads it), since users paste those.
// The server checks the id again (src/models/hub-pull.ts isHubRepoId) and the repo's layout, and the optional
// revision (hub-revision.ts checkRevision). The fields are cleared once the pull succeeds, never on a refusal.

import { parseHubAddress } from '../../../src/models/hub-address.js';

/** The `owner/name` of a Hub repo, or the problem to show under the field. */
export type HubRepoInput = { repo: string; problem: null } | { repo: null; problem: string };

const REPO_ID = /^[\w.-]+\/[\w.-]+$/;

export function readHubRepoInput(text: string): HubRepoInput {
  const typed = text.trim();
  const repo = parseHubAddress(typed)?.repo ?? typed;
  const dotted = repo.split('/').some((part) => part === '.' || part === '..');
  if (REPO_ID.test(repo) && !dotted) return { repo, problem: null };
  return {
    repo: null,
    problem:
      typed === ''
        ? 'Type a Hugging Face Hub repo id, owner/name (a diffusers SD1.5 model, e.g. stable-diffusion-v1-5/stable-diffusion-v1-5).'
        : `"${typed.slice(0, 120)}" is not a Hub repo id: write it as owner/name (letters, digits, _ - .), e.g. stable-diffusion-v1-5/stable-diffusion-v1-5.`,
  };
}

/**
 * The revision a pasted Hub address shows (`…/tree/v1.0`, `…/blob/<sha>/x`), for the Revision field to take; undefined
 * for an id or an address without one (the field is left as the user set it).
 */
export function revisionOfHubAddress(text: string): string | undefined {
  return parseHubAddress(text)?.revision;
}

/** The revision field's text: a branch, tag or commit sha trimmed, or undefined (main) when empty. */
export function readHubRevisionInput(text: string): string | undefined {
  const typed = text.trim();
  return typed === '' ? undefined : typed;
}

/**
 * What the form does with its fields once the pull it started (`pending`: the model the server named, null: none)
 * moves on: `clear` when that pull succeeded, `keep` (and stop waiting) when it was refused, failed or stopped, so
 * the user can fix the text and try again, else `wait`.
 */
export function fieldsAfterPull(
  pending: string | null,
  outcome: { repo: string; active: boolean; succeeded: boolean } | null,
): 'clear' | 'keep' | 'wait' {
  if (pending === null || outcome === null || outcome.repo !== pending || outcome.active) return 'wait';
  return outcome.succeeded ? 'clear' : 'keep';
}
