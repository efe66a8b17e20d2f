// src/prep/output-swap-claim.ts — a prep run's claim on its output folder: the hidden staging folder it writes into,
// made atomically with its owner file already in it (one of two runs started together wins, the other is refused
// with TL_ERR_CONFLICT), and a killed or failed run's staging folder taken over. Taking one over that holds a whole
// run's output (its manifest.json: a run whose dataset swap failed said it kept its new output there) is said in
// one line, with the folder, before it is removed.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { MANIFEST_FILE } from './manifest.js';

/** The run's staging folder inside the output folder (hidden, so walks and listings pass it by). */
export const STAGING_DIR = '.toonlora-prep-staging';
/** In the staging folder: the process id of the run writing it, so a second run into `-o` can tell a live run
 * from a killed one's leftovers. */
const STAGING_OWNER_FILE = 'owner.pid';

/** Claim tokens of the staging folders this process holds, by staging path (a second run in this process, the
 * server's, must be refused too while the first writes). */
const heldClaims = new Map<string, string>();

/** The owner recorded in a staging folder: `<pid> <claim token>` (older runs wrote only the pid). */
function readOwner(staging: string): { pid: number; token: string | undefined } | null {
  let text: string;
  try {
    text = readFileSync(join(staging, STAGING_OWNER_FILE), 'utf8');
  } catch {
    return null; // no staging folder, or a killed run's from before it wrote its id
  }
  const [pidText, token] = text.trim().split(/\s+/u);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, token } : null;
}

/** The process id recorded in `staging` when that run is still going, else null. */
function liveOwner(staging: string): number | null {
  const owner = readOwner(staging);
  if (!owner) return null;
  const { pid, token } = owner;
  if (pid === process.pid)
    return token !== undefined && [...heldClaims.values()].includes(token) ? pid : null;
  return isLivePrepProcess(pid) ? pid : null;
}

/** Whether process `pid` (not this one) is running and could be a prep run. */
function isLivePrepProcess(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // EPERM: alive, another user's
  }
  return isNodeProcess(pid);
}

/** Removes the claim folders (`<staging>.<pid>-…`) that killed runs of other processes left in `outDir`. */
async function removeDeadClaims(outDir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^\.toonlora-prep-staging\.(\d+)-/u.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isLivePrepProcess(pid)) continue;
    await rm(join(outDir, name), { recursive: true, force: true }).catch(() => {});
  }
}

/** The process id recorded in `outDir`'s staging folder when that process is still running, else null. */
function liveStagingOwner(outDir: string): number | null {
  return liveOwner(join(outDir, STAGING_DIR));
}

/**
 * Whether process `pid` runs Node (prep runs in the CLI or the server, both Node): after a reboot its id
 * may belong to another program. Where /proc cannot tell (macOS), any live process counts.
 */
function isNodeProcess(pid: number): boolean {
  try {
    return /node/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

function conflict(outDir: string, pid: number): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${outDir}: another prep run (process ${pid}) is writing into this folder. Wait for it to end or stop it, or choose another -o folder. (If no prep is running, remove ${join(outDir, STAGING_DIR)}.)`,
    { details: { file: outDir, pid } },
  );
}

/**
 * Refuses an output folder another prep run is writing into (its staging folder names a live process):
 * taking it over would delete that run's work. A killed run's staging folder passes (it is cleared).
 * @throws ToonloraError TL_ERR_CONFLICT naming the folder and the process id
 */
export function checkNoRunningPrep(outDir: string): void {
  const pid = liveStagingOwner(outDir);
  if (pid !== null) throw conflict(outDir, pid);
}

/**
 * The line said when a run removes the new output an earlier run kept in `staging`: its swap failed (that error
 * said where the output was kept, and that the next run clears it), or it was killed once its manifest was written.
 */
export function keptOutputLine(outDir: string, staging: string): string {
  return `${outDir}: removing the new output an earlier prep run could not put in place, which it kept in ${staging}; this run writes its own`;
}

function isTakenError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/**
 * Claims `outDir` for this run, atomically: a fresh folder holding this run's owner file is renamed to the
 * staging folder's name, which succeeds for one run only (a rename onto a folder with files fails). A killed
 * run's staging folder is moved aside and removed first (checked again once moved, so a run that claimed the
 * folder meanwhile keeps it); one that holds a whole run's output (a failed swap kept it there) is first said
 * through `onMessage` (keptOutputLine). Returns the staging folder; releaseStaging gives the claim up.
 * @throws ToonloraError TL_ERR_CONFLICT when another live prep run holds the folder
 */
export async function startStaging(
  outDir: string,
  onMessage: (line: string) => void = () => {},
): Promise<string> {
  const staging = join(outDir, STAGING_DIR);
  const token = randomUUID();
  await removeDeadClaims(outDir);
  const fresh = `${staging}.${process.pid}-${token}`; // the pid in the name: a killed run's is told from a live one's
  await mkdir(fresh);
  const give = async (error: unknown): Promise<never> => {
    heldClaims.delete(fresh);
    await rm(fresh, { recursive: true, force: true });
    throw error;
  };
  try {
    await writeFile(join(fresh, STAGING_OWNER_FILE), `${process.pid} ${token}\n`);
  } catch (error) {
    return give(error);
  }
  heldClaims.set(fresh, token);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await rename(fresh, staging);
      heldClaims.delete(fresh);
      heldClaims.set(staging, token);
      return staging;
    } catch (error) {
      if (!isTakenError(error)) return give(error);
    }
    const holder = liveStagingOwner(outDir);
    if (holder !== null) return give(conflict(outDir, holder));
    const aside = `${staging}.${process.pid}-${token}-stale-${attempt}`;
    try {
      await rename(staging, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another run moved it first
      return give(error);
    }
    const claimed = liveOwner(aside); // a run that claimed it between the check and the move
    if (claimed !== null) {
      await rename(aside, staging).catch(() => {});
      return give(conflict(outDir, claimed));
    }
    if (existsSync(join(aside, MANIFEST_FILE))) onMessage(keptOutputLine(outDir, staging));
    await rm(aside, { recursive: true, force: true });
  }
  return give(conflict(outDir, liveStagingOwner(outDir) ?? process.pid));
}

/** Gives up this process's claim on `staging` (its folder, if left, then counts as a killed run's). */
export function releaseStaging(staging: string): void {
  heldClaims.delete(staging);
}
