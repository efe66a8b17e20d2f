"""Signs of life after the last sampling step: the driver kills a generation worker that sends nothing for
--worker-timeout seconds (src/worker/silence-watchdog.ts), and the VAE decode and the PNGs come after the last
`progress`. So the worker sends a debug `log` (shown to nobody, tagged with the request's id) as each image is
decoded, then as each PNG is saved: a CPU decode of many seeds at 1024 px restarts the watchdog per image."""

import torch
from helpers import run_worker
from generation_helpers import GEN_CONFIG

import toonlora_trainer.generate as generate_module
from toonlora_trainer.config import parse_generation_config
from toonlora_trainer.generate import GenerationSession
from toonlora_trainer.protocol import Log, Progress


def test_each_decoded_image_is_reported_as_it_is_decoded_not_after_the_batch(tmp_path, monkeypatch):
    session = GenerationSession("tiny", torch.device("cpu"))
    events = []
    decodes_seen = []  # the events sent before each vae_decode call
    real_decode = generate_module.vae_decode

    def counting_decode(vae, latents):
        decodes_seen.append(len(events))
        return real_decode(vae, latents)

    monkeypatch.setattr(generate_module, "vae_decode", counting_decode)
    config = parse_generation_config({**GEN_CONFIG, "seeds": [5, 6, 7], "steps": 2})
    result = session.generate(None, config, str(tmp_path / "out"), events.append, request_id="r9")

    assert len(result.images) == 3 and result.grid
    steps = [e for e in events if isinstance(e, Progress)]
    logs = [e for e in events if isinstance(e, Log)]
    assert [(e.level, e.message, e.id) for e in logs] == [
        ("debug", "decoded image 1/3 (seed 5)", "r9"), ("debug", "decoded image 2/3 (seed 6)", "r9"),
        ("debug", "decoded image 3/3 (seed 7)", "r9"),
        ("debug", "saved seed-5.png", "r9"), ("debug", "saved seed-6.png", "r9"), ("debug", "saved seed-7.png", "r9"),
    ]
    assert events.index(steps[-1]) < events.index(logs[0])  # after the last sampling step
    # one decode per seed, each after the previous image's line: the watchdog restarts between them
    assert decodes_seen == [len(steps), len(steps) + 1, len(steps) + 2]


def test_the_one_shot_worker_sends_the_decode_lines_between_its_last_step_and_done(tmp_path):
    request = {"version": 1, "command": "generate", "id": None, "lora": None, "output_dir": str(tmp_path / "out"),
               "config": {**GEN_CONFIG, "steps": 2, "seeds": [7, 8]}}
    code, events, stderr = run_worker("generate", request)
    assert code == 0, stderr
    kinds = [(e["type"], e.get("level"), e.get("message")) for e in events if e["type"] != "log" or e["level"] == "debug"]
    assert kinds == [
        ("progress", None, None), ("progress", None, None),
        ("log", "debug", "decoded image 1/2 (seed 7)"), ("log", "debug", "decoded image 2/2 (seed 8)"),
        ("log", "debug", "saved seed-7.png"), ("log", "debug", "saved seed-8.png"),
        ("done", None, None),
    ]
    assert all("id" not in e for e in events if e["type"] == "log")  # no request id in a one-shot run
