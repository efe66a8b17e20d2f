"""toonlora_trainer/lora_loading.py — loads a LoRA file into a pipeline (diffusers, or lokr_file.py for LoKr) and
turns every way that fails into a LoraFileError naming the user's file: not a LoRA, a LoRA for another base
(a size mismatch), or toonlora's own converted copy that diffusers refused."""

from __future__ import annotations

import os
import re
from typing import Any

from .error_fix import choose_base
from .lokr_file import LokrFileError, has_lokr_keys, load_lokr_file


class LoraFileError(ValueError):
    """The --lora file exists but is not a LoRA diffusers can load (an image, a truncated download, ...); `fix`: the
    fix as data (error_fix.py), for a LoRA made for another base."""

    def __init__(self, message: str, fix: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.fix = fix


def _load_lora_file(pipe, path: str, name: str) -> None:
    """pipe.load_lora_weights (a LoKr file: lokr_file.load_lokr_file), with any failure to read the file
    reported as bad input naming it."""
    try:
        if _is_lokr_file(path):
            load_lokr_file(pipe, path, name)
        else:
            pipe.load_lora_weights(path, adapter_name=name)
    except LokrFileError as error:  # names the file and what toonlora cannot load in it
        raise LoraFileError(f"{error}. The WebUI and ComfyUI may still load it.") from error
    except Exception as error:  # safetensors/diffusers raise many types for a file that is not a LoRA
        original = _copy_source(path)
        mismatch = shape_mismatch(str(error))
        if mismatch:  # the file is a LoRA, for another base: neither "not a LoRA" nor toonlora's copy is at fault
            raise LoraFileError(f"{original or path}: this LoRA was made for a different base model: {mismatch}",
                                choose_base("lora")) from error
        first = _error_summary(error)
        if original:
            raise LoraFileError(_copy_failure(original, path, f"diffusers cannot load it: {first}")) from error
        raise LoraFileError(
            f"{path}: not a LoRA file diffusers can load ({first}). Give the kohya / diffusers .safetensors a training run wrote."
        ) from error
    if not any(name in names for names in pipe.get_list_adapters().values()):  # diffusers skipped every key
        original = _copy_source(path)
        if original:
            raise LoraFileError(_copy_failure(original, path, "diffusers found no LoRA module it knows in it"))
        raise LoraFileError(f"{path}: diffusers found no LoRA module it knows in this file (a PEFT adapter_model.safetensors "
                            "needs converting first: toonlora generate does that). Give the kohya / diffusers .safetensors "
                            "a training run wrote.")


# One line of torch's load_state_dict error per tensor whose shape differs from the module's (PEFT's
# set_peft_model_state_dict loads the LoRA tensors through it).
_SIZE_MISMATCH = re.compile(r"size mismatch for (\S+): copying a param with shape torch\.Size\(\[([^\]]*)\]\) from "
                            r"checkpoint, the shape in current model is torch\.Size\(\[([^\]]*)\]\)")
_PEFT_PARAM = re.compile(r"\.(lora_A|lora_B|lora_magnitude_vector)(?:\.[^.]+)?(?:\.weight)?$")


def shape_mismatch(message: str) -> str | None:
    """What a load_state_dict "size mismatch" error says, in the user's terms: the first mismatching module with the
    LoRA's shape and the base's, and how many more there are; None when the error is not about shapes. The fix (the
    base the LoRA was trained for) is the error's `fix`, choose_base("lora"), worded by the driver."""
    found = _SIZE_MISMATCH.findall(message)
    if not found:
        return None
    name, lora_shape, base_shape = found[0]
    part = _PEFT_PARAM.search(name)
    module = name[:part.start()] if part else name
    role = {"lora_A": " (lora_down)", "lora_B": " (lora_up)", "lora_magnitude_vector": " (DoRA magnitude)"}
    more = f"; {len(found) - 1} more tensor(s) do not fit either" if len(found) > 1 else ""
    return (f"{module}{role.get(part.group(1), '') if part else ''} expects [{lora_shape}], the base has [{base_shape}]"
            f"{more} (e.g. an SD 2.x LoRA on an SD1.5 base).")


def _error_summary(error: BaseException) -> str:
    """The first line of an error's message, with the next one when the first only introduces it (ends with ':')."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]


# Metadata key of the copies toonlora generate converts for diffusers (src/lora/diffusers-copy.ts
# COPY_SOURCE_METADATA_KEY): the path of the user's file the copy was made from.
COPY_SOURCE_METADATA_KEY = "toonlora.copy_of"


def _copy_source(path: str) -> str | None:
    """The user's original file when `path` is toonlora's own converted copy of it, else None."""
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            return (handle.metadata() or {}).get(COPY_SOURCE_METADATA_KEY)
    except Exception:  # not a safetensors file: not one of toonlora's copies either
        return None


def _copy_failure(original: str, copy: str, what: str) -> str:
    """The error for a converted copy diffusers rejects: the user's file is not at fault, toonlora's copy is."""
    return (f"{original}: toonlora converted it for diffusers into {copy}, and {what}. This is a toonlora bug, not a "
            f"problem with your file: please report it with {os.path.basename(original)} attached. The WebUI and "
            "ComfyUI may still load the file as it is.")


def _adapter_kind(path: str) -> str:
    """"lokr" for a LoKr file, else "lora" (a file that is not safetensors too: loading it reports why)."""
    try:
        return "lokr" if _is_lokr_file(path) else "lora"
    except Exception:
        return "lora"


def _is_lokr_file(path: str) -> bool:
    from safetensors import safe_open

    with safe_open(path, framework="pt") as handle:
        return has_lokr_keys(handle.keys())
