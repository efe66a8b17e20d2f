"""The long-lived generation session (`serve-generation`, the server's warm worker) swaps LoRA, DoRA and LoKr
files in any order: a LoKr loaded after a LoRA / DoRA finds the UNet's layers wrapped by PEFT (it nests adapters
of different types) and must still load, each swap must give the output a fresh (cold) session gives, and
switching kinds must not nest PEFT's wrappers deeper each time. CPU, tiny model."""

import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from generation_helpers import unet_output, write_diffusers_lora
from test_lokr import kohya_name, lokr_unet

from toonlora_trainer.checkpoint import save_adapter
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.lokr_file import LokrFileError, lokr_config_for
from toonlora_trainer.lora_loading import LoraFileError


def write_lokr_file(path: Path, folder: Path, rank: int = 4, alpha: float = 2.0) -> None:
    """A kohya / LyCORIS LoKr file of a random tiny-UNet LoKr (as test_lokr makes one)."""
    reference = lokr_unet(rank, alpha, seed=7)
    peft_state = {k.removeprefix("base_model.model."): v for k, v in load_file(save_adapter(reference.unet, str(folder), "tiny")).items()}
    kohya = {}
    for module in {key.rpartition(".lokr_")[0] for key in peft_state}:
        parts = {k.rpartition(".")[2]: v for k, v in peft_state.items() if k.rpartition(".lokr_")[0] == module}
        decomposed = "lokr_w2_b" in parts
        if not decomposed:  # LyCORIS applies no alpha to full factors: the PEFT scale goes into w1
            parts["lokr_w1"] = parts["lokr_w1"] * (alpha / rank)
        kohya |= {f"{kohya_name(module)}.{part}": v for part, v in parts.items()}
        kohya[f"{kohya_name(module)}.alpha"] = torch.tensor(alpha if decomposed else float(rank))
    save_file(kohya, str(path))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("warm")
    write_diffusers_lora(folder / "dora.safetensors", seed=1, dora=True, b_scale=0.05)
    write_diffusers_lora(folder / "lora.safetensors", seed=2, b_scale=0.05)
    write_lokr_file(folder / "lokr.safetensors", folder / "lokr-adapter")
    return {name: str(folder / f"{name}.safetensors") for name in ("dora", "lora", "lokr")}


def cold_output(path: str, weight: float) -> torch.Tensor:
    session = GenerationSession("tiny", torch.device("cpu"))
    session.use_lora(path, weight)
    return unet_output(session.pipe.unet)


def test_warm_session_swaps_dora_lokr_lora_lokr_and_each_gives_the_cold_output(files):
    warm = GenerationSession("tiny", torch.device("cpu"))
    bare = unet_output(warm.pipe.unet)
    cold = {}
    for name, weight in (("dora", 1.0), ("lokr", 1.0), ("lora", 0.8), ("lokr", 0.6), ("dora", 1.0)):
        warm.use_lora(files[name], weight)
        got = unet_output(warm.pipe.unet)
        expected = cold.setdefault((name, weight), cold_output(files[name], weight))
        assert not torch.allclose(expected, bare, atol=1e-3), name  # the file changes the output
        assert torch.allclose(got, expected, atol=1e-5), (name, weight, (got - expected).abs().max())
    warm.use_lora(None, 1.0)
    assert torch.allclose(unet_output(warm.pipe.unet), bare, atol=1e-6)


def peft_wrappers(module: torch.nn.Module) -> int:
    """How many PEFT tuner layers wrap the model's own layer at this path."""
    depth = 0
    while hasattr(module, "base_layer"):
        module, depth = module.base_layer, depth + 1
    return depth


def test_switching_between_lora_and_lokr_files_does_not_nest_peft_layers_deeper_each_time(files, tmp_path):
    warm = GenerationSession("tiny", torch.device("cpu"))
    layer = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k"
    for round_ in range(3):  # new files each round (a server's uploads): each one is loaded, not taken from the cache
        for name in ("lora", "lokr"):
            copy = tmp_path / f"{name}-{round_}.safetensors"
            shutil.copyfile(files[name], copy)
            warm.use_lora(str(copy), 1.0)
            assert peft_wrappers(warm.pipe.unet.get_submodule(layer)) == 1, (round_, name)
    assert torch.allclose(unet_output(warm.pipe.unet), cold_output(files["lokr"], 1.0), atol=1e-5)


def text_encoder_output(session: GenerationSession) -> torch.Tensor:
    with torch.no_grad():
        return session.pipe.text_encoder(torch.arange(8)[None]).last_hidden_state


def test_a_lokr_file_refused_half_way_leaves_no_adapter_behind(files, tmp_path):
    """Its text-encoder part loads, then its UNet part is refused (a Tucker core): that half-made LoKr must not stay
    in the session (held for good, under the PEFT layers of the next file), nor change the next request's output."""
    te, unet = "lora_te_text_model_encoder_layers_0_self_attn_q_proj", kohya_name("down_blocks.0.attentions.0.proj_in")
    save_file({f"{te}.lokr_w1": torch.ones(4, 4) * 0.5, f"{te}.lokr_w2": torch.ones(8, 8) * 0.5,
               f"{unet}.lokr_w1": torch.ones(4, 4), f"{unet}.lokr_w2_a": torch.ones(8, 2), f"{unet}.lokr_w2_b": torch.ones(2, 8),
               f"{unet}.lokr_t2": torch.ones(2, 2, 1, 1)}, str(tmp_path / "half.safetensors"))
    warm = GenerationSession("tiny", torch.device("cpu"))
    bare = text_encoder_output(warm)
    with pytest.raises(LoraFileError, match=r"half\.safetensors: LoKr module '.*proj_in' has a Tucker core"):
        warm.use_lora(str(tmp_path / "half.safetensors"), 1.0)
    assert warm.pipe.get_list_adapters() == {}
    warm.use_lora(None, 1.0)
    assert torch.allclose(text_encoder_output(warm), bare, atol=1e-6)
    warm.use_lora(files["lora"], 1.0)
    assert torch.allclose(text_encoder_output(warm), bare, atol=1e-6)
    assert torch.allclose(unet_output(warm.pipe.unet), cold_output(files["lora"], 1.0), atol=1e-5)


def test_a_lokr_on_a_layer_of_another_kind_names_the_class_it_found():
    model = torch.nn.Sequential(torch.nn.LayerNorm(8))
    state = {"0.lokr_w1": torch.zeros(2, 2), "0.lokr_w2": torch.zeros(4, 4)}
    with pytest.raises(LokrFileError, match=r"x\.safetensors: LoKr module '0' adapts a torch\.nn\.modules\.normalization\.LayerNorm; "
                                             r"toonlora loads LoKr on torch\.nn\.Linear and torch\.nn\.Conv2d layers only"):
        lokr_config_for(state, model, "x.safetensors")


def test_a_loaded_lokr_runs_in_eval_mode_and_its_forward_draws_no_random_numbers(files):
    """PEFT makes its layers in train mode, where a LoKr layer draws torch.rand(1) per forward to decide whether to
    skip its delta (module dropout): an inference forward must not depend on, or move, the global RNG."""
    warm = GenerationSession("tiny", torch.device("cpu"))
    for name in ("lora", "lokr"):
        warm.use_lora(files[name], 0.6)
        assert not [n for n, m in warm.pipe.unet.named_modules() if m.training][:3], name
        state = torch.random.get_rng_state()
        unet_output(warm.pipe.unet)
        assert torch.equal(torch.random.get_rng_state(), state), name


def adapter_names(session: GenerationSession) -> set[str]:
    """The adapters PEFT holds in the session's UNet and text encoder."""
    return set().union(*session.pipe.get_list_adapters().values())


def test_unloading_a_deleted_lora_file_frees_its_adapter_and_keeps_the_others(files, tmp_path):
    """A LoRA deleted on the server (its file gone): its adapter leaves the warm session, the other file's adapter stays
    and renders as a cold session's; once no adapter is left the UNet is the bare base's again, with no PEFT layer."""
    warm = GenerationSession("tiny", torch.device("cpu"))
    bare = unet_output(warm.pipe.unet)
    deleted = tmp_path / "deleted.safetensors"
    shutil.copyfile(files["lora"], deleted)
    warm.use_lora(str(deleted), 1.0)
    (deleted_adapter,) = adapter_names(warm)
    warm.use_lora(files["dora"], 1.0)
    deleted.unlink()
    assert warm.unload_lora(str(deleted)) == 1
    assert deleted_adapter not in adapter_names(warm) and len(adapter_names(warm)) == 1
    warm.use_lora(files["dora"], 1.0)
    assert torch.allclose(unet_output(warm.pipe.unet), cold_output(files["dora"], 1.0), atol=1e-5)
    assert warm.unload_lora(str(deleted)) == 0  # nothing of it is left
    assert warm.unload_lora(files["dora"]) == 1
    assert adapter_names(warm) == set()
    assert peft_wrappers(warm.pipe.unet.get_submodule("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k")) == 0
    warm.use_lora(None, 1.0)
    assert torch.allclose(unet_output(warm.pipe.unet), bare, atol=1e-6)
    warm.use_lora(files["lokr"], 1.0)  # a file of another kind loads as in a fresh session
    assert torch.allclose(unet_output(warm.pipe.unet), cold_output(files["lokr"], 1.0), atol=1e-5)
