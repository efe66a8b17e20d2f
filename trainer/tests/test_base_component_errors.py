"""A diffusers-layout base whose files are all there but one component does not load (a placeholder tokenizer, a
truncated weights file, a broken config, a Git LFS pointer) fails naming the base, the component, its file(s) and
the fix, instead of the loader's bare message ("Error while initializing BPE: Merges text file invalid at line 1")."""

import os
import shutil

import pytest

from toonlora_trainer.base_files import LFS_POINTER_PREFIX, BaseComponentError, ModelMissingError, check_no_lfs_pointers
from toonlora_trainer.models import load_base_model
from tiny_base_folder import save_tiny_base

LFS_POINTER = LFS_POINTER_PREFIX + b"v1\noid sha256:" + b"0" * 64 + b"\nsize 3194952\n"


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    """The tiny base saved as a diffusers folder (every component loads)."""
    return save_tiny_base(str(tmp_path_factory.mktemp("tiny-base") / "base"))


def _copy(saved, tmp_path, name="base"):
    folder = str(tmp_path / name)
    shutil.copytree(saved, folder)
    return folder


def _write(folder, name, body):
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(body)


def _refused(base):
    with pytest.raises(BaseComponentError) as caught:
        load_base_model(base)
    assert isinstance(caught.value, ModelMissingError)  # the worker's model_missing, as a base not there
    return str(caught.value)


def test_the_saved_tiny_base_loads(saved_tiny):
    assert load_base_model(saved_tiny).name == saved_tiny


def test_a_placeholder_tokenizer_names_the_component_its_files_and_the_fix(saved_tiny, tmp_path):
    # the fake Hub's placeholders: what a web probe on it reported as a bare "Merges text file invalid at line 1"
    folder = _copy(saved_tiny, tmp_path)
    shutil.rmtree(os.path.join(folder, "tokenizer"))
    os.makedirs(os.path.join(folder, "tokenizer"))
    _write(folder, "tokenizer/vocab.json", b"{}")
    _write(folder, "tokenizer/merges.txt", b"merges")
    message = _refused(folder)
    assert message.startswith(f"{folder}: cannot load its tokenizer from tokenizer/merges.txt, tokenizer/vocab.json (")
    assert "a file there is damaged or truncated" in message
    assert message.endswith("Copy the folder again from its source (a complete diffusers SD1.5 layout), "
                            "or pass another folder / .safetensors file.")


@pytest.mark.parametrize(("component", "name", "body"), [
    ("text_encoder", "text_encoder/model.safetensors", None),  # truncated: a stopped copy
    ("vae", "vae/config.json", b'{"in_channels": 3,'),
    ("unet", "unet/diffusion_pytorch_model.safetensors", b"\x00" * 64),
    ("scheduler", "scheduler/scheduler_config.json", b"not json"),
], ids=["text_encoder", "vae", "unet", "scheduler"])
def test_each_broken_component_is_named_with_its_file(saved_tiny, tmp_path, component, name, body):
    folder = _copy(saved_tiny, tmp_path)
    if body is None:
        with open(os.path.join(folder, name), "rb") as handle:
            body = handle.read()[:1000]
    _write(folder, name, body)
    message = _refused(folder)
    assert message.startswith(f"{folder}: cannot load its {component} from "), message
    assert name in message.split(" (")[0]
    assert "damaged or truncated" in message


def test_an_lfs_pointer_is_named_before_loading(saved_tiny, tmp_path):
    folder = _copy(saved_tiny, tmp_path)
    _write(folder, "unet/diffusion_pytorch_model.safetensors", LFS_POINTER)
    message = _refused(folder)
    assert message.startswith(f"{folder}: cannot load its unet: unet/diffusion_pytorch_model.safetensors is a Git "
                              "LFS pointer, not the file itself (a git clone without git-lfs, or a copy of one).")


def test_a_hub_snapshot_names_the_id_its_folder_and_the_pull(saved_tiny, tmp_path, monkeypatch):
    hub = tmp_path / "hf" / "hub"
    repo = hub / "models--someone--toon-sd15"
    snapshot = _copy(saved_tiny, repo / "snapshots", "c" * 40)
    os.makedirs(repo / "refs")
    (repo / "refs" / "main").write_text("c" * 40)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(hub))
    _write(snapshot, "text_encoder/model.safetensors", LFS_POINTER)
    with pytest.raises(BaseComponentError) as caught:
        check_no_lfs_pointers("someone/toon-sd15", snapshot)
    assert str(caught.value).startswith(f"someone/toon-sd15 ({snapshot}): cannot load its text_encoder: ")
    assert str(caught.value).endswith(
        f"Delete {os.path.join(snapshot, 'text_encoder/model.safetensors')} and run `toonlora models pull someone/toon-sd15` again.")
    # the web app's Models page lists it complete: its fix is Remove, then pull (a pull alone keeps the damaged file)
    assert caught.value.fix == {"kind": "repull-model", "id": "someone/toon-sd15"}
    shutil.copy(os.path.join(saved_tiny, "text_encoder/model.safetensors"), os.path.join(snapshot, "text_encoder"))
    _write(snapshot, "vae/config.json", b"{")
    message = _refused("someone/toon-sd15")
    assert message.startswith(f"someone/toon-sd15 ({snapshot}): cannot load its vae from vae/config.json, "
                              "vae/diffusion_pytorch_model.safetensors (")
    assert message.endswith("and run `toonlora models pull someone/toon-sd15` again.")


def test_a_folder_lacking_files_keeps_naming_what_it_lacks(saved_tiny, tmp_path):
    folder = _copy(saved_tiny, tmp_path)
    os.remove(os.path.join(folder, "unet/diffusion_pytorch_model.safetensors"))
    _write(folder, "tokenizer/tokenizer.json", b"broken")
    with pytest.raises(ModelMissingError) as caught:
        load_base_model(folder)
    assert not isinstance(caught.value, BaseComponentError)
    assert "the folder lacks unet/diffusion_pytorch_model.safetensors" in str(caught.value)


def test_the_worker_reports_it_as_model_missing_with_its_text():
    from toonlora_trainer.__main__ import _error_kind

    assert _error_kind(BaseComponentError("b: cannot load its vae")) == "model_missing"


def test_a_hub_snapshot_given_as_its_folder_names_the_pull_not_another_folder(saved_tiny, tmp_path):
    # what the server passes for a Hub-id base (the web app's jobs): the snapshot folder, not the id
    snapshot = _copy(saved_tiny, tmp_path / "hub" / "models--someone--toon-sd15" / "snapshots", "d" * 40)
    shutil.rmtree(os.path.join(snapshot, "tokenizer"))
    os.makedirs(os.path.join(snapshot, "tokenizer"))
    _write(snapshot, "tokenizer/vocab.json", b"{}")
    _write(snapshot, "tokenizer/merges.txt", b"merges")
    message = _refused(snapshot)
    assert message.startswith(f"{snapshot}: cannot load its tokenizer from ")
    assert message.endswith(f"Delete {os.path.join(snapshot, 'tokenizer/merges.txt')}, "
                            f"{os.path.join(snapshot, 'tokenizer/vocab.json')} and run "
                            "`toonlora models pull someone/toon-sd15` again.")
    assert "another folder" not in message


def test_a_hub_snapshot_folder_lacking_files_names_the_pull(saved_tiny, tmp_path):
    snapshot = _copy(saved_tiny, tmp_path / "hub" / "models--someone--toon-sd15" / "snapshots", "e" * 40)
    os.remove(os.path.join(snapshot, "unet/diffusion_pytorch_model.safetensors"))
    with pytest.raises(ModelMissingError) as caught:
        load_base_model(snapshot)
    assert str(caught.value).endswith("Run: toonlora models pull someone/toon-sd15")
    assert "Put the missing files there" not in str(caught.value)
