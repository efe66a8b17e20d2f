"""toonlora_trainer/pipeline.py — the StableDiffusionPipeline around a loaded base (samplers by name, device and
dtype), sampling latents from prompt embeddings and seeds, VAE decoding one image at a time, and the check that
latents or pixels came out NaN / Inf (NonFiniteImageError naming the LoRA). generate.py and the trainer's
samples render through these."""

from __future__ import annotations

from typing import Callable

import torch
from PIL import Image

from .models import BaseModel
from .prompt_encoding import encode_prompts


class NonFiniteImageError(ValueError):
    """The latents or decoded pixels came out NaN / Inf: the image would be saved all black. `lora` is the user's
    LoRA file (the likely cause: NaN / Inf weights, or a weight far too high), None without one."""

    def __init__(self, message: str, lora: str | None) -> None:
        super().__init__(message)
        self.lora = lora


def make_scheduler(name: str, config):
    """Sampler table (name -> diffusers scheduler), configured from the base model's scheduler config."""
    from diffusers import (
        DDIMScheduler,
        DPMSolverMultistepScheduler,
        EulerAncestralDiscreteScheduler,
        EulerDiscreteScheduler,
        PNDMScheduler,
    )

    table = {
        # DPM++ 2M Karras as the WebUI names it: multistep DPM-Solver++, order 2, Karras sigmas.
        "dpmpp_2m_karras": lambda: DPMSolverMultistepScheduler.from_config(
            config, algorithm_type="dpmsolver++", solver_order=2, use_karras_sigmas=True
        ),
        "euler_a": lambda: EulerAncestralDiscreteScheduler.from_config(config),
        "euler": lambda: EulerDiscreteScheduler.from_config(config),
        "ddim": lambda: DDIMScheduler.from_config(config),
        # PLMS only, as diffusers' SD pipelines configure it (skip_prk_steps=True): the Runge-Kutta warm-up needs
        # 4+ steps, so 1-3 steps failed with "operands could not be broadcast together with shapes (4,) (8,)".
        "pndm": lambda: PNDMScheduler.from_config(config, skip_prk_steps=True),
    }
    if name not in table:
        raise ValueError(f"scheduler: expected one of {sorted(table)}, got {name!r}")
    return table[name]()


def assemble_pipeline(base: BaseModel):
    """A StableDiffusionPipeline around the loaded modules, left where they are (no device/dtype change)."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(
        vae=base.vae, text_encoder=base.text_encoder, tokenizer=base.tokenizer, unet=base.unet,
        scheduler=make_scheduler("dpmpp_2m_karras", base.noise_scheduler.config),
        safety_checker=None, feature_extractor=None, requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_pipeline(base: BaseModel, device: torch.device, dtype: torch.dtype, vae_fp32: bool = True):
    """StableDiffusionPipeline on `device`: the whole pipeline moved (and cast) first, THEN only the VAE
    cast back to float32 (SPEC §4). The order matters: `pipe.to(device, dtype)` casts every module, so a
    VAE cast done before it would be undone; a float16 VAE decodes over-saturated ("fried") colours."""
    pipe = assemble_pipeline(base)
    pipe.to(device, dtype)
    if vae_fp32:
        pipe.vae.to(dtype=torch.float32)
    return pipe


@torch.no_grad()
def render_latents(pipe, prompt: str, negative: str, seeds, *, steps: int, guidance: float, width: int, height: int, clip_skip: int,
                   on_step: Callable[[int], None] | None = None) -> torch.Tensor:
    """Denoised latents [len(seeds), 4, h/8, w/8], one seed per image (CPU generators: same on any device).

    Prompt embeddings come from prompt_encoding.encode_prompts (CLIP skip in the WebUI convention, the same code
    the trainer uses), passed to the pipeline as `prompt_embeds`. `on_step(i)` is called after each of the
    `steps` denoising steps (1-based), through the pipeline's `callback_on_step_end`.
    """
    text = _PipeText(pipe)
    embeds = encode_prompts(text, [prompt, negative], clip_skip, pipe.device).to(pipe.text_encoder.dtype)
    n = len(seeds)
    generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
    return pipe(
        prompt_embeds=embeds[:1].expand(n, -1, -1), negative_prompt_embeds=embeds[1:].expand(n, -1, -1),
        num_inference_steps=steps, guidance_scale=guidance, width=width, height=height, generator=generators,
        output_type="latent", **({"callback_on_step_end": _step_callback(on_step)} if on_step else {}),
    ).images


def _step_callback(on_step: Callable[[int], None]):
    """A diffusers `callback_on_step_end` that reports the finished step (1-based) and changes nothing."""

    def callback(pipe, step_index: int, timestep, callback_kwargs: dict) -> dict:
        on_step(step_index + 1)
        return callback_kwargs

    return callback


class _PipeText:
    """The two attributes encode_prompts reads, taken from a pipeline."""

    def __init__(self, pipe) -> None:
        self.tokenizer, self.text_encoder = pipe.tokenizer, pipe.text_encoder


@torch.no_grad()
def decode_latents(pipe, latents: torch.Tensor) -> list[Image.Image]:
    """VAE-decodes latents in the VAE's own dtype (float32 by default) and returns PIL images."""
    return pixels_to_images(pipe, vae_decode(pipe.vae, latents))


def pixels_to_images(pipe, pixels: torch.Tensor) -> list[Image.Image]:
    """PIL images of decoded pixels in [-1, 1] (a NaN pixel would come out black)."""
    return pipe.image_processor.postprocess(pixels.float(), output_type="pil")


def non_finite_seeds(images: torch.Tensor, seeds) -> list[int]:
    """The seeds whose image (latents or pixels, one per seed along dim 0) holds a NaN / Inf value. First one float32
    sum over the batch (NaN / Inf carry through it; latents and pixels are far too small for finite values to overflow
    it): about 4 ms for 16 float32 768 px images on CPU, nothing next to decoding them. Per seed only when it is not finite."""
    if bool(torch.isfinite(images.sum(dtype=torch.float32))):
        return []
    finite = torch.isfinite(images).flatten(1).all(dim=1).tolist()
    return [int(seed) for seed, ok in zip(seeds, finite) if not ok]


def non_finite_error(seeds: list[int], stage: str, lora: str | None, weight: float) -> NonFiniteImageError:
    """The error for images that came out NaN / Inf at `stage` (sampling, VAE decoding), naming the user's LoRA file."""
    which = f"seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
    if lora:
        return NonFiniteImageError(
            f"{lora}: the image came out NaN ({which}, in {stage}): the LoRA holds NaN/Inf weights (a LoRA that "
            f"overflowed in float16 training) or the weight ({weight:g}) is too high. No image was written; try a lower "
            "--weight, or another file.", lora)
    return NonFiniteImageError(
        f"the image came out NaN ({which}, in {stage}) with no LoRA: the base model holds NaN/Inf weights, or a float16 "
        "VAE overflowed (keep vaeFp32 on). No image was written.", None)


@torch.no_grad()
def vae_decode(vae, latents: torch.Tensor) -> torch.Tensor:
    """Pixels in [-1, 1] of `latents` [N, 4, h, w], decoded ONE image at a time (diffusers' VAE slicing) in the
    VAE's own dtype. A batch decode holds every image's activations at once: at 512 px in float32 about
    0.75 GiB per image (memory_estimate), so 16 sample seeds would need 12 GiB on top of the models."""
    scaled = latents.to(vae.device, vae.dtype) / vae.config.scaling_factor
    return torch.cat([vae.decode(one[None], return_dict=False)[0] for one in scaled])
