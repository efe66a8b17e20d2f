// src/cli/commands/demo.test.ts — the demo's closing summary says how long each stage took.
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../demo/run-demo.js';
import { formatDemo, formatDemoTimings } from './demo.js';

describe('the demo summary', () => {
  it("lists each stage's time and the total", () => {
    expect(formatDemoTimings({ setup: 2.06, prep: 14, train: 112.4, generate: 9.3, total: 137.8 })).toBe(
      'setup 2.1 s, prep 14.0 s, train 1m52s, generate 9.3 s; 2m18s in all',
    );
    const result: DemoResult = {
      outDir: '/tmp/demo',
      baseModel: 'tiny',
      prep: {
        datasetDir: '/tmp/demo/dataset/10_sks girl',
        manifest: '/tmp/demo/dataset/manifest.json',
        crops: 6,
        files: 6,
      },
      training: { steps: 60, lastLoss: 0.5616, kohyaFile: '/tmp/demo/run/run.safetensors' },
      lora: { format: 'kohya', modules: 32, compatibility: [] },
      images: {
        images: ['/tmp/demo/images/1.png'],
        grid: '/tmp/demo/images/grid.png',
        timings: {},
        notes: [],
        stopped: false,
      },
      timings: { setup: 1, prep: 20, train: 600, generate: 30, total: 651 },
    };
    expect(formatDemo(result).split('\n')).toContain(
      '  time:     setup 1.0 s, prep 20.0 s, train 10m00s, generate 30.0 s; 10m51s in all',
    );
  });
});
