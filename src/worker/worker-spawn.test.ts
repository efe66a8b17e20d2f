// src/worker/worker-spawn.test.ts — the worker's environment tells it which process started it, under the name its
// parent watch reads (trainer/toonlora_trainer/parent_watch.py), so a parent that dies while Python starts is noticed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARENT_PID_ENV, TRAINER_DIR, workerEnv } from './worker-spawn.js';

describe('workerEnv', () => {
  it("passes this process's pid, over one inherited from an outer toonlora or given by the spawn", () => {
    const env = workerEnv(
      { env: { [PARENT_PID_ENV]: '1' } },
      { [PARENT_PID_ENV]: '2', PATH: '/bin' },
      '/home/u',
    );
    expect(env[PARENT_PID_ENV]).toBe(String(process.pid));
    expect(env.PATH).toBe('/bin');
  });

  it('names the variable as the Python parent watch reads it', () => {
    const python = readFileSync(join(TRAINER_DIR, 'toonlora_trainer', 'parent_watch.py'), 'utf8');
    expect(python).toContain(`PARENT_PID_ENV = "${PARENT_PID_ENV}"`);
  });
});
