"""One fine-tuning run: data, model, LoRA, Trainer, final save, metadata and report."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from gpttasks.errors import UsageError
from gpttasks.training.arguments import check_precision, training_arguments
from gpttasks.training.config import GENERATION_METRICS, TrainSettings
from gpttasks.training.outputdir import check_output_dir, check_resume_schedule, clear_previous_run
from gpttasks.training.report import REPORT_FILE, TrainingReport
from gpttasks.types import Example

logger = logging.getLogger(__name__)

# The usual causal-LM block size cap (as in the transformers language-modeling
# examples), so a long-context model does not pad batches to thousands of tokens.
DEFAULT_MAX_LENGTH_CAP = 1024


def run_finetune(
    settings: TrainSettings,
    train_examples: Sequence[Example] | None = None,
    eval_examples: Sequence[Example] | None = None,
) -> TrainingReport:
    """Fine-tune with ``settings``; examples are loaded from ``settings.dataset`` unless given."""
    from transformers import set_seed

    from gpttasks.config import DEFAULT_MODEL, resolve_setting
    from gpttasks.modeling.device import resolve_device_and_dtype
    from gpttasks.prompts import load_template_file
    from gpttasks.training.data import load_train_eval

    settings.validate()
    # The model and device fall back to GPTTASKS_MODEL/GPTTASKS_DEVICE and the config
    # file, as in every other command.
    settings.model = resolve_setting(settings.model, "GPTTASKS_MODEL", "model", DEFAULT_MODEL)
    settings.device = resolve_setting(settings.device, "GPTTASKS_DEVICE", "device", "auto")
    output_dir = Path(settings.output_dir).expanduser()
    resume_from = check_output_dir(output_dir, settings.resume, settings.overwrite)
    if resume_from is not None:
        check_resume_schedule(resume_from, settings.max_steps, settings.epochs)
    device, dtype = resolve_device_and_dtype(settings.device, settings.dtype or "float32")
    check_precision(settings, device)
    template = load_template_file(settings.template) if settings.template else None
    if train_examples is None:
        train_examples, eval_examples = load_train_eval(settings)
    train_examples, eval_examples = list(train_examples), list(eval_examples or [])

    args = training_arguments(settings, output_dir, device, has_eval=bool(eval_examples))
    if settings.overwrite and args.should_save:
        clear_previous_run(output_dir)
    set_seed(settings.seed)
    with args.main_process_first(desc="loading the model"):
        handle = _load(settings, dtype)
    return _train(settings, args, handle, template, train_examples, eval_examples, resume_from)


def _train(settings, args, handle, template, train_examples, eval_examples, resume_from) -> TrainingReport:
    from transformers.trainer_callback import PrinterCallback

    from gpttasks.training.callbacks import CheckpointMetadata, InterruptCheckpoint, ProgressLogger
    from gpttasks.training.features import CausalLMCollator, FeatureDataset, build_features
    from gpttasks.training.lora import apply_lora, count_parameters
    from gpttasks.training.metadata import build_metadata, languages_of
    from gpttasks.training.prompting import TaskPrompter
    from gpttasks.training.trainer import GpttasksTrainer

    # save_pretrained in transformers 5.25 writes only constructor arguments, so the
    # left padding that generation needs is stored there to travel with the model.
    handle.tokenizer.init_kwargs["padding_side"] = handle.tokenizer.padding_side
    prompter = TaskPrompter(handle, settings.task, settings.length, template, batch_size=settings.batch_size)
    max_length = settings.max_length or min(handle.context_length, DEFAULT_MAX_LENGTH_CAP)
    if max_length > handle.context_length:
        raise UsageError(
            f"invalid --max-length {max_length}: the model's context is {handle.context_length} tokens"
        )
    train_rows, stats = build_features(train_examples, prompter, max_length, settings.loss_on, settings.drop_long)
    logger.info("training data: %s", stats.describe())
    eval_rows = []
    if eval_examples:
        eval_rows, eval_stats = build_features(
            eval_examples, prompter, max_length, settings.loss_on, settings.drop_long
        )
        logger.info("eval data: %s", eval_stats.describe())

    model = handle.model
    if settings.lora:
        model = apply_lora(model, settings.lora_r, settings.lora_alpha, settings.lora_dropout,
                           settings.lora_target_modules)
    model.train()
    trainable, total = count_parameters(model)
    estimate = _log_memory_estimate(settings, handle, model, trainable, total, train_rows)

    metadata = build_metadata(
        base_model=settings.model,
        base_model_source=handle.spec.describe(),
        task=settings.task,
        template_kind="chat" if handle.is_chat else "base",
        template=prompter.template_record(),
        languages=languages_of(train_examples),
        settings=settings.to_dict() | {"learning_rate": settings.effective_learning_rate, "max_length": max_length},
        adapter="lora" if settings.lora else None,
    )
    scorer = _scorer(settings, handle, model, args, eval_examples)
    interrupt = InterruptCheckpoint()
    trainer = GpttasksTrainer(
        model=model,
        args=args,
        train_dataset=FeatureDataset(train_rows),
        eval_dataset=FeatureDataset(eval_rows) if eval_rows else None,
        data_collator=CausalLMCollator(handle.tokenizer.pad_token_id),
        processing_class=handle.tokenizer,
        callbacks=[ProgressLogger(), interrupt, CheckpointMetadata(metadata)],
        scorer=scorer,
    )
    # With tqdm disabled the Trainer prints every log dict to stdout, which carries only results.
    trainer.remove_callback(PrinterCallback)
    if resume_from is not None:
        logger.info("resuming from %s", resume_from)
    started = time.perf_counter()
    interrupt.install()
    try:
        result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    finally:
        interrupt.uninstall()
    seconds = time.perf_counter() - started
    state = trainer.state
    interrupted = interrupt.stopped_at is not None and state.global_step < state.max_steps

    output_dir = Path(args.output_dir)
    if trainer.is_world_process_zero() and not interrupted:
        _save_final(trainer, settings, handle, output_dir, metadata)
    report = _report(
        settings, handle, trainer, result, seconds, stats, len(eval_rows), estimate, resume_from, interrupted
    )
    if trainer.is_world_process_zero():
        _write_report_files(report, state.log_history, output_dir, settings.task)
    report.is_main_process = trainer.is_world_process_zero()
    return report


def _load(settings: TrainSettings, dtype: str):
    from gpttasks.modeling import load_model, resolve_model_spec

    spec = resolve_model_spec(settings.model)
    # Load on the CPU; the Trainer moves the model to the training device.
    return load_model(spec, device="cpu", dtype=dtype, trust_remote_code=settings.trust_remote_code)


def _log_memory_estimate(settings, handle, model, trainable, total, rows):
    from gpttasks.training.memory import estimate_training_memory, model_shape

    hidden, layers, heads = model_shape(handle.model)
    estimate = estimate_training_memory(
        total_parameters=total,
        trainable_parameters=trainable,
        weight_dtype=handle.dtype,
        batch_size=settings.batch_size,
        sequence_length=max(len(row["input_ids"]) for row in rows),
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        gradient_checkpointing=settings.gradient_checkpointing,
    )
    method = "LoRA" if settings.lora else "full fine-tuning"
    logger.info(
        "%s: %s of %s parameters trainable; estimated memory per process %s",
        method, f"{trainable:,}", f"{total:,}", estimate.describe(),
    )
    return estimate


def _scorer(settings, handle, model, args, eval_examples):
    from gpttasks.training.prompting import TaskPrompter
    from gpttasks.training.trainer import GenerationScorer

    if not eval_examples or settings.eval_generate == 0 or settings.task not in GENERATION_METRICS:
        return None
    scored = [example for example in eval_examples if example.reference][: settings.eval_generate]
    if not scored:
        return None
    # The scorer generates with the model being trained, wherever the Trainer puts it.
    training_handle = dataclasses.replace(handle, model=model, device=str(args.device))
    prompter = TaskPrompter(training_handle, settings.task, settings.length,
                            _template_of(settings), batch_size=settings.batch_size)
    return GenerationScorer(prompter, scored)


def _template_of(settings):
    from gpttasks.prompts import load_template_file

    return load_template_file(settings.template) if settings.template else None


def _save_final(trainer, settings, handle, output_dir: Path, metadata) -> None:
    from gpttasks.training.metadata import write_metadata

    state = trainer.state
    if settings.merge_lora:
        merged = trainer.model.merge_and_unload()
        merged.save_pretrained(output_dir)
        handle.tokenizer.save_pretrained(output_dir)
        write_metadata(output_dir, metadata, adapter="merged-lora", global_step=state.global_step)
    else:
        # NOTE: adapter_config.json names the base model by its load path, which for
        # smollm2 is the converted copy in the gpttasks cache. Clearing that copy breaks
        # loading the adapter, and --merge-lora avoids this.
        trainer.save_model(str(output_dir))
        write_metadata(output_dir, metadata, global_step=state.global_step)
    logger.info("saved the %s model to %s", "merged" if settings.merge_lora else "final", output_dir)


def _report(settings, handle, trainer, result, seconds, stats, eval_rows, estimate, resume_from, interrupted):
    from gpttasks.training.report import final_scores, last_value, peak_memory

    state = trainer.state
    history = state.log_history
    runtime = result.metrics.get("train_runtime", seconds)
    done = state.global_step - _initial_step(resume_from)
    memory, kind = peak_memory(str(trainer.args.device))
    return TrainingReport(
        output_dir=str(trainer.args.output_dir),
        task=settings.task,
        base_model=settings.model,
        method=_method_name(settings),
        global_step=state.global_step,
        max_steps=state.max_steps,
        epochs=float(state.epoch or 0.0),
        train_rows=stats.kept,
        eval_rows=eval_rows,
        seconds=round(seconds, 2),
        seconds_per_step=round(runtime / done, 4) if done > 0 else None,
        train_loss=last_value(history, "loss"),
        eval_loss=last_value(history, "eval_loss"),
        scores=final_scores(history, GENERATION_METRICS.get(settings.task, ())),
        best_checkpoint=state.best_model_checkpoint,
        resumed_from=str(resume_from) if resume_from else None,
        interrupted=interrupted,
        last_checkpoint=str(Path(trainer.args.output_dir) / f"checkpoint-{state.global_step}"),
        peak_memory_mib=round(memory, 1),
        peak_memory_kind=kind,
        memory_estimate_mib=round(estimate.total / 2**20, 1),
        data=stats.to_dict(),
    )


def _method_name(settings: TrainSettings) -> str:
    if not settings.lora:
        return "full"
    return "lora-merged" if settings.merge_lora else "lora"


def _initial_step(resume_from: Path | None) -> int:
    if resume_from is None:
        return 0
    return int(resume_from.name.rsplit("-", 1)[-1])


def _write_report_files(report: TrainingReport, history, output_dir: Path, task: str) -> None:
    from gpttasks.io import write_json_atomic
    from gpttasks.training.report import PLOT_FILE, plot_curves

    plot = plot_curves(history, output_dir / PLOT_FILE, GENERATION_METRICS.get(task, ()))
    report.plot = str(plot) if plot else None
    write_json_atomic(output_dir / REPORT_FILE, {**report.to_dict(), "log_history": history})
