"""Core values passed between layers: examples in, predictions out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FinishReason = Literal["eos", "stop", "length"]


@dataclass
class Example:
    """One task input: an id, the text or chat messages, an optional reference."""

    id: str
    text: str = ""
    messages: list[dict[str, str]] | None = None
    reference: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prediction:
    """One task output with its token counts and finish reason."""

    id: str
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    output_tokens: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        record = {
            "id": self.id,
            "text": self.text,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
        }
        record.update(self.metadata)
        return record
