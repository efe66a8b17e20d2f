"""toonlora_trainer/run_outputs.py — what a run writes and reports: its checkpoints (with the settings and dataset a
--resume checks, pruned to keepCheckpoints), the final PEFT adapter(s), and the `done` event (TrainedRun, the facts
the kohya metadata records)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import checkpoint as ckpt
from .config import TrainingConfig
from .dataset_items import Dataset
from .dataset_record import trained_folders
from .buckets import bucket_info
from .loop_state import MAX_GRAD_NORM, OPTIMIZER_NAME, LoopState
from .precision import Precision, precision_name
from .protocol import Checkpoint, Done, Emit, Log, TrainingFacts
from .resume_checks import base_identity, run_settings, stream_settings
from .write_errors import describe_write_failure, is_write_failure


@dataclass(frozen=True)
class TrainedRun:
    """A finished run as its `done` event reports it (src/worker/protocol-done.ts trainDoneSchema)."""

    adapter: str  # the PEFT adapter in the run folder; the TypeScript side writes the kohya file from it
    adapter_config: str
    checkpoint: str  # the final checkpoint
    trained_images: list[str]  # the images trained on (those that decoded)
    facts: TrainingFacts  # what the kohya metadata records: folders, repeats, captions, the precision that ran
    steps: int
    epochs: int  # kohya's ss_epoch: the epochs the steps reach, a started one counting
    lora_modules: int
    trainable_params: int
    seconds: float
    text_encoder_adapter: str | None = None  # with trainTextEncoder, and its LoRA's size:
    text_encoder_lora_modules: int = 0
    text_encoder_trainable_params: int = 0

    def done(self) -> Done:
        artifacts: dict[str, object] = {"adapter": self.adapter, "adapter_config": self.adapter_config,
                                        "checkpoint": self.checkpoint, "trained_images": self.trained_images}
        stats: dict[str, float] = {"steps": self.steps, "epochs": self.epochs, "images": len(self.trained_images),
                                   "lora_modules": self.lora_modules, "trainable_params": self.trainable_params,
                                   "seconds": self.seconds}
        if self.text_encoder_adapter is not None:
            artifacts["text_encoder_adapter"] = self.text_encoder_adapter
            stats |= {"text_encoder_lora_modules": self.text_encoder_lora_modules,
                      "text_encoder_trainable_params": self.text_encoder_trainable_params}
        return Done(artifacts=artifacts, stats=stats, facts=self.facts)


def training_facts(dataset: Dataset, precision: Precision, *, prediction_type: str, max_token_length: int) -> TrainingFacts:
    """The `done` event's facts of a run on `dataset` in `precision` (the kohya metadata's dataset and ss_mixed_precision),
    trained to predict `prediction_type` (the base's scheduler) with captions cut at `max_token_length` tokens, and
    with aspect-ratio buckets the buckets it trained (ss_bucket_info)."""
    folders = trained_folders(dataset)
    return TrainingFacts(folders=folders, triggers=list(dataset.triggers), images=len(dataset.items),
                         images_with_repeats=dataset.repeated_length, mixed_precision=precision_name(precision),
                         prediction_type=prediction_type, optimizer=OPTIMIZER_NAME, max_grad_norm=MAX_GRAD_NORM,
                         max_token_length=max_token_length, bucket_info=bucket_info(dataset))


def save_run_checkpoint(run_dir, unet, text_encoder, *, config: TrainingConfig, dataset_facts: dict, state: LoopState, emit: Emit) -> str:
    """Writes the checkpoint of `state.step` (adapter weights + loop state + what a --resume checks), emits it, and
    prunes older ones past keepCheckpoints. Returns its folder."""
    saved = {**state.to_checkpoint(), "settings": run_settings(config), "stream_settings": stream_settings(config),
             "total_steps": config.steps, "dataset": dataset_facts, "base_model": base_identity(config.base_model)}
    path = ckpt.save_checkpoint(run_dir, state.step, unet, config.base_model, saved, text_encoder)
    emit(Checkpoint(state.step, path))
    if config.keep_checkpoints:
        removed = ckpt.prune_checkpoints(run_dir, config.keep_checkpoints, path)
        if removed:
            names = ", ".join(os.path.basename(p) for p in removed)
            emit(Log("info", f"removed the older checkpoint(s) {names}: keepCheckpoints {config.keep_checkpoints} keeps the newest"))
    return path


def save_final_adapter(model, folder: str, base_model: str, final_checkpoint: str) -> str:
    """The run's PEFT adapter (ckpt.save_adapter, atomic); a failed write raises OutputWriteError naming the final
    checkpoint, from which --resume writes it again."""
    try:
        return ckpt.save_adapter(model, folder, base_model)
    except Exception as error:
        if not is_write_failure(error):
            raise
        raise describe_write_failure(error, folder, f"the LoRA adapter {ckpt.ADAPTER_WEIGHTS}", final_checkpoint) from error
