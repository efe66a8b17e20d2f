"""toonlora_trainer/dataset_record.py — which dataset a checkpoint was trained on, and what changed since; and what a
finished run reports it trained (trained_folders: the kohya metadata's folders, repeats and captions).

Every checkpoint stores a small record of its dataset (resolved folder, image count, the kohya folders, a hash of the
images' relative names and sizes, and per image a hash of its bytes and of the caption it trained with). `--resume`
compares it with the dataset it is given and warns, naming what differs: resuming on other images (another trigger
folder, images added, removed, replaced or edited, captions edited) is allowed, since a user may mean it, but should
never pass unnoticed. The same images and captions in another folder (a data folder copied or moved) are not a
change: the resume says so in an info line (dataset_move_note). A checkpoint whose record has no per-image hashes (before they were stored) is compared by names
and sizes only; one from before the record was stored resumes without the check.

Hashing every image's bytes costs about 1.5 s per 200 screenshots, on every run: the run folder keeps each image's
hash beside its (path, size, mtime in ns) in IMAGE_HASHES, and an image whose size and mtime are unchanged is not read
again. An edit changes the mtime (also at the same size), so it is hashed again; a file given other bytes but the
same size and mtime (copied over with its mtime kept, `touch -r`) keeps its old hash: the record only drives the
--resume warning, which such a file then does not get. An image changed less than RACY_NS after its mtime when it
was hashed is not kept (a coarse-mtime file system could give a later edit the same mtime).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterable
from typing import NamedTuple

from .data import is_one_kohya_folder
from .dataset_items import Dataset
from .protocol import TrainedFolder

NAMED_FILES = 3  # files a warning names before "and N more"
IMAGE_HASHES = ".image-hashes.json"  # in the run folder: {"version": 1, "images": {realpath: [size, mtime_ns, hash]}}
RACY_NS = 2_000_000_000  # an mtime this close to the hashing is not trusted later (FAT, SMB: 2 s granularity)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


class ImageHash(NamedTuple):
    size: int
    mtime_ns: int
    digest: str  # 16 hex digits of the bytes' sha256
    settled: bool = True  # its mtime was RACY_NS or more in the past when it was hashed: may be kept


def image_hashes(paths: Iterable[str], known: dict[str, ImageHash]) -> dict[str, ImageHash]:
    """Each image's hash by its realpath: `known`'s (read_image_hashes) when its size and mtime still match, else its
    bytes read and hashed."""
    hashes = {}
    for path in paths:
        real = os.path.realpath(path)
        now = time.time_ns()
        stat = os.stat(real)
        old = known.get(real)
        if old is not None and (old.size, old.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            hashes[real] = old
            continue
        with open(real, "rb") as image:
            data = image.read()
        settled = now - stat.st_mtime_ns >= RACY_NS
        hashes[real] = ImageHash(stat.st_size, stat.st_mtime_ns, _digest(data), settled)
    return hashes


def read_image_hashes(run_dir: str) -> dict[str, ImageHash]:
    """The hashes a former run into `run_dir` kept (IMAGE_HASHES); none when it has none or it does not read."""
    try:
        with open(os.path.join(run_dir, IMAGE_HASHES), encoding="utf-8") as handle:
            saved = json.load(handle)
        if saved.get("version") != 1:
            return {}
        return {path: ImageHash(int(size), int(mtime_ns), str(digest))
                for path, (size, mtime_ns, digest) in saved["images"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def write_image_hashes(run_dir: str, hashes: dict[str, ImageHash]) -> None:
    """Keeps the settled `hashes` in `run_dir` for the next run into it (atomic; a failed write only costs time)."""
    images = {path: [h.size, h.mtime_ns, h.digest] for path, h in hashes.items() if h.settled}
    path = os.path.join(run_dir, IMAGE_HASHES)
    with contextlib.suppress(OSError):
        with open(f"{path}.tmp", "w", encoding="utf-8") as handle:
            json.dump({"version": 1, "images": images}, handle)
        os.replace(f"{path}.tmp", path)


def dataset_record(dataset_dir: str, dataset: Dataset, hashes: dict[str, ImageHash] | None = None) -> dict:
    """The record stored in a checkpoint: `path` (resolved; the folder holding the kohya folders, also when one kohya
    folder is given directly), `images`, `folders` (kohya folder names, sorted),
    `fingerprint` (sha256 of each image's path relative to the dataset and its size in bytes, in item order) and
    `files` ({relative image path: [hash of its bytes, hash of its caption as trained]}, 16 hex digits each).
    `hashes`: the images' (image_hashes); left out, each image is read and hashed."""
    if hashes is None:
        hashes = image_hashes((item.image_path for item in dataset.items), {})
    root, prefix = os.path.realpath(dataset_dir), ""
    if is_one_kohya_folder(dataset_dir):  # `OUT/10_sks girl` given directly: recorded as `OUT` would be
        absolute = os.path.abspath(dataset_dir)
        prefix = os.path.basename(absolute)
    digest = hashlib.sha256()
    folders = set()
    files = {}
    for item in dataset.items:
        real = os.path.realpath(item.image_path)
        relative = os.path.normpath(os.path.join(prefix, os.path.relpath(real, root)))
        folders.add(os.path.dirname(relative))
        image = hashes[real]
        digest.update(f"{relative}\0{image.size}\n".encode())
        files[relative] = [image.digest, _digest(item.caption.encode())]
    if prefix:
        root = os.path.realpath(os.path.dirname(absolute))
    return {"path": root, "images": len(dataset.items), "folders": sorted(folders), "fingerprint": digest.hexdigest(),
            "files": files}


def _named(what: str, names: list[str]) -> str:
    """`what` and the first NAMED_FILES of `names` (sorted), then "and N more"."""
    shown = ", ".join(f"`{name}`" for name in names[:NAMED_FILES])
    more = len(names) - NAMED_FILES
    return f"{what} {shown}" + (f" and {more} more" if more > 0 else "")


def _file_changes(old: dict, new: dict, named_folders: set[str]) -> list[str]:
    """Per-image phrases between two `files` records: images edited, captions edited, images gone, images new (but
    not those of `named_folders`, the folders already named as gone or new)."""
    both = sorted(set(old) & set(new))
    edited = [name for name in both if old[name][0] != new[name][0]]
    captions = [name for name in both if old[name][1] != new[name][1]]
    gone = sorted(name for name in set(old) - set(new) if os.path.dirname(name) not in named_folders)
    added = sorted(name for name in set(new) - set(old) if os.path.dirname(name) not in named_folders)
    changes = []
    if edited:
        changes.append(_named(f"{len(edited)} image(s) replaced or edited:", edited))
    if captions:
        changes.append(_named(f"the caption of {len(captions)} image(s) edited:", captions))
    if gone:
        changes.append(_named(f"{len(gone)} image(s) no longer in the dataset:", gone))
    if added:
        changes.append(_named(f"{len(added)} new image(s):", added))
    return changes


def _as_parent_spelling(record: dict) -> dict:
    """A record written when one kohya folder was given directly, before such records named it as its parent folder
    does (folder `""`, the kohya folder as `path`): rewritten to the parent spelling (`path` the parent, folder and
    image names under the kohya folder's name), so resuming with either spelling compares the same images alike."""
    if record.get("folders") != [""] or not record.get("path"):
        return record
    path = str(record["path"])
    name = os.path.basename(path)
    files = {os.path.join(name, image): hashes for image, hashes in record.get("files", {}).items()}
    return record | {"path": os.path.dirname(path), "folders": [name]} | ({"files": files} if "files" in record else {})


def dataset_changes(old: dict | None, new: dict) -> list[str]:
    """What differs between the checkpoint's dataset record `old` and this run's `new`, one phrase each; empty when
    they match or `old` is None (a checkpoint from before records were stored). An `old` record without `files`
    (before per-image hashes were stored) is compared by image names and sizes (`fingerprint`). Another folder alone
    is no change (the images are named relative to it); with other changes it is named first."""
    if not old:
        return []
    old = _as_parent_spelling(old)
    changes = []
    gone = sorted(set(old.get("folders", [])) - set(new["folders"]))
    added = sorted(set(new["folders"]) - set(old.get("folders", [])))
    if gone:
        changes.append("folder(s) " + ", ".join(f"`{f}`" for f in gone) + " no longer trained")
    if added:
        changes.append("new folder(s) " + ", ".join(f"`{f}`" for f in added))
    if old.get("images") != new["images"]:
        changes.append(f"{old.get('images')} images then, {new['images']} now")
    if "files" in old:
        changes += _file_changes(old["files"], new["files"], set(gone) | set(added))
    elif not changes and old.get("fingerprint") != new["fingerprint"]:
        changes.append("the same number of images, but files were renamed, replaced or edited")
    if changes and old.get("path") != new["path"]:
        changes.insert(0, f"the dataset folder was {old.get('path')}, now {new['path']}")
    return changes


def dataset_move_note(old: dict | None, new: dict, folder: str) -> str | None:
    """The --resume info line for a dataset that only moved (another folder, the same images and captions: a data
    folder copied or moved), else None."""
    if not old or dataset_changes(old, new):
        return None
    old = _as_parent_spelling(old)
    if old.get("path") == new["path"]:
        return None
    same = "the same images and captions" if "files" in old else "the same image names and sizes"
    return f"resuming {folder}: the dataset moved from {old.get('path')} to {new['path']}, {same}"


def dataset_change_warning(old: dict | None, new: dict, folder: str) -> str | None:
    """The --resume warning for a changed dataset (None when unchanged): names `folder`, the checkpoint, and each change."""
    changes = dataset_changes(old, new)
    if not changes:
        return None
    return (f"resuming {folder} on a different dataset than it was trained on: " + "; ".join(changes)
            + ". The run goes on with this dataset; resume with the original one to continue the same training.")


def trained_folders(dataset: Dataset) -> list[TrainedFolder]:
    """The kohya folders `dataset` trains, in its (folder name) order, each with its repeats, trigger and its images'
    captions as read: the one reading of the dataset the kohya metadata is built from (ss_dataset_dirs,
    ss_tag_frequency, ss_num_train_images), so it counts exactly the images that decoded."""
    folders: dict[str, TrainedFolder] = {}
    for item in dataset.items:
        name = os.path.basename(os.path.dirname(item.image_path))
        folder = folders.setdefault(name, TrainedFolder(name, item.repeats, item.trigger, []))
        folder.captions.append(item.caption)
    return list(folders.values())
