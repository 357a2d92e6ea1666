"""Read local dataset files into plain records, each tagged with the line it came from.

JSON, JSON Lines, CSV and TSV are parsed here rather than by Arrow, so a bad row
is reported by file and line, and a column that mixes numbers and strings (ids,
typically) loads instead of failing type inference.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpttasks.errors import InputError
from gpttasks.io import read_jsonl, read_text

FILE_FORMATS = {".jsonl": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}


@dataclass(frozen=True)
class Record:
    """One row of a dataset and where it came from, for error messages ("file:line")."""

    location: str
    number: int  # 1-based line (text files) or row (Parquet, Hub datasets)
    values: dict[str, Any]


def looks_like_local_file(dataset: str) -> bool:
    """True when ``dataset`` names a file by extension or exists on disk."""
    path = Path(dataset).expanduser()
    return path.suffix.lower() in FILE_FORMATS or path.exists()


def read_records(path_text: str) -> list[Record]:
    """Parse a .jsonl, .json, .csv, .tsv or .parquet file into records."""
    path = Path(path_text).expanduser()
    file_format = FILE_FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise InputError(
            f"unsupported dataset file {path}; use .jsonl, .json, .csv, .tsv or .parquet, "
            "or give a preset or Hub dataset id"
        )
    if not path.exists():
        raise InputError(f"dataset file not found: {path}")
    reader = {
        "jsonl": _read_jsonl,
        "json": _read_json,
        "csv": _read_delimited,
        "tsv": _read_delimited,
        "parquet": _read_parquet,
    }[file_format]
    records = reader(path)
    if not records:
        raise InputError(f"dataset file {path} contains no rows")
    return records


def _read_jsonl(path: Path) -> list[Record]:
    return [Record(f"{path}:{line}", line, values) for line, values in read_jsonl(path)]


def _read_json(path: Path) -> list[Record]:
    """Read a top-level array of objects, or ``{"data": [...]}``; JSON Lines saved as .json works too."""
    text = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and text.lstrip().startswith("{"):
            return _read_jsonl(path)
        raise InputError(f"{path}:{error.lineno}: invalid JSON ({error.msg})") from error
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        items = [(f"{path}: item {index} of 'data'", index, item) for index, item in enumerate(document["data"], 1)]
    elif isinstance(document, list):
        lines = _array_item_lines(text)
        items = [(f"{path}:{line}", line, item) for line, item in zip(lines, document)]
    else:
        raise InputError(f"{path}: expected a JSON array of objects or an object with a 'data' array")
    records = []
    for location, number, item in items:
        if not isinstance(item, dict):
            raise InputError(f"{location}: expected a JSON object, got {type(item).__name__}")
        records.append(Record(location, number, item))
    return records


def _array_item_lines(text: str) -> list[int]:
    """Return the line on which each item of a top-level JSON array starts."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    lines = []
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return lines
        lines.append(text.count("\n", 0, position) + 1)
        _, position = decoder.raw_decode(text, position)


def _read_delimited(path: Path) -> list[Record]:
    """Read CSV (RFC 4180 quoting) or TSV (no quoting: tabs and newlines never occur in fields)."""
    tsv = path.suffix.lower() == ".tsv"
    text = read_text(path)
    stream = io.StringIO(text, newline="")
    if tsv:
        reader = csv.reader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(stream)
    records = []
    try:
        header = next(reader, None)
        if header is None:
            return []
        header = [name.strip() for name in header]
        if len(set(header)) != len(header) or not all(header):
            raise InputError(f"{path}:1: the header row has empty or repeated column names: {header}")
        start_line = reader.line_num + 1
        for row in reader:
            # A quoted CSV field can span lines, so a row starts after the previous one ended.
            line = start_line
            start_line = reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise InputError(
                    f"{path}:{line}: expected {len(header)} fields ({', '.join(header)}), found {len(row)}"
                    + ("; fields with tabs or quotes need a .csv file" if tsv else "; quote fields that contain commas")
                )
            records.append(Record(f"{path}:{line}", line, dict(zip(header, row))))
    except csv.Error as error:
        raise InputError(f"{path}:{reader.line_num}: malformed {'TSV' if tsv else 'CSV'} ({error})") from error
    return records


def _read_parquet(path: Path) -> list[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"cannot read Parquet file {path}: {str(error).splitlines()[0]}") from error
    return [Record(f"{path}: row {number}", number, values) for number, values in enumerate(table.to_pylist(), 1)]
