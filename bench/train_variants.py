"""bench/train_variants.py — bench/train_speed.py's variants (name -> row label, which to run, how to
build each step) and how one is measured: it/s after a warm-up and, on a GPU, peak memory; the GPU profile of
a step (kernel time against wall time)."""

from __future__ import annotations

import gc
import time

import torch

from train_steps import baseline_encode_only, baseline_steps, toonlora_steps

VARIANTS = {  # short name (--variants) -> row label; make_variant builds each
    "baseline": "baseline (diffusers example: encode every step, no ckpt)",
    "ckpt": "toonlora (cached, grad ckpt)",
    "selective": "toonlora (cached, grad ckpt on narrow blocks)",
    "no-ckpt": "toonlora (cached, no grad ckpt)",
    "ckpt-compiled": "toonlora (cached, grad ckpt, compiled)",
    "selective-compiled": "toonlora (cached, grad ckpt on narrow blocks, compiled)",
    "no-ckpt-compiled": "toonlora (cached, no grad ckpt, compiled)",
    "budget-compiled": "toonlora (cached, compiled, activation budget 0.5)",
    "lokr": "toonlora LoKr (cached, grad ckpt)",
    "lokr-compiled": "toonlora LoKr (cached, grad ckpt, compiled)",
    "encode": "  of which: VAE + CLIP encode only (what caching removes)",
}
DEFAULT_VARIANTS = ("baseline", "ckpt", "selective", "no-ckpt", "encode")
# no-ckpt-compiled is left to --variants: without checkpointing the peak is ~0.87x (bench/train_memory.py), over the goal
COMPILED_VARIANTS = ("ckpt-compiled", "selective-compiled")


def chosen_variants(spec: str | None, compile: bool) -> list[str]:
    """The variants to measure, baseline first (every ratio is against it): `--variants` as given, else the
    default set, with --compile the compiled ones right after the baseline (the figures a short lease is for)."""
    names = [name.strip() for name in spec.split(",") if name.strip()] if spec else list(DEFAULT_VARIANTS)
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if compile and not spec:
        names[1:1] = COMPILED_VARIANTS
    return ["baseline", *[name for name in names if name != "baseline"]]


def reset_compile_state() -> None:
    """Each compiled variant compiles on its own, as in a fresh process; this also frees CUDA-graph pools."""
    import torch._dynamo

    torch._dynamo.reset()


ACTIVATION_BUDGET = 0.5  # "budget-compiled": no module checkpointing; the compiler recomputes what is cheapest


def make_variant(name: str, full: bool, precision, batch: int, resolution: int, images):
    """A callable building the variant's step. "budget-compiled" (opt-in, --variants): compiled without
    diffusers' block checkpointing, with torch._functorch's activation_memory_budget, which makes the
    partitioner recompute the cheapest activations until the saved ones are at most that share."""
    if name == "budget-compiled":
        import torch._functorch.config as functorch_config

        def build():
            step = toonlora_steps(full, precision, batch, resolution, False, images, compile=True)

            def budget_step():
                with functorch_config.patch(activation_memory_budget=ACTIVATION_BUDGET):  # read when the first steps compile
                    step()

            return budget_step

        return build
    if name == "baseline":
        return lambda: baseline_steps(full, precision, batch, resolution, images)
    if name == "encode":
        return lambda: baseline_encode_only(full, precision, batch, resolution, images)
    checkpointing, compiled, selective = not name.startswith("no-ckpt"), name.endswith("-compiled"), name.startswith("selective")
    algorithm = "lokr" if name.startswith("lokr") else "lora"
    return lambda: toonlora_steps(full, precision, batch, resolution, checkpointing, images, compile=compiled, selective=selective,
                                  algorithm=algorithm)


def measure(make_step, device: torch.device, steps: int, warmup: int = 3) -> dict:
    """it/s over `steps` after `warmup` steps; on a GPU also the peak memory, what was still allocated
    before building (should be ~0: a leftover from an earlier variant would inflate this one's peak) and
    what the built models and caches hold before the first step (None for each on a CPU)."""
    gc.collect()
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated() / 2**30 if cuda else None
    step = make_step()
    resident = torch.cuda.memory_allocated() / 2**30 if cuda else None
    if cuda:  # after building: the peak counts resident weights + the steps, not fp32 init
        torch.cuda.reset_peak_memory_stats()
    warming = time.perf_counter()
    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None  # None (JSON null) on a CPU: no GPU memory
    del step
    gc.collect()
    return {"it_per_s": steps / elapsed, "peak_gib": peak, "warmup_s": started - warming, "allocated_before_gib": before, "resident_gib": resident}


def profile_gpu_busy(make_step, steps: int = 5) -> None:
    """Prints how much of a step's wall time the GPU is busy (kernel time / wall time) and the top ops:
    a low share means the step is bound by CPU-side launch overhead, not by GPU work."""
    from torch.profiler import ProfilerActivity, profile

    step = make_step()
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        started = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        wall = (time.perf_counter() - started) / steps
    events = prof.key_averages()
    gpu = [e for e in events if e.device_type == torch.autograd.DeviceType.CUDA]
    kernel_s = sum(e.self_device_time_total for e in gpu) / 1e6 / steps
    launches = sum(e.count for e in gpu) / steps
    print(f"  profile: {1000 * wall:.1f} ms wall/step, {1000 * kernel_s:.1f} ms GPU kernels/step "
          f"({100 * kernel_s / wall:.0f}% busy), ~{launches:.0f} GPU kernels/step")
    print(events.table(sort_by="self_device_time_total", row_limit=10, max_name_column_width=60))
    del step
    gc.collect()
