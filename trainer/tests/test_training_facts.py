"""trainer/tests/test_training_facts.py — a training run's `done` carries what it trained (TrainingFacts): the folders,
repeats, triggers and captions of the images that decoded, as the dataset scan read them (the TypeScript side writes
the kohya metadata from them and reads no dataset file itself), and the precision the steps really ran in."""

from __future__ import annotations

import torch

from helpers import pattern_image

from toonlora_trainer.data import scan_kohya_dataset
from toonlora_trainer.precision import choose_precision, precision_name
from toonlora_trainer.protocol import Done, TrainedFolder, TrainingFacts, event_to_json, parse_event_line
from toonlora_trainer.run_outputs import training_facts


def _dataset(root):
    girl, boy = root / "5_sks girl", root / "2_zzk boy"
    for folder in (girl, boy, root / "0_off x"):
        folder.mkdir()
    for name in ("a", "b", "c", "d"):
        pattern_image(32).save(girl / f"{name}.png")
    (girl / "a.caption").write_text("sks, from caption")
    (girl / "b.txt").write_bytes("\ufeffsks, red eyes\r\n".encode("utf-8"))
    (girl / "c.txt").write_bytes(b"\xff\xfe" + "sks, ros\u00e9".encode("utf-16-le"))
    (girl / "d.txt").write_text("  \n")
    (girl / "e.png").write_bytes(b"not an image")  # left out: never in the facts
    (girl / "e.txt").write_text("sks, never trained")
    pattern_image(32).save(boy / "f.png")
    pattern_image(32).save(root / "0_off x" / "g.png")
    return scan_kohya_dataset(str(root))


def test_the_facts_are_the_folders_and_captions_the_scan_trained(tmp_path):
    facts = training_facts(_dataset(tmp_path), choose_precision("fp16", torch.device("cpu")))
    assert facts == TrainingFacts(
        folders=[TrainedFolder("2_zzk boy", 2, "zzk", ["zzk boy"]),
                 TrainedFolder("5_sks girl", 5, "sks", ["sks, from caption", "sks, red eyes", "sks, ros\u00e9", "sks girl"])],
        triggers=["zzk", "sks"], images=5, images_with_repeats=2 + 4 * 5, mixed_precision="no",
    )


def test_the_facts_travel_in_the_done_line_and_parse_back(tmp_path):
    facts = training_facts(_dataset(tmp_path), choose_precision("no", torch.device("cpu")))
    done = Done(artifacts={"adapter": "/r/a.safetensors"}, stats={"steps": 3}, facts=facts)
    assert parse_event_line(event_to_json(done)) == Done(artifacts={"adapter": "/r/a.safetensors"}, stats={"steps": 3}, facts=facts)
    assert '"facts"' not in event_to_json(Done(artifacts={}, stats={}))  # other commands' done carry none


def test_the_precision_recorded_is_the_one_that_ran():
    assert precision_name(choose_precision("fp16", torch.device("cpu"))) == "no"  # a CPU run trains in float32
    assert precision_name(choose_precision("bf16", torch.device("cpu"))) == "no"
    assert precision_name(choose_precision("fp16", torch.device("cuda"))) == "fp16"
    assert precision_name(choose_precision("bf16", torch.device("cuda"))) == "bf16"
    assert precision_name(choose_precision("no", torch.device("cuda"))) == "no"
