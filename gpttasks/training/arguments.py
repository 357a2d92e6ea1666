"""Map fine-tuning settings onto transformers ``TrainingArguments``."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from gpttasks.errors import UsageError
from gpttasks.training.config import TrainSettings

logger = logging.getLogger(__name__)

# Log about 50 points of the loss curve whatever the run length (Trainer reads
# values below 1 as a fraction of the total steps).
DEFAULT_LOGGING_FRACTION = 0.02


def training_arguments(settings: TrainSettings, output_dir: Path, device: str, has_eval: bool):
    """Map the settings onto transformers ``TrainingArguments``."""
    from transformers import TrainingArguments

    metric = settings.metric_for_best if has_eval else None
    tensorboard = importlib.util.find_spec("tensorboard") is not None
    try:
        return TrainingArguments(
            output_dir=str(output_dir),
            num_train_epochs=settings.epochs,
            max_steps=settings.max_steps or -1,
            learning_rate=settings.effective_learning_rate,
            per_device_train_batch_size=settings.batch_size,
            per_device_eval_batch_size=settings.batch_size,
            gradient_accumulation_steps=settings.gradient_accumulation,
            warmup_steps=settings.warmup_ratio,
            weight_decay=settings.weight_decay,
            seed=settings.seed,
            bf16=settings.bf16,
            fp16=settings.fp16,
            gradient_checkpointing=settings.gradient_checkpointing,
            # Non-reentrant checkpointing works with frozen inputs, which LoRA has.
            gradient_checkpointing_kwargs={"use_reentrant": False} if settings.gradient_checkpointing else None,
            save_strategy="steps",
            save_steps=settings.save_steps,
            save_total_limit=settings.save_total_limit,
            eval_strategy="steps" if has_eval else "no",
            eval_steps=(settings.eval_steps or settings.save_steps) if has_eval else None,
            logging_strategy="steps",
            logging_steps=settings.logging_steps or DEFAULT_LOGGING_FRACTION,
            logging_first_step=True,
            metric_for_best_model=f"eval_{metric}" if metric else None,
            load_best_model_at_end=metric is not None,
            # NOTE: the TensorBoard path has not run here (tensorboard is not a required
            # dependency); transformers writes its logs to OUTPUT_DIR/runs/.
            report_to=["tensorboard"] if tensorboard else "none",
            disable_tqdm=True,
            use_cpu=device == "cpu",
            label_names=["labels"],
            remove_unused_columns=False,
            ddp_find_unused_parameters=False,
        )
    except ValueError as error:
        raise UsageError(f"invalid training settings: {error}") from error


def check_precision(settings: TrainSettings, device: str) -> None:
    """Reject mixed precision the training device cannot run."""
    import torch

    if settings.fp16 and device != "cuda":
        raise UsageError(f"--fp16 needs a CUDA GPU, but training runs on {device}; use --bf16 or neither")
    if settings.bf16 and device == "cuda" and not torch.cuda.is_bf16_supported():
        raise UsageError("--bf16 is not supported by this GPU; use --fp16")
    if settings.bf16 and device == "cpu":
        logger.warning("--bf16 on CPU is much slower than float32 unless the CPU supports AMX/AVX512-BF16")
