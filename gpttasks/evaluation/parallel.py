"""Data-parallel evaluation under ``torchrun`` or ``accelerate launch``."""

from __future__ import annotations

import os
from typing import Any

from gpttasks.evaluation.runner import ProcessGroup


def launched_process_group() -> tuple[ProcessGroup, Any]:
    """Return this process's rank and the world size, with the accelerate state when launched in parallel.

    Both launchers set WORLD_SIZE. Without it (or with 1) this is a plain single
    process and accelerate is not imported, which keeps single runs lighter.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return ProcessGroup(), None
    from accelerate import PartialState

    # PartialState initializes torch.distributed from the launcher's environment
    # (gloo on CPU, nccl on CUDA).
    state = PartialState()
    return ProcessGroup(rank=state.process_index, size=state.num_processes), state


def wait_for_everyone(state: Any) -> None:
    if state is not None:
        state.wait_for_everyone()
