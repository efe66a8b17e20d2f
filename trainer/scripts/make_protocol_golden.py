"""trainer/scripts/make_protocol_golden.py — writes trainer/tests/golden/protocol.jsonl.

Each golden line is {"channel": "event"|"request", "command": ..., "valid": bool, "note": ..., "line": "<raw line>"}.
Valid lines are produced by the Python protocol/config code itself; invalid ones are the mistakes both
sides must reject. trainer/tests/test_protocol.py and src/worker/protocol.test.ts parse every line and
must agree on `valid`. A `done` event with a `command` is that command's `done`, written by the code that writes it
in a run (on the tiny model's configs and a small dataset where that is cheap, else from sample figures), which the
TypeScript side parses with that command's schema (src/worker/protocol-done.ts doneSchemaByCommand); test_protocol.py checks this file
is what the script writes now, so a renamed key cannot slip past either side.
Run: trainer/.venv/bin/python trainer/scripts/make_protocol_golden.py
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from helpers import make_pattern_dataset, training_config  # noqa: E402

from toonlora_trainer.blip import captions_done  # noqa: E402
from toonlora_trainer.config import parse_lora_count_request, parse_scan_dataset_request  # noqa: E402
from toonlora_trainer.config_schema import DEFAULT_GENERATION_CONFIG  # noqa: E402
from toonlora_trainer.dataset_plan import scan_dataset_result  # noqa: E402
from toonlora_trainer.error_fix import choose_base, pull_model  # noqa: E402
from toonlora_trainer.generate import GenerationResult  # noqa: E402
from toonlora_trainer.lora_adapters import lora_count_stats  # noqa: E402
from toonlora_trainer.memory_estimate import MemoryEstimate  # noqa: E402
from toonlora_trainer.protocol import (  # noqa: E402
    Cancelled, Caption, Checkpoint, Done, Error, Log, Progress, Ready, Sample, TrainedFolder, TrainingFacts, event_to_json,
)
from toonlora_trainer.run_outputs import TrainedRun  # noqa: E402

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "protocol.jsonl"

GENERATION_CONFIG = {
    **DEFAULT_GENERATION_CONFIG, "baseModel": "tiny", "prompt": "sks, striped pattern", "negativePrompt": "lowres", "steps": 4,
    "width": 64, "height": 64, "seeds": [1, 2],
}


def valid_events() -> list[tuple[str, str]]:
    return [
        ("progress", event_to_json(Progress(10, 100, 0.1234, 1e-4, 2.5, 36.0))),
        ("progress with id", event_to_json(Progress(3, 20, float("nan"), float("nan"), 4.0, 4.25, id="g1"))),
        ("sample", event_to_json(Sample(250, ["/run/samples/step-000250-0.png"]))),
        ("checkpoint", event_to_json(Checkpoint(250, "/run/checkpoints/step-000250"))),
        ("log", event_to_json(Log("warn", "img3.txt: unreadable caption"))),
        ("log with a request id", event_to_json(Log("warn", "the prompt is 90 tokens long; CLIP reads only the first 75", id="g1"))),
        ("caption", event_to_json(Caption("/d/a.png", "a manga girl with black hair"))),
        ("caption with error", event_to_json(Caption("/d/b.png", None, "/d/b.png: cannot read image"))),
        ("ready", event_to_json(Ready(3.2, "cuda"))),
        ("cancelled", event_to_json(Cancelled(42, "/run/checkpoints/step-000042"))),
        ("cancelled generation with id", event_to_json(Cancelled(7, None, id="g2"))),
        ("done", event_to_json(Done({"adapter": "/run/adapter_model.safetensors"}, {"steps": 100.0}))),
        ("done of a training run, with the images it trained",
         event_to_json(Done({"adapter": "/run/adapter_model.safetensors", "checkpoint": "/run/checkpoints/step-000100",
                             "trained_images": ["/d/10_sks girl/a.png", "/d/10_sks girl/c.png"]}, {"steps": 100.0, "images": 2.0}))),
        ("done with id", event_to_json(Done({"images": ["/o/seed-1.png"], "grid": None}, {"swap_s": 0.2}, id="r1"))),
        ("error", event_to_json(Error("loss became nan at step 7", "nan_loss"))),
        ("error input missing", event_to_json(Error("/d: not a folder. Give the dataset folder that `toonlora prep` wrote.", "input_missing"))),
        ("error input invalid", event_to_json(Error("/d: no readable images, 1 could not be decoded: /d/10_sks/a.png: cannot read image",
                                                    "input_invalid"))),
        ("error lora format", event_to_json(Error("/l.safetensors: not a LoRA file diffusers can load", "lora_format", id="r2"))),
        ("error out of memory", event_to_json(Error("the GPU ran out of memory in training step 3: CUDA out of memory.", "out_of_memory"))),
        ("error output write", event_to_json(Error("/r/checkpoints: could not write checkpoint step-000020: no space left on the disk (ENOSPC, 0.1 MB free); "
                                                    "the partial file was removed. Free some space on it, then run again with --resume "
                                                    "to continue from /r/checkpoints/step-000010.", "output_write"))),
        ("non-finite loss as null", event_to_json(Progress(1, 2, float("nan"), 1e-4, 1.0, 1.0))),
        ("error with the model to pull as its fix",
         event_to_json(Error("anything-v5: base model not found on this machine. Run: toonlora models pull anything-v5",
                             "model_missing", fix=pull_model("anything-v5")))),
        ("error with another base as its fix, worded by the driver",
         event_to_json(Error("/b.safetensors: base checkpoint file not found.", "input_missing", fix=choose_base("file")))),
        ("error of a request with a fix", event_to_json(Error("/l.safetensors: this LoRA was made for a different base model: "
                                                              "unet.x expects [4], the base has [8].", "lora_format", id="r3",
                                                              fix=choose_base("lora")))),
    ]


LORA = {"rank": 4, "alpha": 4, "targetModules": ["to_q", "to_k", "to_v", "to_out.0"], "dora": False, "algorithm": "lora",
        "lokrFactor": -1}


def _scan_dataset_done() -> Done:
    """A real dry-run scan of a small dataset (3 images, 5 repeats), its temporary folder written as /d."""
    with tempfile.TemporaryDirectory() as tmp:
        make_pattern_dataset(Path(tmp))
        request = parse_scan_dataset_request({"version": 1, "command": "scan-dataset", "dataset_dir": tmp,
                                              "config": training_config(epochs=2, steps=None)})
        artifacts, stats = scan_dataset_result(request)
    artifacts["trained_images"] = ["/d" + path.removeprefix(tmp) for path in artifacts["trained_images"]]
    return Done(artifacts=artifacts, stats=stats)


def done_events() -> list[tuple[str, str, str]]:
    """(command, note, line): each command's `done`, as the worker writes it."""
    lora_count = parse_lora_count_request({"version": 1, "command": "lora-count", "unet": "tiny", "lora": LORA})
    mib = 2**20
    run = TrainedRun(adapter="/r/adapter_model.safetensors", adapter_config="/r/adapter_config.json",
                     checkpoint="/r/checkpoints/step-000008", trained_images=["/d/5_sks pattern/img0.png", "/d/5_sks pattern/img1.png"],
                     facts=TrainingFacts([TrainedFolder("5_sks pattern", 5, "sks", ["sks, striped pattern", "sks pattern"])], ["sks"],
                                         images=2, images_with_repeats=10, mixed_precision="no", prediction_type="epsilon",
                                         optimizer="torch.optim.adamw.AdamW", max_grad_norm=1.0, max_token_length=75,
                                         bucket_info={"buckets": [{"resolution": [512, 512], "count": 10}], "mean_img_ar_error": 0.0}),
                     steps=8, epochs=1, lora_modules=32, trainable_params=9984, seconds=12.5)
    with_text_encoder = dataclasses.replace(run, text_encoder_adapter="/r/text_encoder/adapter_model.safetensors",
                                            facts=dataclasses.replace(run.facts, mixed_precision="fp16", prediction_type="v_prediction",
                                                                      bucket_info=None),
                                            text_encoder_lora_modules=16, text_encoder_trainable_params=4096, seconds=float("nan"))
    images = GenerationResult(["/o/seed-1.png", "/o/seed-2.png"], "/o/grid.png", swap_s=0.2, generate_s=1.5)
    return [
        ("lora-count", "lora-count done (tiny configs)", event_to_json(Done(artifacts={}, stats=lora_count_stats("tiny", lora_count.lora)))),
        ("estimate-memory", "estimate-memory done",
         event_to_json(Done(artifacts={}, stats=MemoryEstimate(2304 * mib, 3072 * mib, 1536 * mib).as_stats()))),
        ("scan-dataset", "scan-dataset done (a real scan)", event_to_json(_scan_dataset_done())),
        ("train", "train done", event_to_json(run.done())),
        ("train", "train done with the text encoder, seconds not finite", event_to_json(with_text_encoder.done())),
        ("generate", "generate done", event_to_json(images.done(load_s=3.2))),
        ("serve-generation", "serve-generation done of request g1",
         event_to_json(GenerationResult(["/o/seed-1.png"], None, swap_s=0.1, generate_s=0.9).done(request_id="g1"))),
        ("blip-caption", "blip-caption done", event_to_json(captions_done(2, 1))),
    ]


def invalid_events() -> list[tuple[str, str]]:
    return [
        ("not JSON", "Loading pipeline components...: 100%"),
        ("array", "[1,2]"),
        ("wrong version", '{"version":2,"type":"log","level":"info","message":"x"}'),
        ("unknown type", '{"version":1,"type":"telemetry","value":1}'),
        ("missing field", '{"version":1,"type":"progress","step":1,"total":2}'),
        ("extra field", '{"version":1,"type":"checkpoint","step":1,"path":"/x","size":3}'),
        ("bad error kind", '{"version":1,"type":"error","message":"x","kind":"oops"}'),
        ("error kind from before input was split", '{"version":1,"type":"error","message":"x","kind":"input"}'),
        ("bad log level", '{"version":1,"type":"log","level":"trace","message":"x"}'),
        ("error fix of an unknown kind", '{"version":1,"type":"error","message":"x","kind":"model_missing","fix":{"kind":"reinstall"}}'),
        ("error fix without its field", '{"version":1,"type":"error","message":"x","kind":"model_missing","fix":{"kind":"pull-model"}}'),
        ("error fix of an unknown reason", '{"version":1,"type":"error","message":"x","kind":"input_missing","fix":{"kind":"choose-base","why":"x"}}'),
    ]


def requests() -> list[tuple[str, str, bool, dict | str]]:
    train = {"version": 1, "command": "train", "dataset_dir": "/d", "run_dir": "/r", "resume": False, "config": training_config(),
             "sd15_config_dir": None}
    bad_rank = json.loads(json.dumps(train))
    bad_rank["config"]["lora"]["rank"] = 0
    missing = json.loads(json.dumps(train))
    del missing["config"]["snrGamma"]
    lokr = json.loads(json.dumps(train))
    lokr["config"]["lora"] |= {"algorithm": "lokr", "lokrFactor": 8}
    lokr_dora = json.loads(json.dumps(lokr))
    lokr_dora["config"]["lora"]["dora"] = True
    generate = {"version": 1, "command": "generate", "id": None, "lora": "/r/sks.safetensors", "output_dir": "/o", "config": GENERATION_CONFIG,
                "sd15_config_dir": "/home/u/.cache/toonlora/models/anything-v5"}
    return [
        ("train", "train request", True, train),
        ("train", "rank 0", False, bad_rank),
        ("train", "missing snrGamma", False, missing),
        ("train", "lokr train request", True, lokr),
        ("train", "lokr with dora", False, lokr_dora),
        ("train", "sampleEverySteps past 10M", False, {**train, "config": training_config(sampleEverySteps=10_000_001)}),
        ("train", "17 sample seeds", False, {**train, "config": training_config(sampleSeeds=list(range(17)))}),
        ("train", "warmup as long as the run", False, {**train, "config": training_config(steps=10, lrWarmupSteps=10)}),
        ("generate", "generate request", True, generate),
        ("serve-generation", "serve request", True, {"version": 1, "command": "serve-generation", "base_model": "tiny",
                                                                   "sd15_config_dir": None}),
        ("generate", "sd15_config_dir not a string", False, {**generate, "sd15_config_dir": 5}),
        ("cancel", "cancel a generate request", True, {"version": 1, "command": "cancel", "id": "g2"}),
        ("cancel", "cancel without id", False, {"version": 1, "command": "cancel"}),
        ("unload_lora", "unload a deleted LoRA's file", True, {"version": 1, "command": "unload_lora", "lora": "/r/sks.safetensors"}),
        ("unload_lora", "unload_lora without lora", False, {"version": 1, "command": "unload_lora"}),
        ("blip-caption", "blip request", True, {"version": 1, "command": "blip-caption", "model": "Salesforce/blip-image-captioning-base",
                                                 "paths": ["/d/a.png"], "max_length": 50, "num_beams": 3, "batch_size": 8}),
        ("lora-count", "lora count", True, {"version": 1, "command": "lora-count", "unet": "sd15",
                                            "lora": {"rank": 32, "alpha": 32, "targetModules": ["to_q", "to_k", "to_v", "to_out.0"], "dora": False,
                                                     "algorithm": "lora", "lokrFactor": -1}}),
        ("estimate-memory", "memory estimate", True, {"version": 1, "command": "estimate-memory", "unet": "sd15", "config": training_config()}),
        ("estimate-memory", "memory estimate, unknown unet", False, {"version": 1, "command": "estimate-memory", "unet": "sdxl", "config": training_config()}),
        ("scan-dataset", "dataset scan for a dry run", True, {"version": 1, "command": "scan-dataset", "dataset_dir": "/d",
                                                               "config": training_config()}),
        ("scan-dataset", "dataset scan without the dataset", False, {"version": 1, "command": "scan-dataset", "config": training_config()}),
        ("train", "wrong version", False, {**train, "version": 0}),
    ]


def golden_text() -> str:
    """The golden file's content."""
    lines = [json.dumps({"generated_by": "trainer/scripts/make_protocol_golden.py", "note": "do not edit; run the script"})]
    for note, line in valid_events():
        lines.append(json.dumps({"channel": "event", "command": None, "valid": True, "note": note, "line": line}))
    for command, note, line in done_events():
        lines.append(json.dumps({"channel": "event", "command": command, "valid": True, "note": note, "line": line}))
    for note, line in invalid_events():
        lines.append(json.dumps({"channel": "event", "command": None, "valid": False, "note": note, "line": line}))
    for command, note, valid, request in requests():
        lines.append(json.dumps({"channel": "request", "command": command, "valid": valid, "note": note,
                                 "line": json.dumps(request, separators=(",", ":"))}))
    return "\n".join(lines) + "\n"


def main() -> None:
    text = golden_text()
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10)) - 1} golden lines to {GOLDEN}")


if __name__ == "__main__":
    main()
