"""Rules for the output directory: never overwrite silently, resume from the latest checkpoint."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

from gpttasks.errors import UsageError
from gpttasks.modeling.load import METADATA_FILE

logger = logging.getLogger(__name__)

CHECKPOINT_PATTERN = re.compile(r"^checkpoint-(\d+)$")
# Files that mark a directory as the result of an earlier run, so --overwrite may clear it.
RUN_MARKERS = (METADATA_FILE, "trainer_state.json", "training_report.json")


def checkpoints(directory: Path) -> list[Path]:
    """Return the ``checkpoint-N`` folders in ``directory``, oldest step first."""
    if not directory.is_dir():
        return []
    found = [
        (int(match.group(1)), child)
        for child in directory.iterdir()
        if child.is_dir() and (match := CHECKPOINT_PATTERN.match(child.name))
    ]
    return [path for _, path in sorted(found)]


def check_output_dir(directory: Path, resume: bool, overwrite: bool) -> Path | None:
    """Validate the output directory for this run; return the checkpoint to resume from, if any.

    Nothing is changed here, so every distributed worker can call it; the main process
    clears an old run with :func:`clear_previous_run`.
    """
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--output-dir {directory} is a file; give a directory")
    contents = list(directory.iterdir()) if directory.is_dir() else []
    if resume:
        found = checkpoints(directory)
        if not found:
            logger.warning("no checkpoint in %s to resume from; starting fresh", directory)
            return None
        return found[-1]
    if not contents:
        return None
    if not overwrite:
        raise UsageError(
            f"output directory {directory} is not empty; pass --resume to continue from its latest "
            "checkpoint, --overwrite to replace it, or choose another --output-dir"
        )
    if not checkpoints(directory) and not any((directory / marker).exists() for marker in RUN_MARKERS):
        raise UsageError(
            f"cannot --overwrite {directory}: it contains no earlier gpttasks finetune run, "
            "so its files are kept; choose an empty or new --output-dir"
        )
    return None


def clear_previous_run(directory: Path) -> None:
    """Delete everything in ``directory`` (an earlier run that :func:`check_output_dir` accepted)."""
    if not directory.is_dir():
        return
    logger.warning("--overwrite: deleting the earlier run in %s", directory)
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def check_resume_schedule(checkpoint: Path, max_steps: int | None, epochs: float) -> None:
    """Reject a resume that would run past the checkpoint's learning-rate schedule.

    The Trainer restores the scheduler from the checkpoint, so a run extended past the
    original schedule would continue with the decayed learning rate (0 for linear decay)
    and silently stop learning.
    """
    state_file = checkpoint / "trainer_state.json"
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {state_file} to resume from: {error}; pass --overwrite to start again") from error
    planned_steps = state.get("max_steps")
    planned_epochs = state.get("num_train_epochs")
    # Stopping earlier than planned is harmless: the schedule is only cut short.
    if max_steps is not None:
        longer = planned_steps is None or max_steps > planned_steps
    else:
        longer = planned_epochs is None or float(epochs) > float(planned_epochs)
    if longer:
        raise UsageError(
            f"{checkpoint.name} follows a learning-rate schedule of {planned_steps} steps "
            f"({planned_epochs} epochs); resume with at most that --max-steps or --epochs, or train "
            f"further in a new run with --model {checkpoint} --output-dir NEW_DIR"
        )
