"""toonlora_trainer/loop_state.py — what an optimizer step changes and a checkpoint stores: the AdamW optimizer,
the learning-rate schedule, the fp16 loss scaler and the noise generator; the update from accumulated gradients;
restoring all of it (and the adapter weights) from a --resume checkpoint."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from . import checkpoint as ckpt
from .config import TrainingConfig
from .precision import Precision
from .protocol import Emit, Log
from .resume_checks import ResumePoint


MAX_GRAD_NORM = 1.0  # gradients are clipped to this norm before each update (kohya's --max_grad_norm default)
# The optimizer as kohya's ss_optimizer names one (`module.Class`; its settings are torch's defaults, so no `(args)`).
OPTIMIZER_NAME = f"{torch.optim.AdamW.__module__}.{torch.optim.AdamW.__name__}"


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


def make_loop_state(config: TrainingConfig, params, precision: Precision) -> LoopState:
    """`params`: AdamW parameter groups (UNet LoRA at learning_rate, text-encoder LoRA at its own rate)."""
    from diffusers.optimization import get_scheduler

    # fused AdamW on GPU: one kernel for all 256 LoRA tensors instead of several per tensor (launch-bound at batch 1)
    fused = precision.device.type == "cuda"
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, betas=(0.9, 0.999), weight_decay=1e-2, eps=1e-8, fused=fused)
    # diffusers' "constant" ignores num_warmup_steps (kohya refuses the pair): a warmup asked for is a warmup done
    name = "constant_with_warmup" if config.lr_scheduler == "constant" and config.lr_warmup_steps > 0 else config.lr_scheduler
    # num_cycles: only cosine_with_restarts reads it (diffusers get_scheduler); without it that schedule was one cosine
    lr_scheduler = get_scheduler(name, optimizer, num_warmup_steps=config.lr_warmup_steps, num_training_steps=config.steps,
                                 num_cycles=config.lr_scheduler_num_cycles)
    # Loss scaling only for float16 (bf16 has float32's exponent range and needs none).
    scaler = torch.amp.GradScaler("cuda", enabled=precision.autocast and precision.weight_dtype == torch.float16)
    generator = torch.Generator("cpu").manual_seed(config.seed)
    return LoopState(optimizer, lr_scheduler, scaler, generator)


def restore_loop_state(point: ResumePoint, unet, text_encoder, state: LoopState, emit: Emit) -> str:
    """Loads the checkpoint's adapter weights into the models and its loop state; returns its folder."""
    ckpt.load_adapter_weights(unet, point.folder)
    if text_encoder is not None:
        ckpt.load_adapter_weights(text_encoder, os.path.join(point.folder, ckpt.TEXT_ENCODER_DIR))
    state.restore(point.saved)
    emit(Log("info", f"resumed from {point.folder} at step {state.step}"))
    return point.folder


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
    torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
    state.scaler.step(state.optimizer)
    state.scaler.update()
    stepped = state.scaler.get_scale() >= scale_before
    if stepped:
        state.lr_scheduler.step()
    state.optimizer.zero_grad(set_to_none=True)
    return stepped
