"""Pick a dataset's input and reference columns and turn its rows into examples."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gpttasks.errors import InputError, UsageError
from gpttasks.evaluation.files import Record
from gpttasks.evaluation.presets import parse_pair
from gpttasks.types import Example

TASKS = ("summarize", "translate", "chat", "generate")
ID_COLUMNS = ("id", "guid", "example_id")
# Candidate column names in order of preference, per task.
INPUT_COLUMNS = {
    "summarize": ("document", "article", "dialogue", "text", "source", "input"),
    "translate": ("source", "src", "input", "text"),
    "generate": ("text", "prompt", "input", "document"),
}
REFERENCE_COLUMNS = {
    "summarize": ("summary", "highlights", "target", "reference", "output"),
    "translate": ("target", "tgt", "reference", "output"),
}
TRANSLATION_COLUMN = "translation"  # {"de": "...", "en": "..."}, as in the WMT datasets
MESSAGES_COLUMN = "messages"


@dataclass(frozen=True)
class ColumnPlan:
    """Column choice for one dataset; ``translation`` marks a column of per-language texts."""

    task: str
    input: str | None
    reference: str | None
    translation: bool = False
    source_lang: str | None = None
    target_lang: str | None = None


def plan_columns(
    columns: Iterable[str],
    task: str,
    *,
    input_column: str | None = None,
    reference_column: str | None = None,
    pair: str | None = None,
    dataset: str,
) -> ColumnPlan:
    """Choose columns from the flags or from common names; ``dataset`` names the data in errors."""
    if task not in TASKS:
        raise UsageError(f"invalid task {task!r}; choose one of {', '.join(TASKS)}")
    available = list(dict.fromkeys(columns))
    shown = ", ".join(available) or "none"
    source_lang, target_lang = parse_pair(pair) if pair else (None, None)

    for flag, name in (("--input-column", input_column), ("--reference-column", reference_column)):
        if name is not None and name not in available:
            raise InputError(f"{flag} {name!r} is not a column of {dataset}; columns: {shown}")

    if task == "chat":
        column = input_column or MESSAGES_COLUMN
        if column not in available:
            raise InputError(f"{dataset} has no {MESSAGES_COLUMN!r} column for chat; columns: {shown}")
        return ColumnPlan(task, column, None)

    if task == "translate" and input_column is None and TRANSLATION_COLUMN in available:
        return ColumnPlan(task, TRANSLATION_COLUMN, None, True, source_lang, target_lang)

    chosen_input = input_column or _first_present(INPUT_COLUMNS[task], available)
    if chosen_input is None:
        raise InputError(
            f"cannot tell which column of {dataset} is the input (columns: {shown}); "
            f"name one of {', '.join(INPUT_COLUMNS[task])} or pass --input-column"
        )
    if task == "generate":
        return ColumnPlan(task, chosen_input, reference_column)
    candidates = [name for name in REFERENCE_COLUMNS[task] if name != chosen_input]
    chosen_reference = reference_column or _first_present(candidates, available)
    if chosen_reference is None:
        raise InputError(
            f"cannot tell which column of {dataset} is the reference (columns: {shown}); "
            f"name one of {', '.join(REFERENCE_COLUMNS[task])} or pass --reference-column"
        )
    return ColumnPlan(task, chosen_input, chosen_reference, False, source_lang, target_lang)


def _first_present(candidates: Iterable[str], available: list[str]) -> str | None:
    return next((name for name in candidates if name in available), None)


def to_examples(records: Iterable[Record], plan: ColumnPlan) -> list[Example]:
    """Convert records to examples; a malformed row raises InputError with its location and field."""
    examples: list[Example] = []
    seen: dict[str, str] = {}
    for record in records:
        example = _to_example(record, plan)
        if example.id in seen:
            raise InputError(
                f"{record.location}: duplicate id {example.id!r} (first at {seen[example.id]}); ids must be unique"
            )
        seen[example.id] = record.location
        examples.append(example)
    return examples


def _to_example(record: Record, plan: ColumnPlan) -> Example:
    values = record.values
    example_id = next((values[name] for name in ID_COLUMNS if values.get(name) not in (None, "")), None)
    example = Example(id=str(example_id) if example_id is not None else str(record.number))
    if plan.task == "chat":
        example.messages = _messages(record, plan.input)
        return example
    if plan.translation:
        return _from_translation_column(record, plan, example)

    example.text = _text(record, plan.input)
    if plan.reference is not None:
        example.reference = _text(record, plan.reference)
    # Languages given in the row win over --pair.
    example.source_lang = _optional_text(record, "source_lang") or plan.source_lang
    example.target_lang = _optional_text(record, "target_lang") or plan.target_lang
    return example


def _from_translation_column(record: Record, plan: ColumnPlan, example: Example) -> Example:
    translations = record.values.get(plan.input)
    if not isinstance(translations, dict):
        raise InputError(
            f"{record.location}: field {plan.input!r} must be an object of language code to text, "
            f"got {type(translations).__name__}"
        )
    source = _optional_text(record, "source_lang") or plan.source_lang
    target = _optional_text(record, "target_lang") or plan.target_lang
    if source is None or target is None:
        raise UsageError(
            f"{record.location}: the {plan.input!r} column contains {', '.join(sorted(translations))}; "
            "pass --pair SOURCE-TARGET to choose the direction"
        )
    for language in (source, target):
        if language not in translations:
            raise InputError(
                f"{record.location}: field {plan.input!r} has no {language!r} text; "
                f"it has {', '.join(sorted(translations)) or 'nothing'}"
            )
    example.text = _require_string(record, f"{plan.input}.{source}", translations[source])
    example.reference = _require_string(record, f"{plan.input}.{target}", translations[target])
    example.source_lang, example.target_lang = source, target
    return example


def _text(record: Record, column: str) -> str:
    if column not in record.values or record.values[column] is None:
        raise InputError(f"{record.location}: field {column!r} is missing")
    return _require_string(record, column, record.values[column])


def _require_string(record: Record, field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InputError(f"{record.location}: field {field!r} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InputError(f"{record.location}: field {field!r} is empty")
    return value


def _optional_text(record: Record, column: str) -> str | None:
    value = record.values.get(column)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InputError(f"{record.location}: field {column!r} must be a string, got {type(value).__name__}")
    return value.strip()


def _messages(record: Record, column: str) -> list[dict[str, str]]:
    messages = record.values.get(column)
    if not isinstance(messages, list) or not messages:
        raise InputError(f"{record.location}: field {column!r} must be a non-empty list of messages")
    for index, message in enumerate(messages):
        valid = (
            isinstance(message, dict)
            and isinstance(message.get("role"), str)
            and isinstance(message.get("content"), str)
        )
        if not valid:
            raise InputError(
                f"{record.location}: {column}[{index}] must be an object with string fields 'role' and 'content'"
            )
    return [{"role": message["role"], "content": message["content"]} for message in messages]
