"""toonlora_trainer/__main__.py — the stdio loop: `python -m toonlora_trainer <command>`.

Reads the request as one JSON line on stdin, runs the command and writes protocol events on stdout
(nothing else goes there: library output is redirected to stderr). Exit codes: 0 done or cancelled,
1 error event written, 2 bad command line. SIGTERM/SIGINT ask training to checkpoint and stop; every
other command stops at once (exit 128 + signal number) with one line on stderr.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback

from .parent_watch import exit_with_parent
from .protocol import COMMANDS, Done, Error, EventWriter, Log, ProtocolError, parse_request_line


def _error_kind(error: BaseException) -> str:
    from .base_files import BaseFileError, ModelMissingError
    from .checkpoint import CheckpointError
    from .config_schema import ConfigError
    from .dataset_items import DatasetError
    from .lora_loading import LoraFileError
    from .pipeline import NonFiniteImageError
    from .write_errors import OutputWriteError

    if isinstance(error, OutputWriteError):
        return "output_write"
    if isinstance(error, ConfigError):
        return "config"
    if isinstance(error, ModelMissingError):
        return "model_missing"
    if isinstance(error, ProtocolError):
        return "protocol"
    if isinstance(error, FileNotFoundError) or (isinstance(error, (DatasetError, BaseFileError)) and error.missing):
        return "input_missing"
    if isinstance(error, (DatasetError, BaseFileError, CheckpointError)):
        return "input_invalid"
    if isinstance(error, LoraFileError) or (isinstance(error, NonFiniteImageError) and error.lora):
        return "lora_format"
    if isinstance(error, NonFiniteImageError):  # no LoRA: the base model (or a float16 VAE) made it
        return "input_invalid"
    if type(error).__name__ == "NonFiniteLossError":
        return "nan_loss"
    if type(error).__name__ in ("GpuOutOfMemoryError", "OutOfMemoryError"):  # train's, or torch's own (generate)
        return "out_of_memory"
    return "internal"


class Interrupted(BaseException):
    """SIGTERM/SIGINT during a command that has nothing to save (generate, captions): stop now.
    A BaseException, so the warm worker's per-request `except Exception` does not swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum, frame) -> None:
    raise Interrupted(signum)


def install_signal_handlers(command: str, stop: "StopFlag") -> None:
    """Training checkpoints and stops between steps; every other command is interrupted where it is."""
    if command == "train":
        stop.install()
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _raise_interrupted)


class StopFlag:
    """Set by SIGTERM/SIGINT during `train`; the training loop polls it between steps."""

    def __init__(self) -> None:
        self.requested = False

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum, frame) -> None:
        self.requested = True
        print(f"toonlora_trainer: signal {signum}: checkpointing and stopping", file=sys.stderr, flush=True)

    def __call__(self) -> bool:
        return self.requested


def _read_line(command: str) -> dict:
    line = sys.stdin.readline()
    if not line:
        raise ProtocolError(f"{command}: expected one JSON request line on stdin, got end of input")
    return parse_request_line(line, command)


def _run(command: str, writer: EventWriter, stop: StopFlag) -> None:
    if command == "train":
        from .config import parse_train_request
        from .train import run_training

        run_training(parse_train_request(_read_line(command)), writer.emit, stop)
    elif command == "generate":
        from .config import parse_generate_request
        from .generate import GenerationSession

        request = parse_generate_request(_read_line(command))
        session = GenerationSession(request.config.base_model, sd15_config_dir=request.sd15_config_dir)
        writer.emit(Log("info", f"base model loaded in {session.load_s:.2f} s; rendering {len(request.config.seeds)} image(s)"))
        if session.cpu_threads is not None:
            writer.emit(Log("info", session.cpu_threads))
        result = session.generate(request.lora, request.config, request.output_dir, writer.emit, lora_name=request.lora_name)
        writer.emit(result.done(load_s=session.load_s, request_id=request.id))
    elif command == "serve-generation":
        from .serve_generation import serve_generation

        serve_generation(_read_line(command), writer, _error_kind)
    elif command == "blip-caption":
        from .blip import caption_images
        from .config import parse_blip_request

        r = parse_blip_request(_read_line(command))
        caption_images(list(r.paths), r.model, r.max_length, r.num_beams, r.batch_size, writer.emit)
    elif command == "lora-count":
        from .config import parse_lora_count_request
        from .lora_adapters import lora_count_stats

        r = parse_lora_count_request(_read_line(command))
        writer.emit(Done(artifacts={}, stats=lora_count_stats(r.unet, r.lora)))
    elif command == "estimate-memory":
        from .config import parse_estimate_memory_request
        from .memory_estimate import estimate_training_memory
        from .model_configs import ARCHITECTURE_CONFIGS

        r = parse_estimate_memory_request(_read_line(command))
        writer.emit(Done(artifacts={}, stats=estimate_training_memory(r.config, *ARCHITECTURE_CONFIGS[r.unet]).as_stats()))
    elif command == "scan-dataset":
        from .config import parse_scan_dataset_request
        from .dataset_plan import scan_dataset_result

        artifacts, stats = scan_dataset_result(parse_scan_dataset_request(_read_line(command)))
        writer.emit(Done(artifacts=artifacts, stats=stats))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m toonlora_trainer <{'|'.join(COMMANDS)}> (request JSON on stdin)", file=sys.stderr)
        return 2
    exit_with_parent()  # a killed CLI / server leaves no worker training on alone
    # stdout is the protocol channel: keep a private handle, send every stray print to stderr.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # C-level writes to fd 1 (warnings, tqdm) too
    writer = EventWriter(protocol_out)
    stop = StopFlag()
    install_signal_handlers(argv[0], stop)
    with contextlib.redirect_stdout(sys.stderr):
        try:
            _run(argv[0], writer, stop)
        except Interrupted as interrupted:
            print(f"toonlora_trainer: signal {interrupted.signum}: {argv[0]} stopped before finishing", file=sys.stderr, flush=True)
            return 128 + interrupted.signum
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            writer.emit(Error(message=str(error), kind=_error_kind(error), fix=getattr(error, "fix", None)))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
