"""The ``gpttasks`` Typer application and its error boundary."""

from __future__ import annotations

import logging
import sys

import typer

from gpttasks import __version__

app = typer.Typer(
    name="gpttasks",
    help="Text tools on causal language models: summarize, translate, chat, generate, eval, finetune.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gpttasks {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log loading and progress details to stderr."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log only errors."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Summarize, translate, chat, generate, evaluate and fine-tune with causal LMs.

    The model comes from --model, then GPTTASKS_MODEL, then the config file, and
    defaults to the embedded SmolLM2-135M-Instruct. Results go to stdout; logs and
    progress go to stderr.
    """
    from gpttasks.cli.common import configure_logging

    level = logging.INFO
    if verbose or debug:
        level = logging.DEBUG
    elif quiet:
        level = logging.ERROR
    configure_logging(level, debug)


def _register() -> None:
    # Each command module imports only typer at import time, so --help stays fast.
    from gpttasks.cli import (
        chat_cmd,
        eval_cmd,
        finetune_cmd,
        generate_cmd,
        summarize_cmd,
        translate_cmd,
    )

    for module in (summarize_cmd, translate_cmd, chat_cmd, generate_cmd, eval_cmd, finetune_cmd):
        module.register(app)


_register()


def main() -> None:
    # Results are UTF-8 whatever the locale, so Chinese text survives LANG=C.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    try:
        app(prog_name="gpttasks")
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader (e.g. `| head -1`) left; end quietly without a traceback.
            _silence_stdout()


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
