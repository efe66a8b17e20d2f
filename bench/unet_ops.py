"""bench/unet_ops.py — ops dispatched per LoRA training step of the full SD1.5 UNet, a CPU-countable proxy
for the GPU's kernel launches (on an H100 a batch-1 step is bound by them: ~5,400 kernels, GPU ~9% busy).

Usage: trainer/.venv/bin/python bench/unet_ops.py

The SD1.5 UNet config with random weights in bf16, LoRA r=32 on to_q/to_k/to_v/to_out.0 in fp32, a forward
under bf16 autocast and a backward, on the CPU at an 8x8 latent (the op count does not depend on the size).
View-only ops (no kernel) are not counted. Variants, each against the diffusers-example setup (PEFT defaults,
no gradient checkpointing): with gradient checkpointing (the forward runs twice), and with
models.keep_lora_input_dtype (no fp32 round trip of each LoRA input), as the trainer runs on a GPU.
"""

from __future__ import annotations

import collections
import os
import sys

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainer"))

from toonlora_trainer import models as M  # noqa: E402

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


def count_step(checkpointing: bool, keep_input_dtype: bool) -> collections.Counter:
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**M.SD15_UNET_CONFIG).to(torch.bfloat16)
    M.attach_lora(unet, 32, 32.0, ("to_q", "to_k", "to_v", "to_out.0"), False)
    for p in unet.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    if checkpointing:
        unet.enable_gradient_checkpointing()
    if keep_input_dtype:
        M.keep_lora_input_dtype(unet)
    unet.train()
    latents, embeddings = torch.randn(1, 4, 8, 8), torch.randn(1, 77, 768, dtype=torch.bfloat16)

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            prediction = unet(latents.to(torch.bfloat16), torch.tensor([500]), embeddings).sample
        torch.nn.functional.mse_loss(prediction.float(), latents).backward()
        unet.zero_grad(set_to_none=True)

    step()  # first-call work (lazy init) is not a step's
    with CountOps() as counter:
        step()
    return counter.ops


def main() -> None:
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()
    variants = {
        "diffusers-example setup (PEFT defaults, no ckpt)": (False, False),
        "keep LoRA input dtype, no ckpt": (False, True),
        "gradient checkpointing": (True, False),
        "gradient checkpointing + keep LoRA input dtype (the trainer's default on a GPU)": (True, True),
    }
    print("SD1.5 UNet, LoRA r=32, bf16 autocast: ops dispatched per fwd+bwd step (kernel launches on a GPU)", flush=True)
    baseline = None
    for label, (checkpointing, keep) in variants.items():
        ops = count_step(checkpointing, keep)
        total = sum(ops.values())
        baseline = baseline or total
        casts = ops["_to_copy"]
        print(f"  {label:80s} {total:6d} ops  x{total / baseline:.2f}   ({casts} dtype casts)", flush=True)


if __name__ == "__main__":
    main()
