"""Shared CLI plumbing: logging setup, the error boundary, model loading, progress."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from gpttasks.errors import EXIT_INTERRUPTED, GpttasksError

logger = logging.getLogger("gpttasks")
_state = {"debug": False, "level": logging.INFO}


def configure_logging(level: int, debug: bool) -> None:
    """Send gpttasks logs to stderr; silence library chatter unless --verbose."""
    _state["debug"] = debug
    _state["level"] = level
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s" if level <= logging.DEBUG else "%(message)s"))
    root = logging.getLogger("gpttasks")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


class _StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is now, so a swapped stream (tests, Rich) still works."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def quiet_libraries() -> None:
    """Hide transformers' and datasets' progress bars and notices unless --verbose."""
    if _state["level"] <= logging.DEBUG:
        return
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if _state["level"] > logging.INFO:
        # transformers' GGUF conversion drives tqdm directly; --quiet hides that bar too.
        os.environ["TQDM_DISABLE"] = "1"
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        import datasets

        datasets.utils.logging.set_verbosity_error()
        datasets.disable_progress_bars()
    except ImportError:
        pass
    import warnings

    warnings.filterwarnings("ignore", module="transformers")


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn typed errors into one ``Error:`` line and their exit code; Ctrl-C exits 130."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GpttasksError as error:
            if _state["debug"]:
                raise
            raise fail(str(error), error.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted.", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def load_handle(model: str | None, device: str | None, dtype: str | None, trust_remote_code: bool):
    """Resolve settings and load the model, logging what is loaded."""
    import time

    from gpttasks.config import DEFAULT_MODEL, resolve_setting
    from gpttasks.modeling import load_model, resolve_model_spec

    spec = resolve_model_spec(resolve_setting(model, "GPTTASKS_MODEL", "model", DEFAULT_MODEL))
    device = resolve_setting(device, "GPTTASKS_DEVICE", "device", "auto")
    dtype = resolve_setting(dtype, "GPTTASKS_DTYPE", "dtype", "auto")
    quiet_libraries()
    started = time.perf_counter()
    handle = load_model(spec, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    logger.debug(
        "loaded %s on %s (%s, %d-token context) in %.1f s",
        spec.describe(), handle.device, handle.dtype, handle.context_length, time.perf_counter() - started,
    )
    return handle


@contextmanager
def progress(total: int, description: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield an ``advance(n)`` callback that drives a progress bar on stderr."""
    if not enabled or total <= 1 or _state["level"] > logging.INFO or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(show_speed=True),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
