"""toonlora_trainer/models.py — loads the SD1.5-architecture base model and attaches the LoRA.

Bases: a Hugging Face id in diffusers layout (resolved from the local HF cache only: nothing
downloads here), a local diffusers folder, a single-file `.safetensors` checkpoint, or `tiny`
(an SD1.5-shaped model built from small configs with seeded random weights, for tests and demos).
"""

from __future__ import annotations

import contextlib
import functools
import os
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from .config import LoraSettings
from .config_schema import REGISTRY

# The default base (src/schemas/config.ts DEFAULT_BASE_MODEL) and its registry id (src/models/registry.ts).
DEFAULT_BASE_MODEL = REGISTRY["defaultBaseModel"]
REGISTRY_BASE_ID = REGISTRY["defaultBaseModelId"]
TINY = "tiny"

# The UNet config of Stable Diffusion 1.5 (runwayml/stable-diffusion-v1-5 unet/config.json, which
# anything-v5 shares): used to count LoRA parameters and to build the benchmark UNet without weights.
SD15_UNET_CONFIG: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "block_out_channels": [320, 640, 1280, 1280],
    "layers_per_block": 2,
    "attention_head_dim": 8,
    "cross_attention_dim": 768,
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "act_fn": "silu",
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
    "center_input_sample": False,
}

# SD1.5's text encoder (openai/clip-vit-large-patch14 text tower) and VAE, for the benchmark baseline.
SD15_TEXT_CONFIG: dict[str, Any] = {
    "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
    "max_position_embeddings": 77, "vocab_size": 49408, "hidden_act": "quick_gelu", "projection_dim": 768,
}
SD15_VAE_CONFIG: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "sample_size": 512,
    "block_out_channels": [128, 256, 512, 512], "norm_num_groups": 32,
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
}

# tiny: the same block structure in miniature (2 resolutions; 1 layer per block; 64 px images -> 8x8 latents).
TINY_UNET_CONFIG: dict[str, Any] = {
    "sample_size": 8, "in_channels": 4, "out_channels": 4,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "block_out_channels": [32, 64], "layers_per_block": 1, "attention_head_dim": 4, "cross_attention_dim": 32,
    "norm_num_groups": 8,
}
TINY_VAE_CONFIG: dict[str, Any] = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 1, "sample_size": 64,
    "block_out_channels": [8, 8, 16, 16], "norm_num_groups": 8,
    "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
}
TINY_TEXT_CONFIG: dict[str, Any] = {
    "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 4, "num_attention_heads": 4,
    "max_position_embeddings": 77, "vocab_size": 1000, "projection_dim": 32,
    "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1,
}
TINY_SEED = 20240601

# (UNet, VAE, text encoder) configs by the architecture name the weightless commands take (lora-count,
# estimate-memory: the protocol's `unet` field).
ARCHITECTURE_CONFIGS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "sd15": (SD15_UNET_CONFIG, SD15_VAE_CONFIG, SD15_TEXT_CONFIG),
    "tiny": (TINY_UNET_CONFIG, TINY_VAE_CONFIG, TINY_TEXT_CONFIG),
}


class ModelMissingError(FileNotFoundError):
    """The base model is not on this machine; the message says which command fetches it."""


@dataclass
class BaseModel:
    """The pieces of an SD1.5 pipeline the trainer and the generator use."""

    unet: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    noise_scheduler: Any  # DDPMScheduler for training
    name: str

    @property
    def prediction_type(self) -> str:
        return str(self.noise_scheduler.config.prediction_type)


def select_device() -> torch.device:
    """CUDA when a GPU is visible, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_base_model(base: str, sd15_config_dir: str | None = None) -> BaseModel:
    """Loads `base` on the CPU in float32; raises ModelMissingError naming the fix when absent.

    `base`: `tiny`, a single-file checkpoint, or a diffusers layout (a local folder or a Hub id in the HF cache).
    `sd15_config_dir`: a diffusers-layout SD1.5 folder whose component configs build a single-file checkpoint
    when the HF cache lacks the SD1.5 configs diffusers would look up (config.SD15_CONFIG_DIR_NOTE)."""
    if base == TINY:
        return build_tiny_base_model()
    if base.lower().endswith((".safetensors", ".ckpt")):
        return _load_single_file(base, sd15_config_dir)
    return _load_diffusers_layout(base)


class BaseFileError(ValueError):
    """A single-file base checkpoint (--base file.safetensors) that is missing (`missing`) or not a safetensors file."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def _check_safetensors_file(path: str) -> None:
    """Raises BaseFileError naming `path` when it is missing or its safetensors header does not parse,
    before diffusers turns a bad file into a misleading "configs not found offline" message."""
    if not os.path.isfile(path):
        raise BaseFileError(f"{path}: base checkpoint file not found. Check the --base path (a .safetensors file, a HF id or tiny).",
                            missing=True)
    if not path.lower().endswith(".safetensors"):
        return
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt") as handle:
            handle.keys()
    except Exception as error:  # safetensors raises its own SafetensorError (not OSError) for a bad header
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BaseFileError(
            f"{path}: not a readable .safetensors checkpoint ({first}). The file is truncated or not a model; download it again."
        ) from None


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


# The files of a diffusers SD1.5 folder _load_diffusers_layout reads, each as the names any one of which will do
# (the weights as .safetensors or .bin; transformers 5 saves a tokenizer as tokenizer.json alone), as the TS
# registry lists them for anything-v5 (src/models/registry.ts).
DIFFUSERS_LAYOUT_FILES: tuple[tuple[str, ...], ...] = (
    ("tokenizer/vocab.json", "tokenizer/tokenizer.json"),
    ("text_encoder/config.json",), ("text_encoder/model.safetensors", "text_encoder/pytorch_model.bin"),
    ("vae/config.json",), ("vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.bin"),
    ("unet/config.json",), ("unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.bin"),
    ("scheduler/scheduler_config.json",),
)
# Where toonlora puts the registry base: the HF cache's repo folder, or the hand-placed $TOONLORA_HOME/models/<id>.
_REGISTRY_BASE_FOLDERS = ("models--" + DEFAULT_BASE_MODEL.replace("/", "--"), os.path.join("models", REGISTRY_BASE_ID))


def missing_layout_files(folder: str) -> list[str]:
    """The files of DIFFUSERS_LAYOUT_FILES that `folder` lacks, e.g. `unet/diffusion_pytorch_model.safetensors (or
    diffusion_pytorch_model.bin)`."""
    missing = []
    for first, *others in DIFFUSERS_LAYOUT_FILES:
        if not any(os.path.isfile(os.path.join(folder, name)) for name in (first, *others)):
            missing.append(first + (f" (or {', '.join(os.path.basename(name) for name in others)})" if others else ""))
    return missing


def _is_registry_base_folder(folder: str) -> bool:
    path = os.path.abspath(folder)
    return _REGISTRY_BASE_FOLDERS[0] in path.split(os.sep) or path.endswith(os.sep + _REGISTRY_BASE_FOLDERS[1])


def _looks_like_hub_id(name: str) -> bool:
    """Whether `name` reads as a Hub repo id, `owner/name`: exactly one slash, and no part that only a path has
    (`.`, `..`, `~…`, or the HF cache's own `models--…` / `snapshots` folders)."""
    parts = name.split("/")
    return len(parts) == 2 and all(
        part and part not in (".", "..", "snapshots") and not part.startswith(("~", "models--")) for part in parts)


def _pull_hint(base: str) -> str:
    """The fix for a diffusers-layout base that did not load: the pull of the registry base (by its Hub id or one
    of its folders), what a local folder lacks, or `toonlora models pull` of another Hub id (it pulls any diffusers
    SD1.5 repo). A local path is never offered for download."""
    pull = f"Run: toonlora models pull {REGISTRY_BASE_ID}"
    if base == DEFAULT_BASE_MODEL:
        return pull
    if os.path.isdir(base):
        missing = missing_layout_files(base)
        lacks = f"the folder lacks {', '.join(missing)}" if missing else "the folder's files did not load (damaged?)"
        if _is_registry_base_folder(base):
            return f"{lacks}. {pull}"
        return f"{lacks}. Put the missing files there (a diffusers SD1.5 layout), or pass another folder / .safetensors file."
    if not _looks_like_hub_id(base):
        return "No such folder. Check the --base path (a diffusers folder, a .safetensors file, a HF id or tiny)."
    return f"Pull it into the Hugging Face cache first (`toonlora models pull {base}`: any diffusers SD1.5 repo), or pass a local folder / .safetensors file."


def _load_diffusers_layout(base: str) -> BaseModel:
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    local = {"local_files_only": True}
    try:
        tokenizer = CLIPTokenizer.from_pretrained(base, subfolder="tokenizer", **local)
        text_encoder = CLIPTextModel.from_pretrained(base, subfolder="text_encoder", **local)
        vae = AutoencoderKL.from_pretrained(base, subfolder="vae", **local)
        unet = UNet2DConditionModel.from_pretrained(base, subfolder="unet", **local)
        scheduler = DDPMScheduler.from_pretrained(base, subfolder="scheduler", **local)
    except (OSError, ValueError) as error:
        what = "cannot load this base model folder" if os.path.isdir(base) else "base model not found on this machine"
        raise ModelMissingError(f"{base}: {what} ({_first_line(error)}). {_pull_hint(base)}") from None
    return BaseModel(unet, vae, text_encoder, tokenizer, scheduler, base)


def _load_single_file(path: str, sd15_config_dir: str | None) -> BaseModel:
    from diffusers import DDPMScheduler, StableDiffusionPipeline

    _check_safetensors_file(path)
    load = functools.partial(StableDiffusionPipeline.from_single_file, path, local_files_only=True, safety_checker=None)
    try:
        pipe = load()  # the configs diffusers picks for the checkpoint's kind, when the HF cache has them
    except (OSError, ValueError) as error:
        if sd15_config_dir is None:
            raise ModelMissingError(
                f"{path}: cannot load this single-file checkpoint offline ({_first_line(error)}). diffusers builds it "
                "from SD1.5 component configs, and none are on this machine: run `toonlora models pull anything-v5` once."
            ) from None
        try:
            pipe = load(config=sd15_config_dir)
        except (OSError, ValueError) as second:
            raise ModelMissingError(
                f"{path}: cannot load this single-file checkpoint ({_first_line(error)}; with the SD1.5 configs of "
                f"{sd15_config_dir}: {_first_line(second)}). toonlora trains SD1.5-architecture checkpoints."
            ) from None
    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    return BaseModel(pipe.unet, pipe.vae, pipe.text_encoder, pipe.tokenizer, scheduler, path)


def build_tiny_tokenizer():
    """A CLIP BPE tokenizer with a byte-level vocabulary built in code (no files, no network).

    Every byte is a token (with and without the end-of-word marker), so any prompt tokenizes.
    """
    from transformers import CLIPTokenizer

    chars = _byte_level_alphabet()
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in chars:
        vocab[ch] = len(vocab)
    for ch in chars:
        vocab[ch + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    tokenizer.model_max_length = 77
    return tokenizer


def _byte_level_alphabet() -> list[str]:
    """GPT-2/CLIP byte-level BPE alphabet: printable bytes map to themselves, the rest to U+0100 onwards."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars, extra = [], 0
    for byte in range(256):
        if byte in printable:
            chars.append(chr(byte))
        else:
            chars.append(chr(256 + extra))
            extra += 1
    return chars


@contextlib.contextmanager
def _seeded(seed: int):
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


def build_tiny_base_model(seed: int = TINY_SEED) -> BaseModel:
    """The `tiny` base: SD1.5-shaped, random weights from `seed` (the same weights on every call)."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    with _seeded(seed):
        unet = UNet2DConditionModel(**TINY_UNET_CONFIG)
        vae = AutoencoderKL(**TINY_VAE_CONFIG)
        text_encoder = CLIPTextModel(CLIPTextConfig(**TINY_TEXT_CONFIG))
    scheduler = DDPMScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        prediction_type="epsilon", steps_offset=1, clip_sample=False,
    )
    return BaseModel(unet, vae, text_encoder, build_tiny_tokenizer(), scheduler, TINY)


@torch.no_grad()
def encode_prompts(base: BaseModel, prompts: list[str], clip_skip: int, device: torch.device) -> torch.Tensor:
    """CLIP text embeddings [B, 77, D] without gradients (frozen text encoder, generation); see encode_prompts_grad."""
    return encode_prompts_grad(base, prompts, clip_skip, device)


def encode_prompts_grad(base: BaseModel, prompts: list[str], clip_skip: int, device: torch.device) -> torch.Tensor:
    """CLIP text embeddings [B, 77, D] for training AND generation (one function, so both see the same text).

    `clip_skip` is the WebUI convention: 1 = last layer, 2 = penultimate (hidden_states[-2]) followed by
    the final layer norm, as diffusers' encode_prompt does. Done here rather than through the pipeline's
    `clip_skip=` because diffusers 0.42.1 reads `text_encoder.text_model.final_layer_norm`, which
    transformers 5 no longer has (CLIPTextModel holds `final_layer_norm` directly).
    Tokens past the 77th are cut off without a word: prompt_truncation_warnings and
    text_embeddings.long_caption_warnings say so beforehand.
    """
    tokens = base.tokenizer(
        prompts, padding="max_length", max_length=base.tokenizer.model_max_length, truncation=True, return_tensors="pt"
    ).input_ids.to(device)
    output = base.text_encoder(tokens, output_hidden_states=clip_skip > 1)
    if clip_skip <= 1:
        return output.last_hidden_state
    final_norm = getattr(base.text_encoder, "text_model", base.text_encoder).final_layer_norm
    return final_norm(output.hidden_states[-clip_skip])


def prompt_token_limit(tokenizer) -> int:
    """Tokens of text CLIP reads: its 77 positions less the start and end tokens (75 for SD1.5)."""
    return tokenizer.model_max_length - 2


def prompt_token_counts(tokenizer, prompts: list[str]) -> list[int]:
    """Text tokens of each prompt (no start / end token), before the cut to prompt_token_limit that
    encode_prompts_grad makes. `verbose=False`: the tokenizer's own over-length notice goes to stderr, unseen."""
    if not prompts:
        return []
    return [len(ids) for ids in tokenizer(prompts, add_special_tokens=False, verbose=False).input_ids]


def prompt_truncation_warnings(tokenizer, prompts: dict[str, str]) -> list[str]:
    """A warning per named prompt (e.g. {"prompt": ..., "negative prompt": ...}) longer than CLIP reads: encode_prompts
    keeps the first prompt_token_limit tokens and drops the rest without a word (diffusers warns when it encodes the
    prompt itself, but toonlora encodes it here), so generation should say so."""
    limit = prompt_token_limit(tokenizer)
    names = [name for name, text in prompts.items() if text]
    counts = prompt_token_counts(tokenizer, [prompts[name] for name in names])
    return [f"the {name} is {count} tokens long; CLIP reads only the first {limit}, the rest is ignored. Shorten it (fewer tags)."
            for name, count in zip(names, counts) if count > limit]


def make_lora_config(*, lora: LoraSettings, target_modules: tuple[str, ...]):
    """The PEFT adapter config of `lora` on `target_modules`. LoRA: LoraConfig as diffusers'
    train_text_to_image_lora.py builds it (gaussian init: B = 0, so the adapted UNet starts equal to the base).
    LoKr (`algorithm="lokr"`, SPEC §2): LoKrConfig, delta W = (w1 ⊗ w2) * alpha / r as LyCORIS' lokr.py, each
    side split by `lokr_factor` (decompose_factor); w2 is a full matrix when rank >= half its larger side, else a
    rank-`rank` product. PEFT's default init (w1 = 0) also starts the UNet equal to the base."""
    if lora.algorithm == "lokr":
        from peft import LoKrConfig

        return LoKrConfig(
            r=lora.rank, alpha=lora.alpha, target_modules=list(target_modules), decompose_factor=lora.lokr_factor,
            init_weights=True,
        )
    from peft import LoraConfig

    return LoraConfig(
        r=lora.rank, lora_alpha=lora.alpha, init_lora_weights="gaussian", target_modules=list(target_modules),
        use_dora=lora.dora,
    )


# The CLIP attention projections, as diffusers' examples/dreambooth/train_dreambooth_lora.py adapts the text
# encoder (`LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=["q_proj",
# "k_proj", "v_proj", "out_proj"])`, `text_encoder.add_adapter(...)`) and kohya's LoRANetwork targets
# CLIPAttention: 12 layers x 4 = 48 modules for SD1.5, kohya names lora_te_text_model_encoder_layers_<i>_self_attn_<q|k|v|out>_proj.
TEXT_ENCODER_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "out_proj")


def attach_text_encoder_lora(text_encoder, *, lora: LoraSettings) -> None:
    """Freezes the CLIP text encoder and adds a LoRA (or LoKr) adapter (trainable) to its attention projections
    (TEXT_ENCODER_TARGET_MODULES; `lora.target_modules` names UNet layers)."""
    from peft import inject_adapter_in_model

    # PEFT directly, not transformers' `add_adapter`: transformers 5.24 wants peft >= 0.22 for that, and
    # inject_adapter_in_model is what it calls underneath (it also sets `peft_config`, used when saving).
    text_encoder.requires_grad_(False)
    inject_adapter_in_model(make_lora_config(lora=lora, target_modules=TEXT_ENCODER_TARGET_MODULES), text_encoder)
    keep_lokr_layers_in_eval_mode(text_encoder)


def attach_lora(unet, *, lora: LoraSettings) -> None:
    """Freezes the UNet and adds the LoRA (or LoKr) adapter (trainable) to its attention projections."""
    unet.requires_grad_(False)
    unet.add_adapter(make_lora_config(lora=lora, target_modules=lora.target_modules))
    keep_lokr_layers_in_eval_mode(unet)


def _stay_in_eval_mode(module: torch.nn.Module, mode: bool = True) -> torch.nn.Module:
    return torch.nn.Module.train(module, False)


def keep_lokr_layers_in_eval_mode(model) -> None:
    """PEFT's LoKr layers in train mode draw `torch.rand(1)` in every forward and branch on it, for module dropout
    (peft/tuners/lokr/layer.py: `if (not self.training) or (... torch.rand(1) > module_dropout)`). toonlora trains
    them without module or rank dropout (both 0), where the eval-mode forward is the same computation without
    the draw. The draw is a data-dependent branch: dynamo breaks the graph at it in every layer (tiny UNet: 34
    graphs instead of 1) and fake tensors (memory_estimate.py) cannot decide it. So these layers stay in eval
    mode whatever `model.train()` sets; the rest of the model follows train / eval as usual."""
    from peft.tuners.lokr.layer import LoKrLayer

    for module in model.modules():
        if isinstance(module, LoKrLayer):
            module.train = types.MethodType(_stay_in_eval_mode, module)
            module.train()


def keep_lora_input_dtype(model) -> None:
    """For a model whose LoRA forward always runs under fp16/bf16 autocast: PEFT casts each LoRA layer's input to
    the LoRA weights' dtype (fp32 master weights) before lora_A, and autocast casts it straight back for the
    matmul, an exact round trip. Turning PEFT's cast off (what peft.helpers.disable_input_dtype_casting does)
    saves 2 kernels per layer forward and 2 backward: for the SD1.5 UNet at r=32, 3,541 -> 3,099 ops per step,
    with gradient checkpointing 5,059 -> 4,361 (bench/unet_ops.py; the eager GPU step is bound by these launches
    at batch 1)."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            module.cast_input_dtype_enabled = False


def checkpoint_narrow_blocks_only(unet) -> list[str]:
    """Selective gradient checkpointing. After unet.enable_gradient_checkpointing(), this turns it back off in the
    blocks at the widest channel count: SD1.5's 1280-channel levels, at 16x16 and 8x8 latents for 512 px. Returns
    the names of those blocks.

    Recomputing a block costs its forward FLOPs. Keeping it saves its activations. Per FLOP, the activations of a
    C-channel conv block scale as 1/C, so the wide, low-resolution blocks give the least memory back for their
    recompute. SD1.5 at 512 px, batch 1, per fwd+bwd step (bench/unet_ops.py): 1.66 TFLOP instead of 1.83
    (no checkpointing: 1.36), and 3,858 dispatched ops instead of 4,361 (3,099). The estimated peak
    (bench/train_memory.py) goes to 2.08 GiB instead of 1.96 GiB at batch 1, and 3.24 GiB instead of 2.69 GiB
    at batch 4."""
    channels = list(unet.config.block_out_channels)
    widest = max(channels)
    blocks = [(f"down_blocks.{i}", block, c) for i, (block, c) in enumerate(zip(unet.down_blocks, channels))]
    blocks.append(("mid_block", unet.mid_block, widest))
    blocks += [(f"up_blocks.{i}", block, c) for i, (block, c) in enumerate(zip(unet.up_blocks, reversed(channels)))]
    uncheckpointed = []
    for name, block, block_channels in blocks:
        if block_channels == widest:
            for module in block.modules():
                if getattr(module, "gradient_checkpointing", False):
                    module.gradient_checkpointing = False
            uncheckpointed.append(name)
    return uncheckpointed


def count_lora(unet) -> tuple[int, int]:
    """(number of adapted modules, trainable parameter count) of a UNet (or text encoder) with a LoRA or LoKr adapter."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    modules = sum(1 for m in unet.modules() if isinstance(m, BaseTunerLayer))
    params = sum(p.numel() for p in unet.parameters() if p.requires_grad)
    return modules, params


def count_lora_for_config(unet_config: dict[str, Any], *, lora: LoraSettings) -> dict[str, int]:
    """LoRA module and parameter count for a UNet config, built on the meta device (no weights, no RAM).

    For SD1.5 at r=32 on to_q/to_k/to_v/to_out.0: 128 modules, 6,377,472 parameters.
    """
    from diffusers import UNet2DConditionModel

    with torch.device("meta"):
        unet = UNet2DConditionModel(**unet_config)
        base_params = sum(p.numel() for p in unet.parameters())
        attach_lora(unet, lora=lora)
    modules, params = count_lora(unet)
    return {"modules": modules, "trainable_params": params, "unet_params": base_params}


def lora_count_stats(architecture: str, lora: LoraSettings) -> dict[str, int]:
    """The `lora-count` command's stats (src/worker/protocol.ts loraCountDoneSchema): the LoRA's modules and trainable
    parameters and the base parameters, of the UNet and of the text encoder of `architecture` (an
    ARCHITECTURE_CONFIGS key), built without weights."""
    unet_config, _, text_config = ARCHITECTURE_CONFIGS[architecture]
    return count_lora_for_config(unet_config, lora=lora) | count_text_encoder_lora_for_config(text_config, lora=lora)


def count_text_encoder_lora_for_config(text_config: dict[str, Any], *, lora: LoraSettings) -> dict[str, int]:
    """The optional text-encoder LoRA's size for a CLIP text config, on the meta device (no weights).

    For SD1.5's CLIP ViT-L/14 text model at r=32 on q/k/v/out_proj: 12 layers x 4 = 48 modules,
    48 x 32 x (768 + 768) = 2,359,296 parameters.
    """
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):
        text_encoder = CLIPTextModel(CLIPTextConfig(**text_config))
        base_params = sum(p.numel() for p in text_encoder.parameters())
        attach_text_encoder_lora(text_encoder, lora=lora)
    modules, params = count_lora(text_encoder)
    return {"text_encoder_modules": modules, "text_encoder_trainable_params": params, "text_encoder_params": base_params}
