// test/helpers/manifest-scene.ts — a prep manifest built by hand for tests that read one (the CLI summary, the
// output folder's replacement, older manifests): fixed stage choices and settings, a dataset folder `10_sks girl`,
// crops with a 100x100 box, and the PrepResult a run of it reports under /out.
import { buildManifest } from '../../src/prep/manifest.js';
import type { PrepResult } from '../../src/prep/pipeline.js';
import { prepConfigSchema } from '../../src/schemas/config.js';
import type { Manifest, ManifestCrop, ManifestFile } from '../../src/schemas/manifest.js';

export const SCENE_DATASET = '10_sks girl';
const box = { x: 0, y: 0, width: 100, height: 100 };
const choice = { name: 'fixed', reason: 'given by the caller' };

/** A crop `<SCENE_DATASET>/<stem>.png` captioned `sks, girl`; `fields` replace or add to its fields. */
export function sceneCrop(stem: string, fields: Partial<ManifestCrop> = {}): ManifestCrop {
  return {
    image: `${SCENE_DATASET}/${stem}.png`,
    captionFile: `${SCENE_DATASET}/${stem}.txt`,
    caption: 'sks, girl',
    characterBox: box,
    cropBox: box,
    dhash: '0123456789abcdef',
    warnings: [],
    ...fields,
  };
}

/** A file `ok` with its crops, or skipped / failed with its reason (and no crops). */
export function sceneFile(
  source: string,
  outcome:
    | { crops: ManifestCrop[] }
    | { status: 'skipped' | 'error'; reason: string; reasonCode: ManifestFile['reasonCode'] },
): ManifestFile {
  const common = { source, rejected: [], timingsMs: {} };
  if ('crops' in outcome)
    return { ...common, status: 'ok', reason: null, reasonCode: null, crops: outcome.crops };
  return { ...common, ...outcome, crops: [] };
}

/** The manifest of a finished (not cancelled) run over `files`, made on 2026-01-01. */
export function sceneManifest(files: ManifestFile[]): Manifest {
  return buildManifest({
    createdAt: new Date('2026-01-01T00:00:00Z'),
    datasetDir: SCENE_DATASET,
    settings: prepConfigSchema.parse({}),
    stages: {
      textDetector: choice,
      textRemover: choice,
      segmenter: choice,
      personDetector: null,
      captioner: choice,
    },
    cancelled: false,
    files,
  });
}

/** What prep reports for `manifest`, written under /out. */
export function sceneResult(manifest: Manifest): PrepResult {
  return {
    outDir: '/out',
    datasetDir: `/out/${SCENE_DATASET}`,
    manifestPath: '/out/manifest.json',
    manifest,
    keptPrevious: false,
    notProcessed: 0,
  };
}
