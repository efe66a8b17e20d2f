// src/prep/output-swap.test.ts — the output folder's claim (two runs started together on one -o: exactly one wins,
// the other is refused with TL_ERR_CONFLICT; a killed run's staging folder is taken over) and --overwrite's refusal
// of crop images the user retouched since prep wrote them (by the sha256 the manifest records).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sceneCrop, sceneFile, sceneManifest } from '../../test/helpers/manifest-scene.js';
import { writeManifest } from './manifest.js';
import { planReplacement, releaseStaging, STAGING_DIR, startStaging } from './output-swap.js';

const root = mkdtempSync(join(tmpdir(), 'toonlora-output-swap-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('startStaging', () => {
  it('two claims at once on one folder: exactly one wins, the other is refused with TL_ERR_CONFLICT', async () => {
    for (const leftover of ['none', 'killed run', 'empty folder'] as const) {
      for (let i = 0; i < 5; i += 1) {
        const out = join(root, `claim-${leftover.replace(' ', '-')}-${i}`);
        mkdirSync(out, { recursive: true });
        if (leftover !== 'none') mkdirSync(join(out, STAGING_DIR, '10_sks girl'), { recursive: true });
        if (leftover === 'killed run') {
          writeFileSync(join(out, STAGING_DIR, 'owner.pid'), '2147483646\n');
          mkdirSync(join(out, `${STAGING_DIR}.2147483646-a-claim-it-never-finished`)); // removed too
        }
        const results = await Promise.allSettled([startStaging(out), startStaging(out)]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won, `${leftover} #${i}`).toHaveLength(1);
        expect(lost[0]?.reason).toMatchObject({
          code: 'TL_ERR_CONFLICT',
          message: expect.stringContaining(
            `another prep run (process ${process.pid}) is writing into this folder`,
          ),
        });
        // only the winner's staging folder is left, with its owner file; no claim folder behind
        expect(readdirSync(out)).toEqual([STAGING_DIR]);
        expect(readdirSync(join(out, STAGING_DIR))).toEqual(['owner.pid']);
        // released (the run ended): its folder counts as a killed run's and the next claim takes it over
        releaseStaging(join(out, STAGING_DIR));
        await expect(startStaging(out)).resolves.toBe(join(out, STAGING_DIR));
        releaseStaging(join(out, STAGING_DIR));
      }
    }
  });
});

const png = (text: string) => Buffer.from(`png ${text}`);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** An output folder with a previous run's dataset of two crops (with or without their recorded sha256). */
async function previousRun(name: string, withHashes: boolean): Promise<string> {
  const out = join(root, name);
  mkdirSync(join(out, '10_sks girl'), { recursive: true });
  const crops = ['a', 'b'].map((stem) => {
    writeFileSync(join(out, '10_sks girl', `${stem}.png`), png(stem));
    writeFileSync(join(out, '10_sks girl', `${stem}.txt`), 'sks, girl\n');
    return sceneCrop(stem, withHashes ? { sha256: sha256(png(stem)) } : {});
  });
  await writeManifest(out, sceneManifest([sceneFile('/in/a.png', { crops })]));
  return out;
}

describe('planReplacement and retouched crops', () => {
  it('refuses to replace a crop image changed since prep wrote it, naming it; --discard-edits replaces it', async () => {
    const out = await previousRun('retouched', true);
    expect(planReplacement(out, '10_sks girl').files).toHaveLength(5); // unchanged: replaced as before
    writeFileSync(join(out, '10_sks girl', 'b.png'), png('retouched by hand'));
    expect(() => planReplacement(out, '10_sks girl')).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_OUTPUT_EXISTS',
        message: expect.stringContaining(
          `you edited a crop image there since prep wrote it (${join('10_sks girl', 'b.png')}); --overwrite would replace it with a new one, so nothing was changed`,
        ),
        details: expect.objectContaining({
          editedImages: [join('10_sks girl', 'b.png')],
          editedCaptions: [],
        }),
      }),
    );
    writeFileSync(join(out, '10_sks girl', 'a.txt'), 'my caption\n');
    expect(() => planReplacement(out, '10_sks girl')).toThrow(/you edited a crop image and a caption there/);
    expect(planReplacement(out, '10_sks girl', true).files).toHaveLength(5);
  });

  it('a manifest written before the sha256 field: crop images are not checked, as before', async () => {
    const out = await previousRun('old-manifest', false);
    writeFileSync(join(out, '10_sks girl', 'b.png'), png('retouched by hand'));
    expect(planReplacement(out, '10_sks girl').files).toHaveLength(5);
  });
});
