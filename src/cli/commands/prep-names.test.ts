// src/cli/commands/prep-names.test.ts — `prep`'s summary prints user file names with their control characters
// escaped: before, a file named `evil<ESC>[2J<ESC>]0;pwned<BEL>x.png` cleared the screen and set the window title,
// and a newline in a name split its `ok` line in two. The --json document keeps the names as they are.
import { describe, expect, it } from 'vitest';
import { sceneCrop, sceneFile, sceneManifest, sceneResult } from '../../../test/helpers/manifest-scene.js';
import type { PrepResult } from '../../prep/pipeline.js';
import { printResult } from '../output.js';
import { formatResult } from './prep.js';

const EVIL = 'evil\u001b[2J\u001b]0;pwned\u0007x.png';

function result(): PrepResult {
  return sceneResult(
    sceneManifest([
      sceneFile('/in/new\nline.png', {
        crops: [sceneCrop('new\nline', { warnings: ['quality warning: blurry'] })],
      }),
      sceneFile(`/in/${EVIL}`, {
        status: 'error',
        reason: `${EVIL}: the file is empty (0 bytes). Re-export or re-download it.`,
        reasonCode: 'empty',
      }),
      sceneFile('/in/photo\u202egnp.exe', {
        status: 'skipped',
        reason: 'photo\u202egnp.exe: near-duplicate of /in/photo\u202egnp.exe',
        reasonCode: 'near-duplicate',
      }),
    ]),
  );
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
