"""bench/train_speed.py — it/s and peak GPU memory of toonlora's training step vs a plain
diffusers-example-style LoRA loop, measured in the same run, printed as ratios.

Usage: trainer/.venv/bin/python bench/train_speed.py [--steps 20] [--batch-sizes 1,4] [--compile] [--variants ...] [--json out.json]

GPU: the full SD1.5-architecture UNet, VAE and CLIP text encoder (real configs, random weights) at
512 px. CPU: the `tiny` config at 64 px, and it says so (CPU figures say nothing about GPU speed).
- baseline: diffusers examples/text_to_image/train_text_to_image_lora.py style: every step encodes the
  images with the VAE and the captions with CLIP, no gradient checkpointing, fp16 weights + autocast.
- toonlora: this trainer's own UNet setup (train.prepare_unet: LoRA in fp32 without PEFT's input cast round
  trip) and step (train._optimizer_step): cached latents, text embeddings prefetched for the coming steps
  (train.make_text_source), the VAE and the text encoder off the GPU between, fp16 weights + autocast; with
  and without gradient checkpointing, and with it on the narrow blocks only (selective: the 1280-channel
  levels keep their activations; models.checkpoint_narrow_blocks_only). A refill (every 128 captions: 128
  steps at batch 1, 32 at batch 4) falls in the warm-up, so the timed steps leave out its cost (~2 transfers
  of the 0.23 GiB encoder + 4 encodes).
- with --compile also this step with training.compile (torch.compile, CUDA graphs on a GPU): its warm-up
  steps compile (minutes for the full UNet), so run it with one batch size per call on a lent GPU.
  Opt-in (`--variants budget-compiled`): compiled without block checkpointing, with torch's activation
  memory budget at 0.5 instead (the compiler picks what to recompute), to weigh against checkpointing.
- opt-in `--variants lokr,lokr-compiled`: the same step training a LoKr (rank 32, factor -1) instead.
Goal (issue 6): >= 1.5x it/s and <= 0.7x peak memory of the baseline.

On a lent GPU: `bash bench/device-train-bench.sh --batch-sizes 1 --compile` (it installs the carried wheels;
its header says which). `--variants` picks a subset (the baseline is always measured first); each row is
printed, and the JSON rewritten, as soon as it is measured, so a lease that ends mid-run keeps what ran.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainer"))

from toonlora_trainer import models as M  # noqa: E402
from toonlora_trainer import train as T  # noqa: E402
from toonlora_trainer.compiled_step import CompileWatch, check_compiler, step_forward  # noqa: E402
from toonlora_trainer.config import parse_lora_settings, parse_training_config  # noqa: E402
from toonlora_trainer.config_schema import DEFAULT_TRAINING_CONFIG  # noqa: E402
from toonlora_trainer.data import Dataset, DatasetItem  # noqa: E402
from toonlora_trainer.losses import compute_snr, min_snr_weights, sample_noise, weighted_mse  # noqa: E402
from toonlora_trainer.text_embeddings import encoder_placement  # noqa: E402

CAPTION = "sks, 1girl, black hair, red eyes, school uniform, smile, upper body"


def build_base(device: torch.device, full: bool) -> M.BaseModel:
    """SD1.5-architecture (or tiny) modules with random weights, created directly on `device`."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel(**(M.SD15_UNET_CONFIG if full else M.TINY_UNET_CONFIG))
        vae = AutoencoderKL(**(M.SD15_VAE_CONFIG if full else M.TINY_VAE_CONFIG))
        text_config = {**(M.SD15_TEXT_CONFIG if full else M.TINY_TEXT_CONFIG), "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
        text = CLIPTextModel(CLIPTextConfig(**text_config))
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    return M.BaseModel(unet, vae, text, M.build_tiny_tokenizer(), scheduler, "bench")


def training_config(batch: int, resolution: int, checkpointing: bool, mixed: str, compile: bool = False, algorithm: str = "lora"):
    """The default resolved config (config_schema.json: rank 32, lr 1e-4, ...) with the bench's run shape: a constant
    learning rate, seed 1, no samples or checkpoints."""
    return parse_training_config({
        **DEFAULT_TRAINING_CONFIG, "baseModel": "bench", "lora": {**DEFAULT_TRAINING_CONFIG["lora"], "algorithm": algorithm},
        "resolution": resolution, "steps": 1_000_000, "batchSize": batch, "lrScheduler": "constant",
        "gradientCheckpointing": checkpointing, "compile": compile, "mixedPrecision": mixed, "seed": 1,
        "sampleEverySteps": 0, "checkpointEverySteps": 0, "sampleSeeds": [1],
    })


def prepare_baseline(base: M.BaseModel, precision: T.Precision):
    """The diffusers example's setup: every model on the device in the weight dtype, PEFT's LoRA defaults
    (fp32 LoRA weights), no gradient checkpointing."""
    base.vae.requires_grad_(False).to(precision.device, precision.weight_dtype)
    base.text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    unet = base.unet.to(precision.device, precision.weight_dtype)
    M.attach_lora(unet, lora=parse_lora_settings(DEFAULT_TRAINING_CONFIG["lora"], "lora"))  # the default: r=32
    params = [p for p in unet.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    unet.train()
    return unet, params


def toonlora_steps(full, precision, batch, resolution, checkpointing, images, compile=False, selective=False, algorithm="lora"):
    """Returns a callable doing one optimizer step of this trainer, after caching the latents. `selective`:
    checkpointing on the narrow blocks only (models.checkpoint_narrow_blocks_only); `algorithm` "lokr": a LoKr
    (rank 32, factor -1) instead of the LoRA."""
    base = build_base(precision.device, full)
    config = training_config(batch, resolution, checkpointing, "fp16" if precision.weight_dtype == torch.float16 else "no", compile, algorithm)
    base.vae.requires_grad_(False).to(precision.device, torch.float32)  # as run_training
    base.text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    unet, params = base.unet, T.prepare_unet(base.unet, config, precision)
    if selective:
        M.checkpoint_narrow_blocks_only(unet)
    if compile:
        check_compiler(precision.device)
    forward = step_forward(unet, config, precision, lambda event: None)
    items = tuple(DatasetItem(f"img{i}.png", CAPTION, "sks", 1) for i in range(len(images)))
    latents_cache = [T.encode_latents(base, images[i : i + 1])[0] for i in range(len(images))]
    base.vae.to("cpu")  # as run_training: cached, so the VAE leaves the GPU
    state = T._make_loop_state(config, params, precision)
    dataset, repeated = Dataset(items, ()), list(range(len(items)))
    text_source = T.make_text_source(base, config, precision, dataset=dataset, repeated=repeated, state=state,
                                     place=encoder_placement(base.text_encoder, precision.device))
    inputs = T.StepInputs(base, dataset, repeated, latents_cache, text_source, config, precision, params)

    def step():
        float(T._optimizer_step(forward, inputs, state))  # the trainer reads the loss every step
        state.step += 1

    return step


def baseline_steps(full, precision, batch, resolution, images):
    """The diffusers example's inner loop: VAE encode + CLIP encode every step, no checkpointing."""
    base = build_base(precision.device, full)
    unet, params = prepare_baseline(base, precision)
    return baseline_step(base, unet, params, precision, batch, images)


def baseline_step(base: M.BaseModel, unet, params, precision, batch: int, images):
    """One step of the diffusers example's loop on models set up by prepare_baseline (bench/train_memory.py
    runs it on fake tensors, autocast on its CPU stand-in for the GPU)."""
    optimizer = torch.optim.AdamW(params, lr=1e-4)
    scaler = torch.amp.GradScaler("cuda", enabled=precision.autocast and precision.weight_dtype == torch.float16)
    generator = torch.Generator().manual_seed(0)
    tokens = base.tokenizer([CAPTION] * batch, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids.to(precision.device)
    scheduler = base.noise_scheduler
    position = [0]

    def step():
        start = position[0] % len(images)
        pixels = images[start : start + batch]
        if len(pixels) < batch:
            pixels = images[:batch]
        position[0] += batch
        with torch.autocast(precision.device.type, dtype=precision.weight_dtype, enabled=precision.autocast):
            latents = base.vae.encode(pixels.to(precision.device, precision.weight_dtype)).latent_dist.sample() * base.vae.config.scaling_factor
            embeddings = base.text_encoder(tokens, return_dict=False)[0]
            noise = sample_noise(latents, 0.1, generator)
            timesteps = torch.randint(0, 1000, (batch,), generator=generator).to(precision.device)
            noisy = scheduler.add_noise(latents, noise, timesteps)
            prediction = unet(noisy, timesteps, embeddings, return_dict=False)[0]
        weights = min_snr_weights(compute_snr(scheduler.alphas_cumprod, timesteps), 5.0, "epsilon")
        loss = weighted_mse(prediction, noise, weights)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)

    return step


def baseline_encode_only(full, precision, batch, resolution, images):
    """Only the per-step VAE + CLIP encoding the baseline does (what caching removes)."""
    base = build_base(precision.device, full)
    base.vae.requires_grad_(False).to(precision.device, precision.weight_dtype)
    base.text_encoder.requires_grad_(False).to(precision.device, precision.weight_dtype)
    tokens = base.tokenizer([CAPTION] * batch, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids.to(precision.device)

    @torch.no_grad()
    def step():
        with torch.autocast("cuda", dtype=precision.weight_dtype, enabled=precision.autocast):
            base.vae.encode(images[:batch].to(precision.device, precision.weight_dtype)).latent_dist.sample()
            base.text_encoder(tokens, return_dict=False)

    return step


def measure(make_step, device: torch.device, steps: int, warmup: int = 3) -> dict:
    """it/s over `steps` after `warmup` steps; on a GPU also the peak memory, what was still allocated
    before building (should be ~0: a leftover from an earlier variant would inflate this one's peak) and
    what the built models and caches hold before the first step (None for each on a CPU)."""
    gc.collect()
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated() / 2**30 if cuda else None
    step = make_step()
    resident = torch.cuda.memory_allocated() / 2**30 if cuda else None
    if cuda:  # after building: the peak counts resident weights + the steps, not fp32 init
        torch.cuda.reset_peak_memory_stats()
    warming = time.perf_counter()
    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None  # None (JSON null) on a CPU: no GPU memory
    del step
    gc.collect()
    return {"it_per_s": steps / elapsed, "peak_gib": peak, "warmup_s": started - warming, "allocated_before_gib": before, "resident_gib": resident}


def profile_gpu_busy(make_step, steps: int = 5) -> None:
    """Prints how much of a step's wall time the GPU is busy (kernel time / wall time) and the top ops:
    a low share means the step is bound by CPU-side launch overhead, not by GPU work."""
    from torch.profiler import ProfilerActivity, profile

    step = make_step()
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        started = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        wall = (time.perf_counter() - started) / steps
    events = prof.key_averages()
    gpu = [e for e in events if e.device_type == torch.autograd.DeviceType.CUDA]
    kernel_s = sum(e.self_device_time_total for e in gpu) / 1e6 / steps
    launches = sum(e.count for e in gpu) / steps
    print(f"  profile: {1000 * wall:.1f} ms wall/step, {1000 * kernel_s:.1f} ms GPU kernels/step "
          f"({100 * kernel_s / wall:.0f}% busy), ~{launches:.0f} GPU kernels/step")
    print(events.table(sort_by="self_device_time_total", row_limit=10, max_name_column_width=60))
    del step
    gc.collect()


VARIANTS = {  # short name (--variants) -> row label; make_variant builds each
    "baseline": "baseline (diffusers example: encode every step, no ckpt)",
    "ckpt": "toonlora (cached, grad ckpt)",
    "selective": "toonlora (cached, grad ckpt on narrow blocks)",
    "no-ckpt": "toonlora (cached, no grad ckpt)",
    "ckpt-compiled": "toonlora (cached, grad ckpt, compiled)",
    "selective-compiled": "toonlora (cached, grad ckpt on narrow blocks, compiled)",
    "no-ckpt-compiled": "toonlora (cached, no grad ckpt, compiled)",
    "budget-compiled": "toonlora (cached, compiled, activation budget 0.5)",
    "lokr": "toonlora LoKr (cached, grad ckpt)",
    "lokr-compiled": "toonlora LoKr (cached, grad ckpt, compiled)",
    "encode": "  of which: VAE + CLIP encode only (what caching removes)",
}
DEFAULT_VARIANTS = ("baseline", "ckpt", "selective", "no-ckpt", "encode")
# no-ckpt-compiled is left to --variants: without checkpointing the peak is ~0.87x (bench/train_memory.py), over the goal
COMPILED_VARIANTS = ("ckpt-compiled", "selective-compiled")


def chosen_variants(spec: str | None, compile: bool) -> list[str]:
    """The variants to measure, baseline first (every ratio is against it): `--variants` as given, else the
    default set, with --compile the compiled ones right after the baseline (the figures a short lease is for)."""
    names = [name.strip() for name in spec.split(",") if name.strip()] if spec else list(DEFAULT_VARIANTS)
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if compile and not spec:
        names[1:1] = COMPILED_VARIANTS
    return ["baseline", *[name for name in names if name != "baseline"]]


def reset_compile_state() -> None:
    """Each compiled variant compiles on its own, as in a fresh process; this also frees CUDA-graph pools."""
    import torch._dynamo

    torch._dynamo.reset()


ACTIVATION_BUDGET = 0.5  # "budget-compiled": no module checkpointing; the compiler recomputes what is cheapest


def make_variant(name: str, full: bool, precision, batch: int, resolution: int, images):
    """A callable building the variant's step. "budget-compiled" (opt-in, --variants): compiled without
    diffusers' block checkpointing, with torch._functorch's activation_memory_budget, which makes the
    partitioner recompute the cheapest activations until the saved ones are at most that share."""
    if name == "budget-compiled":
        import torch._functorch.config as functorch_config

        def build():
            step = toonlora_steps(full, precision, batch, resolution, False, images, compile=True)

            def budget_step():
                with functorch_config.patch(activation_memory_budget=ACTIVATION_BUDGET):  # read when the first steps compile
                    step()

            return budget_step

        return build
    if name == "baseline":
        return lambda: baseline_steps(full, precision, batch, resolution, images)
    if name == "encode":
        return lambda: baseline_encode_only(full, precision, batch, resolution, images)
    checkpointing, compiled, selective = not name.startswith("no-ckpt"), name.endswith("-compiled"), name.startswith("selective")
    algorithm = "lokr" if name.startswith("lokr") else "lora"
    return lambda: toonlora_steps(full, precision, batch, resolution, checkpointing, images, compile=compiled, selective=selective,
                                  algorithm=algorithm)


def report_row(name: str, row: dict, base_row: dict, full: bool, batch: int) -> dict:
    """Prints one measured variant against the baseline (at once: a lease that ends mid-run keeps what ran)."""
    label = VARIANTS[name]
    if name == "encode":
        share = base_row["it_per_s"] / row["it_per_s"]
        print(f"  {label:58s} {1000 / row['it_per_s']:7.1f} ms/step = {100 * share:.0f}% of a baseline step", flush=True)
        return {"batch": batch, "variant": label, **row, "share_of_baseline_step": share}
    speed = row["it_per_s"] / base_row["it_per_s"]
    memory = row["peak_gib"] / base_row["peak_gib"] if full else None  # no GPU memory measured on a CPU
    extra = ""
    if "compile" in row:
        c = row["compile"]
        extra = (f"   (warm-up incl. compile {row['warmup_s']:.0f} s; {plural(c['graphs'], 'graph')}, {plural(c['graph_breaks'], 'break')}, "
                 f"{plural(c['cudagraph_skips'], 'CUDA-graph skip')})")
    peak = f"{row['peak_gib']:6.2f} GiB peak" if row["peak_gib"] is not None else "   n/a peak (CPU)"
    ratio = f"x{memory:.2f} memory" if memory is not None else "memory n/a (CPU)"
    print(f"  {label:58s} {row['it_per_s']:7.2f} it/s  {peak}   x{speed:.2f} it/s  {ratio}{extra}", flush=True)
    if full and row["allocated_before_gib"] > 0.05:
        print(f"    note: {row['allocated_before_gib']:.2f} GiB was still allocated before this variant was built (counted in its peak)", flush=True)
    return {"batch": batch, "variant": label, **row, "speed_ratio": speed, "memory_ratio": memory}


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (a bad value is a usage error before any model is built)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def batch_sizes(text: str) -> list[int]:
    """argparse type for --batch-sizes: a comma list of integers 1-64 (training.batchSize's range), e.g. 1,4."""
    try:
        sizes = [positive_int(item.strip()) for item in text.split(",")]
    except argparse.ArgumentTypeError:
        sizes = []
    if not sizes or max(sizes) > 64:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of integers 1-64 (e.g. 1,4), got {text!r}")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=positive_int, default=20, help="timed steps per variant, after the warm-up (default 20)")
    parser.add_argument("--batch-sizes", type=batch_sizes, default=[1, 4], help="comma-separated, each 1-64 (default 1,4)")
    parser.add_argument("--json", help="also write the results to this file (rewritten after every variant)")
    parser.add_argument("--compile", action="store_true", help="also measure the step with training.compile (torch.compile; CUDA graphs on a GPU)")
    parser.add_argument("--variants", help=f"comma-separated subset, measured in this order after the baseline: {', '.join(VARIANTS)}")
    parser.add_argument("--profile", action="store_true", help="GPU only: profile toonlora's step (no grad ckpt) at each batch size")
    args = parser.parse_args(argv)
    try:
        args.variants = chosen_variants(args.variants, args.compile)
    except SystemExit as error:
        parser.error(str(error))
    return args


def main() -> None:
    args = parse_args()
    variants = args.variants
    from diffusers.utils import logging as diffusers_logging

    diffusers_logging.set_verbosity_error()  # each variant's .to(fp16) warns about keeping modules in fp32 (there are none)
    device = M.select_device()
    full = device.type == "cuda"
    resolution = 512 if full else 64
    precision = T.choose_precision("fp16", device)
    if full:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.benchmark = True  # as the trainer does; the baseline gets it too
        print(f"GPU: {torch.cuda.get_device_name()} — SD1.5-architecture UNet/VAE/CLIP, random weights, {resolution} px, fp16 autocast, LoRA r=32")
    else:
        print(f"CPU: no GPU visible, so this runs the TINY config at {resolution} px; the figures only show that the bench works")
    print(f"torch {torch.__version__}; variants: {', '.join(variants)}", flush=True)
    report = {"device": torch.cuda.get_device_name() if full else "cpu", "resolution": resolution, "torch": torch.__version__, "results": []}
    for batch in args.batch_sizes:
        images = torch.rand((max(8, batch), 3, resolution, resolution)) * 2 - 1
        print(f"\nbatch {batch}", flush=True)
        base_row = None
        for name in variants:
            compiled = name.endswith("-compiled")
            if compiled:
                reset_compile_state()
                watch = CompileWatch.start()
            row = measure(make_variant(name, full, precision, batch, resolution, images), device, args.steps, warmup=5 if compiled else 3)
            if compiled:
                counts = watch.since()  # graphs / breaks / CUDA-graph skips: a skip leaves the step launch-bound
                row["compile"] = {"graphs": counts.graphs, "graph_breaks": counts.breaks, "cudagraph_skips": counts.cudagraph_skips, "break_reasons": list(counts.reasons)}
                reset_compile_state()  # frees its CUDA-graph memory pool before the next variant is measured
            base_row = base_row or row
            report["results"].append(report_row(name, row, base_row, full, batch))
            if args.json:
                with open(args.json, "w", encoding="utf-8") as handle:
                    json.dump(report, handle, indent=2)
        if args.profile and full:
            profile_gpu_busy(lambda: toonlora_steps(full, precision, batch, resolution, False, images))
    print("\ngoal: >= 1.5x it/s and <= 0.7x peak memory vs the baseline")


if __name__ == "__main__":
    main()
