"""LoKr (SPEC §2, `lora.algorithm = "lokr"`): the adapter has the Kronecker factors PEFT's rules give for the SD1.5
attention projections, a tiny run learns and saves a PEFT LoKr adapter, and the kohya / LyCORIS file
(`toonlora convert`, or made here by hand) loads into generation with LyCORIS' scale rules, giving the
PEFT-adapted UNet's output."""

import json

import pytest
import torch
from helpers import lora_settings, make_pattern_dataset, training_config
from peft import LoKrConfig
from safetensors.torch import load_file, save_file
from generation_helpers import convert_to_kohya, unet_output
from test_training import fixed_eval_loss, train

from toonlora_trainer.checkpoint import load_adapter_weights, save_adapter
from toonlora_trainer.config import parse_lora_settings
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.image_tensors import load_image_tensor
from toonlora_trainer.lokr_file import bake_alpha, split_by_component
from toonlora_trainer.lora_adapters import attach_lora, count_lora_for_config
from toonlora_trainer.lora_loading import LoraFileError, _load_lora_file
from toonlora_trainer.model_configs import SD15_UNET_CONFIG
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.pipeline import build_pipeline
from toonlora_trainer.train import encode_latents

TARGETS = ("to_q", "to_k", "to_v", "to_out.0")


def test_sd15_lokr_at_rank_32_has_full_kronecker_factors_of_near_square_splits():
    # Hand count. factor -1 splits 320 = 16 x 20, 640 = 20 x 32, 1280 = 32 x 40, 768 = 24 x 32 (PEFT's
    # factorization); w1 = out_a x in_a, w2 = out_b x in_b, full because r = 32 >= half its larger side.
    # A block of width C has 6 C->C projections and 2 768->C (attn2 to_k, to_v).
    per_block = {
        320: 6 * (16 * 16 + 20 * 20) + 2 * (16 * 24 + 20 * 32),
        640: 6 * (20 * 20 + 32 * 32) + 2 * (20 * 24 + 32 * 32),
        1280: 6 * (32 * 32 + 40 * 40) + 2 * (32 * 24 + 40 * 32),
    }
    expected = 5 * per_block[320] + 5 * per_block[640] + 6 * per_block[1280]  # 16 transformer blocks
    counts = count_lora_for_config(SD15_UNET_CONFIG, lora=lora_settings(rank=32, algorithm="lokr", lokr_factor=-1))
    assert counts["modules"] == 128
    assert counts["trainable_params"] == expected == 206_720
    # rank 4 decomposes the larger second factors into w2_a @ w2_b (4 < 20/2): more modules' worth of small products
    assert count_lora_for_config(SD15_UNET_CONFIG, lora=lora_settings(algorithm="lokr"))["trainable_params"] < expected


def test_lokr_settings_are_checked():
    base = {"rank": 4, "alpha": 4, "targetModules": list(TARGETS), "dora": False, "algorithm": "lokr", "lokrFactor": -1}
    assert parse_lora_settings(base, "lora").algorithm == "lokr"
    # the words of src/schemas/config.ts's loraConfigSchema (a request's; src/config/config-issue-words.test.ts)
    with pytest.raises(ConfigError) as refused:
        parse_lora_settings(base | {"lokrFactor": 0}, "lora")
    assert str(refused.value) == "lora.lokrFactor: must be -1 (near square) or a positive side, got 0."
    with pytest.raises(ConfigError) as refused:
        parse_lora_settings(base | {"dora": True}, "lora")
    assert str(refused.value) == (
        'lora.dora: dora works with algorithm "lora" only, not "lokr"; turn dora off or set algorithm to "lora".'
    )
    with pytest.raises(ConfigError, match="algorithm"):
        parse_lora_settings(base | {"algorithm": "loha"}, "lora")


def test_a_lokr_run_learns_and_saves_a_peft_lokr_adapter(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds")
    # LoKr has far fewer parameters than a LoRA of the same rank and wants a higher rate (LyCORIS suggests so too)
    config = training_config(steps=100, learningRate=5e-2, lora={"algorithm": "lokr", "rank": 4, "alpha": 4},
                             noiseOffset=0.0, gradientCheckpointing=False)
    events = train(dataset, tmp_path / "run", config)
    assert events[-1].type == "done"
    assert any(e.type == "log" and e.message.startswith("LoKr: 32 modules") for e in events)

    weights = load_file(events[-1].artifacts["adapter"])
    assert weights and all(k.startswith("base_model.model.") and ".lokr_w" in k for k in weights)
    config_json = json.loads((tmp_path / "run" / "adapter_config.json").read_text())
    assert config_json["peft_type"] == "LOKR" and config_json["decompose_factor"] == -1 and config_json["r"] == 4

    def with_adapter(folder=None):
        base = build_tiny_base_model()
        attach_lora(base.unet, lora=lora_settings(algorithm="lokr", lokr_factor=-1))
        if folder is not None:
            load_adapter_weights(base.unet, str(folder))
        return base

    before = with_adapter()
    images = sorted(dataset.glob("*/*.png"))
    latents = encode_latents(before, torch.stack([load_image_tensor(str(p), 64) for p in images]))
    loss_before, loss_after = fixed_eval_loss(before, latents, config), fixed_eval_loss(with_adapter(tmp_path / "run"), latents, config)
    assert loss_after < 0.85 * loss_before, (loss_before, loss_after)


def test_resuming_a_lora_checkpoint_as_lokr_names_the_setting(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    train(dataset, tmp_path / "run", training_config(steps=2, checkpointEverySteps=1), stop_after=1)
    with pytest.raises(ConfigError, match=r'lora\.algorithm was "lora", now "lokr".*drop --lokr'):
        train(dataset, tmp_path / "run", training_config(steps=2, lora={"algorithm": "lokr"}), resume=True)


def lokr_unet(rank: int, alpha: float, seed: int, factor: int = -1):
    """A tiny base whose UNet has a trained-looking LoKr adapter (random, non-zero factors)."""
    base = build_tiny_base_model()
    attach_lora(base.unet, lora=lora_settings(rank=rank, alpha=alpha, algorithm="lokr", lokr_factor=factor))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in base.unet.named_parameters():
            if ".lokr_" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
    return base


def kohya_name(module_path: str) -> str:
    return "lora_unet_" + module_path.replace(".", "_")


def test_bake_alpha_follows_lycoris_scale_rules():
    w1, w2a, w2b = torch.randn(2, 3), torch.randn(4, 2), torch.randn(2, 5)
    full1, full2 = torch.randn(2, 3), torch.randn(4, 5)
    state = {"m.lokr_w1": w1, "m.lokr_w2_a": w2a, "m.lokr_w2_b": w2b, "m.alpha": torch.tensor(1.0),
             "f.lokr_w1": full1, "f.lokr_w2": full2, "f.alpha": torch.tensor(7.0)}
    baked = bake_alpha(state)
    assert "m.alpha" not in baked and "f.alpha" not in baked
    assert torch.allclose(baked["m.lokr_w1"], w1 * 0.5)  # decomposed w2 of rank 2: scale alpha / 2
    assert torch.equal(baked["f.lokr_w1"], full1)  # both factors full: scale 1, alpha ignored


def test_kohya_names_map_back_to_the_real_module_paths_and_bad_keys_are_named():
    names = {"unet": {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0"}, "text_encoder": {"encoder.layers.0.self_attn.q_proj"}}
    tensor = torch.zeros(1)
    split = split_by_component({"lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0.lokr_w1": tensor,
                                "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lokr_w2": tensor}, names, "x.safetensors")
    assert set(split["unet"]) == {"down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lokr_w1"}
    assert set(split["text_encoder"]) == {"encoder.layers.0.self_attn.q_proj.lokr_w2"}
    with pytest.raises(ValueError, match=r"x\.safetensors: LoKr module 'lora_unet_mid_block_attn9' is not a module"):
        split_by_component({"lora_unet_mid_block_attn9.lokr_w1": tensor}, names, "x.safetensors")
    with pytest.raises(ValueError, match=r"x\.safetensors: key 'lora_unet_a\.lora_down\.weight' is not a LoKr tensor"):
        split_by_component({"lora_unet_a.lora_down.weight": tensor}, names, "x.safetensors")


@pytest.mark.parametrize("rank, alpha", [(4, 2.0), (16, 8.0)])  # decomposed w2 (4 < 8/2 on 64 = 8 x 8), and full factors
def test_a_hand_made_lycoris_file_gives_the_peft_adapted_unet_output(tmp_path, rank, alpha):
    reference = lokr_unet(rank, alpha, seed=7)
    peft_state = {k.removeprefix("base_model.model."): v for k, v in load_file(save_adapter(reference.unet, str(tmp_path / "a"), "tiny")).items()}
    modules = {key.rpartition(".lokr_")[0] for key in peft_state}
    kohya = {}
    for module in modules:
        parts = {k.rpartition(".")[2]: v for k, v in peft_state.items() if k.rpartition(".lokr_")[0] == module}
        decomposed = "lokr_w2_b" in parts
        if not decomposed:  # LyCORIS applies no alpha to full factors: the PEFT scale goes into w1
            parts["lokr_w1"] = parts["lokr_w1"] * (alpha / rank)
        kohya |= {f"{kohya_name(module)}.{part}": v for part, v in parts.items()}
        kohya[f"{kohya_name(module)}.alpha"] = torch.tensor(alpha if decomposed else float(rank))
    save_file(kohya, str(tmp_path / "lokr.safetensors"))

    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    bare = unet_output(pipe.unet)
    _load_lora_file(pipe, str(tmp_path / "lokr.safetensors"), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    expected = unet_output(reference.unet)
    assert not torch.allclose(bare, expected, atol=1e-3)
    assert torch.allclose(unet_output(pipe.unet), expected, atol=1e-5), (unet_output(pipe.unet) - expected).abs().max()
    pipe.set_adapters(["x"], adapter_weights=[0.0])
    assert torch.allclose(unet_output(pipe.unet), bare, atol=1e-6)  # the user weight scales it like a LoRA's


def test_the_converted_lokr_file_generates_with_the_trained_adapter(tmp_path):
    """The chain as `toonlora train --lokr` runs it: PEFT LoKr adapter -> `toonlora convert --to kohya` (TypeScript)
    -> GenerationSession (a LoRA swapped for the LoKr and back)."""
    reference = lokr_unet(16, 4.0, seed=11)  # full factors with scale 0.25: the converter must bake it
    save_adapter(reference.unet, str(tmp_path / "adapter"), "tiny")
    convert_to_kohya(tmp_path / "adapter", tmp_path / "lokr.safetensors")
    keys = load_file(str(tmp_path / "lokr.safetensors")).keys()
    assert any(k.startswith("lora_unet_") and k.endswith(".lokr_w1") for k in keys)

    session = GenerationSession("tiny", torch.device("cpu"))
    bare = unet_output(session.pipe.unet)
    session.use_lora(str(tmp_path / "lokr.safetensors"), 1.0)
    assert torch.allclose(unet_output(session.pipe.unet), unet_output(reference.unet), atol=1e-5)
    session.use_lora(None, 1.0)
    assert torch.allclose(unet_output(session.pipe.unet), bare, atol=1e-6)


def test_lokr_config_round_trips_through_the_saved_adapter_config(tmp_path):
    base = lokr_unet(4, 4.0, seed=1, factor=4)
    save_adapter(base.unet, str(tmp_path / "a"), "tiny")
    saved = json.loads((tmp_path / "a" / "adapter_config.json").read_text())
    config = LoKrConfig(**{k: v for k, v in saved.items() if k in LoKrConfig.__dataclass_fields__})
    assert (config.r, config.alpha, config.decompose_factor) == (4, 4.0, 4)


def test_a_text_encoder_lokr_run_converts_and_loads_into_both_models(tmp_path):
    """--lokr --train-text-encoder: both adapters are LoKr, the kohya file holds lora_unet_ and lora_te_ LoKr
    modules, and generation loads each into its model with the trained outputs."""
    from toonlora_trainer.lora_adapters import attach_text_encoder_lora

    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    config = training_config(steps=3, learningRate=5e-2, trainTextEncoder=True, textEncoderLearningRate=5e-2, lora={"algorithm": "lokr"})
    events = train(dataset, tmp_path / "run", config)
    assert events[-1].type == "done" and events[-1].stats["text_encoder_lora_modules"] > 0
    convert_to_kohya(tmp_path / "run", tmp_path / "lokr.safetensors")
    keys = load_file(str(tmp_path / "lokr.safetensors")).keys()
    assert any(k.startswith("lora_te_") and k.endswith(".lokr_w1") for k in keys)

    reference = build_tiny_base_model()
    attach_lora(reference.unet, lora=lora_settings(algorithm="lokr"))
    load_adapter_weights(reference.unet, str(tmp_path / "run"))
    attach_text_encoder_lora(reference.text_encoder, lora=lora_settings(algorithm="lokr"))
    load_adapter_weights(reference.text_encoder, str(tmp_path / "run" / "text_encoder"))
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    ids = reference.tokenizer(["sks, striped pattern"], padding="max_length", max_length=77, return_tensors="pt").input_ids

    def encoded(model):
        with torch.no_grad():
            return model(ids).last_hidden_state

    bare = encoded(pipe.text_encoder)
    _load_lora_file(pipe, str(tmp_path / "lokr.safetensors"), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    assert not torch.allclose(bare, encoded(reference.text_encoder), atol=1e-4)  # the text-encoder LoKr trained
    assert torch.allclose(encoded(pipe.text_encoder), encoded(reference.text_encoder), atol=1e-5)
    assert torch.allclose(unet_output(pipe.unet), unet_output(reference.unet), atol=1e-5)


def test_a_lycoris_file_with_convolutions_and_factor_4_loads_as_the_loaders_apply_it(tmp_path):
    """LyCORIS files from other trainers also adapt convolutions (1x1 proj_in, 3x3 resnet convs) and use a fixed
    factor. Reference: each delta merged into the weights the way A1111's network_lokr.py builds it
    (kron(w1, w2) reshaped to the weight, times alpha / rank when a factor is decomposed, else 1)."""
    generator = torch.Generator().manual_seed(3)
    rand = lambda *shape: torch.randn(shape, generator=generator) * 0.3  # noqa: E731
    modules = {  # module: (tensors, alpha); factor 4 splits 32 = 4 x 8, 64 = 4 x 16, 128 = 4 x 32
        "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2": ({"lokr_w1": rand(4, 4), "lokr_w2_a": rand(8, 2), "lokr_w2_b": rand(2, 32)}, 1.0),
        "down_blocks.0.attentions.0.proj_in": ({"lokr_w1": rand(4, 4), "lokr_w2": rand(8, 8, 1, 1)}, 1.0),  # full: alpha unused
        "up_blocks.0.resnets.0.conv1": ({"lokr_w1": rand(4, 4), "lokr_w2_a": rand(16, 2), "lokr_w2_b": rand(2, 32 * 9)}, 4.0),
    }
    save_file({f"{kohya_name(m)}.{part}": t for m, (parts, alpha) in modules.items()
               for part, t in {**parts, "alpha": torch.tensor(alpha)}.items()}, str(tmp_path / "lycoris.safetensors"))

    merged = build_tiny_base_model()
    with torch.no_grad():
        for name, (parts, alpha) in modules.items():
            weight = merged.unet.get_submodule(name).weight
            w2 = parts.get("lokr_w2", parts.get("lokr_w2_a", torch.ones(1)) @ parts.get("lokr_w2_b", torch.ones(1)))
            w1 = parts["lokr_w1"][:, :, None, None] if w2.dim() == 4 else parts["lokr_w1"]
            scale = alpha / parts["lokr_w2_b"].shape[0] if "lokr_w2_b" in parts else 1.0
            weight += torch.kron(w1, w2).reshape(weight.shape) * scale

    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    _load_lora_file(pipe, str(tmp_path / "lycoris.safetensors"), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    expected = unet_output(merged.unet)
    assert not torch.allclose(unet_output(build_tiny_base_model().unet), expected, atol=1e-3)
    assert torch.allclose(unet_output(pipe.unet), expected, atol=1e-4), (unet_output(pipe.unet) - expected).abs().max()


def test_a_lycoris_file_with_a_decomposed_3x3_conv_converts_to_a_peft_adapter_that_applies_it(tmp_path):
    """A decomposed w2 of a 3x3 conv is stored flattened (lokr_w2_b [r, in_n * 9], LyCORIS and PEFT alike): `toonlora
    convert --to peft` must read in_n from it (factor -1 here, where reading 9 x in_n as the input split finds no
    decompose_factor), and the LoKrConfig it writes must make PEFT apply what the LyCORIS file's loader applies."""
    from peft import inject_adapter_in_model, set_peft_model_state_dict
    from test_text_encoder_lora import toonlora_convert

    generator = torch.Generator().manual_seed(5)
    rand = lambda *shape: torch.randn(shape, generator=generator) * 0.3  # noqa: E731
    modules = {  # 32 = 4 x 8 (factor -1); r 2, alpha 1
        "down_blocks.0.resnets.0.conv1": {"lokr_w1": rand(4, 4), "lokr_w2_a": rand(8, 2), "lokr_w2_b": rand(2, 8 * 9)},
        "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q": {"lokr_w1": rand(4, 4), "lokr_w2_a": rand(8, 2), "lokr_w2_b": rand(2, 8)},
    }
    save_file({f"{kohya_name(m)}.{part}": t for m, parts in modules.items()
               for part, t in {**parts, "alpha": torch.tensor(1.0)}.items()}, str(tmp_path / "conv.safetensors"))
    toonlora_convert(tmp_path / "conv.safetensors", tmp_path / "conv-peft", "peft")

    config = json.loads((tmp_path / "conv-peft" / "adapter_config.json").read_text())
    assert config["decompose_factor"] == -1 and config["r"] == 2
    peft_unet = build_tiny_base_model().unet
    inject_adapter_in_model(LoKrConfig(**{k: v for k, v in config.items() if k != "peft_type"}), peft_unet)
    state = {k.removeprefix("base_model.model."): v for k, v in load_file(tmp_path / "conv-peft" / "adapter_model.safetensors").items()}
    assert not set_peft_model_state_dict(peft_unet, state).unexpected_keys

    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    _load_lora_file(pipe, str(tmp_path / "conv.safetensors"), "x")
    pipe.set_adapters(["x"], adapter_weights=[1.0])
    expected = unet_output(pipe.unet)
    assert not torch.allclose(unet_output(build_tiny_base_model().unet), expected, atol=1e-3)
    assert torch.allclose(unet_output(peft_unet), expected, atol=1e-5), (unet_output(peft_unet) - expected).abs().max()


def test_a_lokr_file_toonlora_cannot_load_is_refused_naming_the_module(tmp_path):
    name = kohya_name("down_blocks.0.attentions.0.proj_in")
    save_file({f"{name}.lokr_w1": torch.ones(4, 4), f"{name}.lokr_w2_a": torch.ones(8, 2), f"{name}.lokr_w2_b": torch.ones(2, 8),
               f"{name}.lokr_t2": torch.ones(2, 2, 1, 1)}, str(tmp_path / "tucker.safetensors"))
    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    with pytest.raises(LoraFileError, match=r"tucker\.safetensors: LoKr module '.*proj_in' has a Tucker core \(lokr_t2\), which toonlora generate does not load\. The WebUI"):
        _load_lora_file(pipe, str(tmp_path / "tucker.safetensors"), "x")
