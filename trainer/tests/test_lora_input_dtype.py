"""keep_lora_input_dtype: under autocast, skipping PEFT's cast of each LoRA input to the fp32 LoRA weights gives
bit-identical outputs and LoRA gradients with fewer dispatched ops (each one a kernel launch on a GPU)."""

import collections
import copy

import torch
from helpers import lora_settings
from torch.utils._python_dispatch import TorchDispatchMode

from toonlora_trainer.lora_adapters import attach_lora, count_lora, keep_lora_input_dtype
from toonlora_trainer.model_configs import TINY_UNET_CONFIG


class CountOps(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.ops = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


def lora_unet():
    """The trainer's setup on a GPU, in bf16 on the CPU: frozen half-precision base, fp32 LoRA (lora_B non-zero)."""
    from diffusers import UNet2DConditionModel

    torch.manual_seed(0)
    unet = UNet2DConditionModel(**TINY_UNET_CONFIG).to(torch.bfloat16)
    attach_lora(unet, lora=lora_settings())
    for name, p in unet.named_parameters():
        if p.requires_grad:
            p.data = torch.randn_like(p, dtype=torch.float32) * 0.1 if "lora_B" in name else p.data.float()
    return unet.train()


def step(unet):
    torch.manual_seed(1)
    latents, embeddings = torch.randn(2, 4, 8, 8), torch.randn(2, 77, TINY_UNET_CONFIG["cross_attention_dim"], dtype=torch.bfloat16)
    with CountOps() as counter:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = unet(latents.to(torch.bfloat16), torch.tensor([10, 500]), embeddings).sample
        torch.nn.functional.mse_loss(out.float(), latents).backward()
    grads = {name: p.grad for name, p in unet.named_parameters() if p.requires_grad}
    return out, grads, counter.ops


def test_skipping_the_lora_input_cast_changes_no_bit_and_saves_ops():
    plain = lora_unet()
    kept = copy.deepcopy(plain)
    keep_lora_input_dtype(kept)
    out_plain, grads_plain, ops_plain = step(plain)
    out_kept, grads_kept, ops_kept = step(kept)
    assert torch.equal(out_plain, out_kept)
    assert grads_plain.keys() == grads_kept.keys() and grads_plain
    for name, grad in grads_plain.items():
        assert torch.equal(grad, grads_kept[name]), name
    modules, _ = count_lora(plain)
    # >= 2 casts per LoRA layer fewer (x -> fp32 -> bf16 forward; backward too where the input needs a gradient)
    assert ops_plain["_to_copy"] - ops_kept["_to_copy"] >= 2 * modules
    assert sum(ops_kept.values()) < sum(ops_plain.values())
