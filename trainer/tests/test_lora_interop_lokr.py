"""Interop with real PEFT: a LyCORIS LoKr file (full factors with alphas the loaders ignore, decomposed w2 on a
linear and on a 3x3 conv) loaded by toonlora's generation path, and its `toonlora convert --to peft` folder loaded
by PEFT itself (PeftModel.from_pretrained, LoKrConfig), give the same UNet output; `--to kohya` of that folder gives
every tensor of the file back, the full-factor alphas included (and the file itself when toonlora wrote it). CPU,
tiny model; needs node."""

import json

import torch
from peft import PeftModel
from safetensors.torch import load_file, save_file
from generation_helpers import unet_output
from test_text_encoder_lora import toonlora_convert

from toonlora_trainer.lora_loading import _load_lora_file
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline

BLOCK = "down_blocks.0.attentions.0.transformer_blocks.0."


def lycoris_file(path):
    """Factor -1 splits 32 = 4 x 8 and 128 = 8 x 16. Full factors: scale 1 whatever the alpha (32, 16 here, as
    LyCORIS writes its network dim); decomposed w2 (rank 2): scale alpha / 2."""
    generator = torch.Generator().manual_seed(9)

    def rand(*shape):
        return torch.randn(shape, generator=generator) * 0.3

    modules = {
        BLOCK + "attn1.to_q": ({"lokr_w1": rand(4, 4), "lokr_w2": rand(8, 8)}, 32.0),
        BLOCK + "ff.net.2": ({"lokr_w1": rand(4, 8), "lokr_w2": rand(8, 16)}, 16.0),
        BLOCK + "attn2.to_k": ({"lokr_w1": rand(4, 4), "lokr_w2_a": rand(8, 2), "lokr_w2_b": rand(2, 8)}, 1.0),
        "down_blocks.0.resnets.0.conv1": ({"lokr_w1": rand(4, 4), "lokr_w2_a": rand(8, 2), "lokr_w2_b": rand(2, 8 * 9)}, 1.0),
    }
    save_file({f"lora_unet_{m.replace('.', '_')}.{part}": t for m, (parts, alpha) in modules.items()
               for part, t in {**parts, "alpha": torch.tensor(alpha)}.items()}, str(path))


def test_a_lycoris_lokr_file_and_its_peft_folder_give_the_same_unet_in_toonlora_and_peft(tmp_path):
    lycoris_file(tmp_path / "lokr.safetensors")
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    _load_lora_file(pipe, str(tmp_path / "lokr.safetensors"), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    expected = unet_output(pipe.unet)
    assert not torch.allclose(unet_output(build_tiny_base_model().unet), expected, atol=1e-3)

    toonlora_convert(tmp_path / "lokr.safetensors", tmp_path / "peft", "peft")
    assert json.loads((tmp_path / "peft" / "adapter_config.json").read_text())["peft_type"] == "LOKR"
    peft_unet = PeftModel.from_pretrained(build_tiny_base_model().unet, str(tmp_path / "peft"))
    got = unet_output(peft_unet)
    assert torch.allclose(got, expected, atol=1e-5), (got - expected).abs().max().item()

    toonlora_convert(tmp_path / "peft", tmp_path / "back.safetensors", "kohya")
    original, back = load_file(str(tmp_path / "lokr.safetensors")), load_file(str(tmp_path / "back.safetensors"))
    assert sorted(back) == sorted(original)
    for key, tensor in original.items():
        assert torch.equal(back[key], tensor), key
    # a kohya file toonlora wrote comes back byte for byte (metadata included)
    toonlora_convert(tmp_path / "back.safetensors", tmp_path / "peft-again", "peft")
    toonlora_convert(tmp_path / "peft-again", tmp_path / "again.safetensors", "kohya")
    assert (tmp_path / "again.safetensors").read_bytes() == (tmp_path / "back.safetensors").read_bytes()
