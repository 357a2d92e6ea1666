"""The steps of one ``gpttasks eval`` run: data, model, resumable predictions, scores, results.json."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gpttasks.errors import UsageError
from gpttasks.evaluation.metrics import TASK_METRICS, MetricSettings

logger = logging.getLogger("gpttasks.eval")


@dataclass
class EvalRequest:
    """Every option of a model run, as the command line gave it."""

    task: str | None
    dataset: str
    output_dir: str
    metric_settings: MetricSettings
    split: str | None = None
    pair: str | None = None
    input_column: str | None = None
    reference_column: str | None = None
    limit: int | None = None
    shuffle: bool = False
    seed: int = 0
    overwrite: bool = False
    length: str = "medium"
    template: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    fewshot_file: str | None = None
    bootstrap_samples: int = 1000
    model: str | None = None
    device: str | None = None
    dtype: str | None = None
    trust_remote_code: bool = False
    batch_size: int = 8
    decoding_flags: dict[str, Any] = field(default_factory=dict)
    fail_under: list[str] = field(default_factory=list)


def resolve_task(task: str | None, dataset: str) -> str:
    from gpttasks.evaluation.presets import PRESETS

    preset = PRESETS.get(dataset.lower())
    if task is None:
        if preset is None:
            raise UsageError(f"give --task summarize or --task translate for --dataset {dataset}")
        return preset.task
    if task not in TASK_METRICS:
        raise UsageError(f"invalid --task {task!r}; eval supports {', '.join(TASK_METRICS)}")
    return task


def run_eval(request: EvalRequest) -> dict[str, Any] | None:
    """Run the model on the dataset, resuming from OUTPUT_DIR, and return results.json's content.

    Returns None in the non-main processes of a data-parallel run.
    """
    from gpttasks.cli.common import load_handle, progress
    from gpttasks.evaluation import runner
    from gpttasks.evaluation.datasets import load_dataset_examples
    from gpttasks.evaluation.parallel import launched_process_group, wait_for_everyone
    from gpttasks.evaluation.pipelines import build_pipeline
    from gpttasks.evaluation.report import parse_bars, rows_from_records
    from gpttasks.evaluation.signature import describe_model
    from gpttasks.generation import build_decoding_options
    from gpttasks.prompts import load_template_file

    task = resolve_task(request.task, request.dataset)
    parse_bars(request.fail_under, task)
    if task == "summarize":
        from gpttasks.tasks.summarize import task_defaults

        task_defaults(request.length, is_chat=True)  # validates --length
    user_template = load_template_file(request.template) if request.template else None
    build_decoding_options(**request.decoding_flags)  # validates the flags before the model loads
    examples, dataset_info = load_dataset_examples(
        request.dataset, task=task, split=request.split, pair=request.pair, input_column=request.input_column,
        reference_column=request.reference_column, limit=request.limit, shuffle=request.shuffle, seed=request.seed,
    )

    group, state = launched_process_group(request.device)
    device = request.device
    if state is not None and device in (None, "auto"):
        # accelerate has made this process's accelerator the current device, so the
        # bare type ("cuda") places the model on it.
        device = state.device.type
    handle = load_handle(request.model, device, request.dtype, request.trust_remote_code)
    pipeline = build_pipeline(
        task, handle, request.batch_size, request.decoding_flags, length=request.length, template=user_template,
        source_lang=request.source_lang, target_lang=request.target_lang, fewshot_file=request.fewshot_file,
    )
    model_info = describe_model(handle)
    dataset_settings = {key: value for key, value in asdict(dataset_info).items() if key in ("name", "path", "config", "split", "columns")}
    run_settings = {
        "task": task,
        "dataset": dataset_settings,
        "model": {key: model_info.get(key) for key in ("name", "repo_id", "revision", "sha256")},
        "decoding": pipeline.decoding.to_dict(),
        "prompt": pipeline.settings,
    }

    directory = Path(request.output_dir)
    if group.is_main:
        directory.mkdir(parents=True, exist_ok=True)
    wait_for_everyone(state)
    runner.prepare_output_dir(directory, run_settings, request.overwrite, group.is_main)
    wait_for_everyone(state)

    finished = runner.finished_records(directory, repair=group.is_main)
    runner.check_inputs_match(examples, finished, directory)
    pending = [example for example in examples if example.id not in finished]
    if group.is_main and len(pending) < len(examples):
        logger.info("resuming: %d of %d examples already done in %s", len(examples) - len(pending), len(examples), directory)
    mine = runner.shard(pending, group)
    began = time.perf_counter()
    with progress(len(mine), f"{task} {dataset_info.name}") as advance:
        runner.run_predictions(mine, pipeline.predict, group.predictions_path(directory), request.batch_size, advance)
    wait_for_everyone(state)
    if not group.is_main:
        return None

    if group.size > 1:
        runner.merge_shards(directory)
    finished = runner.read_prediction_file(directory / runner.PREDICTIONS_FILE)
    rows = rows_from_records([finished[example.id] for example in examples], str(directory / runner.PREDICTIONS_FILE))
    timings = {
        "processes": group.size,
        "generated_examples": len(pending),
        "generated_tokens": sum(finished[example.id].get("output_tokens", 0) for example in pending),
        "seconds": time.perf_counter() - began,
    }
    timings = _add_earlier_timings(timings, directory / runner.RESULTS_FILE)
    results = build_results(task, rows, request, dataset_info, model_info, pipeline, timings)
    from gpttasks.io import write_json_atomic

    write_json_atomic(directory / runner.RESULTS_FILE, results)
    return results


def _add_earlier_timings(timings: dict[str, Any], results_path: Path) -> dict[str, Any]:
    """Add the generation counts and time of earlier completed invocations of this run.

    Examples generated by an invocation that was interrupted before it wrote
    results.json are in the predictions but not in any timing.
    """
    import json

    try:
        earlier = json.loads(results_path.read_text(encoding="utf-8")).get("timings", {})
    except (OSError, ValueError):
        return timings
    for key in ("generated_examples", "generated_tokens", "seconds"):
        if isinstance(earlier.get(key), (int, float)):
            timings[key] += earlier[key]
    return timings


def build_results(task, rows, request: EvalRequest, dataset_info, model_info, pipeline, timings: dict) -> dict:
    from gpttasks import __version__
    from gpttasks.evaluation.report import score_rows
    from gpttasks.evaluation.signature import library_versions

    scored = score_rows(task, rows, request.metric_settings, request.bootstrap_samples, request.seed)
    seconds = timings["seconds"]
    return {
        "gpttasks_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "task": task,
        "dataset": asdict(dataset_info),
        "model": model_info,
        "prompt": pipeline.settings,
        "decoding": pipeline.decoding.to_dict(),
        "batch_size": request.batch_size,
        "seed": request.seed,
        **scored,
        "library_versions": library_versions(),
        # Wall-clock generation time with all processes working, summed over invocations.
        "timings": {
            **timings,
            "seconds": round(seconds, 3),
            "examples_per_second": round(timings["generated_examples"] / seconds, 3) if seconds else None,
            "generated_tokens_per_second": round(timings["generated_tokens"] / seconds, 2) if seconds else None,
        },
    }


def score_predictions_file(
    path: str, task: str, settings: MetricSettings, bootstrap_samples: int, seed: int, output_dir: str | None
) -> dict[str, Any]:
    """Score a user's predictions JSONL with the same metric code as a model run."""
    from gpttasks import __version__
    from gpttasks.evaluation.report import read_scoring_file, score_rows
    from gpttasks.evaluation.signature import library_versions

    if task not in TASK_METRICS:
        raise UsageError(f"invalid --task {task!r}; eval supports {', '.join(TASK_METRICS)}")
    rows = read_scoring_file(path)
    results = {
        "gpttasks_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "task": task,
        "predictions_file": str(Path(path).resolve()),
        "seed": seed,
        **score_rows(task, rows, settings, bootstrap_samples, seed),
        "library_versions": library_versions(),
    }
    if output_dir is not None:
        from gpttasks.evaluation.runner import RESULTS_FILE
        from gpttasks.io import write_json_atomic

        write_json_atomic(Path(output_dir) / RESULTS_FILE, results)
    return results
