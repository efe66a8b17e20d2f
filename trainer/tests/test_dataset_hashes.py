"""The run folder keeps each image's hash by (path, size, mtime in ns) (dataset_record.IMAGE_HASHES), so a run into it
does not read an unchanged dataset again: an edit, also at the same byte size, changes the mtime and is hashed again
and warned about on --resume; other bytes under the same size and mtime keep the old hash (the documented limit); an
image hashed right after it was written is not kept; an unreadable or foreign hash file is ignored."""

import json
import os
import time

from helpers import make_pattern_dataset, training_config

from toonlora_trainer import dataset_record as dr
from toonlora_trainer.config import parse_train_request
from toonlora_trainer.data import scan_kohya_dataset
from toonlora_trainer.train import run_training

HOUR_NS = 3600 * 10**9


def aged(folder, ns_ago=HOUR_NS):
    """Gives every file in `folder` an mtime `ns_ago` in the past (settled: past RACY_NS)."""
    then = time.time_ns() - ns_ago
    for name in os.listdir(folder):
        os.utime(folder / name, ns=(then, then))


def same_size_edit(image, mtime_ns=None):
    """Flips the image's last byte (after IEND: the picture still decodes), size kept; mtime `mtime_ns` or now."""
    data = bytearray(image.read_bytes())
    data[-1] ^= 0xFF
    stat = image.stat()
    image.write_bytes(bytes(data))
    if mtime_ns is not None:
        os.utime(image, ns=(stat.st_atime_ns, mtime_ns))


def counting_reads(monkeypatch):
    """The realpaths the module opens from now on."""
    opened = []

    def counting_open(path, *args, **kwargs):
        opened.append(os.path.realpath(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(dr, "open", counting_open, raising=False)
    return opened


def dataset_of(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=3, repeats=1)
    folder = dataset / "1_sks pattern"
    aged(folder)
    return dataset, folder, [str(folder / f"img{i}.png") for i in range(3)]


def test_an_unchanged_dataset_is_not_read_again_and_a_same_size_edit_is_caught_by_its_mtime(tmp_path, monkeypatch):
    dataset, folder, images = dataset_of(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    first = dr.image_hashes(images, dr.read_image_hashes(str(run)))
    dr.write_image_hashes(str(run), first)
    before = dr.dataset_record(str(dataset), scan_kohya_dataset(str(dataset)), first)

    opened = counting_reads(monkeypatch)
    again = dr.image_hashes(images, dr.read_image_hashes(str(run)))
    assert [p for p in opened if p.endswith(".png")] == []  # only the hash file was read
    assert again == first

    same_size_edit(folder / "img1.png")  # written now: a new mtime, the same size
    edited = dr.image_hashes(images, dr.read_image_hashes(str(run)))
    assert [os.path.basename(p) for p in opened if p.endswith(".png")] == ["img1.png"]
    after = dr.dataset_record(str(dataset), scan_kohya_dataset(str(dataset)), edited)
    assert dr.dataset_changes(before, after) == ["1 image(s) replaced or edited: `1_sks pattern/img1.png`"]
    assert after == dr.dataset_record(str(dataset), scan_kohya_dataset(str(dataset)))  # as hashing every image


def test_other_bytes_under_the_same_size_and_mtime_keep_the_old_hash_the_documented_limit(tmp_path):
    dataset, folder, images = dataset_of(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    dr.write_image_hashes(str(run), dr.image_hashes(images, {}))
    image = folder / "img2.png"
    same_size_edit(image, mtime_ns=image.stat().st_mtime_ns)  # e.g. copied over with its mtime kept
    kept = dr.image_hashes(images, dr.read_image_hashes(str(run)))
    assert kept[os.path.realpath(image)] != dr.image_hashes([str(image)], {})[os.path.realpath(image)]


def test_an_image_hashed_right_after_it_was_written_is_not_kept(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=1)  # mtimes: now
    images = [str(dataset / "1_sks pattern" / f"img{i}.png") for i in range(2)]
    os.utime(images[0], ns=(time.time_ns() - HOUR_NS,) * 2)
    run = tmp_path / "run"
    run.mkdir()
    dr.write_image_hashes(str(run), dr.image_hashes(images, {}))
    assert list(dr.read_image_hashes(str(run))) == [os.path.realpath(images[0])]


def test_a_missing_damaged_or_foreign_hash_file_is_ignored(tmp_path):
    assert dr.read_image_hashes(str(tmp_path / "nowhere")) == {}
    for text in ("{not json", "[]", json.dumps({"version": 2, "images": {}}), json.dumps({"version": 1, "images": {"a": [1]}})):
        (tmp_path / dr.IMAGE_HASHES).write_text(text, encoding="utf-8")
        assert dr.read_image_hashes(str(tmp_path)) == {}


def train(dataset, run_dir, config, resume=False):
    events = []
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(run_dir), "resume": resume,
               "config": config}
    run_training(parse_train_request(request), events.append, lambda: False)
    return events


def test_a_resume_reads_only_the_edited_image_and_warns_naming_it(tmp_path, monkeypatch):
    dataset, folder, images = dataset_of(tmp_path)
    run = tmp_path / "run"
    train(dataset, run, training_config(steps=1))
    assert sorted(dr.read_image_hashes(str(run))) == sorted(os.path.realpath(p) for p in images)
    same_size_edit(folder / "img0.png")
    opened = counting_reads(monkeypatch)
    events = train(dataset, run, training_config(steps=2), resume=True)
    assert [os.path.basename(p) for p in opened if p.endswith(".png")] == ["img0.png"]
    warnings = [e.message for e in events if e.type == "log" and e.level == "warn" and "different dataset" in e.message]
    assert len(warnings) == 1 and "1 image(s) replaced or edited: `1_sks pattern/img0.png`" in warnings[0], warnings
    assert events[-1].type == "done"
