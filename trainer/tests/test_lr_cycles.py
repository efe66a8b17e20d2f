"""lrScheduler cosine_with_restarts restarts lrSchedulerNumCycles times (kohya's --lr_scheduler_num_cycles). Before,
the trainer called diffusers' get_scheduler without num_cycles, so cosine_with_restarts was one cosine: the same rates
as `cosine`, and no setting could change it. Another scheduler refuses cycles other than 1."""

import pytest
import torch

from helpers import training_config

from toonlora_trainer.config import parse_training_config
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.loop_state import make_loop_state
from toonlora_trainer.precision import choose_precision


def _rates(**settings) -> list[float]:
    config = parse_training_config(training_config(steps=100, lrWarmupSteps=0, **settings))
    param = torch.nn.Parameter(torch.zeros(2))
    state = make_loop_state(config, [{"params": [param], "lr": config.learning_rate}], choose_precision("no", torch.device("cpu")))
    rates = []
    for _ in range(config.steps):
        rates.append(state.lr_scheduler.get_last_lr()[0])
        state.optimizer.step()
        state.lr_scheduler.step()
    return rates


def test_cosine_with_restarts_restarts_as_many_times_as_asked():
    cosine = _rates(lrScheduler="cosine")
    restarts = _rates(lrScheduler="cosine_with_restarts", lrSchedulerNumCycles=3)
    assert restarts != cosine
    lr = cosine[0]
    # three cycles of 33-34 steps: the rate is back at the top after each fall
    jumps = [step for step in range(1, 100) if restarts[step] > restarts[step - 1] + 0.5 * lr]
    assert len(jumps) == 2
    assert restarts[jumps[0]] == pytest.approx(lr, rel=0.01)
    assert _rates(lrScheduler="cosine_with_restarts", lrSchedulerNumCycles=1) == pytest.approx(cosine)


def test_cycles_with_another_scheduler_are_refused_with_the_fix():
    # the words of src/schemas/config.ts checkCyclesScheduler (src/config/config-issue-words.test.ts), not the
    # worker's own ("3 cycles apply to lrScheduler ... only, not linear. Set training.lrScheduler to ...")
    with pytest.raises(ConfigError) as refused:
        parse_training_config(training_config(lrScheduler="linear", lrSchedulerNumCycles=3))
    assert str(refused.value) == (
        "config.lrSchedulerNumCycles: 3 cycles work with lrScheduler cosine_with_restarts only, not linear; "
        "set lrScheduler to cosine_with_restarts, or remove lrSchedulerNumCycles."
    )
