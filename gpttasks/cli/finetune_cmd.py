"""``gpttasks finetune``: adapt a model to a task with the transformers Trainer (full or LoRA)."""

from __future__ import annotations

import typer

from gpttasks.cli import options as opt
from gpttasks.cli.common import handle_errors
from gpttasks.training.config import TrainSettings

DATA_PANEL = "Data"
TRAINING_PANEL = "Training"
LORA_PANEL = "LoRA"
EVAL_PANEL = "Evaluation and checkpoints"
_DEFAULTS = TrainSettings()


def register(app: typer.Typer) -> None:
    app.command("finetune")(handle_errors(finetune))


def finetune(
    ctx: typer.Context,
    task: str | None = typer.Option(None, help="summarize, translate, chat or generate.", rich_help_panel=DATA_PANEL, show_default=False),
    dataset: str | None = typer.Option(None, help="Local .jsonl/.json/.csv/.tsv/.parquet file or a dataset preset.", rich_help_panel=DATA_PANEL, show_default=False),
    split: str | None = typer.Option(None, help="Training split of a preset or Hub dataset (default: train).", rich_help_panel=DATA_PANEL, show_default=False),
    eval_split: str | None = typer.Option(None, help="Split to evaluate on, e.g. validation.", rich_help_panel=DATA_PANEL, show_default=False),
    eval_ratio: float = typer.Option(_DEFAULTS.eval_ratio, help="Share of the training rows held out for evaluation, in [0, 1).", rich_help_panel=DATA_PANEL),
    input_column: str | None = typer.Option(None, help="Column with the input text (or the messages for chat).", rich_help_panel=DATA_PANEL, show_default=False),
    reference_column: str | None = typer.Option(None, help="Column with the answer to learn (summary, translation).", rich_help_panel=DATA_PANEL, show_default=False),
    pair: str | None = typer.Option(None, help="Language pair for translate, e.g. en-de.", rich_help_panel=DATA_PANEL, show_default=False),
    limit: int | None = typer.Option(None, help="Use only the first N training rows.", rich_help_panel=DATA_PANEL, show_default=False),
    length: str = typer.Option(_DEFAULTS.length, help="Summary length the summarize prompt asks for: short, medium or long.", rich_help_panel=DATA_PANEL),
    template: str | None = typer.Option(None, help="Jinja prompt template file for summarize or translate; recorded with the model.", rich_help_panel=DATA_PANEL, show_default=False),
    max_length: int | None = typer.Option(None, help="Maximum tokens per training row (default: the context length, at most 1024).", rich_help_panel=DATA_PANEL, show_default=False),
    drop_long: bool = typer.Option(_DEFAULTS.drop_long, "--drop-long", help="Drop rows longer than --max-length instead of truncating their input.", rich_help_panel=DATA_PANEL),
    loss_on: str = typer.Option(_DEFAULTS.loss_on, help="answer: loss on the answer and EOS only; all: on the prompt too.", rich_help_panel=DATA_PANEL),
    output_dir: str | None = typer.Option(None, "--output-dir", "-o", help="Directory for checkpoints, the final model and the report.", show_default=False),
    epochs: float = typer.Option(_DEFAULTS.epochs, help="Passes over the training rows (ignored with --max-steps).", rich_help_panel=TRAINING_PANEL),
    max_steps: int | None = typer.Option(None, help="Optimizer steps to train; overrides --epochs.", rich_help_panel=TRAINING_PANEL, show_default=False),
    learning_rate: float | None = typer.Option(None, help="Peak learning rate (default: 5e-5, or 2e-4 with --lora).", rich_help_panel=TRAINING_PANEL, show_default=False),
    batch_size: int = typer.Option(_DEFAULTS.batch_size, help="Rows per device per forward pass.", rich_help_panel=TRAINING_PANEL),
    gradient_accumulation: int = typer.Option(_DEFAULTS.gradient_accumulation, help="Forward passes per optimizer step.", rich_help_panel=TRAINING_PANEL),
    warmup_ratio: float = typer.Option(_DEFAULTS.warmup_ratio, help="Share of the steps with a linear learning-rate warmup.", rich_help_panel=TRAINING_PANEL),
    weight_decay: float = typer.Option(_DEFAULTS.weight_decay, help="AdamW weight decay.", rich_help_panel=TRAINING_PANEL),
    seed: int = typer.Option(_DEFAULTS.seed, help="Random seed for initialisation, shuffling and dropout.", rich_help_panel=TRAINING_PANEL),
    bf16: bool = typer.Option(_DEFAULTS.bf16, "--bf16", help="bfloat16 mixed precision (GPUs with bfloat16, or recent CPUs).", rich_help_panel=TRAINING_PANEL),
    fp16: bool = typer.Option(_DEFAULTS.fp16, "--fp16", help="float16 mixed precision (CUDA only).", rich_help_panel=TRAINING_PANEL),
    gradient_checkpointing: bool = typer.Option(_DEFAULTS.gradient_checkpointing, "--gradient-checkpointing", help="Recompute activations in the backward pass to save memory.", rich_help_panel=TRAINING_PANEL),
    lora: bool = typer.Option(_DEFAULTS.lora, "--lora", help="Train LoRA adapters instead of all weights.", rich_help_panel=LORA_PANEL),
    lora_r: int = typer.Option(_DEFAULTS.lora_r, help="LoRA rank.", rich_help_panel=LORA_PANEL),
    lora_alpha: int = typer.Option(_DEFAULTS.lora_alpha, help="LoRA scaling numerator (the update is scaled by alpha / r).", rich_help_panel=LORA_PANEL),
    lora_dropout: float = typer.Option(_DEFAULTS.lora_dropout, help="Dropout on the LoRA input.", rich_help_panel=LORA_PANEL),
    lora_target_modules: list[str] | None = typer.Option(None, help="Layer names to adapt; repeatable or comma-separated (default: c_attn for GPT-2, q/k/v/o_proj for Llama-style).", rich_help_panel=LORA_PANEL, show_default=False),
    merge_lora: bool = typer.Option(_DEFAULTS.merge_lora, "--merge-lora", help="Save the final model with the adapters merged into the weights.", rich_help_panel=LORA_PANEL),
    save_steps: int = typer.Option(_DEFAULTS.save_steps, help="Save a checkpoint every N steps (and at the end).", rich_help_panel=EVAL_PANEL),
    save_total_limit: int | None = typer.Option(None, help="Keep at most N checkpoints (the best one is always kept).", rich_help_panel=EVAL_PANEL, show_default=False),
    eval_steps: int | None = typer.Option(None, help="Evaluate every N steps (default: --save-steps).", rich_help_panel=EVAL_PANEL, show_default=False),
    logging_steps: int | None = typer.Option(None, help="Log the loss every N steps (default: about 50 points per run).", rich_help_panel=EVAL_PANEL, show_default=False),
    eval_generate: int = typer.Option(_DEFAULTS.eval_generate, help="Eval examples to generate for ROUGE (summarize) or BLEU/chrF (translate) at each evaluation; 0 = off.", rich_help_panel=EVAL_PANEL),
    metric_for_best: str | None = typer.Option(None, help="Keep the best checkpoint by loss, rouge1/rouge2/rougeL/rougeLsum or bleu/chrf.", rich_help_panel=EVAL_PANEL, show_default=False),
    resume: bool = typer.Option(_DEFAULTS.resume, "--resume", help="Continue from the latest checkpoint in --output-dir.", rich_help_panel=EVAL_PANEL),
    overwrite: bool = typer.Option(_DEFAULTS.overwrite, "--overwrite", help="Delete an earlier run in --output-dir first.", rich_help_panel=EVAL_PANEL),
    config: str | None = typer.Option(None, "--config", help="YAML file with any of these options (names with - or _); flags override it.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the training report as one JSON object."),
    model: opt.Model = None,
    device: opt.Device = None,
    dtype: str | None = typer.Option(None, help="Weight dtype: float32 (default), bfloat16 or float16.", rich_help_panel=opt.MODEL_PANEL, show_default=False),
    trust_remote_code: opt.TrustRemoteCode = False,
) -> None:
    """Fine-tune a causal LM for a task with the same prompts the task command uses.

    Checkpoints, the final model, gpttasks.json (task, template, model kind), a loss
    curve PNG and training_report.json go to --output-dir; pass that directory to
    --model of summarize, translate, chat or eval. Runs data-parallel under torchrun
    or accelerate launch. Ctrl-C saves a checkpoint; --resume continues from it.

    Examples:

      gpttasks finetune --task summarize --dataset train.jsonl -o out/ --lora --max-steps 200

      gpttasks finetune --config finetune.yaml --learning-rate 1e-4

      torchrun --nproc_per_node 2 -m gpttasks finetune --task translate --dataset pairs.jsonl --pair en-de -o out/
    """
    import json
    import sys

    from gpttasks.cli.common import quiet_libraries
    from gpttasks.training.config import merge_settings, read_yaml_config, setting_names
    from gpttasks.training.run import run_finetune

    flags = {name: ctx.params[name] for name in setting_names() if _given_on_command_line(ctx, name)}
    if "lora_target_modules" in flags:
        flags["lora_target_modules"] = _split_commas(flags["lora_target_modules"])
    settings = merge_settings(read_yaml_config(config) if config else {}, flags)

    quiet_libraries()
    _quiet_other_workers()
    report = run_finetune(settings)
    if not report.is_main_process:
        raise typer.Exit(130 if report.interrupted else 0)
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(report.lines()) + "\n")
    sys.stdout.flush()
    if report.interrupted:
        raise typer.Exit(130)


def _given_on_command_line(ctx: typer.Context, name: str) -> bool:
    # Compared by name: Typer ships its own copy of click, so click's enum is another class.
    source = ctx.get_parameter_source(name)
    return source is not None and source.name in {"COMMANDLINE", "ENVIRONMENT"}


def _quiet_other_workers() -> None:
    """Leave progress and notices to the main process of a distributed run; errors still show."""
    import logging
    import os

    if os.environ.get("RANK", "0") != "0":
        logging.getLogger("gpttasks").setLevel(logging.ERROR)


def _split_commas(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]
