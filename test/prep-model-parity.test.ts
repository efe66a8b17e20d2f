// The TypeScript model stages against the upstream Python pre/post-processing
// (scripts/prep-model-reference.py: SkyTNT get_mask, rembg u2net, SmilingWolf prepare_image, imgutils
// YOLO) on the same tiny fixture models and the same synthetic panel. Needs trainer/.venv (opencv,
// pillow, onnxruntime); skipped with a note where it is not installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drawPanels } from '../scripts/draw-panels.js';
import { cutSquare } from '../src/prep/crop-box.js';
import { createPersonDetector } from '../src/prep/person-detect.js';
import { createIsnetSegmenter } from '../src/prep/segment-isnet.js';
import { createU2netSegmenter } from '../src/prep/segment-u2net.js';
import { createWd14Captioner } from '../src/prep/tag-wd14.js';
import type { GrayImage, RgbImage } from '../src/vision/image.js';
import { decodeToRgb, encodePng } from '../src/vision/sharp-io.js';
import { onnxFixture } from './helpers/images.js';

const repo = new URL('..', import.meta.url).pathname;
const python = join(repo, 'trainer/.venv/bin/python');
/** The venv with the dev tools (opencv-python, pillow, onnxruntime from requirements-dev.txt). */
function hasReferenceTools(): boolean {
  if (!existsSync(python)) return false;
  try {
    execFileSync(python, ['-c', 'import cv2, onnxruntime, PIL, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasPython = hasReferenceTools();
if (!hasPython) {
  console.warn('prep-model-parity: trainer/.venv with the dev tools is missing (run ./toonlora setup --dev); parity checks skipped');
}

function reference(args: string[]): string {
  return execFileSync(python, [join(repo, 'scripts/prep-model-reference.py'), ...args], { encoding: 'utf8' });
}

async function readGray(path: string): Promise<GrayImage> {
  const rgb = await decodeToRgb(path, { maxPixels: 1e8 });
  const data = new Uint8Array(rgb.width * rgb.height);
  for (let p = 0; p < data.length; p++) data[p] = rgb.data[p * 3] ?? 0;
  return { width: rgb.width, height: rgb.height, data };
}

function meanAbsDiff(a: GrayImage, b: GrayImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
  return sum / a.data.length;
}

const dir = mkdtempSync(join(tmpdir(), 'toonlora-parity-'));
const imagePath = join(dir, 'panel.png');
let image: RgbImage;

describe.skipIf(!hasPython)('model stages match the upstream Python processing', () => {
  beforeAll(async () => {
    const [panel] = await drawPanels();
    // a non-square cut so padding and aspect handling are exercised
    image = cutSquare((panel as { image: RgbImage }).image, { x: 400, y: 250, width: 460, height: 460 });
    image = { width: 460, height: 300, data: image.data.subarray(0, 460 * 300 * 3) };
    await encodePng(image, imagePath);
  }, 120_000);

  it('isnet-anime: same mask as SkyTNT get_mask (within one grey level on average)', async () => {
    const ours = await createIsnetSegmenter({ modelPath: onnxFixture('isnet-anime.onnx') }).segment(image);
    reference(['isnet', onnxFixture('isnet-anime.onnx'), imagePath, join(dir, 'isnet.png')]);
    const theirs = await readGray(join(dir, 'isnet.png'));
    expect([theirs.width, theirs.height]).toEqual([ours.width, ours.height]);
    expect(meanAbsDiff(ours, theirs)).toBeLessThan(1);
  });

  it('u2net: same mask as rembg remove(only_mask=True) (PIL Lanczos vs OpenCV Lanczos4: a few grey levels)', async () => {
    const ours = await createU2netSegmenter({ modelPath: onnxFixture('u2net.onnx') }).segment(image);
    reference(['u2net', onnxFixture('u2net.onnx'), imagePath, join(dir, 'u2net.png')]);
    const theirs = await readGray(join(dir, 'u2net.png'));
    expect(meanAbsDiff(ours, theirs)).toBeLessThan(4);
  });

  it('wd14: same tags and near-identical scores as SmilingWolf prepare_image', async () => {
    const model = onnxFixture('wd-vit-tagger-v3/model.onnx');
    const tags = onnxFixture('wd-vit-tagger-v3/selected_tags.csv');
    const [ours] = await createWd14Captioner({
      modelPath: model,
      tagsPath: tags,
      thresholds: { general: 0.35, character: 0.85 },
    }).describe([image], [imagePath]);
    const theirs = JSON.parse(reference(['wd14', model, tags, imagePath])) as { tags: string[] };
    expect(ours?.tags).toEqual(theirs.tags);
  });

  it('person detector: same boxes as imgutils', async () => {
    const model = onnxFixture('anime-person-detector.onnx');
    const ours = await createPersonDetector({ modelPath: model }).detect(image);
    const theirs = JSON.parse(reference(['person', model, imagePath])) as Array<{ x0: number; y0: number; x1: number; y1: number }>;
    expect(ours.map((d) => [d.box.x, d.box.y, d.box.x + d.box.width, d.box.y + d.box.height])).toEqual(
      theirs.map((d) => [d.x0, d.y0, d.x1, d.y1]),
    );
  });
});
