"""The resumable prediction loop: append every prediction to disk as soon as it exists.

``OUTPUT_DIR/run.json`` records the settings that determine predictions, and
``OUTPUT_DIR/predictions.jsonl`` gets one line per finished example. A rerun with
the same settings skips the ids already in the file, and a rerun with different
settings is rejected unless ``overwrite`` is set. Under ``torchrun`` or
``accelerate launch`` each process appends to its own shard file, and the main
process merges the shards once all processes are done.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpttasks.errors import InputError, UsageError
from gpttasks.io import write_json_atomic
from gpttasks.types import Example, Prediction

logger = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.jsonl"
SETTINGS_FILE = "run.json"
RESULTS_FILE = "results.json"
SHARD_PATTERN = "predictions.rank*.jsonl"

Predict = Callable[[list[Example]], list[Prediction]]


# -- the predictions file ------------------------------------------------------------


def read_prediction_file(path: Path, repair: bool = False) -> dict[str, dict[str, Any]]:
    """Read a predictions JSONL file into {id: record}; a later line for an id wins.

    A last line without its newline is a write cut short by a kill. With ``repair``
    it is removed from the file, otherwise it is ignored. Any other invalid line
    is an InputError.
    """
    if not path.is_file():
        return {}
    data = path.read_bytes()
    complete_end = data.rfind(b"\n") + 1
    if complete_end < len(data):
        logger.warning("%s: dropping an incomplete last line left by an interrupted run", path)
        if repair:
            with path.open("r+b") as handle:
                handle.truncate(complete_end)
        data = data[:complete_end]
    records: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{path}:{number}: invalid JSON ({error.msg}); fix or delete that line, or rerun with --overwrite"
            ) from error
        if not isinstance(record, dict) or "id" not in record or not isinstance(record.get("prediction"), str):
            raise InputError(f"{path}:{number}: expected an object with 'id' and a string 'prediction'")
        records[str(record["id"])] = record
    return records


def append_records(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Append records as JSON lines and flush them to disk before returning."""
    if not records:
        return
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def prediction_record(example: Example, prediction: Prediction) -> dict[str, Any]:
    record = {
        "id": example.id,
        "input": example.text,
        "reference": example.reference,
        "prediction": prediction.text,
        "prompt_tokens": prediction.prompt_tokens,
        "output_tokens": prediction.output_tokens,
        "finish_reason": prediction.finish_reason,
    }
    if example.source_lang or example.target_lang:
        record["source_lang"] = example.source_lang
        record["target_lang"] = example.target_lang
    record.update(prediction.metadata)
    return record


# -- the output directory ------------------------------------------------------------


def prepare_output_dir(directory: Path, settings: dict[str, Any], overwrite: bool, is_main: bool = True) -> None:
    """Check that ``directory`` may take this run's predictions; the main process records the settings.

    Every process runs the check, so all of them raise the same error, but only the
    main process deletes or writes files.
    """
    settings_path = directory / SETTINGS_FILE
    stale = [directory / PREDICTIONS_FILE, directory / RESULTS_FILE, *directory.glob(SHARD_PATTERN)]
    if overwrite:
        if is_main:
            for path in stale:
                path.unlink(missing_ok=True)
    elif settings_path.is_file():
        try:
            previous = json.loads(settings_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InputError(f"{settings_path} is not valid JSON; rerun with --overwrite to start over") from error
        changed = [key for key in sorted(set(previous) | set(settings)) if previous.get(key) != settings.get(key)]
        if changed:
            raise UsageError(
                f"{directory} contains predictions made with different {', '.join(changed)}; "
                "rerun with --overwrite to replace them, or choose another --output-dir"
            )
    elif any(path.exists() for path in stale):
        raise UsageError(
            f"{directory} contains predictions without a {SETTINGS_FILE}; "
            "rerun with --overwrite to replace them, or choose another --output-dir"
        )
    if is_main:
        write_json_atomic(settings_path, settings)


def finished_records(directory: Path, repair: bool = False) -> dict[str, dict[str, Any]]:
    """Collect finished predictions from the main file and any shard files."""
    records = read_prediction_file(directory / PREDICTIONS_FILE, repair)
    for shard in sorted(directory.glob(SHARD_PATTERN)):
        for key, record in read_prediction_file(shard, repair).items():
            records.setdefault(key, record)
    return records


def check_inputs_match(examples: Sequence[Example], finished: dict[str, dict[str, Any]], directory: Path) -> None:
    """Reject resuming when a stored prediction's input differs from the dataset's row with that id."""
    for example in examples:
        record = finished.get(example.id)
        if record is not None and record.get("input") != example.text:
            raise UsageError(
                f"{directory / PREDICTIONS_FILE} has id {example.id!r} with a different input than the dataset; "
                "the data changed, so rerun with --overwrite or choose another --output-dir"
            )


def merge_shards(directory: Path) -> None:
    """Append shard records that the main file lacks, then delete the shard files."""
    main_path = directory / PREDICTIONS_FILE
    present = read_prediction_file(main_path, repair=True)
    for shard in sorted(directory.glob(SHARD_PATTERN)):
        new = [record for key, record in read_prediction_file(shard, repair=True).items() if key not in present]
        append_records(main_path, new)
        present.update((str(record["id"]), record) for record in new)
        shard.unlink()


# -- the loop ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessGroup:
    """This process's place among data-parallel workers; one process when not launched in parallel."""

    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def predictions_path(self, directory: Path) -> Path:
        if self.size == 1:
            return directory / PREDICTIONS_FILE
        return directory / f"predictions.rank{self.rank}.jsonl"


def run_predictions(
    examples: Sequence[Example],
    predict: Predict,
    path: Path,
    batch_size: int,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Predict ``examples`` in groups of ``batch_size``, appending each group to ``path``; return the count.

    Examples go longest first, so each group has inputs of similar length (less
    padding) and the largest batches, the likeliest to run out of memory, come first.
    """
    done = 0
    ordered = sorted(examples, key=lambda example: len(example.text), reverse=True)
    for start in range(0, len(ordered), batch_size):
        group = ordered[start : start + batch_size]
        predictions = predict(group)
        append_records(path, [prediction_record(e, p) for e, p in zip(group, predictions)])
        done += len(group)
        if on_progress:
            on_progress(len(group))
    return done


def shard(examples: Sequence[Example], group: ProcessGroup) -> list[Example]:
    """Take every ``size``-th example starting at ``rank``, so shards differ in size by at most one."""
    return list(examples[group.rank :: group.size])
