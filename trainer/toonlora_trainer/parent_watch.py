"""toonlora_trainer/parent_watch.py — the worker ends with the process that started it (the CLI, the server).

The Node side starts the worker in its own process group (so a terminal's Ctrl-C reaches only Node) and closes its
stdin after the request, so neither a signal to the group nor end of input tells the worker that Node was killed
(SIGKILL, the OOM killer): it trained on, orphaned, until its next protocol write failed (>= 15 s, and it went on
writing the run folder a new run may then take over). On Linux the kernel sends SIGKILL when the parent dies
(prctl PR_SET_PDEATHSIG); elsewhere, and as a fallback, a thread notices the parent change within POLL_S.
The watch is set up once Python has started and imported this package; a parent that died before (during start-up,
when the worker's parent is already init or a subreaper) is caught by comparing with the pid the parent passed in
PARENT_PID_ENV (src/worker/worker-spawn.ts workerEnv).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_S = 1.0
# The pid of the process that started this worker, as it passed it (src/worker/worker-spawn.ts PARENT_PID_ENV).
PARENT_PID_ENV = "TOONLORA_WORKER_PARENT_PID"


def _orphaned(parent: int) -> None:
    print(f"toonlora_trainer: the process that started this worker (pid {parent}) has ended; stopping",
          file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _set_parent_death_signal() -> bool:
    """Asks the kernel to SIGKILL this process when its parent dies; False where prctl is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _is_alive(pid: int) -> bool:
    """Whether process `pid` runs (EPERM: as another user) and, on Linux, is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[:1] != ["Z"]
    except OSError:
        return True


def _expected_parent() -> int | None:
    """The parent pid the starter passed (and removes it, so this worker's own children do not read it), or None."""
    value = os.environ.pop(PARENT_PID_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    _orphaned(parent)


def exit_with_parent() -> None:
    """Ends this process (SIGKILL: nobody reads its events any more) as soon as its parent process ends.
    Call once, first thing. A parent that died before this call is noticed through the pid it passed in
    PARENT_PID_ENV: the worker's parent is another process now (init, a subreaper) and that pid has ended. (A parent
    pid that differs but still runs is a wrapper in between, such as a shell: the watch is on the wrapper then.)"""
    parent = os.getppid()
    expected = _expected_parent()
    if expected is not None and expected != parent and not _is_alive(expected):
        _orphaned(expected)  # died while Python started: prctl and the watch below would wait on the new parent
    _set_parent_death_signal()
    if os.getppid() != parent:  # died between the read and the prctl: the kernel sends no signal for that
        _orphaned(parent)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()
