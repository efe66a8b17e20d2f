// test/helpers/stop-io.ts — a stand-in for what serve's Ctrl-C handling (serveUntilStopped) listens to and acts
// through: signals the test emits, the lines it writes kept, and mocks for killing the workers and exiting.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

/** A StopIo whose signals the test emits (`io.signals.emit('SIGINT')`) and whose written text is in `written`. */
export function fakeStopIo() {
  const written: string[] = [];
  const io = {
    signals: new EventEmitter(),
    write: (text: string) => void written.push(text),
    killWorkers: vi.fn(),
    exit: vi.fn(),
  };
  return { io, written, signals: io.signals };
}
