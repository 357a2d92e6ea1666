"""Reading inputs and writing outputs without ever leaving a half-written file."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from gpttasks.errors import InputError


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and rename it into place on success.

    On any exception, Ctrl-C included, the temporary file is removed and ``path``
    keeps its previous content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, data: Any) -> None:
    with atomic_write(path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")


def read_text(source: str | Path) -> str:
    """Read UTF-8 text from a path, or from stdin when ``source`` is ``-``."""
    if str(source) == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"input file not found: {path}")
        if path.is_dir():
            raise InputError(f"input path is a directory, not a file: {path}")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read input file {path}: {error.strerror}") from error
        name = str(path)
    if b"\x00" in data[:8192]:
        raise InputError(f"{name} looks like a binary file (it contains NUL bytes); give a UTF-8 text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name} is not valid UTF-8 (invalid byte at offset {error.start}); "
            "convert it first, e.g. with iconv -t UTF-8"
        ) from error
    return text


def read_jsonl(source: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """Parse JSON Lines into ``(line_number, object)`` pairs, skipping blank lines."""
    text = read_text(source)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{source}:{number}: invalid JSON ({error.msg})") from error
        if not isinstance(record, dict):
            raise InputError(f"{source}:{number}: expected a JSON object, got {type(record).__name__}")
        records.append((number, record))
    return records


def require_nonempty(text: str, name: str) -> str:
    if not text.strip():
        raise InputError(f"{name} is empty; give some text to work on")
    return text
