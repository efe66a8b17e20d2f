// src/worker/train-grace.test.ts — one Ctrl-C during train whose worker does not finish its step within the stop
// grace: the first notice says how long the worker gets, and the end says it was killed for outliving that grace.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../schemas/config.js';
import type { WorkerEvent } from './protocol.js';
import { runTraining } from './train.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: 30 });

function writeDataset(): string {
  const root = mkdtempSync(join(tmpdir(), 'tl-train-grace-ds-'));
  mkdirSync(join(root, '10_sks girl'));
  writeFileSync(join(root, '10_sks girl', 'a.png'), PNG);
  return root;
}

// A train worker in a step longer than the grace: it ignores SIGTERM (it would stop after the step) and never ends.
const SLOW_STEP = `
process.on('SIGTERM', () => {});
const say = (event) => process.stdout.write(JSON.stringify({ version: 1, ...event }) + '\\n');
process.stdin.resume();
process.stdin.on('end', () => {
  say({ type: 'progress', step: 1, total: 30, loss: 0.1, lr: 1e-4, it_per_s: 1, eta_s: 1 });
  say({ type: 'log', level: 'info', message: 'pid ' + process.pid });
  setInterval(() => {}, 1000);
});`;

describe('one Ctrl-C whose worker outlives the stop grace', () => {
  const started: number[] = [];
  afterEach(() => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });

  it('says the worker gets the grace to save, and that it was killed for not finishing within it', async () => {
    const stop = new AbortController();
    const logs: string[] = [];
    const result = await runTraining({
      datasetDir: writeDataset(),
      runDir: mkdtempSync(join(tmpdir(), 'tl-train-grace-run-')),
      config,
      signal: stop.signal,
      stopGraceMs: 300,
      spawn: { command: process.execPath, args: ['-e', SLOW_STEP], cwd: process.cwd() },
      onEvent: (event: WorkerEvent) => {
        if (event.type !== 'log') return;
        logs.push(`${event.level}: ${event.message}`);
        if (event.message.startsWith('pid ')) {
          started.push(Number(event.message.slice(4)));
          stop.abort(); // one Ctrl-C
        }
      },
    });
    expect(result).toMatchObject({
      status: 'cancelled',
      forced: true,
      steps: 1,
      checkpoint: null,
      killedAfterGraceMs: 300,
    });
    expect(logs).toContain(
      'info: the worker gets 0.3 s to finish its current step and save a checkpoint; after that it is killed and the ' +
        'steps since the last checkpoint are lost',
    );
    expect(logs.at(-1)).toBe(
      'warn: the worker was killed because it did not finish its step and save a checkpoint within the 0.3 s grace ' +
        'after Ctrl-C / SIGTERM (a slow step: a large resolution or batch on this machine)',
    );
  });
});
