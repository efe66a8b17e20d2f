"""trainer/tests/conftest.py — makes `toonlora_trainer` and the test helpers importable; keeps torch to
the two cores this suite is sized for; gives the whole run an empty HOME of its own.

The sandbox HOME (and no TOONLORA_HOME / HF_HOME / HF_HUB_CACHE / XDG_CACHE_HOME / U2NET_HOME) is set before torch or
any library reads them, so a test that writes into a default home (toonlora's, the Hugging Face cache, torch's) writes
there, never into the user's. A file left in it at the end fails the run, named: it would have landed in the real
home; give that test a folder of its own (tmp_path). As test/helpers/sandbox-home.ts does for vitest.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

HOME_VARS = ("TOONLORA_HOME", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "U2NET_HOME",
             "HF_TOKEN_PATH")
SANDBOX_HOME = tempfile.mkdtemp(prefix="toonlora-pytest-home-")
os.environ["HOME"] = SANDBOX_HOME
for _name in HOME_VARS:
    os.environ.pop(_name, None)

import torch  # noqa: E402 — after HOME is the sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
torch.set_num_threads(2)


def files_left(home: str) -> list[str]:
    """The files (not folders) under `home`, relative to it, sorted."""
    return sorted(os.path.relpath(os.path.join(folder, name), home)
                  for folder, _dirs, names in os.walk(home) for name in names)


def pytest_sessionfinish(session, exitstatus):
    left = files_left(SANDBOX_HOME)
    shutil.rmtree(SANDBOX_HOME, ignore_errors=True)
    if left and session.config.option.collectonly is False:
        shown = "\n  ".join(left)
        print(f"\ntests wrote into the default home (without this run's sandbox HOME, the user's real one): "
              f"{len(left)} file(s):\n  {shown}\nGive the test a folder of its own (tmp_path).", file=sys.stderr)
        session.exitstatus = 1
