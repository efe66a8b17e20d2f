// test/prep-warnings.test.ts — crop quality warnings: kept in the crop's `warnings` (not the file's
// reason), counted in the manifest summary, listed in the CLI summary, and absent from older manifests
// (which still read, with none).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../src/cli/commands/prep.js';
import { buildManifest, readManifest } from '../src/prep/manifest.js';
import type { PrepResult } from '../src/prep/pipeline.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { Manifest } from '../src/schemas/manifest.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-warnings-'));
const box = { x: 0, y: 0, width: 100, height: 100 };
const WARNING = 'quality warning: text removal erased 12 % of the character (100x100 at 0,0)';
const choice = { name: 'fixed', reason: 'given by the caller' };

function manifest(warnings: string[]): Manifest {
  return buildManifest({
    createdAt: new Date('2026-01-01T00:00:00Z'),
    datasetDir: '10_sks girl',
    settings: prepConfigSchema.parse({}),
    stages: {
      textDetector: choice,
      textRemover: choice,
      segmenter: choice,
      personDetector: null,
      captioner: choice,
    },
    cancelled: false,
    files: [
      {
        source: '/in/page.png',
        status: 'ok',
        reason: null,
        reasonCode: null,
        crops: [
          {
            image: '10_sks girl/page.png',
            captionFile: '10_sks girl/page.txt',
            caption: 'sks, girl',
            characterBox: box,
            cropBox: box,
            dhash: '0123456789abcdef',
            warnings,
          },
        ],
        rejected: [],
        timingsMs: {},
      },
    ],
  });
}

function result(m: Manifest): PrepResult {
  return {
    outDir: '/out',
    datasetDir: '/out/10_sks girl',
    manifestPath: '/out/manifest.json',
    manifest: m,
    keptPrevious: false,
    notProcessed: 0,
  };
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
