// test/helpers/http-client.ts — a small HTTP client for tests against a listening server: JSON calls,
// multipart uploads of files from disk, and a job's server-sent events read until a condition holds.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { JobEvent } from '../../src/schemas/api.js';

export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** GET of a file: status, content type and bytes. */
  async download(path: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
    const res = await fetch(`${this.baseUrl}${path}`, { headers: this.headers() });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      bytes: Buffer.from(await res.arrayBuffer()),
    };
  }

  async upload(characterId: string, files: readonly string[]) {
    const form = new FormData();
    for (const file of files) form.append('files', new Blob([readFileSync(file)]), basename(file));
    const res = await fetch(`${this.baseUrl}/api/characters/${characterId}/images`, {
      method: 'POST',
      headers: this.headers(),
      body: form,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /**
   * Reads the job's event stream until `until(event)` is true or the server ends the stream (the job
   * stopped); returns every event read. Throws after `timeoutMs`.
   */
  async events(
    jobId: string,
    until: (event: JobEvent) => boolean = () => false,
    timeoutMs = 240_000,
  ): Promise<JobEvent[]> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const events: JobEvent[] = [];
    try {
      const res = await fetch(`${this.baseUrl}/api/jobs/${jobId}/stream`, {
        headers: this.headers(),
        signal: controller.signal,
      });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (!data) continue;
          const event = JSON.parse(data.slice(6)) as JobEvent;
          events.push(event);
          if (until(event)) {
            controller.abort();
            return events;
          }
        }
      }
      return events;
    } catch (error) {
      if (controller.signal.aborted && events.length > 0 && until(events[events.length - 1] as JobEvent))
        return events;
      throw new Error(`job ${jobId}: event stream failed after ${events.length} events (${String(error)})`);
    } finally {
      clearTimeout(timer);
    }
  }
}
