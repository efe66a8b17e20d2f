// src/prep/tag-wd14.ts — the WD14 tagger captioner (SmilingWolf `wd-vit-tagger-v3`: `model.onnx`
// input [1,448,448,3] NHWC BGR float 0..255, output [1, tags] already sigmoid; `selected_tags.csv`
// with category 9 rating, 4 character, 0 general). Preprocessing follows SmilingWolf's wd-tagger
// space `prepare_image`: pad to a centred white square, resize (bicubic) to 448, RGB -> BGR. Tags
// above the thresholds (strictly greater, as there), underscores to spaces except kaomoji, ratings dropped.
import { readFileSync } from 'node:fs';
import { ToonloraError } from '../errors.js';
import type { RgbImage } from '../vision/image.js';
import { resizeRgbCv } from '../vision/cv-resize.js';
import { float32Tensor, openOnnxSession, runOnnx } from '../vision/onnx.js';
import { staticInputDim } from '../vision/onnx-shape.js';
import type { Captioner } from './caption.js';

export const WD14_INPUT_SIZE = 448;

/** Tags the WD14 tools keep with underscores (toriato/stable-diffusion-webui-wd14-tagger ui.py). */
export const KAOMOJI_TAGS: ReadonlySet<string> = new Set([
  '0_0', '(o)_(o)', '+_+', '+_-', '._.', '<o>_<o>', '<|>_<|>', '=_=', '>_<', '3_3', '6_9', '>_o', '@_@', '^_^',
  'o_o', 'u_u', 'x_x', '|_|', '||_||',
]);

export interface Wd14Label {
  /** Caption form of the tag (spaces for underscores, kaomoji kept). */
  readonly name: string;
  /** 9 rating, 4 character, 0 general (other categories are ignored). */
  readonly category: number;
}

/** Splits one CSV line, honouring double-quoted fields with "" escapes. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** Parses `selected_tags.csv` (header `tag_id,name,category,count`). @throws Error on a missing column. */
export function parseSelectedTags(csv: string): Wd14Label[] {
  const lines = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '');
  const nameCol = header.indexOf('name');
  const categoryCol = header.indexOf('category');
  if (nameCol < 0 || categoryCol < 0) {
    throw new Error(`selected_tags.csv: expected "name" and "category" columns, got [${header.join(', ')}]`);
  }
  return lines.slice(1).map((line) => {
    const fields = splitCsvLine(line);
    const raw = fields[nameCol] ?? '';
    return {
      name: KAOMOJI_TAGS.has(raw) ? raw : raw.replaceAll('_', ' '),
      category: Number(fields[categoryCol]),
    };
  });
}

/** Centred white square around the image (`pad_left = (max - w) // 2`). Pure. */
export function padToWhiteSquare(image: RgbImage): RgbImage {
  const side = Math.max(image.width, image.height);
  if (side === image.width && side === image.height) return image;
  const data = new Uint8Array(side * side * 3).fill(255);
  const left = Math.trunc((side - image.width) / 2);
  const top = Math.trunc((side - image.height) / 2);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + top) * side + left) * 3);
  }
  return { width: side, height: side, data };
}

/** NHWC float32 [1,H,W,3] in BGR order, 0..255, no normalisation. Pure. */
export function packWd14Input(square: RgbImage): Float32Array {
  const tensor = new Float32Array(square.width * square.height * 3);
  for (let p = 0; p < square.width * square.height; p++) {
    tensor[p * 3] = square.data[p * 3 + 2] ?? 0;
    tensor[p * 3 + 1] = square.data[p * 3 + 1] ?? 0;
    tensor[p * 3 + 2] = square.data[p * 3] ?? 0;
  }
  return tensor;
}

export interface Wd14Thresholds {
  /** prep.wd14.generalThreshold (0.35 by default). */
  readonly general: number;
  /** prep.wd14.characterThreshold (0.85 by default). */
  readonly character: number;
}

/** Character tags then general tags, each most confident first; rating tags never. Pure. */
export function selectWd14Tags(probs: ArrayLike<number>, labels: readonly Wd14Label[], thresholds: Wd14Thresholds): string[] {
  if (probs.length !== labels.length) {
    throw new RangeError(`wd14: the model gives ${probs.length} scores but selected_tags.csv lists ${labels.length} tags`);
  }
  const pick = (category: number, threshold: number): string[] =>
    labels
      .map((label, i) => ({ label, p: probs[i] ?? 0 }))
      .filter(({ label, p }) => label.category === category && p > threshold)
      .sort((a, b) => b.p - a.p)
      .map(({ label }) => label.name);
  return [...pick(4, thresholds.character), ...pick(0, thresholds.general)];
}

export interface Wd14CaptionerOptions {
  readonly modelPath: string;
  readonly tagsPath: string;
  readonly thresholds: Wd14Thresholds;
  /** Square input side; default: the model's declared input size, else 448. */
  readonly inputSizePx?: number;
}

function readLabels(tagsPath: string): Wd14Label[] {
  try {
    return parseSelectedTags(readFileSync(tagsPath, 'utf8'));
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      `wd-vit-tagger-v3: cannot read ${tagsPath} (${(error as Error).message}). Run: toonlora models pull wd-vit-tagger-v3`,
      {
        cause: error,
        details: { model: 'wd-vit-tagger-v3', path: tagsPath },
        // the file is there but unreadable: the Models page lists the model complete, so Remove, then pull
        fix: { kind: 'repull-model', id: 'wd-vit-tagger-v3' },
      },
    );
  }
}

const openWd14Session = (modelPath: string) => openOnnxSession(modelPath, { modelId: 'wd-vit-tagger-v3' });

/** The `wd14` captioner: tags for each crop. */
export function createWd14Captioner(options: Wd14CaptionerOptions): Captioner {
  let labels: Wd14Label[] | undefined;
  return {
    name: 'wd14',
    async describe(images) {
      labels ??= readLabels(options.tagsPath);
      const session = await openWd14Session(options.modelPath);
      const inputName = session.inputNames[0] as string;
      const outputName = session.outputNames[0] as string;
      // NHWC: the model's own H (448 for the v3 taggers), as the reference reads get_inputs()[0].shape
      const size = options.inputSizePx ?? staticInputDim(session, 0, 1) ?? WD14_INPUT_SIZE;
      const results = [];
      for (const image of images) {
        const square = await resizeRgbCv(padToWhiteSquare(image), size, size, 'cubic');
        const outputs = await runOnnx(session, { [inputName]: float32Tensor(packWd14Input(square), [1, size, size, 3]) });
        const probs = outputs[outputName]?.data as Float32Array;
        results.push({ tags: selectWd14Tags(probs, labels, options.thresholds) });
      }
      return results;
    },
  };
}

/** The `wd14` captioner with its tag list read and its session opened now. @throws ToonloraError TL_ERR_MODEL_MISSING (absent or unreadable files). */
export async function loadWd14Captioner(options: Wd14CaptionerOptions): Promise<Captioner> {
  readLabels(options.tagsPath);
  await openWd14Session(options.modelPath);
  return createWd14Captioner(options);
}
