// src/jobs/runners/default-runners.ts — the product's job runners (prep, train, generate), each a
// thin adapter from a job's params to one library call of its module.

import type { CacheOptions } from '../../models/cache.js';
import type { CatalogStore } from '../catalog-store.js';
import type { GenerationService } from '../generation-service.js';
import type { JobRunners } from '../job-queue.js';
import { createGenerateRunner } from './generate-runner.js';
import { createPrepRunner } from './prep-runner.js';
import { createTrainRunner } from './train-runner.js';

export interface RunnerDeps {
  catalog: CatalogStore;
  /** Absolute data folder. */
  dataDir: string;
  generation: GenerationService | null;
  /**
   * Where the runners look for models (TOONLORA_HOME, the Hugging Face cache): the app's `modelCache`, as its
   * model routes read it; default this process's environment.
   */
  modelCache?: CacheOptions;
}

export function createDefaultRunners(deps: RunnerDeps): JobRunners {
  return {
    prep: createPrepRunner(deps),
    train: createTrainRunner(deps),
    ...(deps.generation ? { generate: createGenerateRunner(deps) } : {}),
  };
}
