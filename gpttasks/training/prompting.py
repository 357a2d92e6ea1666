"""Task prompts for training, taken from the task pipelines so that training and inference match.

A training pair is the prompt the task command would send for an example, and the
answer text the model should produce after it. Nothing here defines a prompt format
of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gpttasks.errors import InputError
from gpttasks.modeling.handle import ModelHandle
from gpttasks.prompts.templates import PromptTemplate
from gpttasks.types import Example, Prediction


@dataclass
class TaskPrompter:
    """Build prompt ids and answers for one task on one model, and run the task for evaluation."""

    handle: ModelHandle
    task: str
    length: str = "medium"
    template: PromptTemplate | None = None
    batch_size: int = 8
    _pipeline: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        from gpttasks.generation.engine import Generator

        self.generator = Generator(self.handle, batch_size=self.batch_size)
        if self.task == "summarize":
            from gpttasks.generation import build_decoding_options
            from gpttasks.tasks.summarize import Summarizer, task_defaults

            options = build_decoding_options(task_defaults=task_defaults(self.length, self.handle.is_chat))
            self._pipeline = Summarizer(self.generator, options, self.length, self.template)
        elif self.task == "translate":
            self._pipeline = _translator(self.generator, self.template)
        elif self.template is not None:
            raise InputError(f"--template does not apply to task {self.task}; drop it")

    # -- training pairs ----------------------------------------------------------------

    def input_text(self, example: Example) -> str:
        """Return the part of the prompt that truncation may shorten."""
        return example.text

    def answer_text(self, example: Example) -> str | None:
        """Return the text the model learns to produce, or ``None`` when the example has none."""
        if self.task == "chat":
            messages = example.messages or []
            if not messages or messages[-1].get("role") != "assistant":
                return None
            return messages[-1].get("content") or None
        if self.task == "generate":
            return example.reference if example.reference else example.text
        return example.reference or None

    def prompt_ids(self, example: Example, text: str | None = None) -> list[int]:
        """Encode the prompt the task command builds for ``example``, with ``text`` in place of its input."""
        text = example.text if text is None else text
        if self.task == "summarize":
            return self._pipeline.prompt_ids(text)
        if self.task == "translate":
            return self._pipeline.prompt_ids(text, example.source_lang, example.target_lang)
        if self.task == "chat":
            return self.chat_prompt_ids(list(example.messages or [])[:-1])
        if example.reference:
            return self.generator.encode(text, add_special_tokens=True)
        # Plain causal-LM text: only the special tokens the tokenizer puts first (BOS) are prompt.
        return self.generator.encode("", add_special_tokens=True)

    def chat_prompt_ids(self, history: Sequence[dict[str, str]]) -> list[int]:
        """Encode a conversation up to the reply the model gives next, as ``gpttasks chat`` does."""
        from gpttasks.tasks.chat import encode_conversation

        ids, _ = encode_conversation(self.handle, list(history), add_generation_prompt=True)
        return ids

    def answer_ids(self, prompt_ids: Sequence[int], answer: str) -> list[int]:
        """Encode the answer as the model would generate it right after ``prompt_ids``."""
        tokenizer = self.handle.tokenizer
        if not self.handle.is_chat and prompt_ids and not answer[:1].isspace():
            # A base-model prompt such as "...TL;DR:" is followed by " answer"; BPE
            # vocabularies have different ids for "word" and " word".
            tail = tokenizer.decode(list(prompt_ids[-1:]))
            if tail and not tail[-1].isspace():
                answer = " " + answer
        return tokenizer.encode(answer, add_special_tokens=False)

    def eos_token_id(self) -> int:
        tokenizer = self.handle.tokenizer
        if tokenizer.eos_token_id is not None:
            return tokenizer.eos_token_id
        return self.handle.eos_token_ids[0]

    # -- evaluation by generation ------------------------------------------------------

    @property
    def generates_scores(self) -> bool:
        return self.task in {"summarize", "translate"}

    def predict(self, examples: Sequence[Example]) -> list[Prediction]:
        """Run the task pipeline with the task command's default decoding."""
        if self.task == "summarize":
            return self._pipeline.summarize(examples)
        if self.task == "translate":
            return self._pipeline.translate(examples)
        raise ValueError(f"task {self.task} has no generation scores")

    def template_record(self) -> dict[str, str] | None:
        """Name and source of the template in use, for the model's metadata file."""
        template = getattr(self._pipeline, "template", None)
        if template is None:
            return None
        return {"name": template.name, "source": template.source}


def _translator(generator, template):
    from gpttasks.generation import build_decoding_options
    from gpttasks.tasks.translate import Translator, translate_task_defaults

    options = build_decoding_options(task_defaults=translate_task_defaults(generator.handle.is_chat))
    return Translator(generator, options, template=template)
