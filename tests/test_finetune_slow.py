"""LoRA fine-tuning of the embedded SmolLM2 (slow): real training signal and use of the result."""

from __future__ import annotations

import json

import pytest

from test_finetune_cli import write_rows

pytestmark = pytest.mark.slow


def test_lora_on_shared_summaries_then_summarize_and_eval(cli, smollm2, shared_data, tmp_path):
    output = tmp_path / "tuned"
    result = cli("finetune", "--task", "summarize", "--dataset", shared_data / "summarization_xsum.jsonl",
                 "--model", smollm2, "--output-dir", output, "--lora", "--max-steps", "4", "--batch-size", "1",
                 "--save-steps", "2", "--max-length", "512", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["global_step"] == 4
    assert report["method"] == "lora"
    for directory in (output, output / "checkpoint-2", output / "checkpoint-4"):
        assert (directory / "adapter_model.safetensors").is_file()
        assert json.loads((directory / "gpttasks.json").read_text())["template_kind"] == "chat"
    assert (output / "training_curves.png").is_file()

    result = cli("summarize", shared_data / "article.txt", "--model", output, "--length", "short", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["text"].strip()

    result = cli("eval", "--model", output, "--dataset", shared_data / "summarization_xsum.jsonl",
                 "--task", "summarize", "--limit", "1", "--output-dir", tmp_path / "eval", "--json")
    assert result.exit_code == 0, result.stderr
    assert "rouge1" in result.stdout


def test_loss_falls_on_repeated_examples(cli, smollm2, tmp_path):
    rows = [
        {"id": f"{copy}-{index}", "document": document, "summary": summary}
        for copy in range(2)
        for index, (document, summary) in enumerate([
            ("The city council voted on Tuesday to build a new bridge over the river by 2027.",
             "The council approved a new bridge."),
            ("Heavy snow closed every school in the valley for two days this week.",
             "Snow closed the valley's schools."),
            ("研究人员发现，每天步行三十分钟可以显著降低心脏病风险。",
             "每天步行有助于降低心脏病风险。"),
            ("The museum will open a new wing for modern art next spring.",
             "The museum adds a modern art wing."),
        ])
    ]
    dataset = write_rows(tmp_path / "repeated.jsonl", rows)
    output = tmp_path / "out"
    result = cli("finetune", "--task", "summarize", "--dataset", dataset, "--model", smollm2,
                 "--output-dir", output, "--lora", "--max-steps", "8", "--batch-size", "4",
                 "--learning-rate", "2e-3", "--logging-steps", "1", "--save-steps", "8", "--json")
    assert result.exit_code == 0, result.stderr
    history = json.loads((output / "training_report.json").read_text())["log_history"]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == 8
    # Each step trains on the same eight rows again, so a working update lowers the loss clearly.
    assert losses[-1] < 0.7 * losses[0], losses
