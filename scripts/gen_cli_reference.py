"""Regenerate docs/cli.md from the commands' own --help, so the reference cannot drift.

Run: python scripts/gen_cli_reference.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"
COMMANDS = [[], ["summarize"], ["translate"], ["chat"], ["generate"], ["eval"], ["eval", "compare"], ["finetune"]]


def help_text(command: list[str]) -> str:
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1", TERM="dumb")
    result = subprocess.run(
        [sys.executable, "-m", "gpttasks", *command, "--help"],
        capture_output=True, text=True, env=env, check=True, cwd=ROOT,
    )
    return "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())


def main() -> None:
    parts = [
        "# CLI reference",
        "",
        "Generated from `--help` by `python scripts/gen_cli_reference.py`; edit the command",
        "docstrings and option help, not this file.",
    ]
    for command in COMMANDS:
        title = " ".join(["gpttasks", *command])
        parts += ["", f"## {title}", "", "```text", help_text(command), "```"]
    TARGET.write_text("\n".join(parts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
