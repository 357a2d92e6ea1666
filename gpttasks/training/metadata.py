"""The ``gpttasks.json`` file that records how a fine-tuned model was trained, for every command that loads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpttasks import __version__
from gpttasks.io import write_json_atomic
from gpttasks.modeling.load import METADATA_FILE

METADATA_FORMAT = 1
# Settings worth keeping with the model; paths of the run itself are left out.
RECORDED_SETTINGS = (
    "epochs", "max_steps", "learning_rate", "batch_size", "gradient_accumulation", "warmup_ratio",
    "weight_decay", "max_length", "loss_on", "seed", "bf16", "fp16", "gradient_checkpointing",
    "lora", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "merge_lora", "length",
    "dataset", "split", "eval_split", "eval_ratio", "limit",
)


def build_metadata(
    *,
    base_model: str,
    base_model_source: str,
    task: str,
    template_kind: str,
    template: dict[str, str] | None,
    languages: list[str],
    settings: dict[str, Any],
    adapter: str | None,
) -> dict[str, Any]:
    """Collect what inference needs (task, template, model kind) and what the run used."""
    training = {key: settings.get(key) for key in RECORDED_SETTINGS}
    return {
        "format": METADATA_FORMAT,
        "created_by": f"gpttasks {__version__} finetune",
        "base_model": base_model,
        "base_model_source": base_model_source,
        "task": task,
        "template_kind": template_kind,
        "template": template,
        "length": settings.get("length"),
        "languages": languages,
        "adapter": adapter,
        "training": training,
    }


def write_metadata(directory: str | Path, metadata: dict[str, Any], **extra: Any) -> Path:
    """Write ``gpttasks.json`` into ``directory`` atomically, with ``extra`` keys added."""
    path = Path(directory) / METADATA_FILE
    write_json_atomic(path, {**metadata, **extra})
    return path


def languages_of(examples) -> list[str]:
    """Return the sorted ``source-target`` pairs that occur in translation examples."""
    pairs = {
        f"{example.source_lang}-{example.target_lang}"
        for example in examples
        if example.source_lang and example.target_lang
    }
    return sorted(pairs)
