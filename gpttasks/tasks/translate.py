"""Translation with prompts by model kind, layout-preserving segmentation and answer cleaning.

Chat models get an instruction through their chat template. Base models get a
few-shot completion prompt of ``source sentence = target sentence`` lines that ends
with ``text =``, and their answer stops at the end of that line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gpttasks.errors import ContextLengthError, UsageError
from gpttasks.generation.engine import GenerationResult, Generator, ProgressCallback
from gpttasks.generation.options import DecodingOptions
from gpttasks.languages import Language, lookup_language, optional_language
from gpttasks.prompts.render import encode_instruction, encode_messages
from gpttasks.prompts.templates import PromptTemplate, builtin_template, finetuned_template
from gpttasks.tasks.translate_fewshot import FewShotPairs, SentencePair
from gpttasks.tasks.translate_text import Layout, clean_translation, mostly_unspaced, parse_layout
from gpttasks.textsplit import pack_segments, split_sentences
from gpttasks.types import Example, FinishReason, Prediction

logger = logging.getLogger(__name__)

TEMPLATE_VARIABLES = {"text", "source_lang", "target_lang", "source_code", "target_code", "examples"}
# Example pairs per prompt. Base models need them because nothing else tells them
# the task. Chat models get them as earlier turns: with SmolLM2-135M-Instruct, two
# pairs kept answers to the translation alone and in the requested language, where
# zero or one pair often led to explanations or a reply in the source language.
DEFAULT_SHOTS = {"base": 5, "chat": 2}
# NOTE: a base model whose first generated token is a newline stops at once and
# yields an empty translation for that segment; nothing retries it.
BASE_STOP = ("\n",)
DEFAULT_MAX_NEW_TOKENS = 512
# Output tokens allowed per source token, plus a constant for very short inputs.
# On the built-in example sentences, the Russian side takes up to 3.5 times the
# tokens of the English side with the SmolLM2 tokenizer and 5 times with GPT-2's.
OUTPUT_RATIO = 4
OUTPUT_SLACK = 32
MIN_SEGMENT_TOKENS = 16


def translate_task_defaults(is_chat: bool) -> dict:
    """Decoding defaults for translation; explicit flags override them.

    Base models stop at the newline that ends the translation line of the few-shot format.
    """
    defaults: dict = {"max_new_tokens": DEFAULT_MAX_NEW_TOKENS}
    if not is_chat:
        defaults["stop"] = BASE_STOP
    return defaults


@dataclass
class _PromptPlan:
    """Example pairs and maximum segment size shared by every prompt for one language pair."""

    examples: list[SentencePair]
    segment_budget: int


@dataclass
class _Segment:
    owner: int  # index of the example this segment belongs to
    text: str
    prompt: list[int]
    max_new_tokens: int


class Translator:
    """Translate documents segment by segment, keeping paragraphs and line breaks.

    ``source_lang`` and ``target_lang`` (codes or English names) apply to every
    example unless the example sets its own. ``fewshot_file`` replaces the built-in
    example pairs; ``shots`` is how many of them go into each prompt.
    """

    def __init__(
        self,
        generator: Generator,
        options: DecodingOptions,
        source_lang: str | None = None,
        target_lang: str | None = None,
        template: PromptTemplate | None = None,
        fewshot_file: str | Path | None = None,
        shots: int | None = None,
    ):
        self.generator = generator
        self.options = options
        self.source = optional_language(source_lang)
        self.target = optional_language(target_lang)
        self.is_chat = generator.handle.is_chat
        kind = "chat" if self.is_chat else "base"
        self.template = (
            template
            or finetuned_template(generator.handle.metadata, "translate")
            or builtin_template(f"translate-{kind}")
        )
        self.template.check(TEMPLATE_VARIABLES)
        self.pairs = FewShotPairs.load(fewshot_file) if fewshot_file else FewShotPairs.builtin()
        self.shots = DEFAULT_SHOTS[kind] if shots is None else shots
        if self.shots < 0:
            raise UsageError(f"invalid --shots {self.shots}: must be 0 or more")
        self._plans: dict[tuple[str | None, str], _PromptPlan] = {}

    # -- prompts -----------------------------------------------------------------------

    def prompt_ids(self, text: str, source_lang: str | None, target_lang: str) -> list[int]:
        """Encode the exact prompt for one segment; fine-tuning builds its examples with it."""
        source = optional_language(source_lang)
        target = lookup_language(target_lang)
        return self._encode(text, source, target, self._plan(source, target).examples)

    def _encode(self, text: str, source: Language | None, target: Language, examples: list[SentencePair]) -> list[int]:
        handle = self.generator.handle
        if not self.is_chat:
            return encode_instruction(handle, self._render(text, source, target, examples))
        # Chat models see the example pairs as earlier turns of the conversation.
        messages = []
        for pair in examples:
            messages.append({"role": "user", "content": self._render(pair.source, source, target, [])})
            messages.append({"role": "assistant", "content": pair.target})
        messages.append({"role": "user", "content": self._render(text, source, target, examples)})
        return encode_messages(handle, messages)

    def _render(self, text: str, source: Language | None, target: Language, examples: list[SentencePair]) -> str:
        return self.template.render(
            text=text,
            source_lang=source.name if source else "",
            target_lang=target.name,
            source_code=source.code if source else "",
            target_code=target.code,
            examples=[{"source": pair.source, "target": pair.target} for pair in examples],
        )

    def _plan(self, source: Language | None, target: Language) -> _PromptPlan:
        """Choose example pairs and the segment size so that prompt and answer fit the context."""
        key = (source.code if source else None, target.code)
        if key in self._plans:
            return self._plans[key]
        examples = self.pairs.select(source, target, self.shots)

        if self.shots and not examples and not self.is_chat:
            raise UsageError(
                f"no example pairs into {target.name} in {self.pairs.origin} (it has "
                f"{', '.join(self.pairs.languages())}); base models need them, so pass "
                "--examples FILE with pairs into that language, or use a chat model"
            )

        context = self.generator.handle.context_length
        while True:
            overhead = len(self._encode("", source, target, examples))
            fits_context = (context - overhead - OUTPUT_SLACK) // (1 + OUTPUT_RATIO)
            fits_output = max((self.options.max_new_tokens - OUTPUT_SLACK) // OUTPUT_RATIO, MIN_SEGMENT_TOKENS)
            budget = min(fits_context, fits_output)
            if budget >= MIN_SEGMENT_TOKENS or not examples:
                break
            examples = examples[:-1]  # a short context fits fewer examples

        if budget < MIN_SEGMENT_TOKENS:
            raise ContextLengthError(
                f"the model's {context}-token context leaves no room for text after the "
                f"{overhead}-token translation prompt; use a shorter --template or a model with a longer context"
            )
        if len(examples) < min(self.shots, len(self.pairs.entries)):
            logger.debug("using %d example pair(s) to fit the %d-token context", len(examples), context)
        plan = _PromptPlan(examples, budget)
        self._plans[key] = plan
        return plan

    # -- segmentation ------------------------------------------------------------------

    def split(self, text: str, source: Language | None, budget: int) -> list[str]:
        """Split one block at sentence boundaries into segments of at most ``budget`` tokens."""
        count = self.generator.count_tokens
        if count(text) <= budget:
            return [text]
        unspaced = not source.spaced if source else mostly_unspaced(text)
        return pack_segments(split_sentences(text), budget, count, joiner="" if unspaced else " ")

    # -- translation -------------------------------------------------------------------

    def translate(self, examples: Sequence[Example], on_progress: ProgressCallback | None = None) -> list[Prediction]:
        """Translate every example; segments of all examples share batches."""
        jobs = [self._languages(example) for example in examples]
        layouts: list[Layout] = []
        block_segments: list[list[list[int]]] = []  # example -> block -> segment indices
        segments: list[_Segment] = []
        for owner, (example, (source, target)) in enumerate(zip(examples, jobs)):
            layout = parse_layout(example.text)
            layouts.append(layout)
            if source is not None and source.code == target.code:
                block_segments.append([])
                continue
            plan = self._plan(source, target)
            per_block = []
            for block in layout.blocks:
                indices = []
                for piece in self.split(block.text, source, plan.segment_budget):
                    indices.append(len(segments))
                    segments.append(self._segment(owner, piece, source, target, plan))
                per_block.append(indices)
            block_segments.append(per_block)

        results = self._generate(segments, len(examples), on_progress)
        predictions = []
        for index, example in enumerate(examples):
            source, target = jobs[index]
            if not block_segments[index]:
                # Same source and target language (or no text): nothing to translate.
                predictions.append(Prediction(example.id, example.text, "stop", 0, 0, self._metadata(source, target, 0)))
                continue
            predictions.append(
                self._assemble(example, layouts[index], block_segments[index], segments, results, source, target)
            )
        return predictions

    def _languages(self, example: Example) -> tuple[Language | None, Language]:
        source = optional_language(example.source_lang) if example.source_lang else self.source
        target = optional_language(example.target_lang) if example.target_lang else self.target
        if target is None:
            raise UsageError(
                f"missing target language for input {example.id!r}; pass --to LANG or set target_lang in the input"
            )
        return source, target

    def _segment(self, owner: int, text: str, source, target, plan: _PromptPlan) -> _Segment:
        prompt = self._encode(text, source, target, plan.examples)
        expected_tokens = OUTPUT_RATIO * self.generator.count_tokens(text) + OUTPUT_SLACK
        return _Segment(owner, text, prompt, min(self.options.max_new_tokens, expected_tokens))

    def _generate(self, segments: list[_Segment], example_count: int, on_progress) -> list[GenerationResult]:
        """Generate all segments in length-sorted batches, each with its own output limit.

        Each batch's limit follows its longest source, so a model that keeps talking
        after the translation is stopped early; progress counts finished examples.
        """
        remaining = [0] * example_count
        for segment in segments:
            remaining[segment.owner] += 1
        if on_progress:
            on_progress(sum(1 for count in remaining if count == 0))

        results: list[GenerationResult | None] = [None] * len(segments)
        order = sorted(range(len(segments)), key=lambda i: len(segments[i].prompt), reverse=True)
        batch_size = self.generator.batch_size
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            limit = max(segments[i].max_new_tokens for i in batch)
            options = replace(self.options, max_new_tokens=limit)
            outputs = self.generator.generate([segments[i].prompt for i in batch], options)
            finished = 0
            for index, output in zip(batch, outputs):
                results[index] = output
                remaining[segments[index].owner] -= 1
                finished += remaining[segments[index].owner] == 0
            if on_progress and finished:
                on_progress(finished)
        return [result for result in results if result is not None]

    def _assemble(self, example, layout, per_block, segments, results, source, target) -> Prediction:
        names = (target.name, *target.aliases)
        joiner = " " if target.spaced else ""
        translations = []
        reasons: list[FinishReason] = []
        prompt_tokens = output_tokens = 0
        for indices in per_block:
            pieces = []
            for index in indices:
                result = results[index]
                pieces.append(clean_translation(result.text, segments[index].text, names))
                # Output that continued past its first line has a complete first line.
                cut_after_answer = "\n" in result.text.strip()
                reasons.append("stop" if result.finish_reason == "length" and cut_after_answer else result.finish_reason)
                prompt_tokens += result.prompt_tokens
                output_tokens += result.output_tokens
            translations.append(joiner.join(piece for piece in pieces if piece))
        reason: FinishReason = "length" if "length" in reasons else reasons[-1]
        count = sum(len(indices) for indices in per_block)
        return Prediction(
            example.id, layout.render(translations), reason, prompt_tokens, output_tokens,
            self._metadata(source, target, count),
        )

    @staticmethod
    def _metadata(source: Language | None, target: Language, segment_count: int) -> dict:
        metadata: dict = {"source_lang": source.code if source else None, "target_lang": target.code}
        if segment_count > 1:
            metadata["segments"] = segment_count
        return metadata
