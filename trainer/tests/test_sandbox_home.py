"""The run's sandbox HOME (conftest.py): this test runs in it, no variable moves a home elsewhere, and what a test
leaves in it is sorted into the default homes' files (they fail the run) and the rest (named only)."""

import os

from conftest import HOME_VARS, SANDBOX_HOME, files_left, split_left


def test_the_run_has_an_empty_home_of_its_own():
    assert os.path.expanduser("~") == SANDBOX_HOME
    assert "toonlora-pytest-home-" in SANDBOX_HOME
    assert [name for name in HOME_VARS if name in os.environ] == []


def test_the_files_left_are_sorted_into_the_default_homes_and_the_rest(tmp_path):
    for path in (".cache/toonlora/lora-diffusers/a.safetensors", ".cache/huggingface/hub/x", ".u2net/u2net.onnx",
                 ".config/matplotlib/rc", ".cache/toonlora-other/y"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / ".cache" / "toonlora" / "downloads").mkdir()  # an empty folder is no file left
    assert split_left(files_left(str(tmp_path))) == (
        [".cache/huggingface/hub/x", ".cache/toonlora/lora-diffusers/a.safetensors", ".u2net/u2net.onnx"],
        [".cache/toonlora-other/y", ".config/matplotlib/rc"],
    )
