"""bench/train_steps.py — the training steps bench/train_speed.py times (and bench/train_memory.py and
bench/compile_preflight.py reuse): SD1.5-architecture (or tiny) models with random weights, this trainer's own
step (trainable_models.prepare_unet, train._optimizer_step, cached latents, prefetched text embeddings) and the diffusers
example's loop (examples/text_to_image/train_text_to_image_lora.py: VAE + CLIP encode every step)."""

from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainer"))

from toonlora_trainer import models as M  # noqa: E402
from toonlora_trainer import train as T  # noqa: E402
from toonlora_trainer.compiled_step import check_compiler, step_forward  # noqa: E402
from toonlora_trainer.config import parse_lora_settings, parse_training_config  # noqa: E402
from toonlora_trainer.config_schema import DEFAULT_TRAINING_CONFIG  # noqa: E402
from toonlora_trainer.dataset_items import Dataset, DatasetItem  # noqa: E402
from toonlora_trainer.lora_adapters import attach_lora, checkpoint_narrow_blocks_only  # noqa: E402
from toonlora_trainer.losses import compute_snr, min_snr_weights, sample_noise, weighted_mse  # noqa: E402
from toonlora_trainer.model_configs import (  # noqa: E402
    SD15_TEXT_CONFIG, SD15_UNET_CONFIG, SD15_VAE_CONFIG, TINY_TEXT_CONFIG, TINY_UNET_CONFIG, TINY_VAE_CONFIG,
)
from toonlora_trainer.precision import Precision  # noqa: E402
from toonlora_trainer.step_batches import StepInputs  # noqa: E402
from toonlora_trainer.text_embeddings import encoder_placement  # noqa: E402
from toonlora_trainer.trainable_models import prepare_unet  # noqa: E402

CAPTION = "sks, 1girl, black hair, red eyes, school uniform, smile, upper body"


def build_base(device: torch.device, full: bool) -> M.BaseModel:
    """SD1.5-architecture (or tiny) modules with random weights, created directly on `device`."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel(**(SD15_UNET_CONFIG if full else TINY_UNET_CONFIG))
        vae = AutoencoderKL(**(SD15_VAE_CONFIG if full else TINY_VAE_CONFIG))
        text_config = {**(SD15_TEXT_CONFIG if full else TINY_TEXT_CONFIG), "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
        text = CLIPTextModel(CLIPTextConfig(**text_config))
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    return M.BaseModel(unet, vae, text, M.build_tiny_tokenizer(), scheduler, "bench")


def training_config(batch: int, resolution: int, checkpointing: bool, mixed: str, compile: bool = False, algorithm: str = "lora"):
    """The default resolved config (config_schema.json: rank 32, lr 1e-4, ...) with the bench's run shape: a constant
    learning rate, seed 1, no samples or checkpoints."""
    return parse_training_config({
        **DEFAULT_TRAINING_CONFIG, "baseModel": "bench", "lora": {**DEFAULT_TRAINING_CONFIG["lora"], "algorithm": algorithm},
        "resolution": resolution, "steps": 1_000_000, "batchSize": batch, "lrScheduler": "constant",
        "gradientCheckpointing": checkpointing, "compile": compile, "mixedPrecision": mixed, "seed": 1,
        "sampleEverySteps": 0, "checkpointEverySteps": 0, "sampleSeeds": [1],
    })


def prepare_baseline(base: M.BaseModel, precision: Precision):
    """The diffusers example's setup: every model on the device in the weight dtype, PEFT's LoRA defaults
    (fp32 LoRA weights), no gradient checkpointing."""
    base.vae.requires_grad_(False).to(precision.device, precision.weight_dtype)
    base.text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    unet = base.unet.to(precision.device, precision.weight_dtype)
    attach_lora(unet, lora=parse_lora_settings(DEFAULT_TRAINING_CONFIG["lora"], "lora"))  # the default: r=32
    params = [p for p in unet.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    unet.train()
    return unet, params


def toonlora_steps(full, precision, batch, resolution, checkpointing, images, compile=False, selective=False, algorithm="lora"):
    """Returns a callable doing one optimizer step of this trainer, after caching the latents. `selective`:
    checkpointing on the narrow blocks only (lora_adapters.checkpoint_narrow_blocks_only); `algorithm` "lokr": a LoKr
    (rank 32, factor -1) instead of the LoRA."""
    base = build_base(precision.device, full)
    config = training_config(batch, resolution, checkpointing, "fp16" if precision.weight_dtype == torch.float16 else "no", compile, algorithm)
    base.vae.requires_grad_(False).to(precision.device, torch.float32)  # as run_training
    base.text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    unet, params = base.unet, prepare_unet(base.unet, config, precision)
    if selective:
        checkpoint_narrow_blocks_only(unet)
    if compile:
        check_compiler(precision.device)
    forward = step_forward(unet, config, precision, lambda event: None)
    items = tuple(DatasetItem(f"img{i}.png", CAPTION, "sks", 1) for i in range(len(images)))
    latents_cache = [T.encode_latents(base, images[i : i + 1])[0] for i in range(len(images))]
    base.vae.to("cpu")  # as run_training: cached, so the VAE leaves the GPU
    state = T._make_loop_state(config, params, precision)
    dataset, repeated = Dataset(items, ()), list(range(len(items)))
    text_source = T.make_text_source(base, config, precision, dataset=dataset, repeated=repeated, state=state,
                                     place=encoder_placement(base.text_encoder, precision.device))
    inputs = StepInputs(base, dataset, repeated, latents_cache, text_source, config, precision, params)

    def step():
        float(T._optimizer_step(forward, inputs, state))  # the trainer reads the loss every step
        state.step += 1

    return step


def baseline_steps(full, precision, batch, resolution, images):
    """The diffusers example's inner loop: VAE encode + CLIP encode every step, no checkpointing."""
    base = build_base(precision.device, full)
    unet, params = prepare_baseline(base, precision)
    return baseline_step(base, unet, params, precision, batch, images)


def baseline_step(base: M.BaseModel, unet, params, precision, batch: int, images):
    """One step of the diffusers example's loop on models set up by prepare_baseline (bench/train_memory.py
    runs it on fake tensors, autocast on its CPU stand-in for the GPU)."""
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=precision.autocast and precision.weight_dtype == torch.float16)
    generator = torch.Generator().manual_seed(0)
    tokens = base.tokenizer([CAPTION] * batch, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids.to(precision.device)
    scheduler = base.noise_scheduler
    position = [0]

    def step():
        start = position[0] % len(images)
        pixels = images[start : start + batch]
        if len(pixels) < batch:
            pixels = images[:batch]
        position[0] += batch
        with torch.autocast(precision.device.type, dtype=precision.weight_dtype, enabled=precision.autocast):
            latents = base.vae.encode(pixels.to(precision.device, precision.weight_dtype)).latent_dist.sample() * base.vae.config.scaling_factor
            embeddings = base.text_encoder(tokens, return_dict=False)[0]
            noise = sample_noise(latents, 0.1, generator)
            timesteps = torch.randint(0, 1000, (batch,), generator=generator).to(precision.device)
            noisy = scheduler.add_noise(latents, noise, timesteps)
            prediction = unet(noisy, timesteps, embeddings, return_dict=False)[0]
        weights = min_snr_weights(compute_snr(scheduler.alphas_cumprod, timesteps), 5.0, "epsilon")
        loss = weighted_mse(prediction, noise, weights)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

    return step


def baseline_encode_only(full, precision, batch, resolution, images):
    """Only the per-step VAE + CLIP encoding the baseline does (what caching removes)."""
    base = build_base(precision.device, full)
    base.vae.requires_grad_(False).to(precision.device, precision.weight_dtype)
    base.text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    tokens = base.tokenizer([CAPTION] * batch, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids.to(precision.device)

    @torch.no_grad()
    def step():
        with torch.autocast("cuda", dtype=precision.weight_dtype, enabled=precision.autocast):
            base.vae.encode(images[:batch].to(precision.device, precision.weight_dtype)).latent_dist.sample()
            base.text_encoder(tokens, return_dict=False)

    return step
