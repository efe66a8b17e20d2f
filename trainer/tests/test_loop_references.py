"""trainer/tests/test_loop_references.py — the training step against the reference trainers, by hand: the offset noise
noises the latents and is the epsilon target, timesteps span [0, num_train_timesteps), and under gradient
accumulation the warmup and the schedule count optimizer steps (diffusers examples/text_to_image/
train_text_to_image_lora.py with accelerate; kohya sd-scripts train_network.py, library/train_util.py
get_noise_noisy_latents_and_timesteps)."""

from __future__ import annotations

import types

import pytest
import torch
from diffusers import DDPMScheduler
from helpers import make_pattern_dataset, training_config

from toonlora_trainer.config import parse_train_request, parse_training_config
from toonlora_trainer.models import BaseModel
from toonlora_trainer.precision import choose_precision
from toonlora_trainer.train import diffusion_loss, run_training


def test_offset_noise_noises_the_latents_is_the_target_and_timesteps_span_the_whole_schedule():
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    base = BaseModel(None, None, None, None, scheduler, "by-hand")
    config = parse_training_config(training_config(noiseOffset=0.1, snrGamma=5.0))
    latents = torch.randn(8192, 4, 1, 1, generator=torch.Generator().manual_seed(1))
    seen = {}

    def unet(noisy, timesteps, embeddings):  # predicts zeros: the loss is then the weighted mean square of the target
        seen["noisy"], seen["timesteps"] = noisy, timesteps
        return types.SimpleNamespace(sample=torch.zeros_like(noisy))

    generator = torch.Generator().manual_seed(7)
    loss = diffusion_loss(unet, base, latents, None, config=config, generator=generator,
                          precision=choose_precision("no", torch.device("cpu")))
    # the draws in the step's order: noise, per-channel offset (diffusers: noise += offset * randn(B, C, 1, 1)), timesteps
    replay = torch.Generator().manual_seed(7)
    noise = torch.randn(latents.shape, generator=replay) + 0.1 * torch.randn((8192, 4, 1, 1), generator=replay)
    t = torch.randint(0, 1000, (8192,), generator=replay)
    assert torch.equal(seen["timesteps"], t)
    assert int(t.min()) == 0 and int(t.max()) == 999  # kohya / diffusers: randint(0, num_train_timesteps)
    alpha_bar = scheduler.alphas_cumprod[t].view(-1, 1, 1, 1)
    torch.testing.assert_close(seen["noisy"], alpha_bar.sqrt() * latents + (1 - alpha_bar).sqrt() * noise)
    snr = (alpha_bar / (1 - alpha_bar)).flatten()
    weights = torch.clamp(snr, max=5.0) / snr  # epsilon Min-SNR
    torch.testing.assert_close(loss, (weights * noise.pow(2).mean(dim=(1, 2, 3))).mean())


def test_under_gradient_accumulation_warmup_and_schedule_count_optimizer_steps(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=2)
    config = training_config(steps=4, gradientAccumulation=2, lrWarmupSteps=2, lrScheduler="cosine", learningRate=1e-3,
                             gradientCheckpointing=False)
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": config}
    run_training(parse_train_request(request), events.append, lambda: False)
    # lr after optimizer step s: warmup s/2 for s <= 2, then 0.5 * (1 + cos(pi * (s - 2) / 2)); a schedule stepped per
    # micro-batch would finish the warmup after the first step and reach 0 at step 2
    assert [e.lr for e in events if e.type == "progress"] == pytest.approx([5e-4, 1e-3, 5e-4, 0.0], abs=1e-9)
