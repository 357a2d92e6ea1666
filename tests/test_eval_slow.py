"""Slow tests: eval on the shared research samples with the tiny model and the embedded SmolLM2."""

from __future__ import annotations

import json

import pytest

from gpttasks.evaluation.datasets import load_examples

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("name", "task", "count"),
    [
        ("summarization_cnndm.jsonl", "summarize", 4),
        ("summarization_xsum.jsonl", "summarize", 3),
        ("summarization_lcsts_zh.jsonl", "summarize", 3),
        ("translation_zh-en_wmt.jsonl", "translate", 10),
        ("translation_en-fr_multi30k.jsonl", "translate", 10),
    ],
)
def test_shared_files_load(shared_data, name, task, count):
    examples = load_examples(str(shared_data / name), task=task)
    assert len(examples) == count
    assert all(example.text and example.reference for example in examples)
    if task == "translate":
        assert all(example.source_lang and example.target_lang for example in examples)


def test_tiny_model_eval_on_shared_data(cli, shared_data, tmp_path, tiny_model_dir):
    output = tmp_path / "cnndm"
    result = cli(
        "eval", "--task", "summarize", "--dataset", shared_data / "summarization_cnndm.jsonl",
        "--model", tiny_model_dir, "-o", output, "--max-new-tokens", "8", "--bootstrap-samples", "50", "--json",
    )
    assert result.exit_code == 0, result.stderr
    results = json.loads(result.stdout)
    assert results["dataset"]["num_examples"] == 4
    assert len((output / "predictions.jsonl").read_text(encoding="utf-8").splitlines()) == 4


def run_smollm2(cli, smollm2, dataset, task, output, *extra):
    result = cli(
        "eval", "--task", task, "--dataset", dataset, "--model", smollm2, "-o", output,
        "--limit", "2", "--bootstrap-samples", "200", "--json", *extra,
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_smollm2_summarize_cnndm(cli, smollm2, shared_data, tmp_path):
    results = run_smollm2(cli, smollm2, shared_data / "summarization_cnndm.jsonl", "summarize", tmp_path / "cnndm")
    assert results["scores"]["rouge1"] > 10
    assert results["empty_predictions"] == 0
    assert results["model"]["name"] == "smollm2"
    assert len(results["model"]["sha256"]) == 64


def test_smollm2_summarize_chinese(cli, smollm2, shared_data, tmp_path):
    results = run_smollm2(cli, smollm2, shared_data / "summarization_lcsts_zh.jsonl", "summarize", tmp_path / "zh")
    # A Chinese summary shares characters with the reference; rouge_score's own
    # tokenizer would give exactly 0 here.
    assert results["scores"]["rouge1"] > 0


def test_smollm2_translate_zh_en(cli, smollm2, shared_data, tmp_path):
    results = run_smollm2(cli, smollm2, shared_data / "translation_zh-en_wmt.jsonl", "translate", tmp_path / "zh-en")
    assert results["scores"]["chrf"] > 10
    assert "tok:13a" in results["metric_settings"]["sacrebleu"]["signatures"]["bleu"]


def test_smollm2_translate_en_fr(cli, smollm2, shared_data, tmp_path):
    results = run_smollm2(cli, smollm2, shared_data / "translation_en-fr_multi30k.jsonl", "translate", tmp_path / "en-fr")
    assert results["scores"]["chrf"] > 10
    assert results["num_examples"] == 2
