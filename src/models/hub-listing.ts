// src/models/hub-listing.ts — lists a Hugging Face repo's files at a revision through the Hub API
// (`/api/models/<repo>/revision/<rev>`, as huggingface_hub's model_info), with `?blobs=true` each file's size
// and an LFS file's sha256 (its `files_metadata=True`); a listing whose names would leave the cache is refused.
import { ToonloraError } from '../errors.js';
import { hfApiRevisionUrl, hfEndpoint } from './cache-paths.js';
import { describeFetchError, httpReason } from './download.js';
import { withCliSteps } from './download-http.js';
import { authHeaders, envOf, fetchOf, hubRefOf, type PullOptions } from './pull-options.js';

/** The repo listed, and what errors say: the model id, and what to do without the Hub. */
export interface ListingTarget {
  /** The id the pull was asked for (a registry id, or the Hub id itself). */
  id: string;
  repo: string;
  revision: string;
  /** Ends the message of a listing that could not be fetched or read (no network, a bad mirror). */
  hint: string;
  /** Ends the message of a listing the Hub refused (an HTTP error status). */
  byHand: string;
  /** Where the repo's files may be placed by hand, kept in the error's details. */
  manualPath?: string;
  /** Ask for each file's size and LFS sha256 (`?blobs=true`). */
  blobs?: boolean;
}

/** One file of a listing; size and sha256 only with `blobs` (sha256 only for LFS files). */
export interface ListedFile {
  path: string;
  sizeBytes?: number;
  sha256?: string;
}

export interface HubListing {
  /** The commit the revision names (the Hub's `sha`), or the revision itself when the answer has none. */
  commit: string;
  paths: string[];
  files: ListedFile[];
}

/** A repository file path from a Hub listing: relative, `/`-separated, no `.` / `..` / empty segments. */
export function isSafeRepoPath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.includes('\\') &&
    !path.startsWith('/') &&
    path.split('/').every((part) => part !== '' && part !== '.' && part !== '..')
  );
}

/** A listing's commit: a 40-hex hash, or a branch-like name with no path in it. */
export function isSafeCommit(commit: unknown): boolean {
  return typeof commit === 'string' && /^[A-Za-z0-9][\w.-]*$/.test(commit) && !commit.includes('..');
}

type Sibling = {
  rfilename?: unknown;
  size?: unknown;
  lfs?: { sha256?: unknown; oid?: unknown; size?: unknown };
};

/** A sibling of the Hub's answer as a ListedFile (`lfs.sha256`, or `lfs.oid` as the tree API names it). */
function listedFileOf(sibling: Sibling): ListedFile[] {
  if (typeof sibling?.rfilename !== 'string') return [];
  const size = typeof sibling.lfs?.size === 'number' ? sibling.lfs.size : sibling.size;
  const sha = sibling.lfs?.sha256 ?? sibling.lfs?.oid;
  return [
    {
      path: sibling.rfilename,
      sizeBytes: typeof size === 'number' && Number.isInteger(size) && size >= 0 ? size : undefined,
      sha256: typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha) ? sha : undefined,
    },
  ];
}

/**
 * The repo's files at `target.revision` and the commit it names.
 * @throws ToonloraError TL_ERR_DOWNLOAD: no network, an HTTP error (401 / 403: gated or private, with how to
 *   give a token; 404: not on the Hub), an answer that is not a JSON listing, or names that leave the cache
 */
export async function listHubRepo(target: ListingTarget, options: PullOptions): Promise<HubListing> {
  const { id, hint } = target;
  const base = hfApiRevisionUrl(hfEndpoint(envOf(options)), target.repo, target.revision);
  const url = target.blobs ? `${base}?blobs=true` : base;
  const details = { model: id, url, ...(target.manualPath ? { manualPath: target.manualPath } : {}) };
  let response: Response;
  try {
    response = await fetchOf(options)(url, { headers: authHeaders(options) });
  } catch (error) {
    const { message, cliSteps } = withCliSteps(
      `${id}: cannot list ${url}: ${describeFetchError(error)}.`,
      hint,
    );
    throw new ToonloraError('TL_ERR_DOWNLOAD', message, { cause: error, details: { ...details, cliSteps } });
  }
  if (!response.ok) {
    await response.body?.cancel();
    const reason = httpReason(response.status, response.statusText, response.headers, {
      ...hubRefOf(target.repo, options),
      revision: target.revision,
    });
    const { message, cliSteps } = withCliSteps(
      `${id}: cannot list ${url}: ${reason}.`,
      target.byHand,
      target.manualPath !== undefined, // a registry model's folder to copy into (else a statement)
    );
    throw new ToonloraError('TL_ERR_DOWNLOAD', message, {
      details: { ...details, status: response.status, cliSteps },
    });
  }
  let body: { sha?: unknown; siblings?: Sibling[] };
  try {
    body = (await response.json()) as typeof body;
  } catch (error) {
    const { message, cliSteps } = withCliSteps(`${id}: ${url} did not answer with a JSON listing.`, hint);
    throw new ToonloraError('TL_ERR_DOWNLOAD', message, { cause: error, details: { ...details, cliSteps } });
  }
  const files = (Array.isArray(body.siblings) ? body.siblings : []).flatMap(listedFileOf);
  const paths = files.map((file) => file.path);
  const commit = body.sha === undefined ? target.revision : body.sha;
  // Both become paths in the HF cache: a listing (a bad mirror, a tampered plain-HTTP answer) must not
  // point them outside it.
  const unsafe = [
    ...paths.filter((path) => !isSafeRepoPath(path)),
    ...(isSafeCommit(commit) ? [] : [String(commit)]),
  ];
  if (unsafe.length > 0) {
    throw new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `${id}: ${url} lists names that are not repository paths (${unsafe
        .slice(0, 3)
        .map((p) => JSON.stringify(p))
        .join(', ')}); nothing was downloaded. Check HF_ENDPOINT. ${hint}`,
      { details },
    );
  }
  return { commit: commit as string, paths, files };
}
