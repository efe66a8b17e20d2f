"""Peak GPU memory of a training step, estimated on any machine, GPU or not; and what a GPU run says about memory.

`toonlora train --dry-run` prints the estimate, and bench/train_memory.py compares it with a diffusers-example loop.
On a GPU, `train` logs it against the free memory before the weights go there (check_gpu_memory), and turns
torch's out-of-memory error into one that names the step or the sample images and the fixes
(out_of_memory_explained).

How it works:
- The models are built on the meta device and set up by the trainer's own functions (`prepare_unet`,
  `prepare_text_encoder`). Their weights then become fake tensors (torch's FakeTensorMode): a shape and a
  dtype, no data, no arithmetic. So a full-size 512 px SD1.5 step runs in seconds on a CPU.
- The step is the trainer's own `_optimizer_step`, with its own text source: the frozen text encoder counts only
  while train would have it on the GPU (the prefetch refills). The sample pass between steps is estimated too
  (the VAE and the text encoder back on the GPU, a guided denoising step, the one-image-at-a-time decode).
- `LiveBytes` adds up the bytes of every live tensor storage and keeps the peak. It rounds each storage up to
  512 B, as CUDA's caching allocator does.
- The CPU stands in for the GPU. The estimate uses CPU autocast with bf16 (the size of fp16), plus CUDA's
  fp32 policy for the ops whose policy differs between the two lists and that the SD models use. CPU autocast
  keeps group_norm / layer_norm in bf16, while CUDA runs them in fp32, and their fp32 outputs are most of a
  ResNet block's activations.

Not counted: the CUDA context (about 0.3-0.5 GiB outside PyTorch's allocator), cuDNN / cuBLAS workspaces and
allocator fragmentation. A torch.compile'd step is not estimated (the eager step is).

Checked against an H100 (bench/train_speed.py, fp16, LoRA r=32, 512 px, before `--compile`, with the text encoder then
on the GPU throughout, as the estimate modelled it for this comparison): the diffusers-example
loop at batch 1 peaked at 3.28 GiB measured against 3.16 estimated. The ratios to it came out at 0.69 measured
against 0.68 estimated (checkpointing), 0.95 against 0.94 (no checkpointing), and 0.46 against 0.45 (batch 4,
checkpointing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from .config import TrainingConfig
from .protocol import Emit, Log

if TYPE_CHECKING:
    from .models import BaseModel
    from .precision import Precision

ALLOCATOR_BLOCK = 512  # CUDA's caching allocator rounds every allocation up to a multiple of this
CUDA_CONTEXT_BYTES = 512 * 2**20  # CUDA context and kernels, outside PyTorch's allocator (sent as stats.cuda_context_gib)
CAPTION = "sks, 1girl, solo, black hair, long hair, red eyes, school uniform, smile, upper body, white background"
TRIGGER = "sks"
# What lowers a run's GPU memory, for the warning before a run and the error when it runs out.
MEMORY_FIXES = "Lower batchSize or resolution, keep gradientCheckpointing on, or give fewer sampleSeeds"

# Ops that CUDA autocast runs in fp32 and CPU autocast does not (aten/src/ATen/autocast_mode.cpp: the CUDA
# fp32 and fp32_set_opt_dtype lists), as far as SD1.5's UNet, VAE and CLIP call them.
CUDA_FP32_OPS = (
    "group_norm", "layer_norm", "exp", "log", "rsqrt", "reciprocal", "softplus", "pow.Tensor_Scalar", "pow.Tensor_Tensor",
    "softmax.int", "log_softmax.int",
)


class LiveBytes(TorchDispatchMode):
    """Bytes of the tensor storages alive now (`live`) and at most (`peak`), from every op dispatched inside it
    plus what `track` / `track_module` registered (weights made before, a model moved onto the GPU). A storage
    counts until it is freed (a weakref callback) or untracked (a model moved off the GPU), whether an op's
    output, an autograd-saved activation, a gradient or an optimizer state."""

    def __init__(self) -> None:
        super().__init__()
        self.live = 0
        self.peak = 0
        self._storages: dict[int, tuple[weakref.ref, int]] = {}

    def track(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        key = id(storage)
        if key in self._storages:
            return
        size = -(-storage.nbytes() // ALLOCATOR_BLOCK) * ALLOCATOR_BLOCK

        def freed(_ref, key=key) -> None:
            self._forget(key)

        self._storages[key] = (weakref.ref(storage, freed), size)
        self.live += size
        self.peak = max(self.peak, self.live)

    def untrack(self, tensor: torch.Tensor) -> None:
        self._forget(id(tensor.untyped_storage()))

    def _forget(self, key: int) -> None:
        entry = self._storages.pop(key, None)
        if entry is not None:
            self.live -= entry[1]

    def track_module(self, module: torch.nn.Module) -> None:
        for tensor in (*module.parameters(), *module.buffers()):
            self.track(tensor)

    def untrack_module(self, module: torch.nn.Module) -> None:
        for tensor in (*module.parameters(), *module.buffers()):
            self.untrack(tensor)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for value in tree_flatten(out)[0]:
            if isinstance(value, torch.Tensor):
                self.track(value)
        return out


@contextlib.contextmanager
def cuda_autocast_policy() -> Iterator[None]:
    """While open, CPU autocast runs CUDA_FP32_OPS in fp32 (inputs cast up, as CUDA autocast does)."""
    library = torch.library.Library("aten", "IMPL")
    keys = torch._C.DispatchKeySet(torch._C.DispatchKey.AutocastCPU)

    def in_fp32(op):
        def kernel(*args, **kwargs):
            def up(value: Any) -> Any:
                return value.float() if isinstance(value, torch.Tensor) and value.dtype in (torch.float16, torch.bfloat16) else value

            with torch._C._ExcludeDispatchKeyGuard(keys):
                return op(*[up(a) for a in args], **{k: up(v) for k, v in kwargs.items()})

        return kernel

    try:
        for name in CUDA_FP32_OPS:
            packet, _, overload = name.partition(".")
            library.impl(name, in_fp32(getattr(getattr(torch.ops.aten, packet), overload or "default")), "AutocastCPU")
        yield
    finally:
        library._destroy()


@dataclass(frozen=True)
class MemoryEstimate:
    step_peak_bytes: int  # the highest total of live tensors during the training steps
    sample_peak_bytes: int  # ... while rendering the sample images (0: the config renders none)
    resident_bytes: int  # before the first step: weights on the GPU, cached latents

    @property
    def peak_bytes(self) -> int:
        return max(self.step_peak_bytes, self.sample_peak_bytes)

    def as_stats(self) -> dict[str, float]:
        """GiB figures for the worker's `done` event, with the CUDA context the driver adds to the peak (the figure
        the GPU run's own memory warning uses, so `train --dry-run` and `doctor` need no copy of it)."""
        gib = 2**30
        return {"peak_gib": self.peak_bytes / gib, "step_peak_gib": self.step_peak_bytes / gib, "sample_peak_gib": self.sample_peak_bytes / gib,
                "resident_gib": self.resident_bytes / gib, "cuda_context_gib": CUDA_CONTEXT_BYTES / gib}


def gpu_stand_in_precision(mixed_precision: str):
    """The Precision a GPU run would use, on the CPU: fp16 becomes bf16 (same size; CPU autocast has no fp16)."""
    from .precision import Precision

    if mixed_precision == "no":
        return Precision(torch.device("cpu"), torch.float32, False)
    return Precision(torch.device("cpu"), torch.bfloat16, True)


def estimate_training_memory(config: TrainingConfig, unet_config: dict, vae_config: dict, text_config: dict, steps: int = 2,
                             adjust_unet: Callable[[torch.nn.Module], object] | None = None) -> MemoryEstimate:
    """The peak memory of `steps` optimizer steps of `config` on a GPU (see the module doc), without weights.
    `adjust_unet`: called on the UNet after trainable_models.prepare_unet (a bench variant's setup, e.g. selective checkpointing)."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from . import train as T
    from .dataset_items import Dataset, DatasetItem
    from .models import BaseModel, build_tiny_tokenizer
    from .step_batches import StepInputs
    from .trainable_models import prepare_text_encoder, prepare_unet

    # A run given in epochs has its length from the dataset; any long run prefetches the same caption window.
    config = dataclasses.replace(config, steps=max(config.steps or 10_000, steps), epochs=None, compile=False)
    precision = gpu_stand_in_precision(config.mixed_precision)
    on_meta = dataclasses.replace(precision, device=torch.device("meta"))
    with torch.device("meta"):  # configs as dicts: ours (model_configs.SD15_*), or a loaded base's (`unet.config`, ...)
        unet = UNet2DConditionModel.from_config(dict(unet_config))
        vae = AutoencoderKL.from_config(dict(vae_config))
        text_encoder = CLIPTextModel(CLIPTextConfig(**{**dict(text_config), "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}))
    prepare_unet(unet, config, on_meta)
    if adjust_unet is not None:
        adjust_unet(unet)
    prepare_text_encoder(text_encoder, config, on_meta)
    vae.requires_grad_(False).to(on_meta.device, torch.float32)  # as run_training
    fake = torch._subclasses.fake_tensor.FakeTensorMode(allow_non_fake_inputs=True)
    for model in (unet, vae, text_encoder):
        to_fake(model, fake)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    base = BaseModel(unet, vae, text_encoder, build_tiny_tokenizer(), scheduler, "estimate")
    items = tuple(DatasetItem(f"image{i}.png", CAPTION, TRIGGER, 1) for i in range(config.batch_size))
    dataset = Dataset(items, ())
    latent_size = config.resolution // 8
    groups = [{"params": [p for p in unet.parameters() if p.requires_grad], "lr": config.learning_rate}]
    if config.train_text_encoder:
        groups.append({"params": [p for p in text_encoder.parameters() if p.requires_grad], "lr": config.text_encoder_learning_rate})
    params = [p for group in groups for p in group["params"]]
    live = LiveBytes()

    def place(on_device: bool) -> None:  # what text_embeddings.encoder_placement moves on a GPU, counted
        (live.track_module if on_device else live.untrack_module)(text_encoder)

    with fake, cuda_autocast_policy():
        latents = [torch.zeros(4, latent_size, latent_size) for _ in items]
        pixels = torch.zeros(config.batch_size, 3, config.resolution, config.resolution)
        state = T._make_loop_state(config, groups, precision)
        repeated = list(range(len(items)))
        text_source = T.make_text_source(base, config, precision, dataset=dataset, repeated=repeated, state=state, place=place)
        inputs = StepInputs(base, dataset, repeated, latents, text_source, config, precision, params)
        with live:
            on_gpu = (unet,) + (() if config.cache_latents else (vae,)) + ((text_encoder,) if config.train_text_encoder else ())
            for model in on_gpu:
                live.track_module(model)
            for tensor in latents:
                live.track(tensor)
            resident = live.live
            for _ in range(steps):
                if not config.cache_latents:  # the trainer then encodes each batch; the VAE stays on the GPU
                    T.encode_latents(base, pixels)
                T._optimizer_step(unet, inputs, state)
                state.step += 1
            step_peak = live.peak
            if config.sample_every_steps:
                live.peak = live.live
                _sample_pass(base, config, precision, live)
    return MemoryEstimate(step_peak, live.peak if config.sample_every_steps else 0, resident)


def _sample_pass(base, config: TrainingConfig, precision, live: LiveBytes) -> None:
    """What training_samples.emit_samples holds at once, between steps: the VAE (float32) and the text encoder back on the GPU, one
    denoising step of the UNet with classifier-free guidance (a batch of 2 x seeds, no gradients), then the
    decode (pipeline.vae_decode, one image at a time)."""
    from .pipeline import vae_decode
    from .precision import autocast_context
    from .prompt_encoding import encode_prompts

    live.track_module(base.vae)  # training_samples.emit_samples brings both onto the GPU
    live.track_module(base.text_encoder)
    seeds, size = len(config.sample_seeds), config.resolution // 8
    base.unet.eval()
    with torch.no_grad():
        embeddings = encode_prompts(base, [CAPTION, ""], config.clip_skip, precision.device).to(precision.weight_dtype)
        with autocast_context(precision):
            noisy = torch.zeros(2 * seeds, 4, size, size, dtype=precision.weight_dtype)
            base.unet(noisy, torch.full((2 * seeds,), 500), embeddings.repeat_interleave(seeds, 0)).sample
        vae_decode(base.vae, torch.zeros(seeds, 4, size, size))
    base.unet.train()


def to_fake(model: torch.nn.Module, fake) -> None:
    """Replaces every parameter and buffer of `model` (meta tensors) by a fake CPU tensor of the same shape,
    dtype and requires_grad."""
    for module in model.modules():
        for name, param in list(module._parameters.items()):
            if param is not None:
                with fake:
                    module._parameters[name] = torch.nn.Parameter(torch.empty(param.shape, dtype=param.dtype), requires_grad=param.requires_grad)
        for name, buffer in list(module._buffers.items()):
            if buffer is not None:
                with fake:
                    module._buffers[name] = torch.zeros(buffer.shape, dtype=buffer.dtype)


# --- at run time: the check before a GPU run, and what an out-of-memory error says -----------------------------


class GpuOutOfMemoryError(RuntimeError):
    """The GPU ran out of memory mid-run; the message says where, and what lowers the need. The last good
    checkpoint stays."""


@contextlib.contextmanager
def out_of_memory_explained(where: str, last_checkpoint: str | None) -> Iterator[None]:
    """Turns torch's OutOfMemoryError into a GpuOutOfMemoryError naming `where`, torch's own figures and the fixes."""
    try:
        yield
    except torch.OutOfMemoryError as error:
        raise GpuOutOfMemoryError(
            f"the GPU ran out of memory {where}: {_torch_oom_summary(error)} The run stopped; last good checkpoint: "
            f"{last_checkpoint or 'none'}. `toonlora train --dry-run` estimates what this config needs. {MEMORY_FIXES} "
            "(at batch 1 the sample images need the most)."
        ) from error


def _torch_oom_summary(error: BaseException) -> str:
    """The start of torch's OOM message: what it tried to allocate and what the GPU had free (the rest is tuning advice)."""
    text = " ".join(str(error).split())
    end = text.find(" is free.")
    return text[: end + len(" is free.")] if end >= 0 else text[:300]


def memory_check_lines(estimate: MemoryEstimate, free_bytes: int, total_bytes: int, device_name: str) -> list[Log]:
    """What train logs before the weights go to the GPU: the estimated peak against the free memory, and a warning
    when it does not fit with room for the CUDA context."""
    gib = 2**30
    parts = f"steps {estimate.step_peak_bytes / gib:.2f} GiB" + (f", samples {estimate.sample_peak_bytes / gib:.2f} GiB" if estimate.sample_peak_bytes else "")
    lines = [Log("info", f"estimated peak GPU memory {estimate.peak_bytes / gib:.2f} GiB ({parts}); "
                         f"{device_name}: {free_bytes / gib:.2f} GiB free of {total_bytes / gib:.2f} GiB")]
    needed = estimate.peak_bytes + CUDA_CONTEXT_BYTES
    if needed > free_bytes:
        lines.append(Log("warn", f"this run may run out of GPU memory: it needs about {needed / gib:.2f} GiB "
                                 f"with the CUDA context and {free_bytes / gib:.2f} GiB is free. {MEMORY_FIXES}."))
    return lines


def check_gpu_memory(config: TrainingConfig, base: BaseModel, precision: Precision, emit: Emit) -> None:
    """On a GPU, before any weights go there: memory_check_lines for this run (an estimate, so a warning at most)."""
    if precision.device.type != "cuda":
        return
    try:
        with torch.random.fork_rng(devices=[]):  # the estimate draws no numbers the run would see
            estimate = estimate_training_memory(config, base.unet.config, base.vae.config, base.text_encoder.config.to_dict())
    except Exception as error:  # an estimate never stops a run
        emit(Log("warn", f"could not estimate the GPU memory this run needs: {error}"))
        return
    free, total = torch.cuda.mem_get_info(precision.device)
    for line in memory_check_lines(estimate, free, total, torch.cuda.get_device_name(precision.device)):
        emit(line)
