"""trainer/tests/test_skipped_steps.py — with fp16 loss scaling, a step whose gradients overflow is skipped by the
GradScaler, and the learning-rate schedule must not advance over it (loop_state.apply_gradients, as accelerate's
AcceleratedScheduler skips a step the optimizer skipped)."""

from __future__ import annotations

import torch
from diffusers.optimization import get_scheduler

from toonlora_trainer.loop_state import LoopState, apply_gradients


def _state(enabled: bool = True) -> tuple[LoopState, torch.nn.Parameter]:
    param = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.AdamW([param], lr=0.1)
    schedule = get_scheduler("linear", optimizer, num_warmup_steps=0, num_training_steps=10)
    # the CPU scaler works as CUDA's: it finds inf / NaN gradients on unscale, skips the step and halves the scale
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8, enabled=enabled)
    return LoopState(optimizer, schedule, scaler, torch.Generator("cpu").manual_seed(0)), param


def _backward(state: LoopState, param: torch.nn.Parameter, factor: float) -> None:
    state.scaler.scale((param * torch.tensor([factor, 1.0, 1.0])).sum()).backward()


def test_a_step_with_an_inf_gradient_advances_neither_the_weights_nor_the_schedule():
    state, param = _state()
    lr = state.lr_scheduler.get_last_lr()[0]
    _backward(state, param, float("inf"))  # a forced overflow
    assert apply_gradients(state, [param]) is False
    assert torch.equal(param.detach(), torch.ones(3))  # the optimizer did not step
    assert state.scaler.get_scale() == 2.0**7  # the scaler backed off
    assert state.lr_scheduler.last_epoch == 0 and state.lr_scheduler.get_last_lr()[0] == lr  # the schedule did not move
    _backward(state, param, 1.0)  # the next, finite step counts
    assert apply_gradients(state, [param]) is True
    assert not torch.equal(param.detach(), torch.ones(3))
    assert state.lr_scheduler.last_epoch == 1 and state.lr_scheduler.get_last_lr()[0] < lr


def test_without_loss_scaling_every_step_advances_the_schedule():
    state, param = _state(enabled=False)
    for _ in range(3):
        _backward(state, param, 1.0)
        assert apply_gradients(state, [param]) is True
    assert state.lr_scheduler.last_epoch == 3
