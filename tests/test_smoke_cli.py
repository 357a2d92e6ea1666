"""End-to-end smoke tests of generate and summarize on the tiny model."""

import json


def test_generate_json_fields(cli, tiny_model_dir):
    result = cli("generate", "Hello world", "--model", tiny_model_dir, "--max-new-tokens", "5", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert set(record) >= {"id", "text", "finish_reason", "prompt_tokens", "output_tokens"}
    assert record["prompt_tokens"] == 2
    assert record["finish_reason"] == "length"
    assert record["output_tokens"] == 5


def test_summarize_base_model(cli, tiny_model_dir, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("The city council approved a new park. Work starts in May.", encoding="utf-8")
    result = cli("summarize", article, "--model", tiny_model_dir, "--max-new-tokens", "8", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["output_tokens"] <= 8
