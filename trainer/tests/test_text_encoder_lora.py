"""Optional text-encoder LoRA (issue 6): its LoRA params change while the CLIP base weights do not, it has
its own AdamW group and rate, resume continues the same trajectory with it, and the kohya file
(`lora_te_` keys from `toonlora convert`) loaded by diffusers gives the PEFT-adapted text encoder's output.
CPU, tiny model."""

import os

import pytest
import torch
from helpers import make_pattern_dataset, training_config
from safetensors.torch import load_file
from test_generate import convert_to_kohya
from test_training import train

from toonlora_trainer import train as train_module
from toonlora_trainer import text_embeddings as text_embeddings_module
from toonlora_trainer.checkpoint import TEXT_ENCODER_DIR, load_adapter_weights
from toonlora_trainer.generate import build_pipeline
from toonlora_trainer.models import TEXT_ENCODER_TARGET_MODULES, attach_text_encoder_lora, build_tiny_base_model

TE_CONFIG = {"trainTextEncoder": True, "textEncoderLearningRate": 2e-3, "learningRate": 1e-3}


def te_output(text_encoder, base):
    tokens = base.tokenizer(["sks, striped pattern"], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        return text_encoder(tokens).last_hidden_state


def test_text_encoder_lora_trains_with_its_own_rate_and_base_stays(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=2)
    seen = {}
    real_make = train_module._make_loop_state

    def spy(config, groups, precision):
        state = real_make(config, groups, precision)
        seen["groups"] = state.optimizer.param_groups
        seen["before"] = [[p.detach().clone() for p in g["params"]] for g in state.optimizer.param_groups]
        return state

    monkeypatch.setattr(train_module, "_make_loop_state", spy)
    real_build = train_module.load_base_model
    monkeypatch.setattr(train_module, "load_base_model", lambda name, *configs: seen.setdefault("base", real_build(name, *configs)))
    config = training_config(steps=3, lrScheduler="constant", **TE_CONFIG)
    events = train(dataset, tmp_path / "run", config)

    done = events[-1]
    assert done.type == "done" and done.stats["text_encoder_lora_modules"] == 16  # 4 tiny CLIP layers x q/k/v/out
    unet_group, te_group = seen["groups"]
    assert unet_group["lr"] == pytest.approx(1e-3) and te_group["lr"] == pytest.approx(2e-3)
    text_encoder = seen["base"].text_encoder
    te_lora = {id(p) for n, p in text_encoder.named_parameters() if "lora_" in n}
    assert {id(p) for p in te_group["params"]} == te_lora and len(te_lora) == 32
    # lora_A starts random and lora_B at zero (gaussian init): after training both moved, except in the last
    # CLIP layer: with clip skip 2 its output is not used, so it gets no gradient (kohya keeps it too, untrained).
    names = [n for n, p in text_encoder.named_parameters() if p.requires_grad]
    moved = {n: not torch.equal(a, b.detach()) for n, a, b in zip(names, seen["before"][1], te_group["params"])}
    assert all(moved[n] for n in names if ".layers.3." not in n), moved
    assert not any(moved[n] for n in names if ".layers.3." in n), moved
    fresh = build_tiny_base_model().text_encoder.state_dict()
    for name, value in text_encoder.state_dict().items():
        if "lora_" not in name:
            assert torch.equal(value, fresh[name.replace(".base_layer", "")]), name
    # Output: text_encoder/ adapter beside the UNet adapter, keys in Hugging Face CLIP naming.
    keys = load_file(done.artifacts["text_encoder_adapter"]).keys()
    assert done.artifacts["text_encoder_adapter"] == os.path.join(tmp_path, "run", TEXT_ENCODER_DIR, "adapter_model.safetensors")
    assert len(keys) == 32 and all(k.startswith("base_model.model.text_model.encoder.layers.") for k in keys)
    assert all(k.startswith("base_model.model.") and "text_model" not in k for k in load_file(done.artifacts["adapter"]))


def test_text_embeddings_are_computed_each_step_not_cached(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    calls = []
    real = text_embeddings_module.encode_prompts_grad
    monkeypatch.setattr(text_embeddings_module, "encode_prompts_grad", lambda *a: calls.append(torch.is_grad_enabled()) or real(*a))
    train(dataset, tmp_path / "run", training_config(steps=3, shuffleCaptions=False, **TE_CONFIG))
    assert calls == [True, True, True]  # the same caption each step, encoded again with gradients


def test_resume_with_text_encoder_reaches_the_same_loss(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=2)
    config = training_config(steps=6, checkpointEverySteps=3, **TE_CONFIG)
    straight = [e for e in train(dataset, tmp_path / "a", config) if e.type == "progress"]
    stopped = train(dataset, tmp_path / "b", config, stop_after=3)
    assert stopped[-1].type == "cancelled"
    assert os.path.exists(os.path.join(stopped[-1].checkpoint, TEXT_ENCODER_DIR, "adapter_model.safetensors"))
    resumed = [e for e in train(dataset, tmp_path / "b", config, resume=True) if e.type == "progress"]
    assert [e.step for e in resumed] == [4, 5, 6]
    for a, b in zip(straight[3:], resumed):
        assert a.loss == pytest.approx(b.loss, rel=1e-5, abs=1e-6)
    # Resuming that run without the text encoder would silently drop its LoRA: refused, naming the fix.
    from toonlora_trainer.config import ConfigError

    with pytest.raises(ConfigError, match=r"trainTextEncoder.*Set training.trainTextEncoder to True"):
        train(dataset, tmp_path / "b", training_config(steps=9, checkpointEverySteps=3), resume=True)


def test_kohya_file_with_text_encoder_loaded_by_diffusers_matches_peft(tmp_path):
    from toonlora_trainer.checkpoint import save_adapter
    from toonlora_trainer.models import attach_lora

    peft_model = build_tiny_base_model()
    attach_lora(peft_model.unet, 4, 2.0, ("to_q", "to_k", "to_v", "to_out.0"), False)
    attach_text_encoder_lora(peft_model.text_encoder, 4, 2.0, False)  # alpha != rank: scale 0.5
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for model in (peft_model.unet, peft_model.text_encoder):
            for name, param in model.named_parameters():
                if "lora_B" in name:
                    param.copy_(torch.randn(param.shape, generator=generator) * 0.2)
    save_adapter(peft_model.unet, str(tmp_path / "adapter"), "tiny")
    save_adapter(peft_model.text_encoder, str(tmp_path / "adapter" / TEXT_ENCODER_DIR), "tiny")
    # The saved folder reloads into a fresh adapted text encoder unchanged (the resume path).
    reloaded = build_tiny_base_model()
    attach_text_encoder_lora(reloaded.text_encoder, 4, 2.0, False)
    load_adapter_weights(reloaded.text_encoder, str(tmp_path / "adapter" / TEXT_ENCODER_DIR))
    reference = te_output(peft_model.text_encoder, peft_model)
    assert torch.equal(te_output(reloaded.text_encoder, reloaded), reference)

    convert_to_kohya(tmp_path / "adapter", tmp_path / "sks.safetensors")
    kohya = load_file(tmp_path / "sks.safetensors")
    te_keys = sorted(k for k in kohya if k.startswith("lora_te_"))
    assert len(te_keys) == 16 * 3 and "lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight" in te_keys
    assert all(k.startswith(("lora_unet_", "lora_te_")) for k in kohya)
    assert kohya["lora_te_text_model_encoder_layers_3_self_attn_out_proj.alpha"].item() == 2.0

    pipe = build_pipeline(build_tiny_base_model(), torch.device("cpu"), torch.float32)
    bare = te_output(pipe.text_encoder, pipe)
    pipe.load_lora_weights(str(tmp_path / "sks.safetensors"), adapter_name="sks")
    pipe.set_adapters(["sks"], adapter_weights=[1.0])
    loaded = te_output(pipe.text_encoder, pipe)
    assert not torch.allclose(bare, reference, atol=1e-3)  # the text-encoder LoRA does something
    assert torch.allclose(loaded, reference, atol=1e-5), (loaded - reference).abs().max()
    assert set(TEXT_ENCODER_TARGET_MODULES) == {k.split("_self_attn_")[1].split(".")[0] for k in te_keys}
