"""Prefetched text embeddings: the trainer's steps ask for exactly the captions the window predicted (one refill
per window, not one per step), the embeddings equal encoding each caption, the encoder is moved onto the device
only for refills, and the store never holds more than a window."""

import dataclasses

import torch
from helpers import training_config

from toonlora_trainer import text_embeddings as TE
from toonlora_trainer import train as T
from toonlora_trainer.batch_order import repeated_indices
from toonlora_trainer.config import parse_training_config
from toonlora_trainer.dataset_items import Dataset, DatasetItem
from toonlora_trainer.models import build_tiny_base_model
from toonlora_trainer.precision import choose_precision
from toonlora_trainer.prompt_encoding import encode_prompts
from toonlora_trainer.step_batches import StepInputs, step_captions
from toonlora_trainer.trainable_models import prepare_text_encoder, prepare_unet

CAPTIONS = ("sks, 1girl, black hair, red eyes, smile", "sks, 1girl, school uniform, upper body, white background",
            "sks, 1girl, long hair, looking at viewer")


def tiny_run(monkeypatch, prefetch: int, **overrides):
    """The tiny base with a LoRA, 3 images, a config and the trainer's loop state, on the CPU."""
    monkeypatch.setattr(T, "PREFETCH_CAPTIONS", prefetch)
    base = build_tiny_base_model()
    config = parse_training_config(training_config(**overrides))
    precision = choose_precision("no", torch.device("cpu"))
    params = prepare_unet(base.unet, config, precision)
    prepare_text_encoder(base.text_encoder, config, precision)
    dataset = Dataset(tuple(DatasetItem(f"{i}.png", caption, "sks", 2) for i, caption in enumerate(CAPTIONS)), ())
    state = T._make_loop_state(config, [{"params": params, "lr": config.learning_rate}], precision)
    return base, config, precision, params, dataset, state


def test_steps_ask_for_the_predicted_captions_one_refill_per_window(monkeypatch):
    # batch 2 x accumulation 2: 4 captions a step; a window of 8 captions is 2 steps, so 5 steps refill 3 times
    base, config, precision, params, dataset, state = tiny_run(monkeypatch, 8, batchSize=2, gradientAccumulation=2, steps=5)
    repeated = repeated_indices(dataset)
    source = T.make_text_source(base, config, precision, dataset=dataset, repeated=repeated, state=state, place=None)
    asked: list[list[str]] = []
    get = source.get
    source.get = lambda captions: asked.append(captions) or get(captions)
    latents = [torch.randn(4, 8, 8) for _ in CAPTIONS]
    for step in range(5):
        T._optimizer_step(base.unet, StepInputs(base, dataset, repeated, latents, source, config, precision, params), state)
        assert [c for micro in asked[-2:] for c in micro] == step_captions(dataset, repeated, config, step)
        state.step += 1
    assert source.refills == 3
    assert len({c for micro in asked for c in micro}) > len(CAPTIONS)  # shuffled: the tags move between steps
    assert len(source.store) <= 8


def test_embeddings_equal_encoding_each_caption_and_the_encoder_moves_only_for_refills():
    base = build_tiny_base_model()
    moves: list[bool] = []
    window = list(CAPTIONS) * 20  # 3 distinct captions, more than one encode chunk of text
    source = TE.PrefetchedTextEmbeddings(base, 2, torch.device("cpu"), torch.float32, lambda: window, moves.append)
    assert moves == [False]  # parked at the start
    got = source.get([CAPTIONS[1], CAPTIONS[0]])
    assert moves == [False, True, False] and source.refills == 1
    expected = torch.cat([encode_prompts(base, [caption], 2, torch.device("cpu")) for caption in (CAPTIONS[1], CAPTIONS[0])])
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    source.get([CAPTIONS[2]])  # in the window: no refill, no move
    assert moves == [False, True, False] and source.refills == 1


def test_a_refill_drops_embeddings_outside_the_new_window():
    base = build_tiny_base_model()
    windows = iter([[CAPTIONS[0], CAPTIONS[1]], [CAPTIONS[2]]])
    source = TE.PrefetchedTextEmbeddings(base, 2, torch.device("cpu"), torch.float32, lambda: next(windows))
    source.get([CAPTIONS[0]])
    assert set(source.store) == {CAPTIONS[0], CAPTIONS[1]}
    source.get([CAPTIONS[1], CAPTIONS[2]])  # CAPTIONS[1] was in store, CAPTIONS[2] was not: refill
    assert set(source.store) == {CAPTIONS[1], CAPTIONS[2]} and source.refills == 2


def test_the_window_stops_at_the_last_step(monkeypatch):
    base, config, precision, _, dataset, state = tiny_run(monkeypatch, 128, steps=3, shuffleCaptions=False)
    repeated = repeated_indices(dataset)
    source = T.make_text_source(base, config, precision, dataset=dataset, repeated=repeated, state=state, place=None)
    state.step = 1
    assert source.upcoming() == step_captions(dataset, repeated, config, 1) + step_captions(dataset, repeated, config, 2)
    trained = T.make_text_source(base, dataclasses.replace(config, train_text_encoder=True), precision, dataset=dataset, repeated=repeated,
                                 state=state, place=None)
    assert isinstance(trained, TE.LiveTextEmbeddings)


def test_captions_longer_than_clip_reads_get_one_warning_naming_up_to_three_caption_files(tmp_path):
    from pathlib import Path

    tokenizer = build_tiny_base_model().tokenizer  # a token per character but spaces: 75 fill CLIP's window
    items = []
    for i, length in enumerate((10, 90, 100, 110, 120)):
        image = tmp_path / f"img{i}.png"
        (tmp_path / f"img{i}.{'caption' if i == 2 else 'txt'}").write_text("x", encoding="utf-8")
        items.append(DatasetItem(str(image), "sks, " + "a" * (length - 5), "sks", 1))
    assert TE.long_caption_warnings(tokenizer, tuple(items[:1]), True) == []
    assert TE.long_caption_warnings(tokenizer, tuple(items), True) == [
        "4 of 5 captions are longer than the 75 tokens CLIP reads (img1.txt 89 tokens, img2.caption 99 tokens, img3.txt 109 tokens"
        " and 1 more): the tags past it are ignored, with caption shuffling different ones each step. Shorten them (fewer tags) "
        "to train every tag."]
    (warning,) = TE.long_caption_warnings(tokenizer, tuple(items), False)
    assert "the rest of each is ignored" in warning
    assert Path(items[0].image_path).name == "img0.png"


def test_prompt_truncation_warnings_name_the_prompt_that_is_cut():
    from toonlora_trainer.prompt_encoding import prompt_token_counts, prompt_truncation_warnings

    tokenizer = build_tiny_base_model().tokenizer
    assert prompt_token_counts(tokenizer, ["sks girl", "b" * 80]) == [7, 80]  # spaces split words, they are no token
    assert prompt_truncation_warnings(tokenizer, {"prompt": "sks girl", "negative prompt": "b" * 80}) == [
        "the negative prompt is 80 tokens long; CLIP reads only the first 75, the rest is ignored. Shorten it (fewer tags)."]
    assert prompt_truncation_warnings(tokenizer, {"prompt": "a" * 75, "negative prompt": ""}) == []
