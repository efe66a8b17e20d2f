// src/worker/live-workers.ts — the worker processes running now: killing them all when the CLI must exit at
// once, and passing the terminal's Ctrl-Z / `fg` (SIGTSTP / SIGCONT) on to their own process groups.

/** What the registry needs of a running worker (python-worker.ts's WorkerProcess). */
export interface LiveWorker {
  kill(): void;
  signalGroup(signal: NodeJS.Signals): void;
}

/** Workers started and not yet exited: killLiveWorkers ends them when the CLI must exit at once. */
const liveWorkers = new Set<LiveWorker>();

/**
 * SIGKILLs every running worker's process group. Workers run in their own group (a terminal's Ctrl-C does not
 * reach them), so a CLI that exits at once (a second Ctrl-C) calls this first, or they would run on unseen.
 */
export function killLiveWorkers(): void {
  for (const worker of liveWorkers) worker.kill();
}

/** Stops every running worker's process group (SIGSTOP), as the terminal's Ctrl-Z stops the CLI. */
export function pauseLiveWorkers(): void {
  for (const worker of liveWorkers) worker.signalGroup('SIGSTOP');
}

/** Continues every running worker's process group (SIGCONT), as `fg` / `bg` continue the CLI. */
export function resumeLiveWorkers(): void {
  for (const worker of liveWorkers) worker.signalGroup('SIGCONT');
}

// Job control: a worker's own process group does not get the terminal's Ctrl-Z (SIGTSTP) nor the shell's
// SIGCONT, so while workers run the CLI passes them on: it stops the workers, then itself (a SIGTSTP
// listener replaces Node's default stop), and continues them when it is continued.
function onTerminalStop(): void {
  pauseLiveWorkers();
  process.kill(process.pid, 'SIGSTOP');
}

function watchJobControl(on: boolean): void {
  if (process.platform === 'win32') return;
  for (const [signal, handler] of [
    ['SIGTSTP', onTerminalStop],
    ['SIGCONT', resumeLiveWorkers],
  ] as const) {
    if (on) process.on(signal, handler);
    else process.off(signal, handler);
  }
}

export function addLiveWorker(worker: LiveWorker): void {
  if (liveWorkers.size === 0) watchJobControl(true);
  liveWorkers.add(worker);
}

export function removeLiveWorker(worker: LiveWorker): void {
  if (liveWorkers.delete(worker) && liveWorkers.size === 0) watchJobControl(false);
}
