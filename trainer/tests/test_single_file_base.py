"""A single-file base checkpoint (--base model.safetensors): a missing or unreadable file is an input
error naming the file, found before diffusers turns it into a misleading "configs not found offline"."""

import pytest
from helpers import make_pattern_dataset, run_worker, training_config

from toonlora_trainer.models import BaseFileError, load_base_model


def test_missing_single_file_base_names_the_file(tmp_path):
    path = tmp_path / "nowhere.safetensors"
    with pytest.raises(BaseFileError, match=r"nowhere\.safetensors: base checkpoint file not found"):
        load_base_model(str(path))


def test_truncated_single_file_base_is_an_input_error_naming_the_file(tmp_path):
    path = tmp_path / "broken model.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":")  # header length 16, header cut short
    with pytest.raises(BaseFileError, match=r"broken model\.safetensors: not a readable \.safetensors checkpoint"):
        load_base_model(str(path))


def test_worker_reports_a_bad_single_file_base_as_invalid_input(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_text("this is not a model", encoding="utf-8")
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    request = {"version": 1, "command": "train", "dataset_dir": str(dataset), "run_dir": str(tmp_path / "run"), "resume": False,
               "config": training_config(baseModel=str(path), steps=1)}
    code, events, stderr = run_worker("train", request)
    assert code == 1, stderr
    assert events[-1]["type"] == "error" and events[-1]["kind"] == "input_invalid"
    assert str(path) in events[-1]["message"] and "download it again" in events[-1]["message"]
    assert not (tmp_path / "run").exists()  # nothing written for a run that never started
