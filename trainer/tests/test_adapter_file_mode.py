"""A trained adapter file gets the mode any new file gets under the process umask (0644 under umask 022). Before,
adapter_model.safetensors was 0600 (safetensors 0.8's save_file creates its file so) while every other file of the run
was 0644: a WebUI or container running as another user could not read the LoRA."""

import os
import stat

import pytest
import torch
from peft import LoraConfig, inject_adapter_in_model

from toonlora_trainer.checkpoint import ADAPTER_CONFIG, ADAPTER_WEIGHTS, save_adapter


class _Attention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.to_q = torch.nn.Linear(8, 8)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_the_adapter_files_get_the_umask_mode_of_a_new_file(tmp_path, umask, mode):
    model = inject_adapter_in_model(LoraConfig(r=2, lora_alpha=2, target_modules=["to_q"]), _Attention())
    previous = os.umask(umask)
    try:
        weights = save_adapter(model, str(tmp_path / "run"), "tiny")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(weights).st_mode) == mode
    assert stat.S_IMODE(os.stat(tmp_path / "run" / ADAPTER_CONFIG).st_mode) == mode
    assert os.path.basename(weights) == ADAPTER_WEIGHTS
