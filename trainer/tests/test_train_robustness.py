"""A run that meets a stop during its samples, a full disk, a cut-off checkpoint or a changed dataset: it checkpoints,
says which file and what to do, leaves no partial file, and --resume finishes a run stopped after its last
checkpoint. CPU, tiny model."""

import errno
import os

import pytest
from helpers import make_pattern_dataset, training_config
from PIL import Image

from toonlora_trainer import checkpoint as ckpt
from toonlora_trainer.__main__ import _error_kind
from toonlora_trainer.checkpoint import CheckpointError
from toonlora_trainer.config import parse_train_request
from toonlora_trainer.dataset_record import dataset_changes
from toonlora_trainer.train import run_training
from toonlora_trainer.error_fix import FIX_SLOT
from toonlora_trainer.write_errors import OutputWriteError


def train(dataset, run_dir, config, resume=False, should_stop=lambda events: False):
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(run_dir), "resume": resume, "config": config}
    run_training(parse_train_request(request), events.append, lambda: should_stop(events))
    return events


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_stop_during_the_sample_render_abandons_it_within_a_sampling_step_and_checkpoints(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    asked_during_samples = []

    def stop_once_sampling(events):
        sampling = any(e.type == "progress" and e.step == 2 for e in events)
        if sampling:
            asked_during_samples.append(1)
        return sampling

    events = train(dataset, tmp_path / "run", training_config(steps=10, sampleEverySteps=2, sampleSeeds=[1, 2]), should_stop=stop_once_sampling)
    assert not [e for e in events if e.type == "sample"]  # the render stopped at its first sampling step: no sample saved
    assert events[-2].type == "checkpoint" and events[-1].type == "cancelled"
    assert events[-1].step == 2 and events[-1].checkpoint == events[-2].path and os.path.isdir(events[-2].path)
    assert len(asked_during_samples) == 2  # once inside the render (first sampling step), once at the loop's top


def test_a_stop_on_a_checkpoint_step_writes_that_checkpoint_once(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    events = train(dataset, tmp_path / "run", training_config(steps=10, checkpointEverySteps=2),
                   should_stop=lambda events: any(e.type == "progress" and e.step == 2 for e in events))
    checkpoints = [e for e in events if e.type == "checkpoint"]
    assert [c.step for c in checkpoints] == [2]
    assert events[-1].type == "cancelled" and events[-1].checkpoint == checkpoints[0].path


def test_a_full_disk_during_a_checkpoint_removes_the_partial_folder_and_names_the_last_good_one(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    real_save = ckpt.torch.save

    def full_at_step_4(obj, path, *args, **kwargs):
        if obj["step"] == 4:
            enospc()
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(ckpt.torch, "save", full_at_step_4)
    with pytest.raises(OutputWriteError) as caught:
        train(dataset, tmp_path / "run", training_config(steps=6, checkpointEverySteps=2))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'run' / 'checkpoints'}: could not write checkpoint step-000004: no space left on the disk")
    # the resume is data (each side words it: the CLI's --resume, the web app's Resume button) at its FIX_SLOT
    assert f"then {FIX_SLOT} continue from {tmp_path / 'run' / 'checkpoints' / 'step-000002'}." in message
    assert caught.value.fix == {"kind": "resume"}
    assert sorted(os.listdir(tmp_path / "run" / "checkpoints")) == ["step-000002"]  # no .step-000004.partial
    assert _error_kind(caught.value) == "output_write"


def test_torchs_short_write_error_on_a_nearly_full_disk_is_told_as_a_full_disk(tmp_path, monkeypatch):
    from toonlora_trainer import write_errors

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)

    def short_write(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 98240 vs 98132")

    monkeypatch.setattr(ckpt.torch, "save", short_write)
    monkeypatch.setattr(write_errors, "_free_bytes", lambda folder: 4096)
    with pytest.raises(OutputWriteError, match=r"could not write checkpoint step-000002: no space left on the disk \(ENOSPC, 0\.0 MB free\).*"
                                               r"then start the run again \(no checkpoint was written yet\)"):
        train(dataset, tmp_path / "run", training_config(steps=4, checkpointEverySteps=2))
    assert os.listdir(tmp_path / "run" / "checkpoints") == []


def test_a_full_disk_saving_a_sample_removes_the_partial_png_and_names_the_folder(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)

    def write_nothing_then_fail(image, path, *args, **kwargs):
        open(path, "wb").close()  # PIL has created the file when the disk fills up
        enospc()

    monkeypatch.setattr(Image.Image, "save", write_nothing_then_fail)
    with pytest.raises(OutputWriteError, match=r"samples: could not write sample image step-000002-0-seed1\.png: no space left on the disk.*"
                                               r"then \x00fix\x00 continue from .*step-000001\."):
        train(dataset, tmp_path / "run", training_config(steps=4, sampleEverySteps=2, checkpointEverySteps=1, sampleSeeds=[1]))
    assert os.listdir(tmp_path / "run" / "samples") == []


def test_resume_finishes_a_run_that_stopped_after_its_last_checkpoint_and_the_final_adapter_is_written_atomically(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    real_save_file = ckpt.save_file

    def full_disk_for_the_run_adapter(state, path, *args, **kwargs):
        if os.path.dirname(path) == str(run):
            with open(path, "wb") as handle:
                handle.write(b"cut off")  # what a full disk leaves
            enospc()
        return real_save_file(state, path, *args, **kwargs)

    monkeypatch.setattr(ckpt, "save_file", full_disk_for_the_run_adapter)
    with pytest.raises(OutputWriteError, match=r"could not write the LoRA adapter adapter_model\.safetensors: no space left on the disk.*"
                                               r"then \x00fix\x00 continue from .*step-000003"):
        train(dataset, run, training_config(steps=3))
    assert not (run / "adapter_model.safetensors").exists()
    assert [p for p in os.listdir(run) if p.endswith(".partial")] == []
    monkeypatch.undo()

    events = train(dataset, run, training_config(steps=3), resume=True)
    assert not [e for e in events if e.type in ("progress", "checkpoint")]  # nothing trained or checkpointed again
    assert events[-1].type == "done" and events[-1].stats["steps"] == 3
    assert events[-1].artifacts["checkpoint"] == str(run / "checkpoints" / "step-000003")
    assert (run / "adapter_model.safetensors").stat().st_size > 1000


def test_a_cut_off_adapter_in_the_newest_checkpoint_is_named_like_a_cut_off_training_state(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    train(dataset, run, training_config(steps=4, checkpointEverySteps=2))
    adapter = run / "checkpoints" / "step-000004" / "adapter_model.safetensors"
    adapter.write_bytes(adapter.read_bytes()[:100])
    with pytest.raises(CheckpointError) as caught:
        train(dataset, run, training_config(steps=6), resume=True)
    assert str(caught.value).startswith(f"{run / 'checkpoints' / 'step-000004'}: this checkpoint cannot be read (adapter_model.safetensors: ")
    assert str(caught.value).endswith(f"to resume from the one before it ({run / 'checkpoints' / 'step-000002'}).")


def test_an_incomplete_newest_checkpoint_is_named_on_resume_and_never_written_over(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    run = tmp_path / "run"
    train(dataset, run, training_config(steps=4, checkpointEverySteps=2))
    newest = run / "checkpoints" / "step-000004"
    (newest / ckpt.TRAINING_STATE).unlink()
    with pytest.raises(CheckpointError) as caught:  # not a silent resume from step 2 that later replaces step-000004
        train(dataset, run, training_config(steps=6, checkpointEverySteps=2), resume=True)
    assert str(caught.value) == (
        f"{newest}: this checkpoint is incomplete (no training_state.pt), newer than {run / 'checkpoints' / 'step-000002'}. "
        f"Put the missing file back, or move the folder out of {run / 'checkpoints'} (e.g. rename it to "
        f"step-000004.incomplete) to resume from {run / 'checkpoints' / 'step-000002'}.")
    assert sorted(os.listdir(newest)) == ["adapter_config.json", "adapter_model.safetensors"]  # untouched
    # a run that reaches the step of an incomplete folder keeps that folder beside its own, never deletes it
    fresh = tmp_path / "fresh"
    (fresh / "checkpoints" / "step-000002").mkdir(parents=True)
    (fresh / "checkpoints" / "step-000002" / "notes.txt").write_text("mine", encoding="utf-8")
    train(dataset, fresh, training_config(steps=2, checkpointEverySteps=2))
    assert (fresh / "checkpoints" / "step-000002.incomplete" / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (fresh / "checkpoints" / "step-000002" / ckpt.TRAINING_STATE).is_file()


def test_resume_on_another_dataset_warns_naming_what_changed(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=2))
    other = make_pattern_dataset(tmp_path / "other", images=3, repeats=1)
    (other / "1_sks pattern").rename(other / "1_zzk boy")
    events = train(other, tmp_path / "run", training_config(steps=3), resume=True)
    warnings = [e.message for e in events if e.type == "log" and e.level == "warn" and "different dataset" in e.message]
    assert len(warnings) == 1
    assert f"the dataset folder was {dataset}, now {other}" in warnings[0]
    assert "folder(s) `1_sks pattern` no longer trained; new folder(s) `1_zzk boy`; 2 images then, 3 now" in warnings[0]
    assert events[-1].type == "done"  # a warning, not a refusal


def test_dataset_changes_of_the_same_names_with_other_files_and_of_a_checkpoint_without_a_record():
    old = {"path": "/d", "images": 2, "folders": ["5_sks girl"], "fingerprint": "a"}
    assert dataset_changes(old, {**old, "fingerprint": "b"}) == ["the same number of images, but files were renamed, replaced or edited"]
    assert dataset_changes(old, dict(old)) == []
    assert dataset_changes(None, old) == []  # a checkpoint from before the record: resumes without the check


def test_done_lists_the_images_the_run_trained_and_not_one_it_left_out(tmp_path):
    """The TypeScript side builds the kohya metadata (ss_num_train_images, ss_dataset_dirs, ss_tag_frequency) from
    the done's facts: a truncated image the scan left out must not be in them, and a CPU run records `no` precision."""
    dataset = make_pattern_dataset(tmp_path / "ds", images=3, repeats=2)
    folder = dataset / "2_sks pattern"
    good = (folder / "img1.png").read_bytes()
    (folder / "img1.png").write_bytes(good[: len(good) // 2])  # truncated: the header reads, the pixels do not
    events = train(dataset, tmp_path / "run", training_config(steps=2))
    done = events[-1]
    assert done.type == "done"
    assert done.artifacts["trained_images"] == [str(folder / "img0.png"), str(folder / "img2.png")]
    assert done.stats["images"] == 2
    assert [(f.folder, f.repeats, len(f.captions)) for f in done.facts.folders] == [("2_sks pattern", 2, 2)]
    assert (done.facts.images, done.facts.images_with_repeats, done.facts.mixed_precision) == (2, 4, "no")
