"""The two chat front ends: an interactive terminal session and line-per-turn script mode."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

import typer

from gpttasks.cli.chat_settings import change_setting, describe_budget, describe_settings
from gpttasks.errors import GpttasksError, InputError, UsageError
from gpttasks.tasks.chat import ChatReply, ChatSession
from gpttasks.tasks.chat_history import load_history, save_history
from gpttasks.types import Prediction

PROMPT = ">>> "
HELP = """Commands:
  /help                 show this list
  /reset                forget the conversation (the system prompt stays)
  /save FILE            write the conversation to a JSON file
  /load FILE            replace the conversation with one from a JSON file
  /system [TEXT]        show the system prompt, or replace it with TEXT
  /settings             show the decoding settings
  /set NAME VALUE       change a decoding setting, e.g. /set temperature 0.7
  /tokens               show how the context window is used
  /quit                 end the session (Ctrl-D does the same)
Ctrl-C stops a reply and keeps the session. Start a message with // to send a
message that begins with /."""


def notice(message: str) -> None:
    typer.echo(message, err=True)


class DroppedTurnNotices:
    """Report turns left out of the prompt, once each time the number changes."""

    def __init__(self) -> None:
        self.reported = 0

    def update(self, reply: ChatReply) -> None:
        dropped = reply.fitted.dropped_turns
        if dropped and dropped != self.reported:
            context = reply.session.handle.context_length
            notice(
                f"note: left the {dropped} oldest turn(s) out of the prompt to fit the {context}-token context"
            )
        self.reported = dropped


def save_if_needed(session: ChatSession, history: str | None) -> None:
    if history:
        save_history(history, session.messages)


# -- script mode -----------------------------------------------------------------------


def read_stdin_lines() -> Iterator[str]:
    """Yield user messages from stdin, one per non-blank line, checking UTF-8 as they arrive."""
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise InputError(
                f"standard input line {number} is not valid UTF-8 (invalid byte at offset {error.start}); "
                "convert it first, e.g. with iconv -t UTF-8"
            ) from error
        if line.strip():
            yield line.strip()


def run_script(session: ChatSession, history: str | None, as_json: bool, lines: Iterable[str]) -> None:
    """Send each line as one user turn; print the replies in order and save after each."""
    notices = DroppedTurnNotices()
    count = 0
    for count, text in enumerate(lines, start=1):
        reply = session.reply(text)
        notices.update(reply)
        try:
            for chunk in reply:
                if not as_json:
                    sys.stdout.write(chunk)
                    sys.stdout.flush()
        except KeyboardInterrupt:
            reply.stop()
            save_if_needed(session, history)
            raise
        save_if_needed(session, history)
        if as_json:
            sys.stdout.write(json.dumps(_prediction(count, reply).to_dict(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write("\n")
        sys.stdout.flush()
    if count == 0:
        raise InputError("standard input contains no messages; send one user message per line")


def _prediction(number: int, reply: ChatReply) -> Prediction:
    result = reply.result
    metadata = {"dropped_turns": reply.fitted.dropped_turns} if reply.fitted.dropped_turns else {}
    return Prediction(
        str(number), reply.text.strip(), result.finish_reason, result.prompt_tokens, result.output_tokens, metadata
    )


# -- interactive mode ------------------------------------------------------------------


def run_interactive(session: ChatSession, history: str | None) -> None:
    """Run the terminal session with readline line editing and a persistent input history."""
    from gpttasks.config import cache_dir

    input_history = cache_dir() / "chat-input-history"
    readline = _enable_readline(input_history)
    try:
        InteractiveChat(session, history).run()
    finally:
        if readline is not None:
            try:
                input_history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(str(input_history))
            except OSError:
                pass  # losing the line-editing history is harmless


def _enable_readline(path: Path):
    try:
        import readline
    except ImportError:  # not available on Windows; input() still works
        return None
    readline.set_history_length(1000)
    try:
        readline.read_history_file(str(path))
    except OSError:
        pass  # first session, or an unreadable file: start with an empty history
    return readline


class InteractiveChat:
    """The read-reply loop and the slash commands of a terminal session."""

    def __init__(
        self,
        session: ChatSession,
        history: str | None,
        read_line: Callable[[str], str] = input,
        out: IO[str] | None = None,
    ):
        self.session = session
        self.history = history
        self.read_line = read_line
        self.out = out or sys.stdout
        self.notices = DroppedTurnNotices()

    def run(self) -> None:
        handle = self.session.handle
        notice(f"Chatting with {handle.name} ({handle.context_length}-token context). "
               "/help lists commands; Ctrl-D or /quit ends the session.")
        if self.session.turn_count():
            notice(f"Resumed {self.session.turn_count()} turn(s) from {self.history}.")
        while True:
            try:
                line = self.read_line(PROMPT)
            except EOFError:
                self.out.write("\n")
                return
            except KeyboardInterrupt:
                self.out.write("\n")
                notice("(Ctrl-D or /quit ends the session)")
                continue
            text = line.strip()
            if not text:
                continue
            if text.startswith("/") and not text.startswith("//"):
                try:
                    if self.command(text) == "quit":
                        return
                except GpttasksError as error:
                    notice(f"Error: {error}")
                continue
            self.send(text[1:] if text.startswith("//") else text)

    def send(self, text: str) -> None:
        """Stream the reply to ``text``; Ctrl-C stops it and keeps what was shown."""
        try:
            reply = self.session.reply(text)
        except GpttasksError as error:
            notice(f"Error: {error}")
            return
        self.notices.update(reply)
        try:
            for chunk in reply:
                self.out.write(chunk)
                self.out.flush()
        except KeyboardInterrupt:
            reply.stop()
            self.out.write("\n")
            notice("(reply stopped)")
        else:
            self.out.write("\n")
            if reply.result is not None and reply.result.finish_reason == "length":
                notice("(reply reached max_new_tokens; /set max_new_tokens N allows longer ones)")
        self.out.flush()
        save_if_needed(self.session, self.history)

    def command(self, text: str) -> str | None:
        """Run one slash command; return "quit" to end the session."""
        name, _, argument = text.partition(" ")
        argument = argument.strip()
        name = name.lower()
        if name in {"/quit", "/exit"}:
            return "quit"
        if name == "/help":
            notice(HELP)
        elif name == "/reset":
            self.session.reset()
            save_if_needed(self.session, self.history)
            notice("Conversation cleared.")
        elif name == "/save":
            save_history(_require(argument, "/save FILE"), self.session.messages)
            notice(f"Saved {self.session.turn_count()} turn(s) to {argument}.")
        elif name == "/load":
            self._load(_require(argument, "/load FILE"))
        elif name == "/system":
            self._system(argument)
        elif name == "/settings":
            notice(describe_settings(self.session))
        elif name == "/set":
            key, _, value = argument.partition(" ")
            self.session.options = change_setting(self.session.options, key, value.strip())
            notice(describe_settings(self.session))
        elif name == "/tokens":
            notice(describe_budget(self.session))
        else:
            raise UsageError(f"unknown command {name}; /help lists the commands")
        return None

    def _load(self, path: str) -> None:
        messages = load_history(path)
        self.session.messages = messages
        self.session.dropped_turns = 0
        save_if_needed(self.session, self.history)
        notice(f"Loaded {self.session.turn_count()} turn(s) from {path}.")

    def _system(self, argument: str) -> None:
        if not argument:
            notice(f"System prompt: {self.session.system}" if self.session.system else "No system prompt.")
            return
        self.session.set_system(argument)
        save_if_needed(self.session, self.history)
        notice("System prompt replaced.")


def _require(argument: str, usage: str) -> str:
    if not argument:
        raise UsageError(f"missing file name; usage: {usage}")
    return argument
