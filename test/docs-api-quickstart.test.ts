// test/docs-api-quickstart.test.ts — docs/api-quickstart.md's commands, run: its first ```bash block starts the
// server (`./toonlora serve`: run here as test/helpers/serve-process.ts runs it, on a port of its own and a data folder
// of its own), the others run in order in one bash (`set -euo pipefail`, in a folder of their own that sees the
// bundled examples) against it, with the doc's address line pointed at that server; a command that fails fails the
// test. The `tiny` base trains and generates in the doc, so this is the whole chain.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_TYPES } from '../src/jobs/upload-image-types.js';
import { type ServeProcess, startServeProcess } from './helpers/serve-process.js';
import { tempDataDir } from './helpers/server-fixtures.js';

const ROOT = join(import.meta.dirname, '..');
const DOC = readFileSync(join(ROOT, 'docs', 'api-quickstart.md'), 'utf8');
/** The doc's address line, which the test points at its own server. */
const ADDRESS_LINE = 'U=http://127.0.0.1:7860';

/** The doc's ```bash blocks, in order. */
function bashBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

describe('docs/api-quickstart.md', () => {
  let server: ServeProcess;
  beforeAll(async () => {
    server = await startServeProcess(tempDataDir('api-quickstart'));
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('starts serve, then every command runs against it', async () => {
    const [serveBlock, ...blocks] = bashBlocks(DOC);
    expect(serveBlock?.trim()).toBe('./toonlora serve');
    expect(blocks.join('')).toContain(`${ADDRESS_LINE}\n`);
    expect(DOC).toContain(`(${UPLOAD_TYPES};`); // the upload's types, as the upload words them
    const work = mkdtempSync(join(tmpdir(), 'toonlora-api-quickstart-work-'));
    symlinkSync(join(ROOT, 'examples'), join(work, 'examples'));
    const script = ['set -euo pipefail', ...blocks].join('\n').replace(ADDRESS_LINE, `U=${server.url}`);
    const run = spawnSync('bash', ['-c', script], { cwd: work, encoding: 'utf8', timeout: 540_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}\nserver:\n${server.stderr()}`).toBe(0);
    // what the downloads left: the LoRA in two formats and one PNG per seed
    const files = readdirSync(work).sort();
    expect(files.filter((name) => name.endsWith('.safetensors'))).toHaveLength(2);
    const images = files.filter((name) => name.endsWith('.png'));
    expect(images).toHaveLength(2);
    for (const image of images) expect(readFileSync(join(work, image)).subarray(1, 4).toString()).toBe('PNG');
    rmSync(work, { recursive: true });
  }, 600_000);

  it('names the model pull routes /openapi.json has', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    const paths = ((await res.json()) as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(DOC).toContain('curl -sf -XPOST $U/api/models/anything-v5/pull');
    expect(paths['/api/models/{id}/pull']?.post).toBeDefined();
    expect(DOC).toContain('GET /api/models/anything-v5/pull/stream');
    expect(paths['/api/models/{id}/pull/stream']?.get).toBeDefined();
  });
});
