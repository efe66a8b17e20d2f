"""The `scan-dataset` command (`toonlora train --dry-run`): the dataset as the run reads it, through the run's own code
(dataset_plan.scan_for_training, resolve_steps): the images it trains with their buckets, every dataset warning it
prints, and the steps and epochs it trains."""

import pytest
from helpers import pattern_image, run_worker, training_config

from toonlora_trainer.config import parse_scan_dataset_request, parse_train_request
from toonlora_trainer.data import scan_kohya_dataset
from toonlora_trainer.dataset_items import DatasetError
from toonlora_trainer.dataset_plan import scan_dataset_result, scan_for_training


def _request(dataset_dir, **config) -> dict:
    return {"version": 1, "command": "scan-dataset", "dataset_dir": str(dataset_dir), "config": training_config(**config)}


def _dataset(root):
    """Two trained images (one tall), one misnamed folder, a 0_ folder, both caption files, and a file that is no image."""
    folder = root / "3_sks girl"
    folder.mkdir(parents=True)
    pattern_image(64).save(folder / "a.png")
    pattern_image(64).resize((32, 96)).save(folder / "b.png")
    (folder / "a.txt").write_text("sks, txt", encoding="utf-8")
    (folder / "a.caption").write_text("sks, caption", encoding="utf-8")
    (folder / "junk.png").write_text("junk", encoding="utf-8")
    (root / "girl").mkdir()
    pattern_image(64).save(root / "girl" / "c.png")
    (root / "0_off x").mkdir()
    pattern_image(64).save(root / "0_off x" / "d.png")
    return folder


def test_scan_dataset_command_reports_what_the_run_trains_and_warns(tmp_path):
    folder = _dataset(tmp_path)
    code, events, stderr = run_worker("scan-dataset", _request(tmp_path, epochs=2, steps=None, batchSize=2, resolution=128))
    assert code == 0, stderr
    (done,) = events
    assert done["type"] == "done"
    assert done["artifacts"]["trained_images"] == [str(folder / "a.png"), str(folder / "b.png")]
    assert done["artifacts"]["buckets"] == ["128x128", "64x192"]
    warnings = done["artifacts"]["warnings"]
    # the run's words, in the run's order (scan_kohya_dataset, then the assigned buckets add none)
    assert warnings == list(scan_kohya_dataset(str(tmp_path)).warnings)
    assert warnings[0].startswith(f"{tmp_path / 'girl'}: 1 image(s) not trained: the folder name is not")
    assert warnings[1] == f"{tmp_path / '0_off x'}: repeats is 0, folder skipped"
    assert warnings[2].startswith("1 image(s) have both a .txt and a .caption caption file")
    assert warnings[3].startswith(f"{folder / 'junk.png'}: cannot read image (")
    # batch 2 over two buckets: each bucket's 3 repeats make 2 batches (the last filled up): 4 an epoch, 8 steps
    assert done["stats"] == {"images": 2.0, "images_with_repeats": 6.0, "micro_batches_per_epoch": 4.0, "steps": 8.0,
                             "epochs": 2.0}


def test_scan_dataset_without_buckets_adds_the_runs_non_square_warning_and_counts_epochs_of_steps(tmp_path):
    _dataset(tmp_path)
    request = parse_scan_dataset_request(_request(tmp_path, aspectRatioBuckets=False, steps=7))
    artifacts, stats = scan_dataset_result(request)
    train = parse_train_request({"version": 1, "command": "train", "dataset_dir": str(tmp_path), "run_dir": "/r",
                                 "resume": False, "config": training_config(aspectRatioBuckets=False, steps=7)})
    _, run_warnings = scan_for_training(train.dataset_dir, train.config)
    assert artifacts["warnings"] == run_warnings
    assert run_warnings[-1].startswith("1 of 2 images are not square (b.png 32x96)")
    assert artifacts["buckets"] is None
    assert stats["steps"] == 7.0 and stats["epochs"] == 2.0  # 6 images with repeats a batch-1 epoch: 7 steps reach 2


def test_scan_dataset_command_fails_as_the_run_does_when_nothing_decodes(tmp_path):
    (tmp_path / "2_sks girl").mkdir()
    (tmp_path / "2_sks girl" / "junk.png").write_text("junk", encoding="utf-8")
    code, events, _ = run_worker("scan-dataset", _request(tmp_path))
    assert code == 1
    assert events[-1]["type"] == "error" and events[-1]["kind"] == "input_invalid"
    assert events[-1]["message"].startswith(f"{tmp_path}: no readable images, 1 could not be decoded: ")
    code, events, _ = run_worker("scan-dataset", _request(tmp_path / "missing"))
    assert code == 1 and events[-1]["kind"] == "input_missing"


def test_scan_dataset_prints_the_runs_long_caption_warning_with_the_runs_tokenizer(tmp_path):
    from toonlora_trainer.dataset_plan import dry_run_tokenizer
    from toonlora_trainer.models import build_tiny_tokenizer
    from toonlora_trainer.text_embeddings import long_caption_warnings

    folder = tmp_path / "3_sks girl"
    folder.mkdir()
    pattern_image(64).save(folder / "a.png")
    pattern_image(64).save(folder / "b.png")
    (folder / "a.txt").write_text("sks, " + ", ".join(f"tag{i}" for i in range(60)), encoding="utf-8")
    code, events, stderr = run_worker("scan-dataset", _request(tmp_path))
    assert code == 0, stderr
    (done,) = events
    dataset, _ = scan_for_training(str(tmp_path), parse_scan_dataset_request(_request(tmp_path)).config)
    # the words the run emits once its base has loaded (train.py: long_caption_warnings(base.tokenizer, ...))
    expected = long_caption_warnings(build_tiny_tokenizer(), dataset.items, True)
    assert expected and expected[0].startswith("1 of 2 captions are longer than the 75 tokens CLIP reads (a.txt ")
    assert done["artifacts"]["warnings"] == expected
    assert dry_run_tokenizer(str(tmp_path / "no-such-base")) is None  # no tokenizer here: no warning, no failure


def test_the_kohya_folder_prep_prints_is_trained_alone_with_its_repeats(tmp_path):
    # `toonlora prep IN -o OUT` prints `dataset:  OUT/3_sks girl`: train (and its dry run) take that folder as given
    folder = _dataset(tmp_path)
    (folder / "stages").mkdir()  # a subfolder of images is still named, not trained
    pattern_image(64).save(folder / "stages" / "e.png")
    code, events, stderr = run_worker("scan-dataset", _request(folder, epochs=1, steps=None, batchSize=1, resolution=128))
    assert code == 0, stderr
    (done,) = events
    assert done["artifacts"]["trained_images"] == [str(folder / "a.png"), str(folder / "b.png")]
    assert done["stats"]["images_with_repeats"] == 6.0  # the folder's own 3 repeats
    dataset = scan_kohya_dataset(str(folder))
    assert dataset.trigger == "sks" and {item.repeats for item in dataset.items} == {3}
    assert any(w.startswith(f"{folder / 'stages'}: 1 image(s) in a subfolder not trained") for w in dataset.warnings)
    assert not any("girl: 1 image(s) not trained: the folder name" in w for w in dataset.warnings)  # the sibling is not scanned


def test_a_folder_without_kohya_folders_and_not_named_like_one_still_says_how_to_name_them(tmp_path):
    (tmp_path / "sks girl").mkdir()
    pattern_image(64).save(tmp_path / "sks girl" / "a.png")
    with pytest.raises(DatasetError, match=r"no images found in `<repeats>_<trigger> <class>` folders"):
        scan_kohya_dataset(str(tmp_path / "sks girl"))


def _prep_output(root):
    """A dataset as `toonlora prep` writes it: a kohya folder, manifest.json, and the review folder stages/."""
    pattern_image(64).save((root / "10_sks girl").mkdir(parents=True) or root / "10_sks girl" / "a.png")
    (root / "manifest.json").write_text("{}", encoding="utf-8")
    for panel in ("panel-01", "panel-02"):
        (root / "stages" / panel).mkdir(parents=True)
        pattern_image(64).save(root / "stages" / panel / "1-crop.png")
    return root


def test_prep_review_folder_names_the_dataset_folder_instead_of_one_rename_hint_per_stage_folder(tmp_path):
    # before: "<stages>/panel-01: 1 image(s) not trained: ... Rename it to train them.; <stages>/panel-02: ..." per
    # stage folder, as if they were misnamed training folders
    dataset = _prep_output(tmp_path / "ds")
    for given in (dataset / "stages", dataset / "stages" / "panel-01"):
        with pytest.raises(DatasetError) as raised:
            scan_kohya_dataset(str(given))
        message = str(raised.value)
        assert "review folder (stages/" in message and message.endswith(f"Give train the dataset folder prep wrote: {dataset}")
        assert "Rename it" not in message
    # the folder above a prep dataset names it
    with pytest.raises(DatasetError, match=rf"but a folder in it holds them .*: give train that folder: {dataset}$"):
        scan_kohya_dataset(str(tmp_path))


def test_what_the_scan_found_reads_as_sentences(tmp_path):
    # before: the warnings were joined with "; " after their own full stops: "... Rename it to train them.; ..."
    for name in ("girl", "boy"):
        (tmp_path / name).mkdir()
        pattern_image(64).save(tmp_path / name / "a.png")
    (tmp_path / "0_off x").mkdir()
    with pytest.raises(DatasetError) as raised:
        scan_kohya_dataset(str(tmp_path))
    message = str(raised.value)
    assert ".;" not in message
    assert "Rename it to train them. " in message
