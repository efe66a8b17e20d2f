"""toonlora_trainer/training_samples.py — the sample images a run renders every sampleEverySteps: fixed prompts and
seeds (comparable from one sample to the next), the parked VAE / text encoder brought onto the GPU for them, a stop
request honoured within a sampling step, and a failed PNG write reported with the newest checkpoint."""

from __future__ import annotations

import contextlib
import os
from typing import Callable

from . import checkpoint as ckpt
from .config import SAMPLE_GUIDANCE_SCALE, SAMPLE_STEPS, TrainingConfig
from .dataset_items import Dataset
from .generate import GenerationCancelled
from .models import BaseModel
from .pipeline import assemble_pipeline, decode_latents, render_latents
from .precision import Precision, autocast_context
from .protocol import Emit, Sample
from .write_errors import describe_write_failure


def sample_prompts(config: TrainingConfig, dataset: Dataset) -> list[str]:
    """The sample images' prompts: samplePrompts, else one per concept folder (Dataset.sample_prompts)."""
    return list(config.sample_prompts) or list(dataset.sample_prompts)


def emit_samples(unet, text_encoder, base: BaseModel, dataset: Dataset, *, config: TrainingConfig, precision: Precision, step: int,
                 run_dir: str, emit: Emit, should_stop: Callable[[], bool] = lambda: False) -> None:
    """Sample images with fixed seeds (the same every time, so progress is comparable) and the trigger prompt.
    `should_stop` is asked after every sampling step (diffusers' `callback_on_step_end`, as GenerationSession does):
    a stop request abandons the samples not yet saved, so a Ctrl-C during a long render checkpoints within a
    sampling step instead of after every image. A failed save (a full disk) removes the partial PNG and raises
    OutputWriteError naming the folder and the newest checkpoint."""
    prompts = sample_prompts(config, dataset)
    unet.eval()
    if text_encoder is not None:
        text_encoder.eval()
    autocast = autocast_context(precision)
    # The VAE (cached latents) and the frozen text encoder (prefetched embeddings) wait off the GPU; the samples
    # need both there. No pipe.to(): it would cast the fp32 LoRA weights down to the base's dtype mid-training.
    parked = {model: model.device for model in (base.vae, base.text_encoder)}
    paths: list[str] = []

    def on_step(sampling_step: int) -> None:
        if should_stop():
            raise GenerationCancelled(sampling_step)

    try:
        for model in parked:
            model.to(precision.device)
        pipe = assemble_pipeline(base)
        folder = os.path.join(run_dir, "samples")
        os.makedirs(folder, exist_ok=True)
        seeds = list(config.sample_seeds)
        for p, prompt in enumerate(prompts):
            with autocast:
                latents = render_latents(pipe, prompt, "", seeds, steps=SAMPLE_STEPS, guidance=SAMPLE_GUIDANCE_SCALE,
                                         width=config.resolution,
                                         height=config.resolution, clip_skip=config.clip_skip, on_step=on_step)
            for seed, image in zip(seeds, decode_latents(pipe, latents)):
                path = os.path.join(folder, f"step-{step:06d}-{p}-seed{seed}.png")
                _save_sample(image, path, run_dir)
                paths.append(path)
        emit(Sample(step, paths))
    except GenerationCancelled:
        if paths:
            emit(Sample(step, paths))  # the ones saved before the stop
    finally:
        for model, device in parked.items():
            model.to(device)
        unet.train()
        if text_encoder is not None:
            text_encoder.train()


def _save_sample(image, path: str, run_dir: str) -> None:
    """Saves one sample PNG; a failed write removes the partial file and raises OutputWriteError."""
    try:
        image.save(path)
    except OSError as error:
        failure = describe_write_failure(error, os.path.dirname(path), f"sample image {os.path.basename(path)}",
                                         ckpt.latest_checkpoint(run_dir))
        with contextlib.suppress(OSError):
            os.remove(path)
        raise failure from error
