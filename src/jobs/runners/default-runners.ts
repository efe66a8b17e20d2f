// src/jobs/runners/default-runners.ts — the product's job runners (prep, train, generate), each a
// thin adapter from a job's params to one library call of its module; a write the data folder refused fails
// the job naming the folder (data-folder-write.ts).

import type { CacheOptions } from '../../models/cache.js';
import type { CatalogStore } from '../catalog-store.js';
import type { GenerationService } from '../generation-service.js';
import { dataFolderWriteError } from '../data-folder-write.js';
import type { JobRunner, JobRunners } from '../job-queue.js';
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
  const named = (runner: JobRunner) => namingDataFolderWrites(runner, deps.dataDir);
  return {
    prep: named(createPrepRunner(deps)),
    train: named(createTrainRunner(deps)),
    ...(deps.generation ? { generate: named(createGenerateRunner(deps)) } : {}),
  };
}

/** `runner`, with a write the data folder refused (in Node or its Python worker) failing the job with an error
 * that names the folder and the cause instead of "internal error" or Python's raw `[Errno 1] ...` text. */
export function namingDataFolderWrites(runner: JobRunner, dataDir: string): JobRunner {
  return async (context) => {
    try {
      return await runner(context);
    } catch (error) {
      throw dataFolderWriteError(error, dataDir) ?? error;
    }
  };
}
