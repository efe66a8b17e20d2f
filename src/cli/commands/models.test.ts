// Tests of `toonlora models` through the real CLI entry (in process): exit codes and the offline line.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';

const io = withCliTestIo('toonlora-cli-models-');

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
    const row = io.stdout.split('\n').find((l) => l.includes('anime-person-detector')) ?? '';
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
    const [header, ...rows] = io.stdout.trim().split('\n');
    expect(header).toMatch(/^present\s+id\s+size\s+license\s+stages\s+path$/);
    expect(rows.find((r) => r.includes('blip-base'))).toContain('BSD-3-Clause');
  });

  it('path of a missing model: exit 1 with the pull command', async () => {
    expect(await runCli(['models', 'path', 'u2net'])).toBe(1);
    expect(io.stderr).toContain('Run: toonlora models pull u2net');
  });
});
