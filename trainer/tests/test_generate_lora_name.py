"""The LoRA's name in generated images' WebUI text: a server LoRA is stored as <uuid>.safetensors, so the generate
request carries the name the user knows (`lora_name`, its artifact's name) and the PNG text names it, not the UUID;
without one (the CLI) the file's stem. A name that would break the text's lines is refused."""

import pytest
from PIL import Image
from helpers import run_worker
from safetensors.torch import load_file, save_file
from generation_helpers import GEN_CONFIG, write_diffusers_lora

from toonlora_trainer.config import parse_generate_request
from toonlora_trainer.config_schema import ConfigError

UUID = "1ccbe4cd-e63c-4c1e-9d2a-0c5f3b7d9e11"
HASH = "f8685b1e3518" + "0" * 52


def stored_lora(folder) -> str:
    """A LoRA stored as the server stores an upload: <uuid>.safetensors, recording its WebUI hash."""
    path = folder / f"{UUID}.safetensors"
    write_diffusers_lora(path, seed=1)
    save_file(load_file(str(path)), str(path), metadata={"sshs_model_hash": HASH})
    return str(path)


def test_serve_generation_names_the_lora_by_the_requests_name_and_else_by_its_file(tmp_path):
    lora = stored_lora(tmp_path)
    request = lambda rid, extra: {"version": 1, "command": "generate", "id": rid, "lora": lora,  # noqa: E731
                                  "output_dir": str(tmp_path / rid), "config": {**GEN_CONFIG, "seeds": [3]}, **extra}
    code, events, stderr = run_worker("serve-generation", {"version": 1, "command": "serve-generation", "base_model": "tiny"},
                                      extra_lines=[request("named", {"lora_name": "probe-run1"}), request("unnamed", {}),
                                                   {"version": 1, "command": "shutdown"}])
    assert code == 0, stderr
    done = {e["id"]: e for e in events if e["type"] == "done"}
    named = Image.open(done["named"]["artifacts"]["images"][0]).text["parameters"]
    assert named.splitlines()[0] == "sks, striped pattern <lora:probe-run1:1>"
    assert 'Lora hashes: "probe-run1: f8685b1e3518"' in named and UUID not in named
    unnamed = Image.open(done["unnamed"]["artifacts"]["images"][0]).text["parameters"]
    assert unnamed.splitlines()[0] == f"sks, striped pattern <lora:{UUID}:1>"


def test_a_generate_request_takes_an_optional_lora_name_and_refuses_one_that_breaks_the_text():
    base = {"version": 1, "command": "generate", "id": None, "lora": "/x.safetensors", "output_dir": "/o", "config": GEN_CONFIG}
    assert parse_generate_request(base).lora_name is None
    assert parse_generate_request({**base, "lora_name": "ミナ v2"}).lora_name == "ミナ v2"
    for bad in ("", "probe\nrun1", 3):
        with pytest.raises(ConfigError, match=r"^request\.lora_name: expected"):
            parse_generate_request({**base, "lora_name": bad})


# [name, as WebUI can parse it]: shared with src/lora/webui-name.test.ts WEBUI_NAMES (download names, snippet).
WEBUI_NAMES = [("mina", "mina"), ("mina: v2", "mina_ v2"), ("a>b", "a_b"), ('say "hi", twice', "say _hi__ twice"),
               ("ミナ v2 (best)", "ミナ v2 (best)")]


@pytest.mark.parametrize(("name", "webui"), WEBUI_NAMES)
def test_a_name_the_webui_cannot_parse_is_written_with_underscores_in_the_png_text(name, webui):
    from toonlora_trainer.config import parse_generation_config
    from toonlora_trainer.image_files import a1111_parameters

    text = a1111_parameters(parse_generation_config({**GEN_CONFIG, "loraWeight": 0.8}), 1, name, "f8685b1e3518")
    assert f"<lora:{webui}:0.8>" in text.splitlines()[0]
    assert f'Lora hashes: "{webui}: f8685b1e3518"' in text
