"""A single-file base checkpoint (--base model.safetensors): a missing or unreadable file is an input
error naming the file, found before diffusers turns it into a misleading "configs not found offline"; a good
file is built with the SD1.5 configs of the pulled default base when the HF cache has none of its own."""

import types

import pytest
import torch
from helpers import make_pattern_dataset, run_worker, training_config

from toonlora_trainer.base_files import BaseFileError, ModelMissingError
from toonlora_trainer.models import load_base_model


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


class _FakeSingleFile:
    """Stands in for StableDiffusionPipeline.from_single_file: records each call's keyword arguments and fails
    every call without `config` the way diffusers does offline when the HF cache has no SD1.5 configs."""

    def __init__(self, fail_with_config: bool = False):
        self.calls: list[dict] = []
        self.fail_with_config = fail_with_config

    def __call__(self, path, **kwargs):
        from diffusers import DDPMScheduler

        self.calls.append(kwargs)
        if "config" not in kwargs:
            raise OSError("Cannot find the requested files in the disk cache and outgoing traffic has been disabled.")
        if self.fail_with_config:
            raise ValueError("Cannot load <class 'UNet2DConditionModel'>: size mismatch")
        part = object()
        return types.SimpleNamespace(unet=part, vae=part, text_encoder=part, tokenizer=part, scheduler=DDPMScheduler())


@pytest.fixture
def model_file(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "my-model.safetensors"
    save_file({"model.diffusion_model.out.2.bias": torch.zeros(4)}, str(path))
    return str(path)


def test_single_file_base_without_sd15_configs_names_the_pull(model_file, monkeypatch):
    from diffusers import StableDiffusionPipeline

    fake = _FakeSingleFile()
    monkeypatch.setattr(StableDiffusionPipeline, "from_single_file", fake)
    with pytest.raises(ModelMissingError, match=r"my-model\.safetensors: cannot load .*toonlora models pull anything-v5"):
        load_base_model(model_file)
    assert len(fake.calls) == 1


def test_single_file_base_is_built_with_the_pulled_sd15_configs(model_file, tmp_path, monkeypatch):
    from diffusers import StableDiffusionPipeline

    fake = _FakeSingleFile()
    monkeypatch.setattr(StableDiffusionPipeline, "from_single_file", fake)
    base = load_base_model(model_file, str(tmp_path / "anything-v5"))
    assert [call.get("config") for call in fake.calls] == [None, str(tmp_path / "anything-v5")]
    assert all(call["local_files_only"] for call in fake.calls)
    assert base.name == model_file and base.noise_scheduler.config.num_train_timesteps == 1000


def test_single_file_base_that_fails_with_the_sd15_configs_says_both_reasons(model_file, tmp_path, monkeypatch):
    from diffusers import StableDiffusionPipeline

    monkeypatch.setattr(StableDiffusionPipeline, "from_single_file", _FakeSingleFile(fail_with_config=True))
    with pytest.raises(ModelMissingError, match=r"disk cache.*anything-v5: Cannot load .*size mismatch.*SD1\.5-architecture"):
        load_base_model(model_file, str(tmp_path / "anything-v5"))
