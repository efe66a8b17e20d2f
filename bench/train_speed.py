"""bench/train_speed.py — it/s and peak GPU memory of toonlora's training step vs a plain
diffusers-example-style LoRA loop, measured in the same run, printed as ratios.

Usage: trainer/.venv/bin/python bench/train_speed.py [--steps 20] [--batch-sizes 1,4] [--compile] [--variants ...] [--json out.json]

GPU: the full SD1.5-architecture UNet, VAE and CLIP text encoder (real configs, random weights) at
512 px. CPU: the `tiny` config at 64 px, and it says so (CPU figures say nothing about GPU speed).
- baseline: diffusers examples/text_to_image/train_text_to_image_lora.py style: every step encodes the
  images with the VAE and the captions with CLIP, no gradient checkpointing, fp16 weights + autocast.
- toonlora: this trainer's own UNet setup (trainable_models.prepare_unet: LoRA in fp32 without PEFT's input cast round
  trip) and step (train._optimizer_step): cached latents, text embeddings prefetched for the coming steps
  (train.make_text_source), the VAE and the text encoder off the GPU between, fp16 weights + autocast; with
  and without gradient checkpointing, and with it on the narrow blocks only (selective: the 1280-channel
  levels keep their activations; lora_adapters.checkpoint_narrow_blocks_only). A refill (every 128 captions: 128
  steps at batch 1, 32 at batch 4) falls in the warm-up, so the timed steps leave out its cost (~2 transfers
  of the 0.23 GiB encoder + 4 encodes).
- with --compile also this step with training.compile (torch.compile, CUDA graphs on a GPU): its warm-up
  steps compile (minutes for the full UNet), so run it with one batch size per call on a lent GPU.
  Opt-in (`--variants budget-compiled`): compiled without block checkpointing, with torch's activation
  memory budget at 0.5 instead (the compiler picks what to recompute), to weigh against checkpointing.
- opt-in `--variants lokr,lokr-compiled`: the same step training a LoKr (rank 32, factor -1) instead.
Goal (issue 6): >= 1.5x it/s and <= 0.7x peak memory of the baseline.

On a lent GPU: `bash bench/device-train-bench.sh --batch-sizes 1 --compile` (it installs the carried wheels;
its header says which). `--variants` picks a subset (the baseline is always measured first); each row is
printed, and the JSON rewritten, as soon as it is measured, so a lease that ends mid-run keeps what ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "trainer"))
sys.path.insert(0, HERE)  # its step and variant modules sit beside it (also when loaded by file path)

from toonlora_trainer import models as M  # noqa: E402
from toonlora_trainer.compiled_step import CompileWatch  # noqa: E402
from toonlora_trainer.precision import choose_precision  # noqa: E402
from train_steps import toonlora_steps  # noqa: E402
from train_variants import VARIANTS, chosen_variants, make_variant, measure, profile_gpu_busy, reset_compile_state  # noqa: E402

def report_row(name: str, row: dict, base_row: dict, full: bool, batch: int) -> dict:
    """Prints one measured variant against the baseline (at once: a lease that ends mid-run keeps what ran)."""
    label = VARIANTS[name]
    if name == "encode":
        share = base_row["it_per_s"] / row["it_per_s"]
        print(f"  {label:58s} {1000 / row['it_per_s']:7.1f} ms/step = {100 * share:.0f}% of a baseline step", flush=True)
        return {"batch": batch, "variant": label, **row, "share_of_baseline_step": share}
    speed = row["it_per_s"] / base_row["it_per_s"]
    memory = row["peak_gib"] / base_row["peak_gib"] if full else None  # no GPU memory measured on a CPU
    extra = ""
    if "compile" in row:
        c = row["compile"]
        extra = (f"   (warm-up incl. compile {row['warmup_s']:.0f} s; {plural(c['graphs'], 'graph')}, {plural(c['graph_breaks'], 'break')}, "
                 f"{plural(c['cudagraph_skips'], 'CUDA-graph skip')})")
    peak = f"{row['peak_gib']:6.2f} GiB peak" if row["peak_gib"] is not None else "   n/a peak (CPU)"
    ratio = f"x{memory:.2f} memory" if memory is not None else "memory n/a (CPU)"
    print(f"  {label:58s} {row['it_per_s']:7.2f} it/s  {peak}   x{speed:.2f} it/s  {ratio}{extra}", flush=True)
    if full and row["allocated_before_gib"] > 0.05:
        print(f"    note: {row['allocated_before_gib']:.2f} GiB was still allocated before this variant was built (counted in its peak)", flush=True)
    return {"batch": batch, "variant": label, **row, "speed_ratio": speed, "memory_ratio": memory}


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (a bad value is a usage error before any model is built)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def batch_sizes(text: str) -> list[int]:
    """argparse type for --batch-sizes: a comma list of integers 1-64 (training.batchSize's range), e.g. 1,4."""
    try:
        sizes = [positive_int(item.strip()) for item in text.split(",")]
    except argparse.ArgumentTypeError:
        sizes = []
    if not sizes or max(sizes) > 64:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers 1-64 (e.g. 1,4), got {text!r}")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=positive_int, default=20, help="timed steps per variant, after the warm-up (default 20)")
    parser.add_argument("--batch-sizes", type=batch_sizes, default=[1, 4], help="comma-separated, each 1-64 (default 1,4)")
    parser.add_argument("--json", help="also write the results to this file (rewritten after every variant)")
    parser.add_argument("--compile", action="store_true", help="also measure the step with training.compile (torch.compile; CUDA graphs on a GPU)")
    parser.add_argument("--variants", help=f"comma-separated subset, measured in this order after the baseline: {', '.join(VARIANTS)}")
    parser.add_argument("--profile", action="store_true", help="GPU only: profile toonlora's step (no grad ckpt) at each batch size")
    args = parser.parse_args(argv)
    try:
        args.variants = chosen_variants(args.variants, args.compile)
    except SystemExit as error:
        parser.error(str(error))
    return args


def main() -> None:
    args = parse_args()
    variants = args.variants
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()  # each variant's .to(fp16) warns about keeping modules in fp32 (there are none)
    device = M.select_device()
    full = device.type == "cuda"
    resolution = 512 if full else 64
    precision = choose_precision("fp16", device)
    if full:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.benchmark = True  # as the trainer does; the baseline gets it too
        print(f"GPU: {torch.cuda.get_device_name()} — SD1.5-architecture UNet/VAE/CLIP, random weights, {resolution} px, fp16 autocast, LoRA r=32")
    else:
        print(f"CPU: no GPU visible, so this runs the TINY config at {resolution} px; the figures only show that the bench works")
    print(f"torch {torch.__version__}; variants: {', '.join(variants)}", flush=True)
    report = {"device": torch.cuda.get_device_name() if full else "cpu", "resolution": resolution, "torch": torch.__version__, "results": []}
    for batch in args.batch_sizes:
        images = torch.rand((max(8, batch), 3, resolution, resolution)) * 2 - 1
        print(f"\nbatch {batch}", flush=True)
        base_row = None
        for name in variants:
            compiled = name.endswith("-compiled")
            if compiled:
                reset_compile_state()
                watch = CompileWatch.start()
            row = measure(make_variant(name, full, precision, batch, resolution, images), device, args.steps, warmup=5 if compiled else 3)
            if compiled:
                counts = watch.since()  # graphs / breaks / CUDA-graph skips: a skip leaves the step launch-bound
                row["compile"] = {"graphs": counts.graphs, "graph_breaks": counts.breaks, "cudagraph_skips": counts.cudagraph_skips, "break_reasons": list(counts.reasons)}
                reset_compile_state()  # frees its CUDA-graph memory pool before the next variant is measured
            base_row = base_row or row
            report["results"].append(report_row(name, row, base_row, full, batch))
            if args.json:
                with open(args.json, "w", encoding="utf-8") as handle:
                    json.dump(report, handle, indent=2)
        if args.profile and full:
            profile_gpu_busy(lambda: toonlora_steps(full, precision, batch, resolution, False, images))
    print("\ngoal: >= 1.5x it/s and <= 0.7x peak memory vs the baseline")


if __name__ == "__main__":
    main()
