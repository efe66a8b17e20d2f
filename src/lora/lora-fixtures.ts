// src/lora/lora-fixtures.ts — seeded synthetic LoRAs with real SD1.5 shapes, for tests and the
// convert benchmark: PEFT tensors (lora_A [r, in], lora_B [out, r]) of chosen modules, random
// values from a seed (no model weights involved), written as a PEFT adapter folder or a file; and
// LoKr factors (lokr_w1, lokr_w2_a, ...) of given shapes in PEFT or kohya naming.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { orderForWrite } from './safetensors-format.js';
import { writeSafetensors } from './safetensors-write.js';

/** Cross-attention context width of SD1.5 (CLIP ViT-L/14 hidden size). */
const CROSS_ATTENTION_DIM = 768;

/** Channels of the block a diffusers UNet path sits in. */
function blockChannels(path: string): number {
  const m = /^(down_blocks|up_blocks)\.(\d)\./.exec(path);
  if (!m) return 1280; // mid_block
  const i = Number(m[2]);
  return m[1] === 'down_blocks'
    ? ([320, 640, 1280, 1280][i] as number)
    : ([1280, 1280, 640, 320][i] as number);
}

/** [in, out] features of a Linear in an SD1.5 attention block (attn1/attn2 projections, proj_in/out, ff). */
export function sd15LinearShape(path: string): [number, number] {
  const c = blockChannels(path);
  if (/attn2\.to_[kv]$/.test(path)) return [CROSS_ATTENTION_DIM, c];
  if (path.endsWith('ff.net.0.proj')) return [c, 8 * c];
  if (path.endsWith('ff.net.2')) return [4 * c, c];
  return [c, c];
}

/** Deterministic PRNG (mulberry32) yielding floats in [-1, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

export interface FixtureTensor {
  readonly name: string;
  readonly dtype: 'F32';
  readonly shape: number[];
  readonly data: Float32Array;
}

export interface PeftFixtureOptions {
  readonly modules: readonly string[];
  readonly rank: number;
  readonly seed: number;
  /** Per-module rank override (module path -> rank). */
  readonly ranks?: Readonly<Record<string, number>>;
  /** Add DoRA magnitude vectors. */
  readonly dora?: boolean;
  /** Key prefix: PEFT `base_model.model.` (default) or diffusers `unet.`. */
  readonly prefix?: string;
}

/** PEFT tensors for `modules`; values are small seeded randoms. */
export function makePeftTensors(options: PeftFixtureOptions): FixtureTensor[] {
  const random = seededRandom(options.seed);
  const prefix = options.prefix ?? 'base_model.model.';
  const tensors: FixtureTensor[] = [];
  for (const path of options.modules) {
    const [inFeatures, outFeatures] = sd15LinearShape(path);
    const r = options.ranks?.[path] ?? options.rank;
    const fill = (n: number, scale: number) => Float32Array.from({ length: n }, () => random() * scale);
    tensors.push({
      name: `${prefix}${path}.lora_A.weight`,
      dtype: 'F32',
      shape: [r, inFeatures],
      data: fill(r * inFeatures, 0.05),
    });
    tensors.push({
      name: `${prefix}${path}.lora_B.weight`,
      dtype: 'F32',
      shape: [outFeatures, r],
      data: fill(outFeatures * r, 0.05),
    });
    if (options.dora) {
      tensors.push({
        name: `${prefix}${path}.lora_magnitude_vector`,
        dtype: 'F32',
        shape: [outFeatures],
        data: fill(outFeatures, 1).map((v) => 1 + Math.abs(v)),
      });
    }
  }
  return tensors;
}

/** Writes fixture tensors as one safetensors file. */
export async function writeFixtureFile(
  path: string,
  tensors: readonly FixtureTensor[],
  metadata: Record<string, string> = {},
): Promise<void> {
  const sources = orderForWrite(tensors).map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    chunks: () => [new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)],
  }));
  await writeSafetensors(path, sources, metadata, { overwrite: true });
}

/** Writes a PEFT adapter folder (adapter_model.safetensors + adapter_config.json). */
export async function writePeftFolder(
  folder: string,
  tensors: readonly FixtureTensor[],
  config: Record<string, unknown>,
): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFixtureFile(join(folder, 'adapter_model.safetensors'), tensors, { format: 'pt' });
  await writeFile(
    join(folder, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', ...config }, null, 2),
  );
}

/** One LoKr module of a fixture: its path and the shape of each part it has (lokr_w1, lokr_w2_a, ...). */
export interface LokrFixtureModule {
  readonly path: string;
  readonly shapes: Readonly<Record<string, readonly number[]>>;
}

/**
 * LoKr tensors for `modules` with small seeded values: PEFT keys (`base_model.model.<path>.<part>`)
 * or kohya / LyCORIS keys (`lora_unet_<path_>.<part>`, `lora_te_` for `text_model.` paths).
 */
export function makeLokrTensors(
  modules: readonly LokrFixtureModule[],
  seed: number,
  style: 'peft' | 'kohya' = 'peft',
): FixtureTensor[] {
  const random = seededRandom(seed);
  const tensors: FixtureTensor[] = [];
  for (const { path, shapes } of modules) {
    const kohyaPrefix = path.startsWith('text_model.') ? 'lora_te_' : 'lora_unet_';
    const module = style === 'peft' ? `base_model.model.${path}` : kohyaPrefix + path.replaceAll('.', '_');
    for (const [part, shape] of Object.entries(shapes)) {
      const n = shape.reduce((a, b) => a * b, 1);
      tensors.push({
        name: `${module}.${part}`,
        dtype: 'F32',
        shape: [...shape],
        data: Float32Array.from({ length: n }, () => random() * 0.1),
      });
    }
  }
  return tensors;
}
