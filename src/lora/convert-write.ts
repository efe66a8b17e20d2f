// src/lora/convert-write.ts — the writing half of `convertLora` (I/O): planned tensors streamed from the
// source file through one read-ahead stream, converted to the requested float width on the way and
// scanned for NaN / ±Inf, written in a deterministic order; a PEFT folder written to a temp folder and
// renamed into place (through a symlink: onto the folder it names; an adapter file that is a symlink is
// written through). What to write is convert-plan.ts' /
// lokr-plan.ts'.
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { type AdapterLink, adapterFileLinks } from './adapter-links.js';
import type { PlannedFile, PlannedTensor } from './convert-plan.js';
import {
  type ConversionStats,
  convertFloatBytes,
  type FloatDtype,
  floatWidth,
  isFloatDtype,
} from './float-convert.js';
import { nonFiniteScanner } from './non-finite.js';
import {
  asOutputWriteError,
  assertOutputPath,
  assertReplaceableAdapterFolder,
  resolveOutputTarget,
  tempPathBeside,
} from './output-checks.js';
import { DTYPE_BYTES } from './safetensors-format.js';
import { type SafetensorsReader, STREAM_CHUNK_BYTES } from './safetensors-read.js';
import { assertWritable, keepModeOf, type TensorSource, writeSafetensors } from './safetensors-write.js';

/** What the conversion saw in the values: fp16 / bf16 overflow, and the source tensors holding NaN / ±Inf. */
export interface ConvertStats extends ConversionStats {
  readonly nonFinite: string[];
}

/**
 * Byte sources for planned tensors, in write order. All source reads go through one read-ahead
 * stream (`streamTensors`), so reads of the next tensors overlap the writes of this one.
 */
function tensorSources(
  planned: readonly PlannedTensor[],
  reader: SafetensorsReader,
  stats: ConvertStats,
): { sources: TensorSource[]; release: (chunk: Uint8Array) => void } {
  const fromFile = planned.flatMap((t) => (t.source ? [t.source] : []));
  const stream = reader.streamTensors(fromFile);
  // Converted chunks come from a pool too (returned through `release` once written): capacity for
  // the largest output of one slab (F16 -> F32 doubles it) plus a carried partial element.
  const converted = new Set<ArrayBufferLike>();
  const freeOut: ArrayBuffer[] = [];
  const outCapacity = 2 * STREAM_CHUNK_BYTES + 16;
  const release = (chunk: Uint8Array) => {
    if (converted.delete(chunk.buffer)) freeOut.push(chunk.buffer as ArrayBuffer);
    else stream.release(chunk);
  };
  const sources = planned.map(({ name, dtype, shape, source, scalar, bytes: held }): TensorSource => {
    if (scalar !== undefined) {
      const bytes = new Uint8Array(new Float32Array([scalar]).buffer);
      return { name, dtype, shape, chunks: () => [bytes] };
    }
    if (held) return { name, dtype, shape, chunks: () => [held] };
    if (!source) throw new TypeError(`planned tensor "${name}" has no source`);
    const convert = source.dtype !== dtype && isFloatDtype(source.dtype) && isFloatDtype(dtype);
    return {
      name,
      dtype,
      shape,
      chunks: async function* () {
        // The shared stream yields this tensor's chunks next: take exactly its byte count. Chunk
        // edges may split an element, so conversion carries the split bytes into the next chunk.
        const width = convert ? floatWidth(source.dtype as FloatDtype) : 1;
        const scan = nonFiniteScanner(source.dtype);
        let carry: Uint8Array | undefined;
        for (let taken = 0; taken < source.end - source.begin; ) {
          const { value, done } = await stream.chunks.next();
          if (done) throw new TypeError(`tensor "${name}": read stream ended early`);
          taken += value.byteLength;
          scan.push(value);
          if (scan.found && taken >= source.end - source.begin) stats.nonFinite.push(source.name);
          if (!convert) {
            yield value;
            continue;
          }
          const bytes = carry ? Buffer.concat([carry, value]) : value;
          const whole = bytes.byteLength - (bytes.byteLength % width);
          carry = whole < bytes.byteLength ? bytes.slice(whole) : undefined;
          let out: Uint8Array | undefined;
          if (whole > 0) {
            const buffer = freeOut.pop() ?? new ArrayBuffer(outCapacity);
            out = convertFloatBytes(
              bytes.subarray(0, whole),
              source.dtype as FloatDtype,
              dtype as FloatDtype,
              buffer,
              stats,
            );
            converted.add(out.buffer);
          }
          stream.release(value); // converted and carried bytes are copies: the slab can be reused
          if (out) yield out;
        }
      },
    };
  });
  return { sources, release };
}

/**
 * Output order: wider dtypes first (alignment, as Python safetensors), then by position in the
 * source (the reader's tensor list: file order, one file after the other for a combined reader),
 * then by name. Deterministic for a given input, and it turns the copy into one sequential read of
 * each source file (large slabs, see planSlabs).
 */
function writeOrder(tensors: readonly PlannedTensor[], reader: SafetensorsReader): PlannedTensor[] {
  const position = new Map(reader.header.tensors.map((t, i) => [t, i]));
  const at = (t: PlannedTensor) => (t.source ? (position.get(t.source) ?? -1) : -1);
  return [...tensors].sort(
    (a, b) =>
      DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] ||
      at(a) - at(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

export async function writePlannedFile(
  plan: PlannedFile,
  path: string,
  reader: SafetensorsReader,
  overwrite: boolean,
  stats: ConvertStats,
) {
  const { sources, release } = tensorSources(writeOrder(plan.tensors, reader), reader, stats);
  const written = await writeSafetensors(path, sources, plan.metadata, {
    overwrite,
    kohyaHashes: plan.kohyaHashes,
    onChunkWritten: release,
  });
  return { ...written, fileSha256: await fileSha256(path) };
}

/**
 * The sha256 (hex) of the file's bytes as written, what `sha256sum` prints and model sites list. Read back: the
 * header is patched with `sshs_model_hash` after the data is hashed, so the write itself cannot hash the whole file.
 */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1 << 20); // one buffer, reused: no garbage per chunk (the RSS stays flat)
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/**
 * A file's write error from inside the temp folder (writeSafetensors names the file it wrote: a hidden
 * `.out.<pid>.<time>.part/...` path) as its file-system cause, so it is reported against the user's -o.
 */
function stagedWriteCause(error: unknown): unknown {
  const staged = error instanceof ToonloraError && error.code === 'TL_ERR_OUTPUT_WRITE';
  return staged && error.cause instanceof Error ? error.cause : error;
}

/**
 * PEFT output goes into a folder: written to a temp folder, then renamed into place; when `output`
 * is a symlink, onto the folder it names (temp folder beside it; the link stays). An adapter file in
 * the replaced folder that is a symlink (adapter-links.ts) is written through: its new contents go to
 * a temp file beside the file it names, renamed onto it (permission bits kept) just before the folder
 * swap, and the new folder holds the same link.
 */
export async function writePeftFolder(
  plans: PlannedFile[],
  output: string,
  reader: SafetensorsReader,
  overwrite: boolean,
  stats: ConvertStats,
) {
  await assertOutputPath(output, 'folder');
  await assertWritable(output, overwrite);
  if (overwrite) await assertReplaceableAdapterFolder(output);
  const target = await resolveOutputTarget(output);
  const configPath = (plan: PlannedFile) => join(dirname(plan.relativePath), 'adapter_config.json');
  const links = overwrite
    ? await adapterFileLinks(target, [...plans.map((p) => p.relativePath), ...plans.map(configPath)])
    : new Map<string, AdapterLink>();
  const temp = tempPathBeside(target);
  const staged: { from: string; to: string }[] = [];
  /** Where a folder file is written: in the temp folder, or for a link, beside the file it names. */
  const writePath = (rel: string) => {
    const link = links.get(rel);
    if (!link) return join(temp, rel);
    const from = tempPathBeside(link.target);
    staged.push({ from, to: link.target });
    return from;
  };
  try {
    await mkdir(temp, { recursive: true });
    const files = [];
    for (const plan of plans) {
      await mkdir(dirname(join(temp, plan.relativePath)), { recursive: true });
      const written = await writePlannedFile(plan, writePath(plan.relativePath), reader, false, stats);
      const config = Buffer.from(`${JSON.stringify(plan.adapterConfig, null, 2)}\n`);
      await writeFile(writePath(configPath(plan)), config);
      files.push(
        {
          path: join(output, plan.relativePath),
          bytes: written.bytes,
          tensors: plan.tensors.length,
          sha256: written.fileSha256,
          tensorDataSha256: written.dataSha256,
        },
        // the adapter's config is part of the output too: listed with its own hash (no tensors, no data section)
        {
          path: join(output, configPath(plan)),
          bytes: config.byteLength,
          tensors: 0,
          sha256: createHash('sha256').update(config).digest('hex'),
          tensorDataSha256: null,
        },
      );
    }
    for (const [rel, link] of links) await symlink(link.text, join(temp, rel));
    await assertOutputPath(output, 'folder');
    await assertWritable(output, overwrite);
    if (overwrite) {
      await assertReplaceableAdapterFolder(output);
      for (const { from, to } of staged) {
        await keepModeOf(to, from);
        await rename(from, to);
      }
      await rm(target, { recursive: true, force: true });
    }
    await rename(temp, target);
    return files;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    for (const { from } of staged) await rm(from, { force: true });
    throw asOutputWriteError(stagedWriteCause(error), output);
  }
}
