"""The GPU-memory estimate (memory_estimate.py): the live-bytes count is exact, the CUDA autocast policy
applies only while open, the estimate follows the config (checkpointing, batch, precision, samples) and
matches the H100's measured figure, and sample images decode one at a time."""

import torch
from helpers import run_worker, training_config

from toonlora_trainer.config import parse_training_config
from toonlora_trainer.generate import vae_decode
from toonlora_trainer.memory_estimate import LiveBytes, cuda_autocast_policy, estimate_training_memory
from toonlora_trainer.models import (
    SD15_TEXT_CONFIG, SD15_UNET_CONFIG, SD15_VAE_CONFIG, TINY_TEXT_CONFIG, TINY_UNET_CONFIG, TINY_VAE_CONFIG, build_tiny_base_model,
)

TINY = (TINY_UNET_CONFIG, TINY_VAE_CONFIG, TINY_TEXT_CONFIG)


def tiny_estimate(**overrides):
    return estimate_training_memory(parse_training_config(training_config(**overrides)), *TINY)


def test_live_bytes_counts_storages_rounded_to_allocator_blocks_until_freed():
    with LiveBytes() as live:
        a = torch.empty(1000)  # 4,000 B -> 4,096
        b = a * 2
        assert live.live == 8192
        del b
        assert live.live == 4096
        c = a.view(10, 100)  # a view shares the storage: nothing new
        assert live.live == 4096
    assert live.peak == 8192
    del a, c
    assert live.live == 0


def test_cuda_policy_runs_group_norm_in_fp32_only_while_open():
    x = torch.randn(1, 8, 4, 4, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.nn.functional.group_norm(x, 2).dtype == torch.bfloat16  # CPU autocast's own policy
        with cuda_autocast_policy():
            assert torch.nn.functional.group_norm(x, 2).dtype == torch.float32  # CUDA's
            assert torch.nn.functional.layer_norm(x, (4,)).dtype == torch.float32
            assert torch.nn.functional.silu(x).dtype == torch.bfloat16  # not on CUDA's fp32 list
        assert torch.nn.functional.group_norm(x, 2).dtype == torch.bfloat16


def test_estimate_follows_checkpointing_batch_and_precision():
    checkpointed, plain = tiny_estimate(gradientCheckpointing=True), tiny_estimate(gradientCheckpointing=False)
    assert checkpointed.resident_bytes == plain.resident_bytes
    assert checkpointed.step_peak_bytes < plain.step_peak_bytes
    assert tiny_estimate(batchSize=4).step_peak_bytes > checkpointed.step_peak_bytes
    assert tiny_estimate(mixedPrecision="no").resident_bytes > checkpointed.resident_bytes  # fp32 weights
    assert tiny_estimate(trainTextEncoder=True).step_peak_bytes > checkpointed.step_peak_bytes


def test_sample_pass_is_estimated_only_when_samples_are_on():
    assert tiny_estimate().sample_peak_bytes == 0
    two, eight = tiny_estimate(sampleEverySteps=100), tiny_estimate(sampleEverySteps=100, sampleSeeds=list(range(8)))
    assert two.sample_peak_bytes > two.resident_bytes
    assert eight.sample_peak_bytes > two.sample_peak_bytes
    assert eight.peak_bytes == max(eight.step_peak_bytes, eight.sample_peak_bytes)


def test_sd15_estimate_matches_the_h100_measurement():
    # bench/train_speed.py on an H100 (fp16, r=32, 512 px, batch 1, gradient checkpointing): 2.27 GiB peak.
    # The estimate leaves out cuBLAS / cuDNN workspaces (about 0.1 GiB there), so it may be a little lower.
    config = parse_training_config(training_config(resolution=512, lora={"rank": 32, "alpha": 32}))
    estimate = estimate_training_memory(config, SD15_UNET_CONFIG, SD15_VAE_CONFIG, SD15_TEXT_CONFIG)
    assert 2.27 * 0.9 <= estimate.step_peak_bytes / 2**30 <= 2.27


def test_vae_decode_holds_one_image_of_activations_at_a_time():
    seeds = 4
    vae = build_tiny_base_model().vae.requires_grad_(False)
    latents = torch.randn(seeds, 4, 16, 16)
    with torch.no_grad():
        batched = vae.decode(latents / vae.config.scaling_factor, return_dict=False)[0]
    peaks = {}
    for n in (1, seeds):
        with LiveBytes() as live:
            live.track_module(vae)
            resident = live.live
            images = vae_decode(vae, latents[:n])
        peaks[n] = live.peak - resident
    torch.testing.assert_close(images, batched, rtol=1e-4, atol=1e-4)
    # A batch decode would need about `seeds` times one image's activations.
    assert peaks[seeds] < 1.5 * peaks[1]


def test_estimate_memory_command():
    code, events, _ = run_worker("estimate-memory", {"version": 1, "command": "estimate-memory", "unet": "tiny",
                                                     "config": training_config(sampleEverySteps=50)})
    assert code == 0, events
    stats = events[-1]["stats"]
    assert set(stats) == {"peak_gib", "step_peak_gib", "sample_peak_gib", "resident_gib"}
    assert 0 < stats["resident_gib"] < stats["step_peak_gib"] <= stats["peak_gib"]
    assert stats["peak_gib"] == max(stats["step_peak_gib"], stats["sample_peak_gib"])
