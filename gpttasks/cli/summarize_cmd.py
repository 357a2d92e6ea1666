"""``gpttasks summarize``: summarize a file, stdin, or a JSONL batch."""

from __future__ import annotations

import typer

from gpttasks.cli import options as opt
from gpttasks.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    app.command("summarize")(handle_errors(summarize))


def summarize(
    file: str | None = typer.Argument(None, help="Text file to summarize, or '-' for stdin.", show_default=False),
    input_file: str | None = typer.Option(None, "--input", "-i", help="Batch file: .jsonl with fields id and text, or .txt with one document per line.", show_default=False),
    length: str = typer.Option("medium", help="Summary length: short, medium or long."),
    template: str | None = typer.Option(None, help="Jinja template file for the instruction; variables: text, length, length_instruction.", show_default=False),
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
    """Summarize a document, or many with --input.

    Chat models get a summarization instruction through their chat template; base
    models such as GPT-2 get the article followed by "TL;DR:". Documents longer than
    the context are summarized in chunks, then the partial summaries are summarized.

    Examples:

      gpttasks summarize article.txt

      cat article.txt | gpttasks summarize - --length short

      gpttasks summarize --input docs.jsonl --json -o summaries.jsonl
    """
    from gpttasks.cli.common import load_handle, progress
    from gpttasks.cli.inputs import resolve_examples
    from gpttasks.cli.output import warn_truncated, write_predictions
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.prompts import load_template_file
    from gpttasks.tasks.summarize import TEMPLATE_VARIABLES, Summarizer, task_defaults

    user_template = load_template_file(template) if template else None
    if user_template:
        user_template.check(TEMPLATE_VARIABLES)
    task_defaults(length, is_chat=True)  # validate --length before loading the model
    examples, batch = resolve_examples(file, input_file, "text", "file")

    flags = opt.decoding_flags(strategy, max_new_tokens, temperature, top_k, top_p, num_beams,
                               repetition_penalty, no_repeat_ngram_size, stop, seed)
    build_decoding_options(**flags)  # validate flags before loading the model
    handle = load_handle(model, device, dtype, trust_remote_code)
    decoding = build_decoding_options(task_defaults=task_defaults(length, handle.is_chat), **flags)
    summarizer = Summarizer(Generator(handle, batch_size=batch_size), decoding, length, user_template)

    with progress(len(examples), "summarizing") as advance:
        predictions = summarizer.summarize(examples, advance)
    # A batch always comes back as JSON Lines, so every result keeps its id.
    write_predictions(predictions, as_json or batch, output)
    warn_truncated(predictions)
