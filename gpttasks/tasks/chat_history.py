"""Chat history files: a JSON object ``{"messages": [{"role": ..., "content": ...}, ...]}``.

Files are replaced atomically, so a crash or kill during a save leaves the previous
version in place. Loading also accepts a bare JSON list of messages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from gpttasks.errors import InputError
from gpttasks.io import read_text, write_json_atomic

ROLES = ("system", "user", "assistant")


def load_history(path: str | Path, missing_ok: bool = False) -> list[dict[str, str]]:
    """Read and validate the messages in a history file.

    With ``missing_ok`` a file that does not exist yet is an empty conversation;
    otherwise it is an :class:`InputError`, as is an unreadable or malformed file.
    """
    path = Path(path)
    if missing_ok and not path.exists():
        _check_creatable(path)
        return []
    text = read_text(path)
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"history file {path} is not valid JSON ({error.msg} at line {error.lineno}); "
            "fix it, or move it away to start a new conversation"
        ) from error
    if isinstance(data, dict):
        data = data.get("messages")
    return validate_messages(data, f"history file {path}")


def _check_creatable(path: Path) -> None:
    """Fail before any model work when the first save of ``path`` could not succeed."""
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot create history file {path}: {ancestor} is a file, not a directory")
    if not os.access(ancestor, os.W_OK):
        raise InputError(f"cannot create history file {path}: {ancestor} is not writable")


def validate_messages(data: Any, origin: str) -> list[dict[str, str]]:
    """Check a ``messages`` list: roles system/user/assistant, string contents, system first."""
    if not isinstance(data, list):
        raise InputError(
            f'{origin} must contain a list of messages or an object with a "messages" list, '
            'e.g. {"messages": [{"role": "user", "content": "Hello"}]}'
        )
    messages = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InputError(f"{origin}: message {number} is a {type(item).__name__}, not an object with role and content")
        role, content = item.get("role"), item.get("content")
        if role not in ROLES:
            raise InputError(f"{origin}: message {number} has invalid role {role!r}; use one of {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise InputError(f"{origin}: message {number} needs a string 'content'")
        if role == "system" and number != 1:
            raise InputError(f"{origin}: message {number} is a system message; only the first message may be one")
        messages.append({"role": role, "content": content})
    return messages


def save_history(path: str | Path, messages: list[dict[str, str]]) -> None:
    """Write the messages atomically (temporary file, then rename)."""
    try:
        write_json_atomic(path, {"messages": messages})
    except IsADirectoryError as error:
        raise InputError(f"failed to write history file {path}: it is a directory") from error
    except OSError as error:
        raise InputError(f"failed to write history file {path}: {error.strerror or error}") from error
