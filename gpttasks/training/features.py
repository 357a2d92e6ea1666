"""Tokenized training rows: prompt and answer encoded apart and joined, prompt labels masked.

Encoding the two parts separately makes the boundary exact: a tokenizer may merge
characters across the joint when the whole string is encoded at once, and then no
token index marks where the answer starts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from gpttasks.errors import InputError
from gpttasks.training.prompting import TaskPrompter
from gpttasks.types import Example

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100  # the label value PyTorch's cross-entropy skips


@dataclass
class FeatureStats:
    """Counts of what happened to the rows while they were tokenized."""

    rows: int = 0
    kept: int = 0
    truncated: int = 0
    dropped_long: int = 0
    no_trainable: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    def describe(self) -> str:
        parts = [f"{self.kept} of {self.rows} rows kept"]
        if self.truncated:
            parts.append(f"{self.truncated} truncated on the input side")
        if self.dropped_long:
            parts.append(f"{self.dropped_long} dropped as too long")
        if self.no_trainable:
            parts.append(f"{self.no_trainable} without an answer to train on")
        return ", ".join(parts)


def build_features(
    examples: Sequence[Example],
    prompter: TaskPrompter,
    max_length: int,
    loss_on: str = "answer",
    drop_long: bool = False,
) -> tuple[list[dict[str, list[int]]], FeatureStats]:
    """Tokenize every example into ``input_ids`` and ``labels``; raise when none is trainable."""
    stats = FeatureStats(rows=len(examples))
    features = []
    for example in examples:
        feature = encode_example(example, prompter, max_length, loss_on, drop_long, stats)
        if feature is not None:
            features.append(feature)
    stats.kept = len(features)
    if not features:
        raise InputError(f"no trainable rows: {stats.describe()}; check the dataset columns and --max-length")
    if stats.kept < stats.rows:
        logger.warning("training data: %s", stats.describe())
    return features, stats


def encode_example(
    example: Example,
    prompter: TaskPrompter,
    max_length: int,
    loss_on: str,
    drop_long: bool,
    stats: FeatureStats,
) -> dict[str, list[int]] | None:
    """Encode one example, updating ``stats``; ``None`` when the row is skipped."""
    answer = prompter.answer_text(example)
    if answer is None or not answer.strip():
        stats.no_trainable += 1
        return None

    prompt = prompter.prompt_ids(example)
    answer_ids = prompter.answer_ids(prompt, answer) + [prompter.eos_token_id()]
    if len(prompt) + len(answer_ids) > max_length:
        if drop_long:
            stats.dropped_long += 1
            return None
        if prompter.task == "generate" and not example.reference:
            # Plain text has no input side; keep its beginning and drop the EOS.
            answer_ids = answer_ids[: max_length - len(prompt)]
        else:
            prompt = _shorten_prompt(example, prompter, max_length - len(answer_ids))
            if prompt is None:
                stats.dropped_long += 1
                return None
        stats.truncated += 1

    input_ids = list(prompt) + answer_ids
    if loss_on == "all":
        labels = list(input_ids)
    else:
        labels = [IGNORE_INDEX] * len(prompt) + answer_ids
    if all(label == IGNORE_INDEX for label in labels[1:]):
        # The first label never counts: causal LMs predict token i from tokens before it.
        stats.no_trainable += 1
        return None
    return {"input_ids": input_ids, "labels": labels}


def _shorten_prompt(example: Example, prompter: TaskPrompter, budget: int) -> list[int] | None:
    """Cut the input from its end until the prompt fits ``budget`` tokens; ``None`` if it cannot."""
    if prompter.task == "chat":
        return _drop_oldest_turns(example, prompter, budget)
    tokenizer = prompter.handle.tokenizer
    text_ids = tokenizer.encode(prompter.input_text(example), add_special_tokens=False)
    overhead = len(prompter.prompt_ids(example, text=""))
    keep = budget - overhead
    # Decoding a prefix and encoding it again can give a different count, so check and retry.
    while keep > 0:
        prompt = prompter.prompt_ids(example, text=tokenizer.decode(text_ids[:keep]))
        if len(prompt) <= budget:
            return prompt
        keep -= len(prompt) - budget
    return None


def _drop_oldest_turns(example: Example, prompter: TaskPrompter, budget: int) -> list[int] | None:
    """Drop the oldest user/assistant turns (system messages stay) until the prompt fits."""
    history = list(example.messages or [])[:-1]
    while history:
        prompt = prompter.chat_prompt_ids(history)
        if len(prompt) <= budget:
            return prompt
        first = next((i for i, m in enumerate(history) if m.get("role") != "system"), None)
        if first is None or first == len(history) - 1:
            return None
        del history[first]
    return None


class CausalLMCollator:
    """Right-pad a batch; padding gets attention mask 0 and label -100.

    Labels are padded with -100 rather than derived from the pad token, so an EOS
    label stays trainable when the pad token is the EOS token (GPT-2, SmolLM2).
    """

    def __init__(self, pad_token_id: int, pad_to_multiple_of: int | None = None):
        self.pad_token_id = pad_token_id
        self.pad_to_multiple_of = pad_to_multiple_of

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(len(row["input_ids"]) for row in rows)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        for index, row in enumerate(rows):
            size = len(row["input_ids"])
            input_ids[index, :size] = torch.tensor(row["input_ids"], dtype=torch.long)
            attention_mask[index, :size] = 1
            labels[index, :size] = torch.tensor(row["labels"], dtype=torch.long)
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


class FeatureDataset:
    """A list of tokenized rows in the map-style form the Trainer's DataLoader takes."""

    def __init__(self, rows: list[dict[str, list[int]]]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.rows[index]
