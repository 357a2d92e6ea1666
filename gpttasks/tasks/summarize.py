"""Summarization with prompts by model kind and map-reduce over documents longer than the context."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gpttasks.errors import ContextLengthError, UsageError
from gpttasks.generation.engine import GenerationResult, Generator, ProgressCallback
from gpttasks.generation.options import DecodingOptions
from gpttasks.prompts.render import encode_instruction
from gpttasks.prompts.templates import PromptTemplate, builtin_template, finetuned_template
from gpttasks.textsplit import pack_segments, split_paragraphs, split_sentences
from gpttasks.types import Example, Prediction

LENGTHS = {
    "short": ("in one or two sentences", 64),
    "medium": ("in three to five sentences", 160),
    "long": ("in one detailed paragraph", 320),
}
# Base models need a reason to stop after "TL;DR:"; a blank line ends the summary.
BASE_STOP = ("\n\n",)
TEMPLATE_VARIABLES = frozenset({"text", "length", "length_instruction"})
MIN_CHUNK_TOKENS = 32
MAX_REDUCE_ROUNDS = 6


def task_defaults(length: str, is_chat: bool) -> dict:
    """Decoding defaults for summarization; explicit flags override them."""
    if length not in LENGTHS:
        raise UsageError(f"invalid --length {length!r}; choose one of {', '.join(LENGTHS)}")
    defaults = {"max_new_tokens": LENGTHS[length][1], "no_repeat_ngram_size": 3}
    if not is_chat:
        defaults["stop"] = BASE_STOP
    return defaults


@dataclass
class Summarizer:
    """Summarize documents; long ones are chunked, summarized, and the parts summarized again."""

    generator: Generator
    options: DecodingOptions
    length: str = "medium"
    template: PromptTemplate | None = None

    def __post_init__(self) -> None:
        handle = self.generator.handle
        kind = "chat" if handle.is_chat else "base"
        self.template = self.template or finetuned_template(handle.metadata, "summarize") or builtin_template(f"summarize-{kind}")
        self.reduce_template = (
            builtin_template("summarize-reduce-chat") if handle.is_chat else self.template
        )
        self.template.check(TEMPLATE_VARIABLES)

    def _variables(self, text: str) -> dict[str, str]:
        return {"text": text, "length": self.length, "length_instruction": LENGTHS[self.length][0]}

    def prompt_ids(self, text: str, template: PromptTemplate | None = None) -> list[int]:
        """Encode the prompt for one text; fine-tuning uses the same function."""
        instruction = (template or self.template).render(**self._variables(text))
        return encode_instruction(self.generator.handle, instruction)

    def chunk_budget(self, template: PromptTemplate) -> int:
        """Tokens left for document text once the instruction and the output are reserved."""
        overhead = len(self.prompt_ids("", template))
        budget = self.generator.handle.context_length - self.options.max_new_tokens - overhead
        if budget < MIN_CHUNK_TOKENS:
            raise ContextLengthError(
                f"the model's {self.generator.handle.context_length}-token context leaves only {budget} "
                f"tokens for text after the instruction and --max-new-tokens {self.options.max_new_tokens}; "
                "lower --max-new-tokens"
            )
        return budget

    def split(self, text: str, template: PromptTemplate) -> list[str]:
        """Split ``text`` at paragraph, then sentence boundaries into chunks that fit."""
        budget = self.chunk_budget(template)
        count = self.generator.count_tokens
        if count(text) <= budget:
            return [text]
        segments = []
        for paragraph in split_paragraphs(text):
            segments.extend([paragraph] if count(paragraph) <= budget else split_sentences(paragraph))
        return pack_segments(segments, budget, count)

    def summarize(self, examples: Sequence[Example], on_progress: ProgressCallback | None = None) -> list[Prediction]:
        """Summarize every example; chunks of all documents share batches."""
        texts = [example.text for example in examples]
        results = self._summarize_texts(texts, self.template, on_progress)
        # For a chunked document the counts are those of the final (reduce) prompt.
        return [
            Prediction(
                example.id, r.text.strip(), r.finish_reason, r.prompt_tokens, r.output_tokens,
                metadata={"chunks": chunks} if chunks > 1 else {},
            )
            for example, (r, chunks) in zip(examples, results)
        ]

    def _summarize_texts(self, texts, template, on_progress, round_number=0):
        if round_number > MAX_REDUCE_ROUNDS:
            raise ContextLengthError("summaries did not shrink below the context size; lower --max-new-tokens")
        chunked = [self.split(text, template) for text in texts]
        flat = [chunk for chunks in chunked for chunk in chunks]
        prompts = [self.prompt_ids(chunk, template) for chunk in flat]
        # Progress counts documents, so it only advances on the final summaries.
        report = on_progress if all(len(c) == 1 for c in chunked) else None
        outputs = iter(self.generator.generate(prompts, self.options, report))

        finished: list[tuple[GenerationResult, int] | None] = []
        pending: dict[int, str] = {}
        for index, chunks in enumerate(chunked):
            parts = [next(outputs) for _ in chunks]
            if len(parts) == 1:
                finished.append((parts[0], 1))
            else:
                finished.append(None)
                pending[index] = "\n".join(p.text.strip() for p in parts)
        if report is None and on_progress:
            on_progress(len(chunked) - len(pending))
        if pending:
            reduced = self._summarize_texts(
                list(pending.values()), self.reduce_template, on_progress, round_number + 1
            )
            for index, (result, _) in zip(pending, reduced):
                finished[index] = (result, len(chunked[index]))
        return finished
