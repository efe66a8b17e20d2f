"""A Hub base named at a revision, `owner/name@REV` (what the CLI and the server send once they resolved the
revision's ref to its commit): loaded from that revision's snapshot, not the one refs/main names, and named with
`models pull --revision` when it is not there."""

import os
import shutil

import pytest

from toonlora_trainer.base_files import ModelMissingError, hub_snapshot_folder, split_revision
from toonlora_trainer.models import load_base_model
from toonlora_trainer.resume_checks import base_identity
from tiny_base_folder import save_tiny_base

MAIN, TAG = "a" * 40, "b" * 40


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    return save_tiny_base(str(tmp_path_factory.mktemp("tiny-base") / "base"))


@pytest.fixture
def hub(saved_tiny, tmp_path, monkeypatch):
    """An HF cache whose main names a snapshot with a broken VAE config and tag v1.0 a whole one."""
    hub = tmp_path / "hf" / "hub"
    repo = hub / "models--someone--toon-sd15"
    shutil.copytree(saved_tiny, repo / "snapshots" / MAIN)
    shutil.copytree(saved_tiny, repo / "snapshots" / TAG)
    (repo / "snapshots" / MAIN / "vae" / "config.json").write_text("{")
    os.makedirs(repo / "refs")
    (repo / "refs" / "main").write_text(MAIN)
    (repo / "refs" / "v1.0").write_text(TAG)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(hub))
    return repo


def test_split_revision_reads_only_a_hub_id_at_a_revision():
    assert split_revision(f"someone/toon-sd15@{TAG}") == ("someone/toon-sd15", TAG)
    assert split_revision("someone/toon-sd15@refs/pr/1") == ("someone/toon-sd15", "refs/pr/1")
    for base in ("someone/toon-sd15", "tiny", "/abs/path@x/y", "a@b", "someone/toon@"):
        assert split_revision(base) == (base, None)


def test_a_revision_loads_its_own_snapshot_not_mains(hub):
    assert hub_snapshot_folder(f"someone/toon-sd15@{TAG}") == str(hub / "snapshots" / TAG)
    assert hub_snapshot_folder("someone/toon-sd15@v1.0") == str(hub / "snapshots" / TAG)
    assert hub_snapshot_folder("someone/toon-sd15") == str(hub / "snapshots" / MAIN)
    assert load_base_model(f"someone/toon-sd15@{TAG}").name == f"someone/toon-sd15@{TAG}"
    assert load_base_model("someone/toon-sd15@v1.0").vae is not None
    with pytest.raises(ModelMissingError, match="cannot load its vae"):
        load_base_model("someone/toon-sd15")  # main's snapshot is the broken one
    # what a checkpoint records, and a resume compares: the commit, not the bare id
    assert base_identity(f"someone/toon-sd15@{TAG}") == f"someone/toon-sd15@{TAG}"


def test_a_revision_not_in_the_cache_names_the_pull_with_it(hub):
    with pytest.raises(ModelMissingError) as caught:
        load_base_model("someone/toon-sd15@v2.0")
    assert "`toonlora models pull someone/toon-sd15 --revision v2.0`" in str(caught.value)
