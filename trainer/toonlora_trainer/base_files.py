"""toonlora_trainer/base_files.py — what a base model that did not load lacks, and the fix to name: the errors
(ModelMissingError, BaseFileError), the single-file checkpoint check, and the hints for a diffusers-layout base
(the registry base's pull, a local folder's missing files, another Hub id)."""

from __future__ import annotations

import os

from .config_schema import REGISTRY

# The default base (src/schemas/config.ts DEFAULT_BASE_MODEL) and its registry id (src/models/registry.ts).
DEFAULT_BASE_MODEL = REGISTRY["defaultBaseModel"]
REGISTRY_BASE_ID = REGISTRY["defaultBaseModelId"]


class ModelMissingError(FileNotFoundError):
    """The base model is not on this machine; the message says which command fetches it."""


class BaseFileError(ValueError):
    """A single-file base checkpoint (--base file.safetensors) that is missing (`missing`) or not a safetensors file."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def _check_safetensors_file(path: str) -> None:
    """Raises BaseFileError naming `path` when it is missing or its safetensors header does not parse,
    before diffusers turns a bad file into a misleading "configs not found offline" message."""
    if not os.path.isfile(path):
        raise BaseFileError(f"{path}: base checkpoint file not found. Check the --base path (a .safetensors file, a HF id or tiny).",
                            missing=True)
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


def _pull_hint(base: str) -> str:
    """The fix for a diffusers-layout base that did not load: the pull of the registry base (by its Hub id or one
    of its folders), what a local folder lacks, or `toonlora models pull` of another Hub id (it pulls any diffusers
    SD1.5 repo). A local path is never offered for download."""
    pull = f"Run: toonlora models pull {REGISTRY_BASE_ID}"
    if base == DEFAULT_BASE_MODEL:
        return pull
    if os.path.isdir(base):
        missing = missing_layout_files(base)
        lacks = f"the folder lacks {', '.join(missing)}" if missing else "the folder's files did not load (damaged?)"
        if _is_registry_base_folder(base):
            return f"{lacks}. {pull}"
        return f"{lacks}. Put the missing files there (a diffusers SD1.5 layout), or pass another folder / .safetensors file."
    if not _looks_like_hub_id(base):
        return "No such folder. Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny)."
    return f"Pull it into the Hugging Face cache first (`toonlora models pull {base}`: any diffusers SD1.5 repo), or pass a local folder / .safetensors file."
