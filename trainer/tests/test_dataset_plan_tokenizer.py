"""The dry run's tokenizer (dataset_plan.dry_run_tokenizer) for a base whose tokenizer files are there but do not load:
the error names the base, the component, its files and the fix, as base_files.py words it for the run; before, the dry
run failed with tokenizers' bare "Error while initializing BPE: expected value at line 1 column 1", naming nothing."""

import pytest

from toonlora_trainer.base_files import BaseComponentError
from toonlora_trainer.dataset_plan import dry_run_tokenizer

LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 1000\n"


def _tokenizer_folder(root, vocab: str, merges: str):
    folder = root / "my-base"
    (folder / "tokenizer").mkdir(parents=True)
    (folder / "tokenizer" / "vocab.json").write_text(vocab, encoding="utf-8")
    (folder / "tokenizer" / "merges.txt").write_text(merges, encoding="utf-8")
    return folder


def test_a_git_lfs_pointer_in_place_of_the_tokenizer_is_named_with_its_files_and_the_fix(tmp_path):
    folder = _tokenizer_folder(tmp_path, LFS_POINTER.format("a" * 64), LFS_POINTER.format("b" * 64))
    with pytest.raises(BaseComponentError) as raised:
        dry_run_tokenizer(str(folder))
    message = str(raised.value)
    assert message.startswith(
        f"{folder}: cannot load its tokenizer: tokenizer/merges.txt, tokenizer/vocab.json are Git LFS pointers, "
        "not the file itself (a git clone without git-lfs, or a copy of one).")
    assert message.endswith("Copy the folder again from its source (a complete diffusers SD1.5 layout), or pass another "
                            "folder / .safetensors file.")


def test_a_damaged_tokenizer_file_is_named_with_the_loaders_first_line(tmp_path):
    folder = _tokenizer_folder(tmp_path, "not json at all", "#version: 0.2\n")
    with pytest.raises(BaseComponentError) as raised:
        dry_run_tokenizer(str(folder))
    message = str(raised.value)
    assert message.startswith(
        f"{folder}: cannot load its tokenizer from tokenizer/merges.txt, tokenizer/vocab.json (")
    assert "): a file there is damaged or truncated (a stopped download or copy?)." in message


def test_a_base_without_a_tokenizer_still_gives_none(tmp_path):
    assert dry_run_tokenizer(str(tmp_path / "no-such-base")) is None


MAIN, TAG = "a" * 40, "b" * 40


@pytest.fixture
def hub_at_tag(tmp_path, monkeypatch):
    """An HF cache for someone/toon whose main is absent and whose tag v1.0 names a snapshot with a damaged tokenizer."""
    hub = tmp_path / "hf" / "hub"
    repo = hub / "models--someone--toon"
    snapshot = _tokenizer_folder(tmp_path, '{"a": 0}', "merges")
    (repo / "snapshots").mkdir(parents=True)
    snapshot.rename(repo / "snapshots" / TAG)
    (repo / "snapshots" / TAG / "scheduler").mkdir()
    (repo / "snapshots" / TAG / "scheduler" / "scheduler_config.json").write_text("{}", encoding="utf-8")
    (repo / "refs").mkdir()
    (repo / "refs" / "v1.0").write_text(TAG, encoding="utf-8")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(hub))
    return repo


@pytest.mark.parametrize("revision", ["v1.0", TAG])
def test_a_damaged_tokenizer_of_a_hub_base_at_a_revision_is_named_as_the_run_names_it(hub_at_tag, revision):
    # before, `owner/name@REV` went to from_pretrained whole: OSError, read as "not on this machine", and the dry run
    # passed silently (no long-caption warning either) while the run then failed loading the tokenizer
    with pytest.raises(BaseComponentError) as raised:
        dry_run_tokenizer(f"someone/toon@{revision}")
    message = str(raised.value)
    assert message.startswith(f"someone/toon@{revision} ({hub_at_tag / 'snapshots' / TAG}): cannot load its tokenizer")
    assert f"`toonlora models pull someone/toon --revision {revision}` again." in message


def test_a_whole_tokenizer_of_a_hub_base_at_a_revision_loads_for_the_long_caption_warning(hub_at_tag):
    from toonlora_trainer.models import build_tiny_tokenizer

    build_tiny_tokenizer().save_pretrained(str(hub_at_tag / "snapshots" / TAG / "tokenizer"))
    assert dry_run_tokenizer("someone/toon@v1.0") is not None


def test_a_bare_hub_id_never_loads_a_tags_tokenizer(hub_at_tag):
    # before: with no refs/main, CLIPTokenizer.from_pretrained("someone/toon", local_files_only=True) loaded v1.0's
    # tokenizer, so the dry run of `--base someone/toon` counted captions with a snapshot the run never loads
    from toonlora_trainer.models import build_tiny_tokenizer

    build_tiny_tokenizer().save_pretrained(str(hub_at_tag / "snapshots" / TAG / "tokenizer"))
    assert dry_run_tokenizer("someone/toon") is None
    assert dry_run_tokenizer(f"someone/toon@{TAG}") is not None  # the tag's own, named by its commit
    (hub_at_tag / "refs" / "main").write_text(TAG, encoding="utf-8")  # main names that snapshot too now
    assert dry_run_tokenizer("someone/toon") is not None
