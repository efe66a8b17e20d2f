"""toonlora_trainer/serve_generation.py — the long-lived generation mode (`serve-generation`).

First line {command: serve-generation, base_model}: the base model is loaded once (`ready`). Then generate
requests, answered in order, each by a `progress` per sampling step (and a `log` per warning, such as a
prompt longer than CLIP reads) and then `done` / `error`, all carrying its `id`, until {command: shutdown}
or end of input. A reader thread takes lines off stdin as they come, so {command: cancel, id} reaches the request being rendered at its next sampling step (it then answers
`cancelled` {step, id} and writes no images) or a queued one before it starts. {command: unload_lora, lora} (a LoRA
deleted on the server) drops the adapters loaded from that file once the requests before it are done, freeing their
memory; only a debug `log` says how many.
"""

from __future__ import annotations

import queue
import sys
import threading
import traceback
from typing import Callable, TextIO

from .protocol import Cancelled, Error, EventWriter, Log, ProtocolError, Ready, _parse_object


class CancelledIds:
    """The ids the driver cancelled, shared by the reader thread (adds) and the rendering thread (asks)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, request_id: str) -> None:
        with self._lock:
            self._ids.add(request_id)

    def discard(self, request_id: str | None) -> None:
        with self._lock:
            self._ids.discard(request_id or "")

    def __contains__(self, request_id: object) -> bool:
        with self._lock:
            return request_id in self._ids


def read_requests(stream: TextIO, lines: queue.Queue, cancelled: CancelledIds) -> None:
    """The reader thread: a valid `cancel` line takes effect at once; every other line is queued in order
    (None marks the end of input). Lines that are not valid JSON are queued too: the loop reports them."""
    from .config import parse_cancel_request
    from .config_schema import ConfigError

    for line in stream:
        if not line.strip():
            continue
        try:
            obj = _parse_object(line)
            if obj.get("command") == "cancel":
                cancelled.add(parse_cancel_request(obj).id)
                continue
        except (ProtocolError, ConfigError):
            pass
        lines.put(line)
    lines.put(None)


def serve_generation(first_line: dict, writer: EventWriter, error_kind: Callable[[BaseException], str],
                     stdin: TextIO = sys.stdin) -> None:
    """Runs the mode (see the module doc) until shutdown or end of input; `error_kind` names a failed request's kind."""
    from .config import parse_cancel_request, parse_generate_request, parse_serve_request, parse_unload_lora_request
    from .generate import GenerationCancelled, GenerationSession

    serve = parse_serve_request(first_line)
    lines: queue.Queue = queue.Queue()
    cancelled = CancelledIds()
    threading.Thread(target=read_requests, args=(stdin, lines, cancelled), daemon=True, name="requests").start()
    session = GenerationSession(serve.base_model, sd15_config_dir=serve.sd15_config_dir)
    writer.emit(Ready(load_s=session.load_s, device=str(session.device)))
    while (line := lines.get()) is not None:
        obj = _parse_object(line)
        if obj.get("command") == "shutdown":
            break
        request_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        try:
            if obj.get("command") == "cancel":
                parse_cancel_request(obj)  # raises: a valid cancel never reaches this loop
            if obj.get("command") == "unload_lora":
                unload = parse_unload_lora_request(obj)
                dropped = session.unload_lora(unload.lora)
                writer.emit(Log("debug", f"{unload.lora}: unloaded {dropped} adapter(s) of this LoRA file"))
                continue
            if obj.get("command") != "generate":
                raise ProtocolError(
                    f"command: expected 'generate', 'unload_lora', 'cancel' or 'shutdown', got {obj.get('command')!r}")
            request = parse_generate_request(obj)
            if request.config.base_model != serve.base_model:
                raise ProtocolError(f"config.baseModel: this worker holds {serve.base_model!r}, got {request.config.base_model!r}")
            if request_id is not None and request_id in cancelled:
                raise GenerationCancelled(0)
            should_stop: Callable[[], bool] = lambda: request_id is not None and request_id in cancelled  # noqa: E731
            result = session.generate(request.lora, request.config, request.output_dir, writer.emit, request_id, should_stop,
                                      lora_name=request.lora_name)
            writer.emit(result.done(request_id=request_id))
        except GenerationCancelled as stopped:
            writer.emit(Cancelled(step=stopped.step, checkpoint=None, id=request_id))
        except Exception as error:  # one bad request never ends the warm worker
            traceback.print_exc(file=sys.stderr)
            writer.emit(Error(message=str(error), kind=error_kind(error), id=request_id, fix=getattr(error, "fix", None)))
        finally:
            cancelled.discard(request_id)
