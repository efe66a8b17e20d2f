"""toonlora_trainer/dataset_record.py — which dataset a checkpoint was trained on, and what changed since; and what a
finished run reports it trained (trained_folders: the kohya metadata's folders, repeats and captions).

Every checkpoint stores a small record of its dataset (resolved folder, image count, the kohya folders and a hash of
the images' relative names and sizes). `--resume` compares it with the dataset it is given and warns, naming what
differs: resuming on other images (another trigger folder, images added or removed) is allowed, since a user may mean
it, but should never pass unnoticed. Checkpoints from before the record was stored resume without the check.
"""

from __future__ import annotations

import hashlib
import os

from .data import Dataset
from .protocol import TrainedFolder


def dataset_record(dataset_dir: str, dataset: Dataset) -> dict:
    """The record stored in a checkpoint: `path` (resolved), `images`, `folders` (kohya folder names, sorted) and
    `fingerprint` (sha256 of each image's path relative to the dataset and its size in bytes, in item order)."""
    root = os.path.realpath(dataset_dir)
    digest = hashlib.sha256()
    folders = set()
    for item in dataset.items:
        relative = os.path.relpath(os.path.realpath(item.image_path), root)
        folders.add(os.path.dirname(relative))
        digest.update(f"{relative}\0{os.path.getsize(item.image_path)}\n".encode())
    return {"path": root, "images": len(dataset.items), "folders": sorted(folders), "fingerprint": digest.hexdigest()}


def dataset_changes(old: dict | None, new: dict) -> list[str]:
    """What differs between the checkpoint's dataset record `old` and this run's `new`, one phrase each; empty when
    they match or `old` is None (a checkpoint from before records were stored)."""
    if not old:
        return []
    changes = []
    if old.get("path") != new["path"]:
        changes.append(f"the dataset folder was {old.get('path')}, now {new['path']}")
    gone = sorted(set(old.get("folders", [])) - set(new["folders"]))
    added = sorted(set(new["folders"]) - set(old.get("folders", [])))
    if gone:
        changes.append("folder(s) " + ", ".join(f"`{f}`" for f in gone) + " no longer trained")
    if added:
        changes.append("new folder(s) " + ", ".join(f"`{f}`" for f in added))
    if old.get("images") != new["images"]:
        changes.append(f"{old.get('images')} images then, {new['images']} now")
    if not changes and old.get("fingerprint") != new["fingerprint"]:
        changes.append("the same number of images, but files were renamed, replaced or edited")
    return changes


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
