"""toonlora_trainer/trainable_models.py — the UNet and text encoder as the steps train them: frozen base weights in
the weight dtype on the device, the LoRA (UNet always, text encoder with trainTextEncoder) in fp32, train mode."""

from __future__ import annotations

import torch

from .config import TrainingConfig
from .lora_adapters import attach_lora, attach_text_encoder_lora, keep_lora_input_dtype
from .precision import Precision


def prepare_unet(unet, config: TrainingConfig, precision: Precision) -> list[torch.nn.Parameter]:
    """The UNet as the step trains it (bench/train_speed.py measures this same setup): the frozen base in the
    weight dtype on the device, the LoRA on the attention projections in fp32 (as diffusers'
    cast_training_params: fp32 master weights under autocast), without PEFT's input cast round trip under
    autocast (every UNet forward here, steps and samples, runs under it), gradient checkpointing as configured,
    train mode. Returns the LoRA parameters."""
    unet.to(precision.device, precision.weight_dtype)
    attach_lora(unet, lora=config.lora)
    if precision.autocast and config.lora.algorithm == "lora" and not config.lora.dora:
        keep_lora_input_dtype(unet)
    params = [p for p in unet.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    if config.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
    unet.train()
    return params


def prepare_text_encoder(text_encoder, config: TrainingConfig, precision: Precision) -> list[torch.nn.Parameter]:
    """The frozen text encoder in the weight dtype on the device; with trainTextEncoder also its LoRA, same
    rank / alpha / DoRA / LoKr as the UNet's (the config has one LoRA shape), in fp32 and train mode. Returns the
    LoRA parameters (none when the text encoder stays frozen)."""
    text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    if not config.train_text_encoder:
        return []
    attach_text_encoder_lora(text_encoder, lora=config.lora)
    params = [p for p in text_encoder.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()  # fp32 master weights, as the UNet's
    text_encoder.train()
    return params
