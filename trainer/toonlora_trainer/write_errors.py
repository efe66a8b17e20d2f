"""toonlora_trainer/write_errors.py — what a failed write of a run's files (checkpoint, sample, final adapter) says.

A full disk shows up as OSError ENOSPC / EDQUOT from Python and PIL, but torch.save reports it as its zip writer's
RuntimeError (`[enforce fail at inline_container.cc:...] . unexpected pos 98240 vs 98132`, or `PytorchStreamWriter
failed writing file`), which names neither the file nor the cause: both are recognised here and told as one
OutputWriteError naming the folder, that the disk is full, and the newest checkpoint to --resume from.
"""

from __future__ import annotations

import errno
import shutil
from typing import Any

from .error_fix import FIX_SLOT, resume

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
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


def is_write_failure(error: BaseException) -> bool:
    """Whether `error` is a failed write (an OSError, or torch's short-write RuntimeError), not a bug."""
    return isinstance(error, OSError) or (isinstance(error, RuntimeError) and any(s in str(error) for s in TORCH_SHORT_WRITE))


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
    code = getattr(error, "errno", None)
    full = code in DISK_FULL_ERRNOS or (not isinstance(error, OSError) and free is not None and free < LOW_FREE_BYTES)
    if full:
        cause = "the disk is full" + (f" ({_mb(free)} free)" if free is not None else "")
    else:
        cause = getattr(error, "strerror", None) or (str(error).splitlines()[0] if str(error) else type(error).__name__)
    # the resume is a fix each side words (the CLI's --resume, the web app's Resume button): FIX_SLOT marks its place
    then = (f"then {FIX_SLOT} continue from {last_checkpoint}" if last_checkpoint
            else "then start the run again (no checkpoint was written yet)")
    fix = "Free some space on it" if full else "Fix that"
    return OutputWriteError(f"{folder}: could not write {what}: {cause}; the partial file was removed. {fix}, {then}.",
                            resume() if last_checkpoint else None)
