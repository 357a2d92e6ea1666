"""``gpttasks generate``: continue a prompt, stream it to the terminal, or run a batch."""

from __future__ import annotations

import sys

import typer

from gpttasks.cli import options as opt
from gpttasks.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    app.command("generate")(handle_errors(generate))


def generate(
    prompt: str | None = typer.Argument(None, help="Prompt text, or '-' to read it from stdin.", show_default=False),
    input_file: str | None = typer.Option(None, "--input", "-i", help="Batch file: .txt (one prompt per line) or .jsonl (fields prompt, id).", show_default=False),
    stream: bool = typer.Option(True, help="Stream tokens for a single prompt when stdout is a terminal."),
    as_json: opt.Json = False,
    output: opt.Output = None,
    model: opt.Model = None,
    device: opt.Device = None,
    dtype: opt.Dtype = None,
    trust_remote_code: opt.TrustRemoteCode = False,
    batch_size: opt.BatchSize = 8,
    strategy: opt.Strategy = None,
    max_new_tokens: opt.MaxNewTokens = None,
    temperature: opt.Temperature = None,
    top_k: opt.TopK = None,
    top_p: opt.TopP = None,
    num_beams: opt.NumBeams = None,
    repetition_penalty: opt.RepetitionPenalty = None,
    no_repeat_ngram_size: opt.NoRepeatNgram = None,
    stop: opt.Stop = None,
    seed: opt.Seed = None,
) -> None:
    """Continue a prompt with the model.

    Examples:

      gpttasks generate "Once upon a time"

      echo "The capital of France is" | gpttasks generate - --max-new-tokens 5

      gpttasks generate --input prompts.jsonl --json --strategy sample --seed 1
    """
    from gpttasks.cli.common import load_handle, progress
    from gpttasks.cli.inputs import read_batch, read_single
    from gpttasks.cli.output import warn_truncated, write_predictions
    from gpttasks.errors import UsageError
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.tasks.generate import prompt_ids, run_generate
    from gpttasks.types import Example, Prediction

    flags = opt.decoding_flags(strategy, max_new_tokens, temperature, top_k, top_p, num_beams,
                               repetition_penalty, no_repeat_ngram_size, stop, seed)
    decoding = build_decoding_options(**flags)
    if prompt is not None and input_file is not None:
        raise UsageError("give either a prompt or --input, not both")
    if input_file is not None:
        examples = read_batch(input_file, "prompt")
    elif prompt is None or prompt == "-":
        if prompt is None and sys.stdin.isatty():
            raise UsageError("no prompt given; pass it as an argument, '-' for stdin, or --input FILE")
        example = read_single("-", "prompt")
        # `echo "text" | gpttasks generate -` should continue "text", not a new line.
        example.text = example.text.rstrip("\r\n")
        examples = [example]
    else:
        if not prompt.strip():
            raise UsageError("the prompt is empty; give some text to continue")
        examples = [Example(id="1", text=prompt)]

    handle = load_handle(model, device, dtype, trust_remote_code)
    generator = Generator(handle, batch_size=batch_size)

    if len(examples) == 1 and stream and not as_json and output is None and sys.stdout.isatty():
        streaming = generator.stream(prompt_ids(generator, examples[0]), decoding)
        for chunk in streaming:
            sys.stdout.write(chunk)
            sys.stdout.flush()
        sys.stdout.write("\n")
        return

    with progress(len(examples), "generating") as advance:
        predictions: list[Prediction] = run_generate(generator, examples, decoding, advance)
    # A batch always comes back as JSON Lines, so every result keeps its id.
    write_predictions(predictions, as_json or input_file is not None, output)
    if len(predictions) > 1:
        warn_truncated(predictions)
