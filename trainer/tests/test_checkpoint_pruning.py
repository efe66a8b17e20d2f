"""keepCheckpoints: a run keeps only its newest N checkpoint folders, says which it removed, never touches other
files, and the kept ones still resume."""

import os

from helpers import make_pattern_dataset, training_config
from test_training import train

from toonlora_trainer.checkpoint import TRAINING_STATE, prune_checkpoints


def test_a_run_keeps_the_newest_checkpoints_and_says_which_it_removed(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    (run / "checkpoints" / "mine").mkdir(parents=True)
    (run / "checkpoints" / "notes.txt").write_text("the user's")
    events = train(dataset, run, training_config(steps=5, checkpointEverySteps=1, keepCheckpoints=2))
    assert sorted(os.listdir(run / "checkpoints")) == ["mine", "notes.txt", "step-000004", "step-000005"]
    removed = [e.message for e in events if e.type == "log" and e.message.startswith("removed the older checkpoint(s)")]
    assert removed[0] == "removed the older checkpoint(s) step-000001: keepCheckpoints 2 keeps the newest"
    assert len(removed) == 3  # after the checkpoints of steps 3, 4 and 5
    resumed = train(dataset, run, training_config(steps=7, checkpointEverySteps=1, keepCheckpoints=2), resume=True)
    assert [e.step for e in resumed if e.type == "progress"] == [6, 7]
    assert sorted(p for p in os.listdir(run / "checkpoints") if p.startswith("step-")) == ["step-000006", "step-000007"]


def test_zero_keeps_every_checkpoint(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=3, checkpointEverySteps=1))
    assert sorted(os.listdir(tmp_path / "run" / "checkpoints")) == ["step-000001", "step-000002", "step-000003"]


def test_prune_never_removes_the_checkpoint_just_written(tmp_path):
    root = tmp_path / "checkpoints"
    for step in (1, 2, 9):
        (root / f"step-{step:06d}").mkdir(parents=True)
        (root / f"step-{step:06d}" / TRAINING_STATE).write_bytes(b"")
    (root / "step-000000").mkdir()  # named like one, but without a training state: not a checkpoint, not removed
    # a newer folder from elsewhere (step 9) does not push out the one this run just wrote (step 2)
    assert prune_checkpoints(str(tmp_path), 1, str(root / "step-000002")) == [str(root / "step-000001")]
    assert sorted(os.listdir(root)) == ["step-000000", "step-000002", "step-000009"]


def test_a_damaged_newest_checkpoint_names_itself_and_the_one_to_resume_from(tmp_path):
    import pytest
    import torch

    from toonlora_trainer.__main__ import _error_kind
    from toonlora_trainer.checkpoint import CheckpointError, load_training_state

    checkpoints = tmp_path / "run" / "checkpoints"
    for step in (2, 4):
        (checkpoints / f"step-{step:06d}").mkdir(parents=True)
    torch.save({"step": 2}, checkpoints / "step-000002" / TRAINING_STATE)
    (checkpoints / "step-000004" / TRAINING_STATE).write_bytes(b"PK\x03\x04 cut short")
    assert load_training_state(str(checkpoints / "step-000002")) == {"step": 2}
    with pytest.raises(CheckpointError) as caught:
        load_training_state(str(checkpoints / "step-000004"))
    assert str(caught.value).startswith(f"{checkpoints / 'step-000004'}: this checkpoint cannot be read ({TRAINING_STATE}: ")
    assert str(caught.value).endswith(f"Move that folder out of {checkpoints} to resume from the one before it ({checkpoints / 'step-000002'}).")
    assert _error_kind(caught.value) == "input_invalid"
    (checkpoints / "step-000002" / TRAINING_STATE).unlink()  # no other complete checkpoint left
    with pytest.raises(CheckpointError, match=r"start again without --resume in a new run folder\.$"):
        load_training_state(str(checkpoints / "step-000004"))
