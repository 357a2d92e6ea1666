"""Data-parallel evaluation under ``torchrun`` or ``accelerate launch``."""

from __future__ import annotations

import os
from typing import Any

from gpttasks.evaluation.runner import ProcessGroup


def launched_process_group(device: str | None = None) -> tuple[ProcessGroup, Any]:
    """Return this process's rank and the world size, with the accelerate state when launched in parallel.

    Both launchers set WORLD_SIZE. Without it (or with 1) this is a plain single
    process and accelerate is not imported, which keeps single runs lighter.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return ProcessGroup(), None
    import torch
    from accelerate import PartialState

    # Without an accelerator, accelerate 1.x treats a launch as one process unless
    # cpu=True is passed. With cpu=True it joins the processes over gloo.
    cpu = device == "cpu" or not torch.accelerator.is_available()
    state = PartialState(cpu=cpu)
    return ProcessGroup(rank=state.process_index, size=state.num_processes), state


def wait_for_everyone(state: Any) -> None:
    if state is not None:
        state.wait_for_everyone()
