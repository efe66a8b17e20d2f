"""lora_adapters.checkpoint_narrow_blocks_only: which blocks keep their activations (the widest-channel levels), and
that the step computes the same loss and LoRA gradients as with checkpointing everywhere."""

import torch
from diffusers import UNet2DConditionModel
from helpers import lora_settings

from toonlora_trainer.lora_adapters import attach_lora, checkpoint_narrow_blocks_only
from toonlora_trainer.model_configs import SD15_UNET_CONFIG
from toonlora_trainer.models import build_tiny_base_model


def checkpointed(unet) -> set[str]:
    return {name for name, module in unet.named_modules() if name and getattr(module, "gradient_checkpointing", False)}


def test_sd15_keeps_checkpointing_on_the_320_and_640_channel_levels_only():
    with torch.device("meta"):
        unet = UNet2DConditionModel(**SD15_UNET_CONFIG)
    unet.enable_gradient_checkpointing()
    assert checkpoint_narrow_blocks_only(unet) == ["down_blocks.2", "down_blocks.3", "mid_block", "up_blocks.0", "up_blocks.1"]
    left = checkpointed(unet)
    assert left and all(name.split(".")[:2] in (["down_blocks", "0"], ["down_blocks", "1"], ["up_blocks", "2"], ["up_blocks", "3"])
                        for name in left)


def test_selective_checkpointing_gives_the_same_loss_and_gradients():
    def step(selective: bool):
        unet = build_tiny_base_model().unet
        torch.manual_seed(0)  # the LoRA's own initialisation
        attach_lora(unet, lora=lora_settings())
        unet.enable_gradient_checkpointing()
        if selective:
            assert checkpoint_narrow_blocks_only(unet)
        unet.train()
        generator = torch.Generator().manual_seed(0)
        latents, embeddings = torch.randn(2, 4, 8, 8, generator=generator), torch.randn(2, 77, 32, generator=generator)
        loss = unet(latents, torch.tensor([10, 500]), embeddings).sample.square().mean()
        loss.backward()
        return loss.detach(), {n: p.grad for n, p in unet.named_parameters() if p.requires_grad}

    (full_loss, full_grads), (loss, grads) = step(False), step(True)
    torch.testing.assert_close(loss, full_loss)
    assert grads.keys() == full_grads.keys()
    for name in grads:
        torch.testing.assert_close(grads[name], full_grads[name], rtol=1e-5, atol=1e-6)
