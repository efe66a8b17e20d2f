"""trainer/tests/conftest.py — makes `toonlora_trainer` and the test helpers importable; keeps torch to
the two cores this suite is sized for; gives the whole run an empty HOME of its own.

The sandbox HOME (and no TOONLORA_HOME / HF_HOME / HF_HUB_CACHE / XDG_CACHE_HOME / U2NET_HOME) is set before torch or
any library reads them, so a test that writes into a default home (toonlora's, the Hugging Face cache, torch's) writes
there, never into the user's. A file left in its toonlora, Hugging Face or rembg home at the end fails the run, named:
it would have landed in the real one; give that test a folder of its own (tmp_path). Other files left are named. As
test/helpers/sandbox-home.ts does for vitest.
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


# the homes toonlora and its worker write by default (toonlora's, the Hugging Face cache, rembg's), under HOME
OWN_HOMES = (os.path.join(".cache", "toonlora"), os.path.join(".cache", "huggingface"), ".u2net")


def split_left(left: list[str]) -> tuple[list[str], list[str]]:
    """The files left in the sandbox HOME: those in OWN_HOMES (they fail the run), and the others."""
    homes = [path for path in left if path.startswith(tuple(home + os.sep for home in OWN_HOMES))]
    return homes, [path for path in left if path not in homes]


def pytest_sessionfinish(session, exitstatus):
    left = files_left(SANDBOX_HOME)
    shutil.rmtree(SANDBOX_HOME, ignore_errors=True)
    homes, other = split_left(left)
    if other:
        print("\nfiles tests left in the sandbox HOME (not toonlora's):\n  " + "\n  ".join(other), file=sys.stderr)
    if homes:
        shown = "\n  ".join(homes)
        print(f"\ntests wrote into the default home (without this run's sandbox HOME, the user's real one): "
              f"{len(homes)} file(s):\n  {shown}\nGive the test a folder of its own (tmp_path).", file=sys.stderr)
        session.exitstatus = 1
