"""bench/unet_ops.py — ops dispatched per LoRA training step of the full SD1.5 UNet, a CPU-countable proxy
for the GPU's kernel launches (on an H100 a batch-1 step is bound by them: ~5,400 kernels, GPU ~9% busy).

Usage: trainer/.venv/bin/python bench/unet_ops.py   (no options; about 80 s on 2 cores)

Also the FLOPs of each step at 512 px (fake tensors, torch.utils.flop_counter): what bounds the step once CUDA
graphs remove the launches.

The SD1.5 UNet config with random weights in bf16, LoRA r=32 on to_q/to_k/to_v/to_out.0 in fp32, a forward
under bf16 autocast and a backward, on the CPU at an 8x8 latent (the op count does not depend on the size).
View-only ops (no kernel) are not counted. Variants, each against the diffusers-example setup (PEFT defaults,
no gradient checkpointing): with gradient checkpointing (the forward runs twice), and with
lora_adapters.keep_lora_input_dtype (no fp32 round trip of each LoRA input), as the trainer runs on a GPU; and with
checkpointing on the narrow blocks only (lora_adapters.checkpoint_narrow_blocks_only).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainer"))

from toonlora_trainer.config import parse_lora_settings  # noqa: E402
from toonlora_trainer.config_schema import DEFAULT_TRAINING_CONFIG  # noqa: E402
from toonlora_trainer.lora_adapters import attach_lora, checkpoint_narrow_blocks_only, keep_lora_input_dtype  # noqa: E402
from toonlora_trainer.model_configs import SD15_UNET_CONFIG  # noqa: E402

NO_KERNEL = {
    "view", "_unsafe_view", "reshape", "_reshape_alias", "permute", "transpose", "t", "expand", "unsqueeze", "squeeze", "select",
    "slice", "split", "split_with_sizes", "chunk", "unbind", "narrow", "alias", "detach", "as_strided", "empty", "empty_like",
    "empty_strided", "new_empty", "new_empty_strided",
}


class CountOps(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        if name not in NO_KERNEL:
            self.ops[name] += 1
        return func(*args, **(kwargs or {}))


def lora_unet(checkpointing: bool, keep_input_dtype: bool, selective: bool, device: str = "cpu"):
    """The SD1.5 UNet (random weights, bf16) with the trainer's LoRA (r=32, fp32) in train mode."""
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel(**SD15_UNET_CONFIG).to(torch.bfloat16)
        attach_lora(unet, lora=parse_lora_settings(DEFAULT_TRAINING_CONFIG["lora"], "lora"))  # the default: r=32
    for p in unet.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    if checkpointing:
        unet.enable_gradient_checkpointing()
        if selective:
            checkpoint_narrow_blocks_only(unet)
    if keep_input_dtype:
        keep_lora_input_dtype(unet)
    return unet.train()


def fwd_bwd(unet, latents, embeddings) -> None:
    with torch.autocast("cpu", dtype=torch.bfloat16):
        prediction = unet(latents.to(torch.bfloat16), torch.tensor([500]), embeddings).sample
    torch.nn.functional.mse_loss(prediction.float(), latents).backward()
    unet.zero_grad(set_to_none=True)


def count_step(checkpointing: bool, keep_input_dtype: bool, selective: bool = False) -> collections.Counter:
    unet = lora_unet(checkpointing, keep_input_dtype, selective)
    latents, embeddings = torch.randn(1, 4, 8, 8), torch.randn(1, 77, 768, dtype=torch.bfloat16)
    fwd_bwd(unet, latents, embeddings)  # first-call work (lazy init) is not a step's
    with CountOps() as counter:
        fwd_bwd(unet, latents, embeddings)
    return counter.ops


def step_flops(checkpointing: bool, keep_input_dtype: bool, selective: bool = False) -> int:
    """FLOPs of one fwd+bwd step at 512 px (64x64 latents), batch 1, counted on fake tensors (no arithmetic):
    the GPU work once launches no longer bound the step (CUDA graphs). Recomputed forwards count again."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.utils.flop_counter import FlopCounterMode

    from toonlora_trainer.memory_estimate import to_fake

    unet = lora_unet(checkpointing, keep_input_dtype, selective, device="meta")
    fake = FakeTensorMode(allow_non_fake_inputs=True)
    to_fake(unet, fake)
    with fake:
        latents, embeddings = torch.zeros(1, 4, 64, 64), torch.zeros(1, 77, 768, dtype=torch.bfloat16)
        with FlopCounterMode(display=False) as counter:
            fwd_bwd(unet, latents, embeddings)
    return counter.get_total_flops()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """No options: --help prints the description, anything else is a usage error (before the slow part)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].split(" — ", 1)[-1].replace("\n", " "),
                                     epilog="Prints the ops and FLOPs of each variant against the diffusers-example setup.")
    return parser.parse_args(argv)


def main() -> None:
    parse_args()
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    variants = {
        "diffusers-example setup (PEFT defaults, no ckpt)": (False, False),
        "keep LoRA input dtype, no ckpt": (False, True),
        "gradient checkpointing": (True, False),
        "gradient checkpointing + keep LoRA input dtype (the trainer's default on a GPU)": (True, True),
        "the same, checkpointing on the narrow blocks only (selective)": (True, True, True),
    }
    print("SD1.5 UNet, LoRA r=32, bf16 autocast, per fwd+bwd step: ops dispatched (kernel launches on a GPU) and FLOPs at 512 px", flush=True)
    baseline = base_flops = None
    for label, setup in variants.items():
        ops, flops = count_step(*setup), step_flops(*setup)
        total = sum(ops.values())
        baseline, base_flops = baseline or total, base_flops or flops
        casts = ops["_to_copy"]
        print(f"  {label:80s} {total:6d} ops  x{total / baseline:.2f}   ({casts} dtype casts)   "
              f"{flops / 1e12:.2f} TFLOP  x{flops / base_flops:.2f}", flush=True)


if __name__ == "__main__":
    main()
