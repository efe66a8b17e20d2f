"""toonlora_trainer/write_errors.py — what a failed write of a run's files (checkpoint, sample, final adapter) says.

A full disk shows up as OSError ENOSPC / EDQUOT from Python and PIL, as text only from safetensors' writer (its
SafetensorError `Error while serializing: I/O error: No space left on device (os error 28)`, not an OSError), and
torch.save reports it as its zip writer's RuntimeError (`[enforce fail at inline_container.cc:...] . unexpected pos
98240 vs 98132`, or `PytorchStreamWriter failed writing file`), which names neither the file nor the cause: all are
recognised here and told as one OutputWriteError naming the folder, the full disk in the words the TypeScript side
uses (DISK_FULL_WORDS, src/fs-error-words.ts: `no space left on the disk (ENOSPC, 0.1 MB free)`; both held to
trainer/tests/golden/disk_full_words.json), and the newest checkpoint to --resume from. `disk_full_code` is the worker's one disk-full check; it answers as src/disk-full.ts does for the
cases both are held to (trainer/tests/golden/disk_full_cases.json).
"""

from __future__ import annotations

import errno
import re
import shutil
from typing import Any

from .error_fix import FIX_SLOT, resume

DISK_FULL_ERRNOS = {errno.ENOSPC: "ENOSPC", errno.EDQUOT: "EDQUOT"}
# a full disk's code in words, as src/fs-error-words.ts has them (golden/disk_full_words.json holds both to it)
DISK_FULL_WORDS = {"ENOSPC": "no space left on the disk", "EDQUOT": "disk quota exceeded"}
# a full disk told as text only (safetensors' Rust writer, as libvips' in src/disk-full.ts): the code it names
DISK_FULL_TEXTS = ((re.compile(r"No space left on device", re.IGNORECASE), "ENOSPC"),
                   (re.compile(r"Disk quota exceeded", re.IGNORECASE), "EDQUOT"))
# safetensors' SafetensorError for a failed write (any I/O error: a full disk, a folder made read-only)
SAFETENSORS_WRITE = "Error while serializing: I/O error"
# How many __cause__ / __context__ links are followed: wrappers are shallow, a cycle must not hang.
MAX_DEPTH = 5
# torch's zip writer (caffe2/serialize/inline_container.cc) when a write comes up short: it keeps no errno.
TORCH_SHORT_WRITE = ("unexpected pos", "PytorchStreamWriter failed writing")
# Free bytes under which a short write is put down to a full disk (a checkpoint at rank 32 is ~75 MB).
LOW_FREE_BYTES = 256 * 1024 * 1024


class OutputWriteError(Exception):
    """A file of the run could not be written (disk full, folder no longer writable); the message names the folder
    and the checkpoint to resume from (`fix`: the resume, as data, its words at FIX_SLOT). The worker reports it as
    error kind `output_write` (TL_ERR_OUTPUT_WRITE)."""

    def __init__(self, message: str, fix: dict[str, Any] | None = None):
        super().__init__(message)
        self.fix = fix


def disk_full_code(error: BaseException | None) -> str | None:
    """"ENOSPC" / "EDQUOT" when `error`, or an error it was raised from (`__cause__`, else `__context__`), says the disk
    or the user's quota is full: its errno first, then its text; else None. torch's short write keeps neither: see
    describe_write_failure."""
    at, depth = error, 0
    while at is not None and depth < MAX_DEPTH:
        code = DISK_FULL_ERRNOS.get(getattr(at, "errno", None))
        if code is None:
            code = next((name for pattern, name in DISK_FULL_TEXTS if pattern.search(str(at))), None)
        if code is not None:
            return code
        at = at.__cause__ or at.__context__
        depth += 1
    return None


def _is_torch_short_write(error: BaseException) -> bool:
    return isinstance(error, RuntimeError) and any(s in str(error) for s in TORCH_SHORT_WRITE)


def is_write_failure(error: BaseException) -> bool:
    """Whether `error` is a failed write (an OSError, safetensors' I/O error, torch's short-write RuntimeError, or
    anything naming a full disk), not a bug."""
    return (isinstance(error, OSError) or SAFETENSORS_WRITE in str(error) or _is_torch_short_write(error)
            or disk_full_code(error) is not None)


def _free_bytes(folder: str) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def describe_write_failure(error: BaseException, folder: str, what: str, last_checkpoint: str | None) -> OutputWriteError:
    """The OutputWriteError for `error` raised writing `what` (e.g. `checkpoint step-000020`) into `folder`.
    Call it before removing the partial file, so the free space is the disk's at the failure. `last_checkpoint`: the
    newest complete checkpoint on disk (what --resume continues from), or None."""
    free = _free_bytes(folder)
    code = disk_full_code(error)
    if code is None and _is_torch_short_write(error) and free is not None and free < LOW_FREE_BYTES:
        code = "ENOSPC"  # torch's short write keeps no errno: the free space says it
    full = code is not None
    if code is not None:
        cause = f"{DISK_FULL_WORDS[code]} ({code}" + (f", {_mb(free)} free)" if free is not None else ")")
    else:
        cause = getattr(error, "strerror", None) or (str(error).splitlines()[0] if str(error) else type(error).__name__)
    # the resume is a fix each side words (the CLI's --resume, the web app's Resume button): FIX_SLOT marks its place
    then = (f"then {FIX_SLOT} continue from {last_checkpoint}" if last_checkpoint
            else "then start the run again (no checkpoint was written yet)")
    fix = "Free some space on it" if full else "Fix that"
    return OutputWriteError(f"{folder}: could not write {what}: {cause}; the partial file was removed. {fix}, {then}.",
                            resume() if last_checkpoint else None)
