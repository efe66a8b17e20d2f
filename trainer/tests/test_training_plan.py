"""The run's plan: epochs become steps from the dataset (and exclude --steps), the start log says what the
run does, samples use the trigger prompt and fixed seeds (same weights + seeds = same images), and latents
are encoded once per image, not per step. CPU, tiny model."""

import dataclasses

import numpy as np
import pytest
from helpers import make_pattern_dataset, training_config
from PIL import Image

from toonlora_trainer import train as train_module
from toonlora_trainer.config import parse_train_request, parse_training_config
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.data import scan_kohya_dataset
from toonlora_trainer.dataset_plan import resolve_steps
from toonlora_trainer.run_plan import plan_lines
from toonlora_trainer.train import run_training


def run(dataset, run_dir, config):
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(run_dir), "resume": False, "config": config}
    run_training(parse_train_request(request), events.append, lambda: False)
    return events


def logs(events):
    return [e.message for e in events if e.type == "log"]


@pytest.mark.parametrize(("batch", "accumulation", "epochs", "steps"), [(1, 1, 2, 30), (2, 1, 2, 15), (4, 1, 2, 8), (2, 2, 3, 12), (4, 1, 1, 4)])
def test_epochs_become_steps_from_images_times_repeats(tmp_path, batch, accumulation, epochs, steps):
    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=3, repeats=5)))  # 15 images per epoch
    config = parse_training_config(training_config(steps=None, epochs=epochs, batchSize=batch, gradientAccumulation=accumulation))
    assert resolve_steps(config, dataset).steps == steps


@pytest.mark.parametrize(("epochs", "accumulation", "steps"), [(1, 1, 3), (2, 1, 6), (3, 2, 5)])
def test_epochs_count_the_filled_up_batches_of_one_bucket(tmp_path, epochs, accumulation, steps):
    """3 square images and 1 tall one at batch 2: an epoch is 2 square batches (one filled up) and 1 tall
    batch, 3 micro-batches, not ceil(4 / 2) = 2 (which would end each epoch before the tall image)."""
    from toonlora_trainer.batch_order import batch_indices, repeated_indices
    from toonlora_trainer.buckets import assign_buckets

    root = make_pattern_dataset(tmp_path / "ds", images=3, repeats=1)
    Image.new("RGB", (64, 128), (200, 30, 30)).save(root / "1_sks pattern" / "tall.png")
    (root / "1_sks pattern" / "tall.txt").write_text("sks, tall", encoding="utf-8")
    dataset = assign_buckets(scan_kohya_dataset(str(root)), 128)  # square images -> 128x128, the tall one -> 64x192
    config = parse_training_config(training_config(steps=None, epochs=epochs, batchSize=2, gradientAccumulation=accumulation))
    resolved = resolve_steps(config, dataset)
    assert resolved.steps == steps
    tall = next(i for i, item in enumerate(dataset.items) if item.image_path.endswith("tall.png"))
    seen = [batch_indices(repeated_indices(dataset), 42, k * 2, 2, dataset.buckets) for k in range(3 * epochs)]
    assert sum(tall in batch for batch in seen) == epochs  # every epoch reaches the tall batch
    assert f"{steps} steps = {epochs:g} epoch{'' if epochs == 1 else 's'} at batch 2" in plan_lines(resolved, dataset)[0]


@pytest.mark.parametrize(("batch", "accumulation", "steps", "epochs"), [(1, 1, 15, 1), (1, 1, 16, 2), (1, 1, 30, 2), (2, 1, 8, 1),
                                                                     (2, 1, 9, 2), (2, 2, 5, 2), (1, 1, 1, 1)])
def test_the_epochs_a_run_reaches_are_counted_as_kohyas_ss_epoch(tmp_path, batch, accumulation, steps, epochs):
    from toonlora_trainer.dataset_plan import epochs_trained

    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=3, repeats=5)))  # 15 images per epoch
    config = parse_training_config(training_config(steps=steps, batchSize=batch, gradientAccumulation=accumulation))
    assert epochs_trained(config, dataset, steps) == epochs  # ceil(steps / ceil(ceil(15 / batch) / accumulation))


@pytest.mark.parametrize(("images", "repeats", "batch", "accumulation"), [(1, 3, 8, 1), (3, 5, 2, 1), (3, 5, 4, 2), (1, 3, 2, 3),
                                                                       (3, 5, 1, 1), (2, 1, 5, 2)])
def test_the_epochs_recorded_are_the_epochs_asked_for_even_with_a_batch_bigger_than_the_dataset(
        tmp_path, images, repeats, batch, accumulation):
    from toonlora_trainer.dataset_plan import epochs_trained

    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=images, repeats=repeats)))
    for epochs in range(1, 41):
        asked = parse_training_config(training_config(steps=None, epochs=epochs, batchSize=batch, gradientAccumulation=accumulation))
        resolved = resolve_steps(asked, dataset)
        assert epochs_trained(resolved, dataset, resolved.steps) == epochs, epochs  # ss_epoch of `--epochs E` is E
        # the same steps given as --steps record the fewest epochs that train them
        by_steps = parse_training_config(training_config(steps=resolved.steps, batchSize=batch, gradientAccumulation=accumulation))
        reached = epochs_trained(by_steps, dataset, resolved.steps)
        assert reached <= epochs
        assert resolve_steps(dataclasses.replace(asked, epochs=reached), dataset).steps == resolved.steps


def test_a_batch_bigger_than_an_epoch_is_warned_about_by_the_run_and_the_dry_run(tmp_path):
    from toonlora_trainer.dataset_plan import scan_for_training

    dataset_dir = make_pattern_dataset(tmp_path / "ds", images=1, repeats=3)
    config = parse_training_config(training_config(steps=2, batchSize=8))
    _, warnings = scan_for_training(str(dataset_dir), config)
    assert warnings[-1] == ("batch size 8 is larger than the 3 images of an epoch (1 image x repeats): each batch repeats "
                            "images to fill it, so one step trains 2.67 epochs. Set training.batchSize = 3 or less in the "
                            "--config file, or add images or repeats.")
    _, warnings = scan_for_training(str(dataset_dir), parse_training_config(training_config(steps=2, batchSize=3)))
    assert not any(w.startswith("batch size") for w in warnings)


def test_steps_and_epochs_are_mutually_exclusive():
    with pytest.raises(ConfigError, match=r"config\.steps/epochs: got steps 10 and epochs 2; give exactly one"):
        parse_training_config(training_config(steps=10, epochs=2))
    with pytest.raises(ConfigError, match=r"got steps None and epochs None"):
        parse_training_config(training_config(steps=None, epochs=None))


def test_an_epochs_run_trains_the_resolved_steps_and_logs_its_plan(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=3)
    events = run(dataset, tmp_path / "run", training_config(steps=None, epochs=1))
    assert events[-1].type == "done" and events[-1].stats["steps"] == 3
    assert events[-1].stats["epochs"] == 1  # kohya's ss_epoch, written into the kohya file
    assert [e.step for e in events if e.type == "progress"] == [1, 2, 3]
    assert "dataset: 1 image, repeats 3, 3 images per epoch; 3 steps = 1 epoch at batch 1 x accumulation 1" in logs(events)
    assert any("shuffled captions are encoded 128 at a time" in line for line in logs(events))


def test_samples_use_the_trigger_prompt_and_fixed_seeds(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    config = training_config(steps=2, sampleEverySteps=2, sampleSeeds=[5, 6])
    first, second = run(dataset, tmp_path / "a", config), run(dataset, tmp_path / "b", config)
    assert 'samples every 2 steps: prompt "sks pattern", seeds 5, 6' in logs(first)
    samples_a = [e for e in first if e.type == "sample"]
    samples_b = [e for e in second if e.type == "sample"]
    assert [e.step for e in samples_a] == [2] and len(samples_a[0].paths) == 2
    assert samples_a[0].paths[0].endswith("step-000002-0-seed5.png")
    pixels = lambda path: np.asarray(Image.open(path), dtype=np.int16)  # noqa: E731
    a5, a6 = (pixels(p) for p in samples_a[0].paths)
    b5, b6 = (pixels(p) for p in samples_b[0].paths)
    assert np.array_equal(a5, b5) and np.array_equal(a6, b6)  # same weights, same seeds: the same images
    assert np.abs(a5 - a6).mean() > 1  # the two seeds are really used


def test_latents_are_encoded_once_per_image_not_per_step(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=3)
    encoded = []
    real = train_module.encode_latents
    monkeypatch.setattr(train_module, "encode_latents", lambda base, images: encoded.append(len(images)) or real(base, images))
    events = run(dataset, tmp_path / "run", training_config(steps=6))
    assert events[-1].type == "done"
    assert sum(encoded) == 2  # 2 images, 6 steps over 6 repeated samples: each image encoded once


@pytest.mark.parametrize(("steps", "epochs", "partial"), [(16, 2, "1 of its 15"), (15, 1, None), (30, 2, None), (40, 3, "10 of its 15")])
def test_the_start_log_counts_the_epochs_the_kohya_file_records(tmp_path, steps, epochs, partial):
    """The start log's epoch figure is ss_epoch's (epochs_trained: a started epoch counts), not a fraction that reads
    as another number; a partial last epoch is named beside it."""
    from toonlora_trainer.dataset_plan import epochs_trained

    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=3, repeats=5)))  # 15 images per epoch
    config = parse_training_config(training_config(steps=steps, batchSize=1))
    assert epochs_trained(config, dataset, steps) == epochs
    line = plan_lines(config, dataset)[0]
    assert f"{steps} steps = {epochs} epoch{'' if epochs == 1 else 's'}" in line
    if partial:
        # before: "(the last one partly: 2.67 epochs of images)", a fraction to work out
        assert f"(the last one partly: {partial} batches) at batch 1" in line
    else:
        assert "partly" not in line
