"""The generation worker's protocol: serve-generation answers requests by id, tags progress and prompt warnings
with the request id, cancels a queued request, unloads a deleted LoRA's file; the one-shot `generate` sends a progress event per sampling step."""

from generation_helpers import convert_to_kohya, generate_request, serve_generation, write_random_lora
from helpers import run_worker


def test_serve_generation_answers_requests_by_id(tmp_path):
    write_random_lora(tmp_path / "a", rank=4, alpha=4.0, seed=1)
    convert_to_kohya(tmp_path / "a", tmp_path / "a.safetensors")
    request = lambda rid, lora: generate_request(rid, tmp_path / "o", lora, seeds=[3])  # noqa: E731
    code, events, stderr = serve_generation(request("r1", str(tmp_path / "a.safetensors")),
                                            request("r2", str(tmp_path / "missing.safetensors")), request("r3", None))
    assert code == 0, stderr
    assert events[0]["type"] == "ready" and events[0]["load_s"] > 0
    by_id = {e["id"]: e for e in events[1:]}
    assert by_id["r1"]["type"] == "done" and len(by_id["r1"]["artifacts"]["images"]) == 1
    assert by_id["r2"]["type"] == "error" and by_id["r2"]["kind"] == "input_missing" and "missing.safetensors" in by_id["r2"]["message"]
    assert by_id["r3"]["type"] == "done"


def test_serve_generation_sends_progress_per_sampling_step_tagged_with_the_request_id(tmp_path):
    request = lambda rid, steps: generate_request(rid, tmp_path / "o", steps=steps, seeds=[3])  # noqa: E731
    code, events, stderr = serve_generation(request("r1", 3), request("r2", 2))
    assert code == 0, stderr
    answered = [(e["type"], e.get("id"), e.get("step"), e.get("total")) for e in events if e["type"] in ("progress", "done", "error")]
    assert answered == [
        ("progress", "r1", 1, 3), ("progress", "r1", 2, 3), ("progress", "r1", 3, 3), ("done", "r1", None, None),
        ("progress", "r2", 1, 2), ("progress", "r2", 2, 2), ("done", "r2", None, None),
    ]
    progress = [e for e in events if e["type"] == "progress"]
    assert all(e["loss"] is None and e["lr"] is None and e["it_per_s"] > 0 for e in progress)
    assert progress[2]["eta_s"] == 0  # last step of r1: nothing left


def test_serve_generation_tags_a_prompt_warning_with_the_request_id(tmp_path):
    # The driver hands a warning to the job of the request it names; a short prompt's request gets none.
    long_prompt = "sks, " + ", ".join(f"tag{i} word" for i in range(60))
    request = lambda rid, prompt: generate_request(rid, tmp_path / rid, prompt=prompt, seeds=[3])  # noqa: E731
    code, events, stderr = serve_generation(request("r1", long_prompt), request("r2", "sks"))
    assert code == 0, stderr
    logs = [e for e in events if e["type"] == "log" and e["level"] != "debug"]
    assert [(e["level"], e.get("id")) for e in logs] == [("warn", "r1")]
    assert "CLIP reads only the first 75" in logs[0]["message"]
    assert events.index(logs[0]) < events.index(next(e for e in events if e["type"] == "done" and e["id"] == "r1"))


def test_serve_generation_cancel_stops_a_queued_request_and_the_next_one_runs(tmp_path):
    # The reader thread takes `cancel r1` off stdin while the base model loads: r1 stops before its first step.
    request = lambda rid, steps, out: generate_request(rid, tmp_path / out, steps=steps, seeds=[3])  # noqa: E731
    cancel = lambda rid: {"version": 1, "command": "cancel", "id": rid}  # noqa: E731
    code, events, stderr = serve_generation(request("r1", 50, "o1"), cancel("r1"), cancel("r9"), {"version": 1, "command": "cancel"},
                                            request("r2", 2, "o2"))
    assert code == 0, stderr
    answered = [(e["type"], e.get("id")) for e in events if e["type"] in ("cancelled", "done", "error")]
    assert answered == [("cancelled", "r1"), ("error", None), ("done", "r2")]  # r9: unknown, nothing to answer
    stopped = next(e for e in events if e["type"] == "cancelled")
    assert stopped["step"] == 0 and stopped["checkpoint"] is None
    assert not any(e["type"] == "progress" and e.get("id") == "r1" for e in events)
    assert not (tmp_path / "o1").exists()  # a cancelled request writes nothing
    error = next(e for e in events if e["type"] == "error")
    assert error["kind"] == "config" and "id" in error["message"]
    assert len(next(e for e in events if e["type"] == "done")["artifacts"]["images"]) == 1


def test_serve_generation_unloads_a_lora_file_after_the_requests_before_it(tmp_path):
    # The server deleted the LoRA: its adapter goes (a second unload finds none); the worker serves on.
    write_random_lora(tmp_path / "a", rank=4, alpha=4.0, seed=1)
    convert_to_kohya(tmp_path / "a", tmp_path / "a.safetensors")
    lora = str(tmp_path / "a.safetensors")
    request = lambda rid, lora: generate_request(rid, tmp_path / rid, lora, seeds=[3])  # noqa: E731
    unload = {"version": 1, "command": "unload_lora", "lora": lora}
    code, events, stderr = serve_generation(request("r1", lora), unload, unload, request("r2", None))
    assert code == 0, stderr
    answered = [(e["type"], e.get("id")) for e in events if e["type"] in ("done", "error")]
    assert answered == [("done", "r1"), ("done", "r2")]
    unloads = [e["message"] for e in events if e["type"] == "log" and "unloaded" in e["message"]]
    assert unloads == [f"{lora}: unloaded 1 adapter(s) of this LoRA file", f"{lora}: unloaded 0 adapter(s) of this LoRA file"]
    assert events.index(next(e for e in events if e.get("id") == "r1" and e["type"] == "done")) < events.index(
        next(e for e in events if e["type"] == "log" and "unloaded" in e["message"]))


def test_generate_worker_emits_a_progress_event_per_sampling_step(tmp_path):
    code, events, stderr = run_worker("generate", generate_request(None, tmp_path / "out", steps=4, seeds=[7]))
    assert code == 0, stderr
    progress = [e for e in events if e["type"] == "progress"]
    assert [e["step"] for e in progress] == [1, 2, 3, 4]
    assert {e["total"] for e in progress} == {4}
    assert all(e["loss"] is None and e["lr"] is None and e["it_per_s"] > 0 and e["eta_s"] >= 0 for e in progress)
    assert progress[-1]["eta_s"] == 0
    assert events[-1]["type"] == "done" and len(events[-1]["artifacts"]["images"]) == 1
    assert events.index(progress[-1]) < len(events) - 1  # every step reported before `done`
