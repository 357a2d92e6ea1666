"""``gpttasks translate``: translate a file, stdin, or a JSONL batch with per-row languages."""

from __future__ import annotations

import typer

from gpttasks.cli import options as opt
from gpttasks.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    app.command("translate")(handle_errors(translate))


def translate(
    file: str | None = typer.Argument(None, help="Text file to translate, or '-' for stdin.", show_default=False),
    to: str | None = typer.Option(
        None, "--to", "-t", help="Target language: ISO 639-1 code or English name (fr, French, zh, Chinese, ...).",
        show_default=False,
    ),
    source: str | None = typer.Option(
        None, "--from", "-f", help="Source language; when not given, the prompt names only the target.",
        show_default=False,
    ),
    input_file: str | None = typer.Option(
        None, "--input", "-i",
        help="Batch file: .jsonl with fields id, text and optional source_lang, target_lang, or .txt with "
        "one text per line. Output is JSON Lines.",
        show_default=False,
    ),
    template: str | None = typer.Option(
        None, help="Jinja template file for the prompt; variables: text, source_lang, target_lang, "
        "source_code, target_code, examples.",
        show_default=False,
    ),
    examples: str | None = typer.Option(
        None, "--examples",
        help="Example pairs for the prompt, replacing the built-in ones: .json list of objects that map "
        "language codes to sentences, or .jsonl with source_lang, target_lang, source, target.",
        show_default=False,
    ),
    shots: int | None = typer.Option(
        None, min=0, help="Example pairs per prompt. Default: 5 for base models, 2 for chat models.",
        show_default=False,
    ),
    list_languages: bool = typer.Option(False, "--list-languages", help="Print the supported languages and exit."),
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
    """Translate a text, or many with --input.

    Chat models get a translation instruction through their chat template. Base
    models such as GPT-2 get example pairs in the form "source = target" and
    complete the last line. Paragraphs, blank lines and list items keep their
    places, and long paragraphs are translated a few sentences at a time.

    Examples:

      echo "The weather is nice today." | gpttasks translate --to fr

      gpttasks translate article.txt --from zh --to English -o article.en.txt

      gpttasks translate --input docs.jsonl --to de -o docs.de.jsonl
    """
    if list_languages:
        _print_languages()
        return

    from gpttasks.cli.common import load_handle, progress
    from gpttasks.cli.inputs import resolve_examples
    from gpttasks.cli.output import write_predictions
    from gpttasks.errors import UsageError
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.languages import optional_language
    from gpttasks.prompts import load_template_file
    from gpttasks.tasks.translate import Translator, translate_task_defaults
    from gpttasks.tasks.translate_fewshot import FewShotPairs

    # Check every option and input before the model loads, which takes seconds.
    target = optional_language(to)
    optional_language(source)
    user_template = load_template_file(template) if template else None
    if examples:
        FewShotPairs.load(examples)
    rows, batch = resolve_examples(file, input_file, "text", "file")
    for row in rows:
        optional_language(row.source_lang)
        if target is None and optional_language(row.target_lang) is None:
            where = f" for input {row.id!r}" if batch else ""
            raise UsageError(f"missing target language{where}; pass --to LANG, e.g. --to fr")
    flags = opt.decoding_flags(strategy, max_new_tokens, temperature, top_k, top_p, num_beams,
                               repetition_penalty, no_repeat_ngram_size, stop, seed)
    build_decoding_options(**flags)

    handle = load_handle(model, device, dtype, trust_remote_code)
    decoding = build_decoding_options(task_defaults=translate_task_defaults(handle.is_chat), **flags)
    translator = Translator(
        Generator(handle, batch_size=batch_size), decoding, source, to, user_template, examples, shots
    )
    with progress(len(rows), "translating") as advance:
        predictions = translator.translate(rows, advance)
    write_predictions(predictions, as_json or batch, output)
    _warn_truncated(predictions)


def _print_languages() -> None:
    from gpttasks.languages import list_languages

    for language in list_languages():
        typer.echo(f"{language.code}\t{language.name}")


def _warn_truncated(predictions) -> None:
    from gpttasks.tasks.translate import OUTPUT_RATIO, OUTPUT_SLACK

    cut = [p.id for p in predictions if p.finish_reason == "length"]
    if cut:
        listed = ", ".join(cut[:5]) + (" ..." if len(cut) > 5 else "")
        typer.echo(
            f"note: {len(cut)} translation(s) reached the output limit and may be cut short ({listed}); "
            f"the limit per segment is {OUTPUT_RATIO} tokens per source token plus {OUTPUT_SLACK}, "
            "at most --max-new-tokens",
            err=True,
        )
