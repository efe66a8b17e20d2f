"""The worker's one disk-full check (write_errors.disk_full_code): it answers as the TypeScript side's
(src/disk-full.ts) for the cases both are held to (golden/disk_full_cases.json, read by src/disk-full.test.ts too);
no other module of the worker looks for a full disk itself; safetensors' text-only error is a full disk."""

import errno
import json
import re
from pathlib import Path

import pytest
from safetensors import SafetensorError

from toonlora_trainer import checkpoint as ckpt
from toonlora_trainer.run_outputs import save_final_adapter
from toonlora_trainer.write_errors import (DISK_FULL_WORDS, OutputWriteError, describe_write_failure, disk_full_code,
                                           is_write_failure)

TESTS_DIR = Path(__file__).resolve().parent
CASES = json.loads((TESTS_DIR / "golden" / "disk_full_cases.json").read_text(encoding="utf-8"))
PACKAGE_DIR = TESTS_DIR.parent / "toonlora_trainer"


def error_of(spec: dict) -> BaseException:
    """The case's error as Python raises it: an OSError with the named errno, else a plain Exception (safetensors'
    SafetensorError, torch's RuntimeError and libvips carry text only); `cause` chained as `raise ... from`."""
    code = spec.get("code")
    error = OSError(getattr(errno, code), spec["message"]) if code else Exception(spec["message"])
    if "cause" in spec:
        error.__cause__ = error_of(spec["cause"])
    return error


@pytest.mark.parametrize("case", CASES, ids=[case["note"] for case in CASES])
def test_the_disk_full_check_answers_each_shared_case_as_the_typescript_side_does(case):
    assert disk_full_code(error_of(case["error"])) == case["full"]


def test_a_raise_while_handling_a_full_disk_is_still_a_full_disk_and_a_cycle_ends():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise RuntimeError("cleanup failed too") from None  # noqa: B904 — __context__ is kept all the same
    except RuntimeError as error:
        error.__suppress_context__ = False
        assert disk_full_code(error) == "ENOSPC"
    loop = Exception("a")
    loop.__cause__ = loop
    assert disk_full_code(loop) is None


def test_no_other_module_of_the_worker_looks_for_a_full_disk_itself():
    pattern = re.compile(r"ENOSPC|EDQUOT|No space left|Disk quota|os error 28")
    others = sorted(path.name for path in PACKAGE_DIR.glob("*.py")
                    if path.name != "write_errors.py" and pattern.search(path.read_text(encoding="utf-8")))
    assert others == [], f"{others}: use write_errors.disk_full_code, the worker's one disk-full check"


def test_safetensors_full_disk_writing_the_final_adapter_is_an_output_write_error_naming_the_full_disk(tmp_path, monkeypatch):
    # what safetensors 0.8's save_file raised writing to a full tmpfs: a SafetensorError, no OSError, no errno
    full = SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
    assert is_write_failure(full)

    def fail(*args, **kwargs):
        raise full

    monkeypatch.setattr(ckpt, "save_adapter", fail)
    final = str(tmp_path / "run" / "checkpoints" / "step-000003")
    with pytest.raises(OutputWriteError, match=r"could not write the LoRA adapter adapter_model\.safetensors: no space left on the disk"
                                               r".*Free some space on it") as caught:
        save_final_adapter(None, str(tmp_path / "run"), "base", final)
    assert caught.value.__cause__ is full


def test_a_full_disk_is_worded_as_the_typescript_side_words_it(tmp_path):
    # the words are the shared table's (src/fs-error-words.ts, held to the same golden file by src/disk-full-words.test.ts):
    # before, the worker said "the disk is full" where every TypeScript message said "no space left on the disk"
    words = json.loads((TESTS_DIR / "golden" / "disk_full_words.json").read_text(encoding="utf-8"))
    assert DISK_FULL_WORDS == words
    for code in ("ENOSPC", "EDQUOT"):
        message = str(describe_write_failure(OSError(getattr(errno, code), "full"), str(tmp_path), "checkpoint step-000002",
                                             None))
        assert re.search(rf": could not write checkpoint step-000002: {words[code]} \({code}, [0-9.]+ MB free\); ", message)
