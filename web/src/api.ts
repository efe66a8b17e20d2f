// web/src/api.ts — the web app's API client: typed with src/schemas/api.ts, bearer token from
// localStorage when the server asks for one (traded for a session cookie that <img>, links and
// EventSource send by themselves), server-sent events for job progress (reconnected until the job stops).
import {
  type Artifact,
  type BaseModelChoice,
  type Character,
  type CharacterCreate,
  type Dataset,
  type DatasetDetail,
  type DatasetItemPatch,
  type DatasetItemsBulkPatch,
  type Health,
  JOB_EVENT_TYPES,
  JOB_LIVE_EVENT_TYPES,
  type Job,
  type JobCreateInput,
  type JobEvent,
  type JobKind,
  type LoraInspect,
  type UploadedImage,
  type UploadResult,
} from '../../src/schemas/api.js';
import type { CharacterPatch } from '../../src/schemas/api-character-patch.js';
import {
  afterFinalCheck,
  FOLLOW_START,
  type FollowState,
  followStateAfter,
  followStateAfterUnreadable,
  RESUME_WATCH_MS,
  readStreamMessage,
  reconnectDelayMs,
  streamUrl,
} from './components/job-follow.js';
import { jobLiveFeed, readLiveMessage } from './components/job-live.js';
import {
  combineUploadResults,
  DEFAULT_UPLOAD_LIMITS,
  type UploadLimits,
  uploadBatches,
} from './components/upload-batches.js';

export type { UploadLimits } from './components/upload-batches.js';

const TOKEN_KEY = 'toonlora-token';

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}
export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

/**
 * Forgets the stored token (a shared machine): asks the server to end this browser's session and clear its
 * cookie (HttpOnly, so the page cannot), then removes the token from localStorage. The session's end is best
 * effort: an older server without DELETE /api/session keeps the cookie until the browser closes.
 */
export async function forgetToken(): Promise<void> {
  try {
    await request<unknown>('DELETE', '/api/session');
  } finally {
    localStorage.removeItem(TOKEN_KEY);
  }
}

/**
 * With a stored token: asks the server for the session cookie that lets <img>, download links and
 * EventSource (they cannot send headers) read /api/; the token itself never goes into a URL. A live session is
 * kept; one the server ended (a restart, a week unused) is renewed by the server on the app's next request with
 * the token, so nothing here watches for that.
 */
export async function startSession(): Promise<void> {
  if (getToken()) await request<unknown>('POST', '/api/session');
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error's `details` (e.g. an upload's `rejected` files), when the server sent any. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The ApiError of a refused request, from the server's `{ error: { code, message, details } }` body; what
 * the body lacks (a proxy's error page has none of it) becomes TL_ERR_HTTP, `HTTP <status>` and no details. */
function apiErrorFrom(status: number, data: unknown): ApiError {
  const error = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
    ?.error;
  return new ApiError(
    status,
    error?.code ?? 'TL_ERR_HTTP',
    error?.message ?? `HTTP ${status}`,
    error?.details ?? {},
  );
}

/** One JSON request to the API with the stored token; throws the server's ApiError when refused. */
export async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw apiErrorFrom(res.status, data);
  return data as T;
}

/**
 * Resolves when `url` answers with its file; else throws the server's ApiError (a LoRA whose file is gone),
 * so a download link shows an error instead of opening the error's JSON in the tab. HEAD first: the file
 * itself is not fetched; only a refused HEAD is asked again with GET, for the error's message.
 */
export async function checkDownload(url: string): Promise<void> {
  const token = getToken();
  const res = await fetch(url, {
    method: 'HEAD',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!res.ok) await request<unknown>('GET', url);
}

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  baseModels: () =>
    request<{ baseModels: BaseModelChoice[] }>('GET', '/api/base-models').then((r) => r.baseModels),
  characters: () => request<{ characters: Character[] }>('GET', '/api/characters').then((r) => r.characters),
  character: (id: string) => request<Character>('GET', `/api/characters/${id}`),
  createCharacter: (body: CharacterCreate) => request<Character>('POST', '/api/characters', body),
  /** A new name, trigger or class word (the ones given). */
  renameCharacter: (id: string, body: CharacterPatch) =>
    request<Character>('PATCH', `/api/characters/${id}`, body),
  deleteCharacter: (id: string) => request<void>('DELETE', `/api/characters/${id}`),
  images: (id: string) =>
    request<{ images: UploadedImage[] }>('GET', `/api/characters/${id}/images`).then((r) => r.images),
  removeImage: (id: string) => request<void>('DELETE', `/api/images/${id}`),
  datasets: (id: string) =>
    request<{ datasets: Dataset[] }>('GET', `/api/characters/${id}/datasets`).then((r) => r.datasets),
  dataset: (id: string) => request<DatasetDetail>('GET', `/api/datasets/${id}`),
  patchItem: (id: string, key: string, body: DatasetItemPatch) =>
    request<DatasetDetail>('PATCH', `/api/datasets/${id}/items/${encodeURIComponent(key)}`, body),
  /** Several items excluded or re-included at once (all or none). */
  patchItems: (id: string, body: DatasetItemsBulkPatch) =>
    request<DatasetDetail>('PATCH', `/api/datasets/${id}/items`, body),
  /** The character's jobs, newest first; `kind` keeps one kind. */
  jobs: (characterId: string, kind?: JobKind) =>
    request<{ jobs: Job[] }>(
      'GET',
      `/api/jobs?${new URLSearchParams({ characterId, ...(kind ? { kind } : {}) })}`,
    ).then((r) => r.jobs),
  job: (id: string) => request<Job>('GET', `/api/jobs/${id}`),
  submitJob: (body: JobCreateInput) => request<Job>('POST', '/api/jobs', body),
  cancelJob: (id: string) => request<Job>('POST', `/api/jobs/${id}/cancel`),
  resumeJob: (id: string) => request<Job>('POST', `/api/jobs/${id}/resume`),
  artifacts: (query: Record<string, string>) =>
    request<{ artifacts: Artifact[] }>('GET', `/api/artifacts?${new URLSearchParams(query)}`).then(
      (r) => r.artifacts,
    ),
  inspectLora: (id: string) => request<LoraInspect>('GET', `/api/loras/${id}/inspect`),
};

/**
 * Uploads a LoRA made elsewhere for the character (POST /api/loras, one multipart `file` part) and resolves
 * with the stored LoRA; throws the server's ApiError (e.g. 422 with inspect's reason) when it is refused.
 */
export async function uploadLora(characterId: string, file: File): Promise<Artifact> {
  const form = new FormData();
  form.append('file', file, file.name);
  const token = getToken();
  const res = await fetch(`/api/loras?${new URLSearchParams({ characterId })}`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw apiErrorFrom(res.status, data);
  return data as Artifact;
}

/** The server's upload limits (GET /api/upload-limits); the defaults when the server is older and has no such route. */
export function uploadLimits(): Promise<UploadLimits> {
  return request<UploadLimits>('GET', '/api/upload-limits').catch((error) => {
    if (error instanceof ApiError && error.status === 404) return DEFAULT_UPLOAD_LIMITS;
    throw error;
  });
}

/** The result of one upload request, read from its status and body: a proxy's page (not JSON) is an error too. */
export function uploadReply(
  status: number,
  text: string,
): { ok: true; result: UploadResult } | { ok: false; error: ApiError } {
  let data: unknown;
  try {
    data = JSON.parse(text || '{}');
  } catch {
    return {
      ok: false,
      error: new ApiError(
        status,
        'TL_ERR_HTTP',
        `upload failed: the server answered HTTP ${status} with a page that is not the toonlora API's reply (a proxy in between?)`,
      ),
    };
  }
  if (status >= 200 && status < 300) {
    // a server from before duplicates were detected sends no `duplicates`
    const reply = data as Partial<UploadResult>;
    const result = { uploaded: [], rejected: [], duplicates: [], ...reply } as UploadResult;
    return { ok: true, result };
  }
  return { ok: false, error: apiErrorFrom(status, data) };
}

/** Uploads files as one multipart request, reporting upload progress 0..1. */
function uploadBatch(
  characterId: string,
  files: readonly File[],
  onProgress: (fraction: number) => void,
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const file of files) form.append('files', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/characters/${characterId}/images`);
    const token = getToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const reply = uploadReply(xhr.status, xhr.responseText);
      if (reply.ok) resolve(reply.result);
      else reject(reply.error);
    };
    xhr.onerror = () => reject(new ApiError(0, 'TL_ERR_NETWORK', 'upload failed: network error'));
    xhr.send(form);
  });
}

/**
 * Uploads files in requests of at most `maxFiles` (the server's limit per request), one after the other,
 * reporting progress 0..1 over all of them; the results are combined (stored and refused files of every
 * batch). A batch the server refuses whole (every file refused) adds its files to `rejected` from the error's
 * details and the upload goes on; any other error stops it, after the batches already stored.
 */
export async function uploadImages(
  characterId: string,
  files: readonly File[],
  onProgress: (fraction: number) => void,
  maxFiles: number = DEFAULT_UPLOAD_LIMITS.maxFiles,
): Promise<UploadResult> {
  const batches = uploadBatches(files, maxFiles);
  let combined: UploadResult | null = null;
  for (const [index, batch] of batches.entries()) {
    const progress = (fraction: number) => onProgress((index + fraction) / batches.length);
    let result: UploadResult;
    try {
      result = await uploadBatch(characterId, batch, progress);
    } catch (error) {
      const refused = error instanceof ApiError ? error.details.rejected : undefined;
      // all of this batch refused, but others stored: keep going and report them together
      if (batches.length > 1 && Array.isArray(refused) && refused.length > 0) {
        result = { uploaded: [], rejected: refused as UploadResult['rejected'], duplicates: [] };
      } else throw error;
    }
    combined = combined ? combineUploadResults(combined, result) : result;
  }
  return combined ?? { uploaded: [], rejected: [], duplicates: [] };
}

/** What followJob calls back with. */
export interface JobStreamHandlers {
  /** Each event not seen before, in order, read through jobEventSchema. */
  event: (event: JobEvent) => void;
  /** A message the schema does not accept (or not JSON), once per message: a sentence saying so, to show. */
  unreadable: (problem: string) => void;
  /** The stream broke and is being reconnected (`true`), or delivers again (`false`). */
  connection?: (lost: boolean) => void;
}

/**
 * Follows a job's events (replayed from the start), listening for every type in JOB_EVENT_TYPES, and its live
 * events (JOB_LIVE_EVENT_TYPES: queue place, remote worker), kept in jobLiveFeed; returns the
 * function that stops listening. The server ends the stream once the job stops; when it ends or breaks
 * before a final status arrived (a restarted server, a dropped connection), it is opened again after a
 * backoff, resuming after the last event seen. After a final status, a job that may still be resumed is
 * re-read every RESUME_WATCH_MS (afterFinalCheck).
 */
export function followJob(jobId: string, on: JobStreamHandlers): () => void {
  let state: FollowState = FOLLOW_START;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const handle = (message: MessageEvent<string>) => {
    const read = readStreamMessage(message);
    if (!read.ok) {
      const next = followStateAfterUnreadable(state, read.seq);
      state = next.state;
      if (next.fresh) on.unreadable(read.problem);
      return;
    }
    const next = followStateAfter(state, read.event);
    state = next.state;
    if (!next.fresh) return;
    if (read.event.body.type === 'status') jobLiveFeed.statusChanged(jobId);
    on.event(read.event);
  };
  // a queued job's place, a remote job's worker: not stored, no seq; the hooks read them from jobLiveFeed
  const handleLive = (message: MessageEvent<string>) => {
    const read = readLiveMessage(message);
    if (read.ok) jobLiveFeed.publish(read.event, Date.now());
    else on.unreadable(read.problem);
  };
  const open = () => {
    if (stopped) return;
    const current = new EventSource(streamUrl(jobId, state));
    source = current;
    current.onopen = () => on.connection?.(false);
    for (const type of JOB_EVENT_TYPES) current.addEventListener(type, handle as EventListener);
    for (const type of JOB_LIVE_EVENT_TYPES) current.addEventListener(type, handleLive as EventListener);
    // EventSource's own retry would loop on a stopped job; reconnect here, after the last event seen.
    current.onerror = () => {
      current.close();
      const delay = reconnectDelayMs(state);
      if (stopped) return;
      if (delay === null) return watchStopped(null, 0);
      on.connection?.(true);
      state = { ...state, failures: state.failures + 1 };
      // a job that is gone (404: its data folder was replaced) is not waited for; anything else retries
      const reopenUnlessGone = () =>
        api.job(jobId).then(open, (error) => {
          if (!(error instanceof ApiError && error.status === 404)) open();
        });
      timer = setTimeout(reopenUnlessGone, delay);
    };
  };
  // A stopped job that can be resumed elsewhere (another tab, the API) is re-read slowly: once it runs
  // again, its stream is opened after the last event seen, so the page shows the run (and no Start button).
  const watchStopped = (seenAttempts: number | null, delayMs: number) => {
    timer = setTimeout(() => {
      if (stopped) return;
      api.job(jobId).then(
        (job) => {
          const next = afterFinalCheck(job, seenAttempts);
          if (next === 'follow') open();
          else if (next === 'watch') watchStopped(job.attempts, RESUME_WATCH_MS);
        },
        (error) => {
          if (!(error instanceof ApiError && error.status === 404))
            watchStopped(seenAttempts, RESUME_WATCH_MS);
        },
      );
    }, delayMs);
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    source?.close();
  };
}
