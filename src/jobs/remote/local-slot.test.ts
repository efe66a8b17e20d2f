// src/jobs/remote/local-slot.test.ts — the one local slot of `serve --remote-workers`: local jobs take turns, and a
// job stopped while it waits ends without running and without letting the next one start early.
import { describe, expect, it } from 'vitest';
import type { JobContext } from '../job-queue.js';
import { oneLocalJobAtATime } from './local-slot.js';

function context(controller = new AbortController()): JobContext {
  return {
    job: {} as JobContext['job'],
    signal: controller.signal,
    kill: new AbortController().signal,
    resume: false,
    progress: () => {},
    emit: () => {},
  };
}

describe('oneLocalJobAtATime', () => {
  it('runs local jobs one after the other; a stopped waiter neither runs nor frees the slot early', async () => {
    const log: string[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runners = oneLocalJobAtATime({
      prep: async () => {
        log.push('prep start');
        await held;
        log.push('prep end');
        return {};
      },
      generate: async () => {
        log.push('generate');
        return {};
      },
    });
    const first = runners.prep?.(context());
    const stopped = new AbortController();
    const second = runners.generate?.(context(stopped));
    const third = runners.generate?.(context());
    stopped.abort('cancel');
    await expect(second).rejects.toThrow('stopped before it started');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['prep start']);
    release();
    await Promise.all([first, third]);
    expect(log).toEqual(['prep start', 'prep end', 'generate']);
  });
});
