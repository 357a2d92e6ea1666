"""Reading examples from an argument, a file, stdin, or a TXT/JSONL batch file."""

from __future__ import annotations

import sys
from pathlib import Path

from gpttasks.errors import InputError, UsageError
from gpttasks.io import read_jsonl, read_text, require_nonempty
from gpttasks.types import Example


def read_batch(path: str, text_field: str) -> list[Example]:
    """Read ``--input``: ``.jsonl`` objects with ``text_field`` and optional ``id``, else one text per line."""
    if Path(path).suffix.lower() == ".jsonl":
        examples = []
        for line, record in read_jsonl(path):
            value = record.get(text_field)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{path}:{line}: missing or empty string field {text_field!r}")
            examples.append(
                Example(
                    id=str(record.get("id", line)),
                    text=value,
                    source_lang=record.get("source_lang"),
                    target_lang=record.get("target_lang"),
                )
            )
    else:
        lines = read_text(path).splitlines()
        examples = [Example(id=str(n), text=t) for n, t in enumerate(lines, start=1) if t.strip()]
    if not examples:
        raise InputError(f"{path} contains no inputs")
    ids = [e.id for e in examples]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{path}: duplicate id {duplicate!r}; ids must be unique")
    return examples


def read_single(source: str | None, what: str) -> Example:
    """Read one document from a file path, ``-``, or piped stdin."""
    if source is None:
        if sys.stdin.isatty():
            raise UsageError(f"no {what} given; pass a file, '-' for stdin, or --input FILE.jsonl")
        source = "-"
    name = "standard input" if source == "-" else source
    return Example(id=name, text=require_nonempty(read_text(source), name))


def resolve_examples(positional: str | None, batch: str | None, text_field: str, what: str) -> tuple[list[Example], bool]:
    """Return the examples and whether they came from a batch file."""
    if positional is not None and batch is not None:
        raise UsageError(f"give either a {what} or --input, not both")
    if batch is not None:
        return read_batch(batch, text_field), True
    return [read_single(positional, what)], False
