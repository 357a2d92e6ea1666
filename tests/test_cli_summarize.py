"""`gpttasks summarize` through the CLI: templates, chunking, batches."""

import json

import pytest

from gpttasks.generation.engine import Generator


def test_long_input_is_chunked_within_context(cli, tiny_model_dir, tmp_path, monkeypatch):
    sentences = [f"Sentence number {i} talks about the harbour and the new bridge." for i in range(300)]
    article = tmp_path / "long.txt"
    article.write_text("\n\n".join(" ".join(sentences[i : i + 10]) for i in range(0, 300, 10)), encoding="utf-8")
    assert len(article.read_text().split()) >= 3000

    lengths = []
    original = Generator._generate_batch

    def spy(self, batch, options):
        lengths.extend(len(ids) + options.max_new_tokens for ids in batch)
        return original(self, batch, options)

    monkeypatch.setattr(Generator, "_generate_batch", spy)
    result = cli("summarize", article, "--model", tiny_model_dir, "--json", "--max-new-tokens", "16")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["chunks"] > 1
    assert max(lengths) <= 256
    assert len(lengths) > record["chunks"]  # chunk summaries, then the reduce step


def test_base_prompt_ends_with_tldr(tiny_model_dir):
    from gpttasks.generation.options import DecodingOptions
    from gpttasks.modeling import load_model, resolve_model_spec
    from gpttasks.tasks.summarize import Summarizer

    handle = load_model(resolve_model_spec(str(tiny_model_dir)), device="cpu")
    summarizer = Summarizer(Generator(handle), DecodingOptions(max_new_tokens=8))
    prompt = handle.tokenizer.decode(summarizer.prompt_ids("The council met."))
    assert prompt == "The council met.\nTL;DR:"


def test_chat_prompt_uses_chat_template(tiny_chat_model_dir):
    from gpttasks.generation.options import DecodingOptions
    from gpttasks.modeling import load_model, resolve_model_spec
    from gpttasks.tasks.summarize import Summarizer

    handle = load_model(resolve_model_spec(str(tiny_chat_model_dir)), device="cpu")
    summarizer = Summarizer(Generator(handle), DecodingOptions(max_new_tokens=8), length="short")
    prompt = handle.tokenizer.decode(summarizer.prompt_ids("The council met."))
    assert prompt.startswith("<|im_start|>user\nSummarize the following text in one or two sentences.")
    assert prompt.endswith("The council met.<|im_end|>\n<|im_start|>assistant\n")


def test_user_template(cli, tiny_model_dir, tmp_path, monkeypatch):
    template = tmp_path / "t.jinja"
    template.write_text("Article: {{ text }}\nSummary ({{ length }}):", encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("Rain fell.", encoding="utf-8")
    prompts = []
    original = Generator.generate

    def spy(self, batch, options, on_progress=None):
        prompts.extend(self.handle.tokenizer.decode(p) for p in batch)
        return original(self, batch, options, on_progress)

    monkeypatch.setattr(Generator, "generate", spy)
    result = cli("summarize", article, "--template", template, "--model", tiny_model_dir, "--max-new-tokens", "4")
    assert result.exit_code == 0, result.stderr
    assert prompts == ["Article: Rain fell.\nSummary (medium):"]


def test_user_template_missing_variables(cli, tmp_path):
    template = tmp_path / "t.jinja"
    template.write_text("{{ text }} {{ tone }} {{ style }}", encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("Rain fell.", encoding="utf-8")
    result = cli("summarize", article, "--template", template, "--model", "/nonexistent")
    assert result.exit_code == 2
    assert "undefined variable(s) style, tone" in result.stderr


def test_jsonl_batch_output(cli, tiny_model_dir, tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        '{"id": "en", "text": "The bridge closed for repairs."}\n'
        '{"id": "zh", "text": "本市今天开通了第一条有轨电车线路。"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = cli("summarize", "--input", docs, "--model", tiny_model_dir, "--json", "-o", out, "--max-new-tokens", "4")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["en", "zh"]


@pytest.mark.parametrize("length", ["tiny", "LONG"])
def test_invalid_length(cli, tmp_path, length):
    article = tmp_path / "a.txt"
    article.write_text("Rain fell.", encoding="utf-8")
    result = cli("summarize", article, "--length", length)
    assert result.exit_code == 2
    assert f"invalid --length {length!r}" in result.stderr


def test_max_new_tokens_too_large_for_context(cli, tiny_model_dir, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Rain fell.", encoding="utf-8")
    result = cli("summarize", article, "--model", tiny_model_dir, "--max-new-tokens", "250")
    assert result.exit_code == 2
    assert "lower --max-new-tokens" in result.stderr


def test_batch_output_is_jsonl_without_flag(cli, tiny_model_dir, tmp_path):
    docs = tmp_path / "docs.txt"
    docs.write_text("First document.\nSecond document.\n", encoding="utf-8")
    result = cli("summarize", "--input", docs, "--model", tiny_model_dir, "--max-new-tokens", "3")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1", "2"]


def test_prompt_tokens_count_whole_prompt(cli, tiny_chat_model_dir, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Rain fell.", encoding="utf-8")
    result = cli("summarize", article, "--model", tiny_chat_model_dir, "--json", "--max-new-tokens", "2")
    assert result.exit_code == 0, result.stderr
    # The instruction and chat markup count too, not only the three document tokens.
    assert json.loads(result.stdout)["prompt_tokens"] > 20
