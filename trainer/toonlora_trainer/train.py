"""toonlora_trainer/train.py — the LoRA training loop (SPEC §2), one readable function of steps.

Follows diffusers examples/text_to_image/train_text_to_image_lora.py (frozen base, PEFT LoRA on the
UNet, LoRA params upcast to fp32, AdamW + get_scheduler, Min-SNR, offset noise) and kohya sd-scripts
(folder repeats, keep-first-token caption shuffling, latent caching, CLIP skip during training).
The optional text-encoder LoRA follows diffusers' examples/dreambooth/train_dreambooth_lora.py
(`--train_text_encoder`: LoRA on the CLIP q/k/v/out projections, its own AdamW parameter group with
`text_encoder_lr`, embeddings computed every step) and kohya's `--text_encoder_lr`.
What a checkpoint records of the run and the checks a --resume makes against it are in resume_checks.py.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from . import checkpoint as ckpt
from .compiled_step import CompileWatch, check_compiler, compile_messages, step_forward
from .config import TrainingConfig, TrainRequest
from .data import (
    Dataset, batch_indices, bucket_counts, load_image_tensor, repeated_indices, shuffle_caption,
)
from .dataset_plan import epochs_of_images, epochs_trained, resolve_steps, scan_for_training
from .dataset_record import dataset_record, trained_folders
from .generate import GenerationCancelled, assemble_pipeline, decode_latents, render_latents
from .losses import compute_snr, min_snr_weights, sample_noise, training_target, weighted_mse
from .models import (
    BaseModel, attach_lora, attach_text_encoder_lora, count_lora, keep_lora_input_dtype, load_base_model, select_device,
)
from .protocol import Cancelled, Checkpoint, Done, Emit, Log, Progress, Sample, TrainingFacts, rate_and_eta
from .memory_estimate import check_gpu_memory, out_of_memory_explained
from .text_embeddings import (
    PREFETCH_CAPTIONS, LiveTextEmbeddings, Placement, PrefetchedTextEmbeddings, encoder_placement, long_caption_warnings,
)
from .resume_checks import ResumePoint, base_identity, find_resume_point, run_settings, stream_settings
from .write_errors import describe_write_failure, is_write_failure

SAMPLE_STEPS = 20


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the run stops and the last good checkpoint stays."""


@dataclass(frozen=True)
class Precision:
    device: torch.device
    weight_dtype: torch.dtype  # frozen base weights
    autocast: bool


def choose_precision(mixed_precision: str, device: torch.device) -> Precision:
    """fp16/bf16 weights + autocast on GPU; everything fp32 on CPU (half precision is slow there)."""
    if device.type != "cuda" or mixed_precision == "no":
        return Precision(device, torch.float32, False)
    return Precision(device, torch.float16 if mixed_precision == "fp16" else torch.bfloat16, True)


def _autocast(precision: Precision):
    """Autocast to the weight dtype on GPU; a no-op context on CPU / full precision (memory_estimate's CPU
    stand-in for a GPU autocasts on the CPU)."""
    return torch.autocast(precision.device.type, dtype=precision.weight_dtype) if precision.autocast else contextlib.nullcontext()


@torch.no_grad()
def encode_latents(base: BaseModel, images: torch.Tensor) -> torch.Tensor:
    """VAE latents (distribution mean, times the scaling factor) of [-1, 1] images."""
    vae = base.vae
    mean = vae.encode(images.to(vae.device, vae.dtype)).latent_dist.mean
    return mean * vae.config.scaling_factor


def cache_all_latents(base: BaseModel, dataset: Dataset, resolution: int) -> list[torch.Tensor]:
    """Every dataset image encoded once at its bucket's size (kohya `cache_latents`); repeats reuse the same latent."""
    return [encode_latents(base, load_image_tensor(item.image_path, resolution, item.bucket)[None])[0] for item in dataset.items]


@dataclass(frozen=True)
class TrainedRun:
    """A finished run as its `done` event reports it (src/worker/protocol.ts trainDoneSchema)."""

    adapter: str  # the PEFT adapter in the run folder; the TypeScript side writes the kohya file from it
    adapter_config: str
    checkpoint: str  # the final checkpoint
    trained_images: list[str]  # the images trained on (those that decoded)
    facts: TrainingFacts  # what the kohya metadata records: folders, repeats, captions, the precision that ran
    steps: int
    epochs: int  # kohya's ss_epoch: the epochs the steps reach, a started one counting
    lora_modules: int
    trainable_params: int
    seconds: float
    text_encoder_adapter: str | None = None  # with trainTextEncoder, and its LoRA's size:
    text_encoder_lora_modules: int = 0
    text_encoder_trainable_params: int = 0

    def done(self) -> Done:
        artifacts: dict[str, object] = {"adapter": self.adapter, "adapter_config": self.adapter_config,
                                        "checkpoint": self.checkpoint, "trained_images": self.trained_images}
        stats: dict[str, float] = {"steps": self.steps, "epochs": self.epochs, "images": len(self.trained_images),
                                   "lora_modules": self.lora_modules, "trainable_params": self.trainable_params,
                                   "seconds": self.seconds}
        if self.text_encoder_adapter is not None:
            artifacts["text_encoder_adapter"] = self.text_encoder_adapter
            stats |= {"text_encoder_lora_modules": self.text_encoder_lora_modules,
                      "text_encoder_trainable_params": self.text_encoder_trainable_params}
        return Done(artifacts=artifacts, stats=stats, facts=self.facts)


def training_facts(dataset: Dataset, precision: Precision) -> TrainingFacts:
    """The `done` event's facts of a run on `dataset` in `precision` (the kohya metadata's dataset and ss_mixed_precision)."""
    folders = trained_folders(dataset)
    return TrainingFacts(folders=folders, triggers=list(dataset.triggers), images=len(dataset.items),
                         images_with_repeats=dataset.repeated_length, mixed_precision=precision_name(precision))


def precision_name(precision: Precision) -> str:
    """The precision the steps ran in, as kohya's ss_mixed_precision names it: `no` without autocast (a CPU run, or
    mixedPrecision no), else `fp16` / `bf16` by the weight dtype."""
    if not precision.autocast:
        return "no"
    return "fp16" if precision.weight_dtype == torch.float16 else "bf16"


@dataclass
class LoopState:
    """Everything a step changes and a checkpoint stores."""

    optimizer: torch.optim.Optimizer
    lr_scheduler: object
    scaler: torch.amp.GradScaler
    generator: torch.Generator  # noise, offsets, timesteps (CPU: reproducible on any device)
    step: int = 0

    def to_checkpoint(self) -> dict:
        return {
            "optimizer": self.optimizer.state_dict(), "lr_scheduler": self.lr_scheduler.state_dict(),
            "scaler": self.scaler.state_dict(), "generator": self.generator.get_state(),
        }

    def restore(self, saved: dict) -> None:
        self.optimizer.load_state_dict(saved["optimizer"])
        self.lr_scheduler.load_state_dict(saved["lr_scheduler"])
        # A checkpoint written with the scaler off (CPU, bf16, fp32) stores {}: a GPU fp16 resume starts a fresh scale.
        if saved["scaler"]:
            self.scaler.load_state_dict(saved["scaler"])
        self.generator.set_state(saved["generator"])
        self.step = int(saved["step"])


@dataclass(frozen=True)
class StepInputs:
    """What every optimizer step reads and none changes: the base, the dataset and its repeated item order, the cached
    latents (None: encoded each step), where the text embeddings come from (make_text_source), the config, the
    precision and the LoRA parameters the update clips."""

    base: BaseModel
    dataset: Dataset
    repeated: list[int]
    latents_cache: list[torch.Tensor] | None
    text_source: object
    config: TrainingConfig
    precision: Precision
    params: list[torch.nn.Parameter]


def diffusion_loss(unet, base: BaseModel, latents, embeddings, *, config: TrainingConfig, generator, precision: Precision):
    """One forward pass: noise (with offset), random timesteps, UNet prediction, Min-SNR-weighted MSE.
    `unet`: the UNet module or its compiled step forward (`step_forward`)."""
    scheduler = base.noise_scheduler
    noise = sample_noise(latents, config.noise_offset, generator)
    timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (latents.shape[0],), generator=generator).to(latents.device)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    target = training_target(latents, noise, timesteps, scheduler, base.prediction_type)
    with _autocast(precision):
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
    dataset_facts = dataset_record(request.dataset_dir, dataset)
    resume_point = find_resume_point(run_dir, config, emit, dataset_facts) if request.resume else None
    # 2. Models: frozen base in the weight dtype, LoRA (fp32) on the UNet attention projections.
    precision = choose_precision(config.mixed_precision, select_device())
    if config.compile:
        check_compiler(precision.device)
    if precision.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes (one per bucket): pick the fastest conv kernels once each
    torch.manual_seed(config.seed)
    base = load_base_model(config.base_model, request.sd15_config_dir)
    for warning in long_caption_warnings(base.tokenizer, dataset.items, config.shuffle_captions):
        emit(Log("warn", warning))
    check_gpu_memory(config, base, precision, emit)
    os.makedirs(run_dir, exist_ok=True)  # only now: a run that fails on its inputs leaves no empty folder behind
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
    last_checkpoint = _restore(resume_point, unet, text_encoder, state, emit) if resume_point else None
    checkpointed_step = state.step if resume_point else None  # a checkpoint at this step is on disk: not written again
    save = functools.partial(_checkpoint, run_dir, unet, text_encoder, config=config, dataset_facts=dataset_facts, state=state,
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
    adapter_path = _save_final_adapter(unet, run_dir, config.base_model, final_checkpoint)
    te_adapter_path = None if text_encoder is None else _save_final_adapter(
        text_encoder, os.path.join(run_dir, ckpt.TEXT_ENCODER_DIR), config.base_model, final_checkpoint)
    # facts: the folders, repeats and captions this run trained on (the images that decoded) and the precision that ran,
    # which the TypeScript side writes the kohya metadata from (ss_num_train_images, ss_dataset_dirs, ss_tag_frequency)
    emit(TrainedRun(adapter=adapter_path, adapter_config=os.path.join(run_dir, ckpt.ADAPTER_CONFIG), checkpoint=final_checkpoint,
                    trained_images=[item.image_path for item in dataset.items], facts=training_facts(dataset, precision), steps=state.step,
                    epochs=epochs_trained(config, dataset, state.step), lora_modules=modules, trainable_params=n_params,
                    seconds=time.perf_counter() - started, text_encoder_adapter=te_adapter_path,
                    text_encoder_lora_modules=te_modules, text_encoder_trainable_params=te_n_params).done())


def _save_final_adapter(model, folder: str, base_model: str, final_checkpoint: str) -> str:
    """The run's PEFT adapter (ckpt.save_adapter, atomic); a failed write raises OutputWriteError naming the final
    checkpoint, from which --resume writes it again."""
    try:
        return ckpt.save_adapter(model, folder, base_model)
    except Exception as error:
        if not is_write_failure(error):
            raise
        raise describe_write_failure(error, folder, f"the LoRA adapter {ckpt.ADAPTER_WEIGHTS}", final_checkpoint) from error


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


def _count(n: float, noun: str) -> str:
    """`1 epoch`, `2.5 epochs`, `60 steps`."""
    return f"{n:g} {noun}" if n == 1 else f"{n:g} {noun}s"


def plan_lines(config: TrainingConfig, dataset: Dataset) -> list[str]:
    """What the run will do, logged once at the start: data, length, samples, the text-embedding cache."""
    repeats = sorted({item.repeats for item in dataset.items})
    per_epoch = dataset.repeated_length
    # the epochs the kohya file records (ss_epoch, a started one counting), from the one function that counts them
    epochs = epochs_trained(config, dataset, config.steps)
    worth = epochs_of_images(config, dataset, config.steps)
    partial = f" (the last one partly: {float(worth):.3g} epochs of images)" if worth < epochs else ""
    lines = [
        f"dataset: {_count(len(dataset.items), 'image')}, repeats {'/'.join(map(str, repeats))}, {per_epoch} images per epoch; "
        f"{_count(config.steps, 'step')} = {_count(epochs, 'epoch')}{partial} at batch {config.batch_size} x accumulation "
        f"{config.gradient_accumulation}"
    ]
    counts = bucket_counts(dataset, config.resolution)
    if len(counts) > 1:
        sizes = ", ".join(f"{w}x{h} ({n})" for (w, h), n in counts.items())
        lines.append(f"aspect-ratio buckets (images each): {sizes}" + ("; a batch holds one bucket" if config.batch_size > 1 else "")
                     + ("; compile makes one graph per bucket size" if config.compile else ""))
    if config.sample_every_steps:
        prompts = sample_prompts(config, dataset)
        folders = len({item.folder_tokens or item.trigger for item in dataset.items})
        skipped = (f" (the first {len(prompts)} of {folders} concept folders; samplePrompts sets others)"
                   if not config.sample_prompts and folders > len(prompts) else "")
        lines.append(f"samples every {config.sample_every_steps} steps: prompts {prompts}{skipped}, seeds {list(config.sample_seeds)}")
    if not config.train_text_encoder:
        shuffled = "shuffled captions" if config.shuffle_captions else "captions"
        lines.append(f"text embeddings: the coming steps' {shuffled} are encoded {PREFETCH_CAPTIONS} at a time, and on a GPU "
                     "the frozen text encoder waits in CPU memory in between"
                     + ("; image latents are cached once" if config.cache_latents else "; image latents are encoded every step"))
    return lines


def sample_prompts(config: TrainingConfig, dataset: Dataset) -> list[str]:
    """The sample images' prompts: samplePrompts, else one per concept folder (Dataset.sample_prompts)."""
    return list(config.sample_prompts) or list(dataset.sample_prompts)


def _make_loop_state(config: TrainingConfig, params, precision: Precision) -> LoopState:
    """`params`: AdamW parameter groups (UNet LoRA at learning_rate, text-encoder LoRA at its own rate)."""
    from diffusers.optimization import get_scheduler

    # fused AdamW on GPU: one kernel for all 256 LoRA tensors instead of several per tensor (launch-bound at batch 1)
    fused = precision.device.type == "cuda"
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, betas=(0.9, 0.999), weight_decay=1e-2, eps=1e-8, fused=fused)
    # diffusers' "constant" ignores num_warmup_steps (kohya refuses the pair): a warmup asked for is a warmup done
    name = "constant_with_warmup" if config.lr_scheduler == "constant" and config.lr_warmup_steps > 0 else config.lr_scheduler
    lr_scheduler = get_scheduler(name, optimizer, num_warmup_steps=config.lr_warmup_steps, num_training_steps=config.steps)
    # Loss scaling only for float16 (bf16 has float32's exponent range and needs none).
    scaler = torch.amp.GradScaler("cuda", enabled=precision.autocast and precision.weight_dtype == torch.float16)
    generator = torch.Generator("cpu").manual_seed(config.seed)
    return LoopState(optimizer, lr_scheduler, scaler, generator)


def _restore(point: ResumePoint, unet, text_encoder, state: LoopState, emit: Emit) -> str:
    """Loads the checkpoint's adapter weights into the models and its loop state; returns its folder."""
    ckpt.load_adapter_weights(unet, point.folder)
    if text_encoder is not None:
        ckpt.load_adapter_weights(text_encoder, os.path.join(point.folder, ckpt.TEXT_ENCODER_DIR))
    state.restore(point.saved)
    emit(Log("info", f"resumed from {point.folder} at step {state.step}"))
    return point.folder


def _optimizer_step(unet, inputs: StepInputs, state: LoopState) -> torch.Tensor:
    """One optimizer step over `gradient_accumulation` micro-batches; returns the mean loss, a 0-dim tensor on
    the device (reading it waits for the GPU: the caller does that once per step). `unet`: what `step_forward` returned."""
    config, dataset = inputs.config, inputs.dataset
    total = torch.zeros((), device=inputs.precision.device)
    for micro in range(config.gradient_accumulation):
        indices, stream_start = _micro_batch(dataset, inputs.repeated, config, state.step, micro)
        latents = _batch_latents(inputs.base, dataset, indices, inputs.latents_cache, config.resolution)
        embeddings = inputs.text_source.get(_batch_captions(dataset, indices, config, stream_start))
        loss = diffusion_loss(unet, inputs.base, latents, embeddings, config=config, generator=state.generator, precision=inputs.precision)
        state.scaler.scale(loss / config.gradient_accumulation).backward()
        total += loss.detach().float() / config.gradient_accumulation
    apply_gradients(state, inputs.params)
    return total


def apply_gradients(state: LoopState, params) -> bool:
    """The update from the accumulated gradients: unscaled, clipped to norm 1, the optimizer step through the loss
    scaler, then the learning-rate schedule, but only when the optimizer really stepped. With fp16 loss scaling a
    step whose gradients hold inf / NaN is skipped by GradScaler.step, and update() lowers the scale; advancing the
    schedule anyway would run it ahead of the updates made. A skipped step is told as accelerate tells it
    (accelerate/optimizer.py AcceleratedOptimizer.step: `scale_after < scale_before` sets `step_was_skipped`, and
    accelerate/scheduler.py AcceleratedScheduler.step returns without stepping when it is set). Without the scaler
    (CPU, bf16, fp32) the scale stays 1.0 and every step counts. Returns whether the optimizer stepped."""
    scale_before = state.scaler.get_scale()
    state.scaler.unscale_(state.optimizer)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    state.scaler.step(state.optimizer)
    state.scaler.update()
    stepped = state.scaler.get_scale() >= scale_before
    if stepped:
        state.lr_scheduler.step()
    state.optimizer.zero_grad(set_to_none=True)
    return stepped


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


def _batch_latents(base, dataset, indices, latents_cache, resolution) -> torch.Tensor:
    """The micro-batch's latents (its images share one bucket: data.batch_indices)."""
    if latents_cache is not None:
        return torch.stack([latents_cache[i] for i in indices])
    images = torch.stack([load_image_tensor(dataset.items[i].image_path, resolution, dataset.items[i].bucket) for i in indices])
    return encode_latents(base, images)


def _micro_batch(dataset: Dataset, repeated: list[int], config: TrainingConfig, step: int, micro: int) -> tuple[list[int], int]:
    """The dataset items of micro-batch `micro` of optimizer step `step`, and the position of its first item in the
    endless, epoch-shuffled stream (its captions' shuffle depends on it). The step and step_captions both use this,
    so the prefetched captions are the ones the step asks for."""
    stream_start = (step * config.gradient_accumulation + micro) * config.batch_size
    return batch_indices(repeated, config.seed, stream_start, config.batch_size, dataset.buckets), stream_start


def step_captions(dataset: Dataset, repeated: list[int], config: TrainingConfig, step: int) -> list[str]:
    """Every caption optimizer step `step` trains on (all its micro-batches), shuffled as the step shuffles them."""
    captions = []
    for micro in range(config.gradient_accumulation):
        indices, stream_start = _micro_batch(dataset, repeated, config, step, micro)
        captions += _batch_captions(dataset, indices, config, stream_start)
    return captions


def make_text_source(base: BaseModel, config: TrainingConfig, precision: Precision, *, dataset: Dataset, repeated: list[int],
                     state: LoopState, place: Placement | None):
    """Where `_optimizer_step` gets text embeddings (text_embeddings.py): live with gradients when the text
    encoder trains; else prefetched for the coming steps (about PREFETCH_CAPTIONS captions from `state.step` on).
    `place` moves the frozen encoder between refills: text_embeddings.encoder_placement (off the GPU), or
    memory_estimate's stand-in, which counts the move instead of making it."""
    if config.train_text_encoder:
        return LiveTextEmbeddings(base, config.clip_skip, precision.device, lambda: _autocast(precision))
    ahead = max(1, PREFETCH_CAPTIONS // (config.batch_size * config.gradient_accumulation))

    def upcoming() -> list[str]:
        last = min(config.steps, state.step + ahead)
        return [caption for step in range(state.step, last) for caption in step_captions(dataset, repeated, config, step)]

    return PrefetchedTextEmbeddings(base, config.clip_skip, precision.device, precision.weight_dtype, upcoming, place)


def _batch_captions(dataset: Dataset, indices: list[int], config: TrainingConfig, stream_start: int) -> list[str]:
    captions = []
    for k, i in enumerate(indices):
        item = dataset.items[i]
        if config.shuffle_captions:
            rng = random.Random(config.seed * 7919 + stream_start + k)  # pure in (seed, position): resumable
            captions.append(shuffle_caption(item.caption, item.trigger, rng))
        else:
            captions.append(item.caption)
    return captions


def _report_progress(emit: Emit, state: LoopState, config: TrainingConfig, loss: float, started: float, first_step: int) -> None:
    it_per_s, eta_s = rate_and_eta(state.step - first_step, config.steps - state.step, started)
    emit(Progress(state.step, config.steps, loss, float(state.lr_scheduler.get_last_lr()[0]), it_per_s, eta_s))


def _checkpoint(run_dir, unet, text_encoder, *, config: TrainingConfig, dataset_facts: dict, state: LoopState, emit: Emit) -> str:
    saved = {**state.to_checkpoint(), "settings": run_settings(config), "stream_settings": stream_settings(config),
             "total_steps": config.steps, "dataset": dataset_facts, "base_model": base_identity(config.base_model)}
    path = ckpt.save_checkpoint(run_dir, state.step, unet, config.base_model, saved, text_encoder)
    emit(Checkpoint(state.step, path))
    if config.keep_checkpoints:
        removed = ckpt.prune_checkpoints(run_dir, config.keep_checkpoints, path)
        if removed:
            names = ", ".join(os.path.basename(p) for p in removed)
            emit(Log("info", f"removed the older checkpoint(s) {names}: keepCheckpoints {config.keep_checkpoints} keeps the newest"))
    return path


def _emit_samples(unet, text_encoder, base: BaseModel, dataset: Dataset, *, config: TrainingConfig, precision: Precision, step: int,
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
    autocast = _autocast(precision)
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
                latents = render_latents(pipe, prompt, "", seeds, steps=SAMPLE_STEPS, guidance=7.0, width=config.resolution,
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
