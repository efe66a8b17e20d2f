"""The LoRA has exactly the expected modules and parameter count (SPEC §2: 128 modules, ~6.4 M at r=32)."""

from helpers import lora_settings

from toonlora_trainer.lora_adapters import (
    attach_lora, count_lora, count_lora_for_config, count_text_encoder_lora_for_config,
)
from toonlora_trainer.model_configs import SD15_TEXT_CONFIG, SD15_UNET_CONFIG, TINY_UNET_CONFIG
from toonlora_trainer.models import build_tiny_base_model


def expected_params(channels_per_block: list[int], cross_dim: int, rank: int) -> int:
    """Per transformer block: attn1 has 4 CxC projections, attn2 has to_q/to_out CxC and to_k/to_v cross_dim->C;
    a LoRA on an (in -> out) linear has rank * (in + out) parameters."""
    total = 0
    for c in channels_per_block:
        attn1 = 4 * rank * (c + c)
        attn2 = 2 * rank * (c + c) + 2 * rank * (cross_dim + c)
        total += attn1 + attn2
    return total


def test_sd15_unet_config_gives_128_modules_and_6_4_million_params():
    counts = count_lora_for_config(SD15_UNET_CONFIG, lora=lora_settings(rank=32))
    # 16 transformer blocks: down 3x2, mid 1, up 3x3; channels 320/640/1280.
    blocks = [320, 320, 640, 640, 1280, 1280, 1280, 1280, 1280, 1280, 640, 640, 640, 320, 320, 320]
    assert counts["modules"] == 128
    assert counts["trainable_params"] == expected_params(blocks, 768, 32) == 6_377_472
    assert counts["trainable_params"] < 0.01 * counts["unet_params"]  # "<1% of the UNet"


def test_rank_scales_the_count_linearly():
    assert count_lora_for_config(SD15_UNET_CONFIG, lora=lora_settings(rank=8))["trainable_params"] == 6_377_472 // 4


def test_tiny_unet_lora_modules_and_params_exact():
    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings())
    modules, params = count_lora(base.unet)
    # tiny: down (32 ch), mid (64 ch), 2 up (32 ch) transformer blocks; cross-attention dim 32
    assert modules == 4 * 2 * 4
    assert params == expected_params([32, 64, 32, 32], 32, 4) == 9_984
    assert count_lora_for_config(TINY_UNET_CONFIG, lora=lora_settings())["trainable_params"] == params
    assert all(not p.requires_grad for n, p in base.unet.named_parameters() if "lora_" not in n)


def test_target_subset_counts_only_those_projections():
    counts = count_lora_for_config(SD15_UNET_CONFIG, lora=lora_settings(rank=32, target_modules=("to_q", "to_v")))
    assert counts["modules"] == 64


def test_sd15_text_encoder_lora_is_48_modules_and_2_36_million_params():
    counts = count_text_encoder_lora_for_config(SD15_TEXT_CONFIG, lora=lora_settings(rank=32))
    # CLIP ViT-L/14 text model: 12 layers, q/k/v/out_proj each 768 -> 768.
    assert counts["text_encoder_modules"] == 12 * 4
    assert counts["text_encoder_trainable_params"] == 48 * 32 * (768 + 768) == 2_359_296
    assert counts["text_encoder_trainable_params"] < 0.02 * counts["text_encoder_params"]
