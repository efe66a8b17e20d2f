"""toonlora_trainer/parent_watch.py — the worker ends with the process that started it (the CLI, the server).

The Node side starts the worker in its own process group (so a terminal's Ctrl-C reaches only Node) and closes its
stdin after the request, so neither a signal to the group nor end of input tells the worker that Node was killed
(SIGKILL, the OOM killer): it trained on, orphaned, until its next protocol write failed (>= 15 s, and it went on
writing the run folder a new run may then take over). On Linux the kernel sends SIGKILL when the parent dies
(prctl PR_SET_PDEATHSIG); elsewhere, and as a fallback, a thread notices the parent change within POLL_S.
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


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    _orphaned(parent)


def exit_with_parent() -> None:
    """Ends this process (SIGKILL: nobody reads its events any more) as soon as its parent process ends.
    Call once, first thing: a parent that died before this call is noticed only when it died in between."""
    parent = os.getppid()
    _set_parent_death_signal()
    if os.getppid() != parent:  # died between the read and the prctl: the kernel sends no signal for that
        _orphaned(parent)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()
