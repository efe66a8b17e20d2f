// runPrep and its output folder: a cached model that does not load never leaves a half-written
// dataset (auto falls back, a stage asked for by name fails before anything is written), a bad -o
// path is a usage error before any model loads, and --overwrite replaces only what an earlier prep
// wrote (the old dataset folder named in its manifest) while the user's own files survive.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { type PrepOptions, type PrepResult, runPrep } from '../src/prep/pipeline.js';
import { manifestSchema } from '../src/schemas/manifest.js';

/** The dataset folder a run wrote (a failure when it reports none). */
function writtenDataset(result: PrepResult): string {
  expect(result.datasetDir).not.toBeNull();
  return result.datasetDir ?? '';
}

const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-out-'));
const emptyCache = { env: { TOONLORA_HOME: join(root, 'empty-home'), HF_HOME: join(root, 'empty-hf') } };
let panel: string;

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
  const first = await runPrep({ inputs: [panel], outDir: out, cache: emptyCache });
  const before = readFileSync(join(out, 'manifest.json'), 'utf8');
  const crops = readdirSync(writtenDataset(first)).sort();
  const controller = new AbortController();
  const copies = Array.from({ length: count }, (_, i) => {
    const path = join(root, `${name}-${i}.png`);
    writeFileSync(path, readFileSync(panel));
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

/** A toonlora home whose isnet-anime, WD14 and person-detector files are text, not ONNX. */
function garbageCache() {
  const home = join(root, 'garbage-home');
  const files = [
    'isnet-anime/isnet-anime.onnx',
    'wd-vit-tagger-v3/model.onnx',
    'wd-vit-tagger-v3/selected_tags.csv',
    'anime-person-detector/person_detect_v1.3_s/model.onnx',
    'lama/lama_fp32.onnx',
  ];
  for (const file of files) {
    mkdirSync(join(home, 'models', file, '..'), { recursive: true });
    writeFileSync(
      join(home, 'models', file),
      file.endsWith('.csv') ? 'tag_id,name,category,count\n0,smile,0,1\n' : 'not ONNX\n',
    );
  }
  return { env: { TOONLORA_HOME: home, HF_HOME: join(root, 'empty-hf') } };
}

beforeAll(async () => {
  [panel] = (await writePanelImages((await drawPanels()).slice(0, 1), join(root, 'in'))) as [string];
}, 60_000);

describe('runPrep with cached model files that do not load', () => {
  it('auto falls back (one line per stage naming the file) and writes a complete dataset', async () => {
    const lines: string[] = [];
    const run = await runPrep({
      inputs: [panel],
      outDir: join(root, 'garbage-auto'),
      config: { characters: 'all' },
      cache: garbageCache(),
      onMessage: (line) => lines.push(line),
    });
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^segmenter: classic \(auto: isnet-anime failed to load: .*isnet-anime\.onnx is not a loadable ONNX model/,
    );
    expect(lines[1]).toMatch(
      /^captioner: none \(auto: .*wd-vit-tagger-v3 failed to load: .*model\.onnx is not a loadable ONNX model/,
    );
    expect(lines[2]).toMatch(
      /^characters: all, split by separate mask parts; anime-person-detector failed to load: .*model\.onnx is not a loadable/,
    );
    expect(lines[3]).toMatch(
      /^text removal: opencv-inpaint-ns \(auto: lama failed to load: .*lama_fp32\.onnx is not a loadable ONNX model/,
    );
    expect(run.manifest.stages.personDetector).toMatchObject({
      name: 'mask-parts',
      reason: expect.stringMatching(/^split by separate mask parts; anime-person-detector failed to load/),
    });
    expect(run.manifest.summary.crops).toBeGreaterThan(0);
    for (const crop of run.manifest.files.flatMap((f) => f.crops)) {
      expect(readFileSync(join(run.outDir, crop.captionFile), 'utf8')).toBe('sks, girl\n');
    }
    expect(
      manifestSchema.parse(JSON.parse(readFileSync(String(run.manifestPath), 'utf8'))).stages.segmenter.name,
    ).toBe('classic');
  }, 60_000);

  it('a stage asked for by name fails before the output folder is made', async () => {
    const out = join(root, 'garbage-named');
    for (const config of [{ segmenter: 'isnet-anime' as const }, { captioner: 'wd14' as const }]) {
      await expect(
        runPrep({ inputs: [panel], outDir: out, config, cache: garbageCache() }),
      ).rejects.toMatchObject({
        code: 'TL_ERR_MODEL_MISSING',
        message: expect.stringMatching(
          /is not a loadable ONNX model .*Delete it and run: toonlora models pull/,
        ),
      });
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('runPrep progress events', () => {
  it('announces each file when it starts, before its result', async () => {
    const notImage = join(root, 'notes.png');
    writeFileSync(notImage, 'not a picture\n');
    const events: string[] = [];
    await runPrep({
      inputs: [notImage, panel],
      outDir: join(root, 'progress'),
      cache: emptyCache,
      onFileStart: (p) => events.push(`start ${p.done}/${p.total} ${p.source}`),
      onProgress: (p) => events.push(`done ${p.done}/${p.total} ${p.source}`),
    });
    // (several files may be under way at once: each starts before its own result, all in input order)
    expect(events.filter((e) => e.startsWith('start')).map((e) => e.split(' ').slice(2).join(' '))).toEqual([
      notImage,
      panel,
    ]);
    expect(events.filter((e) => e.startsWith('done'))).toEqual([`done 1/2 ${notImage}`, `done 2/2 ${panel}`]);
    expect(events.indexOf(`start 0/2 ${notImage}`)).toBe(0);
    expect(events.findIndex((e) => e.startsWith('start') && e.endsWith(panel))).toBeLessThan(
      events.indexOf(`done 2/2 ${panel}`),
    );
  }, 60_000);
});

describe('runPrep output folder checks', () => {
  it('-o naming a file, or a path below a file, is a usage error naming the path', async () => {
    const file = join(root, 'a-file.txt');
    writeFileSync(file, 'mine\n');
    await expect(runPrep({ inputs: [panel], outDir: file, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: `${file}: this is a file, not a folder. Choose a new or empty folder you can write to for -o.`,
    });
    await expect(
      runPrep({ inputs: [panel], outDir: join(file, 'out'), cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringMatching(
        new RegExp(`^${join(file, 'out')}: ${file} is a file, so no folder can be made in it\\.`),
      ),
    });
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it.skipIf(process.getuid?.() === 0)(
    '-o inside a read-only folder is a usage error naming the path',
    async () => {
      const readOnly = join(root, 'read-only');
      mkdirSync(readOnly, { mode: 0o555 });
      await expect(
        runPrep({ inputs: [panel], outDir: join(readOnly, 'out'), cache: emptyCache }),
      ).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(/read-only is not writable \(EACCES\)/),
      });
    },
  );

  it('--overwrite removes the old dataset folder named in the old manifest and keeps unrelated files', async () => {
    const out = join(root, 'overwrite');
    await runPrep({
      inputs: [panel],
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
      inputs: [panel],
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
    await runPrep({ inputs: [panel], outDir: out, saveStages: true, cache: emptyCache });
    writeFileSync(join(out, '10_sks girl', 'handpicked.png'), 'mine');
    writeFileSync(join(out, 'stages', 'plan.txt'), 'notes');
    const before = readdirSync(join(out, '10_sks girl')).sort();
    await expect(
      runPrep({ inputs: [panel], outDir: out, overwrite: true, cache: emptyCache }),
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
      runPrep({ inputs: [panel], outDir: other, overwrite: true, cache: emptyCache }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining('its manifest.json is not a prep manifest'),
    });
    expect(readFileSync(join(other, 'manifest.json'), 'utf8')).toBe('{"name":"my web app"}');
  }, 60_000);

  it('an --overwrite run that makes no crop keeps the previous dataset; a failed caption leaves no image behind', async () => {
    const out = join(root, 'kept');
    const first = await runPrep({ inputs: [panel], outDir: out, cache: emptyCache });
    const crops = readdirSync(writtenDataset(first)).sort();
    const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
    const broken = {
      name: 'broken',
      describe: async () => {
        throw new Error('tagger crashed');
      },
    };
    const second = await runPrep({
      inputs: [panel],
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
      inputs: [panel],
      outDir: join(root, 'kept-fresh'),
      cache: emptyCache,
      stages: { captioner: broken },
    });
    // no crop: no dataset folder, and the result (prep --json) names none
    expect(fresh.datasetDir).toBeNull();
    expect(existsSync(join(root, 'kept-fresh', '10_sks girl'))).toBe(false);
    expect(fresh.manifestPath).toBe(join(root, 'kept-fresh', 'manifest.json'));
  }, 60_000);

  it('a killed run leaves only its staging folder, which the next run clears; --overwrite after it replaces nothing else', async () => {
    const killed = join(root, 'killed');
    mkdirSync(join(killed, '.toonlora-prep-staging', '10_sks girl'), { recursive: true });
    writeFileSync(join(killed, '.toonlora-prep-staging', '10_sks girl', 'half.png'), 'x');
    const next = await runPrep({
      inputs: [panel],
      outDir: killed,
      config: { trigger: 'alice' },
      cache: emptyCache,
    });
    expect(readdirSync(killed).sort()).toEqual(['10_alice girl', 'manifest.json']);
    expect(next.manifest.summary.crops).toBeGreaterThan(0);
    // a previous run's dataset survives a run killed after it, and --overwrite then replaces it whole
    mkdirSync(join(killed, '.toonlora-prep-staging', '10_bob girl'), { recursive: true });
    const third = await runPrep({
      inputs: [panel],
      outDir: killed,
      config: { trigger: 'bob' },
      overwrite: true,
      cache: emptyCache,
    });
    expect(readdirSync(killed).sort()).toEqual(['10_bob girl', 'manifest.json']);
    expect(third.manifest.datasetDir).toBe('10_bob girl');
  }, 60_000);

  it('a black narration box bigger than the character is not taken for it; a page of only panels is skipped, saying why', async () => {
    const box = join(root, 'black-box.png');
    await sharp(panel)
      .extend({ left: 700, background: '#ffffff' })
      .composite([
        {
          input: { create: { width: 600, height: 420, channels: 3, background: '#000000' } },
          left: 40,
          top: 40,
        },
      ])
      .png()
      .toFile(box);
    const page = join(root, 'panels-page.png');
    // a white page with 60 px margins and two framed panels of flat grey tone: nothing to crop
    const frame = (top: number) => ({
      input: { create: { width: 980, height: 700, channels: 3 as const, background: '#000000' } },
      left: 60,
      top,
    });
    const inner = (top: number) => ({
      input: { create: { width: 968, height: 688, channels: 3 as const, background: '#c8c8c8' } },
      left: 66,
      top: top + 6,
    });
    await sharp({ create: { width: 1100, height: 1600, channels: 3, background: '#ffffff' } })
      .composite([frame(60), inner(60), frame(820), inner(820)])
      .png()
      .toFile(page);
    const run = await runPrep({ inputs: [box, page], outDir: join(root, 'panel-guard'), cache: emptyCache });
    const [boxed, paged] = run.manifest.files;
    expect(boxed?.status).toBe('ok');
    // the crop is the character's (right of the box), not the black box at 40,40
    expect(boxed?.crops[0]?.characterBox.x).toBeGreaterThan(700);
    expect(paged).toMatchObject({ status: 'skipped', reasonCode: 'no-character' });
    expect(paged?.reason).toMatch(
      /look(s)? like a panel or box, not a character: crop the panel, or use --segmenter isnet-anime/,
    );
  }, 60_000);

  it('an empty -o is a usage error, not the working folder', async () => {
    await expect(runPrep({ inputs: [panel], outDir: '', cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining('-o "": an empty path'),
    });
  });

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

  it.runIf(process.platform === 'linux')(
    'an -o where no folder can be made (/proc) fails at once, naming it',
    async () => {
      // Node's recursive mkdir looped forever at 100% CPU there (ENOENT under a parent that exists)
      const started = Date.now();
      await expect(
        runPrep({ inputs: [panel], outDir: '/proc/toonlora-nope/out', cache: emptyCache }),
      ).rejects.toMatchObject({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining(
          '/proc/toonlora-nope/out: its folder /proc/toonlora-nope cannot be made in /proc (ENOENT',
        ),
      });
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    15_000,
  );

  it("refuses a folder another live prep run is staging into, and takes over a dead run's", async () => {
    const out = join(root, 'live-staging');
    mkdirSync(join(out, '.toonlora-prep-staging', '10_sks girl'), { recursive: true });
    writeFileSync(join(out, '.toonlora-prep-staging', '10_sks girl', 'half.png'), 'x');
    // a live process that is not this one: the parent (the vitest runner)
    writeFileSync(join(out, '.toonlora-prep-staging', 'owner.pid'), `${process.ppid}\n`);
    await expect(runPrep({ inputs: [panel], outDir: out, cache: emptyCache })).rejects.toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message: expect.stringContaining(
        `another prep run (process ${process.ppid}) is writing into this folder`,
      ),
    });
    expect(readFileSync(join(out, '.toonlora-prep-staging', '10_sks girl', 'half.png'), 'utf8')).toBe('x');
    // on Linux, a live process that is not Node (the id reused after a reboot) does not hold the folder
    if (process.platform === 'linux') {
      const { spawn } = await import('node:child_process');
      const sleeper = spawn('sleep', ['30']);
      try {
        writeFileSync(join(out, '.toonlora-prep-staging', 'owner.pid'), `${sleeper.pid}\n`);
        const taken = await runPrep({
          inputs: [panel],
          outDir: join(out),
          overwrite: true,
          cache: emptyCache,
        });
        expect(taken.manifest.summary.crops).toBeGreaterThan(0);
      } finally {
        sleeper.kill();
      }
      rmSync(out, { recursive: true, force: true });
      mkdirSync(join(out, '.toonlora-prep-staging'), { recursive: true });
    }
    // a pid no process has: a killed run's leftovers, cleared
    writeFileSync(join(out, '.toonlora-prep-staging', 'owner.pid'), '2147483646\n');
    const run = await runPrep({ inputs: [panel], outDir: out, cache: emptyCache });
    expect(run.manifest.summary.crops).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(['10_sks girl', 'manifest.json']);
  }, 60_000);

  it('.DS_Store and the like neither make a folder non-empty nor stop --overwrite', async () => {
    const out = join(root, 'desktop-files');
    mkdirSync(out);
    writeFileSync(join(out, '.DS_Store'), 'finder');
    const first = await runPrep({ inputs: [panel], outDir: out, saveStages: true, cache: emptyCache });
    writeFileSync(join(writtenDataset(first), '.DS_Store'), 'finder');
    writeFileSync(join(out, 'stages', 'Thumbs.db'), 'explorer');
    const second = await runPrep({
      inputs: [panel],
      outDir: out,
      overwrite: true,
      config: { trigger: 'newer' },
      cache: emptyCache,
    });
    expect(second.manifest.datasetDir).toBe('10_newer girl');
    expect(readdirSync(out).sort()).toEqual(['.DS_Store', '10_newer girl', 'manifest.json']);
  }, 60_000);
});
