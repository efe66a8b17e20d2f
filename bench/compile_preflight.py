"""bench/compile_preflight.py — what torch.compile makes of the full-size SD1.5 training step, checked on a CPU
before a GPU lease is spent on it: graphs, graph breaks and recompiles of the trainer's UNet step.

Usage: trainer/.venv/bin/python bench/compile_preflight.py [--variants ckpt,selective,none] [--latent 8] [--backend aot_eager]

Each variant builds the SD1.5-architecture UNet with random weights in bf16 with the trainer's own setup
(trainable_models.prepare_unet: LoRA r=32, fp32 LoRA weights, no input-cast round trip, gradient checkpointing on every
block / on the narrow blocks only / off), compiles it with dynamo's `aot_eager` backend (the graph capture and
the autograd split that inductor also gets, without generating kernels) and runs two fwd+bwd steps under
bf16 autocast at a small latent size (the graph's structure does not depend on it). One graph, no breaks, no
new graph on the second step and a gradient for every LoRA parameter are what the GPU's compiled step
(bench/train_speed.py --compile) needs. About 25 s a variant on 2 cores, ~4 GB of memory. `--backend inductor`
also lowers the graph and builds CPU kernels (minutes): it finds ops inductor cannot lower.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "trainer"))
sys.path.insert(0, HERE)

from toonlora_trainer.compiled_step import CompileWatch  # noqa: E402
from toonlora_trainer.lora_adapters import checkpoint_narrow_blocks_only  # noqa: E402
from toonlora_trainer.model_configs import SD15_UNET_CONFIG  # noqa: E402
from toonlora_trainer.precision import Precision  # noqa: E402
from toonlora_trainer.trainable_models import prepare_unet  # noqa: E402
from train_steps import training_config  # noqa: E402

VARIANTS = {  # name -> (gradient checkpointing, on the narrow blocks only)
    "ckpt": (True, False),  # checkpointing on every block
    "selective": (True, True),  # on the narrow blocks only
    "none": (False, False),  # off
}


def variant_list(text: str) -> list[str]:
    """--variants: a comma list of known variant names (argparse type: an unknown or empty name is a usage error)."""
    names = [name.strip() for name in text.split(",")]
    bad = [f"unknown variant {name!r}" if name else "an empty item" for name in names if name not in VARIANTS]
    if bad:
        raise argparse.ArgumentTypeError(f"{', '.join(bad)} in {text!r}; choose from {', '.join(VARIANTS)} (comma-separated)")
    return list(dict.fromkeys(names))


def latent_size(text: str) -> int:
    """argparse type for --latent: 8-256 (x8 px = training.resolution's 64-2048)."""
    value = int(text) if text.strip().lstrip("+-").isdigit() else 0
    if not 8 <= value <= 256:
        raise argparse.ArgumentTypeError(f"expected an integer 8-256 (x8 = the resolution in px), got {text!r}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=variant_list, default=list(VARIANTS),
                        help=f"comma-separated, from {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--latent", type=latent_size, default=8, help="latent size (8 = 64 px); the graph is the same at any size")
    parser.add_argument("--backend", default="aot_eager", help="aot_eager (capture only), or inductor (also builds the kernels)")
    return parser.parse_args(argv)


def preflight(variant: str, latent: int, backend: str) -> bool:
    """Prints the two steps of one variant; True when the step compiles as one graph that needs no other."""
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**SD15_UNET_CONFIG)
    checkpointing, narrow_only = VARIANTS[variant]
    config = training_config(1, latent * 8, checkpointing, "bf16")
    precision = Precision(torch.device("cpu"), torch.bfloat16, True)
    params = prepare_unet(unet, config, precision)
    if narrow_only:
        checkpoint_narrow_blocks_only(unet)
    torch._dynamo.reset()
    compiled = torch.compile(unet, backend=backend)
    noisy = torch.randn(1, 4, latent, latent, dtype=torch.bfloat16)
    context = torch.randn(1, 77, 768, dtype=torch.bfloat16)
    ok = True
    for step in range(2):
        watch = CompileWatch.start()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            prediction = compiled(noisy, torch.tensor([500]), context).sample
        prediction.float().pow(2).mean().backward()
        counts = watch.since()
        with_grad = sum(p.grad is not None for p in params)
        expected_graphs = 1 if step == 0 else 0
        ok &= counts.graphs == expected_graphs and counts.breaks == 0 and with_grad == len(params)
        reason = f" (first break: {counts.reasons[0].splitlines()[0]})" if counts.reasons else ""
        print(f"  {variant:9s} step {step + 1}: {counts.seconds:5.1f} s, {counts.graphs} graph(s), {counts.breaks} break(s){reason}, "
              f"LoRA gradients {with_grad}/{len(params)}", flush=True)
        for p in params:
            p.grad = None
    return ok


def main() -> None:
    args = parse_args()
    # diffusers' cached is_torch_version() calls inside the UNet: dynamo traces through the cache, harmlessly
    warnings.filterwarnings("ignore", message=r"Dynamo detected a call to a `functools.lru_cache`-wrapped function", category=UserWarning)
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    print(f"torch.compile pre-flight (backend {args.backend}, CPU, bf16 autocast): SD1.5 UNet, LoRA r=32, latent {args.latent}x{args.latent}; torch {torch.__version__}")
    started = time.perf_counter()
    results = {variant: preflight(variant, args.latent, args.backend) for variant in args.variants}
    for variant, ok in results.items():
        print(f"{variant}: {'one graph, no breaks, no recompile' if ok else 'NOT one clean graph: see the lines above'}")
    print(f"({time.perf_counter() - started:.0f} s)")
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
