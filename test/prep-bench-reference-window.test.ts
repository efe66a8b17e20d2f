// test/prep-bench-reference-window.test.ts — the prep benchmark's Python reference (bench/prep_ref_crop.py)
// opens a bubble's outline away as bubble-mask.ts does, pixel for pixel, where the opening's window edge
// crosses the head under the bubble's tail (the broader parity checks in prep-bench-reference.test.ts
// allow 0.5 % of the mask apart, more than the head's sides at that edge).
// Needs trainer/.venv (opencv, numpy); skipped with a note where it is not installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSED_TAIL_TEXT_BOX, closedTailSvg } from './fixtures/prep-quality/bubble-tail.js';
import { analyseWithTextLine } from './helpers/classic-page.js';
import { textLineAt } from './helpers/prep-quality-stages.js';
import { hasReferenceTools, python, repo } from './helpers/python-reference.js';

const hasPython = hasReferenceTools('prep-bench-reference-window', 'reference check skipped');

describe.skipIf(!hasPython)("the Python reference's bubble opening at its window's edge", () => {
  it('leaves the same character mask as bubble-mask.ts (0 px apart)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toonlora-bench-reference-window-'));
    const { file, analysis } = await analyseWithTextLine(
      dir,
      'closed-tail.png',
      closedTailSvg(),
      CLOSED_TAIL_TEXT_BOX,
    );
    if (!analysis.stageImages) throw new Error('no analysis');
    const region = textLineAt(CLOSED_TAIL_TEXT_BOX);
    const regions = join(dir, 'regions.json');
    writeFileSync(regions, JSON.stringify([{ polygon: region.polygon }]));
    const printed = JSON.parse(
      execFileSync(
        python,
        [join(repo, 'bench/prep_ref_stage.py'), 'crop', file, join(dir, 'square.png'), regions],
        {
          encoding: 'utf8',
          cwd: join(repo, 'bench'),
        },
      ),
    ) as { character: { width: number; height: number; bits: string } };
    const ours = analysis.stageImages.characterMask;
    const bits = Buffer.from(printed.character.bits, 'base64');
    expect([printed.character.width, printed.character.height]).toEqual([ours.width, ours.height]);
    let apart = 0;
    for (let i = 0; i < ours.data.length; i++) {
      const theirs = (((bits[i >> 3] as number) >> (7 - (i & 7))) & 1) === 1;
      if ((ours.data[i] as number) > 127 !== theirs) apart++;
    }
    // before the reference read past its window too: 13 px apart, the head's side at the window's edge
    expect(apart).toBe(0);
  }, 120_000);
});
