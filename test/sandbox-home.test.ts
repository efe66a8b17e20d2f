// test/sandbox-home.test.ts — the run's sandbox HOME (test/helpers/sandbox-home.ts): this file runs in it, and what a
// test leaves in it is sorted into the default homes' files (they fail the run) and the rest (named only).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toonloraHome } from '../src/models/cache.js';
import { leftInSandbox } from './helpers/sandbox-home.js';

describe('the sandbox HOME', () => {
  it("is this run's HOME, with no variable moving a home elsewhere", () => {
    expect(homedir()).toContain('toonlora-test-home-');
    expect(toonloraHome()).toBe(join(homedir(), '.cache', 'toonlora'));
    for (const name of ['TOONLORA_HOME', 'HF_HOME', 'HF_HUB_CACHE', 'XDG_CACHE_HOME', 'U2NET_HOME'])
      expect(process.env[name], name).toBeUndefined();
  });

  it("sorts what a run left: toonlora's, the HF cache's and rembg's files apart from a tool's", () => {
    const sandbox = mkdtempSync(join(tmpdir(), 'tl-sandbox-'));
    const files = [
      '.cache/toonlora/downloads/in-use/vm-1.json',
      '.cache/huggingface/hub/models--a--b/refs/main',
      '.u2net/u2net.onnx',
      '.npm/_logs/debug.log',
      '.config/chromium/Crash Reports/settings.dat',
      '.cache/toonlora-other/x',
    ];
    for (const file of files) {
      mkdirSync(dirname(join(sandbox, file)), { recursive: true });
      writeFileSync(join(sandbox, file), '');
    }
    mkdirSync(join(sandbox, '.cache', 'toonlora', 'lora-diffusers')); // an empty folder is no file left
    expect(leftInSandbox(sandbox)).toEqual({
      homes: [
        '.cache/huggingface/hub/models--a--b/refs/main',
        '.cache/toonlora/downloads/in-use/vm-1.json',
        '.u2net/u2net.onnx',
      ],
      other: [
        '.cache/toonlora-other/x',
        '.config/chromium/Crash Reports/settings.dat',
        '.npm/_logs/debug.log',
      ],
    });
  });
});
