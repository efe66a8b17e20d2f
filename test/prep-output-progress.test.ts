// test/prep-output-progress.test.ts — runPrep's progress events: each file announced when it starts, before its
// result (set-up in helpers/prep-output-setup.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

describe('runPrep progress events', () => {
  it('announces each file when it starts, before its result', async () => {
    const notImage = join(root, 'notes.png');
    writeFileSync(notImage, 'not a picture\n');
    const events: string[] = [];
    await runPrep({
      inputs: [notImage, drawn.panel],
      outDir: join(root, 'progress'),
      cache: emptyCache,
      onFileStart: (p) => events.push(`start ${p.done}/${p.total} ${p.source}`),
      onProgress: (p) => events.push(`done ${p.done}/${p.total} ${p.source}`),
    });
    // (several files may be under way at once: each starts before its own result, all in input order)
    expect(events.filter((e) => e.startsWith('start')).map((e) => e.split(' ').slice(2).join(' '))).toEqual([
      notImage,
      drawn.panel,
    ]);
    expect(events.filter((e) => e.startsWith('done'))).toEqual([
      `done 1/2 ${notImage}`,
      `done 2/2 ${drawn.panel}`,
    ]);
    expect(events.indexOf(`start 0/2 ${notImage}`)).toBe(0);
    expect(events.findIndex((e) => e.startsWith('start') && e.endsWith(drawn.panel))).toBeLessThan(
      events.indexOf(`done 2/2 ${drawn.panel}`),
    );
  }, 60_000);
});
