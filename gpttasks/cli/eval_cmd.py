"""``gpttasks eval``: run a model on a dataset, keep every prediction, report reproducible scores."""

from __future__ import annotations

import json

import typer

from gpttasks.cli import options as opt
from gpttasks.cli.common import handle_errors

DATA_PANEL = "Data"
METRICS_PANEL = "Metrics"


def register(app: typer.Typer) -> None:
    eval_app = typer.Typer(
        name="eval",
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    eval_app.callback(invoke_without_command=True)(handle_errors(evaluate))
    eval_app.command("compare")(handle_errors(compare))
    app.add_typer(eval_app, name="eval")


def evaluate(
    ctx: typer.Context,
    task: str | None = typer.Option(None, help="summarize or translate. Default: the preset's task.", show_default=False),
    dataset: str | None = typer.Option(None, help="Preset (cnn_dailymail, xsum, samsum, wmt14, wmt16, wmt18), Hub dataset id, or .jsonl/.json/.csv/.tsv/.parquet file.", rich_help_panel=DATA_PANEL, show_default=False),
    split: str | None = typer.Option(None, help="Dataset split. Default: the preset's split, else test.", rich_help_panel=DATA_PANEL, show_default=False),
    pair: str | None = typer.Option(None, help="Language pair SOURCE-TARGET, e.g. ro-en (translation datasets).", rich_help_panel=DATA_PANEL, show_default=False),
    input_column: str | None = typer.Option(None, help="Column with the input text. Default: detected from common names.", rich_help_panel=DATA_PANEL, show_default=False),
    reference_column: str | None = typer.Option(None, help="Column with the reference. Default: detected from common names.", rich_help_panel=DATA_PANEL, show_default=False),
    limit: int | None = typer.Option(None, help="Evaluate only the first N examples (after --shuffle).", rich_help_panel=DATA_PANEL, show_default=False),
    shuffle: bool = typer.Option(False, "--shuffle", help="Shuffle the examples with --seed before --limit.", rich_help_panel=DATA_PANEL),
    seed: int = typer.Option(0, help="Seed for --shuffle, sampling and the bootstrap."),
    predictions: str | None = typer.Option(None, "--predictions", help="Score this JSONL (fields prediction, reference; optional id, target_lang) without running a model.", show_default=False),
    output_dir: str | None = typer.Option(None, "--output-dir", "-o", help="Directory for predictions.jsonl, run.json and results.json. Rerunning into it resumes.", show_default=False),
    overwrite: bool = typer.Option(False, "--overwrite", help="Discard earlier predictions in --output-dir instead of resuming."),
    length: str = typer.Option("medium", help="Summary length: short, medium or long (summarize)."),
    template: str | None = typer.Option(None, help="Jinja template file for the task prompt.", show_default=False),
    source_lang: str | None = typer.Option(None, "--from", help="Source language for rows that name none (translate).", show_default=False),
    target_lang: str | None = typer.Option(None, "--to", help="Target language for rows that name none (translate).", show_default=False),
    fewshot_file: str | None = typer.Option(None, "--examples", help="JSONL of example sentence pairs for base-model translation prompts.", show_default=False),
    bootstrap_samples: int = typer.Option(1000, min=0, help="Bootstrap resamples for 95% intervals (0 = none).", rich_help_panel=METRICS_PANEL),
    rouge_tokenizer: str = typer.Option("unicode", help="unicode (CJK per character, words elsewhere) or rouge-score (ASCII only, the package default).", rich_help_panel=METRICS_PANEL),
    stemmer: bool = typer.Option(True, "--stemmer/--no-stemmer", help="Porter-stem English words for ROUGE.", rich_help_panel=METRICS_PANEL),
    bleu_tokenizer: str | None = typer.Option(None, help="sacrebleu tokenizer (13a, zh, ja-mecab, intl, char, ...). Default: from the target language.", rich_help_panel=METRICS_PANEL, show_default=False),
    fail_under: list[str] | None = typer.Option(None, "--fail-under", help="METRIC=VALUE: exit 1 when the score is below VALUE (above it for ter). Repeatable.", rich_help_panel=METRICS_PANEL, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print results.json instead of a table."),
    model: opt.Model = None,
    device: opt.Device = None,
    dtype: opt.Dtype = None,
    trust_remote_code: opt.TrustRemoteCode = False,
    batch_size: opt.BatchSize = 8,
    strategy: opt.Strategy = None,
    max_new_tokens: opt.MaxNewTokens = None,
    temperature: opt.Temperature = None,
    top_k: opt.TopK = None,
    top_p: opt.TopP = None,
    num_beams: opt.NumBeams = None,
    repetition_penalty: opt.RepetitionPenalty = None,
    no_repeat_ngram_size: opt.NoRepeatNgram = None,
    stop: opt.Stop = None,
) -> None:
    """Evaluate a model on a dataset with ROUGE (summarize) or BLEU, chrF and TER (translate).

    Every prediction is appended to OUTPUT_DIR/predictions.jsonl as soon as it
    exists, so rerunning the same command after Ctrl-C resumes. Under torchrun or
    accelerate launch the examples are split across processes.

    Examples:

      gpttasks eval --dataset cnn_dailymail --limit 100 -o runs/cnndm

      gpttasks eval --task translate --dataset wmt16 --pair ro-en -o runs/ro-en --fail-under bleu=20

      gpttasks eval --task summarize --predictions system.jsonl

      gpttasks eval compare runs/base runs/tuned
    """
    if ctx.invoked_subcommand is not None:
        return
    from gpttasks.cli.eval_run import EvalRequest, run_eval, score_predictions_file
    from gpttasks.errors import UsageError
    from gpttasks.evaluation.metrics import MetricSettings

    metric_settings = MetricSettings(rouge_tokenizer, stemmer, bleu_tokenizer).validate()
    if predictions is not None:
        if dataset is not None:
            raise UsageError("give either --dataset (run a model) or --predictions (score a file), not both")
        if task is None:
            raise UsageError("--predictions needs --task summarize or --task translate")
        results = score_predictions_file(predictions, task, metric_settings, bootstrap_samples, seed, output_dir)
    else:
        if dataset is None:
            raise UsageError("give --dataset to run a model, or --predictions FILE to score existing outputs")
        if output_dir is None:
            raise UsageError("give --output-dir DIR for the predictions and results of this run")
        flags = opt.decoding_flags(strategy, max_new_tokens, temperature, top_k, top_p, num_beams,
                                   repetition_penalty, no_repeat_ngram_size, stop, seed)
        request = EvalRequest(
            task=task, dataset=dataset, split=split, pair=pair, input_column=input_column,
            reference_column=reference_column, limit=limit, shuffle=shuffle, seed=seed, output_dir=output_dir,
            overwrite=overwrite, length=length, template=template, source_lang=source_lang,
            target_lang=target_lang, fewshot_file=fewshot_file, bootstrap_samples=bootstrap_samples,
            metric_settings=metric_settings, model=model, device=device, dtype=dtype,
            trust_remote_code=trust_remote_code, batch_size=batch_size, decoding_flags=flags,
            fail_under=list(fail_under or []),
        )
        results = run_eval(request)
        if results is None:  # a worker process of a parallel run; the main process reports
            return
    _report(results, as_json, list(fail_under or []))


def _report(results: dict, as_json: bool, fail_under: list[str]) -> None:
    from gpttasks.cli.common import fail
    from gpttasks.evaluation.report import failed_bars, parse_bars, score_table

    bars = parse_bars(fail_under, results["task"])
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        typer.echo(score_table(results))
    failures = failed_bars(results["scores"], bars)
    if failures:
        raise fail("; ".join(failures), 1)


def compare(
    run_a: str = typer.Argument(..., help="Output directory of the first (baseline) eval run."),
    run_b: str = typer.Argument(..., help="Output directory of the second eval run."),
    bootstrap_samples: int = typer.Option(1000, min=1, help="Bootstrap resamples for the paired test."),
    seed: int = typer.Option(0, help="Seed for the bootstrap resamples."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Show two eval runs side by side with a paired bootstrap test of each difference (B minus A).

    Only examples present in both runs count, and their references must match.

    Example:

      gpttasks eval compare runs/base runs/tuned --bootstrap-samples 2000
    """
    from gpttasks.evaluation.report import compare_runs, comparison_table

    comparison = compare_runs(run_a, run_b, bootstrap_samples, seed)
    typer.echo(json.dumps(comparison, indent=2) if as_json else comparison_table(comparison))
