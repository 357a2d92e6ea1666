"""Writing predictions as text or JSON Lines to stdout or an atomically written file."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from contextlib import contextmanager
from typing import IO, Iterator

import typer

from gpttasks.io import atomic_write
from gpttasks.types import Prediction


@contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """Yield stdout, or a temporary file that replaces ``path`` only when writing succeeds."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with atomic_write(path) as handle:
        yield handle


def write_predictions(predictions: Iterable[Prediction], as_json: bool, path: str | None) -> None:
    with open_output(path) as handle:
        for prediction in predictions:
            if as_json:
                handle.write(json.dumps(prediction.to_dict(), ensure_ascii=False) + "\n")
            else:
                handle.write(prediction.text.strip("\n") + "\n")


def warn_truncated(predictions: Iterable[Prediction]) -> None:
    cut = [p.id for p in predictions if p.finish_reason == "length"]
    if cut:
        shown = ", ".join(cut[:5]) + (" ..." if len(cut) > 5 else "")
        typer.echo(
            f"note: {len(cut)} output(s) reached --max-new-tokens and may be cut short ({shown})", err=True
        )
