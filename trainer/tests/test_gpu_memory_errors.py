"""Running out of GPU memory: the run stops with an out_of_memory error that says where (a step or the sample
images), keeps torch's figures and the last good checkpoint, and names the fixes; before the weights go to a GPU
the trainer logs the estimated peak against the free memory and warns when it does not fit."""

import pytest
import torch
from helpers import make_pattern_dataset, training_config
from test_training import train

from toonlora_trainer import train as train_module
from toonlora_trainer.__main__ import _error_kind
from toonlora_trainer.memory_estimate import GpuOutOfMemoryError, MemoryEstimate, check_gpu_memory, memory_check_lines
from toonlora_trainer.precision import Precision

TORCH_OOM = ("CUDA out of memory. Tried to allocate 1.50 GiB. GPU 0 has a total capacity of 7.79 GiB of which 0.98 GiB is free. "
             "Including non-PyTorch memory, this process has 6.80 GiB memory in use. If reserved but unallocated memory is large "
             "try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.")
GIB = 2**30


def test_out_of_memory_in_a_step_names_the_step_the_checkpoint_and_the_fixes(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    real_step = train_module._optimizer_step
    calls = []

    def step(*args):
        calls.append(1)
        if len(calls) == 3:
            raise torch.OutOfMemoryError(TORCH_OOM)
        return real_step(*args)

    monkeypatch.setattr(train_module, "_optimizer_step", step)
    with pytest.raises(GpuOutOfMemoryError) as caught:
        train(dataset, tmp_path / "run", training_config(steps=4, checkpointEverySteps=2))
    message = str(caught.value)
    assert message.startswith("the GPU ran out of memory in training step 3: CUDA out of memory. Tried to allocate 1.50 GiB. "
                              "GPU 0 has a total capacity of 7.79 GiB of which 0.98 GiB is free. The run stopped; last good checkpoint: ")
    assert "checkpoints/step-000002" in message and "expandable_segments" not in message
    assert "Lower batchSize or resolution" in message and "fewer sampleSeeds" in message
    assert _error_kind(caught.value) == "out_of_memory"


def test_out_of_memory_while_rendering_samples_says_so(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)

    def samples(*args, **kwargs):
        raise torch.OutOfMemoryError(TORCH_OOM)

    monkeypatch.setattr(train_module, "_emit_samples", samples)
    with pytest.raises(GpuOutOfMemoryError, match=r"^the GPU ran out of memory rendering the sample images after step 2: .* last good checkpoint: none\."):
        train(dataset, tmp_path / "run", training_config(steps=4, sampleEverySteps=2))


def test_torch_own_out_of_memory_error_is_that_kind_too():
    assert _error_kind(torch.OutOfMemoryError(TORCH_OOM)) == "out_of_memory"
    assert _error_kind(RuntimeError("something else")) == "internal"


def test_memory_check_logs_the_estimate_and_warns_only_when_it_does_not_fit():
    estimate = MemoryEstimate(step_peak_bytes=int(1.96 * GIB), sample_peak_bytes=int(2.97 * GIB), resident_bytes=int(1.85 * GIB))
    fits = memory_check_lines(estimate, free_bytes=int(7.5 * GIB), total_bytes=8 * GIB, device_name="NVIDIA GeForce RTX 3070")
    assert [line.level for line in fits] == ["info"]
    assert fits[0].message == ("estimated peak GPU memory 2.97 GiB (steps 1.96 GiB, samples 2.97 GiB); "
                               "NVIDIA GeForce RTX 3070: 7.50 GiB free of 8.00 GiB")
    tight = memory_check_lines(estimate, free_bytes=int(3.2 * GIB), total_bytes=4 * GIB, device_name="GPU")
    assert [line.level for line in tight] == ["info", "warn"]
    assert "needs about 3.47 GiB with the CUDA context and 3.20 GiB is free" in tight[1].message
    no_samples = memory_check_lines(MemoryEstimate(int(1.96 * GIB), 0, int(1.85 * GIB)), int(7.5 * GIB), 8 * GIB, "GPU")
    assert "(steps 1.96 GiB);" in no_samples[0].message


def test_gpu_check_estimates_the_loaded_base_and_leaves_the_rng_alone(monkeypatch):
    from toonlora_trainer.config import parse_training_config
    from toonlora_trainer.models import build_tiny_base_model

    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (GIB, 2 * GIB))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Test GPU")
    base, events = build_tiny_base_model(), []
    precision = Precision(torch.device("cuda"), torch.float16, True)
    rng = torch.get_rng_state()
    check_gpu_memory(parse_training_config(training_config(sampleEverySteps=10)), base, precision, events.append)
    assert torch.equal(torch.get_rng_state(), rng)
    assert [e.level for e in events] == ["info"]
    assert events[0].message.startswith("estimated peak GPU memory 0.0") and events[0].message.endswith("Test GPU: 1.00 GiB free of 2.00 GiB")
    assert ", samples " in events[0].message
