// test/helpers/fake-worker-machine.ts — a machine for `toonlora worker`'s loop in process (work()): a fake clock that
// each wait moves on (no real waits), the lines it says, its progress output, and a stop for the test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { WorkerFlags, WorkerMachine } from '../../src/cli/commands/worker.js';

/** A stream that keeps what is written to it (`isTTY`: it says it is a terminal, for a progress bar). */
export function keptOutput(isTTY = false): {
  stream: Writable & { isTTY?: boolean; columns?: number };
  text: () => string;
} {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    isTTY ? { isTTY: true, columns: 120 } : {},
  );
  return { stream, text: () => text };
}

/** The machine (progress as plain lines unless `more` says), the lines said, the waits, the progress written. */
export function fakeMachine(more: Partial<WorkerMachine> = {}) {
  let clock = 1_000_000;
  const lines: string[] = [];
  const waits: number[] = [];
  const stopper = new AbortController();
  const output = keptOutput();
  const machine: Partial<WorkerMachine> = {
    now: () => clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    say: (line) => lines.push(line),
    networkUp: () => true,
    stop: stopper.signal,
    progressStream: output.stream,
    progressMode: 'lines',
    ...more,
  };
  return { machine, lines, waits, progress: output.text, stop: () => stopper.abort() };
}

/** `toonlora worker --server <server> --name gpu-a --dir <a new folder>` and `more`. */
export const workerFlags = (server: string, more: Partial<WorkerFlags> = {}): WorkerFlags => ({
  server,
  name: 'gpu-a',
  dir: mkdtempSync(join(tmpdir(), 'tl-worker-')),
  once: false,
  json: false,
  ...more,
});
