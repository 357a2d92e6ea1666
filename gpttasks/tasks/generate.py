"""Plain text continuation: the prompt goes to the model as it is."""

from __future__ import annotations

from collections.abc import Sequence

from gpttasks.generation.engine import Generator, ProgressCallback
from gpttasks.generation.options import DecodingOptions
from gpttasks.types import Example, Prediction


def prompt_ids(generator: Generator, example: Example) -> list[int]:
    return generator.encode(example.text, add_special_tokens=True)


def run_generate(
    generator: Generator,
    examples: Sequence[Example],
    options: DecodingOptions,
    on_progress: ProgressCallback | None = None,
) -> list[Prediction]:
    """Continue each example's text; predictions come back in input order."""
    prompts = [prompt_ids(generator, example) for example in examples]
    results = generator.generate(prompts, options, on_progress)
    return [
        Prediction(example.id, r.text, r.finish_reason, r.prompt_tokens, r.output_tokens)
        for example, r in zip(examples, results)
    ]
