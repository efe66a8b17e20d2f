"""toonlora_trainer/precision.py — the precision a run trains in: the device, the frozen weights' dtype, autocast,
and the name kohya's metadata gives it (ss_mixed_precision)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Precision:
    device: torch.device
    weight_dtype: torch.dtype  # frozen base weights
    autocast: bool


def choose_precision(mixed_precision: str, device: torch.device) -> Precision:
    """fp16/bf16 weights + autocast on GPU; everything fp32 on CPU (half precision is slow there)."""
    if device.type != "cuda" or mixed_precision == "no":
        return Precision(device, torch.float32, False)
    return Precision(device, torch.float16 if mixed_precision == "fp16" else torch.bfloat16, True)


def autocast_context(precision: Precision):
    """Autocast to the weight dtype on GPU; a no-op context on CPU / full precision (memory_estimate's CPU
    stand-in for a GPU autocasts on the CPU)."""
    return torch.autocast(precision.device.type, dtype=precision.weight_dtype) if precision.autocast else contextlib.nullcontext()


def precision_name(precision: Precision) -> str:
    """The precision the steps ran in, as kohya's ss_mixed_precision names it: `no` without autocast (a CPU run, or
    mixedPrecision no), else `fp16` / `bf16` by the weight dtype."""
    if not precision.autocast:
        return "no"
    return "fp16" if precision.weight_dtype == torch.float16 else "bf16"
