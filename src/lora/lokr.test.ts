// Tests for LoKr support (lokr.ts, lokr-plan.ts, convert-lokr.ts, open-adapter.ts, inspect): PEFT's
// factorization ported value for value, PEFT -> kohya keeps every module's delta W (PEFT's alpha / r
// against LyCORIS' alpha / dim or 1, baked into lokr_w1 where both factors are full), kohya -> PEFT
// infers a config whose PEFT shape rules re-create the file's shapes, the refusals (diffusers,
// mixed LoRA + LoKr, factors PEFT cannot hold), the LoKr metadata and the inspection.
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { convertLora } from './convert.js';
import { loraFileForDiffusers } from './diffusers-copy.js';
import { float32ToFloat16Bits } from './float-convert.js';
import { inspectLora } from './inspect.js';
import { formatInspection } from './inspect-text.js';
import { buildKohyaMetadata, loraTrainingFactsSchema, networkModuleMetadata } from './kohya-metadata.js';
import { checkLoaderCompatibility } from './loader-compat.js';
import { factorization, isLokrKeys, LOKR_PARTS, parseLokrKey, peftLokrShapes } from './lokr.js';
import {
  type LokrFixtureModule,
  makeLokrTensors,
  makePeftTensors,
  writeFixtureFile,
  writePeftFolder,
} from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { parsePeftLokrConfig, peftLokrModuleRank } from './peft-config.js';
import { openSafetensors } from './safetensors-read.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-lokr-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers: read tensors, matrices, kron, delta W under PEFT and LyCORIS semantics

type Tensor = { shape: readonly number[]; dtype: string; bytes: Uint8Array };

async function readAll(path: string): Promise<Map<string, Tensor>> {
  const reader = await openSafetensors(path);
  try {
    const out = new Map<string, Tensor>();
    for (const t of reader.header.tensors)
      out.set(t.name, { shape: t.shape, dtype: t.dtype, bytes: await reader.readTensor(t) });
    return out;
  } finally {
    await reader.close();
  }
}

async function readMetadata(path: string): Promise<Readonly<Record<string, string>>> {
  const reader = await openSafetensors(path);
  await reader.close();
  return reader.header.metadata;
}

const asF32 = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer);

interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

function matrix(t: Tensor | undefined): Matrix {
  if (!t) throw new Error('missing tensor');
  const values = asF32(t.bytes);
  const rows = t.shape[0] as number;
  return { rows, cols: values.length / rows, data: Float64Array.from(values) };
}

function matmul(a: Matrix, b: Matrix): Matrix {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++) {
      const v = a.data[i * a.cols + k] as number;
      for (let j = 0; j < b.cols; j++)
        out[i * b.cols + j] = (out[i * b.cols + j] as number) + v * (b.data[k * b.cols + j] as number);
    }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** torch.kron for matrices: K[i * b.rows + k][j * b.cols + l] = a[i][j] * b[k][l]. */
function kron(a: Matrix, b: Matrix): Matrix {
  const rows = a.rows * b.rows;
  const cols = a.cols * b.cols;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) {
      const v = a.data[i * a.cols + j] as number;
      for (let k = 0; k < b.rows; k++)
        for (let l = 0; l < b.cols; l++)
          out[(i * b.rows + k) * cols + j * b.cols + l] = v * (b.data[k * b.cols + l] as number);
    }
  return { rows, cols, data: out };
}

function factor(tensors: Map<string, Tensor>, module: string, n: 1 | 2): Matrix {
  const full = tensors.get(`${module}.lokr_w${n}`);
  if (full) return matrix(full);
  return matmul(matrix(tensors.get(`${module}.lokr_w${n}_a`)), matrix(tensors.get(`${module}.lokr_w${n}_b`)));
}

/** PEFT (tuners/lokr/layer.py): kron(w1, w2) * alpha / r. */
function peftDelta(tensors: Map<string, Tensor>, path: string, scale: number): Matrix {
  const module = `base_model.model.${path}`;
  const k = kron(factor(tensors, module, 1), factor(tensors, module, 2));
  return { ...k, data: k.data.map((v) => v * scale) };
}

/** LyCORIS / A1111 / ComfyUI: alpha / dim (dim = w2_b rows, else w1_b rows), 1 when both factors are full or no alpha. */
function lycorisDelta(tensors: Map<string, Tensor>, name: string): Matrix {
  const decomposed = tensors.get(`${name}.lokr_w2_b`) ?? tensors.get(`${name}.lokr_w1_b`);
  const alpha = tensors.get(`${name}.alpha`);
  const scale = decomposed && alpha ? (asF32(alpha.bytes)[0] as number) / (decomposed.shape[0] as number) : 1;
  const k = kron(factor(tensors, name, 1), factor(tensors, name, 2));
  return { ...k, data: k.data.map((v) => v * scale) };
}

function maxRelDiff(a: Matrix, b: Matrix): number {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.data.length; i++) {
    worst = Math.max(worst, Math.abs((a.data[i] as number) - (b.data[i] as number)));
    scale = Math.max(scale, Math.abs(a.data[i] as number));
  }
  return worst / scale;
}

const kohyaName = (path: string) =>
  (path.startsWith('text_model.') ? 'lora_te_' : 'lora_unet_') + path.replaceAll('.', '_');

async function expectThrowsCode(promise: Promise<unknown>, code: string, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToonloraError);
  expect((error as ToonloraError).code).toBe(code);
  expect((error as ToonloraError).message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------
// Fixtures (shapes as PEFT 0.21.2 creates them for SD1.5 attention projections, factor -1)

const BLOCK = 'down_blocks.0.attentions.0.transformer_blocks.0';
/** Decomposed w2, alpha 2 != r 4 (alpha_pattern): scale 0.5. 320 = 16 x 20. */
const Q = `${BLOCK}.attn1.to_q`;
/** Both factors full (r 16 >= 20 / 2, rank_pattern), alpha 8: scale 0.5, so convert bakes it into lokr_w1. */
const K = `${BLOCK}.attn1.to_k`;
/** Both factors full, r = alpha = 12: scale 1. */
const V = `${BLOCK}.attn1.to_v`;
/** Cross-attention key, 768 -> 320 (in 768 = 24 x 32): decomposed w2, r 4 alpha 4, scale 1. */
const K2 = `${BLOCK}.attn2.to_k`;
/** Text encoder q_proj 768 -> 768, in `text_encoder/`: decomposed w2, r 4 alpha 8: scale 2. */
const TE_Q = 'text_model.encoder.layers.0.self_attn.q_proj';

const UNET_MODULES: LokrFixtureModule[] = [
  { path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } },
  { path: K, shapes: { lokr_w1: [16, 16], lokr_w2: [20, 20] } },
  { path: V, shapes: { lokr_w1: [16, 16], lokr_w2: [20, 20] } },
  { path: K2, shapes: { lokr_w1: [16, 24], lokr_w2_a: [20, 4], lokr_w2_b: [4, 32] } },
];
const UNET_CONFIG = {
  peft_type: 'LOKR',
  r: 4,
  alpha: 4,
  rank_pattern: { 'attn1.to_k': 16, 'attn1.to_v': 12 },
  alpha_pattern: { 'attn1.to_q': 2, 'attn1.to_k': 8, 'attn1.to_v': 12 },
  decompose_both: false,
  decompose_factor: -1,
  target_modules: ['to_k', 'to_out.0', 'to_q', 'to_v'],
  init_weights: true,
  rank_dropout: 0,
  module_dropout: 0,
  use_effective_conv2d: false,
};
/** PEFT's scale (alpha / r) per module, written out by hand from UNET_CONFIG. */
const PEFT_SCALES: Record<string, number> = { [Q]: 0.5, [K]: 0.5, [V]: 1, [K2]: 1, [TE_Q]: 2 };

async function writePeftLokr(folder: string, withTextEncoder = true): Promise<void> {
  await writePeftFolder(folder, makeLokrTensors(UNET_MODULES, 7), UNET_CONFIG);
  if (withTextEncoder) {
    // The trainer's text-encoder adapter: keys under base_model.model.text_model.* (checkpoint.py).
    await writePeftFolder(
      join(folder, 'text_encoder'),
      makeLokrTensors(
        [{ path: TE_Q, shapes: { lokr_w1: [24, 24], lokr_w2_a: [32, 4], lokr_w2_b: [4, 32] } }],
        8,
      ),
      { peft_type: 'LOKR', r: 4, alpha: 8, decompose_factor: -1, target_modules: ['q_proj'] },
    );
  }
}

// ---------------------------------------------------------------------------------------------

describe('factorization (PEFT 0.21.2 tuners/lokr/layer.py)', () => {
  it('matches the values Python gives', () => {
    const cases: Array<[number, number, [number, number]]> = [
      [320, -1, [16, 20]],
      [640, -1, [20, 32]],
      [1280, -1, [32, 40]],
      [768, -1, [24, 32]],
      [320, 8, [8, 40]],
      [640, 8, [8, 80]],
      [1280, 8, [8, 160]],
      [768, 8, [8, 96]],
      [320, 4, [4, 80]],
      [768, 4, [4, 192]],
      // Beyond the brief, also from peft 0.21.2: a divisor above the root, non-divisors, a prime.
      [320, 32, [32, 10]],
      [320, 3, [2, 160]],
      [320, 7, [5, 64]],
      [127, -1, [1, 127]],
    ];
    for (const [dimension, f, expected] of cases) expect(factorization(dimension, f)).toEqual(expected);
  });

  it("gives PEFT's factor shapes: w2 full from r >= max side / 2, w1 decomposed only with decompose_both", () => {
    expect(peftLokrShapes(320, 320, 4, -1, false)).toEqual({
      lokr_w1: [16, 16],
      lokr_w2_a: [20, 4],
      lokr_w2_b: [4, 20],
    });
    expect(peftLokrShapes(320, 320, 32, -1, false)).toEqual({ lokr_w1: [16, 16], lokr_w2: [20, 20] });
    expect(peftLokrShapes(320, 320, 10, -1, false)).toEqual({ lokr_w1: [16, 16], lokr_w2: [20, 20] });
    expect(peftLokrShapes(1280, 1280, 4, -1, true)).toEqual({
      lokr_w1_a: [32, 4],
      lokr_w1_b: [4, 32],
      lokr_w2_a: [40, 4],
      lokr_w2_b: [4, 40],
    });
    // Conv2d 3x3: w2 keeps the kernel, a decomposed w2_b flattens it.
    expect(peftLokrShapes(320, 320, 32, -1, false, [3, 3])).toEqual({
      lokr_w1: [16, 16],
      lokr_w2: [20, 20, 3, 3],
    });
    expect(peftLokrShapes(320, 320, 4, -1, false, [3, 3])).toMatchObject({ lokr_w2_b: [4, 180] });
  });
});

describe('LoKr key grammar', () => {
  it('parses kohya and PEFT LoKr keys, and tells LoKr files apart', () => {
    expect(parseLokrKey(`${kohyaName(`${BLOCK}.attn1.to_out.0`)}.lokr_w2_a`)).toEqual({
      style: 'kohya',
      component: 'unet',
      path: `${BLOCK}.attn1.to_out.0`,
      part: 'lokr_w2_a',
    });
    expect(parseLokrKey(`${kohyaName(TE_Q)}.alpha`)).toMatchObject({ component: 'text_encoder', path: TE_Q });
    expect(parseLokrKey(`base_model.model.${TE_Q}.lokr_w1`)).toMatchObject({
      style: 'peft',
      component: 'text_encoder',
    });
    expect(parseLokrKey(`base_model.model.${Q}.lokr_t2`)).toBeUndefined();
    expect(parseLokrKey(`base_model.model.${Q}.lora_A.weight`)).toBeUndefined();
    expect(isLokrKeys([`lora_unet_x.lora_up.weight`, `lora_unet_y.lokr_w1`])).toBe(true);
    expect(isLokrKeys([`lora_unet_x.lora_up.weight`])).toBe(false);
    expect(LOKR_PARTS).toHaveLength(6);
  });
});

describe('PEFT LoKr folder -> kohya', () => {
  it('writes LyCORIS keys and alphas, copies bytes, bakes full-full scales, keeps every delta W', async () => {
    const peft = join(dir, 'peft-a');
    await writePeftLokr(peft);
    const out = join(dir, 'a.safetensors');
    const result = await convertLora({ input: peft, output: out });
    expect(result).toMatchObject({ from: 'peft', to: 'kohya', algorithm: 'lokr', modules: 5, warnings: [] });

    const kohya = await readAll(out);
    const expectedKeys = [
      ...UNET_MODULES.flatMap((m) =>
        [...Object.keys(m.shapes), 'alpha'].map((p) => `${kohyaName(m.path)}.${p}`),
      ),
      ...['lokr_w1', 'lokr_w2_a', 'lokr_w2_b', 'alpha'].map((p) => `${kohyaName(TE_Q)}.${p}`),
    ].sort();
    expect([...kohya.keys()].sort()).toEqual(expectedKeys);
    expect(kohyaName(Q)).toBe('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q');

    // .alpha: the PEFT alpha for decomposed modules (dim == r), PEFT's r where both factors are full.
    const alpha = (path: string) => {
      const t = kohya.get(`${kohyaName(path)}.alpha`) as Tensor;
      expect(t).toMatchObject({ dtype: 'F32', shape: [] });
      return asF32(t.bytes)[0];
    };
    expect([alpha(Q), alpha(K), alpha(V), alpha(K2), alpha(TE_Q)]).toEqual([2, 16, 12, 4, 8]);

    // Every factor is copied byte for byte, except the full-full module with scale != 1 (K).
    const source = new Map([
      ...(await readAll(join(peft, 'adapter_model.safetensors'))),
      ...(await readAll(join(peft, 'text_encoder', 'adapter_model.safetensors'))),
    ]);
    for (const m of [...UNET_MODULES.map((u) => u.path), TE_Q]) {
      for (const part of LOKR_PARTS) {
        const from = source.get(`base_model.model.${m}.${part}`);
        const to = kohya.get(`${kohyaName(m)}.${part}`);
        expect(Boolean(from)).toBe(Boolean(to));
        if (!from || !to || (m === K && part === 'lokr_w1')) continue;
        expect(Buffer.from(to.bytes).equals(Buffer.from(from.bytes))).toBe(true);
      }
    }
    const w1 = asF32((source.get(`base_model.model.${K}.lokr_w1`) as Tensor).bytes);
    const baked = asF32((kohya.get(`${kohyaName(K)}.lokr_w1`) as Tensor).bytes);
    expect(Array.from(baked)).toEqual(Array.from(w1, (v) => Math.fround(v * 0.5)));

    // delta W: PEFT semantics on the input == LyCORIS semantics on the output.
    for (const m of [...UNET_MODULES.map((u) => u.path), TE_Q]) {
      const expected = peftDelta(source, m, PEFT_SCALES[m] as number);
      expect(maxRelDiff(expected, lycorisDelta(kohya, kohyaName(m)))).toBeLessThan(1e-6);
    }
  });

  it('writes LoKr metadata from training facts (LyCORIS network module and args)', async () => {
    const peft = join(dir, 'peft-meta');
    await writePeftLokr(peft, false);
    const out = join(dir, 'meta.safetensors');
    await convertLora({ input: peft, output: out, trainingFacts: { outputName: 'hero', trigger: 'sks' } });
    const meta = await readMetadata(out);
    expect(meta).toMatchObject({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"-1"}',
      ss_network_dim: '4',
      ss_network_alpha: '4.0',
      ss_network_train_unet_only: 'True',
      'modelspec.trigger_phrase': 'sks',
    });
    expect(meta.sshs_model_hash).toMatch(/^[0-9a-f]{64}$/);
    // Without facts: network metadata only, LoKr module too.
    const bare = join(dir, 'meta-bare.safetensors');
    await convertLora({ input: peft, output: bare });
    expect(await readMetadata(bare)).toMatchObject({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"-1"}',
      ss_network_dim: '4',
    });
  });

  it('metadata: LoKr args only when asked; LoRA and DoRA unchanged', () => {
    expect(networkModuleMetadata(false)).toEqual({ ss_network_module: 'networks.lora' });
    expect(networkModuleMetadata(true)).toEqual({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lora","dora_wd":"True","wd_on_output":"True"}',
    });
    expect(networkModuleMetadata(false, { factor: 8 })).toEqual({
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"8"}',
    });
    const facts = loraTrainingFactsSchema.parse({ outputName: 'x' });
    const now = '2026-01-02T03:04:05.000Z';
    const lora = buildKohyaMetadata(facts, { rank: 32, alpha: 16, dora: false }, now);
    expect(buildKohyaMetadata(facts, { rank: 32, alpha: 16, dora: false, algorithm: 'lora' }, now)).toEqual(
      lora,
    );
    const lokr = buildKohyaMetadata(
      facts,
      { rank: 32, alpha: 16, dora: false, algorithm: 'lokr', lokrFactor: -1 },
      now,
    );
    expect(lokr).toEqual({
      ...lora,
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo":"lokr","factor":"-1"}',
    });
  });

  it('fp16 precision converts factors (baked ones after baking), alphas stay float32', async () => {
    const peft = join(dir, 'peft-fp16');
    await writePeftLokr(peft, false);
    const out = join(dir, 'fp16.safetensors');
    await convertLora({ input: peft, output: out, precision: 'fp16' });
    const kohya = await readAll(out);
    const source = await readAll(join(peft, 'adapter_model.safetensors'));
    const half = (t: Tensor) => Array.from(new Uint16Array(t.bytes.slice().buffer));
    const q = kohya.get(`${kohyaName(Q)}.lokr_w2_a`) as Tensor;
    expect(q.dtype).toBe('F16');
    expect(half(q)).toEqual(
      Array.from(
        asF32((source.get(`base_model.model.${Q}.lokr_w2_a`) as Tensor).bytes),
        float32ToFloat16Bits,
      ),
    );
    const k = kohya.get(`${kohyaName(K)}.lokr_w1`) as Tensor;
    expect(half(k)).toEqual(
      Array.from(asF32((source.get(`base_model.model.${K}.lokr_w1`) as Tensor).bytes), (v) =>
        float32ToFloat16Bits(Math.fround(v * 0.5)),
      ),
    );
    expect(kohya.get(`${kohyaName(K)}.alpha`)?.dtype).toBe('F32');
  });
});

describe('kohya LoKr -> PEFT -> kohya', () => {
  it('infers a config whose PEFT shape rules re-create every tensor, and keeps every delta W', async () => {
    const peft = join(dir, 'peft-b');
    await writePeftLokr(peft);
    const kohyaFile = join(dir, 'b.safetensors');
    await convertLora({ input: peft, output: kohyaFile });
    const back = join(dir, 'b-peft');
    const result = await convertLora({ input: kohyaFile, output: back, to: 'peft' });
    expect(result).toMatchObject({ from: 'kohya', to: 'peft', algorithm: 'lokr', modules: 5 });

    const kohya = await readAll(kohyaFile);
    for (const [folder, paths] of [
      [back, UNET_MODULES.map((m) => m.path)],
      [join(back, 'text_encoder'), [TE_Q]],
    ] as const) {
      const rawConfig = JSON.parse(await readFile(join(folder, 'adapter_config.json'), 'utf8'));
      const config = parsePeftLokrConfig(rawConfig, 'adapter_config.json');
      expect(config).toMatchObject({ peft_type: 'LOKR', decompose_factor: -1, decompose_both: false });
      const tensors = await readAll(join(folder, 'adapter_model.safetensors'));
      expect(tensors.size).toBe(paths.reduce((n, p) => n + (p === K || p === V ? 2 : 3), 0));
      for (const path of paths) {
        // PEFT's own rules (ported) on the written config give exactly the file's shapes.
        const { r, alpha } = peftLokrModuleRank(config, path);
        const w1 = factor(tensors, `base_model.model.${path}`, 1);
        const w2 = factor(tensors, `base_model.model.${path}`, 2);
        const shapes = peftLokrShapes(
          w1.rows * w2.rows,
          w1.cols * w2.cols,
          r,
          config.decompose_factor,
          false,
        );
        const actual = Object.fromEntries(
          LOKR_PARTS.flatMap((p) => {
            const t = tensors.get(`base_model.model.${path}.${p}`);
            return t ? [[p, [...t.shape]]] : [];
          }),
        );
        expect(shapes).toEqual(actual);
        // Same delta W as the kohya file, under PEFT's alpha / r.
        expect(
          maxRelDiff(lycorisDelta(kohya, kohyaName(path)), peftDelta(tensors, path, alpha / r)),
        ).toBeLessThan(1e-6);
      }
    }
    // Full-full modules: r = alpha = max(lokr_w2) (scale 1, as the loaders), in the patterns.
    const unetConfig = JSON.parse(await readFile(join(back, 'adapter_config.json'), 'utf8'));
    expect(unetConfig).toMatchObject({
      r: 4,
      alpha: 2, // Q's 2 and K2's 4 tie at r 4: the smaller wins
      rank_pattern: { [K]: 20, [V]: 20 },
      alpha_pattern: { [K2]: 4, [K]: 20, [V]: 20 },
      target_modules: [K, Q, V, K2].sort(),
    });

    // And back to kohya: same deltas again.
    const again = join(dir, 'b-again.safetensors');
    await convertLora({ input: back, output: again });
    const twice = await readAll(again);
    for (const path of [...UNET_MODULES.map((m) => m.path), TE_Q]) {
      expect(
        maxRelDiff(lycorisDelta(kohya, kohyaName(path)), lycorisDelta(twice, kohyaName(path))),
      ).toBeLessThan(1e-6);
    }
  });

  it('finds a fixed decompose_factor and decompose_both from the shapes, preferring the metadata factor', async () => {
    const file = join(dir, 'factor8.safetensors');
    const modules: LokrFixtureModule[] = [
      // factor 8: 320 = 8 x 40, 768 = 8 x 96; decompose_both: w1 [8, 8] would be full at r 2 (2 >= 8 / 2 fails: decomposed).
      { path: Q, shapes: { lokr_w1_a: [8, 2], lokr_w1_b: [2, 8], lokr_w2_a: [40, 2], lokr_w2_b: [2, 40] } },
      { path: K2, shapes: { lokr_w1_a: [8, 2], lokr_w1_b: [2, 8], lokr_w2_a: [40, 2], lokr_w2_b: [2, 96] } },
    ];
    const alphas = modules.map((m) => ({
      name: `${kohyaName(m.path)}.alpha`,
      dtype: 'F32' as const,
      shape: [],
      data: new Float32Array([1]),
    }));
    await writeFixtureFile(file, [...makeLokrTensors(modules, 3, 'kohya'), ...alphas], {
      ss_network_args: '{"algo": "lokr", "factor": "8"}',
    });
    const out = join(dir, 'factor8-peft');
    await convertLora({ input: file, output: out, to: 'peft' });
    const config = JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      r: 2,
      alpha: 1,
      decompose_factor: 8,
      decompose_both: true,
      rank_pattern: {},
    });
    // The same file without the metadata: 8 is still found from the first-factor sides.
    const plain = join(dir, 'factor8-plain.safetensors');
    await writeFixtureFile(plain, [...makeLokrTensors(modules, 3, 'kohya'), ...alphas]);
    await convertLora({ input: plain, output: join(dir, 'factor8-plain-peft'), to: 'peft' });
    const inferred = JSON.parse(
      await readFile(join(dir, 'factor8-plain-peft', 'adapter_config.json'), 'utf8'),
    );
    expect(inferred.decompose_factor).toBe(8);
  });

  it("carries a kohya LoKr file's ss_* / modelspec.* through PEFT and back, as for LoRA; --metadata-from lays only its facts over them", async () => {
    const modules: LokrFixtureModule[] = [
      { path: Q, shapes: { lokr_w1: [4, 4], lokr_w2_a: [80, 2], lokr_w2_b: [2, 80] } },
      { path: K2, shapes: { lokr_w1: [4, 4], lokr_w2_a: [80, 2], lokr_w2_b: [2, 192] } },
    ];
    const alphas = modules.map((m) => ({
      name: `${kohyaName(m.path)}.alpha`,
      dtype: 'F32' as const,
      shape: [],
      data: new Float32Array([1]),
    }));
    const fileMetadata = {
      ss_network_module: 'lycoris.kohya',
      ss_network_args: '{"algo": "lokr", "factor": "-1", "preset": "full"}',
      ss_network_dim: '2',
      ss_network_alpha: '1',
      ss_output_name: 'mychar_v2',
      ss_tag_frequency: '{"10_mychar girl": {"mychar": 20}}',
      ss_dataset_dirs: '{"10_mychar girl": {"n_repeats": 10, "img_count": 20}}',
      ss_max_train_steps: '1600',
      ss_epoch: '8',
      'modelspec.title': 'mychar_v2',
    };
    const file = join(dir, 'lokr-meta.safetensors');
    await writeFixtureFile(file, [...makeLokrTensors(modules, 5, 'kohya'), ...alphas], fileMetadata);
    const peft = join(dir, 'lokr-meta-peft');
    await convertLora({ input: file, output: peft, to: 'peft' });
    expect(await readMetadata(join(peft, 'adapter_model.safetensors'))).toMatchObject({
      format: 'pt',
      ...fileMetadata,
    });
    const back = join(dir, 'lokr-meta-back.safetensors');
    await convertLora({ input: peft, output: back });
    expect(await readMetadata(back)).toMatchObject(fileMetadata);
    // --metadata-from on the file (and on its PEFT copy): only the facts given change.
    for (const input of [file, peft]) {
      const out = join(dir, `lokr-meta-facts-${input === file ? 'k' : 'p'}.safetensors`);
      await convertLora({ input, output: out, trainingFacts: { outputName: 'newname', trigger: 'zzk' } });
      const meta = await readMetadata(out);
      expect(meta, input).toMatchObject({
        ...fileMetadata,
        ss_output_name: 'newname',
        'modelspec.title': 'newname',
        'modelspec.trigger_phrase': 'zzk',
      });
      for (const key of ['ss_noise_offset', 'ss_mixed_precision', 'ss_num_train_images', 'ss_sd_model_name'])
        expect(meta[key], `${input}: ${key}`).toBeUndefined();
    }
  });

  it('PEFT -> PEFT keeps every module r / alpha (a full-full scale stays in the config), converting precision', async () => {
    const peft = join(dir, 'peft-pp');
    await writePeftLokr(peft);
    const out = join(dir, 'peft-pp-out');
    const result = await convertLora({ input: peft, output: out, to: 'peft', precision: 'fp32' });
    expect(result).toMatchObject({ from: 'peft', to: 'peft', algorithm: 'lokr', modules: 5 });
    const config = parsePeftLokrConfig(
      JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8')),
      'adapter_config.json',
    );
    for (const path of UNET_MODULES.map((m) => m.path)) {
      const { r, alpha } = peftLokrModuleRank(config, path);
      expect(alpha / r).toBe(PEFT_SCALES[path]);
    }
    expect(peftLokrModuleRank(config, K)).toEqual({ r: 16, alpha: 8 });
    const teConfig = JSON.parse(await readFile(join(out, 'text_encoder', 'adapter_config.json'), 'utf8'));
    expect(teConfig).toMatchObject({ peft_type: 'LOKR', r: 4, alpha: 8, target_modules: [TE_Q] });
    const a = await readAll(join(peft, 'adapter_model.safetensors'));
    const b = await readAll(join(out, 'adapter_model.safetensors'));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a)
      expect(Buffer.from(b.get(name)?.bytes ?? []).equals(Buffer.from(t.bytes))).toBe(true);
  });

  it('kohya -> kohya keeps bytes and metadata, converting precision', async () => {
    const peft = join(dir, 'peft-c');
    await writePeftLokr(peft, false);
    const first = join(dir, 'c.safetensors');
    await convertLora({ input: peft, output: first, trainingFacts: { outputName: 'c' } });
    const bf16 = join(dir, 'c-bf16.safetensors');
    const result = await convertLora({ input: first, output: bf16, precision: 'bf16' });
    expect(result).toMatchObject({ from: 'kohya', to: 'kohya', algorithm: 'lokr' });
    const a = await readAll(first);
    const b = await readAll(bf16);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect(b.get(`${kohyaName(Q)}.lokr_w1`)?.dtype).toBe('BF16');
    expect(b.get(`${kohyaName(Q)}.alpha`)).toEqual(a.get(`${kohyaName(Q)}.alpha`));
    expect((await readMetadata(bf16)).ss_output_name).toBe('c');
  });

  it('reads a decomposed 3 x 3 conv w2 (lokr_w2_b [r, in_n * 9]) and converts it to PEFT and back', async () => {
    // LyCORIS / PEFT store a decomposed conv w2 flattened: conv1 320 -> 320, 3 x 3 = w1 [16, 16] x w2 [20, 20, 3, 3].
    const conv = 'down_blocks.0.resnets.0.conv1';
    const modules: LokrFixtureModule[] = [
      { path: conv, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 180] } },
      { path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } },
    ];
    const alphas = modules.map((m) => ({
      name: `${kohyaName(m.path)}.alpha`,
      dtype: 'F32' as const,
      shape: [],
      data: new Float32Array([2]),
    }));
    const file = join(dir, 'conv.safetensors');
    await writeFixtureFile(file, [...makeLokrTensors(modules, 5, 'kohya'), ...alphas]);

    const inspected = await inspectLora(file);
    expect(inspected.modules.find((m) => m.path === conv)?.lokr).toEqual({
      w1: { shape: [16, 16], decomposed: false },
      w2: { shape: [20, 20, 3, 3], decomposed: true, rank: 4 },
    });
    expect(formatInspection(inspected)).toContain(
      'w1 [16, 16] full x w2 [20, 20, 3, 3] rank 4, alpha 2 scale 0.5',
    );

    const out = join(dir, 'conv-peft');
    await convertLora({ input: file, output: out, to: 'peft' });
    const config = parsePeftLokrConfig(
      JSON.parse(await readFile(join(out, 'adapter_config.json'), 'utf8')),
      'adapter_config.json',
    );
    expect(config).toMatchObject({ r: 4, alpha: 2, decompose_factor: -1, decompose_both: false });
    // PEFT's rules for a 3 x 3 Conv2d of 320 channels give exactly the file's tensors.
    expect(peftLokrShapes(320, 320, config.r, config.decompose_factor, false, [3, 3])).toEqual(
      modules[0]?.shapes,
    );
    const again = join(dir, 'conv-again.safetensors');
    await convertLora({ input: out, output: again });
    const [before, after] = [await readAll(file), await readAll(again)];
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, tensor] of before) expect(after.get(name)?.bytes).toEqual(tensor.bytes);
  });
});

describe('LoKr refusals', () => {
  it('refuses diffusers output with the reason, writing nothing', async () => {
    const peft = join(dir, 'peft-d');
    await writePeftLokr(peft, false);
    const out = join(dir, 'd-diffusers.safetensors');
    await expectThrowsCode(
      convertLora({ input: peft, output: out, to: 'diffusers' }),
      'TL_ERR_LORA_FORMAT',
      /LoKr .*diffusers' SD1\.5 loader \(load_lora_weights\) has no LoKr format.*--to kohya.*toonlora generate, the WebUI and ComfyUI/,
    );
    await expect(stat(out)).rejects.toThrow();
  });

  it('refuses LoRA and LoKr modules mixed in one file, even with dropUnknown', async () => {
    const file = join(dir, 'mixed.safetensors');
    // A plain kohya LoRA module (lora_down / lora_up) beside a LoKr one.
    const lora = makePeftTensors({ modules: [V], rank: 4, seed: 1 }).map((t) => ({
      ...t,
      name: `${kohyaName(V)}.${t.name.endsWith('lora_A.weight') ? 'lora_down' : 'lora_up'}.weight`,
    }));
    await writeFixtureFile(file, [
      ...makeLokrTensors([UNET_MODULES[0] as LokrFixtureModule], 2, 'kohya'),
      ...lora,
    ]);
    for (const dropUnknown of [false, true]) {
      await expectThrowsCode(
        convertLora({ input: file, output: join(dir, 'mixed-out.safetensors'), dropUnknown }),
        'TL_ERR_LORA_FORMAT',
        /holds both LoKr tensors .* and 2 LoRA tensor\(s\)/,
      );
    }
    const inspected = await inspectLora(file);
    expect(inspected.algorithm).toBe('lokr');
    expect(inspected.warnings.join(' ')).toContain('mixes LoRA and LoKr');
  });

  it('refuses kohya -> PEFT for factors PEFT cannot re-create', async () => {
    // 320 x 320 split 16 x 20 on the output side but 20 x 16 on the input side: no decompose_factor does that.
    const odd = join(dir, 'odd.safetensors');
    await writeFixtureFile(
      odd,
      makeLokrTensors([{ path: Q, shapes: { lokr_w1: [16, 20], lokr_w2: [20, 16] } }], 4, 'kohya'),
    );
    await expectThrowsCode(
      convertLora({ input: odd, output: join(dir, 'odd-peft'), to: 'peft' }),
      'TL_ERR_LORA_FORMAT',
      /no PEFT decompose_factor splits every module's features .*w1 \[16, 20\] x w2 \[20, 16\].*Keep the kohya file/,
    );
    // A rank PEFT would store as a full matrix (16 >= 20 / 2).
    const wide = join(dir, 'wide.safetensors');
    await writeFixtureFile(
      wide,
      makeLokrTensors(
        [{ path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 16], lokr_w2_b: [16, 20] } }],
        4,
        'kohya',
      ),
    );
    await expectThrowsCode(
      convertLora({ input: wide, output: join(dir, 'wide-peft'), to: 'peft' }),
      'TL_ERR_LORA_FORMAT',
      /PEFT \(r 16, decompose_factor -1, decompose_both false\) would create lokr_w1 \[16,16\], lokr_w2 \[20,20\], but the file has/,
    );
    // Both still convert to kohya (loaders take any split).
    await convertLora({ input: odd, output: join(dir, 'odd-kohya.safetensors') });
  });

  it('refuses a config that does not match the weights, and unknown LoKr parts unless dropped', async () => {
    const wrongType = join(dir, 'peft-wrong-type');
    await writePeftFolder(wrongType, makeLokrTensors(UNET_MODULES, 7), { ...UNET_CONFIG, peft_type: 'LORA' });
    await expectThrowsCode(
      convertLora({ input: wrongType, output: join(dir, 'x.safetensors') }),
      'TL_ERR_LORA_FORMAT',
      /peft_type "LORA" does not match the weights, which are LoKr tensors/,
    );
    const wrongRank = join(dir, 'peft-wrong-rank');
    await writePeftFolder(wrongRank, makeLokrTensors(UNET_MODULES, 7), { ...UNET_CONFIG, r: 8 });
    await expectThrowsCode(
      convertLora({ input: wrongRank, output: join(dir, 'y.safetensors') }),
      'TL_ERR_LORA_FORMAT',
      /config gives rank 8 .* tensors have rank 4/,
    );
    const tucker = join(dir, 'tucker.safetensors');
    const t2 = {
      name: `${kohyaName(V)}.lokr_t2`,
      dtype: 'F32' as const,
      shape: [2, 2],
      data: new Float32Array(4),
    };
    await writeFixtureFile(tucker, [...makeLokrTensors(UNET_MODULES, 5, 'kohya'), t2]);
    await expectThrowsCode(
      convertLora({ input: tucker, output: join(dir, 'tucker-out.safetensors') }),
      'TL_ERR_LORA_FORMAT',
      /lokr_t2.*LoKr Tucker cores .* are not supported/,
    );
    const dropped = await convertLora({
      input: tucker,
      output: join(dir, 'tucker-out.safetensors'),
      dropUnknown: true,
    });
    expect(dropped.modules).toBe(3);
    expect(dropped.warnings.join(' ')).toContain('1 LoKr module(s) they belong to');
  });

  it('openLora (LoRA only) names a LoKr file for what it is', async () => {
    const peft = join(dir, 'peft-e');
    await writePeftLokr(peft, false);
    await expectThrowsCode(
      openLora(peft),
      'TL_ERR_LORA_FORMAT',
      /is a LoKr \(LyCORIS Kronecker-product\) adapter/,
    );
  });
});

describe('inspect and loaders on LoKr files', () => {
  it('describes a kohya LoKr file: factors, scales, factor, loader verdicts (text and JSON)', async () => {
    const peft = join(dir, 'peft-f');
    await writePeftLokr(peft);
    const file = join(dir, 'f.safetensors');
    await convertLora({
      input: peft,
      output: file,
      trainingFacts: { outputName: 'hero', captionsByFolder: { '10_sks girl': ['sks, smile'] } },
    });
    const result = await inspectLora(file);
    expect(result).toMatchObject({ format: 'kohya', algorithm: 'lokr', lokrFactor: -1, trigger: 'sks girl' });
    expect(result.modules).toHaveLength(5);
    const byPath = new Map(result.modules.map((m) => [m.path, m]));
    expect(byPath.get(Q)).toMatchObject({
      rank: 4,
      alpha: 2,
      scale: 0.5,
      alphaSource: 'tensor',
      sd15: true,
      lokr: {
        w1: { shape: [16, 16], decomposed: false },
        w2: { shape: [20, 20], decomposed: true, rank: 4 },
      },
    });
    // Both factors full: loaders apply scale 1 (the 0.5 is in lokr_w1 now).
    expect(byPath.get(K)).toMatchObject({
      alpha: 16,
      scale: 1,
      lokr: { w2: { shape: [20, 20], decomposed: false } },
    });
    expect(byPath.get(TE_Q)).toMatchObject({ component: 'text_encoder', scale: 2, name: kohyaName(TE_Q) });
    expect(result.modulesPerBlock).toEqual({ 'down_blocks.0': 4, 'text_encoder.layers.0': 1 });
    expect(result.compatibility.map((v) => [v.loader, v.ok])).toEqual([
      ['a1111', true],
      ['comfyui', true],
      ['diffusers', false],
    ]);
    expect(result.compatibility[2]?.notes.join(' ')).toContain('no LoKr format');
    expect(result.unknownKeys).toEqual([]);
    expect(JSON.parse(JSON.stringify(result))).toMatchObject({ algorithm: 'lokr', lokrFactor: -1 });

    const text = formatInspection(result);
    expect(text).toContain('format: kohya   algorithm: lokr (LyCORIS Kronecker product)');
    expect(text).toContain('  modules: 5   factor: -1   alphas: 2, 4, 8, 12, 16');
    expect(text).toContain('    w1 [16, 16] full x w2 [20, 20] rank 4, alpha 2 scale 0.5: 1 module (down 1)');
    expect(text).toContain('    w1 [16, 16] full x w2 [20, 20] full, alpha 16 scale 1: 1 module (down 1)');
    expect(text).toContain('    w1 [24, 24] full x w2 [32, 32] rank 4, alpha 8 scale 2: 1 module (te 1)');
    expect(text).toContain('trigger: sks girl');
  });

  it('describes a PEFT LoKr folder with PEFT scales; a LoRA file reports algorithm lora', async () => {
    const peft = join(dir, 'peft-g');
    await writePeftLokr(peft);
    const result = await inspectLora(peft);
    expect(result).toMatchObject({ format: 'peft', algorithm: 'lokr', lokrFactor: -1 });
    expect(result.modules.find((m) => m.path === K)).toMatchObject({
      rank: 16,
      alpha: 8,
      scale: 0.5,
      alphaSource: 'config',
    });
    expect(formatInspection(result)).toContain("scale = PEFT's alpha / r");
    const lora = join(dir, 'lora-peft');
    await writePeftFolder(lora, makePeftTensors({ modules: [Q], rank: 4, seed: 1 }), { r: 4, lora_alpha: 4 });
    expect((await inspectLora(lora)).algorithm).toBe('lora');
  });

  it('loader checks: A1111 / ComfyUI map LoKr parts, diffusers refuses them; the diffusers copy leaves LoKr alone', async () => {
    const name = kohyaName(Q);
    const keys = [`${name}.lokr_w1`, `${name}.lokr_w2_a`, `${name}.lokr_w2_b`, `${name}.alpha`];
    const [a1111, comfy, diffusers] = checkLoaderCompatibility(keys);
    expect(a1111).toMatchObject({ ok: true, unmappedKeys: [] });
    expect(comfy).toMatchObject({ ok: true, unmappedKeys: [] });
    expect(diffusers).toMatchObject({ ok: false, mappedKeys: 0 });
    expect(checkLoaderCompatibility([`${name}.lokr_w1`, `${name}.alpha`])[0]?.notes[0]).toContain('nor LoKr');

    const peft = join(dir, 'peft-h');
    await writePeftLokr(peft, false);
    const file = join(dir, 'h.safetensors');
    await convertLora({ input: peft, output: file });
    const cache = join(dir, 'cache');
    await mkdir(cache);
    expect(await loraFileForDiffusers(file, cache)).toEqual({ path: file });
  });
});
