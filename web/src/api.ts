// web/src/api.ts — the web app's API client: typed with src/schemas/api.ts, bearer token from
// localStorage when the server asks for one (traded for a session cookie that <img>, links and
// EventSource send by themselves), server-sent events for job progress.
import type {
  Artifact,
  Character,
  CharacterCreate,
  Dataset,
  DatasetDetail,
  Health,
  Job,
  JobCreateInput,
  JobEvent,
  LoraInspect,
  UploadedImage,
  UploadResult,
} from '../../src/schemas/api.js';

const TOKEN_KEY = 'toonlora-token';

export function getToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}
export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

/**
 * With a stored token: asks the server for the session cookie that lets <img>, download links and
 * EventSource (they cannot send headers) read /api/; the token itself never goes into a URL.
 */
export async function startSession(): Promise<void> {
  if (getToken()) await request<unknown>('POST', '/api/session');
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
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
  if (!res.ok) {
    throw new ApiError(
      res.status,
      data?.error?.code ?? 'TL_ERR_HTTP',
      data?.error?.message ?? `HTTP ${res.status}`,
    );
  }
  return data as T;
}

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  characters: () => request<{ characters: Character[] }>('GET', '/api/characters').then((r) => r.characters),
  character: (id: string) => request<Character>('GET', `/api/characters/${id}`),
  createCharacter: (body: CharacterCreate) => request<Character>('POST', '/api/characters', body),
  images: (id: string) =>
    request<{ images: UploadedImage[] }>('GET', `/api/characters/${id}/images`).then((r) => r.images),
  datasets: (id: string) =>
    request<{ datasets: Dataset[] }>('GET', `/api/characters/${id}/datasets`).then((r) => r.datasets),
  dataset: (id: string) => request<DatasetDetail>('GET', `/api/datasets/${id}`),
  patchItem: (id: string, key: string, body: { caption?: string; excluded?: boolean }) =>
    request<DatasetDetail>('PATCH', `/api/datasets/${id}/items/${encodeURIComponent(key)}`, body),
  jobs: (characterId: string) =>
    request<{ jobs: Job[] }>('GET', `/api/jobs?characterId=${characterId}`).then((r) => r.jobs),
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

/** Uploads files as one multipart request, reporting upload progress 0..1. */
export function uploadImages(
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
      const data = JSON.parse(xhr.responseText || '{}');
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as UploadResult);
      else
        reject(
          new ApiError(
            xhr.status,
            data?.error?.code ?? 'TL_ERR_HTTP',
            data?.error?.message ?? `HTTP ${xhr.status}`,
          ),
        );
    };
    xhr.onerror = () => reject(new ApiError(0, 'TL_ERR_NETWORK', 'upload failed: network error'));
    xhr.send(form);
  });
}

/** Follows a job's events (replayed from the start); returns the function that stops listening. */
export function followJob(jobId: string, onEvent: (event: JobEvent) => void): () => void {
  const source = new EventSource(`/api/jobs/${jobId}/stream`);
  const handle = (message: MessageEvent<string>) => onEvent(JSON.parse(message.data) as JobEvent);
  for (const type of ['status', 'progress', 'sample', 'checkpoint', 'log']) {
    source.addEventListener(type, handle as EventListener);
  }
  // The server ends the stream when the job stops; do not let EventSource reconnect in a loop.
  source.onerror = () => source.close();
  return () => source.close();
}
