"""bench/train_memory.py — peak GPU memory of toonlora's training step vs a plain diffusers-example-style LoRA
loop, estimated on any machine (no GPU needed), printed as ratios: issue 6's memory goal (<= 0.7x).

Usage: trainer/.venv/bin/python bench/train_memory.py [--batch-sizes 1,4] [--resolution 512] [--json out.json]

Both steps run on fake tensors of the full-size SD1.5 UNet, VAE and CLIP text encoder (see
trainer/toonlora_trainer/memory_estimate.py: shapes and dtypes only, CUDA's autocast policy, live storages
added up); a variant takes seconds. The same variants as bench/train_speed.py. Its H100 figures, measured while
the text encoder still stayed on the GPU, matched this estimate of that setup: 0.69x / 0.95x / 0.46x measured,
0.68x / 0.94x / 0.45x estimated (checkpointing, none, batch 4).
Variants:
- baseline: diffusers examples/text_to_image/train_text_to_image_lora.py style: VAE, CLIP and UNet in fp16 on
  the GPU, every step encodes the images and captions, no gradient checkpointing.
- toonlora: this trainer's setup and step (trainable_models.prepare_unet, train._optimizer_step): cached latents, the VAE
  off the GPU, the frozen text encoder on it only for the prefetch refills, with gradient checkpointing (on every block, or on the narrow blocks only:
  lora_adapters.checkpoint_narrow_blocks_only) and without; also with the text-encoder LoRA (--train-text-encoder).
Not estimated: torch.compile'd steps (CUDA graphs keep their own memory pool); measure those with train_speed.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "trainer"))
sys.path.insert(0, HERE)

from toonlora_trainer.lora_adapters import checkpoint_narrow_blocks_only  # noqa: E402
from toonlora_trainer.memory_estimate import LiveBytes, to_fake, cuda_autocast_policy, estimate_training_memory, gpu_stand_in_precision  # noqa: E402
from toonlora_trainer.model_configs import SD15_TEXT_CONFIG, SD15_UNET_CONFIG, SD15_VAE_CONFIG  # noqa: E402
from train_speed import batch_sizes  # noqa: E402
from train_steps import baseline_step, build_base, prepare_baseline, training_config  # noqa: E402

GOAL = 0.7


def baseline_peak(batch: int, resolution: int) -> int:
    """Peak bytes of two diffusers-example steps (bench/train_steps.baseline_step) on fake tensors."""
    precision = gpu_stand_in_precision("fp16")
    base = build_base(torch.device("meta"), full=True)
    prepare_baseline(base, dataclasses.replace(precision, device=torch.device("meta")))
    fake = torch._subclasses.fake_tensor.FakeTensorMode(allow_non_fake_inputs=True)
    for model in (base.unet, base.vae, base.text_encoder):
        to_fake(model, fake)
    params = [p for p in base.unet.parameters() if p.requires_grad]
    with fake, cuda_autocast_policy():
        images = torch.zeros(batch, 3, resolution, resolution)
        step = baseline_step(base, base.unet, params, precision, batch, images)
        with LiveBytes() as live:
            for model in (base.unet, base.vae, base.text_encoder):
                live.track_module(model)
            live.track(images)
            for _ in range(2):
                step()
    return live.peak


VARIANTS = {  # name -> (row label, TrainingConfig fields over training_config's, UNet adjustment after trainable_models.prepare_unet)
    "ckpt": ("toonlora (cached, grad ckpt)", {}, None),
    "selective": ("toonlora (cached, grad ckpt on the narrow blocks only)", {}, checkpoint_narrow_blocks_only),
    "no-ckpt": ("toonlora (cached, no grad ckpt)", {"gradient_checkpointing": False}, None),
    "ckpt-te": ("toonlora (cached, grad ckpt, text-encoder LoRA)", {"train_text_encoder": True}, None),
}


def resolution(text: str) -> int:
    """argparse type for --resolution: what the trainer's config accepts (64..2048 px, a multiple of 8)."""
    value = int(text) if text.strip().lstrip("+-").isdigit() else 0
    if value % 8 or not 64 <= value <= 2048:
        raise argparse.ArgumentTypeError(f"expected a multiple of 8 from 64 to 2048 (as training.resolution), got {text!r}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=batch_sizes, default=[1, 4], help="comma-separated, each 1-64 (default 1,4)")
    parser.add_argument("--resolution", type=resolution, default=512, help="px, a multiple of 8 from 64 to 2048 (default 512)")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    print(f"estimated peak GPU memory (fake tensors, no GPU used): SD1.5-architecture UNet/VAE/CLIP, {args.resolution} px, fp16, LoRA r=32; torch {torch.__version__}")
    report = {"resolution": args.resolution, "torch": torch.__version__, "results": []}
    for batch in args.batch_sizes:
        print(f"\nbatch {batch}", flush=True)
        base_peak = baseline_peak(batch, args.resolution)
        print(f"  {'baseline (diffusers example: encode every step, no ckpt)':58s} {base_peak / 2**30:6.2f} GiB", flush=True)
        report["results"].append({"batch": batch, "variant": "baseline", "peak_gib": base_peak / 2**30})
        for name, (label, overrides, adjust_unet) in VARIANTS.items():
            config = dataclasses.replace(training_config(batch, args.resolution, True, "fp16"), **overrides)
            estimate = estimate_training_memory(config, SD15_UNET_CONFIG, SD15_VAE_CONFIG, SD15_TEXT_CONFIG, adjust_unet=adjust_unet)
            ratio = estimate.peak_bytes / base_peak
            verdict = "meets" if ratio <= GOAL else "misses"
            print(f"  {label:58s} {estimate.peak_bytes / 2**30:6.2f} GiB   x{ratio:.3f} memory ({verdict} <= {GOAL}x)", flush=True)
            report["results"].append({"batch": batch, "variant": name, "peak_gib": estimate.peak_bytes / 2**30,
                                       "resident_gib": estimate.resident_bytes / 2**30, "memory_ratio": ratio})
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    print(f"\ngoal (issue 6): <= {GOAL}x peak memory of the baseline (and >= 1.5x it/s: bench/train_speed.py on a GPU)")


if __name__ == "__main__":
    main()
