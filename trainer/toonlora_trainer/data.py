"""toonlora_trainer/data.py — the kohya dataset layout: `<repeats>_<trigger> <class>/name.png + name.txt`.

Scans folders (repeats from the folder name, as kohya sd-scripts' DreamBooth datasets do), reads
captions, shuffles caption tags with the trigger kept first, and loads images as [-1, 1] tensors.
Aspect-ratio buckets (kohya's `enable_bucket`, library/train_util.py make_bucket_resolutions): each image
trains at the bucket size nearest its aspect ratio (sides in steps of 64, area up to resolution^2), cropped
only to that ratio; a batch holds one bucket. Without buckets every image is centre-cropped to a square.
The sample order is a pure function of (seed, epoch), so a resumed run sees the same batches.
The dataset types live in dataset_items.py, the buckets in buckets.py, image loading in image_tensors.py and
the batch order in batch_order.py; import their names from there.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from PIL import Image

from .config_schema import PREP_LAYOUT
from .dataset_items import Dataset, DatasetError, DatasetItem

# Every extension `toonlora prep` walks (src/prep/inputs.ts IMAGE_EXTENSIONS, read from config_schema.json: JPEG's other
# names, GIF, TIFF, BMP, HEIF, AVIF): the ones Pillow opens are trained, the others (HEIC/HEIF without a Pillow plugin)
# are named in a warning, never dropped silently. (The TypeScript side reads no dataset file: a run's `done` facts say
# what it trained.)
_DATASET_SUFFIXES = tuple(PREP_LAYOUT["imageExtensions"])
_PIL_OPENS = frozenset(ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)
IMAGE_SUFFIXES = tuple(suffix for suffix in _DATASET_SUFFIXES if suffix in _PIL_OPENS)
UNREADABLE_SUFFIXES = tuple(suffix for suffix in _DATASET_SUFFIXES if suffix not in _PIL_OPENS)
# A prep run's staging folder inside its output folder (src/prep/output-swap.ts STAGING_DIR, read from
# config_schema.json): left behind by a prep that was killed before it moved its dataset into place.
PREP_STAGING_DIR: str = PREP_LAYOUT["stagingDir"]
FOLDER_PATTERN = re.compile(r"^(\d+)_(.+)$")


def scan_kohya_dataset(dataset_dir: str) -> Dataset:
    """Reads every `<repeats>_<trigger> <class>` folder; raises DatasetError if nothing can be trained on.

    `dataset_dir` is the folder `toonlora prep` wrote (holding the kohya folders) or one kohya folder itself (the
    `dataset:` path prep prints): that folder alone is trained, with the repeats its name gives.

    A missing caption falls back to the folder's `<trigger> <class>` (kohya's class-token caption);
    unreadable captions are reported in `warnings` and skipped, never silently. An image that does not decode is
    left out with a warning naming it and the reason, so one broken file does not stop the run; a dataset where
    none decodes is a DatasetError listing them.
    """
    root = Path(dataset_dir)
    if not root.is_dir():
        raise DatasetError(f"{dataset_dir}: not a folder. Give the dataset folder that `toonlora prep` wrote.", missing=True)
    items: list[DatasetItem] = []
    warnings: list[str] = []
    unreadable: list[str] = []
    scanned: list[Path] = []  # every image of the trained folders, for the one both-caption-files warning
    folders = _kohya_folders(root)
    if folders != [root]:
        warnings += _misnamed_folder_warnings(root)
    for folder in folders:
        match = FOLDER_PATTERN.match(folder.name)
        assert match is not None
        repeats, tokens = int(match.group(1)), match.group(2).strip()
        if repeats < 1:
            warnings.append(f"{folder}: repeats is 0, folder skipped")
            continue
        trigger = tokens.split()[0]
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        scanned += images
        warnings += _unreadable_format_warnings(folder)
        warnings += _nested_image_warnings(folder)
        for image in images:
            problem = _decode_problem(image)
            if problem:
                unreadable.append(f"{image}: cannot read image ({problem})")
                continue
            caption = _read_caption(image, tokens, warnings)
            items.append(DatasetItem(str(image), caption, trigger, repeats, tokens))
    if unreadable and not items:
        raise DatasetError(f"{dataset_dir}: no readable images, {len(unreadable)} could not be decoded: " + "; ".join(unreadable[:5])
                           + (f"; and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""))
    if not items:
        prep_dataset = _prep_dataset_near(root)
        if prep_dataset is not None:
            raise DatasetError(prep_dataset, missing=True)
        stopped = (Path(dataset_dir) / PREP_STAGING_DIR).is_dir()
        raise DatasetError(
            f"{dataset_dir}: no images found in `<repeats>_<trigger> <class>` folders (e.g. `10_sks girl/a.png`). "
            + (f"A prep run into this folder was stopped before it finished (what it made is in {PREP_STAGING_DIR}): "
               "run `toonlora prep` again." if stopped else "Run `toonlora prep` first or rename the folders.")
            # what the scan saw and why none of it trains (repeats 0, a misnamed folder, a format Pillow cannot read, ...)
            + (" What the scan found: " + " ".join(_sentence(w) for w in warnings) if warnings else ""),
            missing=True,
        )
    warnings += _both_caption_files_warning(scanned)
    warnings += [f"{line}; left out of the training set" for line in unreadable]
    return Dataset(tuple(items), tuple(warnings))


def is_one_kohya_folder(dataset_dir: str) -> bool:
    """Whether `dataset_dir` is itself the one kohya folder trained (prep's printed `dataset:`), not the folder
    holding the kohya folders: scan_kohya_dataset's own choice, so the checkpoint's dataset record can name its
    images as the other spelling of the same dataset does (`10_sks girl/a.png`, dataset_record.py)."""
    root = Path(dataset_dir)
    return root.is_dir() and _kohya_folders(root) == [root]


def _kohya_folders(root: Path) -> list[Path]:
    """The `<repeats>_<trigger> <class>` folders in `root`; when it holds none and is named like one, `root` itself
    (prep prints that folder as its `dataset:`, so a user gives it to train as printed)."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and FOLDER_PATTERN.match(p.name))
    if not folders and FOLDER_PATTERN.match(root.name):
        return [root]
    return folders


# Folders `toonlora prep` writes beside the kohya folders: their images are review material, not training data.
PREP_SIDE_FOLDERS = frozenset({"stages"})


def _sentence(text: str) -> str:
    """`text` ending in a full stop, once (the scan's warnings joined into one error read `... them.; ...` before)."""
    return text if text.endswith((".", "!", "?")) else text + "."


def _holds_kohya_folders(folder: Path) -> bool:
    try:
        return any(p.is_dir() and FOLDER_PATTERN.match(p.name) for p in folder.iterdir())
    except OSError:
        return False


def _prep_dataset_near(root: Path) -> str | None:
    """When `root` trains nothing because it is not the dataset folder `toonlora prep` wrote but one of its other
    outputs, or the folder above it: the message naming the dataset folder to give train instead; None otherwise.
    - `root` is prep's review folder `stages/` (each panel's stage images), or a folder inside it;
    - `root` holds one or more prep dataset folders (a folder with `<repeats>_<trigger> <class>` folders in it)."""
    resolved = root.resolve()
    for folder in (resolved, *resolved.parents):
        if folder.name in PREP_SIDE_FOLDERS and _holds_kohya_folders(folder.parent):
            where = "this is" if folder == resolved else "this is inside"
            return (f"{root}: {where} `toonlora prep`'s review folder ({folder.name}/: the stages of each image, not "
                    f"training data). Give train the dataset folder prep wrote: {folder.parent}")
    try:
        below = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and _holds_kohya_folders(p))
    except OSError:
        return None
    if not below:
        return None
    named = ", ".join(str(p) for p in below[:3]) + (f" and {len(below) - 3} more" if len(below) > 3 else "")
    return (f"{root}: no `<repeats>_<trigger> <class>` folders here, but {'a folder' if len(below) == 1 else 'folders'} in "
            f"it {'holds' if len(below) == 1 else 'hold'} them (a dataset `toonlora prep` wrote?): give train "
            f"{'that folder' if len(below) == 1 else 'one of them'}: {named}")


def _misnamed_folder_warnings(root: Path) -> list[str]:
    """A warning per folder that holds images but is not named `<repeats>_<trigger> <class>`: kohya skips such a
    folder too, and a user who renamed one by hand should hear that its images are not trained."""
    warnings = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if FOLDER_PATTERN.match(folder.name) or folder.name in PREP_SIDE_FOLDERS or folder.name.startswith("."):
            continue
        images = sum(1 for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            warnings.append(f"{folder}: {images} image(s) not trained: the folder name is not `<repeats>_<trigger> <class>` "
                            "(e.g. `10_sks girl`). Rename it to train them.")
    return warnings


def _unreadable_format_warnings(folder: Path) -> list[str]:
    """One warning for the image files in kohya folder `folder` whose format Pillow cannot open here (UNREADABLE_SUFFIXES,
    e.g. .heic without pillow-heif): prep takes them, so a user who put them in by hand should hear they are not
    trained."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in UNREADABLE_SUFFIXES and p.is_file())
    if not files:
        return []
    names = ", ".join(p.name for p in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    kinds = "/".join(sorted({p.suffix.lower() for p in files}))
    return [f"{folder}: {len(files)} image(s) not trained ({names}): the trainer's image library (Pillow) cannot read "
            f"{kinds} here. Convert them to PNG to train them (trained: {' '.join(IMAGE_SUFFIXES)})."]


def _nested_image_warnings(folder: Path) -> list[str]:
    """A warning per subfolder of kohya folder `folder` that holds images (at any depth): only the folder's own files
    are trained, as in kohya sd-scripts (DreamBoothDataset globs `image_dir/*` without recursing), so a user who
    sorted images into `10_sks girl/extra/` should hear they are left out."""
    warnings = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        images = sorted(p for p in sub.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if images:
            names = ", ".join(str(p.relative_to(folder)) for p in images[:3]) + (f" and {len(images) - 3} more" if len(images) > 3 else "")
            warnings.append(f"{sub}: {len(images)} image(s) in a subfolder not trained ({names}): only the files directly in "
                            f"{folder.name} are read. Move them up into {folder} to train them.")
    return warnings


def _decode_problem(path: Path) -> str | None:
    """Why the image at `path` does not decode (not an image, truncated, ...), or None when it does. JPEGs decode at
    1/8 scale (PIL's draft mode), which still reads the whole stream, so a 100-image dataset checks in about a second."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (image.width // 8 or 1, image.height // 8 or 1))
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        return str(error) or type(error).__name__
    return None


# Caption files in the order they are looked for: `.txt` (what `toonlora prep` writes), then `.caption` (kohya
# sd-scripts' default --caption_extension). When an image has both, the `.txt` wins (dataset_captions warns once).
CAPTION_SUFFIXES = (".txt", ".caption")


def caption_file(image: Path) -> Path | None:
    """The caption file of `image`: `name.txt`, else `name.caption`; None when there is neither."""
    for suffix in CAPTION_SUFFIXES:
        candidate = image.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def _both_caption_files_warning(images: list[Path]) -> list[str]:
    """One warning for the images that have a `.txt` and a `.caption` file: the `.txt` is read, the other not."""
    both = [image for image in images if all(image.with_suffix(s).is_file() for s in CAPTION_SUFFIXES)]
    if not both:
        return []
    example = both[0].with_suffix(".caption")
    return [f"{len(both)} image(s) have both a .txt and a .caption caption file (e.g. {example}): the .txt is used, "
            "the .caption is ignored. Delete the one you do not want."]


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # little-endian, big-endian


def decode_caption(raw: bytes) -> str:
    """A caption file's text: UTF-16 (LE or BE, by its BOM) when it starts with a UTF-16 BOM, else UTF-8 with an
    optional BOM. Raises UnicodeDecodeError for anything else (kohya sd-scripts reads captions as UTF-8 only)."""
    if raw.startswith(UTF16_BOMS):
        return raw.decode("utf-16")  # the BOM picks the byte order and is dropped
    return raw.decode("utf-8-sig")


def _read_caption(image: Path, fallback: str, warnings: list[str]) -> str:
    """The image's caption (caption_file), else `fallback`; an empty file also means `fallback` (kohya's class-token
    caption). Read as UTF-8 with an optional BOM (Windows Notepad writes one): a BOM kept in the text would glue
    itself to the first tag, so the trigger check would miss it and the trigger would train twice. A file starting
    with a UTF-16 BOM (Notepad's "Unicode" / "Unicode big endian") is read as UTF-16 (decode_caption)."""
    path = caption_file(image)
    if path is None:
        return fallback
    try:
        text = decode_caption(path.read_bytes()).strip()
    except (OSError, UnicodeDecodeError) as error:
        warnings.append(f"{path}: unreadable caption ({error}); using {fallback!r}")
        return fallback
    return text or fallback


def _without_trigger_word(tag: str, trigger: str) -> str:
    """`tag` with every whitespace-separated word that is the trigger (any case) removed: `sks girl` -> `girl`,
    `smiling SKS` -> `smiling`, `sks` -> ``. A tag without the trigger as a whole word is returned as it is (`sks_girl`,
    `(sks)` and `sksx` are other words)."""
    words = tag.split()
    if not any(word.lower() == trigger.lower() for word in words):
        return tag
    return " ".join(word for word in words if word.lower() != trigger.lower())


def shuffle_caption(caption: str, trigger: str, rng: random.Random) -> str:
    """Shuffles the comma-separated tags; the trigger stays first, once (kohya `keep_tokens=1` with the trigger as the
    first tag, which is how prep writes captions).

    The rule, for every training caption to carry the trigger exactly once and in the same place: the trigger is put
    first, and in every tag (the first one included) the trigger as a whole word (any case: CLIP lower-cases) is
    removed while the tag's other words stay, since they still describe the image: `sks girl, smile` trains as
    `sks, girl, smile` (shuffled after the trigger) and `red eyes, sks girl` as `sks, girl, red eyes`, not with `sks`
    a second time at a random place; a tag that was only the trigger is dropped. A tag that holds the trigger inside
    another word (`sks_girl`, `(sks)`) is left as it is: it is another token sequence for CLIP.
    """
    tags = [_without_trigger_word(t.strip(), trigger) for t in caption.split(",")]
    tags = [t for t in tags if t]
    rng.shuffle(tags)
    return ", ".join([trigger, *tags])
