"""toonlora_trainer/checkpoint.py — saves and restores the PEFT adapter and the full training state.

A checkpoint folder `checkpoints/step-000250/` holds `adapter_model.safetensors` + `adapter_config.json`
(PEFT's own layout, keys `base_model.model.<module>.lora_A.weight`), when the text encoder is trained
its adapter in `text_encoder/` (same layout; the subfolder convention of diffusers pipelines, which
src/lora/open-lora.ts reads), and `training_state.pt` (optimizer, LR scheduler, grad scaler, noise RNG
state, step): everything `--resume` needs to continue the same trajectory. Folders are written under a temporary name and renamed, so a crash never leaves a half one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable

import torch
from safetensors.torch import load_file, save_file

from .base_files import hub_id_of_cache_folder, is_hub_base, split_revision
from .write_errors import describe_write_failure, is_write_failure

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
TRAINING_STATE = "training_state.pt"
TEXT_ENCODER_DIR = "text_encoder"
PEFT_PREFIX = "base_model.model."
# CLIP module paths as Hugging Face checkpoints, kohya (lora_te_text_model_...) and diffusers name them;
# transformers 5's CLIPTextModel holds `encoder` directly, so the prefix is added on save, dropped on load.
CLIP_PREFIX = "text_model."
CHECKPOINT_PATTERN = re.compile(r"^step-(\d{6,})$")


def _is_clip(model) -> bool:
    """A transformers text encoder whose module paths lack `text_model.` (transformers 5's CLIPTextModel)."""
    from transformers import PreTrainedModel

    return isinstance(model, PreTrainedModel) and not hasattr(model, "text_model")


def lora_state_dict(model) -> dict[str, torch.Tensor]:
    """The adapter's tensors with PEFT's saved key names (`base_model.model.` + module path), fp32, CPU.
    Text-encoder paths get the `text_model.` prefix of Hugging Face's CLIP naming (see CLIP_PREFIX)."""
    from peft.utils import get_peft_model_state_dict

    state = get_peft_model_state_dict(model)
    prefix = PEFT_PREFIX + (CLIP_PREFIX if _is_clip(model) else "")
    return {prefix + key: value.detach().to("cpu", torch.float32).contiguous() for key, value in state.items()}


def public_base_name(base_model: str) -> tuple[str, str | None]:
    """The base an adapter_config.json names (PEFT's base_model_name_or_path, revision), never a local path that
    would carry the user's home folder into every shared adapter: a Hub id as the id (`owner/name@REV` as
    `owner/name` and REV), a Hugging Face cache snapshot folder (where the TypeScript side sends a Hub or registry
    base) as its Hub id, any other local file or folder by its name only (kohya's ss_sd_model_name does the same)."""
    if is_hub_base(base_model):
        return split_revision(base_model)
    hub_id = hub_id_of_cache_folder(base_model) if os.sep in base_model else None
    if hub_id is not None:
        return hub_id, None
    if os.path.isabs(base_model) or os.path.exists(base_model) or base_model.startswith(("./", "../", "~")):
        return os.path.basename(os.path.normpath(base_model)), None
    return base_model, None


def save_adapter(unet, folder: str, base_model: str) -> str:
    """Writes the PEFT adapter (weights + config) of `unet` (or a text encoder) into `folder`; returns the weights path.
    Each file is written under a temporary name and renamed, so a crash or a full disk never leaves a cut-off
    adapter under the real name (a run's final adapter is what `--resume` and a fresh `train` look for). On a
    failed write the temporary file is removed and the error raised."""
    os.makedirs(folder, exist_ok=True)
    peft_config = unet.peft_config["default"]
    config = peft_config.to_dict()
    config["base_model_name_or_path"], revision = public_base_name(base_model)
    if revision is not None:
        config["revision"] = revision
    config["target_modules"] = sorted(config["target_modules"]) if config.get("target_modules") else None
    config["peft_type"] = str(getattr(peft_config.peft_type, "value", peft_config.peft_type))  # LORA or LOKR
    config["task_type"] = None
    weights = os.path.join(folder, ADAPTER_WEIGHTS)
    _write_atomically(weights, lambda path: save_file(lora_state_dict(unet), path, metadata={"format": "pt"}))

    def write_config(path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(config, handle, indent=2, default=list)

    _write_atomically(os.path.join(folder, ADAPTER_CONFIG), write_config)
    return weights


def _write_atomically(path: str, write: Callable[[str], None]) -> None:
    """`write(temporary)` beside `path`, then renamed onto it; the temporary file is removed when the write fails.
    The file gets the mode any new file gets under the process umask (0644 under umask 022): safetensors 0.8's
    save_file creates its file 0600, which a WebUI or container running as another user cannot read."""
    temporary = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.partial")
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_process_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _process_umask() -> int:
    """The process umask, read from /proc where Linux has it (reading it with os.umask sets it for a moment, which a
    file created by another thread at that moment would get)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load_adapter_state(folder: str) -> dict[str, torch.Tensor]:
    """The tensors of `folder`'s adapter_model.safetensors. For a checkpoint folder that does not load (cut short by a
    full disk, damaged) raises CheckpointError as load_training_state does, naming the checkpoint before it."""
    try:
        return load_file(os.path.join(folder, ADAPTER_WEIGHTS))
    except Exception as error:  # safetensors raises SafetensorError / OSError for a cut-off or garbled file
        raise unreadable_checkpoint(folder, ADAPTER_WEIGHTS, error) from None


def load_adapter_weights(unet, folder: str) -> None:
    """Loads PEFT adapter weights from `folder` into a UNet (or text encoder) that already has the same adapter attached."""
    from peft.utils import set_peft_model_state_dict

    state = load_adapter_state(folder)
    clip = _is_clip(unet)
    stripped = {key.removeprefix(PEFT_PREFIX).removeprefix(CLIP_PREFIX if clip else ""): value for key, value in state.items()}
    result = set_peft_model_state_dict(unet, stripped)
    unexpected = getattr(result, "unexpected_keys", None)
    if unexpected:
        raise ValueError(f"{folder}: adapter keys do not match this UNet (e.g. {unexpected[0]})")


def save_checkpoint(run_dir: str, step: int, unet, base_model: str, state: dict[str, Any], text_encoder=None) -> str:
    """Writes `checkpoints/step-<step>/` atomically (with `text_encoder/` when one is given); returns its path.
    A failed write (a full disk) removes the partial folder and raises OutputWriteError naming the folder, the
    cause and the newest complete checkpoint to --resume from."""
    root = Path(run_dir) / "checkpoints"
    final = root / f"step-{step:06d}"
    temporary = root / f".step-{step:06d}.partial"
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        save_adapter(unet, str(temporary), base_model)
        if text_encoder is not None:
            save_adapter(text_encoder, str(temporary / TEXT_ENCODER_DIR), base_model)
        torch.save({"step": step, **state}, temporary / TRAINING_STATE)
    except Exception as error:
        if not is_write_failure(error):
            raise
        failure = describe_write_failure(error, str(root), f"checkpoint {final.name}", latest_checkpoint(run_dir))
        shutil.rmtree(temporary, ignore_errors=True)
        raise failure from error
    if final.exists():
        if (final / TRAINING_STATE).is_file():
            shutil.rmtree(final)  # this run's own checkpoint of the step (a resumed run writes it again)
        else:
            os.replace(final, _aside(final))  # an incomplete folder is not this run's to delete (load_training_state)
    os.replace(temporary, final)
    return str(final)


def _aside(folder: Path) -> Path:
    """A free name beside `folder` to keep an incomplete checkpoint under: `step-000010.incomplete` (`-2`, ...)."""
    target, n = folder.with_name(f"{folder.name}.incomplete"), 1
    while target.exists():
        n += 1
        target = folder.with_name(f"{folder.name}.incomplete-{n}")
    return target


def incomplete_checkpoints(run_dir: str) -> list[tuple[int, Path]]:
    """(step, folder) of the `step-<n>` folders under `run_dir/checkpoints` that hold no training state, oldest first:
    save_checkpoint never leaves one (it renames a folder there once written), so something else cut it short."""
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in root.iterdir()
                  if (m := CHECKPOINT_PATTERN.match(p.name)) and p.is_dir() and not (p / TRAINING_STATE).is_file())


def complete_checkpoints(run_dir: str) -> list[tuple[int, Path]]:
    """(step, folder) of the complete checkpoints under `run_dir/checkpoints`, oldest first: folders named
    `step-<n>` holding a training state (save_checkpoint renames a folder there only once it is written)."""
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in root.iterdir() if (m := CHECKPOINT_PATTERN.match(p.name)) and (p / TRAINING_STATE).is_file())


def latest_checkpoint(run_dir: str) -> str | None:
    """The highest-step complete checkpoint folder under `run_dir/checkpoints`, or None."""
    found = complete_checkpoints(run_dir)
    return str(found[-1][1]) if found else None


def prune_checkpoints(run_dir: str, keep: int, current: str) -> list[str]:
    """Removes the complete checkpoint folders under `run_dir/checkpoints` beyond the newest `keep` (by step),
    never `current` (the one just written); returns the removed paths, oldest first. Only complete checkpoints
    (complete_checkpoints) are touched: nothing else in the run folder is this function's to remove."""
    found = complete_checkpoints(run_dir)
    removed = []
    for _, path in found[: max(0, len(found) - keep)]:
        if path.resolve() != Path(current).resolve():
            shutil.rmtree(path)
            removed.append(str(path))
    return removed


class CheckpointError(ValueError):
    """A checkpoint folder whose training state does not load (a damaged disk, a file cut short by a full disk)."""


def load_training_state(folder: str) -> dict[str, Any]:
    """The dict save_checkpoint stored (`step`, optimizer, scheduler, scaler, generator states).
    Raises CheckpointError naming the folder, the reason, and the checkpoint before it to resume from; and when a
    newer `step-<n>` folder of the run is incomplete (no training state): a --resume from `folder` would skip it without
    a word and later write over it, so it names that folder, the missing file and the fix instead."""
    checkpoint = Path(folder.rstrip(os.sep))
    if CHECKPOINT_PATTERN.match(checkpoint.name):
        step = int(CHECKPOINT_PATTERN.match(checkpoint.name).group(1))
        newer = [path for n, path in incomplete_checkpoints(str(checkpoint.parent.parent)) if n > step]
        if newer:
            names = ", ".join(str(path) for path in newer)
            raise CheckpointError(
                f"{names}: {'this checkpoint is' if len(newer) == 1 else 'these checkpoints are'} incomplete (no "
                f"{TRAINING_STATE}), newer than {checkpoint}. Put the missing file back, or move the folder out of "
                f"{checkpoint.parent} (e.g. rename it to {newer[-1].name}.incomplete) to resume from {checkpoint}."
            )
    try:
        return torch.load(os.path.join(folder, TRAINING_STATE), map_location="cpu", weights_only=False)
    except Exception as error:  # torch raises RuntimeError / EOFError / UnpicklingError / OSError for a bad file
        raise unreadable_checkpoint(folder, TRAINING_STATE, error) from None


def unreadable_checkpoint(folder: str, file: str, error: BaseException) -> CheckpointError:
    """The CheckpointError for checkpoint `folder` whose `file` (relative to it) does not load: names the folder, the
    file and reason, and the checkpoint before it to resume from instead."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    folder = folder.rstrip(os.sep)
    checkpoint = Path(folder).parent if Path(folder).name == TEXT_ENCODER_DIR else Path(folder)
    if checkpoint != Path(folder):
        file = f"{TEXT_ENCODER_DIR}/{file}"
    run_dir = checkpoint.parent.parent
    older = [str(path) for _, path in complete_checkpoints(str(run_dir)) if path.resolve() != checkpoint.resolve()]
    instead = f"resume from the one before it ({older[-1]})" if older else "start again without --resume in a new run folder"
    return CheckpointError(
        f"{checkpoint}: this checkpoint cannot be read ({file}: {reason}). Move that folder out of "
        f"{run_dir / 'checkpoints'} to {instead}."
    )


def has_text_encoder_adapter(folder: str) -> bool:
    """Whether `folder` (a checkpoint or run folder) holds a text-encoder adapter."""
    return os.path.exists(os.path.join(folder, TEXT_ENCODER_DIR, ADAPTER_WEIGHTS))
