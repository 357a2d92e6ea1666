"""``gpttasks chat``: an interactive session on a terminal, or one turn per input line in scripts."""

from __future__ import annotations

import sys

import typer

from gpttasks.cli import options as opt
from gpttasks.cli.common import handle_errors


def register(app: typer.Typer) -> None:
    app.command("chat")(handle_errors(chat))


def chat(
    system: str | None = typer.Option(None, "--system", "-s", help="System prompt text.", show_default=False),
    system_file: str | None = typer.Option(None, help="Read the system prompt from this UTF-8 file.", show_default=False),
    history: str | None = typer.Option(
        None, help="JSON file that keeps the conversation: loaded at start if it exists, saved after every turn.",
        show_default=False,
    ),
    as_json: opt.Json = False,
    model: opt.Model = None,
    device: opt.Device = None,
    dtype: opt.Dtype = None,
    trust_remote_code: opt.TrustRemoteCode = False,
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
    """Chat with the model.

    On a terminal the session is interactive: replies stream as they are generated,
    Ctrl-C stops a reply, /help lists the session commands, and Ctrl-D or /quit
    ends it. When stdin is not a terminal, each input line is one user message and
    each reply is printed on stdout (one JSON object per reply with --json).

    Models without a chat template get a plain "User:" / "Assistant:" format.
    When the conversation outgrows the context, the oldest turns are left out of
    the prompt (the history file keeps them).

    Examples:

      gpttasks chat --system "You are a terse assistant."

      gpttasks chat --history notes.json

      printf 'My name is Ada.\\nWhat is my name?\\n' | gpttasks chat --json
    """
    import itertools

    from gpttasks.cli.chat_session import read_stdin_lines, run_interactive, run_script
    from gpttasks.cli.common import load_handle
    from gpttasks.errors import InputError, UsageError
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.io import read_text, require_nonempty
    from gpttasks.tasks.chat import ChatSession, chat_task_defaults
    from gpttasks.tasks.chat_history import load_history

    if system is not None and system_file is not None:
        raise UsageError("give either --system or --system-file, not both")
    if system_file is not None:
        system = require_nonempty(read_text(system_file), system_file).strip()
    interactive = sys.stdin.isatty()
    if as_json and interactive:
        raise UsageError("--json needs input from a pipe or file, one message per line; drop --json on a terminal")

    flags = opt.decoding_flags(strategy, max_new_tokens, temperature, top_k, top_p, num_beams,
                               repetition_penalty, no_repeat_ngram_size, stop, seed)
    build_decoding_options(**flags)  # validate flags before loading the model
    messages = load_history(history, missing_ok=True) if history else []
    if not interactive:
        # Fail on empty input before the model loads, but keep reading lazily so a
        # program can drive the chat one line at a time through a pipe.
        lines = read_stdin_lines()
        first = next(lines, None)
        if first is None:
            raise InputError("standard input contains no messages; send one user message per line")
        lines = itertools.chain([first], lines)

    handle = load_handle(model, device, dtype, trust_remote_code)
    decoding = build_decoding_options(task_defaults=chat_task_defaults(handle.is_chat), **flags)
    stored_system = messages[0]["content"] if messages and messages[0]["role"] == "system" else None
    session = ChatSession(Generator(handle, batch_size=1), decoding, messages)
    if system is not None:
        if stored_system is not None and stored_system != system.strip():
            typer.echo(f"note: --system replaces the system prompt stored in {history}", err=True)
        session.set_system(system)
    if not handle.is_chat:
        typer.echo(
            f"note: {handle.name} has no chat template; using the plain 'User:' / 'Assistant:' format, "
            "and each reply stops at the next 'User:'",
            err=True,
        )

    if interactive:
        run_interactive(session, history)
    else:
        run_script(session, history, as_json, lines)
