"""toonlora_trainer/train.py — the LoRA training loop (SPEC §2): run_training, read as steps, and the optimizer step
(noise, timesteps, UNet prediction, Min-SNR loss, update).

Follows diffusers examples/text_to_image/train_text_to_image_lora.py (frozen base, PEFT LoRA on the
UNet, LoRA params upcast to fp32, AdamW + get_scheduler, Min-SNR, offset noise) and kohya sd-scripts
(folder repeats, keep-first-token caption shuffling, latent caching, CLIP skip during training).
The optional text-encoder LoRA follows diffusers' examples/dreambooth/train_dreambooth_lora.py
(`--train_text_encoder`: LoRA on the CLIP q/k/v/out projections, its own AdamW parameter group with
`text_encoder_lr`, embeddings computed every step) and kohya's `--text_encoder_lr`.
The rest of a run lives beside it: precision.py (device, dtype, autocast), trainable_models.py (the UNet and text
encoder set up for training), loop_state.py (optimizer, schedule, loss scaler, generator; the update; resume),
step_batches.py (each step's images and captions), training_samples.py (sample images), run_outputs.py
(checkpoints, the final adapter, `done`), run_plan.py (the start log). What a checkpoint records of the run and the
checks a --resume makes against it are in resume_checks.py.
"""

from __future__ import annotations

import functools
import math
import os
import time
from typing import Callable

import torch

from . import checkpoint as ckpt
from .batch_order import repeated_indices
from .compiled_step import CompileWatch, check_compiler, compile_messages, step_forward
from .config import TrainingConfig, TrainRequest
from .cpu_threads import apply_cpu_threads
from .dataset_items import Dataset
from .dataset_plan import epochs_trained, resolve_steps, scan_for_training
from .dataset_record import dataset_record, image_hashes, read_image_hashes, write_image_hashes
from .image_tensors import load_image_tensor
from .loop_state import LoopState, apply_gradients, make_loop_state, restore_loop_state
from .lora_adapters import count_lora
from .losses import compute_snr, min_snr_weights, sample_noise, training_target, weighted_mse
from .memory_estimate import check_gpu_memory, out_of_memory_explained
from .models import BaseModel, load_base_model, select_device
from .precision import Precision, autocast_context, choose_precision
from .prompt_encoding import prompt_token_limit
from .protocol import Cancelled, Emit, Log, Progress, rate_and_eta
from .resume_checks import find_resume_point
from .run_outputs import TrainedRun, save_final_adapter, save_run_checkpoint, training_facts
from .run_plan import plan_lines
from .step_batches import StepInputs, batch_captions, micro_batch, step_captions
from .text_embeddings import PREFETCH_CAPTIONS, LiveTextEmbeddings, Placement, PrefetchedTextEmbeddings, encoder_placement, long_caption_warnings
from .trainable_models import prepare_text_encoder, prepare_unet
from .training_samples import emit_samples

# run_training and the step look these up here when they run, so tests can patch them on this module.
_make_loop_state = make_loop_state
_emit_samples = emit_samples


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the run stops and the last good checkpoint stays."""


@torch.no_grad()
def encode_latents(base: BaseModel, images: torch.Tensor) -> torch.Tensor:
    """VAE latents (distribution mean, times the scaling factor) of [-1, 1] images."""
    vae = base.vae
    mean = vae.encode(images.to(vae.device, vae.dtype)).latent_dist.mean
    return mean * vae.config.scaling_factor


def cache_all_latents(base: BaseModel, dataset: Dataset, resolution: int) -> list[torch.Tensor]:
    """Every dataset image encoded once at its bucket's size (kohya `cache_latents`); repeats reuse the same latent."""
    return [encode_latents(base, load_image_tensor(item.image_path, resolution, item.bucket)[None])[0] for item in dataset.items]


def diffusion_loss(unet, base: BaseModel, latents, embeddings, *, config: TrainingConfig, generator, precision: Precision):
    """One forward pass: noise (with offset), random timesteps, UNet prediction, Min-SNR-weighted MSE.
    `unet`: the UNet module or its compiled step forward (`step_forward`)."""
    scheduler = base.noise_scheduler
    noise = sample_noise(latents, config.noise_offset, generator)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (latents.shape[0],), generator=generator).to(latents.device)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    target = training_target(latents, noise, timesteps, scheduler, base.prediction_type)
    with autocast_context(precision):
        prediction = unet(noisy.to(precision.weight_dtype), timesteps, embeddings).sample
    weights = min_snr_weights(compute_snr(scheduler.alphas_cumprod, timesteps), config.snr_gamma, base.prediction_type)
    return weighted_mse(prediction, target, weights)


def run_training(request: TrainRequest, emit: Emit, should_stop: Callable[[], bool]) -> None:
    """Trains the LoRA described by `request`, emitting progress/sample/checkpoint events and `done`.

    Raises before any model loads: DatasetError, ConfigError, and for --resume FileNotFoundError / ConfigError naming
    the checkpoint; then ModelMissingError for a base that is not there; NonFiniteLossError when the loss diverges
    and GpuOutOfMemoryError when the GPU runs out (the last checkpoint is kept). On a GPU it first
    logs the estimated peak memory against the free memory. On `should_stop()` it checkpoints and emits `cancelled`.
    """
    config, run_dir = request.config, request.run_dir
    # 1. Data: kohya folders, repeats from folder names, each image in its aspect-ratio bucket (or centre-cropped square).
    dataset, warnings = scan_for_training(request.dataset_dir, config)  # what `scan-dataset` reports to a dry run
    for warning in warnings:
        emit(Log("warn", warning))
    config = resolve_steps(config, dataset)
    for line in plan_lines(config, dataset):
        emit(Log("info", line))
    # the images' hashes (the --resume check's): those the run folder kept for unchanged files, the rest read
    hashes = image_hashes((item.image_path for item in dataset.items), read_image_hashes(run_dir))
    dataset_facts = dataset_record(request.dataset_dir, dataset, hashes)
    resume_point = find_resume_point(run_dir, config, emit, dataset_facts) if request.resume else None
    # 2. Models: frozen base in the weight dtype, LoRA (fp32) on the UNet attention projections.
    precision = choose_precision(config.mixed_precision, select_device())
    if config.compile:
        check_compiler(precision.device)
    if precision.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes (one per bucket): pick the fastest conv kernels once each
    torch.manual_seed(config.seed)
    base = load_base_model(config.base_model, request.sd15_config_dir)
    if (threads_line := apply_cpu_threads(precision.device, base.unet)) is not None:
        emit(Log("info", threads_line))
    for warning in long_caption_warnings(base.tokenizer, dataset.items, config.shuffle_captions):
        emit(Log("warn", warning))
    check_gpu_memory(config, base, precision, emit)
    os.makedirs(run_dir, exist_ok=True)  # only now: a run that fails on its inputs leaves no empty folder behind
    write_image_hashes(run_dir, hashes)
    base.vae.requires_grad_(False).to(precision.device, torch.float32)
    unet = base.unet
    lora_params = prepare_unet(unet, config, precision)
    te_params = prepare_text_encoder(base.text_encoder, config, precision)
    text_encoder = base.text_encoder if config.train_text_encoder else None
    forward = step_forward(unet, config, precision, emit)
    modules, n_params = count_lora(unet)
    adapter = "LoKr" if config.lora.algorithm == "lokr" else "LoRA"
    emit(Log("info", f"{adapter}: {modules} modules, {n_params:,} trainable parameters on {precision.device} ({precision.weight_dtype})"))
    te_modules, te_n_params = count_lora(text_encoder) if text_encoder is not None else (0, 0)
    if text_encoder is not None:
        emit(Log("info", f"text-encoder {adapter}: {te_modules} modules, {te_n_params:,} trainable parameters, lr {config.text_encoder_learning_rate:g}"))
    # 3. Caches: latents once; text embeddings ahead of the steps when the text encoder is frozen, else every step.
    latents_cache = cache_all_latents(base, dataset, config.resolution) if config.cache_latents else None
    if latents_cache is not None:
        base.vae.to("cpu")  # cached: the VAE leaves the GPU (only sample images need it, briefly)
    # 4. Optimizer (one parameter group per model, each with its own rate), schedule, resume.
    groups = [{"params": lora_params, "lr": config.learning_rate}]
    if te_params:
        groups.append({"params": te_params, "lr": config.text_encoder_learning_rate})
    state = _make_loop_state(config, groups, precision)
    repeated = repeated_indices(dataset)
    text_source = make_text_source(base, config, precision, dataset=dataset, repeated=repeated, state=state,
                                   place=encoder_placement(base.text_encoder, precision.device))
    # After --resume, the checkpoint resumed from is the last good one until a newer one is written.
    last_checkpoint = restore_loop_state(resume_point, unet, text_encoder, state, emit) if resume_point else None
    checkpointed_step = state.step if resume_point else None  # a checkpoint at this step is on disk: not written again
    save = functools.partial(save_run_checkpoint, run_dir, unet, text_encoder, config=config, dataset_facts=dataset_facts, state=state,
                             emit=emit)
    inputs = StepInputs(base, dataset, repeated, latents_cache, text_source, config, precision, lora_params + te_params)
    started, first_step = time.perf_counter(), state.step
    compile_watch = CompileWatch.start() if forward is not unet else None
    while state.step < config.steps:
        if should_stop():
            if state.step == 0:  # no step trained: nothing to resume, and the run folder stays free for a new run
                emit(Log("info", "stopped before the first step; nothing to resume, run again"))
                emit(Cancelled(0, None))
                return
            path = last_checkpoint if checkpointed_step == state.step else save()
            emit(Cancelled(state.step, path))
            return
        with out_of_memory_explained(f"in training step {state.step + 1}", last_checkpoint):
            if compile_watch is not None:  # the first compiled step: a compiler failure falls back to eager
                forward, loss = _first_compiled_step(forward, unet, inputs, state, emit)
            else:
                loss = float(_optimizer_step(forward, inputs, state))
        state.step += 1
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"loss became {loss} at step {state.step}; the run stopped. Last good checkpoint: {last_checkpoint or 'none'}. "
                "Lower --lr or use mixedPrecision bf16/no."
            )
        _report_progress(emit, state, config, loss, started, first_step)
        if compile_watch is not None:  # after the first step, which compiled: what it did
            if forward is not unet:
                for event in compile_messages(compile_watch.since(), precision.device.type == "cuda"):
                    emit(event)
            compile_watch = None
        if config.sample_every_steps and state.step % config.sample_every_steps == 0:
            with out_of_memory_explained(f"rendering the sample images after step {state.step}", last_checkpoint):
                _emit_samples(unet, text_encoder, base, dataset, config=config, precision=precision, step=state.step, run_dir=run_dir,
                              emit=emit, should_stop=should_stop)
        if config.checkpoint_every_steps and state.step % config.checkpoint_every_steps == 0 and state.step < config.steps:
            last_checkpoint, checkpointed_step = save(), state.step
    # 5. Output: the PEFT adapter in the run folder (+ text_encoder/ when trained; the TypeScript side writes
    #    the kohya file, lora_unet_ and lora_te_ modules, from it). A --resume of a run whose last checkpoint is
    #    at the final step (its adapter or kohya file was never written: a full disk) only writes them.
    final_checkpoint = last_checkpoint if checkpointed_step == state.step else save()
    adapter_path = save_final_adapter(unet, run_dir, config.base_model, final_checkpoint)
    te_adapter_path = None if text_encoder is None else save_final_adapter(
        text_encoder, os.path.join(run_dir, ckpt.TEXT_ENCODER_DIR), config.base_model, final_checkpoint)
    # facts: the folders, repeats and captions this run trained on (the images that decoded) and the precision that ran,
    # and what the UNet learnt to predict (modelspec.prediction_type), which the TypeScript side writes the kohya metadata
    # from (ss_num_train_images, ss_dataset_dirs, ss_tag_frequency, ss_bucket_info)
    facts = training_facts(dataset, precision, prediction_type=base.prediction_type, max_token_length=prompt_token_limit(base.tokenizer))
    emit(TrainedRun(adapter=adapter_path, adapter_config=os.path.join(run_dir, ckpt.ADAPTER_CONFIG), checkpoint=final_checkpoint,
                    trained_images=[item.image_path for item in dataset.items], facts=facts, steps=state.step,
                    epochs=epochs_trained(config, dataset, state.step), lora_modules=modules, trainable_params=n_params,
                    seconds=time.perf_counter() - started, text_encoder_adapter=te_adapter_path,
                    text_encoder_lora_modules=te_modules, text_encoder_trainable_params=te_n_params).done())


def _optimizer_step(unet, inputs: StepInputs, state: LoopState) -> torch.Tensor:
    """One optimizer step over `gradient_accumulation` micro-batches; returns the mean loss, a 0-dim tensor on
    the device (reading it waits for the GPU: the caller does that once per step). `unet`: what `step_forward` returned."""
    config, dataset = inputs.config, inputs.dataset
    total = torch.zeros((), device=inputs.precision.device)
    for micro in range(config.gradient_accumulation):
        indices, stream_start = micro_batch(dataset, inputs.repeated, config, state.step, micro)
        latents = _batch_latents(inputs.base, dataset, indices, inputs.latents_cache, config.resolution)
        embeddings = inputs.text_source.get(batch_captions(dataset, indices, config, stream_start))
        loss = diffusion_loss(unet, inputs.base, latents, embeddings, config=config, generator=state.generator, precision=inputs.precision)
        state.scaler.scale(loss / config.gradient_accumulation).backward()
        total += loss.detach().float() / config.gradient_accumulation
    apply_gradients(state, inputs.params)
    return total


def _first_compiled_step(forward, unet, inputs: StepInputs, state: LoopState, emit: Emit):
    """The first step with the compiled UNet, where torch.compile builds its graphs and kernels. If that fails
    (a compiler or Triton problem on this machine, an op inductor cannot lower), the run goes on eager: the
    same step again from the same random state, after a warning naming the error. Returns (forward, loss)."""
    generator_state = state.generator.get_state()
    try:
        return forward, float(_optimizer_step(forward, inputs, state))
    except torch.OutOfMemoryError:
        raise
    except Exception as error:  # compile errors come as many types (dynamo, inductor, the C compiler's)
        first_line = next((line for line in str(error).splitlines() if line.strip()), type(error).__name__)
        emit(Log("warn", f"compile: torch.compile failed on the first step ({type(error).__name__}: {first_line[:300]}); "
                         "this run trains eager instead (training.compile false skips the attempt)"))
        state.optimizer.zero_grad(set_to_none=True)
        state.generator.set_state(generator_state)
        return unet, float(_optimizer_step(unet, inputs, state))


def _report_progress(emit: Emit, state: LoopState, config: TrainingConfig, loss: float, started: float, first_step: int) -> None:
    it_per_s, eta_s = rate_and_eta(state.step - first_step, config.steps - state.step, started)
    emit(Progress(state.step, config.steps, loss, float(state.lr_scheduler.get_last_lr()[0]), it_per_s, eta_s))


def _batch_latents(base, dataset, indices, latents_cache, resolution) -> torch.Tensor:
    """The micro-batch's latents (its images share one bucket: batch_order.batch_indices)."""
    if latents_cache is not None:
        return torch.stack([latents_cache[i] for i in indices])
    images = torch.stack([load_image_tensor(dataset.items[i].image_path, resolution, dataset.items[i].bucket) for i in indices])
    return encode_latents(base, images)


def make_text_source(base: BaseModel, config: TrainingConfig, precision: Precision, *, dataset: Dataset, repeated: list[int],
                     state: LoopState, place: Placement | None):
    """Where `_optimizer_step` gets text embeddings (text_embeddings.py): live with gradients when the text
    encoder trains; else prefetched for the coming steps (about PREFETCH_CAPTIONS captions from `state.step` on).
    `place` moves the frozen encoder between refills: text_embeddings.encoder_placement (off the GPU), or
    memory_estimate's stand-in, which counts the move instead of making it."""
    if config.train_text_encoder:
        return LiveTextEmbeddings(base, config.clip_skip, precision.device, lambda: autocast_context(precision))
    ahead = max(1, PREFETCH_CAPTIONS // (config.batch_size * config.gradient_accumulation))

    def upcoming() -> list[str]:
        last = min(config.steps, state.step + ahead)
        return [caption for step in range(state.step, last) for caption in step_captions(dataset, repeated, config, step)]

    return PrefetchedTextEmbeddings(base, config.clip_skip, precision.device, precision.weight_dtype, upcoming, place)

