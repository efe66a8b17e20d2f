"""toonlora_trainer/resume_checks.py — what a checkpoint records of its run, and the checks a --resume makes against it.

Every checkpoint stores the settings that shape the LoRA and its trajectory (run_settings: a change is refused, naming
each), those that shape only the batches and the loss from the resumed step on (stream_settings: a change is warned
about) and the base model it was trained on (base_identity: another base is refused). find_resume_point runs them all
before any model loads, so a --resume that cannot work says so at once. train.py writes the checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import checkpoint as ckpt
from .base_files import DEFAULT_BASE_MODEL, REGISTRY_BASE_ID
from .config import TrainingConfig
from .config_schema import ConfigError
from .dataset_record import dataset_change_warning, dataset_move_note
from .models import TINY
from .protocol import Emit, Log
from .setting_hints import setting_fix, user_value


def run_settings(config: TrainingConfig) -> dict:
    """What shapes the LoRA and its trajectory; stored in every checkpoint, compared on --resume."""
    return {
        "lora.rank": config.lora.rank, "lora.alpha": config.lora.alpha, "lora.targetModules": sorted(config.lora.target_modules),
        "lora.dora": config.lora.dora, "lora.algorithm": config.lora.algorithm, "lora.lokrFactor": config.lora.lokr_factor,
        "trainTextEncoder": config.train_text_encoder, "seed": config.seed, "aspectRatioBuckets": config.aspect_ratio_buckets,
        # the optimizer and schedule states a checkpoint restores carry these rates; a new one would be silently ignored
        "learningRate": config.learning_rate, "lrScheduler": config.lr_scheduler,
        "lrSchedulerNumCycles": config.lr_scheduler_num_cycles, "lrWarmupSteps": config.lr_warmup_steps,
        **({"textEncoderLearningRate": config.text_encoder_learning_rate} if config.train_text_encoder else {}),
    }


def stream_settings(config: TrainingConfig) -> dict:
    """What shapes the batches and the loss from the resumed step on, but not the LoRA's shape: a change on --resume
    is allowed (a user may lower the batch size to fit a GPU) and warned about, since the run then differs from an
    uninterrupted one."""
    return {
        "batchSize": config.batch_size, "gradientAccumulation": config.gradient_accumulation, "resolution": config.resolution,
        "clipSkip": config.clip_skip, "shuffleCaptions": config.shuffle_captions, "snrGamma": config.snr_gamma,
        "noiseOffset": config.noise_offset,
    }


# Settings stored in checkpoints only since a later version: an older checkpoint was trained with these values.
# (aspectRatioBuckets is not here: an older checkpoint may be from before buckets or after, so it is not compared.)
SETTINGS_BEFORE_THEY_WERE_STORED = {"lora.algorithm": "lora", "lora.lokrFactor": -1, "lrSchedulerNumCycles": 1}


def check_resume_settings(saved: dict, config: TrainingConfig, folder: str, emit: Emit) -> None:
    """ConfigError naming every field that differs from the checkpoint's (old and new value); a warning
    when only the total step count changed (the LR schedule then bends from the resumed step on)."""
    old = saved.get("settings")
    if old is None:  # a checkpoint from before settings were stored: the adapter load still checks shapes
        return
    new = run_settings(config)
    old = SETTINGS_BEFORE_THEY_WERE_STORED | old
    changed = [key for key in new if key in old and old[key] != new[key]]
    if changed:
        raise ConfigError(
            f"{folder}: --resume needs the settings the checkpoint was trained with; "
            + "; ".join(f"{key} was {user_value(old[key])}, now {user_value(new[key])}" for key in changed)
            + ". To resume it: " + "; ".join(setting_fix(key, old[key]) for key in changed if not _alpha_follows_rank(key, old, new))
            + ". Or start a new run folder without --resume."
        )
    old_stream = saved.get("stream_settings") or {}  # absent in checkpoints from before they were stored
    new_stream = stream_settings(config)
    drifted = [key for key in new_stream if key in old_stream and old_stream[key] != new_stream[key]]
    if drifted:
        emit(Log("warn", "resuming with " + "; ".join(f"{key} {user_value(new_stream[key])} (the checkpoint was trained with "
                                                       f"{user_value(old_stream[key])})" for key in drifted)
                 + ": from here the run differs from an uninterrupted one"))
    if saved.get("total_steps") not in (None, config.steps):
        emit(Log("warn", f"resuming with {config.steps} total steps; the checkpoint was trained towards {saved['total_steps']}: "
                         "the learning-rate schedule differs from an uninterrupted run"))


def base_identity(base: str) -> str:
    """The base model `base` names, as stored in a checkpoint and compared on --resume: `tiny` and Hub ids as given;
    a folder of the Hugging Face cache (`models--owner--name/snapshots/<rev>`) as its Hub id, so a newer snapshot is the
    same base; the registry base's hand-placed folder as its Hub id; any other file or folder as its real absolute path
    (the CLI sends local paths absolute, so a relative --base given from another folder compares by what it names)."""
    if base == TINY or not (os.path.isabs(base) or os.path.exists(base)):
        return base
    path = os.path.realpath(base)
    parts = path.split(os.sep)
    for i, part in enumerate(parts[:-1]):
        if part.startswith("models--") and parts[i + 1] == "snapshots":
            return part[len("models--"):].replace("--", "/")
    if path.endswith(os.sep + os.path.join("models", REGISTRY_BASE_ID)):
        return DEFAULT_BASE_MODEL
    return path


def check_resume_base(saved: dict, config: TrainingConfig, folder: str, emit: Emit) -> None:
    """ConfigError naming the old and the new base when this run's base model is not the one the checkpoint was
    trained on (the LoRA would continue on other weights). A checkpoint from before the base was stored resumes
    without the check, saying so."""
    old, new = saved.get("base_model"), base_identity(config.base_model)
    if old is None:
        emit(Log("info", f"{folder} does not record its base model (written by an older toonlora): resuming on {new} "
                         "without checking it is the base the checkpoint was trained on"))
        return
    if old != new:
        raise ConfigError(
            f"{folder}: --resume needs the base model the checkpoint was trained on; baseModel was {user_value(old)}, "
            f"now {user_value(new)}. To resume it: {setting_fix('baseModel', old)}. Or start a new run folder without --resume."
        )


def _alpha_follows_rank(key: str, old: dict, new: dict) -> bool:
    """Whether `key` is an alpha that changed only with the rank (alpha = rank before and now: no --alpha given), so
    setting the rank back is the whole fix and `--alpha` need not be named."""
    return (key == "lora.alpha" and old.get("lora.rank") != new["lora.rank"]
            and old.get("lora.alpha") == old.get("lora.rank") and new["lora.alpha"] == new["lora.rank"])


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a --resume run continues from: its folder and the training state save_checkpoint stored."""

    folder: str
    saved: dict


def find_resume_point(run_dir: str, config: TrainingConfig, emit: Emit, dataset_facts: dict | None = None) -> ResumePoint:
    """The newest checkpoint of `run_dir`, checked against this run's settings before any model is loaded, so a
    --resume that cannot work says so at once: FileNotFoundError without a checkpoint, ConfigError naming what differs,
    CheckpointError when its training state or adapter does not load. A checkpoint at exactly `config.steps` is
    accepted: the run then only writes the final adapter (a run that stopped after its last checkpoint). A dataset
    that differs from the checkpoint's `dataset_facts` record (dataset_record.py) is warned about."""
    folder = ckpt.latest_checkpoint(run_dir)
    if folder is None:
        raise FileNotFoundError(f"{run_dir}: --resume given but no checkpoint folder under {run_dir}/checkpoints. Start without --resume.")
    saved = ckpt.load_training_state(folder)
    if int(saved["step"]) > config.steps:  # before the settings' warnings: this resume goes nowhere
        raise ConfigError(
            f"steps: the newest checkpoint ({folder}) is at step {saved['step']}, past the requested {config.steps}. "
            "Raise --steps to train further."
        )
    check_resume_settings(saved, config, folder, emit)
    check_resume_base(saved, config, folder, emit)
    if dataset_facts is not None and (warning := dataset_change_warning(saved.get("dataset"), dataset_facts, folder)):
        emit(Log("warn", warning))
    elif dataset_facts is not None and (note := dataset_move_note(saved.get("dataset"), dataset_facts, folder)):
        emit(Log("info", note))
    has_te = ckpt.has_text_encoder_adapter(folder)
    if has_te != config.train_text_encoder:
        raise ConfigError(
            f"trainTextEncoder: the checkpoint {folder} was trained {'with' if has_te else 'without'} a text-encoder LoRA "
            f"but this run has trainTextEncoder {user_value(config.train_text_encoder)}. To resume it: "
            f"{setting_fix('trainTextEncoder', has_te)}. Or start a new run folder without --resume."
        )
    ckpt.load_adapter_state(folder)  # a cut-off adapter says so now, naming the checkpoint before it
    if has_te:
        ckpt.load_adapter_state(os.path.join(folder, ckpt.TEXT_ENCODER_DIR))
    return ResumePoint(folder, saved)
