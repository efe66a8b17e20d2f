// test/prep-output-overwrite.test.ts — --overwrite replaces only what an earlier prep wrote (the old dataset
// folder named in its manifest) while the user's own files survive, and a run that makes no crop or is stopped
// keeps the previous dataset (set-up in helpers/prep-output-setup.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PrepOptions, runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture, writtenDataset } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

/**
 * A first run of the panel into `<root>/<name>`, then an --overwrite run over `count` copies of it
 * (another trigger, no dedupe) that the callbacks from `stopWith` stop. Returns the previous manifest's
 * text and dataset listing as they were before the second run.
 */
async function overwriteThenStop(
  name: string,
  count: number,
  stopWith: (stop: () => void, copies: readonly string[]) => Pick<PrepOptions, 'onProgress' | 'onFileStart'>,
) {
  const out = join(root, name);
  const first = await runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache });
  const before = readFileSync(join(out, 'manifest.json'), 'utf8');
  const crops = readdirSync(writtenDataset(first)).sort();
  const controller = new AbortController();
  const copies = Array.from({ length: count }, (_, i) => {
    const path = join(root, `${name}-${i}.png`);
    writeFileSync(path, readFileSync(drawn.panel));
    return path;
  });
  const stopped = await runPrep({
    inputs: copies,
    outDir: out,
    overwrite: true,
    config: { trigger: 'other', dedupe: false },
    cache: emptyCache,
    signal: controller.signal,
    ...stopWith(() => controller.abort(), copies),
  });
  return { out, first, before, crops, stopped };
}

describe('runPrep output folder checks', () => {
  it('--overwrite removes the old dataset folder named in the old manifest and keeps unrelated files', async () => {
    const out = join(root, 'overwrite');
    await runPrep({
      inputs: [drawn.panel],
      outDir: out,
      config: { trigger: 'oldword' },
      saveStages: true,
      cache: emptyCache,
    });
    expect(readdirSync(out).sort()).toEqual(['10_oldword girl', 'manifest.json', 'stages']);
    writeFileSync(join(out, 'notes.txt'), 'my notes\n');
    mkdirSync(join(out, 'my-picks'));
    writeFileSync(join(out, 'my-picks', 'best.png'), 'x');
    const run = await runPrep({
      inputs: [drawn.panel],
      outDir: out,
      config: { trigger: 'newword' },
      overwrite: true,
      cache: emptyCache,
    });
    expect(readdirSync(out).sort()).toEqual(['10_newword girl', 'manifest.json', 'my-picks', 'notes.txt']);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('my notes\n');
    expect(readFileSync(join(out, 'my-picks', 'best.png'), 'utf8')).toBe('x');
    expect(run.manifest.datasetDir).toBe('10_newword girl');
  }, 60_000);

  it('--overwrite refuses, before any model loads and deleting nothing, when the folders it replaces hold files no run recorded', async () => {
    const out = join(root, 'overwrite-hand');
    await runPrep({ inputs: [drawn.panel], outDir: out, saveStages: true, cache: emptyCache });
    writeFileSync(join(out, '10_sks girl', 'handpicked.png'), 'mine');
    writeFileSync(join(out, 'stages', 'plan.txt'), 'notes');
    const before = readdirSync(join(out, '10_sks girl')).sort();
    await expect(
      runPrep({ inputs: [drawn.panel], outDir: out, overwrite: true, cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringMatching(
        /holds files no previous prep run recorded: 10_sks girl\/handpicked\.png, stages\/plan\.txt\. --overwrite replaces only/,
      ),
    });
    expect(readdirSync(join(out, '10_sks girl')).sort()).toEqual(before);
    // a manifest.json that is not prep's is not replaced either
    const other = join(root, 'overwrite-foreign');
    mkdirSync(other);
    writeFileSync(join(other, 'manifest.json'), '{"name":"my web app"}');
    await expect(
      runPrep({ inputs: [drawn.panel], outDir: other, overwrite: true, cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('its manifest.json is not a prep manifest'),
    });
    expect(readFileSync(join(other, 'manifest.json'), 'utf8')).toBe('{"name":"my web app"}');
  }, 60_000);

  it('an --overwrite run that makes no crop keeps the previous dataset; a failed caption leaves no image behind', async () => {
    const out = join(root, 'kept');
    const first = await runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache });
    const crops = readdirSync(writtenDataset(first)).sort();
    const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
    const broken = {
      name: 'broken',
      describe: async () => {
        throw new Error('tagger crashed');
      },
    };
    const second = await runPrep({
      inputs: [drawn.panel],
      outDir: out,
      overwrite: true,
      cache: emptyCache,
      stages: { captioner: broken },
    });
    expect(second.manifest.files[0]).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('tagger crashed'),
    });
    expect(second).toMatchObject({ keptPrevious: true, manifestPath: null, datasetDir: null });
    expect(readdirSync(writtenDataset(first)).sort()).toEqual(crops);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(manifest);
    expect(readdirSync(out).sort()).toEqual(['10_sks girl', 'manifest.json']);
    // into a new folder, the failed file leaves no image without its caption
    const fresh = await runPrep({
      inputs: [drawn.panel],
      outDir: join(root, 'kept-fresh'),
      cache: emptyCache,
      stages: { captioner: broken },
    });
    // no crop: no dataset folder, and the result (prep --json) names none
    expect(fresh.datasetDir).toBeNull();
    expect(existsSync(join(root, 'kept-fresh', '10_sks girl'))).toBe(false);
    expect(fresh.manifestPath).toBe(join(root, 'kept-fresh', 'manifest.json'));
  }, 60_000);

  it('a stopped --overwrite run keeps the previous dataset instead of replacing it with the part it did', async () => {
    const { out, first, before, crops, stopped } = await overwriteThenStop(
      'stopped-overwrite',
      16,
      (stop) => ({
        onProgress: stop,
      }),
    );
    expect(stopped.manifest.cancelled).toBe(true);
    expect(stopped.manifest.summary.crops).toBeGreaterThan(0);
    expect(stopped).toMatchObject({ keptPrevious: true, manifestPath: null, datasetDir: null });
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readdirSync(writtenDataset(first)).sort()).toEqual(crops);
    expect(readdirSync(out).sort()).toEqual(['10_sks girl', 'manifest.json']);
  }, 60_000);

  it('a stop that comes once every file has started still cancels: the run replaces nothing (exit 1 in the CLI)', async () => {
    const { out, first, before, stopped } = await overwriteThenStop('stopped-late', 2, (stop, copies) => ({
      // the last file has been handed out: no file is left unstarted when the stop comes
      onFileStart: ({ source }) => {
        if (source === copies[1]) stop();
      },
    }));
    expect(stopped.manifest.files).toHaveLength(2);
    expect(stopped.manifest.cancelled).toBe(true);
    expect(stopped.notProcessed).toBe(0);
    expect(stopped).toMatchObject({ keptPrevious: true, manifestPath: null, datasetDir: null });
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toEqual([first.manifest.datasetDir, 'manifest.json']);
  }, 60_000);

  it('.DS_Store and the like neither make a folder non-empty nor stop --overwrite', async () => {
    const out = join(root, 'desktop-files');
    mkdirSync(out);
    writeFileSync(join(out, '.DS_Store'), 'finder');
    const first = await runPrep({ inputs: [drawn.panel], outDir: out, saveStages: true, cache: emptyCache });
    writeFileSync(join(writtenDataset(first), '.DS_Store'), 'finder');
    writeFileSync(join(out, 'stages', 'Thumbs.db'), 'explorer');
    const second = await runPrep({
      inputs: [drawn.panel],
      outDir: out,
      overwrite: true,
      config: { trigger: 'newer' },
      cache: emptyCache,
    });
    expect(second.manifest.datasetDir).toBe('10_newer girl');
    expect(readdirSync(out).sort()).toEqual(['.DS_Store', '10_newer girl', 'manifest.json']);
  }, 60_000);
});
