"""kohya folder layout, repeats, captions and trigger-first caption shuffling."""

import random

import pytest
from helpers import make_pattern_dataset

from toonlora_trainer.data import DatasetError, batch_indices, repeated_indices, scan_kohya_dataset, shuffle_caption


def test_scan_reads_repeats_trigger_and_captions(tmp_path):
    make_pattern_dataset(tmp_path, images=2, repeats=7)
    (tmp_path / "3_sks pattern").mkdir()
    (tmp_path / "3_sks pattern" / "x.png").write_bytes((tmp_path / "7_sks pattern" / "img0.png").read_bytes())
    (tmp_path / "notes").mkdir()  # not a kohya folder: ignored
    dataset = scan_kohya_dataset(str(tmp_path))
    assert [i.repeats for i in dataset.items] == [3, 7, 7]
    assert dataset.trigger == "sks"
    assert dataset.items[0].caption == "sks pattern"  # no .txt: the folder's class tokens
    assert dataset.items[1].caption == "sks, striped pattern, red and yellow"
    assert dataset.repeated_length == 17


def test_empty_dataset_names_the_folder_and_fix(tmp_path):
    with pytest.raises(DatasetError, match=r"no images found .*toonlora prep"):
        scan_kohya_dataset(str(tmp_path))
    with pytest.raises(DatasetError, match=r"not a folder"):
        scan_kohya_dataset(str(tmp_path / "missing"))


def test_shuffle_keeps_trigger_first_and_all_tags():
    caption = "sks, black hair, red eyes, school uniform, smile"
    seen = set()
    for seed in range(20):
        shuffled = shuffle_caption(caption, "sks", random.Random(seed))
        tags = shuffled.split(", ")
        assert tags[0] == "sks"
        assert sorted(tags[1:]) == sorted(["black hair", "red eyes", "school uniform", "smile"])
        seen.add(shuffled)
    assert len(seen) > 5


def test_shuffle_puts_trigger_first_when_caption_lacks_it():
    assert shuffle_caption("a girl", "sks", random.Random(0)) == "sks, a girl"
    assert shuffle_caption("sks a girl", "sks", random.Random(0)) == "sks, a girl"


def test_batches_are_a_pure_function_of_position(tmp_path):
    make_pattern_dataset(tmp_path, images=3, repeats=2)
    repeated = repeated_indices(scan_kohya_dataset(str(tmp_path)))
    first_epoch = [batch_indices(repeated, 42, p, 1)[0] for p in range(6)]
    assert sorted(first_epoch) == [0, 0, 1, 1, 2, 2]  # every repeat once per epoch
    assert batch_indices(repeated, 42, 4, 2) == first_epoch[4:6]
    assert [batch_indices(repeated, 42, p, 1)[0] for p in range(6)] == first_epoch


def test_scan_names_the_images_that_centre_cropping_would_cut(tmp_path):
    from PIL import Image

    folder = tmp_path / "5_sks girl"
    folder.mkdir()
    for name, size in (("square.png", (64, 64)), ("nearly.png", (64, 66)), ("tall.png", (64, 128)), ("wide.jpg", (120, 64))):
        Image.new("RGB", size, "white").save(folder / name)
    (folder / "broken.png").write_bytes(b"not a png")  # left to the load, which names it
    dataset = scan_kohya_dataset(str(tmp_path))
    cut = [w for w in dataset.warnings if "not square" in w]
    assert len(cut) == 1
    assert cut[0].startswith("2 of 5 images are not square (tall.png 64x128, wide.jpg 120x64)")
    assert "centre-crops" in cut[0] and "toonlora prep" in cut[0]


def test_a_square_dataset_gets_no_crop_warning(tmp_path):
    make_pattern_dataset(tmp_path, images=2, repeats=1)
    assert not any("not square" in w for w in scan_kohya_dataset(str(tmp_path)).warnings)
