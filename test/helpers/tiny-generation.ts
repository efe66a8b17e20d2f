// test/helpers/tiny-generation.ts — the generation the e2e tests on the `tiny` base render with: the striped
// pattern's prompt, 2 steps, 64 x 64, one seed.
import { type GenerationConfig, generationConfigSchema } from '../../src/schemas/config.js';

/** generationConfigSchema's parse of the tiny e2e generation (a fresh object each call). */
export function tinyGeneration(): GenerationConfig {
  return generationConfigSchema.parse({
    baseModel: 'tiny',
    prompt: 'sks, striped pattern',
    steps: 2,
    width: 64,
    height: 64,
    seeds: [1],
  });
}
