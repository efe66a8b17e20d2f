// src/models/remove-in-use.ts — which queued or running jobs need a model, for `models rm` and DELETE /api/models/:id.
// A server cannot share its job database (it holds SQLite's exclusive lock, and `--data` may be anywhere), so each
// running server keeps a marker in the toonlora home, `downloads/in-use/<host>-<pid>.json`: its owner (as a lock
// owner file: pid, host, start) and the jobs that need a model. The server rewrites it when jobs change and removes
// it when it closes; `models rm` reads every marker, skips those of dead processes of this host (a killed server),
// and refuses a model a job of a live one uses. A server's start removes the markers of dead processes of this
// host (a kill -9 leaves one each); other hosts' markers (a home on a shared disk) stay.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { isDeadLocalOwner, lockOwnerSchema } from '../host/lock-owner.js';
import { registryBaseModelId } from './base-model.js';
import { parseHubBase } from './base-revision.js';
import { getModelEntry, MODEL_REGISTRY } from './registry.js';
import type { RemoveTarget } from './remove-plan.js';

/** A queued or running job as a marker records it: its kind and, for train / generate, its base model. */
export const modelUserSchema = z.object({
  id: z.string(),
  kind: z.enum(['prep', 'train', 'generate']),
  status: z.string(),
  /** The base model a train / generate job names (absent for prep). */
  base: z.string().optional(),
});
export type ModelUser = z.infer<typeof modelUserSchema>;

export const inUseMarkerSchema = z.object({
  owner: lockOwnerSchema,
  /** The server's data folder, to name it in the refusal. */
  dataDir: z.string(),
  jobs: z.array(modelUserSchema),
});
export type InUseMarker = z.infer<typeof inUseMarkerSchema>;

/** The folder of the servers' markers: `<toonlora home>/downloads/in-use`. */
export function inUseFolder(toonloraHome: string): string {
  return join(toonloraHome, 'downloads', 'in-use');
}

/** The marker of the server `owner` (one per process). */
export function inUseMarkerPath(toonloraHome: string, owner: { host: string; pid: number }): string {
  return join(inUseFolder(toonloraHome), `${owner.host.replace(/[^\w.-]/g, '_')}-${owner.pid}.json`);
}

/**
 * Whether a job needs `target`'s files: its base is the model (a registry base by id or repo; a Hub repo at any
 * revision, for a removal of one revision too), or it is a prep job and the model one of prep's. Pure.
 */
export function userNeedsModel(job: Pick<ModelUser, 'kind' | 'base'>, target: RemoveTarget): boolean {
  if (job.kind === 'prep') {
    return (
      MODEL_REGISTRY.has(target.id) &&
      getModelEntry(target.id).stages.some((stage) => stage.startsWith('prep'))
    );
  }
  const base = job.base ?? '';
  if (target.origin === 'registry') return registryBaseModelId(base) === target.id;
  return (parseHubBase(base)?.repo ?? base) === target.id;
}

/** Writes `marker` (to a temporary name, then renamed: a reader never sees half of it). */
export function writeInUseMarker(toonloraHome: string, marker: InUseMarker): void {
  const path = inUseMarkerPath(toonloraHome, marker.owner);
  mkdirSync(inUseFolder(toonloraHome), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(marker)}\n`);
  renameSync(`${path}.tmp`, path);
}

export function removeInUseMarker(toonloraHome: string, owner: { host: string; pid: number }): void {
  rmSync(inUseMarkerPath(toonloraHome, owner), { force: true });
}

/** Every live server's marker in the home but this process's (a dead local process's is skipped; an unreadable one too). */
export function readInUseMarkers(toonloraHome: string): InUseMarker[] {
  let names: string[];
  try {
    names = readdirSync(inUseFolder(toonloraHome)).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const markers: InUseMarker[] = [];
  for (const name of names) {
    try {
      const parsed = inUseMarkerSchema.safeParse(
        JSON.parse(readFileSync(join(inUseFolder(toonloraHome), name), 'utf8')),
      );
      if (!parsed.success || isDeadLocalOwner(parsed.data.owner)) continue;
      // this process's own marker: a server checks its own job database instead (the marker may lag it)
      if (parsed.data.owner.pid === process.pid && parsed.data.owner.host === hostname()) continue;
      markers.push(parsed.data);
    } catch {
      // gone meanwhile (its server closed), or not a marker
    }
  }
  return markers;
}

/** The markers of dead processes of this host (killed servers), parsed; unreadable files and others' are left. */
function deadLocalMarkers(toonloraHome: string): string[] {
  let names: string[];
  try {
    names = readdirSync(inUseFolder(toonloraHome)).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .map((name) => join(inUseFolder(toonloraHome), name))
    .filter((path) => {
      try {
        const parsed = inUseMarkerSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
        return parsed.success && isDeadLocalOwner(parsed.data.owner);
      } catch {
        return false; // gone meanwhile, or not a marker
      }
    });
}

/** Removes the markers dead processes of this host left (a server killed with kill -9); returns how many. */
export function removeDeadInUseMarkers(toonloraHome: string): number {
  const dead = deadLocalMarkers(toonloraHome);
  for (const path of dead) rmSync(path, { force: true });
  return dead.length;
}

/**
 * The refusal of removing `target` while a job of a live server on this home needs it, or undefined.
 * `name` is how the target is named (`owner/name@REV`).
 */
export function inUseRefusal(
  toonloraHome: string,
  target: RemoveTarget,
  name: string,
): ToonloraError | undefined {
  for (const marker of readInUseMarkers(toonloraHome)) {
    const users = marker.jobs.filter((job) => userNeedsModel(job, target));
    if (users.length === 0) continue;
    const server = `the server of process ${marker.owner.pid} on ${marker.owner.host} (data folder ${marker.dataDir})`;
    return new ToonloraError(
      'TL_ERR_CONFLICT',
      `${name}: ${users.length === 1 ? 'a job uses it' : `${users.length} jobs use it`} (${users.map((job) => `${job.kind} job ${job.id}, ${job.status}`).join('; ')}) in ${server}; nothing was removed. Remove it once they end, or cancel them.`,
      { details: { model: name, jobs: users.map((job) => job.id), pid: marker.owner.pid } },
    );
  }
  return undefined;
}
