"""`--resume` on a dataset whose files were edited in place: a caption edited, or an image replaced by one of the same
byte size, trains on the new data, so the resume warns naming those files (dataset_record.py hashes each image's bytes
and caption). A checkpoint whose record predates the per-image hashes is still compared by names and sizes."""

import shutil

from helpers import make_pattern_dataset, training_config
from PIL import Image

from toonlora_trainer.config import parse_train_request
from toonlora_trainer.data import scan_kohya_dataset
from toonlora_trainer.dataset_record import dataset_changes, dataset_move_note, dataset_record
from toonlora_trainer.train import run_training


def train(dataset, run_dir, config, resume=False):
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(run_dir), "resume": resume,
               "config": config}
    run_training(parse_train_request(request), events.append, lambda: False)
    return events


def test_resume_after_a_caption_edit_and_a_same_size_image_edit_warns_naming_both_files(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=3, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=2))
    folder = dataset / "1_sks pattern"
    (folder / "img0.txt").write_text("sks, completely different words here", encoding="utf-8")
    image = folder / "img1.png"
    size = image.stat().st_size
    Image.new("RGB", (64, 64), (0, 200, 0)).save(image)  # another picture, padded to the same byte size
    assert image.stat().st_size <= size
    image.write_bytes(image.read_bytes().ljust(size, b"\0"))  # bytes after IEND: decoders ignore them
    events = train(dataset, tmp_path / "run", training_config(steps=3), resume=True)
    warnings = [e.message for e in events if e.type == "log" and e.level == "warn" and "different dataset" in e.message]
    assert len(warnings) == 1, warnings
    assert "1 image(s) replaced or edited: `1_sks pattern/img1.png`" in warnings[0]
    assert "the caption of 1 image(s) edited: `1_sks pattern/img0.png`" in warnings[0]
    assert "img2" not in warnings[0]
    assert events[-1].type == "done"  # a warning, not a refusal


def record(files: dict, fingerprint="f") -> dict:
    return {"path": "/d", "images": len(files), "folders": ["5_sks girl"], "fingerprint": fingerprint, "files": files}


def test_a_warning_names_three_files_of_each_change_then_how_many_more():
    old = record({f"5_sks girl/{i}.png": ["img", "cap"] for i in range(6)})
    new = record({f"5_sks girl/{i}.png": ["other", "cap" if i else "new"] for i in range(6)})
    assert dataset_changes(old, new) == [
        "6 image(s) replaced or edited: `5_sks girl/0.png`, `5_sks girl/1.png`, `5_sks girl/2.png` and 3 more",
        "the caption of 1 image(s) edited: `5_sks girl/0.png`",
    ]
    renamed = record({"5_sks girl/a.png": ["img", "cap"], "5_sks girl/b.png": ["img", "cap"]})
    now = record({"5_sks girl/a.png": ["img", "cap"], "5_sks girl/c.png": ["img", "cap"]})
    assert dataset_changes(renamed, now) == ["1 image(s) no longer in the dataset: `5_sks girl/b.png`",
                                             "1 new image(s): `5_sks girl/c.png`"]
    assert dataset_changes(now, dict(now)) == []


def test_a_record_without_per_image_hashes_is_compared_by_names_and_sizes():
    """A checkpoint written before `files` was stored: the old check (names and sizes), no per-file names."""
    new = record({"5_sks girl/a.png": ["img", "cap"]}, fingerprint="same")
    old = {key: value for key, value in new.items() if key != "files"}
    assert dataset_changes(old, new) == []  # an edit that kept names and sizes is not seen in such a record
    assert dataset_changes({**old, "fingerprint": "other"}, new) == [
        "the same number of images, but files were renamed, replaced or edited"]


def test_a_kohya_folder_given_directly_records_its_images_as_its_parent_folder_does(tmp_path):
    """`train OUT/1_sks pattern` then `--resume` with `OUT` (or the reverse), the same images: no dataset warning.
    Before, the direct spelling stored folder `""` and the kohya folder as path, so the switch warned of a new folder,
    a new dataset path and every image gone and new."""
    dataset = make_pattern_dataset(tmp_path / "OUT", images=2, repeats=1)
    folder = dataset / "1_sks pattern"
    direct, parent = (dataset_record(str(path), scan_kohya_dataset(str(path))) for path in (folder, dataset))
    assert direct == parent
    assert direct["folders"] == ["1_sks pattern"] and "1_sks pattern/img0.png" in direct["files"]
    (folder / "img0.txt").write_text("sks, edited", encoding="utf-8")  # a real change still shows across spellings
    assert dataset_changes(direct, dataset_record(str(dataset), scan_kohya_dataset(str(dataset)))) == [
        "the caption of 1 image(s) edited: `1_sks pattern/img0.png`"]


def test_a_record_written_with_folder_blank_compares_with_either_spelling():
    """A checkpoint written before the fix above (folder `""`, the kohya folder as path) resumes warning-free."""
    old = {"path": "/d/5_sks girl", "images": 1, "folders": [""], "fingerprint": "f", "files": {"a.png": ["img", "cap"]}}
    assert dataset_changes(old, record({"5_sks girl/a.png": ["img", "cap"]})) == []
    assert dataset_changes(old, record({"5_sks girl/a.png": ["other", "cap"]})) == [
        "1 image(s) replaced or edited: `5_sks girl/a.png`"]


def test_a_data_folder_copied_elsewhere_resumes_with_an_info_line_not_a_different_dataset_warning(tmp_path):
    """The dataset and its run folder copied to another path (a data folder moved to a new disk), then resumed there:
    the same images and captions, so no "different dataset" warning telling the user to resume with the original
    (which they cannot: it is gone), only an info line naming both folders. Before, the path alone made it warn."""
    dataset = make_pattern_dataset(tmp_path / "a" / "ds", images=2, repeats=1)
    train(dataset, tmp_path / "a" / "run", training_config(steps=2))
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    shutil.rmtree(tmp_path / "a")
    moved = tmp_path / "b" / "ds"
    events = train(moved, tmp_path / "b" / "run", training_config(steps=3), resume=True)
    logs = [(e.level, e.message) for e in events if e.type == "log"]
    assert not [m for level, m in logs if level == "warn" and "different dataset" in m], logs
    notes = [m for level, m in logs if level == "info" and "the dataset moved" in m]
    assert len(notes) == 1, logs
    assert notes[0].endswith(f": the dataset moved from {dataset} to {moved}, the same images and captions")
    assert events[-1].type == "done"


def test_another_folder_alone_is_no_change_but_is_named_with_a_real_one():
    old = record({"5_sks girl/a.png": ["img", "cap"]})
    moved = {**old, "path": "/e"}
    assert dataset_changes(old, moved) == []
    assert dataset_move_note(old, moved, "ck") == "resuming ck: the dataset moved from /d to /e, the same images and captions"
    assert dataset_move_note(old, dict(old), "ck") is None  # not moved
    edited = {**moved, "files": {"5_sks girl/a.png": ["img", "new"]}}
    assert dataset_changes(old, edited) == ["the dataset folder was /d, now /e",
                                            "the caption of 1 image(s) edited: `5_sks girl/a.png`"]
    assert dataset_move_note(old, edited, "ck") is None  # the warning says it
    no_files = {key: value for key, value in old.items() if key != "files"}
    assert dataset_move_note(no_files, moved, "ck") == (
        "resuming ck: the dataset moved from /d to /e, the same image names and sizes")
    assert dataset_changes({**no_files, "fingerprint": "other"}, moved) == [
        "the dataset folder was /d, now /e", "the same number of images, but files were renamed, replaced or edited"]
