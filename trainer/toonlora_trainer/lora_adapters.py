"""toonlora_trainer/lora_adapters.py — attaches the LoRA (or LoKr) adapter to the UNet and the text encoder, the
per-layer settings the trainer applies to it (LoKr layers kept in eval mode, no LoRA input cast, selective
gradient checkpointing), and its module and parameter counts (the `lora-count` command, built without weights)."""

from __future__ import annotations

import types
from typing import Any

import torch

from .config import LoraSettings
from .model_configs import ARCHITECTURE_CONFIGS


def make_lora_config(*, lora: LoraSettings, target_modules: tuple[str, ...]):
    """The PEFT adapter config of `lora` on `target_modules`. LoRA: LoraConfig as diffusers'
    train_text_to_image_lora.py builds it (gaussian init: B = 0, so the adapted UNet starts equal to the base).
    LoKr (`algorithm="lokr"`, SPEC §2): LoKrConfig, delta W = (w1 ⊗ w2) * alpha / r as LyCORIS' lokr.py, each
    side split by `lokr_factor` (decompose_factor); w2 is a full matrix when rank >= half its larger side, else a
    rank-`rank` product. PEFT's default init (w1 = 0) also starts the UNet equal to the base."""
    if lora.algorithm == "lokr":
        from peft import LoKrConfig

        return LoKrConfig(
            r=lora.rank, alpha=lora.alpha, target_modules=list(target_modules), decompose_factor=lora.lokr_factor,
            init_weights=True,
        )
    from peft import LoraConfig

    return LoraConfig(
        r=lora.rank, lora_alpha=lora.alpha, init_lora_weights="gaussian", target_modules=list(target_modules),
        use_dora=lora.dora,
    )


# The CLIP attention projections, as diffusers' examples/dreambooth/train_dreambooth_lora.py adapts the text
# encoder (`LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=["q_proj",
# "k_proj", "v_proj", "out_proj"])`, `text_encoder.add_adapter(...)`) and kohya's LoRANetwork targets
# CLIPAttention: 12 layers x 4 = 48 modules for SD1.5, kohya names lora_te_text_model_encoder_layers_<i>_self_attn_<q|k|v|out>_proj.
TEXT_ENCODER_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "out_proj")


def attach_text_encoder_lora(text_encoder, *, lora: LoraSettings) -> None:
    """Freezes the CLIP text encoder and adds a LoRA (or LoKr) adapter (trainable) to its attention projections
    (TEXT_ENCODER_TARGET_MODULES; `lora.target_modules` names UNet layers)."""
    from peft import inject_adapter_in_model

    # PEFT directly, not transformers' `add_adapter`: transformers 5.24 wants peft >= 0.22 for that, and
    # inject_adapter_in_model is what it calls underneath (it also sets `peft_config`, used when saving).
    text_encoder.requires_grad_(False)
    inject_adapter_in_model(make_lora_config(lora=lora, target_modules=TEXT_ENCODER_TARGET_MODULES), text_encoder)
    keep_lokr_layers_in_eval_mode(text_encoder)


def attach_lora(unet, *, lora: LoraSettings) -> None:
    """Freezes the UNet and adds the LoRA (or LoKr) adapter (trainable) to its attention projections."""
    unet.requires_grad_(False)
    unet.add_adapter(make_lora_config(lora=lora, target_modules=lora.target_modules))
    keep_lokr_layers_in_eval_mode(unet)


def _stay_in_eval_mode(module: torch.nn.Module, mode: bool = True) -> torch.nn.Module:
    return torch.nn.Module.train(module, False)


def keep_lokr_layers_in_eval_mode(model) -> None:
    """PEFT's LoKr layers in train mode draw `torch.rand(1)` in every forward and branch on it, for module dropout
    (peft/tuners/lokr/layer.py: `if (not self.training) or (... torch.rand(1) > module_dropout)`). toonlora trains
    them without module or rank dropout (both 0), where the eval-mode forward is the same computation without
    the draw. The draw is a data-dependent branch: dynamo breaks the graph at it in every layer (tiny UNet: 34
    graphs instead of 1) and fake tensors (memory_estimate.py) cannot decide it. So these layers stay in eval
    mode whatever `model.train()` sets; the rest of the model follows train / eval as usual."""
    from peft.tuners.lokr.layer import LoKrLayer

    for module in model.modules():
        if isinstance(module, LoKrLayer):
            module.train = types.MethodType(_stay_in_eval_mode, module)
            module.train()


def keep_lora_input_dtype(model) -> None:
    """For a model whose LoRA forward always runs under fp16/bf16 autocast: PEFT casts each LoRA layer's input to
    the LoRA weights' dtype (fp32 master weights) before lora_A, and autocast casts it straight back for the
    matmul, an exact round trip. Turning PEFT's cast off (what peft.helpers.disable_input_dtype_casting does)
    saves 2 kernels per layer forward and 2 backward: for the SD1.5 UNet at r=32, 3,541 -> 3,099 ops per step,
    with gradient checkpointing 5,059 -> 4,361 (bench/unet_ops.py; the eager GPU step is bound by these launches
    at batch 1)."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            module.cast_input_dtype_enabled = False


def checkpoint_narrow_blocks_only(unet) -> list[str]:
    """Selective gradient checkpointing. After unet.enable_gradient_checkpointing(), this turns it back off in the
    blocks at the widest channel count: SD1.5's 1280-channel levels, at 16x16 and 8x8 latents for 512 px. Returns
    the names of those blocks.

    Recomputing a block costs its forward FLOPs. Keeping it saves its activations. Per FLOP, the activations of a
    C-channel conv block scale as 1/C, so the wide, low-resolution blocks give the least memory back for their
    recompute. SD1.5 at 512 px, batch 1, per fwd+bwd step (bench/unet_ops.py): 1.66 TFLOP instead of 1.83
    (no checkpointing: 1.36), and 3,858 dispatched ops instead of 4,361 (3,099). The estimated peak
    (bench/train_memory.py) goes to 2.08 GiB instead of 1.96 GiB at batch 1, and 3.24 GiB instead of 2.69 GiB
    at batch 4."""
    channels = list(unet.config.block_out_channels)
    widest = max(channels)
    blocks = [(f"down_blocks.{i}", block, c) for i, (block, c) in enumerate(zip(unet.down_blocks, channels))]
    blocks.append(("mid_block", unet.mid_block, widest))
    blocks += [(f"up_blocks.{i}", block, c) for i, (block, c) in enumerate(zip(unet.up_blocks, reversed(channels)))]
    uncheckpointed = []
    for name, block, block_channels in blocks:
        if block_channels == widest:
            for module in block.modules():
                if getattr(module, "gradient_checkpointing", False):
                    module.gradient_checkpointing = False
            uncheckpointed.append(name)
    return uncheckpointed


def count_lora(unet) -> tuple[int, int]:
    """(number of adapted modules, trainable parameter count) of a UNet (or text encoder) with a LoRA or LoKr adapter."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    modules = sum(1 for m in unet.modules() if isinstance(m, BaseTunerLayer))
    params = sum(p.numel() for p in unet.parameters() if p.requires_grad)
    return modules, params


def count_lora_for_config(unet_config: dict[str, Any], *, lora: LoraSettings) -> dict[str, int]:
    """LoRA module and parameter count for a UNet config, built on the meta device (no weights, no RAM).

    For SD1.5 at r=32 on to_q/to_k/to_v/to_out.0: 128 modules, 6,377,472 parameters.
    """
    from diffusers import UNet2DConditionModel

    with torch.device("meta"):
        unet = UNet2DConditionModel(**unet_config)
        base_params = sum(p.numel() for p in unet.parameters())
        attach_lora(unet, lora=lora)
    modules, params = count_lora(unet)
    return {"modules": modules, "trainable_params": params, "unet_params": base_params}


def lora_count_stats(architecture: str, lora: LoraSettings) -> dict[str, int]:
    """The `lora-count` command's stats (src/worker/protocol-done.ts loraCountDoneSchema): the LoRA's modules and trainable
    parameters and the base parameters, of the UNet and of the text encoder of `architecture` (an
    ARCHITECTURE_CONFIGS key), built without weights."""
    unet_config, _, text_config = ARCHITECTURE_CONFIGS[architecture]
    return count_lora_for_config(unet_config, lora=lora) | count_text_encoder_lora_for_config(text_config, lora=lora)


def count_text_encoder_lora_for_config(text_config: dict[str, Any], *, lora: LoraSettings) -> dict[str, int]:
    """The optional text-encoder LoRA's size for a CLIP text config, on the meta device (no weights).

    For SD1.5's CLIP ViT-L/14 text model at r=32 on q/k/v/out_proj: 12 layers x 4 = 48 modules,
    48 x 32 x (768 + 768) = 2,359,296 parameters.
    """
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):
        text_encoder = CLIPTextModel(CLIPTextConfig(**text_config))
        base_params = sum(p.numel() for p in text_encoder.parameters())
        attach_text_encoder_lora(text_encoder, lora=lora)
    modules, params = count_lora(text_encoder)
    return {"text_encoder_modules": modules, "text_encoder_trainable_params": params, "text_encoder_params": base_params}
