"""The worker ends with the process that started it (parent_watch.py): a CLI or server killed with SIGKILL leaves
no worker training on alone, writing the run folder, until its next protocol write fails."""

import os
import re
import signal
import subprocess
import sys
import time

from helpers import TRAINER_DIR

# Starts a train worker whose stdin stays open (the test holds the pipe's write end, so no end of input tells it
# anything), waits until it has started, says its pid and lives on until killed.
STARTER = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-m", "toonlora_trainer", "train"], stdin=int(sys.argv[1]),
                          stdout=subprocess.DEVNULL, pass_fds=(int(sys.argv[1]),))
time.sleep(float(sys.argv[2]))
print(worker.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return not re.match(r"^\d+ \(.*\) Z", stat.read())
    except FileNotFoundError:
        return True


def test_the_worker_ends_when_the_process_that_started_it_is_killed():
    read_end, write_end = os.pipe()
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(read_end), "3"], cwd=TRAINER_DIR,
                               stdout=subprocess.PIPE, text=True, pass_fds=(read_end,))
    worker = 0
    try:
        worker = int(starter.stdout.readline())
        assert _alive(worker)
        starter.send_signal(signal.SIGKILL)
        starter.wait()
        deadline = time.monotonic() + 10  # before: it waited on its request (or trained on) for as long as it liked
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker)
    finally:
        starter.kill()
        if worker and _alive(worker):
            os.kill(worker, signal.SIGKILL)
        os.close(read_end)
        os.close(write_end)


def test_without_prctl_the_watch_thread_notices_the_new_parent(monkeypatch):
    from toonlora_trainer import parent_watch

    parents = iter([100, 100, 1])  # the parent dies after one poll: init (or a subreaper) adopts the worker
    ended = []
    monkeypatch.setattr(parent_watch.os, "getppid", lambda: next(parents))
    monkeypatch.setattr(parent_watch.time, "sleep", lambda s: None)
    monkeypatch.setattr(parent_watch, "_orphaned", ended.append)
    parent_watch._watch(100)
    assert ended == [100]


# Starts a train worker that is slow to start (a second before it runs the worker's main, as a loaded machine's
# imports can be), telling it its parent's pid as the Node side does, and ends at once: the worker's parent is dead
# before its parent watch is set up.
QUICK_STARTER = """
import os, subprocess, sys
late = "import time, runpy; time.sleep(1); runpy.run_module('toonlora_trainer', run_name='__main__')"
worker = subprocess.Popen([sys.executable, "-c", late, "train"], stdin=int(sys.argv[1]), stdout=subprocess.DEVNULL,
                          pass_fds=(int(sys.argv[1]),), env={**os.environ, "TOONLORA_WORKER_PARENT_PID": str(os.getpid())})
print(worker.pid, flush=True)
os._exit(0)
"""


def test_a_parent_that_dies_while_the_worker_starts_up_is_noticed():
    read_end, write_end = os.pipe()
    starter = subprocess.Popen([sys.executable, "-c", QUICK_STARTER, str(read_end)], cwd=TRAINER_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, pass_fds=(read_end,))
    worker = 0
    try:
        worker = int(starter.stdout.readline())
        starter.wait()
        # before: prctl and the watch thread, set up after the parent had died, watched the new parent (init) and the
        # worker waited on its request for as long as it liked
        deadline = time.monotonic() + 15
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(worker)
    finally:
        if worker and _alive(worker):
            os.kill(worker, signal.SIGKILL)
        os.close(read_end)
        os.close(write_end)


def test_the_passed_parent_pid_decides_only_when_that_process_has_ended(monkeypatch):
    from toonlora_trainer import parent_watch

    ended, watched = [], []
    monkeypatch.setattr(parent_watch, "_orphaned", ended.append)
    monkeypatch.setattr(parent_watch, "_set_parent_death_signal", lambda: True)
    monkeypatch.setattr(parent_watch.threading, "Thread", lambda target, args, **_: type(
        "T", (), {"start": lambda self: watched.append(args[0])})())
    monkeypatch.setattr(parent_watch.os, "getppid", lambda: 1)  # init adopted the worker
    monkeypatch.setenv(parent_watch.PARENT_PID_ENV, str(2 ** 22 + 12345))  # no such process: it has ended
    parent_watch.exit_with_parent()
    assert ended == [2 ** 22 + 12345]
    assert parent_watch.PARENT_PID_ENV not in os.environ  # the worker's own children do not inherit it
    ended.clear()
    monkeypatch.setenv(parent_watch.PARENT_PID_ENV, str(os.getpid()))  # alive: a wrapper (a shell) is in between
    parent_watch.exit_with_parent()
    assert ended == [] and watched[-1] == 1
    monkeypatch.delenv(parent_watch.PARENT_PID_ENV, raising=False)  # started by hand: the parent at set-up is watched, as before
    parent_watch.exit_with_parent()
    assert ended == []
