"""The constants the worker shares with the TypeScript side come from config_schema.json (the export of src/), not
from copies: the prep layout data.py scans (image extensions, the staging folder) and how training renders its
sample images (sampling steps, guidance scale)."""

import json
from pathlib import Path
from types import SimpleNamespace

import torch
from helpers import training_config

from toonlora_trainer import config, config_schema, data, training_samples
from toonlora_trainer.config import parse_training_config
from toonlora_trainer.precision import choose_precision

class _Part(torch.nn.Linear):
    """A model part that says where it sits, as diffusers' models do."""

    device = torch.device("cpu")


EXPORT = json.loads(Path(config_schema.__file__).with_name("config_schema.json").read_text(encoding="utf-8"))


def test_the_dataset_scan_reads_prep_extensions_and_staging_folder_from_the_export():
    prep = EXPORT["prep"]
    assert data.PREP_STAGING_DIR == prep["stagingDir"] == ".toonlora-prep-staging"
    # every extension prep walks is either trained or named as unreadable, in prep's order
    assert data._DATASET_SUFFIXES == tuple(prep["imageExtensions"])
    assert sorted(data.IMAGE_SUFFIXES + data.UNREADABLE_SUFFIXES) == sorted(prep["imageExtensions"])
    assert {".png", ".jpg", ".bmp", ".heic"} <= set(prep["imageExtensions"])


def test_sample_images_render_with_the_exported_steps_and_guidance(tmp_path, monkeypatch):
    exported = EXPORT["defaults"]["trainingSamples"]
    assert (config.SAMPLE_STEPS, config.SAMPLE_GUIDANCE_SCALE) == (exported["steps"], exported["guidanceScale"])
    calls = []

    def render(pipe, prompt, negative, seeds, **kwargs):
        calls.append(kwargs)
        return seeds

    class Image:
        def save(self, path):
            Path(path).write_bytes(b"png")

    monkeypatch.setattr(training_samples, "assemble_pipeline", lambda base: "pipe")
    monkeypatch.setattr(training_samples, "render_latents", render)
    monkeypatch.setattr(training_samples, "decode_latents", lambda pipe, latents: [Image() for _ in latents])
    unet = torch.nn.Linear(1, 1)
    base = SimpleNamespace(vae=_Part(1, 1), text_encoder=_Part(1, 1))
    events = []
    training_samples.emit_samples(unet, None, base, SimpleNamespace(sample_prompts=("sks girl",)),
                                  config=parse_training_config(training_config()),
                                  precision=choose_precision("no", torch.device("cpu")), step=5, run_dir=str(tmp_path),
                                  emit=events.append)
    assert [(c["steps"], c["guidance"]) for c in calls] == [(exported["steps"], exported["guidanceScale"])]
    assert len(events[0].paths) == 2  # one per default sample seed
