"""toonlora_trainer/config.py — parses each request once into a frozen, typed config.

The TypeScript side sends the FULLY RESOLVED config from src/schemas/config.ts (the one source of
defaults), so nothing here invents a default: a missing or unknown field is an error that names it.
Enums and bounds come from the same schemas, exported to config_schema.json (config_schema.py): a field's
type, range, multiple, choices and length are checked as the JSON Schema states them.
Contradictions (warmup longer than the run, ...) raise here, never deep inside the loop (STYLE rule 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

# ConfigError lives beside the field checks (config_schema.Fields); the other modules import it from here.
from .config_schema import (
    ARCHITECTURES, BLIP_REQUEST, GENERATION_CONFIG, LORA_SETTINGS, TRAINING_CONFIG, TRAINING_SAMPLES, ConfigError, Fields,
)
from .error_fix import shorter_warmup

_Request = TypeVar("_Request")

# The sample images a run renders every sample_every_steps: sampling steps and guidance scale (src/schemas/config.ts
# TRAINING_SAMPLE_STEPS / TRAINING_SAMPLE_GUIDANCE_SCALE; not settings, so they are constants, not TrainingConfig fields).
SAMPLE_STEPS: int = TRAINING_SAMPLES["steps"]
SAMPLE_GUIDANCE_SCALE: float = float(TRAINING_SAMPLES["guidanceScale"])


@dataclass(frozen=True)
class LoraSettings:
    rank: int
    alpha: float
    target_modules: tuple[str, ...]
    dora: bool
    algorithm: str  # 'lora' (B·A) or 'lokr' (w1 ⊗ w2, PEFT LoKrConfig)
    lokr_factor: int  # LoKr decompose_factor; -1: near-square split


@dataclass(frozen=True)
class TrainingConfig:
    """src/schemas/config.ts TrainingConfig, snake_case. Units: steps, pixels, learning rates per step."""

    base_model: str
    lora: LoraSettings
    resolution: int
    steps: int  # None only between parsing and dataset_plan.resolve_steps, which derives it from `epochs` and the dataset
    epochs: int | None
    batch_size: int
    gradient_accumulation: int
    learning_rate: float
    lr_scheduler: str
    lr_scheduler_num_cycles: int  # cosine cycles of cosine_with_restarts; 1 with every other scheduler (check_cycles)
    lr_warmup_steps: int
    train_text_encoder: bool
    text_encoder_learning_rate: float
    snr_gamma: float
    noise_offset: float
    gradient_checkpointing: bool
    compile: bool  # torch.compile the UNet for the step (CUDA graphs on a GPU)
    mixed_precision: str
    clip_skip: int
    cache_latents: bool
    aspect_ratio_buckets: bool  # each image at the bucket nearest its aspect ratio (buckets.bucket_sizes); off: square crops
    shuffle_captions: bool
    seed: int
    sample_every_steps: int
    checkpoint_every_steps: int
    keep_checkpoints: int  # the newest N checkpoint folders stay; 0: all
    sample_prompts: tuple[str, ...]
    sample_seeds: tuple[int, ...]


def parse_lora_settings(obj: Any, where: str) -> LoraSettings:
    f = Fields(obj, where, LORA_SETTINGS)
    lora = LoraSettings(
        rank=f.integer("rank"),
        alpha=f.number("alpha"),
        target_modules=f.strings("targetModules"),
        dora=f.boolean("dora"),
        algorithm=f.string("algorithm"),
        lokr_factor=f.integer("lokrFactor"),
    )
    f.done()
    if lora.lokr_factor == 0:
        raise ConfigError(f"{where}.lokrFactor: must be -1 (near square) or a positive side, got 0.")
    if lora.dora and lora.algorithm != "lora":
        # src/schemas/config.ts's words for a request (the worker gets JSON, not flags)
        raise ConfigError(f'{where}.dora: dora works with algorithm "lora" only, not "{lora.algorithm}"; '
                          'turn dora off or set algorithm to "lora".')
    return lora


def parse_training_config(obj: Any, where: str = "config") -> TrainingConfig:
    """Parses the camelCase TrainingConfig JSON; raises ConfigError naming the field and the fix."""
    f = Fields(obj, where, TRAINING_CONFIG)
    config = TrainingConfig(
        base_model=f.string("baseModel"),
        lora=parse_lora_settings(f.raw("lora"), f"{where}.lora"),
        resolution=f.integer("resolution"),
        steps=f.integer("steps"),
        epochs=f.integer("epochs"),
        batch_size=f.integer("batchSize"),
        gradient_accumulation=f.integer("gradientAccumulation"),
        learning_rate=f.number("learningRate"),
        lr_scheduler=f.string("lrScheduler"),
        lr_scheduler_num_cycles=f.integer("lrSchedulerNumCycles"),
        lr_warmup_steps=f.integer("lrWarmupSteps"),
        train_text_encoder=f.boolean("trainTextEncoder"),
        text_encoder_learning_rate=f.number("textEncoderLearningRate"),
        snr_gamma=f.number("snrGamma"),
        noise_offset=f.number("noiseOffset"),
        gradient_checkpointing=f.boolean("gradientCheckpointing"),
        compile=f.boolean("compile"),
        mixed_precision=f.string("mixedPrecision"),
        clip_skip=f.integer("clipSkip"),
        cache_latents=f.boolean("cacheLatents"),
        aspect_ratio_buckets=f.boolean("aspectRatioBuckets"),
        shuffle_captions=f.boolean("shuffleCaptions"),
        seed=f.integer("seed"),
        sample_every_steps=f.integer("sampleEverySteps"),
        checkpoint_every_steps=f.integer("checkpointEverySteps"),
        keep_checkpoints=f.integer("keepCheckpoints"),
        sample_prompts=f.strings("samplePrompts"),
        sample_seeds=f.integers("sampleSeeds"),
    )
    f.done()
    _check_training_contradictions(config, where)
    return config


def _check_training_contradictions(config: TrainingConfig, where: str) -> None:
    if (config.steps is None) == (config.epochs is None):
        raise ConfigError(
            f"{where}.steps/epochs: got steps {config.steps!r} and epochs {config.epochs!r}; give exactly one "
            "(the other null). Use --steps or --epochs, not both."
        )
    if config.steps is not None:
        check_warmup(config, where)
    check_cycles(config, where)


def check_cycles(config: TrainingConfig, where: str = "config") -> None:
    """Cycles other than 1 only with cosine_with_restarts, the one schedule that has them (src/schemas/config.ts
    checkCyclesScheduler): any other would train without the restarts asked for."""
    if config.lr_scheduler_num_cycles != 1 and config.lr_scheduler != "cosine_with_restarts":
        raise ConfigError(
            f"{where}.lrSchedulerNumCycles: {config.lr_scheduler_num_cycles} cycles work with lrScheduler "
            f"cosine_with_restarts only, not {config.lr_scheduler}; set lrScheduler to cosine_with_restarts, "
            "or remove lrSchedulerNumCycles."
        )


def check_warmup(config: TrainingConfig, where: str = "config") -> None:
    """Warmup must leave training steps at the full rate (checked again once epochs became steps)."""
    if config.lr_warmup_steps >= config.steps:
        epochs = f" ({config.epochs} epoch{'' if config.epochs == 1 else 's'})" if config.epochs is not None else ""
        error = ConfigError(f"{where}.lrWarmupSteps: {config.lr_warmup_steps} warmup steps leave none of the "
                            f"{config.steps} training steps{epochs} at the full rate.")
        error.fix = shorter_warmup("epochs" if config.epochs is not None else "steps")  # each side words it
        raise error


def _read_request(
    obj: dict[str, Any], build: Callable[[Fields], _Request], schema: dict[str, Any] | None = None
) -> _Request:
    """One request line: `version` and `command` (the dispatcher checked them) are read, `build` reads the request's
    own fields from `f`, and a field neither read is an error naming it (Fields.done)."""
    f = Fields(obj, "request", schema)
    f.raw("version"), f.raw("command")
    request = build(f)
    f.done()
    return request


# SD15_CONFIG_DIR_NOTE: `sd15_config_dir` (train, generate, serve-generation requests) is the default SD1.5 base's
# folder when toonlora's registry finds it on disk (src/models/base-model.ts), else None: a single-file .safetensors
# base is built with its component configs when the Hugging Face cache has no SD1.5 configs (models.load_base_model).


@dataclass(frozen=True)
class TrainRequest:
    dataset_dir: str
    run_dir: str
    resume: bool
    config: TrainingConfig
    sd15_config_dir: str | None = None  # see SD15_CONFIG_DIR_NOTE


def parse_train_request(obj: dict[str, Any]) -> TrainRequest:
    return _read_request(obj, lambda f: TrainRequest(
        dataset_dir=f.string("dataset_dir"),
        run_dir=f.string("run_dir"),
        resume=f.boolean("resume"),
        config=parse_training_config(f.raw("config")),
        sd15_config_dir=f.string("sd15_config_dir", optional=True),
    ))


@dataclass(frozen=True)
class GenerationConfig:
    """src/schemas/config.ts GenerationConfig, snake_case. clip_skip uses the WebUI convention (1 = last layer)."""

    base_model: str
    prompt: str
    negative_prompt: str
    lora_weight: float
    steps: int
    guidance_scale: float
    width: int
    height: int
    clip_skip: int
    vae_fp32: bool
    scheduler: str
    seeds: tuple[int, ...]


def parse_generation_config(obj: Any, where: str = "config") -> GenerationConfig:
    f = Fields(obj, where, GENERATION_CONFIG)
    config = GenerationConfig(
        base_model=f.string("baseModel"),
        prompt=f.string("prompt"),
        negative_prompt=f.string("negativePrompt"),
        lora_weight=f.number("loraWeight"),
        steps=f.integer("steps"),
        guidance_scale=f.number("guidanceScale"),
        width=f.integer("width"),
        height=f.integer("height"),
        clip_skip=f.integer("clipSkip"),
        vae_fp32=f.boolean("vaeFp32"),
        scheduler=f.string("scheduler"),
        seeds=f.integers("seeds"),
    )
    f.done()
    return config


@dataclass(frozen=True)
class GenerateRequest:
    """One generation: `lora` is a kohya/diffusers LoRA file or None for the bare base model."""

    id: str | None
    lora: str | None
    output_dir: str
    config: GenerationConfig
    sd15_config_dir: str | None = None  # see SD15_CONFIG_DIR_NOTE
    # The LoRA's name as the user knows it (a server LoRA's artifact name; its file is <uuid>.safetensors): the
    # images' `<lora:name:weight>` names it. None: the file's stem (the CLI). src/worker/protocol-requests.ts loraNameSchema.
    lora_name: str | None = None


def parse_generate_request(obj: dict[str, Any]) -> GenerateRequest:
    return _read_request(obj, lambda f: GenerateRequest(
        id=f.string("id", optional=True),
        lora=f.string("lora", optional=True),
        output_dir=f.string("output_dir"),
        config=parse_generation_config(f.raw("config")),
        sd15_config_dir=f.string("sd15_config_dir", optional=True),
        lora_name=_lora_name(f.string("lora_name", optional=True)),
    ))


def _lora_name(name: str | None) -> str | None:
    """request.lora_name as src/worker/protocol-requests.ts loraNameSchema has it: one non-empty line of text."""
    if name is not None and (not name or re.search(r"[\x00-\x1f\x7f]", name)):
        raise ConfigError(f"request.lora_name: expected a non-empty name without control characters, got {name!r}")
    return name


@dataclass(frozen=True)
class ServeRequest:
    base_model: str
    sd15_config_dir: str | None = None  # see SD15_CONFIG_DIR_NOTE


def parse_serve_request(obj: dict[str, Any]) -> ServeRequest:
    return _read_request(obj, lambda f: ServeRequest(
        base_model=f.string("base_model"), sd15_config_dir=f.string("sd15_config_dir", optional=True)
    ))


@dataclass(frozen=True)
class CancelRequest:
    """serve-generation: stop request `id` at its next sampling step (or before it starts), keeping no images."""

    id: str


def parse_cancel_request(obj: dict[str, Any]) -> CancelRequest:
    return _read_request(obj, lambda f: CancelRequest(id=f.string("id")))


@dataclass(frozen=True)
class UnloadLoraRequest:
    """serve-generation: drop the adapters loaded from the LoRA file at `lora` (a LoRA deleted on the server),
    after the requests before it; nothing answers it."""

    lora: str


def parse_unload_lora_request(obj: dict[str, Any]) -> UnloadLoraRequest:
    return _read_request(obj, lambda f: UnloadLoraRequest(lora=f.string("lora")))


@dataclass(frozen=True)
class BlipRequest:
    model: str
    paths: tuple[str, ...]
    max_length: int
    num_beams: int
    batch_size: int


def parse_blip_request(obj: dict[str, Any]) -> BlipRequest:
    return _read_request(obj, lambda f: BlipRequest(
        model=f.string("model"),
        paths=f.strings("paths"),
        max_length=f.integer("max_length"),
        num_beams=f.integer("num_beams"),
        batch_size=f.integer("batch_size"),
    ), BLIP_REQUEST)


@dataclass(frozen=True)
class LoraCountRequest:
    """Count LoRA modules/parameters for `unet` ('sd15' or 'tiny') without loading weights."""

    unet: str
    lora: LoraSettings


def parse_lora_count_request(obj: dict[str, Any]) -> LoraCountRequest:
    return _read_request(obj, lambda f: LoraCountRequest(
        unet=f.string("unet", ARCHITECTURES), lora=parse_lora_settings(f.raw("lora"), "request.lora")
    ))


@dataclass(frozen=True)
class EstimateMemoryRequest:
    """Estimate a training run's peak GPU memory for `unet` ('sd15' or 'tiny') configs, without weights."""

    unet: str
    config: TrainingConfig


def parse_estimate_memory_request(obj: dict[str, Any]) -> EstimateMemoryRequest:
    return _read_request(obj, lambda f: EstimateMemoryRequest(
        unet=f.string("unet", ARCHITECTURES), config=parse_training_config(f.raw("config"))
    ))


@dataclass(frozen=True)
class ScanDatasetRequest:
    """Read `dataset_dir` as a training run with `config` reads it (scan, buckets, warnings, epochs to steps), train
    nothing: what `toonlora train --dry-run` reports."""

    dataset_dir: str
    config: TrainingConfig


def parse_scan_dataset_request(obj: dict[str, Any]) -> ScanDatasetRequest:
    return _read_request(obj, lambda f: ScanDatasetRequest(
        dataset_dir=f.string("dataset_dir"), config=parse_training_config(f.raw("config"))
    ))
