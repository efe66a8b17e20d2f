"""toonlora_trainer/compiled_step.py — `training.compile`: the UNet step under torch.compile.

Owns the compiler check that runs before any model loads, the choice of what the step calls for the UNet
prediction (the module, or the module under torch.compile: CUDA graphs on a GPU), and the report after the
first compiled step of what compiling did (graphs, graph breaks, CUDA graphs skipped), from dynamo's counters.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from .config import TrainingConfig
from .config_schema import ConfigError
from .protocol import Emit, Log

if TYPE_CHECKING:
    from .precision import Precision


def check_compiler(device: torch.device) -> None:
    """torch.compile builds its kernels with a compiler found on PATH: C++ for CPU kernels (inductor),
    C for Triton's GPU launchers. Missing, it would fail deep inside the first step; this says so first."""
    names = ("cc", "gcc", "clang") if device.type == "cuda" else ("c++", "g++", "clang++")
    override = os.environ.get("CC" if device.type == "cuda" else "CXX")
    if not any(shutil.which(name) for name in ((override,) if override else names)):
        kind = "C" if device.type == "cuda" else "C++"
        raise ConfigError(
            f"compile: torch.compile needs a {kind} compiler ({override or ' / '.join(names)}) on PATH to build its kernels "
            "and none was found. Install one (Debian: build-essential) or turn compile off (training.compile false, no --compile)."
        )


def step_forward(unet, config: TrainingConfig, precision: Precision, emit: Emit):
    """What the training step calls for the UNet prediction: the module itself, or with `config.compile` the
    module under torch.compile. On a GPU that is mode "reduce-overhead": the step's kernels are recorded as
    CUDA graphs and replayed, instead of ~5,000 launches from Python per step (a batch-1 LoRA step is bound by
    them, not by the GPU); with gradient accumulation, mode "default" (see below). Same parameters:
    checkpoints, samples and the saved adapter keep using `unet`."""
    if not config.compile:
        return unet
    if config.lora.dora:
        # Measured (torch 2.13, PEFT 0.21): PEFT's DoRA forward checks the weight's class for torchao
        # (`type(w).__module__.startswith(...)`), which dynamo cannot trace, so every DoRA layer splits the graph.
        emit(Log("warn", "compile: skipped, this DoRA run trains eager: torch.compile cannot trace PEFT's DoRA layers whole "
                         "(a graph break in each of them), so it would compile many small graphs instead of one step"))
        return unet
    cuda = precision.device.type == "cuda"
    cuda_graphs = cuda and config.gradient_accumulation == 1
    if cuda and not cuda_graphs:
        # The backward's CUDA graph hands the LoRA gradients over in its memory pool; the next micro-batch's
        # replay can overwrite them before they are summed (pytorch/pytorch#169545, #96693: silently wrong
        # gradients). With one micro-batch per step they are used and dropped before the next replay.
        emit(Log("warn", f"compile: no CUDA graphs with gradientAccumulation {config.gradient_accumulation} (a graph replay for the next "
                         "micro-batch can overwrite the gradients accumulated so far, pytorch/pytorch#169545); the step is still "
                         "compiled (fused kernels, mode default). With gradientAccumulation 1 it also replays CUDA graphs"))
    mode = "reduce-overhead" if cuda_graphs else "default"
    emit(Log("info", f"torch.compile of the UNet step (mode {mode}): the first steps compile, for a minute or more"))
    compiled = torch.compile(unet, mode=mode)
    if not cuda_graphs:
        return compiled

    def forward(*args, **kwargs):
        # A new CUDA-graph generation per forward: the last prediction was used by its backward already.
        torch.compiler.cudagraph_mark_step_begin()
        return compiled(*args, **kwargs)

    return forward


@dataclass(frozen=True)
class CompileCounts:
    """What compiling did over a stretch of a run: graphs compiled, graph breaks (and their reasons), graphs
    for which inductor skipped CUDA graphs, and the wall time."""

    graphs: int
    breaks: int
    reasons: tuple[str, ...]
    cudagraph_skips: int
    seconds: float


@dataclass
class CompileWatch:
    """Dynamo's counters when a compiled run's first step starts (they count per process); `since()` after
    that step says what compiling did in between."""

    graphs: int
    breaks: Counter
    cudagraph_skips: int
    started: float

    @classmethod
    def start(cls) -> CompileWatch:
        counters = _dynamo_counters()
        return cls(counters["stats"]["unique_graphs"], Counter(counters["graph_break"]), counters["inductor"]["cudagraph_skips"], time.perf_counter())

    def since(self) -> CompileCounts:
        counters = _dynamo_counters()
        breaks = Counter(counters["graph_break"])
        breaks.subtract(self.breaks)
        new_breaks = {reason: count for reason, count in breaks.items() if count > 0}
        return CompileCounts(
            graphs=counters["stats"]["unique_graphs"] - self.graphs, breaks=sum(new_breaks.values()), reasons=tuple(new_breaks),
            cudagraph_skips=counters["inductor"]["cudagraph_skips"] - self.cudagraph_skips, seconds=time.perf_counter() - self.started,
        )


def compile_messages(counts: CompileCounts, cuda: bool) -> list[Log]:
    """What the first compiled step did, as log lines: a warning for each thing that keeps the step from
    running as one compiled graph (graph breaks) or from replaying as CUDA graphs (skips)."""
    graphs, breaks, skips = counts.graphs, counts.breaks, counts.cudagraph_skips
    messages = [Log("info", f"compile: the first step took {counts.seconds:.0f} s, compiling {graphs} graph{'s' if graphs != 1 else ''}"
                            + ("; CUDA graphs are recorded over the next steps" if cuda else ""))]
    if breaks:
        first = counts.reasons[0].strip().splitlines()[0] if counts.reasons else "unknown"
        messages.append(Log("warn", f"compile: {breaks} graph break{'s' if breaks != 1 else ''}: the step runs as several graphs with "
                                    f"eager code between them, and gains less. First reason: {first}"))
    if skips:
        messages.append(Log("warn", f"compile: CUDA graphs were skipped for {skips} graph{'s' if skips != 1 else ''}, "
                                    "whose kernels are still launched one by one (run with TORCH_LOGS=perf_hints to see why)"))
    return messages


def _dynamo_counters():
    from torch._dynamo.utils import counters

    return counters
