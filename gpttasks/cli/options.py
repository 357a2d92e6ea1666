"""Option declarations shared by several commands, so every command spells them the same way."""

from __future__ import annotations

from typing import Annotated, Any

import typer

MODEL_PANEL = "Model"
DECODING_PANEL = "Decoding"

Model = Annotated[
    str | None,
    typer.Option(
        "--model", "-m",
        help="Alias (smollm2, gpt2, distilgpt2, gpt2-medium, ...), Hub id, local directory or .gguf file. "
        "Default: GPTTASKS_MODEL, the config file, then smollm2.",
        rich_help_panel=MODEL_PANEL,
        show_default=False,
    ),
]
Device = Annotated[
    str | None,
    typer.Option(help="auto, cpu, cuda or mps.", rich_help_panel=MODEL_PANEL, show_default=False),
]
Dtype = Annotated[
    str | None,
    typer.Option(help="auto, float32, bfloat16 or float16 (auto is float32 on CPU).", rich_help_panel=MODEL_PANEL, show_default=False),
]
TrustRemoteCode = Annotated[
    bool,
    typer.Option("--trust-remote-code", help="Run custom model code from the model repository.", rich_help_panel=MODEL_PANEL),
]
BatchSize = Annotated[int, typer.Option(min=1, help="Prompts generated together in one batch.", rich_help_panel=MODEL_PANEL)]

Strategy = Annotated[
    str | None,
    typer.Option(help="Decoding preset: greedy, beam, sample or creative.", rich_help_panel=DECODING_PANEL, show_default=False),
]
MaxNewTokens = Annotated[
    int | None,
    typer.Option(help="Maximum number of generated tokens per output.", rich_help_panel=DECODING_PANEL, show_default=False),
]
Temperature = Annotated[float | None, typer.Option(help="Sampling temperature (> 0).", rich_help_panel=DECODING_PANEL, show_default=False)]
TopK = Annotated[int | None, typer.Option(help="Sample from the k most likely tokens (0 = off).", rich_help_panel=DECODING_PANEL, show_default=False)]
TopP = Annotated[float | None, typer.Option(help="Nucleus sampling probability mass, in (0, 1].", rich_help_panel=DECODING_PANEL, show_default=False)]
NumBeams = Annotated[int | None, typer.Option(help="Beams for beam search.", rich_help_panel=DECODING_PANEL, show_default=False)]
RepetitionPenalty = Annotated[float | None, typer.Option(help="Penalty for repeated tokens (1.0 = off).", rich_help_panel=DECODING_PANEL, show_default=False)]
NoRepeatNgram = Annotated[int | None, typer.Option(help="Forbid repeating n-grams of this size (0 = off).", rich_help_panel=DECODING_PANEL, show_default=False)]
Stop = Annotated[list[str] | None, typer.Option(help="Stop when this text is generated; repeatable.", rich_help_panel=DECODING_PANEL, show_default=False)]
Seed = Annotated[int | None, typer.Option(help="Random seed for reproducible sampling.", rich_help_panel=DECODING_PANEL, show_default=False)]

Json = Annotated[bool, typer.Option("--json", help="Write one JSON object per output instead of text.")]
Output = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write results to this file (atomically) instead of stdout.", show_default=False),
]


def decoding_flags(
    strategy: str | None,
    max_new_tokens: int | None,
    temperature: float | None,
    top_k: int | None,
    top_p: float | None,
    num_beams: int | None,
    repetition_penalty: float | None,
    no_repeat_ngram_size: int | None,
    stop: list[str] | None,
    seed: int | None,
) -> dict[str, Any]:
    """Collect the decoding flags into keyword arguments for ``build_decoding_options``."""
    return {
        "strategy": strategy,
        "max_new_tokens": max_new_tokens,
        "temperature": temperature,
        "top_k": top_k,
        "top_p": top_p,
        "num_beams": num_beams,
        "repetition_penalty": repetition_penalty,
        "no_repeat_ngram_size": no_repeat_ngram_size,
        "stop": [_unescape(s) for s in stop] if stop else None,
        "seed": seed,
    }


def _unescape(value: str) -> str:
    r"""Let shell users write ``--stop '\n'`` for a newline."""
    return value.replace("\\n", "\n").replace("\\t", "\t")
