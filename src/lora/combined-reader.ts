// src/lora/combined-reader.ts — several safetensors files read as one (a PEFT folder's UNet adapter plus
// its `text_encoder/` adapter): tensors are routed to the file they came from by entry identity, so
// convert and inspect see one tensor list while every read still goes to the right file.
import type { TensorEntry } from './safetensors-format.js';
import type { SafetensorsReader, TensorStream } from './safetensors-read.js';

/** Consecutive runs of `entries` that belong to the same reader, in order. */
function runsByReader(
  entries: readonly TensorEntry[],
  owner: (entry: TensorEntry) => SafetensorsReader,
): Array<{ reader: SafetensorsReader; entries: TensorEntry[] }> {
  const runs: Array<{ reader: SafetensorsReader; entries: TensorEntry[] }> = [];
  for (const entry of entries) {
    const reader = owner(entry);
    const last = runs[runs.length - 1];
    if (last && last.reader === reader) last.entries.push(entry);
    else runs.push({ reader, entries: [entry] });
  }
  return runs;
}

/**
 * One reader over `primary` and `extra` files. `path`, `header.metadata` are the primary file's;
 * `header.tensors` lists the primary's tensors, then each extra file's (entries are the files' own
 * objects: pass them back unchanged). `fileSize` is the total; `close` closes every file.
 */
export function combineReaders(
  primary: SafetensorsReader,
  extra: readonly SafetensorsReader[],
): SafetensorsReader {
  if (extra.length === 0) return primary;
  const readers = [primary, ...extra];
  const ownerOf = new Map<TensorEntry, SafetensorsReader>();
  for (const reader of readers) for (const t of reader.header.tensors) ownerOf.set(t, reader);
  const owner = (entry: TensorEntry): SafetensorsReader => {
    const reader = ownerOf.get(entry);
    if (!reader) throw new TypeError(`tensor "${entry.name}" belongs to none of the combined files`);
    return reader;
  };
  return {
    path: primary.path,
    fileSize: readers.reduce((sum, r) => sum + r.fileSize, 0),
    header: { ...primary.header, tensors: readers.flatMap((r) => r.header.tensors) },
    tensor: (name) => primary.tensor(name),
    readTensor: (entry) => owner(entry).readTensor(entry),
    streamTensor: (entry, chunkBytes) => owner(entry).streamTensor(entry, chunkBytes),
    streamTensors(entries, maxAheadBytes): TensorStream {
      const runs = runsByReader(entries, owner);
      const streams: TensorStream[] = [];
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for (const run of runs) {
          const stream = run.reader.streamTensors(run.entries, maxAheadBytes);
          streams.push(stream);
          yield* stream.chunks;
        }
      }
      return {
        chunks: chunks(),
        // Each stream ignores chunks it does not own (they are keyed by their slab buffer).
        release: (chunk) => {
          for (const stream of streams) stream.release(chunk);
        },
      };
    },
    close: async () => {
      await Promise.all(readers.map((r) => r.close()));
    },
  };
}
