// src/worker/memory-estimate.test.ts — the --dry-run paragraph names what sets the peak.
import { describe, expect, it } from 'vitest';
import { trainingConfigSchema } from '../schemas/config.js';
import { describeMemoryEstimate, estimatedConfig, type MemoryEstimate } from './memory-estimate.js';

const estimate = (stepPeakGiB: number, samplePeakGiB: number): MemoryEstimate => ({
  peakGiB: Math.max(stepPeakGiB, samplePeakGiB),
  stepPeakGiB,
  samplePeakGiB,
  residentGiB: 1.85,
  cudaContextGiB: 0.5,
  estimatedOn: 'SD1.5 configs, no weights loaded',
});

describe('describeMemoryEstimate', () => {
  it('says when rendering the samples sets the peak, and how to lower it', () => {
    const config = trainingConfigSchema.parse({ sampleSeeds: [1, 2, 3] });
    const text = describeMemoryEstimate(estimate(2.15, 2.97), config);
    expect(text).toMatch(
      /^estimated peak GPU memory: 2\.97 GiB \(fp16, batch 1, 512 px, gradient checkpointing on;/,
    );
    expect(text).toContain(
      'while rendering the 3 sample image(s) every 250 steps; a training step needs 2.15 GiB',
    );
    expect(text).toContain('Weights and cached latents: 1.85 GiB');
    expect(text).not.toContain('compiled');
  });

  it('names the step as the peak otherwise, and that a compiled step is not estimated', () => {
    const config = trainingConfigSchema.parse({ batchSize: 4, gradientCheckpointing: false, compile: true });
    const text = describeMemoryEstimate(estimate(6.09, 2.97), config);
    expect(text).toContain('6.09 GiB (fp16, batch 4, 512 px, gradient checkpointing off;');
    expect(text).toContain('A training step needs 6.09 GiB; rendering the samples 2.97 GiB.');
    expect(text).toContain('the compiled step is not estimated');
  });

  it('leaves the samples out when there are none', () => {
    const config = trainingConfigSchema.parse({ sampleEverySteps: 0, mixedPrecision: 'no' });
    const text = describeMemoryEstimate(estimate(4.1, 0), config);
    expect(text).toContain('(fp32, batch 1');
    expect(text).toContain('A training step needs 4.10 GiB.');
  });

  it('says no samples are rendered when the run ends before the first one, not that they set the peak', () => {
    const config = trainingConfigSchema.parse({ steps: 2, sampleSeeds: [1, 2] });
    // the estimate is made without the sample pass: the trainer renders samples only at multiples of 250
    expect(estimatedConfig(config, 2).sampleEverySteps).toBe(0);
    const text = describeMemoryEstimate(estimate(2.15, 0), config);
    expect(text).not.toContain('sample image(s) every 250 steps');
    expect(text).toContain(
      'A training step needs 2.15 GiB. No sample images are rendered: the 2 steps end before the first sample, at step 250.',
    );
  });

  it('keeps the sample pass when the run reaches a sample step', () => {
    const config = trainingConfigSchema.parse({ steps: 250 });
    expect(estimatedConfig(config, 250)).toBe(config);
    expect(estimatedConfig(config, 249).sampleEverySteps).toBe(0);
    expect(describeMemoryEstimate(estimate(2.15, 2.97), config)).toContain('every 250 steps');
  });
});
