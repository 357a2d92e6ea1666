"""Fine-tuning settings: one dataclass, filled from defaults, then a YAML file, then command-line flags."""

from __future__ import annotations

import types
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from gpttasks.errors import UsageError

TASKS = ("summarize", "translate", "chat", "generate")
LOSS_ON = ("answer", "all")
# Scores that generation during evaluation produces, by task; "loss" is the eval loss.
GENERATION_METRICS = {
    "summarize": ("rouge1", "rouge2", "rougeL", "rougeLsum"),
    "translate": ("bleu", "chrf"),
}
DEFAULT_LEARNING_RATE = 5e-5
# LoRA trains few parameters from a zero-initialised update, so it needs a larger step
# size than full fine-tuning; 2e-4 is the value the PEFT examples use for causal LMs.
DEFAULT_LORA_LEARNING_RATE = 2e-4


@dataclass
class TrainSettings:
    """Every setting of ``gpttasks finetune``; field names are the flag names with underscores."""

    # Data
    task: str | None = None
    dataset: str | None = None
    split: str | None = None
    eval_split: str | None = None
    eval_ratio: float = 0.0
    input_column: str | None = None
    reference_column: str | None = None
    pair: str | None = None
    limit: int | None = None
    length: str = "medium"
    template: str | None = None
    max_length: int | None = None
    drop_long: bool = False
    loss_on: str = "answer"
    # Model
    model: str | None = None
    device: str | None = None
    dtype: str | None = None
    trust_remote_code: bool = False
    # Trainer
    output_dir: str | None = None
    epochs: float = 3.0
    max_steps: int | None = None
    learning_rate: float | None = None
    batch_size: int = 8
    gradient_accumulation: int = 1
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    seed: int = 42
    bf16: bool = False
    fp16: bool = False
    gradient_checkpointing: bool = False
    save_steps: int = 500
    save_total_limit: int | None = None
    eval_steps: int | None = None
    logging_steps: int | None = None
    eval_generate: int = 8
    metric_for_best: str | None = None
    # LoRA
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    lora_target_modules: list[str] | None = field(default=None)
    merge_lora: bool = False
    # Run
    resume: bool = False
    overwrite: bool = False

    @property
    def effective_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return DEFAULT_LORA_LEARNING_RATE if self.lora else DEFAULT_LEARNING_RATE

    @property
    def has_eval_set(self) -> bool:
        return bool(self.eval_split) or self.eval_ratio > 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> TrainSettings:
        """Raise :class:`UsageError` naming the first invalid flag; return self."""
        if self.task is None:
            raise UsageError(f"missing --task; choose one of {', '.join(TASKS)}")
        if self.task not in TASKS:
            raise UsageError(f"invalid --task {self.task!r}; choose one of {', '.join(TASKS)}")
        if not self.dataset:
            raise UsageError("missing --dataset; give a .jsonl/.json/.csv/.tsv/.parquet file or a preset name")
        if not self.output_dir:
            raise UsageError("missing --output-dir; give the directory for checkpoints and the final model")
        if self.loss_on not in LOSS_ON:
            raise UsageError(f"invalid --loss-on {self.loss_on!r}; choose answer or all")
        self._check_ranges()
        self._check_combinations()
        return self

    def _check_ranges(self) -> None:
        checks = [
            (self.epochs > 0, f"--epochs {self.epochs}: must be greater than 0"),
            (self.max_steps is None or self.max_steps >= 1, f"--max-steps {self.max_steps}: must be at least 1"),
            (self.learning_rate is None or self.learning_rate > 0,
             f"--learning-rate {self.learning_rate}: must be greater than 0"),
            (self.batch_size >= 1, f"--batch-size {self.batch_size}: must be at least 1"),
            (self.gradient_accumulation >= 1,
             f"--gradient-accumulation {self.gradient_accumulation}: must be at least 1"),
            (0 <= self.warmup_ratio < 1, f"--warmup-ratio {self.warmup_ratio}: must be in [0, 1)"),
            (self.weight_decay >= 0, f"--weight-decay {self.weight_decay}: must be 0 or more"),
            (0 <= self.eval_ratio < 1, f"--eval-ratio {self.eval_ratio}: must be in [0, 1)"),
            (self.limit is None or self.limit >= 1, f"--limit {self.limit}: must be at least 1"),
            (self.max_length is None or self.max_length >= 8, f"--max-length {self.max_length}: must be at least 8"),
            (self.save_steps >= 1, f"--save-steps {self.save_steps}: must be at least 1"),
            (self.save_total_limit is None or self.save_total_limit >= 1,
             f"--save-total-limit {self.save_total_limit}: must be at least 1"),
            (self.eval_steps is None or self.eval_steps >= 1, f"--eval-steps {self.eval_steps}: must be at least 1"),
            (self.logging_steps is None or self.logging_steps >= 1,
             f"--logging-steps {self.logging_steps}: must be at least 1"),
            (self.eval_generate >= 0, f"--eval-generate {self.eval_generate}: must be 0 (off) or more"),
            (self.lora_r >= 1, f"--lora-r {self.lora_r}: must be at least 1"),
            (self.lora_alpha >= 1, f"--lora-alpha {self.lora_alpha}: must be at least 1"),
            (0 <= self.lora_dropout < 1, f"--lora-dropout {self.lora_dropout}: must be in [0, 1)"),
        ]
        for ok, message in checks:
            if not ok:
                raise UsageError(f"invalid {message}")

    def _check_combinations(self) -> None:
        if self.eval_split and self.eval_ratio > 0:
            raise UsageError("give either --eval-split or --eval-ratio, not both")
        if self.bf16 and self.fp16:
            raise UsageError("give either --bf16 or --fp16, not both")
        if self.merge_lora and not self.lora:
            raise UsageError("--merge-lora needs --lora")
        if self.lora_target_modules is not None and not self.lora:
            raise UsageError("--lora-target-modules needs --lora")
        if self.resume and self.overwrite:
            raise UsageError("give either --resume or --overwrite, not both")
        if self.task == "translate" and self.pair is not None and "-" not in self.pair:
            raise UsageError(f"invalid --pair {self.pair!r}; use source-target language codes such as en-de")
        if self.metric_for_best is not None:
            allowed = ("loss", *GENERATION_METRICS.get(self.task, ()))
            if self.metric_for_best not in allowed:
                raise UsageError(
                    f"invalid --metric-for-best {self.metric_for_best!r} for task {self.task}; "
                    f"choose one of {', '.join(allowed)}"
                )
            if not self.has_eval_set:
                raise UsageError("--metric-for-best needs an eval set; add --eval-split or --eval-ratio")
            if self.metric_for_best != "loss" and self.eval_generate == 0:
                raise UsageError(
                    f"--metric-for-best {self.metric_for_best} needs generation during evaluation; "
                    "set --eval-generate to 1 or more"
                )
            eval_steps = self.eval_steps or self.save_steps
            if self.save_steps % eval_steps:
                raise UsageError(
                    f"--save-steps {self.save_steps} must be a multiple of --eval-steps {eval_steps} "
                    "so that the best checkpoint is saved when it is evaluated"
                )


def setting_names() -> list[str]:
    return [f.name for f in fields(TrainSettings)]


def read_yaml_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping of settings; keys may use dashes or underscores.

    Every value is checked against the setting's type, so a typo in a key or a
    string where a number belongs fails before any model is loaded.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UsageError(f"config file not found: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read config file {path}: {error}") from error
    except yaml.YAMLError as error:
        raise UsageError(f"invalid YAML in {path}: {str(error).splitlines()[0]}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must be a mapping of option names to values")

    types_by_name = typing.get_type_hints(TrainSettings)
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in types_by_name:
            raise UsageError(
                f"unknown option {raw_key!r} in {path}; valid options are "
                f"{', '.join(name.replace('_', '-') for name in setting_names())}"
            )
        values[key] = _coerce(value, types_by_name[key], f"{raw_key} in {path}")
    return values


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against a field annotation such as ``int | None`` or ``list[str] | None``."""
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    if value is None:
        if type(None) in options:
            return None
        raise UsageError(f"invalid value null for {where}; give a value")
    for option in options:
        if option is bool and isinstance(value, bool):
            return value
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is float and isinstance(value, str):
            # PyYAML reads 2e-4 (no dot) as a string; accept any number written that way.
            try:
                return float(value)
            except ValueError:
                continue
        if option is str and isinstance(value, str):
            return value
        if typing.get_origin(option) is list:
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return value
    expected = " or ".join(_type_name(option) for option in options if option is not type(None))
    raise UsageError(f"invalid value {value!r} for {where}; expected {expected}")


def _type_name(option: Any) -> str:
    if typing.get_origin(option) is list:
        return "a list of strings"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(option, str(option))


def merge_settings(file_values: dict[str, Any], flag_values: dict[str, Any]) -> TrainSettings:
    """Build settings from defaults, then the config file, then the flags given on the command line."""
    merged = {**file_values, **flag_values}
    return TrainSettings(**merged).validate()
