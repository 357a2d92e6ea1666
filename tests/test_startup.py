"""The CLI starts without importing torch or transformers."""

import subprocess
import sys

import pytest

CHECK = (
    "import sys, runpy\n"
    "sys.argv = ['gpttasks'] + sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_module('gpttasks', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "heavy = [m for m in ('torch', 'transformers', 'datasets', 'peft', 'sacrebleu', 'rouge_score') if m in sys.modules]\n"
    "sys.stderr.write('HEAVY:' + ','.join(heavy) + '\\n')\n"
)


@pytest.mark.parametrize("command", [[], ["generate"], ["summarize"], ["translate"], ["chat"], ["eval"], ["finetune"]])
def test_help_imports_no_heavy_modules(command):
    result = subprocess.run(
        [sys.executable, "-c", CHECK, *command, "--help"], capture_output=True, text=True, timeout=60
    )
    if command and "No such command" in result.stderr:
        pytest.skip(f"command {command[0]} not available")
    assert "Usage" in result.stdout
    assert "HEAVY:\n" in result.stderr, result.stderr


def test_cli_reference_lists_every_command():
    from pathlib import Path

    from gpttasks.cli.app import app

    reference = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        assert f"## gpttasks {command.name}" in reference
