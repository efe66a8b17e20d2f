"""toonlora_trainer/cpu_threads.py — how many intra-op threads torch uses for a run on the CPU, and the log line saying so.

A tiny UNet (the `tiny` base: 0.8M parameters) has ops far too small to gain from intra-op threads; on a busy machine
its threads only wait for each other (the demo's 15 training steps: 0.69 it/s with torch's two threads at load ~9,
9.5 it/s with one). So a UNet under SMALL_UNET_PARAMS runs on one thread. Real bases (an SD1.5 UNet: 860M parameters,
convolutions over 64x64x320 feature maps) keep torch's default, which they do gain from. The user overrides both with
TOONLORA_CPU_THREADS (a positive integer), or with the standard OMP_NUM_THREADS, which torch itself reads at start.
On a GPU nothing changes: the CPU side (data loading, the frozen text encoder between refills) keeps torch's setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .config_schema import ConfigError

ENV_VAR = "TOONLORA_CPU_THREADS"
# Below this many UNet parameters the largest matmul / conv is too small to split across threads with a gain. Toy and
# test UNets (the tiny base: 0.8M) sit orders of magnitude below it, every SD-class UNet (SD1.5: 860M) far above.
SMALL_UNET_PARAMS = 100_000_000


@dataclass(frozen=True)
class CpuThreads:
    """`threads`: the count to set, or None to leave torch's own; `reason`: why, for the log line."""

    threads: int | None
    reason: str


def choose_cpu_threads(device_type: str, unet_params: int, env: Mapping[str, str]) -> CpuThreads:
    """The intra-op thread count for a run on `device_type` with a UNet of `unet_params` parameters; pure.
    Raises ConfigError for a TOONLORA_CPU_THREADS that is not a positive integer."""
    if device_type != "cpu":
        return CpuThreads(None, f"torch's default: the model runs on {device_type}")
    override = env.get(ENV_VAR, "").strip()
    if override:
        if not (override.isascii() and override.isdigit()) or int(override) < 1:  # "²".isdigit(), int() refuses it
            raise ConfigError(f"{ENV_VAR}: expected a positive whole number of CPU threads, got {override!r}. "
                              f"Unset it to let toonlora choose.")
        return CpuThreads(int(override), f"{ENV_VAR}={override}")
    if env.get("OMP_NUM_THREADS", "").strip():
        return CpuThreads(None, f"OMP_NUM_THREADS={env['OMP_NUM_THREADS'].strip()}")
    if unet_params < SMALL_UNET_PARAMS:
        return CpuThreads(1, f"a small UNet ({unet_params / 1e6:.1f}M parameters) gains nothing from more; "
                             f"{ENV_VAR} sets another count")
    return CpuThreads(None, f"torch's default for a {unet_params / 1e6:.0f}M-parameter UNet; {ENV_VAR} sets another count")


def apply_cpu_threads(device: torch.device, unet, env: Mapping[str, str] | None = None) -> str | None:
    """Sets torch's intra-op threads for a run of `unet` on `device` (choose_cpu_threads) and returns the log line;
    None on a GPU, where nothing changes."""
    if device.type != "cpu":
        return None
    choice = choose_cpu_threads(device.type, sum(p.numel() for p in unet.parameters()), os.environ if env is None else env)
    if choice.threads is not None:
        torch.set_num_threads(choice.threads)
    return f"CPU threads: {torch.get_num_threads()} ({choice.reason})"
