// src/prep/analyser.ts — what analyses one file (this thread or a worker thread), the error of one that
// can no longer work, and the deferred slot the pool and the worker client hand analyses back through.
import type { FileAnalysis } from './analyse-file.js';

/** Something that analyses one file at a time: this thread, or a worker thread. */
export interface FileAnalyser {
  analyse(source: string): Promise<FileAnalysis>;
}

/** An analyser that can no longer work (its worker thread exited); the file it had is reported failed. */
export class AnalyserLostError extends Error {}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a slot nobody awaits any more (after a stop) must not crash the process
  return { promise, resolve, reject };
}
