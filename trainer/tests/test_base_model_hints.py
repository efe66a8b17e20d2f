"""What a diffusers-layout base that does not load tells the user: never to download a local folder; for a
folder, which files it lacks; for the registry base's own folders, the pull; for a Hub id, `toonlora models pull <id>`."""

import os

import pytest

from toonlora_trainer.base_files import DEFAULT_BASE_MODEL, ModelMissingError, _pull_hint, missing_layout_files
from toonlora_trainer.models import load_base_model

WEIGHTS = ("unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors")
CONFIGS = ("tokenizer/vocab.json", "text_encoder/config.json", "vae/config.json",
           "unet/config.json", "scheduler/scheduler_config.json")


def _place(folder, names):
    for name in names:
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("{}")


def test_a_local_folder_names_the_files_it_lacks_and_no_download(tmp_path):
    folder = str(tmp_path / "localbase")
    _place(folder, ("unet/config.json", "scheduler/scheduler_config.json"))
    with pytest.raises(ModelMissingError) as caught:
        load_base_model(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder}: cannot load this base model folder (")
    assert "the folder lacks tokenizer/vocab.json (or tokenizer.json), text_encoder/config.json, " \
           "text_encoder/model.safetensors (or pytorch_model.bin), vae/config.json, " \
           "vae/diffusion_pytorch_model.safetensors (or diffusion_pytorch_model.bin), " \
           "unet/diffusion_pytorch_model.safetensors (or diffusion_pytorch_model.bin). Put the missing files there" in message
    assert "download" not in message


def test_a_registry_snapshot_folder_without_weights_names_the_pull(tmp_path):
    snapshot = tmp_path / "hub" / "models--stablediffusionapi--anything-v5" / "snapshots" / ("a" * 40)
    _place(str(snapshot), CONFIGS)
    hint, fix = _pull_hint(str(snapshot))
    assert fix == {"kind": "pull-model", "id": "anything-v5"}
    assert hint.startswith("the folder lacks text_encoder/model.safetensors (or pytorch_model.bin)")
    assert hint.endswith("Run: toonlora models pull anything-v5")
    assert "hf download" not in hint and "huggingface-cli" not in hint
    placed = tmp_path / "tl" / "models" / "anything-v5"
    _place(str(placed), CONFIGS + WEIGHTS)
    assert missing_layout_files(str(placed)) == []
    assert _pull_hint(str(placed))[0].endswith("Run: toonlora models pull anything-v5")


def test_hub_ids_get_a_pull_and_missing_paths_no_download(tmp_path):
    assert _pull_hint(DEFAULT_BASE_MODEL) == ("Run: toonlora models pull anything-v5", {"kind": "pull-model", "id": "anything-v5"})
    hint, fix = _pull_hint("someone/model@v1.0")
    assert "`toonlora models pull someone/model --revision v1.0`" in hint
    assert fix == {"kind": "pull-model", "id": "someone/model"}  # the web app's Models page pulls the repo
    assert "huggingface-cli" not in _pull_hint("someone/model")[0]
    assert "download" not in _pull_hint(str(tmp_path / "not-there"))[0]


def test_a_missing_relative_path_is_no_hub_id(tmp_path):
    # a relative cache path the worker cannot see (HF_HOME=relhf read from trainer/) was offered to `hf download`
    snapshot = "relhf/hub/models--stablediffusionapi--anything-v5/snapshots/" + "0" * 40
    for missing in (snapshot, "relhome/models/anything-v5", "models--someone--model/x", "./x/y"):
        hint, fix = _pull_hint(missing)
        # the fix is data: the driver words it (CLI "Check the --base path (…)", web app "the Base model field")
        assert (hint, fix) == ("No such folder.", {"kind": "choose-base", "why": "path"}), missing
    assert "`toonlora models pull stablediffusionapi/anything-v3`" in _pull_hint("stablediffusionapi/anything-v3")[0]
