// Tests for safetensors-format.ts: every hostile header is rejected with its own rule, valid files
// round-trip through the builder, and a seeded mutation fuzz only ever yields typed errors.
import { describe, expect, it } from 'vitest';
import { isToonloraError, ToonloraError } from '../errors.js';
import { seededRandom } from './lora-fixtures.js';
import {
  buildSafetensorsHeader,
  MAX_HEADER_BYTES,
  orderForWrite,
  parseSafetensorsBuffer,
  type SafetensorsRule,
} from './safetensors-format.js';

/** A file from a raw header (object or text) and `dataBytes` zero bytes. */
function fileWith(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  return out;
}

function withLength(length: bigint, total: number): Uint8Array {
  const out = new Uint8Array(total);
  new DataView(out.buffer).setBigUint64(0, length, true);
  return out;
}

const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

function ruleOf(bytes: Uint8Array): { rule: SafetensorsRule; message: string } {
  try {
    parseSafetensorsBuffer(bytes, 'bad.safetensors');
  } catch (error) {
    expect(error).toBeInstanceOf(ToonloraError);
    const e = error as ToonloraError;
    expect(e.code).toBe('TL_ERR_SAFETENSORS');
    return { rule: e.details.rule as SafetensorsRule, message: e.message };
  }
  throw new Error('expected the file to be rejected');
}

describe('files that are not safetensors, or whose header length is wrong, are named as such', () => {
  it('a PyTorch zip or pickle checkpoint (.ckpt / .pt / .bin) is named, not a header-length error', () => {
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x08, 0x08, 0, 0, 0, 0, 0, 0, 0, 0]);
    const pickle = new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x0a, 0, 0, 0, 0]);
    const pickleV4 = new Uint8Array([0x80, 0x04, 0x95, 0x10, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0]);
    for (const bytes of [zip, pickle, pickleV4]) {
      const { rule, message } = ruleOf(bytes);
      expect(rule).toBe('pytorch-checkpoint');
      expect(message).toContain('bad.safetensors: is a PyTorch pickle/zip checkpoint');
      expect(message).toContain('toonlora reads .safetensors only');
      expect(message).not.toContain('header length');
    }
    // A valid file is never taken for one, and other garbage keeps its rule.
    expect(ruleOf(withLength(2n ** 48n, 64)).rule).toBe('header-length-cap');
  });

  it('a header length that runs into the tensor data says so, not only "not valid UTF-8" / "not JSON"', () => {
    const json = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}    ');
    const make = (data: number[]) => {
      const out = new Uint8Array(8 + json.byteLength + data.length);
      // The length claims the header and its 4 data bytes.
      new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength + data.length), true);
      out.set(json, 8);
      out.set(data, 8 + json.byteLength);
      return out;
    };
    const end = json.byteLength - 4;
    const binary = ruleOf(make([0x00, 0x00, 0xc0, 0xff]));
    expect(binary.rule).toBe('header-not-utf8');
    expect(binary.message).toContain(
      `header is not valid UTF-8: the JSON header ends after ${end} bytes, but the header length in the first 8 bytes says ${json.byteLength + 4}, so that length is wrong`,
    );
    const text = ruleOf(make([0x00, 0x00, 0x20, 0x41])); // 10.0: bytes that happen to be ASCII
    expect(text.rule).toBe('header-not-json');
    expect(text.message).toContain(`the JSON header ends after ${end} bytes`);
    // A bad byte inside the JSON itself gets no such hint.
    const inside = fileWith('{"ab":1}', 0);
    inside[10] = 0xff;
    expect(ruleOf(inside).message).not.toContain('ends after');
  });
});

describe('parseSafetensorsBuffer rejects hostile files, one rule each', () => {
  const cases: Array<[string, Uint8Array, SafetensorsRule, string?]> = [
    ['truncated (under 8 bytes)', new Uint8Array(5), 'file-too-small'],
    [
      'truncated inside the data',
      fileWith({ a: t('F32', [4], [0, 16]) }, 16).subarray(0, -3),
      'offsets-out-of-range',
      'a',
    ],
    ['header length past the end', withLength(1000n, 100), 'header-length-past-end'],
    ['2^48 header length', withLength(2n ** 48n, 64), 'header-length-cap'],
    ['header length just over the cap', withLength(BigInt(MAX_HEADER_BYTES + 1), 64), 'header-length-cap'],
    ['non-JSON header', fileWith('{"a": [1, 2', 0), 'header-not-json'],
    [
      'invalid UTF-8',
      (() => {
        const f = fileWith('{"ab":1}', 0);
        f[10] = 0xff;
        return f;
      })(),
      'header-not-utf8',
    ],
    ['array header', fileWith([1, 2, 3], 0), 'header-not-object'],
    ['null header', fileWith('null', 0), 'header-not-object'],
    [
      'overlapping offsets',
      fileWith({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }, 12),
      'offsets-overlap',
      'b',
    ],
    ['reversed offsets', fileWith({ a: t('F32', [0], [8, 0]) }, 8), 'offsets-reversed', 'a'],
    ['out-of-range offsets', fileWith({ a: t('F32', [4], [0, 16]) }, 8), 'offsets-out-of-range', 'a'],
    [
      'gap between tensors',
      fileWith({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, 12),
      'offsets-gap',
      'b',
    ],
    ['trailing data', fileWith({ a: t('F32', [1], [0, 4]) }, 8), 'data-trailing-bytes'],
    ['shape / size mismatch', fileWith({ a: t('F32', [3], [0, 8]) }, 8), 'size-mismatch', 'a'],
    ['unknown dtype', fileWith({ a: t('F17', [2], [0, 8]) }, 8), 'unknown-dtype', 'a'],
    ['negative shape', fileWith({ a: t('F32', [-2], [0, 8]) }, 8), 'shape-negative', 'a'],
    ['fractional shape', fileWith({ a: t('F32', [1.5], [0, 8]) }, 8), 'shape-invalid', 'a'],
    [
      'integer-overflowing shape',
      fileWith({ a: t('F32', [2 ** 40, 2 ** 40], [0, 8]) }, 8),
      'shape-overflow',
      'a',
    ],
    ['byte-size overflow', fileWith({ a: t('F64', [2 ** 51], [0, 8]) }, 8), 'shape-overflow', 'a'],
    ['offsets not integers', fileWith({ a: t('F32', [2], ['0', 8]) }, 8), 'offsets-invalid', 'a'],
    ['tensor entry not an object', fileWith({ a: 5 }, 0), 'tensor-entry-not-object', 'a'],
    ['non-string metadata', fileWith({ __metadata__: { steps: 1500 } }, 0), 'metadata-value-not-string'],
    ['metadata not an object', fileWith({ __metadata__: 'x' }, 0), 'metadata-not-object'],
    [
      '__proto__ tensor key',
      fileWith('{"__proto__": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}', 0),
      'forbidden-key',
    ],
    ['__proto__ metadata key', fileWith('{"__metadata__": {"__proto__": "x"}}', 0), 'forbidden-key'],
    [
      'constructor inside a tensor entry',
      fileWith('{"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0], "constructor": 1}}', 0),
      'forbidden-key',
      'a',
    ],
  ];
  for (const [label, bytes, rule, tensor] of cases) {
    it(`${label} -> ${rule}`, () => {
      const result = ruleOf(bytes);
      expect(result.rule).toBe(rule);
      expect(result.message).toContain('bad.safetensors');
      if (tensor) expect(result.message).toContain(`tensor "${tensor}"`);
    });
  }

  it('does not pollute Object.prototype', () => {
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});

describe('buildSafetensorsHeader', () => {
  it('starts with {" , pads with spaces to 8 bytes and parses back', () => {
    const tensors = orderForWrite([
      { name: 'b', dtype: 'F16' as const, shape: [3] },
      { name: 'a.alpha', dtype: 'F32' as const, shape: [] },
      { name: 'c', dtype: 'F32' as const, shape: [2, 2] },
    ]);
    expect(tensors.map((x) => x.name)).toEqual(['a.alpha', 'c', 'b']);
    const { bytes, offsets, dataBytes } = buildSafetensorsHeader(tensors, { ss_network_dim: '32' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(8, 10))).toBe('{"');
    expect(bytes[bytes.byteLength - 1]).toBe(0x20);
    expect(offsets).toEqual([
      [0, 4],
      [4, 20],
      [20, 26],
    ]);
    const file = new Uint8Array(bytes.byteLength + dataBytes);
    file.set(bytes);
    const header = parseSafetensorsBuffer(file, 'ok.safetensors');
    expect(header.metadata.ss_network_dim).toBe('32');
    expect(header.tensors.map((x) => [x.name, x.dtype, x.shape, x.begin, x.end])).toEqual([
      ['a.alpha', 'F32', [], 0, 4],
      ['c', 'F32', [2, 2], 4, 20],
      ['b', 'F16', [3], 20, 26],
    ]);
  });

  it('accepts the F8 dtypes', () => {
    const { bytes, dataBytes } = buildSafetensorsHeader(
      [
        { name: 'x', dtype: 'F8_E4M3', shape: [3] },
        { name: 'y', dtype: 'F8_E5M2', shape: [5] },
      ],
      {},
    );
    const file = new Uint8Array(bytes.byteLength + dataBytes);
    file.set(bytes);
    expect(parseSafetensorsBuffer(file, 'f8.safetensors').tensors).toHaveLength(2);
  });
});

describe('mutation fuzz', () => {
  it('only typed errors come out of mutated valid files (bounded: 3 s)', () => {
    const layout = [
      { name: 'lora_unet_a.alpha', dtype: 'F32' as const, shape: [] },
      { name: 'lora_unet_a.lora_down.weight', dtype: 'F16' as const, shape: [4, 8] },
      { name: 'lora_unet_a.lora_up.weight', dtype: 'BF16' as const, shape: [8, 4] },
    ];
    const { bytes, dataBytes } = buildSafetensorsHeader(layout, {
      ss_network_dim: '4',
      ss_tag_frequency: '{"a":1}',
    });
    const valid = new Uint8Array(bytes.byteLength + dataBytes);
    valid.set(bytes);
    const random = seededRandom(1234);
    const pick = (n: number) => Math.floor(((random() + 1) / 2) * n);
    const deadline = Date.now() + 3000;
    let runs = 0;
    let rejected = 0;
    while (Date.now() < deadline) {
      let file = valid.slice();
      const edits = 1 + pick(4);
      for (let e = 0; e < edits; e++) {
        const kind = pick(4);
        if (kind === 0) file[pick(file.byteLength)] = pick(256);
        else if (kind === 1) file = file.slice(0, pick(file.byteLength + 1));
        else if (kind === 2) file[pick(Math.min(16, file.byteLength))] = pick(256);
        else {
          // Swap a digit inside the JSON for another: shapes and offsets go out of step.
          const at = 8 + pick(Math.max(1, bytes.byteLength - 8));
          if ((file[at] ?? 0) >= 0x30 && (file[at] ?? 0) <= 0x39) file[at] = 0x30 + pick(10);
        }
      }
      runs++;
      try {
        parseSafetensorsBuffer(file, 'fuzz.safetensors');
      } catch (error) {
        rejected++;
        if (!isToonloraError(error) || error.code !== 'TL_ERR_SAFETENSORS') throw error;
      }
    }
    expect(runs).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(0);
  });
});
