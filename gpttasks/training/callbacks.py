"""Trainer callbacks: progress lines, Ctrl-C checkpointing, metadata in every checkpoint."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from gpttasks.training.metadata import write_metadata

logger = logging.getLogger(__name__)


class ProgressLogger(TrainerCallback):
    """Log step, loss, learning rate, speed and time left at every logging step (main process)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.first_step = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()
        self.first_step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if "loss" in logs:
            done = state.global_step - self.first_step
            elapsed = time.perf_counter() - self.started
            rate = done / elapsed if elapsed > 0 else 0.0
            left = (state.max_steps - state.global_step) / rate if rate > 0 else 0.0
            logger.info(
                "step %d/%d  loss %.4f  lr %.3g  %.2f steps/s  %s left",
                state.global_step, state.max_steps, logs["loss"], logs.get("learning_rate", 0.0),
                rate, _duration(left),
            )
        scores = {key: value for key, value in logs.items() if key.startswith("eval_") and not _is_speed(key)}
        if scores:
            formatted = "  ".join(f"{key[5:]} {value:.4g}" for key, value in sorted(scores.items()))
            logger.info("eval at step %d: %s", state.global_step, formatted)


def _is_speed(key: str) -> bool:
    return key.endswith(("_runtime", "_per_second", "_preparation_time"))


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class InterruptCheckpoint(TrainerCallback):
    """On the first Ctrl-C, finish the current step, save a checkpoint and stop.

    A second Ctrl-C raises KeyboardInterrupt at once. Under torchrun every worker
    must stop at the same step, or the others wait forever in the next all-reduce,
    so the flag is combined across processes at each step end.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.stopped_at: int | None = None
        self._previous: Any = None

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._handle)

    def uninstall(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum, frame) -> None:
        self.requested.set()
        logger.warning("interrupted: saving a checkpoint after this step (press Ctrl-C again to stop now)")
        self.uninstall()

    def on_step_end(self, args, state, control, **kwargs):
        if self._any_process_requested(args):
            control.should_save = True
            control.should_training_stop = True
            self.stopped_at = state.global_step
        return control

    def _any_process_requested(self, args) -> bool:
        import torch
        import torch.distributed as dist

        flag = self.requested.is_set()
        # NOTE: tests interrupt single-process runs only; this all-reduce path has not
        # run under a real Ctrl-C in torchrun.
        if dist.is_available() and dist.is_initialized():
            tensor = torch.tensor([1 if flag else 0], device=args.device)
            dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
            flag = bool(tensor.item())
        return flag


class CheckpointMetadata(TrainerCallback):
    """Write ``gpttasks.json`` into each ``checkpoint-N`` so it loads like a finished model."""

    def __init__(self, metadata: dict[str, Any]):
        self.metadata = metadata

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            directory = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if directory.is_dir():
                write_metadata(directory, self.metadata, global_step=state.global_step)
        return control
