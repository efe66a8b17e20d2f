"""training.compile: the torch.compile'd UNet step trains the same LoRA as the eager one (CPU, tiny model,
mode "default"; the GPU's CUDA-graph mode is measured by bench/train_speed.py --compile), a failure to compile
falls back to eager on the same trajectory, and a machine
without a compiler gets a ConfigError naming the fix before any model loads."""

import pytest
import torch
from helpers import make_pattern_dataset, training_config
from test_training import tiny_with_adapter, train

from toonlora_trainer import compiled_step
from toonlora_trainer import train as train_module
from toonlora_trainer.compiled_step import CompileCounts, CompileWatch, compile_messages
from toonlora_trainer.config import parse_training_config
from toonlora_trainer.config_schema import ConfigError
from toonlora_trainer.precision import Precision


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def losses(events):
    return [e.loss for e in events if e.type == "progress"]


def test_compiled_step_trains_the_same_lora_as_eager(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=1)
    config = dict(steps=3, gradientCheckpointing=True, noiseOffset=0.0, learningRate=5e-3)
    eager = train(dataset, tmp_path / "eager", training_config(**config))
    graphs_before = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    compiled = train(dataset, tmp_path / "compiled", training_config(**config, compile=True))
    assert compiled[-1].type == "done"
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > graphs_before  # the step really ran compiled
    assert any(e.type == "log" and "torch.compile" in e.message for e in compiled)
    reports = [e.message for e in compiled if e.type == "log" and e.message.startswith("compile: ")]
    assert len(reports) == 1 and "compiling 1 graph" in reports[0]  # once, after the first step: one whole graph
    assert losses(compiled) == pytest.approx(losses(eager), rel=1e-3)
    eager_unet, compiled_unet = tiny_with_adapter(4, tmp_path / "eager").unet, tiny_with_adapter(4, tmp_path / "compiled").unet
    compiled_weights = dict(compiled_unet.named_parameters())
    lora = [(name, p) for name, p in eager_unet.named_parameters() if "lora_" in name]
    assert lora and all(p.abs().max() > 0 for name, p in lora if "lora_B" in name)  # trained, not still at init
    for name, p in lora:
        torch.testing.assert_close(compiled_weights[name], p, rtol=1e-3, atol=1e-5)


def test_a_lokr_step_compiles_to_one_graph_and_trains_as_eager(tmp_path):
    """PEFT's LoKr layers would break the graph in each layer (a torch.rand draw for module dropout in train
    mode); lora_adapters.keep_lokr_layers_in_eval_mode keeps them out of it."""
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=1)
    config = dict(steps=3, gradientCheckpointing=True, noiseOffset=0.0, learningRate=5e-2, lora={"algorithm": "lokr"})
    eager = train(dataset, tmp_path / "eager", training_config(**config))
    compiled = train(dataset, tmp_path / "compiled", training_config(**config, compile=True))
    assert compiled[-1].type == "done"
    reports = [e.message for e in compiled if e.type == "log" and e.message.startswith("compile: ")]
    assert len(reports) == 1 and "compiling 1 graph" in reports[0], reports
    assert losses(compiled) == pytest.approx(losses(eager), rel=1e-3)


def test_compile_without_a_compiler_names_the_fix_before_loading(tmp_path, monkeypatch):
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(compiled_step.shutil, "which", lambda name: None)
    monkeypatch.setattr(train_module, "load_base_model", lambda name, *configs: pytest.fail("loaded the base model before the check"))
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    with pytest.raises(ConfigError, match=r"compile: torch\.compile needs a C\+\+ compiler .*training\.compile false"):
        train(dataset, tmp_path / "run", training_config(steps=2, compile=True))
    assert not (tmp_path / "run").exists()


def test_compiler_named_by_cxx_is_the_one_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", "my-cxx")
    monkeypatch.setattr(compiled_step.shutil, "which", lambda name: "/usr/bin/g++" if name == "g++" else None)
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    with pytest.raises(ConfigError, match=r"C\+\+ compiler \(my-cxx\)"):
        train(dataset, tmp_path / "run", training_config(steps=2, compile=True))


def test_a_dora_run_stays_eager_and_says_why(tmp_path):
    dataset = make_pattern_dataset(tmp_path / "ds", images=1, repeats=1)
    config = dict(steps=2, lora={"dora": True}, gradientCheckpointing=True)
    eager = train(dataset, tmp_path / "eager", training_config(**config))
    graphs_before = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    events = train(dataset, tmp_path / "compiled", training_config(**config, compile=True))
    assert events[-1].type == "done"
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == graphs_before  # nothing was compiled
    assert any(e.type == "log" and e.level == "warn" and "DoRA" in e.message and "eager" in e.message for e in events)
    assert losses(events) == losses(eager)


def test_compile_watch_reports_the_graphs_and_breaks_since_it_started():
    torch.compile(lambda x: x - 1)(torch.ones(2))  # compiled before the watch: not counted
    watch = CompileWatch.start()

    def broken(x):
        x = x + 1
        torch._dynamo.graph_break()
        return x * 2

    assert torch.equal(torch.compile(broken)(torch.ones(2)), torch.full((2,), 4.0))
    counts = watch.since()
    assert (counts.graphs, counts.breaks, len(counts.reasons)) == (2, 1, 1)
    messages = compile_messages(counts, cuda=False)
    assert messages[0].level == "info" and "compiling 2 graphs" in messages[0].message
    assert [m.level for m in messages[1:]] == ["warn"] and "1 graph break:" in messages[1].message


def test_compile_messages_warn_when_cuda_graphs_were_skipped():
    clean = compile_messages(CompileCounts(graphs=1, breaks=0, reasons=(), cudagraph_skips=0, seconds=95.2), cuda=True)
    assert [(m.level, m.message) for m in clean] == [
        ("info", "compile: the first step took 95 s, compiling 1 graph; CUDA graphs are recorded over the next steps")]
    skipped = compile_messages(CompileCounts(graphs=2, breaks=0, reasons=(), cudagraph_skips=2, seconds=80), cuda=True)
    assert skipped[1].level == "warn" and "CUDA graphs were skipped for 2 graphs" in skipped[1].message


@pytest.mark.parametrize("accumulation, mode", [(1, "reduce-overhead"), (2, "default")])
def test_on_a_gpu_cuda_graphs_only_without_gradient_accumulation(monkeypatch, accumulation, mode):
    """CUDA-graph replays can overwrite gradients still being accumulated (pytorch/pytorch#169545): with
    gradientAccumulation > 1 the GPU step compiles without them, and says so. (torch.compile is recorded, not run.)"""
    modes = []
    monkeypatch.setattr(compiled_step.torch, "compile", lambda module, mode: modes.append(mode) or module)
    config = parse_training_config(training_config(compile=True, gradientAccumulation=accumulation))
    events = []
    module = torch.nn.Identity()
    forward = compiled_step.step_forward(module, config, Precision(torch.device("cuda"), torch.float16, True), events.append)
    assert modes == [mode]
    warned = [e.message for e in events if e.level == "warn"]
    if accumulation == 1:  # wrapped: each forward starts a new CUDA-graph generation
        assert warned == [] and forward is not module
    else:  # the compiled module itself (here the stand-in returns the module)
        assert forward is module
        assert len(warned) == 1 and "no CUDA graphs with gradientAccumulation 2" in warned[0] and "169545" in warned[0]


def test_a_compile_failure_on_the_first_step_falls_back_to_eager_from_the_same_random_state(tmp_path, monkeypatch):
    dataset = make_pattern_dataset(tmp_path / "ds", images=2, repeats=1)
    config = dict(steps=3, noiseOffset=0.1, learningRate=5e-3)
    eager = train(dataset, tmp_path / "eager", training_config(**config))

    def failing_compile(unet, config, precision, emit):
        def forward(*args, **kwargs):  # called after the step drew its noise and timesteps
            raise RuntimeError("C++ compile error: cc1plus: fatal error: Python.h: No such file or directory\nmore detail")
        return forward

    monkeypatch.setattr(train_module, "step_forward", failing_compile)
    fallen_back = train(dataset, tmp_path / "compiled", training_config(**config, compile=True))
    assert fallen_back[-1].type == "done"
    warnings = [e.message for e in fallen_back if e.type == "log" and e.level == "warn"]
    assert warnings == ["compile: torch.compile failed on the first step (RuntimeError: C++ compile error: cc1plus: fatal error: "
                        "Python.h: No such file or directory); this run trains eager instead (training.compile false skips the attempt)"]
    assert losses(fallen_back) == losses(eager)  # the same trajectory: the retried step drew the same noise
    assert not any(e.type == "log" and e.message.startswith("compile: the first step took") for e in fallen_back)
