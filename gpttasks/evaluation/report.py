"""Score a finished run, build results.json, check --fail-under bars and compare two runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpttasks.errors import InputError, UsageError
from gpttasks.evaluation.metrics import (
    LOWER_IS_BETTER,
    TASK_METRICS,
    CorpusStatistics,
    MetricSettings,
    compute_metrics,
    corpus_statistics,
)
from gpttasks.evaluation.runner import PREDICTIONS_FILE, RESULTS_FILE, read_prediction_file


@dataclass(frozen=True)
class ScoredRows:
    """Predictions with their references, in dataset order, ready to score."""

    ids: list[str]
    predictions: list[str]
    references: list[str]
    target_langs: list[str | None]
    truncated: int = 0  # outputs that hit --max-new-tokens


def rows_from_records(records: Sequence[dict[str, Any]], where: str) -> ScoredRows:
    """Check prediction records (fields prediction, reference, optional target_lang) and collect them."""
    ids, predictions, references, target_langs = [], [], [], []
    truncated = 0
    for index, record in enumerate(records, start=1):
        for field in ("prediction", "reference"):
            if not isinstance(record.get(field), str):
                raise InputError(f"{where}: record {record.get('id', index)!r} has no string field {field!r}")
        ids.append(str(record.get("id", index)))
        predictions.append(record["prediction"])
        references.append(record["reference"])
        target_langs.append(record.get("target_lang") or None)
        truncated += record.get("finish_reason") == "length"
    if not ids:
        raise InputError(f"{where} contains no predictions to score")
    return ScoredRows(ids, predictions, references, target_langs, truncated)


def read_scoring_file(path: str) -> ScoredRows:
    """Read a user's JSONL of predictions and references for score-only mode."""
    from gpttasks.io import read_jsonl

    records = []
    for line, record in read_jsonl(path):
        record.setdefault("id", str(line))
        records.append(record)
    rows = rows_from_records(records, path)
    if len(set(rows.ids)) != len(rows.ids):
        duplicate = next(i for i in rows.ids if rows.ids.count(i) > 1)
        raise InputError(f"{path}: duplicate id {duplicate!r}; ids must be unique")
    return rows


def score_rows(task: str, rows: ScoredRows, settings: MetricSettings, bootstrap_samples: int, seed: int) -> dict:
    """Score ``rows`` and arrange the result as results.json's ``scores`` part."""
    metrics = compute_metrics(
        task,
        predictions=rows.predictions,
        references=rows.references,
        target_langs=rows.target_langs,
        bootstrap_samples=bootstrap_samples,
        seed=seed,
        settings=settings,
    )
    names = TASK_METRICS[task]
    return {
        "scores": {name: metrics[name] for name in names},
        "confidence_intervals": metrics.get("confidence_intervals", {}),
        "details": {key: value for key, value in metrics.items() if key.startswith(tuple(names)) and key not in names},
        "num_examples": metrics["num_examples"],
        "empty_predictions": metrics["empty_predictions"],
        "truncated_outputs": rows.truncated,
        "metric_settings": {
            "rouge_tokenizer": settings.rouge_tokenizer,
            "stemming": settings.use_stemmer,
            "bleu_tokenizer": settings.bleu_tokenizer or "from target language",
            **metrics["settings"],
        },
    }


# -- --fail-under ----------------------------------------------------------------------


def parse_bars(values: Sequence[str], task: str) -> dict[str, float]:
    """Parse ``--fail-under METRIC=VALUE`` flags."""
    bars = {}
    for value in values:
        metric, sep, number = value.partition("=")
        metric = metric.strip()
        if not sep or metric not in TASK_METRICS[task]:
            raise UsageError(
                f"invalid --fail-under {value!r}; write METRIC=VALUE with METRIC one of {', '.join(TASK_METRICS[task])}"
            )
        try:
            bars[metric] = float(number)
        except ValueError as error:
            raise UsageError(f"invalid --fail-under {value!r}: {number!r} is not a number") from error
    return bars


def failed_bars(scores: dict[str, float], bars: dict[str, float]) -> list[str]:
    """Describe each score on the wrong side of its bar; TER fails above its bar, the rest below."""
    failures = []
    for metric, bar in bars.items():
        score = scores[metric]
        if metric in LOWER_IS_BETTER and score > bar:
            failures.append(f"{metric} {score:.2f} is above {bar:g}")
        elif metric not in LOWER_IS_BETTER and score < bar:
            failures.append(f"{metric} {score:.2f} is below {bar:g}")
    return failures


# -- display ---------------------------------------------------------------------------


def score_table(results: dict[str, Any]) -> str:
    """Format the scores with their intervals as a plain-text table."""
    intervals = results.get("confidence_intervals", {})
    lines = [f"{'metric':<10} {'score':>7}  95% interval"]
    for metric, score in results["scores"].items():
        interval = intervals.get(metric)
        shown = f"[{interval['low']:.2f}, {interval['high']:.2f}]" if interval else "-"
        lines.append(f"{metric:<10} {score:>7.2f}  {shown}")
    lines.append(
        f"{results['num_examples']} examples, {results['empty_predictions']} empty predictions, "
        f"{results.get('truncated_outputs', 0)} cut at --max-new-tokens"
    )
    return "\n".join(lines)


# -- compare ---------------------------------------------------------------------------


def load_run(directory: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read a finished eval directory's results.json and predictions."""
    root = Path(directory)
    results_path = root / RESULTS_FILE
    if not results_path.is_file():
        raise InputError(f"{results_path} not found; run gpttasks eval with --output-dir {directory} first")
    try:
        results = json.loads(results_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{results_path} is not valid JSON ({error})") from error
    return results, read_prediction_file(root / PREDICTIONS_FILE)


def compare_runs(directory_a: str, directory_b: str, samples: int, seed: int) -> dict[str, Any]:
    """Score two runs on their shared examples and test each metric's difference (B minus A)."""
    from gpttasks.evaluation.bootstrap import paired_bootstrap

    results_a, records_a = load_run(directory_a)
    results_b, records_b = load_run(directory_b)
    task = results_a.get("task")
    if task != results_b.get("task") or task not in TASK_METRICS:
        raise UsageError(f"cannot compare a {task} run with a {results_b.get('task')} run")
    settings_a = _metric_settings(results_a)
    if settings_a != _metric_settings(results_b):
        raise UsageError("the runs used different metric settings; rescore one with the other's settings first")
    shared = [key for key in records_a if key in records_b]
    if not shared:
        raise InputError(f"{directory_a} and {directory_b} have no example ids in common")
    for key in shared:
        if records_a[key].get("reference") != records_b[key].get("reference"):
            raise InputError(f"example {key!r} has different references in the two runs; they used different data")

    corpora: list[CorpusStatistics] = []
    for records, where in ((records_a, directory_a), (records_b, directory_b)):
        rows = rows_from_records([records[key] for key in shared], where)
        corpora.append(
            corpus_statistics(
                task,
                predictions=rows.predictions,
                references=rows.references,
                target_langs=rows.target_langs,
                settings=settings_a,
            )
        )
    return {
        "task": task,
        "runs": {"a": directory_a, "b": directory_b},
        "models": {"a": results_a.get("model", {}).get("name"), "b": results_b.get("model", {}).get("name")},
        "shared_examples": len(shared),
        "bootstrap": {"samples": samples, "seed": seed, "test": "paired bootstrap, two-sided"},
        "metrics": paired_bootstrap(corpora[0], corpora[1], samples, seed),
    }


def _metric_settings(results: dict[str, Any]) -> MetricSettings:
    recorded = results.get("metric_settings", {})
    bleu_tokenizer = recorded.get("bleu_tokenizer")
    return MetricSettings(
        rouge_tokenizer=recorded.get("rouge_tokenizer", "unicode"),
        use_stemmer=bool(recorded.get("stemming", True)),
        bleu_tokenizer=None if bleu_tokenizer in (None, "from target language") else bleu_tokenizer,
    )


def comparison_table(comparison: dict[str, Any]) -> str:
    models = comparison["models"]
    lines = [
        f"A: {comparison['runs']['a']} ({models['a']})",
        f"B: {comparison['runs']['b']} ({models['b']})",
        f"{comparison['shared_examples']} shared examples",
        f"{'metric':<10} {'A':>7} {'B':>7} {'B-A':>7}  95% interval of B-A   p-value",
    ]
    for metric, row in comparison["metrics"].items():
        interval = f"[{row['low']:+.2f}, {row['high']:+.2f}]"
        lines.append(
            f"{metric:<10} {row['baseline']:>7.2f} {row['system']:>7.2f} {row['difference']:>+7.2f}  "
            f"{interval:<20} {row['p_value']:.4f}"
        )
    return "\n".join(lines)
