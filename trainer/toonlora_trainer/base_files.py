"""toonlora_trainer/base_files.py — what a base model that did not load lacks, and the fix to name: the errors
(ModelMissingError, BaseComponentError, BaseFileError), a damaged component or Git LFS pointer of a complete folder, the single-file checkpoint check, and the hints for a diffusers-layout base
(the registry base's pull, a local folder's missing files, another Hub id)."""

from __future__ import annotations

import os
from typing import Any

from .config_schema import REGISTRY
from .error_fix import choose_base, pull_model, repull_model

# The default base (src/schemas/config.ts DEFAULT_BASE_MODEL) and its registry id (src/models/registry.ts).
DEFAULT_BASE_MODEL = REGISTRY["defaultBaseModel"]
REGISTRY_BASE_ID = REGISTRY["defaultBaseModelId"]


class ModelMissingError(FileNotFoundError):
    """The base model is not on this machine; the message says which command fetches it, `fix` the fix as data
    (error_fix.py: the model to pull, or another base)."""

    def __init__(self, message: str, fix: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.fix = fix


class BaseComponentError(ModelMissingError):
    """A diffusers-layout base with all its files there, one component of which does not load (a damaged or
    truncated file, a Git LFS pointer in place of the file); the message names the base, the component, its
    files and the fix."""


class BaseFileError(ValueError):
    """A single-file base checkpoint (--base file.safetensors) that is missing (`missing`) or not a safetensors file."""

    def __init__(self, message: str, *, missing: bool = False, fix: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.missing = missing
        self.fix = fix


def _check_safetensors_file(path: str) -> None:
    """Raises BaseFileError naming `path` when it is missing or its safetensors header does not parse,
    before diffusers turns a bad file into a misleading "configs not found offline" message."""
    if not os.path.isfile(path):
        raise BaseFileError(f"{path}: base checkpoint file not found.", missing=True, fix=choose_base("file"))
    if not path.lower().endswith(".safetensors"):
        return
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            handle.keys()
    except Exception as error:  # safetensors raises its own SafetensorError (not OSError) for a bad header
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BaseFileError(
            f"{path}: not a readable .safetensors checkpoint ({first}). The file is truncated or not a model; download it again."
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


# The files of a diffusers SD1.5 folder _load_diffusers_layout reads, each as the names any one of which will do
# (the weights as .safetensors or .bin; transformers 5 saves a tokenizer as tokenizer.json alone), as the TS
# registry lists them for anything-v5 (src/models/registry.ts).
DIFFUSERS_LAYOUT_FILES: tuple[tuple[str, ...], ...] = (
    ("tokenizer/vocab.json", "tokenizer/tokenizer.json"),
    ("text_encoder/config.json",), ("text_encoder/model.safetensors", "text_encoder/pytorch_model.bin"),
    ("vae/config.json",), ("vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.bin"),
    ("unet/config.json",), ("unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.bin"),
    ("scheduler/scheduler_config.json",),
)
# Where toonlora puts the registry base: the HF cache's repo folder, or the hand-placed $TOONLORA_HOME/models/<id>.
_REGISTRY_BASE_FOLDERS = ("models--" + DEFAULT_BASE_MODEL.replace("/", "--"), os.path.join("models", REGISTRY_BASE_ID))


def missing_layout_files(folder: str) -> list[str]:
    """The files of DIFFUSERS_LAYOUT_FILES that `folder` lacks, e.g. `unet/diffusion_pytorch_model.safetensors (or
    diffusion_pytorch_model.bin)`."""
    missing = []
    for first, *others in DIFFUSERS_LAYOUT_FILES:
        if not any(os.path.isfile(os.path.join(folder, name)) for name in (first, *others)):
            missing.append(first + (f" (or {', '.join(os.path.basename(name) for name in others)})" if others else ""))
    return missing


def _is_registry_base_folder(folder: str) -> bool:
    path = os.path.abspath(folder)
    return _REGISTRY_BASE_FOLDERS[0] in path.split(os.sep) or path.endswith(os.sep + _REGISTRY_BASE_FOLDERS[1])


def _looks_like_hub_id(name: str) -> bool:
    """Whether `name` reads as a Hub repo id, `owner/name`: exactly one slash, and no part that only a path has
    (`.`, `..`, `~…`, or the HF cache's own `models--…` / `snapshots` folders)."""
    parts = name.split("/")
    return len(parts) == 2 and all(
        part and part not in (".", "..", "snapshots") and not part.startswith(("~", "models--")) for part in parts)


def split_revision(base: str) -> tuple[str, str | None]:
    """`owner/name@REV` (what the CLI and the server send for a Hub base named at a revision: REV the commit its ref
    names, src/models/base-revision.ts) as (`owner/name`, REV); any other base as (base, None)."""
    repo, at, revision = base.partition("@")
    if at and revision and _looks_like_hub_id(repo) and not os.path.exists(base):
        return repo, revision
    return base, None


def _pull_command(base: str) -> str:
    """`toonlora models pull` of Hub id `base`, with `--revision` when it names one."""
    repo, revision = split_revision(base)
    return f"toonlora models pull {repo}" + (f" --revision {revision}" if revision else "")


def _is_hub_base(base: str) -> bool:
    return not os.path.isdir(base) and _looks_like_hub_id(split_revision(base)[0])


def is_hub_base(base: str) -> bool:
    """Whether `base` is a Hub id (`owner/name`, `owner/name@REV`), not a local folder."""
    return _is_hub_base(base)


def hub_revision_folder(base: str) -> str | None:
    """The snapshot folder of Hub base `base` in the local HF cache that its revision names (main for a bare
    `owner/name`): the commit its `refs/` file holds, or a commit sha itself, as huggingface_hub resolves a revision
    offline; None when the cache has no such ref or snapshot. Never another revision's snapshot: transformers'
    offline tokenizer load of a bare id whose refs/main is missing took a tag's (CLIPTokenizer.from_pretrained)."""
    import re

    from huggingface_hub import constants

    repo, revision = split_revision(base)
    repo_dir = os.path.join(constants.HF_HUB_CACHE, "models--" + repo.replace("/", "--"))
    commit = revision or "main"
    ref = os.path.join(repo_dir, "refs", commit)
    if os.path.isfile(ref):
        with open(ref, encoding="utf-8") as handle:
            commit = handle.read().strip()
    elif not re.fullmatch(r"[0-9a-f]{40}", commit):
        return None
    folder = os.path.join(repo_dir, "snapshots", commit)
    return folder if commit and os.path.isdir(folder) else None


def hub_id_of_cache_folder(folder: str) -> str | None:
    """The Hub id `owner/name` of a snapshot folder in a Hugging Face cache (`…/models--owner--name/snapshots/<rev>`,
    what the server passes for a Hub-id base), else None."""
    parts = os.path.abspath(folder).split(os.sep)
    for index, part in enumerate(parts[:-2]):
        if part.startswith("models--") and parts[index + 1] == "snapshots":
            repo_id = part[len("models--"):].replace("--", "/")
            return repo_id if _looks_like_hub_id(repo_id) else None
    return None


def _pull_hint(base: str) -> tuple[str, dict[str, Any] | None]:
    """The fix for a diffusers-layout base that did not load, as (words, fix as data): the pull of the registry base
    (by its Hub id or one of its folders), what a local folder lacks, or `toonlora models pull` of another Hub id (it
    pulls any diffusers SD1.5 repo); a path that is not there: another base (choose_base, worded by the driver). A
    local path is never offered for download."""
    pull = f"Run: toonlora models pull {REGISTRY_BASE_ID}"
    if base == DEFAULT_BASE_MODEL:
        return pull, pull_model(REGISTRY_BASE_ID)
    if os.path.isdir(base):
        missing = missing_layout_files(base)
        lacks = f"the folder lacks {', '.join(missing)}" if missing else "the folder's files did not load (damaged?)"
        if _is_registry_base_folder(base):
            return f"{lacks}. {pull}", pull_model(REGISTRY_BASE_ID)
        cached = hub_id_of_cache_folder(base)
        if cached:
            return f"{lacks}. Run: toonlora models pull {cached}", pull_model(cached)
        return f"{lacks}. Put the missing files there (a diffusers SD1.5 layout), or pass another folder / .safetensors file.", None
    if not _is_hub_base(base):
        return "No such folder.", choose_base("path")
    return (f"Pull it into the Hugging Face cache first (`{_pull_command(base)}`: any diffusers SD1.5 repo), or pass a local "
            "folder / .safetensors file.", pull_model(split_revision(base)[0]))


# The components of a diffusers SD1.5 folder, in the order _load_diffusers_layout loads them (each its subfolder).
BASE_COMPONENTS = ("tokenizer", "text_encoder", "vae", "unet", "scheduler")
# The first bytes of a Git LFS pointer: what a `git clone` without git-lfs leaves in place of a weights file.
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def hub_snapshot_folder(base: str) -> str | None:
    """The snapshot folder of Hub id `base` in the local HF cache (the one refs/main names, or `owner/name@REV`'s
    revision), or None."""
    repo, revision = split_revision(base)
    if not _looks_like_hub_id(repo):
        return None
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo, "scheduler/scheduler_config.json", revision=revision)
    except Exception:  # a malformed id, an unreadable cache: no folder to name
        return None
    return os.path.dirname(os.path.dirname(found)) if isinstance(found, str) else None


def component_files(folder: str, component: str) -> list[str]:
    """The files of `folder`/`component`, relative to `folder` (`tokenizer/vocab.json`), sorted."""
    sub = os.path.join(folder, component)
    names = sorted(os.listdir(sub)) if os.path.isdir(sub) else []
    return [f"{component}/{name}" for name in names if os.path.isfile(os.path.join(sub, name))]


def _is_lfs_pointer(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX
    except OSError:
        return False


def _base_named(base: str, folder: str) -> str:
    """`base` as the message names it: the folder itself, or a Hub id with the cache folder it was read from."""
    return base if os.path.abspath(base) == os.path.abspath(folder) else f"{base} ({folder})"


def _refetch_hint(base: str, folder: str, files: list[str]) -> tuple[str, dict[str, Any] | None]:
    """The fix for a damaged file of a complete folder, as (words, the model to pull as data): a pull of the registry
    base or Hub id, also when given as its HF cache snapshot folder (after deleting the file, so that the pull, which
    keeps a file of the listed size, fetches it anew), else a fresh copy."""
    delete = f"Delete {', '.join(os.path.join(folder, name) for name in files)} and run"
    if base == DEFAULT_BASE_MODEL or _is_registry_base_folder(folder):
        return f"{delete} `toonlora models pull {REGISTRY_BASE_ID}` again.", repull_model(REGISTRY_BASE_ID)
    if _is_hub_base(base):
        return f"{delete} `{_pull_command(base)}` again.", repull_model(split_revision(base)[0])
    cached = hub_id_of_cache_folder(folder)
    if cached:  # the snapshot folder the server resolved a Hub id to: a pull, never "another folder"
        return f"{delete} `toonlora models pull {cached}` again.", repull_model(cached)
    return "Copy the folder again from its source (a complete diffusers SD1.5 layout), or pass another folder / .safetensors file.", None


def check_no_lfs_pointers(base: str, folder: str) -> None:
    """Raises BaseComponentError for the first component of `folder` holding a Git LFS pointer instead of a file."""
    for component in BASE_COMPONENTS:
        pointers = [name for name in component_files(folder, component) if _is_lfs_pointer(os.path.join(folder, name))]
        if pointers:
            hint, fix = _refetch_hint(base, folder, pointers)
            raise BaseComponentError(
                f"{_base_named(base, folder)}: cannot load its {component}: {', '.join(pointers)} "
                f"{'is a Git LFS pointer' if len(pointers) == 1 else 'are Git LFS pointers'}, not the file itself "
                f"(a git clone without git-lfs, or a copy of one). {hint}", fix)


def component_load_error(base: str, folder: str, component: str, error: BaseException) -> BaseComponentError:
    """The error for `component` of a complete folder that did not load: the base, the component, its files, the
    loader's first line and the fix."""
    files = component_files(folder, component)
    hint, fix = _refetch_hint(base, folder, files)
    return BaseComponentError(
        f"{_base_named(base, folder)}: cannot load its {component} from {', '.join(files) or f'{component}/'} "
        f"({_first_line(error)}): a file there is damaged or truncated (a stopped download or copy?). {hint}", fix)
