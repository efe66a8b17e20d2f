// src/worker/stop-signals.test.ts — Ctrl-C / SIGTERM during `toonlora generate`: the signal aborts the run,
// the worker gets SIGTERM and is gone, and the error says it was stopped; a folder as --lora is refused up front.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { alive } from '../../test/helpers/processes.js';
import { generationConfigSchema } from '../schemas/config.js';
import { runGeneration } from './generate.js';
import type { WorkerSpawn } from './python-worker.js';
import { handleOutputError, withStopSignals } from './stop-signals.js';

// A worker that logs once, then renders "forever"; default SIGTERM behaviour ends it.
const HANGING = `process.stdout.write(JSON.stringify({version:1,type:'log',level:'info',message:'rendering'})+'\\n');
process.stdout.write(JSON.stringify({version:1,type:'log',level:'info',message:'pid '+process.pid})+'\\n');
setInterval(() => {}, 1000);`;
const hanging: WorkerSpawn = { command: process.execPath, args: ['-e', HANGING], cwd: process.cwd() };
const config = generationConfigSchema.parse({ baseModel: 'tiny', prompt: 'sks' });

describe('withStopSignals', () => {
  it('SIGINT stops a running generation: the worker is ended and the error says it was stopped', async () => {
    let pid = 0;
    const before = process.listenerCount('SIGINT');
    const outcome = withStopSignals((signal) =>
      runGeneration({
        outputDir: join(tmpdir(), 'tl-stop'),
        config,
        signal,
        spawn: hanging,
        onEvent: (event) => {
          if (event.type !== 'log') return;
          if (event.message.startsWith('pid ')) {
            pid = Number(event.message.slice(4));
            process.emit('SIGINT', 'SIGINT'); // what Ctrl-C delivers to the CLI
          }
        },
      }),
    );
    await expect(outcome).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      message: expect.stringContaining('generate was stopped (Ctrl-C / SIGTERM)'),
    });
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
    expect(process.listenerCount('SIGINT')).toBe(before); // handlers removed afterwards
  });

  it('a second SIGINT kills a worker that has not stopped yet, then exits 130 (workers miss the terminal Ctrl-C)', async () => {
    // the worker ignores SIGTERM: only the second Ctrl-C's SIGKILL of its process group ends it
    const stubborn: WorkerSpawn = {
      ...hanging,
      args: ['-e', `process.on('SIGTERM', () => {});\n${HANGING}`],
    };
    let pid = 0;
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const outcome = withStopSignals((signal) =>
        runGeneration({
          outputDir: join(tmpdir(), 'tl-stop'),
          config,
          signal,
          spawn: stubborn,
          onEvent: (event) => {
            if (event.type !== 'log' || !event.message.startsWith('pid ')) return;
            pid = Number(event.message.slice(4));
            process.emit('SIGINT', 'SIGINT');
            process.emit('SIGINT', 'SIGINT');
          },
        }),
      );
      await expect(outcome).rejects.toMatchObject({ code: 'TL_ERR_WORKER' });
      expect(exit).toHaveBeenCalledWith(130);
      expect(pid).toBeGreaterThan(0);
      expect(alive(pid)).toBe(false);
    } finally {
      exit.mockRestore();
    }
  });

  it('SIGHUP (the terminal or SSH session closed) stops the run as the first Ctrl-C does', async () => {
    const before = process.listenerCount('SIGHUP');
    const aborted = await withStopSignals(async (signal, kill) => {
      process.emit('SIGHUP', 'SIGHUP');
      return [signal.aborted, kill.aborted];
    });
    expect(aborted).toEqual([true, false]);
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('a closed output pipe (EPIPE) stops a running worker once instead of ending Node and orphaning it', async () => {
    const exit = vi.fn();
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    handleOutputError(epipe, exit); // no run going: `toonlora ... | head` ends 0
    expect(exit).toHaveBeenCalledWith(0);
    exit.mockClear();
    const seen = await withStopSignals(
      async (signal, kill) => {
        handleOutputError(epipe, exit);
        handleOutputError(epipe, exit); // every later write fails too: still one stop, never the kill
        return [signal.aborted, kill.aborted];
      },
      { killOnSecondSignal: true },
    );
    expect(seen).toEqual([true, false]);
    handleOutputError(epipe, exit); // printing the stopped run's result: ignored, the run's exit code stands
    expect(exit).not.toHaveBeenCalled();
    expect(() => handleOutputError(Object.assign(new Error('boom'), { code: 'EBADF' }), exit)).toThrow(
      'boom',
    );
  });

  it('refuses a folder that is not a PEFT adapter given as --lora with a usage error naming it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tl-lora-dir-'));
    await expect(
      runGeneration({ lora: folder, outputDir: folder, config, spawn: hanging }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining(`${folder}: is a folder with no adapter_model.safetensors`),
    });
  });
});
