"""The loaded model bundle that every task works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gpttasks.modeling.resolve import ModelSpec


@dataclass
class ModelHandle:
    """A model, its tokenizer and the facts tasks need about them."""

    model: Any
    tokenizer: Any
    spec: ModelSpec
    device: str
    dtype: str
    context_length: int
    eos_token_ids: list[int]
    # Metadata written by ``gpttasks finetune`` (task, template, languages), if any.
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def is_chat(self) -> bool:
        """True when the tokenizer ships a chat template (instruct models)."""
        if self.metadata.get("template_kind") in {"chat", "base"}:
            return self.metadata["template_kind"] == "chat"
        return bool(getattr(self.tokenizer, "chat_template", None))

    @property
    def name(self) -> str:
        return self.spec.name
