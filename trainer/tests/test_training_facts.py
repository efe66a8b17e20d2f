"""trainer/tests/test_training_facts.py — a training run's `done` carries what it trained (TrainingFacts): the folders,
repeats, triggers and captions of the images that decoded, as the dataset scan read them (the TypeScript side writes
the kohya metadata from them and reads no dataset file itself), the precision the steps really ran in, what the UNet
learnt to predict (before, the kohya file said epsilon for a v-prediction run), and the buckets trained (ss_bucket_info)."""

from __future__ import annotations

import torch

from helpers import pattern_image
from PIL import Image

from toonlora_trainer.buckets import assign_buckets

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
    facts = training_facts(_dataset(tmp_path), choose_precision("fp16", torch.device("cpu")), prediction_type="epsilon",
                           max_token_length=75)
    assert facts == TrainingFacts(
        folders=[TrainedFolder("2_zzk boy", 2, "zzk", ["zzk boy"]),
                 TrainedFolder("5_sks girl", 5, "sks", ["sks, from caption", "sks, red eyes", "sks, ros\u00e9", "sks girl"])],
        triggers=["zzk", "sks"], images=5, images_with_repeats=2 + 4 * 5, mixed_precision="no", prediction_type="epsilon",
        optimizer="torch.optim.adamw.AdamW", max_grad_norm=1.0, max_token_length=75, bucket_info=None,
    )


def test_the_facts_travel_in_the_done_line_and_parse_back(tmp_path):
    facts = training_facts(assign_buckets(_dataset(tmp_path), 64), choose_precision("no", torch.device("cpu")),
                           prediction_type="v_prediction", max_token_length=75)
    done = Done(artifacts={"adapter": "/r/a.safetensors"}, stats={"steps": 3}, facts=facts)
    assert parse_event_line(event_to_json(done)) == Done(artifacts={"adapter": "/r/a.safetensors"}, stats={"steps": 3}, facts=facts)
    assert '"facts"' not in event_to_json(Done(artifacts={}, stats={}))  # other commands' done carry none


def test_the_precision_recorded_is_the_one_that_ran():
    assert precision_name(choose_precision("fp16", torch.device("cpu"))) == "no"  # a CPU run trains in float32
    assert precision_name(choose_precision("bf16", torch.device("cpu"))) == "no"
    assert precision_name(choose_precision("fp16", torch.device("cuda"))) == "fp16"
    assert precision_name(choose_precision("bf16", torch.device("cuda"))) == "bf16"
    assert precision_name(choose_precision("no", torch.device("cuda"))) == "no"


def test_the_buckets_trained_are_kohya_s_bucket_info(tmp_path):
    folder = tmp_path / "3_sks girl"
    folder.mkdir()
    Image.new("RGB", (400, 640)).save(folder / "tall.png")  # ratio 0.625: bucket 384x640 (0.6)
    Image.new("RGB", (512, 512)).save(folder / "square.png")
    Image.new("RGB", (480, 480)).save(folder / "square2.png")
    dataset = assign_buckets(scan_kohya_dataset(str(tmp_path)), 512)
    info = training_facts(dataset, choose_precision("no", torch.device("cpu")), prediction_type="epsilon",
                          max_token_length=75).bucket_info
    sizes = [tuple(bucket["resolution"]) for bucket in info["buckets"]]
    assert sizes == sorted(sizes)  # kohya's BucketManager.sort: by (width, height)
    counts = {tuple(bucket["resolution"]): bucket["count"] for bucket in info["buckets"]}
    assert counts[(512, 512)] == 2 * 3  # images counting their folder's repeats
    tall = next(item.bucket for item in dataset.items if item.image_path.endswith("tall.png"))
    assert counts[tall] == 3
    assert tall == (384, 640)
    assert info["mean_img_ar_error"] == abs(384 / 640 - 400 / 640) / 3
    unbucketed = training_facts(scan_kohya_dataset(str(tmp_path)), choose_precision("no", torch.device("cpu")),
                                prediction_type="epsilon", max_token_length=75)
    assert unbucketed.bucket_info is None


def test_the_prediction_type_and_token_limit_are_the_run_s():
    from toonlora_trainer.models import load_base_model
    from toonlora_trainer.prompt_encoding import prompt_token_limit

    base = load_base_model("tiny")
    assert base.prediction_type == "epsilon"
    assert prompt_token_limit(base.tokenizer) == 75
