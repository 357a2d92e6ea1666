"""Real behaviour on the embedded SmolLM2-135M-Instruct model (slow: run with -m slow)."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_summary_names_main_subject(run_gpttasks, smollm2, smollm2_cache):
    env = {"GPTTASKS_CACHE": str(smollm2_cache)}
    result = run_gpttasks("summarize", EXAMPLES / "article.txt", env=env)
    assert result.returncode == 0, result.stderr.decode()
    summary = result.stdout.decode()
    assert "library" in summary.lower() or "Millbrook" in summary
    assert summary.strip()

    # The second run reads the converted safetensors from the cache.
    again = run_gpttasks("summarize", EXAMPLES / "article.txt", env=env)
    assert again.returncode == 0
    assert "converting" not in again.stderr.decode()
    assert again.stdout == result.stdout  # greedy decoding is deterministic


def test_real_news_article(run_gpttasks, smollm2, smollm2_cache, shared_data):
    result = run_gpttasks("summarize", shared_data / "article.txt", "--json", env={"GPTTASKS_CACHE": str(smollm2_cache)})
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)["text"]
    assert any(name in summary for name in ("Wright", "Johnstone", "United", "Dundee"))


def test_chinese_document_summary(run_gpttasks, smollm2, smollm2_cache, shared_data):
    lines = (shared_data / "summarization_lcsts_zh.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    result = run_gpttasks("summarize", "-", "--json", "--length", "short",
                          input=record["document"], env={"GPTTASKS_CACHE": str(smollm2_cache)})
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["text"].strip()


def test_generate_stop_string(run_gpttasks, smollm2, smollm2_cache):
    result = run_gpttasks("generate", "Count from one to ten: one, two,", "--stop", "five", "--json",
                          "--max-new-tokens", "40", env={"GPTTASKS_CACHE": str(smollm2_cache)})
    assert result.returncode == 0, result.stderr.decode()
    record = json.loads(result.stdout)
    assert "five" not in record["text"]
    assert record["finish_reason"] == "stop"
