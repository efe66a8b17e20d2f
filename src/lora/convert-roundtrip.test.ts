// Seeded property pass over convert round trips with odd but valid inputs: kohya LoRAs (rank 1-4, alpha
// unequal to rank, fractional, tiny or missing, stored F32 / F16 / BF16 with shape [] or [1]; linear, 3 x 3
// and 1 x 1 conv modules, DoRA, text-encoder modules, F32 / F16 / BF16 weights) and kohya LoKr files
// (full or rank-decomposed w2, rank 1, conv w2 4-D or flattened, alpha missing) go kohya -> PEFT /
// diffusers -> ... -> kohya. Every weight comes back byte-identical (or as the --precision rounding of
// the source) and every module keeps the scale the loaders apply. Bounded: a few small files per run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from './convert.js';
import { convertFloatBytes, decodeScalar, type FloatDtype } from './float-convert.js';
import { factorization } from './lokr.js';
import { seededRandom } from './lora-fixtures.js';
import { orderForWrite } from './safetensors-format.js';
import { openSafetensors } from './safetensors-read.js';
import { writeSafetensors } from './safetensors-write.js';

const SEEDS = 12;

interface RawTensor {
  readonly name: string;
  readonly dtype: FloatDtype;
  readonly shape: number[];
  readonly data: Uint8Array;
}

type Target = 'kohya' | 'peft' | 'diffusers';

/** A few small SD1.5 modules of each kind (only names matter to convert, so the features are small). */
const MODULES = [
  { path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', kernel: 0, out: 16, in: 16 },
  { path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k', kernel: 0, out: 16, in: 24 },
  { path: 'down_blocks.0.resnets.0.conv1', kernel: 3, out: 16, in: 16 },
  { path: 'down_blocks.0.attentions.0.proj_in', kernel: 1, out: 16, in: 16 },
  { path: 'text_model.encoder.layers.0.self_attn.q_proj', kernel: 0, out: 16, in: 16 },
  { path: 'text_model.encoder.layers.0.mlp.fc1', kernel: 0, out: 32, in: 16 },
] as const;

const kohyaName = (path: string) =>
  (path.startsWith('text_model.') ? 'lora_te_' : 'lora_unet_') + path.replaceAll('.', '_');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-roundtrip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Seeded choices and values for one generated file. */
function generator(seed: number) {
  const random = seededRandom(seed);
  const pick = <X>(options: readonly X[]): X =>
    options[Math.floor(((random() + 1) / 2) * options.length) % options.length] as X;
  const values = (shape: readonly number[], dtype: FloatDtype): Uint8Array => {
    const n = shape.reduce((a, b) => a * b, 1);
    const f32 = new Uint8Array(Float32Array.from({ length: n }, () => random() * 0.1).buffer);
    return dtype === 'F32' ? f32 : convertFloatBytes(f32, 'F32', dtype);
  };
  const modules = () => {
    const chosen = MODULES.filter(() => random() > -0.3);
    return chosen.length > 0 ? chosen : [MODULES[0]];
  };
  return { random, pick, values, modules };
}

/** An alpha tensor as some trainers store it: F32 / F16 / BF16, shape [] or [1]; its value as stored. */
function alphaTensor(g: ReturnType<typeof generator>, name: string, alpha: number): [RawTensor, number] {
  const dtype = g.pick(['F32', 'F16', 'BF16'] as const);
  const data = convertFloatBytes(new Uint8Array(new Float32Array([alpha]).buffer), 'F32', dtype);
  return [{ name, dtype, shape: g.pick([[], [], [1]]), data }, decodeScalar(data, dtype) as number];
}

/** A kohya LoRA and each module's scale (alpha / rank; rank when there is no alpha). */
function kohyaLora(seed: number): { tensors: RawTensor[]; scales: Map<string, number> } {
  const g = generator(seed);
  const dtype = g.pick(['F32', 'F16', 'BF16'] as const);
  const dora = g.random() > 0.5;
  const tensors: RawTensor[] = [];
  const scales = new Map<string, number>();
  for (const m of g.modules()) {
    const name = kohyaName(m.path);
    const r = g.pick([1, 1, 2, 3, 4]);
    const k = m.kernel;
    const down = k ? [r, m.in, k, k] : [r, m.in];
    const up = k ? [m.out, r, 1, 1] : [m.out, r];
    tensors.push({ name: `${name}.lora_down.weight`, dtype, shape: down, data: g.values(down, dtype) });
    tensors.push({ name: `${name}.lora_up.weight`, dtype, shape: up, data: g.values(up, dtype) });
    const alpha = g.pick([undefined, r, 2 * r, 0.5, 3.75, 1e-3]);
    let scale = 1;
    if (alpha !== undefined) {
      const [tensor, stored] = alphaTensor(g, `${name}.alpha`, alpha);
      tensors.push(tensor);
      scale = stored / r;
    }
    scales.set(name, scale);
    if (dora) {
      const shape = k ? [m.out, 1, 1, 1] : [m.out, 1];
      tensors.push({ name: `${name}.dora_scale`, dtype, shape, data: g.values(shape, dtype) });
    }
  }
  return { tensors, scales };
}

/** A kohya LoKr file (w1 full, w2 full or decomposed) and each module's `.alpha` as loaders read it. */
function kohyaLokr(seed: number): { tensors: RawTensor[]; alphas: Map<string, number | undefined> } {
  const g = generator(seed);
  const dtype = g.pick(['F32', 'F16', 'BF16'] as const);
  const factor = g.pick([-1, 2, 4]);
  const tensors: RawTensor[] = [];
  const alphas = new Map<string, number | undefined>();
  for (const m of g.modules()) {
    const name = kohyaName(m.path);
    const [outL, outK] = factorization(m.out, factor);
    const [inM, inN] = factorization(m.in, factor);
    const add = (part: string, shape: number[]) =>
      tensors.push({ name: `${name}.${part}`, dtype, shape, data: g.values(shape, dtype) });
    add('lokr_w1', [outL, inM]);
    const r = g.pick([1, 1, 2]);
    const k = m.kernel;
    const decomposed = r < Math.max(outK, inN) / 2 && g.random() > -0.2;
    if (decomposed) {
      add('lokr_w2_a', [outK, r]);
      add('lokr_w2_b', [r, inN * (k === 3 ? 9 : 1)]);
    } else add('lokr_w2', k === 3 ? [outK, inN, 3, 3] : [outK, inN]);
    const alpha = g.pick([undefined, r, 2 * r, 0.5, 3.75]);
    if (alpha === undefined) {
      // loaders then use scale 1: the written alpha must be the rank (decomposed), any value when full
      alphas.set(name, decomposed ? r : undefined);
    } else {
      const [tensor, stored] = alphaTensor(g, `${name}.alpha`, alpha);
      tensors.push(tensor);
      alphas.set(name, stored);
    }
  }
  return { tensors, alphas };
}

async function writeRaw(path: string, tensors: readonly RawTensor[]): Promise<void> {
  const sources = orderForWrite(tensors).map((t) => ({ ...t, chunks: () => [t.data] }));
  await writeSafetensors(path, sources, { ss_output_name: 'roundtrip' }, { overwrite: true });
}

async function readAll(path: string) {
  const reader = await openSafetensors(path);
  try {
    const tensors = new Map<string, { dtype: string; shape: readonly number[]; data: Uint8Array }>();
    for (const t of reader.header.tensors)
      tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: await reader.readTensor(t) });
    return { tensors, metadata: reader.header.metadata };
  } finally {
    await reader.close();
  }
}

/** Converts `input` along `chain` (each step a target and an optional precision); the last output's path. */
async function convertChain(
  input: string,
  label: string,
  chain: ReadonlyArray<readonly [Target, ('fp16' | 'bf16' | 'fp32')?]>,
): Promise<string> {
  let current = input;
  for (const [i, [to, precision]] of chain.entries()) {
    const output = join(dir, `${label}-${i}${to === 'peft' ? '' : '.safetensors'}`);
    await convertLora({ input: current, output, to, overwrite: true, ...(precision ? { precision } : {}) });
    current = output;
  }
  return current;
}

const alphaOf = (t: { dtype: string; data: Uint8Array } | undefined) =>
  t ? (decodeScalar(t.data, t.dtype as FloatDtype) as number) : undefined;

describe('convert round trips (seeded property pass)', () => {
  const LORA_CHAINS: ReadonlyArray<ReadonlyArray<readonly [Target]>> = [
    [['peft'], ['kohya']],
    [['diffusers'], ['kohya']],
    [['peft'], ['diffusers'], ['kohya']],
    [['diffusers'], ['peft'], ['kohya']],
  ];

  it(`LoRA: kohya -> PEFT / diffusers -> kohya keeps every weight's bytes and every module's scale (${SEEDS} seeds)`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { tensors, scales } = kohyaLora(seed);
      const input = join(dir, `lora-${seed}.safetensors`);
      await writeRaw(input, tensors);
      for (const [c, chain] of LORA_CHAINS.entries()) {
        const where = `seed ${seed}, chain ${chain.map(([to]) => to).join(' -> ')}`;
        const back = await readAll(await convertChain(input, `lora-${seed}-${c}`, chain));
        for (const t of tensors.filter((t) => !t.name.endsWith('.alpha'))) {
          const got = back.tensors.get(t.name);
          expect(got?.shape, `${where}: ${t.name}`).toEqual(t.shape);
          expect(Buffer.from(got?.data ?? []).equals(Buffer.from(t.data)), `${where}: ${t.name} bytes`).toBe(
            true,
          );
        }
        for (const [module, scale] of scales) {
          const rank = back.tensors.get(`${module}.lora_down.weight`)?.shape[0] as number;
          const alpha = alphaOf(back.tensors.get(`${module}.alpha`));
          expect((alpha ?? rank) / rank, `${where}: ${module} scale`).toBeCloseTo(scale, 6);
        }
        expect(back.metadata.ss_output_name, where).toBe('roundtrip');
      }
    }
  }, 120_000);

  it('LoRA: --precision fp16 / bf16 on the way writes the rounding of the source values, nothing else', async () => {
    for (let seed = 1; seed <= SEEDS / 2; seed++) {
      const { tensors } = kohyaLora(100 + seed);
      const input = join(dir, `lora-p-${seed}.safetensors`);
      await writeRaw(input, tensors);
      for (const [precision, dtype] of [
        ['fp16', 'F16'],
        ['bf16', 'BF16'],
      ] as const) {
        const chain = [['peft', precision], ['kohya']] as const;
        const back = await readAll(await convertChain(input, `lora-p-${seed}-${precision}`, chain));
        for (const t of tensors) {
          const got = back.tensors.get(t.name);
          if (t.name.endsWith('.alpha')) {
            expect(got?.dtype, `seed ${seed}: ${t.name}`).toBe('F32'); // float32 whatever the precision
            continue;
          }
          const want = t.dtype === dtype ? t.data : convertFloatBytes(t.data, t.dtype, dtype);
          expect(got?.dtype).toBe(dtype);
          expect(
            Buffer.from(got?.data ?? []).equals(Buffer.from(want)),
            `seed ${seed} ${precision}: ${t.name}`,
          ).toBe(true);
        }
      }
    }
  }, 120_000);

  it(`LoKr: kohya -> PEFT -> kohya keeps every factor's bytes and the alpha loaders read (${SEEDS} seeds)`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { tensors, alphas } = kohyaLokr(200 + seed);
      const input = join(dir, `lokr-${seed}.safetensors`);
      await writeRaw(input, tensors);
      for (const [c, chain] of [
        [['peft'], ['kohya']],
        [['peft'], ['peft'], ['kohya']],
      ].entries()) {
        const where = `seed ${200 + seed}, chain ${chain.join(' -> ')}`;
        const back = await readAll(await convertChain(input, `lokr-${seed}-${c}`, chain as [Target][]));
        for (const t of tensors.filter((t) => !t.name.endsWith('.alpha'))) {
          const got = back.tensors.get(t.name);
          expect(got?.shape, `${where}: ${t.name}`).toEqual(t.shape);
          expect(Buffer.from(got?.data ?? []).equals(Buffer.from(t.data)), `${where}: ${t.name} bytes`).toBe(
            true,
          );
        }
        for (const [module, alpha] of alphas) {
          const written = alphaOf(back.tensors.get(`${module}.alpha`));
          if (alpha !== undefined) expect(written, `${where}: ${module}.alpha`).toBe(alpha);
        }
        expect(back.metadata.ss_output_name, where).toBe('roundtrip');
      }
    }
  }, 120_000);
});
