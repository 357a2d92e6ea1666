"""`gpttasks generate` through the CLI: inputs, flags, JSON output."""

import json

import pytest


def test_every_flag_reaches_generate(cli, tiny_model_dir, monkeypatch):
    from transformers import GPT2LMHeadModel

    seen = {}
    original = GPT2LMHeadModel.generate

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GPT2LMHeadModel, "generate", spy)
    result = cli(
        "generate", "Hello", "--model", tiny_model_dir, "--json",
        "--strategy", "sample", "--temperature", "0.5", "--top-k", "7", "--top-p", "0.8",
        "--repetition-penalty", "1.3", "--no-repeat-ngram-size", "2", "--max-new-tokens", "6",
        "--stop", "zzz", "--stop", "\\n", "--seed", "3",
    )
    assert result.exit_code == 0, result.stderr
    config = seen["generation_config"]
    assert config.do_sample is True
    assert config.temperature == 0.5
    assert config.top_k == 7
    assert config.top_p == 0.8
    assert config.repetition_penalty == 1.3
    assert config.no_repeat_ngram_size == 2
    assert config.max_new_tokens == 6
    assert config.stop_strings == ["zzz", "\n"]
    assert seen["attention_mask"] is not None
    assert "tokenizer" in seen


def test_beam_flags_reach_generate(cli, tiny_model_dir, monkeypatch):
    from transformers import GPT2LMHeadModel

    seen = {}
    original = GPT2LMHeadModel.generate

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GPT2LMHeadModel, "generate", spy)
    result = cli("generate", "Hello", "--model", tiny_model_dir, "--num-beams", "3", "--max-new-tokens", "4")
    assert result.exit_code == 0, result.stderr
    assert seen["generation_config"].num_beams == 3
    assert seen["generation_config"].do_sample is False


def test_jsonl_batch(cli, tiny_model_dir, tmp_path):
    batch = tmp_path / "prompts.jsonl"
    batch.write_text(
        '{"id": "a", "prompt": "Hello"}\n\n{"id": "文档", "prompt": "今天的天气"}\n{"prompt": "Third"}\n',
        encoding="utf-8",
    )
    result = cli("generate", "--input", batch, "--model", tiny_model_dir, "--json", "--max-new-tokens", "3")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", "文档", "4"]
    assert all(r["output_tokens"] == 3 for r in records)


def test_txt_batch_one_prompt_per_line(cli, tiny_model_dir, tmp_path):
    batch = tmp_path / "prompts.txt"
    batch.write_text("first\n\nsecond\nthird\n", encoding="utf-8")
    result = cli("generate", "-i", batch, "--model", tiny_model_dir, "--json", "--max-new-tokens", "2")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1", "3", "4"]


def test_stdin_prompt(cli, tiny_model_dir):
    result = cli("generate", "-", "--model", tiny_model_dir, "--max-new-tokens", "2", "--json", input="From stdin")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["prompt_tokens"] == 3  # "From", " std", "in"


def test_output_file_written(cli, tiny_model_dir, tmp_path):
    target = tmp_path / "out.jsonl"
    result = cli("generate", "Hello", "--model", tiny_model_dir, "--json", "-o", target, "--max-new-tokens", "2")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["output_tokens"] == 2


def test_malformed_line_fails_before_model_load(cli, tmp_path):
    batch = tmp_path / "prompts.jsonl"
    batch.write_text('{"prompt": "ok"}\n{"prompt": \n', encoding="utf-8")
    # No --model: loading would fail differently, so the line error proves the order.
    result = cli("generate", "--input", batch, "--model", "/nonexistent/model")
    assert result.exit_code == 2
    assert f"{batch}:2: invalid JSON" in result.stderr


@pytest.mark.parametrize(
    "lines,fragment",
    [
        ('{"text": "x"}\n', "missing or empty string field 'prompt'"),
        ('["x"]\n', "expected a JSON object"),
        ('{"id": 1, "prompt": "a"}\n{"id": 1, "prompt": "b"}\n', "duplicate id '1'"),
        ("\n\n", "contains no inputs"),
    ],
)
def test_bad_batch_files(cli, tmp_path, lines, fragment):
    batch = tmp_path / "prompts.jsonl"
    batch.write_text(lines, encoding="utf-8")
    result = cli("generate", "--input", batch)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert result.stdout == ""


def test_piped_prompt_drops_trailing_newline(cli, tiny_model_dir):
    piped = cli("generate", "-", "--model", tiny_model_dir, "--max-new-tokens", "3", "--json", input="Hello world\n")
    argument = cli("generate", "Hello world", "--model", tiny_model_dir, "--max-new-tokens", "3", "--json")
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout)["prompt_tokens"] == 2
    assert json.loads(piped.stdout)["text"] == json.loads(argument.stdout)["text"]
