// test/prep-warnings.test.ts — crop quality warnings: kept in the crop's `warnings` (not the file's
// reason), counted in the manifest summary, listed in the CLI summary, and absent from older manifests
// (which still read, with none).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../src/cli/commands/prep.js';
import { readManifest } from '../src/prep/manifest.js';
import type { Manifest } from '../src/schemas/manifest.js';
import { sceneCrop, sceneFile, sceneManifest, sceneResult as result } from './helpers/manifest-scene.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-warnings-'));
const WARNING = 'quality warning: text removal erased 12 % of the character (100x100 at 0,0)';

function manifest(warnings: string[]): Manifest {
  return sceneManifest([sceneFile('/in/page.png', { crops: [sceneCrop('page', { warnings })] })]);
}

describe('prep quality warnings', () => {
  it('are counted in the summary and listed under their file in the CLI summary', () => {
    const m = manifest([WARNING]);
    expect(m.summary.warnings).toBe(1);
    const text = formatResult(result(m));
    expect(text).toContain(`  warning  page.png: ${WARNING}`);
    expect(text).toMatch(/1 crop from 1 file \(1 ok, 0 skipped, 0 failed\), 1 quality warning \(listed/);
  });

  it('a run without warnings says nothing about them', () => {
    const text = formatResult(result(manifest([])));
    expect(text).not.toContain('warning');
  });

  it('a manifest written before the field reads with no warnings', () => {
    const old = JSON.parse(JSON.stringify(manifest([WARNING])));
    delete old.summary.warnings;
    delete old.files[0].crops[0].warnings;
    const path = join(root, 'manifest.json');
    writeFileSync(path, JSON.stringify(old));
    const read = readManifest(path);
    expect(read.summary.warnings).toBe(0);
    expect(read.files[0]?.crops[0]?.warnings).toEqual([]);
  });
});
