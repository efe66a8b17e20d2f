// src/schemas/serve-defaults.test.ts — the docs quote `toonlora serve`'s defaults (SERVE_DEFAULTS) and its stop
// grace (the queue's SHUTDOWN_GRACE_MS, the worker's STOP_GRACE_MS) with the values the code uses, not older ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHUTDOWN_GRACE_MS } from '../jobs/embedded-queue.js';
import { STOP_GRACE_MS } from '../worker/python-worker.js';
import { SERVE_DEFAULTS } from './serve-defaults.js';

const DOCS_DIR = join(import.meta.dirname, '..', '..', 'docs');

/** A docs page with every run of white space (line breaks included) made one space, so re-wrapping does not matter. */
function docsText(page: string): string {
  return readFileSync(join(DOCS_DIR, page), 'utf8').replace(/\s+/g, ' ');
}

const { host, port, maxQueued, workerTimeoutS, workerLoadTimeoutS, workerLeaseS, remoteJobs } =
  SERVE_DEFAULTS;

describe('the docs quote the defaults the code uses', () => {
  it.each([
    [
      'commands.md',
      `toonlora serve [--host ${host}] [--port ${port}] [--tls-cert FILE --tls-key FILE] [--data DIR] ` +
        `[--max-queued ${maxQueued}] [--worker-timeout ${workerTimeoutS}] [--worker-load-timeout ${workerLoadTimeoutS}]`,
    ],
    ['commands.md', `\`--worker-load-timeout\` s (${workerLoadTimeoutS}:`],
    ['commands.md', `\`--worker-timeout\` s (${workerTimeoutS}:`],
    ['commands.md', `within the ${STOP_GRACE_MS / 1000} s it gets after the first Ctrl-C`],
    ['how-it-works.md', `\`--worker-timeout\` s, ${workerTimeoutS},`],
    ['how-it-works.md', `\`--worker-load-timeout\` s, ${workerLoadTimeoutS},`],
    ['server.md', `\`--worker-lease\` seconds (default ${workerLeaseS};`],
    ['server.md', `given up to ${SHUTDOWN_GRACE_MS / 1000} s`],
    ['server.md', `up to ${remoteJobs} train jobs are offered to workers at once`],
  ])('docs/%s says %s', (page, quote) => {
    expect(docsText(page).includes(quote), `docs/${page} should say: ${quote}`).toBe(true);
  });

  it('a shutdown waits for a job as long as its worker is given to stop', () => {
    expect(SHUTDOWN_GRACE_MS).toBe(STOP_GRACE_MS);
  });
});
