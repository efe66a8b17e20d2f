"""--resume on another base model is refused naming the old and the new base (compared as what the name stands
for: a path by its real absolute path, a Hugging Face cache folder by its Hub id); a checkpoint from before the base
was stored resumes without the check. A stop before the first step saves nothing. CPU, tiny model."""

import os

import pytest
import torch
from helpers import make_pattern_dataset, training_config

from toonlora_trainer import checkpoint as ckpt
from toonlora_trainer.base_files import DEFAULT_BASE_MODEL, REGISTRY_BASE_ID
from toonlora_trainer.config import parse_train_request
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.train import run_training


def train(dataset, run_dir, config, resume=False, should_stop=lambda events: False):
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(run_dir), "resume": resume, "config": config}
    run_training(parse_train_request(request), events.append, lambda: should_stop(events))
    return events


def test_resume_on_another_base_is_refused_naming_the_old_and_the_new_base(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    train(dataset, run, training_config(steps=2))
    other = tmp_path / "tinyalt"
    other.mkdir()
    with pytest.raises(ConfigError) as caught:
        train(dataset, run, training_config(steps=4, baseModel=str(other)), resume=True)
    message = str(caught.value)
    assert f'baseModel was "tiny", now "{other}"' in message
    assert 'use --base "tiny"' in message and "without --resume" in message


def test_resume_on_the_same_base_passes_and_a_checkpoint_without_a_recorded_base_resumes_with_a_note(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    train(dataset, run, training_config(steps=2))
    events = train(dataset, run, training_config(steps=3), resume=True)
    assert events[-1].type == "done"
    state_file = os.path.join(ckpt.latest_checkpoint(str(run)), ckpt.TRAINING_STATE)
    saved = torch.load(state_file, weights_only=False)
    assert saved["base_model"] == "tiny"
    del saved["base_model"]  # as a checkpoint written before the base was stored
    torch.save(saved, state_file)
    events = train(dataset, run, training_config(steps=4), resume=True)
    assert events[-1].type == "done"
    assert any(e.type == "log" and "does not record its base model" in e.message for e in events)


def test_base_identity_compares_what_a_name_stands_for(tmp_path, monkeypatch):
    from toonlora_trainer.resume_checks import base_identity

    folder = tmp_path / "mybase"
    folder.mkdir()
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    assert base_identity("mybase") == base_identity(str(folder)) == base_identity(str(tmp_path / "link")) == str(folder.resolve())
    assert base_identity("tiny") == "tiny" and base_identity("owner/model") == "owner/model"
    snapshot = tmp_path / "hub" / "models--owner--model" / "snapshots" / "abc123"
    assert base_identity(str(snapshot)) == "owner/model"
    assert base_identity(str(tmp_path / "home" / "models" / REGISTRY_BASE_ID)) == DEFAULT_BASE_MODEL


def test_a_stop_before_the_first_step_saves_nothing_and_leaves_the_folder_free(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    events = train(dataset, run, training_config(steps=4, checkpointEverySteps=2), should_stop=lambda events: True)
    assert events[-1].type == "cancelled" and events[-1].step == 0 and events[-1].checkpoint is None
    assert any(e.type == "log" and "stopped before the first step; nothing to resume, run again" in e.message for e in events)
    assert not [e for e in events if e.type == "checkpoint"] and ckpt.latest_checkpoint(str(run)) is None
    assert not os.path.exists(run / "checkpoints")
