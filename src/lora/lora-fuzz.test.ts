// Seeded mutation fuzz past the header parser: valid kohya, PEFT-single-file and diffusers LoRAs have
// their header JSON values mutated (shapes, dtypes, offsets, alpha shapes / dtypes, key names,
// metadata, the adapter config) or data bytes changed, are written to disk and go through openLora,
// inspectLora and convertLora. Each either succeeds or throws a ToonloraError (never a TypeError or
// RangeError), and memory held in ArrayBuffers stays bounded. Bounded by iterations and time.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isToonloraError } from '../errors.js';
import { convertLora } from './convert.js';
import { inspectLora } from './inspect.js';
import { seededRandom } from './lora-fixtures.js';
import { openLora } from './open-lora.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Header = Record<string, Json>;

interface Fixture {
  readonly label: string;
  readonly header: Header;
  readonly data: Uint8Array;
  /** adapter_config.json written beside the file (PEFT). */
  readonly config?: Record<string, Json>;
}

/** Iterations at most, and the time bound; the fuzz stops at whichever comes first. */
const MAX_RUNS = 400;
const MAX_MS = 2000;
/** ArrayBuffer growth allowed during one call (convert's read and write pools hold a few 4-8 MiB slabs). */
const MAX_ARRAY_BUFFER_GROWTH = 64 * 1024 * 1024;

const Q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const TE = 'text_model.encoder.layers.0.self_attn.q_proj';

/** A fixture from [name, dtype, shape, values] rows laid out back to back (values written as the dtype). */
function fixture(
  label: string,
  rows: ReadonlyArray<readonly [string, 'F32' | 'F16' | 'BF16', number[], number]>,
  metadata: Record<string, string>,
  config?: Record<string, Json>,
): Fixture {
  const header: Header = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, dtype, shape, fill] of rows) {
    const count = shape.reduce((n, d) => n * d, 1);
    const bytes =
      dtype === 'F32'
        ? new Uint8Array(Float32Array.from({ length: count }, (_, i) => fill + i * 0.01).buffer)
        : new Uint8Array(count * 2).fill(0x3c, 1); // F16 / BF16 halves with a high byte of ~1
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.byteLength;
  }
  return { label, header, data, ...(config ? { config } : {}) };
}

const KQ = `lora_unet_${Q.replaceAll('.', '_')}`;
const KTE = `lora_te_${TE.replaceAll('.', '_')}`;
const FIXTURES: readonly Fixture[] = [
  fixture(
    'kohya',
    [
      [`${KQ}.lora_down.weight`, 'F32', [2, 8], 0.1],
      [`${KQ}.lora_up.weight`, 'F16', [8, 2], 0],
      [`${KQ}.alpha`, 'F32', [], 1],
      [`${KQ}.dora_scale`, 'F32', [8, 1], 1],
      [`${KTE}.lora_down.weight`, 'BF16', [2, 8], 0],
      [`${KTE}.lora_up.weight`, 'F32', [8, 2], 0.2],
      [`${KTE}.alpha`, 'BF16', [], 0],
    ],
    {
      ss_network_dim: '2',
      ss_tag_frequency: JSON.stringify({ '10_sks girl': { sks: 3, smile: 1 } }),
      'modelspec.trigger_phrase': 'sks',
    },
  ),
  fixture(
    'peft',
    [
      [`base_model.model.${Q}.lora_A.weight`, 'F32', [2, 8], 0.1],
      [`base_model.model.${Q}.lora_B.weight`, 'F32', [8, 2], 0.2],
      [`base_model.model.${Q}.lora_magnitude_vector`, 'F32', [8], 1],
    ],
    { format: 'pt' },
    { peft_type: 'LORA', r: 2, lora_alpha: 1, alpha_pattern: { [Q]: 4 }, use_dora: true },
  ),
  fixture(
    'diffusers',
    [
      [`unet.${Q}.lora_A.weight`, 'F32', [2, 8], 0.1],
      [`unet.${Q}.lora_B.weight`, 'F16', [8, 2], 0],
      [`text_encoder.${TE}.lora_A.weight`, 'F32', [2, 8], 0.3],
      [`text_encoder.${TE}.lora_B.weight`, 'F32', [8, 2], 0.4],
    ],
    { lora_adapter_metadata: JSON.stringify({ 'unet.r': 2, 'unet.lora_alpha': 1, 'text_encoder.r': 2 }) },
  ),
];

const ODD_NUMBERS: readonly Json[] = [0, 1, 2, 8, -1, 1.5, 2 ** 31, 2 ** 53, 1e300, '2', null, [2]];
const DTYPES: readonly Json[] = [
  'F32',
  'F16',
  'BF16',
  'F64',
  'I64',
  'I32',
  'I16',
  'I8',
  'U8',
  'BOOL',
  'F8_E4M3',
  'X',
  3,
];
const KEY_EDITS: ReadonlyArray<(key: string) => string> = [
  (k) => k.replace('lora_down', 'lora_up').replace('lora_A', 'lora_B'),
  (k) => k.replace('lora_up', 'lora_down').replace('lora_B', 'lora_A'),
  (k) => k.replace(/\.[^.]+$/, '.alpha'),
  (k) => k.replace(/\.[^.]+$/, '.lora_mid.weight'),
  (k) => k.replace(/^lora_(unet|te)_/, 'lora_te2_'),
  (k) => k.replace(/^(base_model\.model\.|unet\.|text_encoder\.)/, ''),
  (k) => `${k}.bias`,
  () => '__proto__',
  () => 'constructor',
  () => '',
];
const METADATA_VALUES: readonly Json[] = [
  '',
  'x',
  '{',
  'null',
  '[]',
  '{"10_a": 5}',
  '{"10_a": {"b": "c"}}',
  '{"unet.r": -1}',
  '{"unet.r": "x", "unet.lora_alpha": null}',
  '{"text_encoder.r": 0}',
  '{"unet.alpha_pattern": {"x": "y"}}',
  '{"unet.rank_pattern": []}',
  3,
  null,
  { a: 'b' },
];
const CONFIG_VALUES: readonly Json[] = [
  0,
  -1,
  2,
  3,
  1e308,
  '2',
  null,
  true,
  [],
  { [Q]: 0 },
  { [Q]: 'x' },
  { '.*': 3 },
];
const CONFIG_KEYS = [
  'r',
  'lora_alpha',
  'alpha_pattern',
  'rank_pattern',
  'use_rslora',
  'use_dora',
  'peft_type',
  'target_modules',
];

function createPick(seed: number) {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(((random() + 1) / 2) * n);
  return { int, of: <T>(list: readonly T[]): T => list[int(list.length)] as T };
}
type Pick = ReturnType<typeof createPick>;

function tensorKeys(header: Header): string[] {
  return Object.keys(header).filter((k) => k !== '__metadata__');
}

/** One mutation of the header (in place) or of the data / config; returns what it did, for the failure message. */
function mutate(pick: Pick, f: { header: Header; data: Uint8Array; config?: Record<string, Json> }): string {
  const keys = tensorKeys(f.header);
  const key = pick.of(keys);
  const entry = f.header[key] as { dtype: Json; shape: Json; data_offsets: Json };
  const kind = pick.int(12); // 8-10: an alpha tensor, the scalar that loaders and convert decode
  if (kind === 0 && Array.isArray(entry.shape)) {
    const shape = [...entry.shape];
    const op = pick.int(3);
    if (op === 0 && shape.length > 0) shape[pick.int(shape.length)] = pick.of(ODD_NUMBERS);
    else if (op === 1) shape.push(pick.of(ODD_NUMBERS));
    else shape.pop();
    entry.shape = pick.int(8) === 0 ? pick.of<Json>([[], [0], [1], [2], 'x', null]) : shape;
    return `${key}.shape = ${JSON.stringify(entry.shape)}`;
  }
  if (kind === 1) {
    entry.dtype = pick.of(DTYPES);
    return `${key}.dtype = ${JSON.stringify(entry.dtype)}`;
  }
  if (kind === 2 && Array.isArray(entry.data_offsets)) {
    const offsets = [...entry.data_offsets] as number[];
    const i = pick.int(2);
    offsets[i] = pick.of([
      0,
      1,
      2,
      -1,
      (offsets[i] ?? 0) + 2,
      (offsets[i] ?? 0) - 2,
      2 ** 40,
      f.data.byteLength,
    ]);
    entry.data_offsets = pick.int(10) === 0 ? [offsets[1] ?? 0, offsets[0] ?? 0] : offsets;
    return `${key}.data_offsets = ${JSON.stringify(entry.data_offsets)}`;
  }
  if (kind === 3) {
    const renamed = pick.of(KEY_EDITS)(key);
    delete f.header[key];
    f.header[renamed] = entry;
    return `rename ${key} -> ${renamed}`;
  }
  if (kind === 4) {
    delete f.header[key];
    return `delete ${key}`;
  }
  if (kind === 5) {
    const meta = f.header.__metadata__ as Record<string, Json>;
    const name = pick.of([...Object.keys(meta), 'ss_dataset_dirs', 'lora_adapter_metadata', '__proto__']);
    meta[name] = pick.of(METADATA_VALUES);
    return `metadata ${name} = ${JSON.stringify(meta[name])}`;
  }
  if (kind === 6 && f.config) {
    const name = pick.of(CONFIG_KEYS);
    f.config[name] = pick.of(CONFIG_VALUES);
    return `config ${name} = ${JSON.stringify(f.config[name])}`;
  }
  if (kind === 7 && f.data.byteLength > 0) {
    const at = pick.int(f.data.byteLength);
    f.data[at] = pick.of([0x00, 0x7f, 0x80, 0xff, pick.int(256)]);
    return `data[${at}] = ${f.data[at]}`;
  }
  const alphas = keys.filter((k) => k.endsWith('.alpha'));
  if (kind >= 8 && kind <= 10 && alphas.length > 0) {
    const alphaKey = pick.of(alphas);
    const alpha = f.header[alphaKey] as { dtype: Json; shape: Json };
    alpha.shape = pick.of<Json>([[0], [0], [], [1], [2], [1, 1], [0, 4]]);
    alpha.dtype = pick.of(DTYPES);
    return `alpha ${alphaKey} = ${JSON.stringify(alpha.dtype)} ${JSON.stringify(alpha.shape)}`;
  }
  f.header[`${key}_copy`] = { ...entry };
  return `copy ${key} (overlapping offsets)`;
}

const DTYPE_WIDTH: Readonly<Record<string, number>> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  I16: 2,
};
/** Largest data section a re-laid-out fixture may have. */
const MAX_RELAYOUT_BYTES = 1 << 20;

/**
 * Makes the offsets agree with the (mutated) shapes and dtypes again, tensors back to back, the data
 * resized by repeating the old bytes, so mutations get past the header parser into openLora /
 * inspect / convert. Leaves the file as it is when a shape or dtype is invalid or the data too big.
 */
function relayout(f: { header: Header; data: Uint8Array }): boolean {
  const entries = tensorKeys(f.header).map(
    (k) => f.header[k] as { dtype: Json; shape: Json; data_offsets: Json },
  );
  const sizes: number[] = [];
  for (const e of entries) {
    if (!Array.isArray(e.shape) || typeof e.dtype !== 'string') return false;
    if (!e.shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) return false;
    const count = (e.shape as number[]).reduce((n, d) => n * d, 1);
    sizes.push(count * (DTYPE_WIDTH[e.dtype] ?? 1));
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total > MAX_RELAYOUT_BYTES) return false;
  let offset = 0;
  entries.forEach((e, i) => {
    e.data_offsets = [offset, offset + (sizes[i] as number)];
    offset += sizes[i] as number;
  });
  const data = new Uint8Array(total);
  for (let i = 0; i < total && f.data.byteLength > 0; i++) data[i] = f.data[i % f.data.byteLength] as number;
  f.data = data;
  return true;
}

/** The file bytes: 8-byte length, header JSON padded to 8 bytes, data. */
function serialize(header: Header, data: Uint8Array): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  out.set(text, 8);
  out.set(data, 8 + text.byteLength);
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'toonlora-lora-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `step`; a ToonloraError counts as a rejection, anything else fails the test with `what`, and so
 * does ArrayBuffer memory grown by more than the bound during the step (garbage of earlier steps that
 * the GC has not freed yet is not counted against it).
 */
async function expectTyped(step: () => Promise<unknown>, what: string): Promise<'ok' | 'rejected'> {
  const baseline = process.memoryUsage().arrayBuffers;
  let outcome: 'ok' | 'rejected' = 'ok';
  try {
    await step();
  } catch (error) {
    if (!isToonloraError(error)) {
      throw new Error(`${what}: ${(error as Error)?.stack ?? String(error)}`);
    }
    outcome = 'rejected';
  }
  const growth = process.memoryUsage().arrayBuffers - baseline;
  if (growth > MAX_ARRAY_BUFFER_GROWTH) throw new Error(`${what}: ArrayBuffers grew by ${growth} bytes`);
  return outcome;
}

describe('LoRA mutation fuzz (openLora, inspectLora, convertLora)', () => {
  it(`only typed errors come out of mutated kohya / PEFT / diffusers files (bounded: ${MAX_RUNS} runs or ${MAX_MS} ms)`, async () => {
    const pick = createPick(4242);
    const counts = { ok: 0, rejected: 0, runs: 0 };
    const deadline = Date.now() + MAX_MS;
    while (counts.runs < MAX_RUNS && Date.now() < deadline) {
      const base = pick.of(FIXTURES);
      const f = {
        header: structuredClone(base.header),
        data: base.data.slice(),
        ...(base.config ? { config: structuredClone(base.config) } : {}),
      };
      const edits = Array.from({ length: 1 + pick.int(3) }, () => mutate(pick, f));
      if (pick.int(3) > 0 && relayout(f)) edits.push('offsets re-laid out');
      const folder = join(dir, `run-${counts.runs}`);
      await mkdir(folder);
      const input = join(folder, base.config ? 'adapter_model.safetensors' : 'lora.safetensors');
      await writeFile(input, serialize(f.header, f.data));
      if (f.config) await writeFile(join(folder, 'adapter_config.json'), JSON.stringify(f.config));
      const what = `${base.label} run ${counts.runs} [${edits.join('; ')}]`;
      const to = pick.of(['kohya', 'diffusers', 'peft'] as const);
      const precision = pick.of([undefined, 'fp16', 'bf16', 'fp32'] as const);
      const steps = [
        () => openLora(input, { allowUnknownFormat: pick.int(2) === 0 }).then((o) => o.reader.close()),
        () => inspectLora(input),
        () =>
          convertLora({
            input,
            output: join(folder, to === 'peft' ? 'out' : 'out.safetensors'),
            to,
            ...(precision ? { precision } : {}),
            dropUnknown: pick.int(2) === 0,
          }),
      ];
      for (const step of steps) counts[await expectTyped(step, what)]++;
      await rm(folder, { recursive: true, force: true });
      counts.runs++;
    }
    expect(counts.runs).toBeGreaterThan(20);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.ok).toBeGreaterThan(0);
  }, 20_000);
});
