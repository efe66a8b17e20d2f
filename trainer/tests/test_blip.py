"""BLIP captions through the worker, with a tiny random-weight BLIP built from config and saved to a
folder (so the real from_pretrained loading path runs), a BertTokenizer from a small vocab, and one
unreadable file that must not stop the others."""

from pathlib import Path

import torch
from helpers import pattern_image, run_worker

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "a", "manga", "girl", "with", "black", "hair", "red", "eyes", "stripes"]


def save_tiny_blip(folder: Path) -> None:
    from transformers import (
        BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor, BlipProcessor,
    )

    folder.mkdir(parents=True)
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), bos_token="[DEC]")
    processor = BlipProcessor(BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer)
    config = BlipConfig(
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        text_config={"vocab_size": len(VOCAB), "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "encoder_hidden_size": 16, "bos_token_id": 5, "pad_token_id": 0,
                     "sep_token_id": 3, "eos_token_id": 3},
    )
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).save_pretrained(folder)
    processor.save_pretrained(folder)


def test_blip_captions_every_readable_image_in_order(tmp_path):
    save_tiny_blip(tmp_path / "blip")
    paths = []
    for i in range(3):
        pattern_image(phase=i).save(tmp_path / f"{i}.png")
        paths.append(str(tmp_path / f"{i}.png"))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    paths.insert(1, str(tmp_path / "broken.png"))
    code, events, stderr = run_worker("blip-caption", {"version": 1, "command": "blip-caption", "model": str(tmp_path / "blip"),
                                                        "paths": paths, "max_length": 12, "num_beams": 3, "batch_size": 2})
    assert code == 0, stderr
    captions = {e["path"]: e for e in events if e["type"] == "caption"}
    assert set(captions) == set(paths)
    assert captions[paths[1]]["caption"] is None and "cannot read image" in captions[paths[1]]["error"]
    for path in paths[:1] + paths[2:]:
        text = captions[path]["caption"]
        assert isinstance(text, str) and all(word in VOCAB for word in text.split())
    assert events[-1]["type"] == "done" and events[-1]["stats"] == {"captioned": 3, "failed": 1}
    progress = [e for e in events if e["type"] == "progress"]  # one per batch of 2: images handled so far
    assert [(e["step"], e["total"]) for e in progress] == [(2, 4), (4, 4)]
    assert all(e["loss"] is None and e["lr"] is None for e in progress)


def test_missing_blip_model_says_how_to_pull_it(tmp_path):
    pattern_image().save(tmp_path / "a.png")
    code, events, _ = run_worker("blip-caption", {"version": 1, "command": "blip-caption", "model": "Salesforce/blip-image-captioning-base",
                                                   "paths": [str(tmp_path / "a.png")], "max_length": 50, "num_beams": 3, "batch_size": 8})
    assert code == 1 and events[-1]["kind"] == "model_missing"
    assert "toonlora models pull blip-base" in events[-1]["message"]
