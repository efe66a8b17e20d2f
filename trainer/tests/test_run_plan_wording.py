"""The start log's last line is the one the web app's status line shows while the base loads: plain words, with the
text-embedding detail still in the log before it (it was the last line, jargon on the Train page for minutes)."""

from helpers import make_pattern_dataset, training_config
from toonlora_trainer.config import parse_training_config
from toonlora_trainer.data import scan_kohya_dataset
from toonlora_trainer.run_plan import plan_lines


def test_the_plan_ends_with_a_plain_line_and_keeps_the_detail(tmp_path):
    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=1, repeats=2)))
    lines = plan_lines(parse_training_config(training_config(steps=4)), dataset)
    assert lines[-1] == "loading the base model; training starts after it"
    assert any(line.startswith("text embeddings: ") and "128 at a time" in line for line in lines[:-1])


def test_a_run_too_short_for_a_sample_says_it_renders_none(tmp_path):
    # before: a 4-step run logged "samples every 250 steps: prompts [...]" and rendered none
    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=1, repeats=2)))
    short = plan_lines(parse_training_config(training_config(steps=4, sampleEverySteps=250)), dataset)
    assert "no sample images: the 4 steps end before the first sample, at step 250 (sampleEverySteps)" in short
    assert not any(line.startswith("samples every") for line in short)
    long = plan_lines(parse_training_config(training_config(steps=250, sampleEverySteps=250)), dataset)
    assert any(line.startswith("samples every 250 steps: prompt") for line in long)


def test_the_plan_words_a_short_run_and_its_samples_plainly(tmp_path):
    # before: "4 steps = 1 epoch (the last one partly: 0.0667 epochs of images)" and "prompts ['sks pattern'], seeds [1, 2]"
    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=3, repeats=20)))  # 60 images per epoch
    lines = plan_lines(parse_training_config(training_config(steps=4, sampleEverySteps=2, sampleSeeds=[1, 2])), dataset)
    assert "; 4 steps = 1 epoch (only partly: 4 of its 60 batches) at batch 1" in lines[0]
    assert 'samples every 2 steps: prompt "sks pattern", seeds 1, 2' in lines


def test_a_partial_epoch_of_a_batch_that_does_not_divide_the_images_is_counted_in_images(tmp_path):
    # before: "(the last one partly: 3/2 of its 5/2 batches)": 10 images at batch 4 make 2.5 batches an epoch
    dataset = scan_kohya_dataset(str(make_pattern_dataset(tmp_path / "ds", images=10, repeats=1)))
    first = plan_lines(parse_training_config(training_config(steps=2, batchSize=4)), dataset)[0]
    assert "; 2 steps = 1 epoch (only partly: 8 of its 10 images) at batch 4" in first
    later = plan_lines(parse_training_config(training_config(steps=4, batchSize=4)), dataset)[0]
    assert "; 4 steps = 2 epochs (the last one partly: 6 of its 10 images) at batch 4" in later
    assert "/" not in first.split(" at batch")[0] and "/" not in later.split(" at batch")[0]
