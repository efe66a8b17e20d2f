// src/jobs/remote/remote-run-name.ts — the run name of a remote train job's attempt: its server folder
// (jobs/<id>/<name>: samples, the kept checkpoint, the LoRA) and the `loraName` a worker's claim gets (the worker's
// own run folder). A resume keeps the name the run started with, also after the character was renamed.
import { jobRelDir } from '../data-layout.js';
import { resolveDataPath } from '../data-path.js';
import { loraNameFor, runNameFor } from '../runners/train-runner.js';
import { storedCheckpoint } from './checkpoint-store.js';

/**
 * The run name for `job`: the one its recorded checkpoint names (`<worker>:<id>/<name>/checkpoints/step-N`, the path
 * the worker reported), else loraNameFor of the character's current name. When the two differ (a rename, or a path a
 * worker laid out otherwise), the server's kept checkpoint decides: the name whose folder holds one, the recorded
 * name first; with none kept, the recorded name (a worker resumes from its own copy under it).
 */
export async function remoteRunName(
  dataDir: string,
  job: { readonly id: string; readonly checkpoint: string | null },
  characterName: string,
): Promise<string> {
  const current = loraNameFor(characterName, job.id);
  const recorded = runNameFor(job, characterName);
  if (recorded === current) return current;
  for (const name of [recorded, current]) {
    if (await storedCheckpoint(resolveDataPath(dataDir, `${jobRelDir(job.id)}/${name}`))) return name;
  }
  return recorded;
}
