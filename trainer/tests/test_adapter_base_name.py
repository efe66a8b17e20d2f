"""The adapter_config.json of a trained adapter names its base without a local path. Before, base_model_name_or_path
was the base as the worker loaded it: `/home/alice/models/myAnimeMix_v3.safetensors`, or the Hugging Face cache folder
`/home/alice/.cache/huggingface/hub/models--owner--name/snapshots/<commit>` for a Hub or registry base, so every shared
adapter carried the user's home folder."""

import json

import torch
from peft import LoraConfig, inject_adapter_in_model

from toonlora_trainer.checkpoint import ADAPTER_CONFIG, public_base_name, save_adapter


class _Attention(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.to_q = torch.nn.Linear(8, 8)


def _saved_config(tmp_path, base: str) -> dict:
    model = inject_adapter_in_model(LoraConfig(r=2, lora_alpha=2, target_modules=["to_q"]), _Attention())
    save_adapter(model, str(tmp_path / "run"), base)
    return json.loads((tmp_path / "run" / ADAPTER_CONFIG).read_text(encoding="utf-8"))


def test_a_local_single_file_base_is_named_by_its_file_name(tmp_path):
    base = tmp_path / "home" / "alice" / "models" / "myAnimeMix_v3.safetensors"
    base.parent.mkdir(parents=True)
    base.write_bytes(b"weights")
    config = _saved_config(tmp_path, str(base))
    assert config["base_model_name_or_path"] == "myAnimeMix_v3.safetensors"
    assert "alice" not in json.dumps(config)


def test_a_hub_cache_snapshot_is_named_by_its_hub_id(tmp_path):
    snapshot = tmp_path / "alice" / ".cache" / "huggingface" / "hub" / "models--owner--anime-v5" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    config = _saved_config(tmp_path, str(snapshot))
    assert config["base_model_name_or_path"] == "owner/anime-v5"
    assert "alice" not in json.dumps(config)


def test_hub_ids_and_names_stay_and_a_pinned_revision_is_peft_s_revision(tmp_path):
    assert public_base_name("owner/name") == ("owner/name", None)
    assert public_base_name("owner/name@" + "b" * 40) == ("owner/name", "b" * 40)
    assert public_base_name("tiny") == ("tiny", None)
    folder = tmp_path / "my diffusers mix"
    folder.mkdir()
    assert public_base_name(str(folder) + "/") == ("my diffusers mix", None)
    assert _saved_config(tmp_path, "owner/name@" + "c" * 40)["revision"] == "c" * 40
