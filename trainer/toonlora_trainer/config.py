"""toonlora_trainer/config.py — parses each request once into a frozen, typed config.

The TypeScript side sends the FULLY RESOLVED config from src/schemas/config.ts (the one source of
defaults), so nothing here invents a default: a missing or unknown field is an error that names it.
Contradictions (warmup longer than the run, ...) raise here, never deep inside the loop (STYLE rule 10).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


TARGET_MODULES = ("to_q", "to_k", "to_v", "to_out.0")
LORA_ALGORITHMS = ("lora", "lokr")
LR_SCHEDULERS = ("cosine", "constant", "linear", "cosine_with_restarts")
MIXED_PRECISIONS = ("no", "fp16", "bf16")
SCHEDULERS = ("dpmpp_2m_karras", "euler_a", "euler", "ddim", "pndm")


class ConfigError(ValueError):
    """A request field is missing, unknown, of the wrong type or contradicts another field."""


class _Fields:
    """Reads fields of one JSON object strictly; every error names `<where>.<field>`."""

    def __init__(self, obj: Any, where: str) -> None:
        if not isinstance(obj, dict):
            raise ConfigError(f"{where}: expected an object, got {type(obj).__name__}")
        self.obj, self.where, self.used = obj, where, set()

    def _get(self, name: str) -> Any:
        if name not in self.obj:
            raise ConfigError(f"{self.where}.{name}: missing (the TypeScript side must send every field)")
        self.used.add(name)
        return self.obj[name]

    def _fail(self, name: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self.where}.{name}: expected {expected}, got {value!r}")

    def string(self, name: str, choices: tuple[str, ...] | None = None, optional: bool = False) -> Any:
        if optional and self.obj.get(name) is None:
            self.used.add(name)
            return None
        value = self._get(name)
        if not isinstance(value, str) or (choices is not None and value not in choices):
            raise self._fail(name, f"one of {choices}" if choices else "a string", value)
        return value

    def integer(self, name: str, low: int, high: int, nullable: bool = False) -> int | None:
        value = self._get(name)
        if nullable and value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self._fail(name, f"an integer {low}-{high}", value)
        return value

    def number(self, name: str, low: float, high: float) -> float:
        value = self._get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise self._fail(name, f"a number {low}-{high}", value)
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise self._fail(name, "true or false", value)
        return value

    def strings(self, name: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self._get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(name, "a list of strings", value)
        if choices is not None and any(v not in choices for v in value):
            raise self._fail(name, f"a list of {choices}", value)
        return tuple(value)

    def integers(self, name: str, low: int, high: int) -> tuple[int, ...]:
        value = self._get(name)
        if not isinstance(value, list) or not value or not all(
            isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value
        ):
            raise self._fail(name, f"a non-empty list of integers {low}-{high}", value)
        return tuple(value)

    def raw(self, name: str) -> Any:
        return self._get(name)

    def done(self) -> None:
        unknown = sorted(set(self.obj) - self.used)
        if unknown:
            raise ConfigError(f"{self.where}: unknown field(s) {unknown}; trainer/ and the CLI disagree on the protocol")


@dataclass(frozen=True)
class LoraSettings:
    rank: int
    alpha: float
    target_modules: tuple[str, ...]
    dora: bool
    algorithm: str = "lora"  # 'lora' (B·A) or 'lokr' (w1 ⊗ w2, PEFT LoKrConfig)
    lokr_factor: int = -1  # LoKr decompose_factor; -1: near-square split


@dataclass(frozen=True)
class TrainingConfig:
    """src/schemas/config.ts TrainingConfig, snake_case. Units: steps, pixels, learning rates per step."""

    base_model: str
    lora: LoraSettings
    resolution: int
    steps: int  # None only between parsing and train.resolve_steps, which derives it from `epochs` and the dataset
    epochs: int | None
    batch_size: int
    gradient_accumulation: int
    learning_rate: float
    lr_scheduler: str
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
    aspect_ratio_buckets: bool  # each image at the bucket nearest its aspect ratio (data.bucket_sizes); off: square crops
    shuffle_captions: bool
    seed: int
    sample_every_steps: int
    checkpoint_every_steps: int
    keep_checkpoints: int  # the newest N checkpoint folders stay; 0: all
    sample_prompts: tuple[str, ...]
    sample_seeds: tuple[int, ...]


def parse_lora_settings(obj: Any, where: str) -> LoraSettings:
    f = _Fields(obj, where)
    lora = LoraSettings(
        rank=f.integer("rank", 1, 256),
        alpha=f.number("alpha", 1e-9, 4096),
        target_modules=f.strings("targetModules", TARGET_MODULES),
        dora=f.boolean("dora"),
        algorithm=f.string("algorithm", LORA_ALGORITHMS),
        lokr_factor=f.integer("lokrFactor", -1, 1024),
    )
    f.done()
    if not lora.target_modules:
        raise ConfigError(f"{where}.targetModules: expected at least one of {TARGET_MODULES}, got []")
    if lora.lokr_factor == 0:
        raise ConfigError(f"{where}.lokrFactor: expected -1 (near-square split) or a positive factor, got 0")
    if lora.dora and lora.algorithm != "lora":
        raise ConfigError(f"{where}.dora: DoRA applies to LoRA only, not to algorithm {lora.algorithm!r}")
    return lora


def parse_training_config(obj: Any, where: str = "config") -> TrainingConfig:
    """Parses the camelCase TrainingConfig JSON; raises ConfigError naming the field and the fix."""
    f = _Fields(obj, where)
    config = TrainingConfig(
        base_model=f.string("baseModel"),
        lora=parse_lora_settings(f.raw("lora"), f"{where}.lora"),
        resolution=f.integer("resolution", 64, 2048),
        steps=f.integer("steps", 1, 1_000_000, nullable=True),
        epochs=f.integer("epochs", 1, 100_000, nullable=True),
        batch_size=f.integer("batchSize", 1, 64),
        gradient_accumulation=f.integer("gradientAccumulation", 1, 64),
        learning_rate=f.number("learningRate", 1e-12, 1),
        lr_scheduler=f.string("lrScheduler", LR_SCHEDULERS),
        lr_warmup_steps=f.integer("lrWarmupSteps", 0, 10_000_000),
        train_text_encoder=f.boolean("trainTextEncoder"),
        text_encoder_learning_rate=f.number("textEncoderLearningRate", 1e-12, 1),
        snr_gamma=f.number("snrGamma", 0, 100),
        noise_offset=f.number("noiseOffset", 0, 1),
        gradient_checkpointing=f.boolean("gradientCheckpointing"),
        compile=f.boolean("compile"),
        mixed_precision=f.string("mixedPrecision", MIXED_PRECISIONS),
        clip_skip=f.integer("clipSkip", 1, 12),
        cache_latents=f.boolean("cacheLatents"),
        aspect_ratio_buckets=f.boolean("aspectRatioBuckets"),
        shuffle_captions=f.boolean("shuffleCaptions"),
        seed=f.integer("seed", 0, 2**32 - 1),
        sample_every_steps=f.integer("sampleEverySteps", 0, 10_000_000),
        checkpoint_every_steps=f.integer("checkpointEverySteps", 0, 10_000_000),
        keep_checkpoints=f.integer("keepCheckpoints", 0, 10_000),
        sample_prompts=f.strings("samplePrompts"),
        sample_seeds=f.integers("sampleSeeds", 0, 2**32 - 1),
    )
    f.done()
    _check_training_contradictions(config, where)
    return config


def _check_training_contradictions(config: TrainingConfig, where: str) -> None:
    if config.resolution % 8:
        raise ConfigError(f"{where}.resolution: expected a multiple of 8, got {config.resolution}. Set --resolution.")
    if (config.steps is None) == (config.epochs is None):
        raise ConfigError(
            f"{where}.steps/epochs: got steps {config.steps!r} and epochs {config.epochs!r}; give exactly one "
            "(the other null). Use --steps or --epochs, not both."
        )
    if config.steps is not None:
        check_warmup(config, where)


def check_warmup(config: TrainingConfig, where: str = "config") -> None:
    """Warmup must leave training steps at the full rate (checked again once epochs became steps)."""
    if config.lr_warmup_steps >= config.steps:
        raise ConfigError(
            f"{where}.lrWarmupSteps: {config.lr_warmup_steps} warmup steps leave none of the {config.steps} "
            "training steps at the full rate. Lower training.lrWarmupSteps or raise --steps."
        )


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
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = TrainRequest(
        dataset_dir=f.string("dataset_dir"),
        run_dir=f.string("run_dir"),
        resume=f.boolean("resume"),
        config=parse_training_config(f.raw("config")),
        sd15_config_dir=f.string("sd15_config_dir", optional=True),
    )
    f.done()
    return request


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
    f = _Fields(obj, where)
    config = GenerationConfig(
        base_model=f.string("baseModel"),
        prompt=f.string("prompt"),
        negative_prompt=f.string("negativePrompt"),
        lora_weight=f.number("loraWeight", -4, 4),
        steps=f.integer("steps", 1, 500),
        guidance_scale=f.number("guidanceScale", 0, 50),
        width=f.integer("width", 64, 2048),
        height=f.integer("height", 64, 2048),
        clip_skip=f.integer("clipSkip", 1, 12),
        vae_fp32=f.boolean("vaeFp32"),
        scheduler=f.string("scheduler", SCHEDULERS),
        seeds=f.integers("seeds", 0, 2**32 - 1),
    )
    f.done()
    if config.width % 8 or config.height % 8:
        raise ConfigError(f"{where}.width/height: expected multiples of 8, got {config.width}x{config.height}")
    return config


@dataclass(frozen=True)
class GenerateRequest:
    """One generation: `lora` is a kohya/diffusers LoRA file or None for the bare base model."""

    id: str | None
    lora: str | None
    output_dir: str
    config: GenerationConfig
    sd15_config_dir: str | None = None  # see SD15_CONFIG_DIR_NOTE


def parse_generate_request(obj: dict[str, Any]) -> GenerateRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = GenerateRequest(
        id=f.string("id", optional=True),
        lora=f.string("lora", optional=True),
        output_dir=f.string("output_dir"),
        config=parse_generation_config(f.raw("config")),
        sd15_config_dir=f.string("sd15_config_dir", optional=True),
    )
    f.done()
    return request


@dataclass(frozen=True)
class ServeRequest:
    base_model: str
    sd15_config_dir: str | None = None  # see SD15_CONFIG_DIR_NOTE


def parse_serve_request(obj: dict[str, Any]) -> ServeRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = ServeRequest(base_model=f.string("base_model"), sd15_config_dir=f.string("sd15_config_dir", optional=True))
    f.done()
    return request


@dataclass(frozen=True)
class CancelRequest:
    """serve-generation: stop request `id` at its next sampling step (or before it starts), keeping no images."""

    id: str


def parse_cancel_request(obj: dict[str, Any]) -> CancelRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = CancelRequest(id=f.string("id"))
    f.done()
    return request


@dataclass(frozen=True)
class BlipRequest:
    model: str
    paths: tuple[str, ...]
    max_length: int
    num_beams: int
    batch_size: int


def parse_blip_request(obj: dict[str, Any]) -> BlipRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = BlipRequest(
        model=f.string("model"),
        paths=f.strings("paths"),
        max_length=f.integer("max_length", 1, 512),
        num_beams=f.integer("num_beams", 1, 16),
        batch_size=f.integer("batch_size", 1, 256),
    )
    f.done()
    return request


@dataclass(frozen=True)
class LoraCountRequest:
    """Count LoRA modules/parameters for `unet` ('sd15' or 'tiny') without loading weights."""

    unet: str
    lora: LoraSettings


def parse_lora_count_request(obj: dict[str, Any]) -> LoraCountRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = LoraCountRequest(unet=f.string("unet", ("sd15", "tiny")), lora=parse_lora_settings(f.raw("lora"), "request.lora"))
    f.done()
    return request




@dataclass(frozen=True)
class EstimateMemoryRequest:
    """Estimate a training run's peak GPU memory for `unet` ('sd15' or 'tiny') configs, without weights."""

    unet: str
    config: TrainingConfig


def parse_estimate_memory_request(obj: dict[str, Any]) -> EstimateMemoryRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = EstimateMemoryRequest(unet=f.string("unet", ("sd15", "tiny")), config=parse_training_config(f.raw("config")))
    f.done()
    return request


@dataclass(frozen=True)
class ScanDatasetRequest:
    """Read `dataset_dir` as a training run with `config` reads it (scan, buckets, warnings, epochs to steps), train
    nothing: what `toonlora train --dry-run` reports."""

    dataset_dir: str
    config: TrainingConfig


def parse_scan_dataset_request(obj: dict[str, Any]) -> ScanDatasetRequest:
    f = _Fields(obj, "request")
    f.raw("version"), f.raw("command")
    request = ScanDatasetRequest(dataset_dir=f.string("dataset_dir"), config=parse_training_config(f.raw("config")))
    f.done()
    return request
