"""Load evaluation and training examples from a preset, a Hub dataset or a local file."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpttasks.errors import InputError, UsageError
from gpttasks.evaluation.columns import ColumnPlan, plan_columns, to_examples
from gpttasks.evaluation.files import Record, looks_like_local_file, read_records
from gpttasks.evaluation.presets import PRESETS, DatasetPreset
from gpttasks.hub import hub_unreachable_reason
from gpttasks.types import Example

logger = logging.getLogger(__name__)

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")


@dataclass
class DatasetInfo:
    """Description of the loaded rows for results.json, enough to load the same rows again."""

    name: str
    source: str  # "preset", "hub" or "file"
    path: str | None = None  # Hub repository id or absolute file path
    config: str | None = None
    split: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    limit: int | None = None
    shuffle: bool = False
    seed: int = 0
    num_examples: int = 0


def load_examples(
    dataset: str,
    *,
    task: str,
    split: str | None = None,
    pair: str | None = None,
    input_column: str | None = None,
    reference_column: str | None = None,
    limit: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
) -> list[Example]:
    """Load examples for ``task`` from a preset name, a Hub dataset id or a local file.

    Local files are .jsonl, .json, .csv, .tsv or .parquet. ``shuffle`` permutes the
    rows with ``numpy.random.default_rng(seed)`` before ``limit`` keeps the first N.
    """
    examples, _ = load_dataset_examples(
        dataset,
        task=task,
        split=split,
        pair=pair,
        input_column=input_column,
        reference_column=reference_column,
        limit=limit,
        shuffle=shuffle,
        seed=seed,
    )
    return examples


def load_dataset_examples(
    dataset: str,
    *,
    task: str,
    split: str | None = None,
    pair: str | None = None,
    input_column: str | None = None,
    reference_column: str | None = None,
    limit: int | None = None,
    shuffle: bool = False,
    seed: int = 0,
) -> tuple[list[Example], DatasetInfo]:
    """Do what :func:`load_examples` does and also describe what was loaded."""
    if limit is not None and limit < 1:
        raise UsageError(f"invalid --limit {limit}; must be at least 1")
    if not dataset or not dataset.strip():
        raise UsageError("empty --dataset; give a preset name, a Hub dataset id or a file path")

    preset = PRESETS.get(dataset.lower())
    if preset is not None:
        info, records, columns = _preset_records(preset, task, split, pair, limit, shuffle, seed)
        input_column = input_column or preset.input_column
        reference_column = reference_column or preset.reference_column
    elif looks_like_local_file(dataset):
        if split is not None:
            logger.warning("--split %s is ignored for the local file %s", split, dataset)
        path = str(Path(dataset).expanduser().resolve())
        info = DatasetInfo(name=Path(dataset).name, source="file", path=path)
        records = _select(read_records(dataset), limit, shuffle, seed)
        columns = list(dict.fromkeys(name for record in records for name in record.values))
    else:
        info = DatasetInfo(name=dataset, source="hub", path=dataset, split=split or "test")
        records, columns = _hub_records(dataset, None, info.split, limit, shuffle, seed)

    plan = plan_columns(
        columns, task, input_column=input_column, reference_column=reference_column, pair=pair, dataset=dataset
    )
    examples = to_examples(records, plan)
    info.columns = _describe_plan(plan)
    info.limit, info.shuffle, info.seed, info.num_examples = limit, shuffle, seed, len(examples)
    return examples, info


def _preset_records(preset: DatasetPreset, task, split, pair, limit, shuffle, seed):
    if preset.task != task:
        raise UsageError(f"--dataset {preset.name} is a {preset.task} dataset; use --task {preset.task}")
    config = preset.config
    if preset.pairs:
        config, _, _ = preset.config_for_pair(pair)
    elif pair is not None:
        raise UsageError(f"--pair applies to translation datasets, not {preset.name}")
    info = DatasetInfo(
        name=preset.name, source="preset", path=preset.repo_id, config=config, split=split or preset.split
    )
    records, columns = _hub_records(preset.repo_id, config, info.split, limit, shuffle, seed)
    return info, records, columns


def _select(records: Sequence[Any], limit: int | None, shuffle: bool, seed: int) -> list[Any]:
    """Apply --shuffle and --limit the same way to local and Hub rows."""
    indices = _row_order(len(records), limit, shuffle, seed)
    return [records[index] for index in indices]


def _row_order(size: int, limit: int | None, shuffle: bool, seed: int) -> list[int]:
    if shuffle:
        import numpy as np

        order = np.random.default_rng(seed).permutation(size).tolist()
    else:
        order = list(range(size))
    return order[:limit] if limit is not None else order


def _hub_records(repo_id: str, config: str | None, split: str, limit, shuffle, seed) -> tuple[list[Record], list[str]]:
    """Load a Hub split, offline from the cache when the Hub cannot be reached."""
    import datasets

    name = repo_id + (f" ({config})" if config else "")
    reason = hub_unreachable_reason(OFFLINE_VARIABLES)
    if reason is not None and not _is_cached(repo_id):
        raise InputError(
            f"dataset {name} is not in the local datasets cache and the Hub cannot be reached ({reason}); "
            "load it once with network access, or save the split as .jsonl, .csv or .parquet "
            "and pass that file to --dataset"
        )
    previous = datasets.config.HF_HUB_OFFLINE
    if reason is not None:
        # Go straight to the cache instead of letting datasets retry the network.
        datasets.config.HF_HUB_OFFLINE = True
    try:
        loaded = datasets.load_dataset(repo_id, config, split=split)
    except ValueError as error:
        raise InputError(f"cannot load dataset {name} split {split!r}: {str(error).splitlines()[0]}") from error
    except (ConnectionError, FileNotFoundError) as error:
        raise InputError(
            f"cannot load dataset {name} ({str(error).splitlines()[0]}); check the name, "
            "or pass a local .jsonl, .csv or .parquet file to --dataset"
        ) from error
    finally:
        datasets.config.HF_HUB_OFFLINE = previous

    indices = _row_order(len(loaded), limit, shuffle, seed)
    if indices != list(range(len(loaded))):
        loaded = loaded.select(indices)
    location = f"{name}[{split}]"
    records = [
        Record(f"{location} row {index + 1}", index + 1, row) for index, row in zip(indices, loaded)
    ]
    return records, list(loaded.column_names)


def _is_cached(repo_id: str) -> bool:
    """True when datasets has prepared this repository before (its cache layout, datasets >= 3)."""
    import datasets
    from datasets.naming import camelcase_to_snakecase

    parts = repo_id.split("/")
    parts[-1] = camelcase_to_snakecase(parts[-1])
    root = Path(datasets.config.HF_DATASETS_CACHE) / "___".join(parts)
    return any(path.is_dir() for path in root.glob("*/*/*"))


def _describe_plan(plan: ColumnPlan) -> dict[str, Any]:
    described: dict[str, Any] = {"input": plan.input, "reference": plan.reference}
    if plan.source_lang or plan.target_lang:
        described["pair"] = f"{plan.source_lang}-{plan.target_lang}"
    return described
