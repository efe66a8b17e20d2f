// src/cli/commands/prep-names.test.ts — `prep`'s summary prints user file names with their control characters
// escaped: before, a file named `evil<ESC>[2J<ESC>]0;pwned<BEL>x.png` cleared the screen and set the window title,
// and a newline in a name split its `ok` line in two. The --json document keeps the names as they are.
import { describe, expect, it } from 'vitest';
import { buildManifest } from '../../prep/manifest.js';
import type { PrepResult } from '../../prep/pipeline.js';
import { prepConfigSchema } from '../../schemas/config.js';
import { printResult } from '../output.js';
import { formatResult } from './prep.js';

const EVIL = 'evil\u001b[2J\u001b]0;pwned\u0007x.png';
const box = { x: 0, y: 0, width: 100, height: 100 };
const choice = { name: 'fixed', reason: 'given by the caller' };

function result(): PrepResult {
  const manifest = buildManifest({
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
        source: '/in/new\nline.png',
        status: 'ok',
        reason: null,
        reasonCode: null,
        crops: [
          {
            image: '10_sks girl/new\nline.png',
            captionFile: '10_sks girl/new\nline.txt',
            caption: 'sks, girl',
            characterBox: box,
            cropBox: box,
            dhash: '0123456789abcdef',
            warnings: ['quality warning: blurry'],
          },
        ],
        rejected: [],
        timingsMs: {},
      },
      {
        source: `/in/${EVIL}`,
        status: 'error',
        reason: `${EVIL}: the file is empty (0 bytes). Re-export or re-download it.`,
        reasonCode: 'empty',
        crops: [],
        rejected: [],
        timingsMs: {},
      },
      {
        source: '/in/photo\u202egnp.exe',
        status: 'skipped',
        reason: 'photo\u202egnp.exe: near-duplicate of /in/photo\u202egnp.exe',
        reasonCode: 'near-duplicate',
        crops: [],
        rejected: [],
        timingsMs: {},
      },
    ],
  });
  return {
    outDir: '/out',
    datasetDir: '/out/10_sks girl',
    manifestPath: '/out/manifest.json',
    manifest,
    keptPrevious: false,
    notProcessed: 0,
  };
}

describe('prep summary: file names with control characters', () => {
  it('escapes them, one line per file', () => {
    const text = formatResult(result());
    for (const char of ['\u001b', '\u0007', '\u202e']) expect(text).not.toContain(char);
    const lines = text.split('\n');
    expect(lines).toContain('  ok       /in/new\\nline.png: 1 crop');
    expect(lines).toContain('  warning  new\\nline.png: quality warning: blurry');
    expect(lines).toContain(
      '  error    /in/evil\\e[2J\\e]0;pwned\\x07x.png: the file is empty (0 bytes). Re-export or re-download it.',
    );
    expect(lines).toContain('  skipped  /in/photo\\u202Egnp.exe: near-duplicate of /in/photo\\u202Egnp.exe');
  });

  it('the --json document keeps the names as they are (JSON escapes them)', () => {
    const out: string[] = [];
    const streams = {
      stdout: {
        write(text: string, done: (error?: Error | null) => void) {
          out.push(text);
          done();
          return true;
        },
      },
      stderr: { write: () => true },
    };
    printResult(result(), { json: true }, formatResult, streams);
    const doc = JSON.parse(out.join('')) as { manifest: { files: Array<{ source: string }> } };
    expect(doc.manifest.files.map((file) => file.source)).toContain(`/in/${EVIL}`);
    expect(out.join('')).not.toContain('\u001b');
  });
});
