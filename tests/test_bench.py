"""The benchmark script runs end to end on the tiny model; it never asserts timings."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_writes_json(tmp_path):
    document = REPO_ROOT / "docs" / "benchmarks.md"
    before = document.read_text(encoding="utf-8") if document.is_file() else None
    output = tmp_path / "result.json"
    empty_samples = tmp_path / "no-samples"
    empty_samples.mkdir()
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "run.py"), "--quick", "--documents", "2",
         "--new-tokens", "4", "--max-new-tokens", "4", "--samples", str(empty_samples),
         "--output", str(output)],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith(str(output))
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["meta"]["quick"] is True
    assert len(data["meta"]["loadavg_start"]) == 3
    assert data["startup"]["heavy_imported"] == []
    assert data["startup"]["gpttasks_help_s"]["median"] > 0
    assert data["load"]["cached_load_s"]["median"] > 0
    assert data["decode"]["new_tokens"] == 4
    assert data["decode"]["ceiling_tokens_per_s"] > 0
    assert data["decode"]["spinning_threads"]["decode_tokens_per_s"]["median"] > 0
    assert data["batch"]["documents"] == 2
    assert data["batch"]["identical_outputs"] == 2, data["batch"]["differing_ids"]
    assert data["batch"]["naive_rss_mib"] > 0
    assert "skipped" in data["eval"]
    assert "skipped" in data["peer"]
    assert {row["target"].split()[0] for row in data["targets"]} >= {"`gpttasks", "batch"}
    after = document.read_text(encoding="utf-8") if document.is_file() else None
    assert after == before, "--quick must not rewrite docs/benchmarks.md"


def test_unknown_section_rejected(tmp_path):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "run.py"), "--quick", "--sections", "warp"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "unknown section(s) warp" in result.stderr


@pytest.mark.slow
def test_smollm2_batched_greedy_matches_single(smollm2, shared_data):
    """Left padding plus the attention mask keep batched greedy outputs equal to unbatched ones."""
    from gpttasks.generation.engine import Generator
    from gpttasks.generation.options import DecodingOptions
    from gpttasks.modeling import load_model, resolve_model_spec
    from gpttasks.tasks.summarize import Summarizer

    handle = load_model(resolve_model_spec(smollm2), device="cpu", dtype="float32")
    documents = []
    for path in sorted(shared_data.glob("summarization_*.jsonl")):
        documents += [json.loads(line)["document"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    options = DecodingOptions(max_new_tokens=24, no_repeat_ngram_size=3)
    single = Generator(handle, batch_size=1)
    prompts = [Summarizer(single, options).prompt_ids(text) for text in documents]
    one = [result.text for result in single.generate(prompts, options)]
    batched = [result.text for result in Generator(handle, batch_size=len(prompts)).generate(prompts, options)]
    differing = [index for index, (a, b) in enumerate(zip(one, batched)) if a != b]
    assert differing == [], [(one[i], batched[i]) for i in differing]
