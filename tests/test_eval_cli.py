"""``gpttasks eval`` end to end on the tiny model: files written, resume, score-only mode, bars, compare."""

from __future__ import annotations

import json

import pytest

from gpttasks.evaluation.metrics import compute_metrics

DOCS = [
    {"id": "n1", "document": "The council approved the new park on Monday.", "summary": "Council approves park."},
    {"id": "n2", "document": "Heavy rain flooded roads across the city today.", "summary": "Rain floods city roads."},
    {"id": "n3", "document": "市政府周一批准了新公园的建设计划。", "summary": "市政府批准新公园。"},
    {"id": "n4", "document": "The team won the final after extra time.", "summary": "Team wins final."},
    {"id": "n5", "document": "Scientists found water ice near the lunar pole.", "summary": "Ice found on the Moon."},
]
FAST = ("--max-new-tokens", "4", "--bootstrap-samples", "50", "--batch-size", "2")


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def docs_file(tmp_path):
    return write_jsonl(tmp_path / "docs.jsonl", DOCS)


def eval_args(docs_file, output, model, *extra):
    return ("eval", "--task", "summarize", "--dataset", docs_file, "--model", model, "-o", output, *FAST, *extra)


def test_eval_writes_predictions_and_results(cli, docs_file, tmp_path, tiny_model_dir):
    output = tmp_path / "run"
    result = cli(*eval_args(docs_file, output, tiny_model_dir), "--json")
    assert result.exit_code == 0, result.stderr

    records = read_jsonl(output / "predictions.jsonl")
    assert sorted(r["id"] for r in records) == ["n1", "n2", "n3", "n4", "n5"]
    first = next(r for r in records if r["id"] == "n3")
    assert first["input"] == DOCS[2]["document"]
    assert first["reference"] == DOCS[2]["summary"]
    assert first["output_tokens"] <= 4
    assert first["finish_reason"] in ("eos", "stop", "length")
    assert first["prompt_tokens"] > 0

    results = json.loads(result.stdout)
    assert results == json.loads((output / "results.json").read_text(encoding="utf-8"))
    assert results["task"] == "summarize"
    assert results["dataset"]["num_examples"] == 5
    assert results["dataset"]["columns"] == {"input": "document", "reference": "summary"}
    assert len(results["model"]["sha256"]) == 64
    assert results["prompt"]["template"]["name"] == "summarize-base"
    assert results["decoding"]["max_new_tokens"] == 4
    assert results["batch_size"] == 2
    assert results["metric_settings"]["rouge_tokenizer"] == "unicode"
    assert results["metric_settings"]["stemming"] is True
    assert results["library_versions"]["rouge-score"]
    assert results["timings"]["generated_examples"] == 5
    assert set(results["scores"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert set(results["confidence_intervals"]) == set(results["scores"])

    # The scores are those of the metric function on the stored predictions.
    ordered = {r["id"]: r for r in records}
    expected = compute_metrics(
        "summarize",
        predictions=[ordered[d["id"]]["prediction"] for d in DOCS],
        references=[d["summary"] for d in DOCS],
    )
    assert results["scores"]["rougeL"] == pytest.approx(expected["rougeL"])


def test_eval_table_on_stdout(cli, docs_file, tmp_path, tiny_model_dir):
    result = cli(*eval_args(docs_file, tmp_path / "run", tiny_model_dir))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:2] == ["metric", "score"]
    assert "5 examples" in result.stdout


def test_eval_resumes_after_interrupt(cli, docs_file, tmp_path, tiny_model_dir, monkeypatch):
    from gpttasks.tasks.summarize import Summarizer

    original = Summarizer.summarize
    calls = []

    def interrupted(self, examples, on_progress=None):
        calls.append([e.id for e in examples])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, examples, on_progress)

    monkeypatch.setattr(Summarizer, "summarize", interrupted)
    output = tmp_path / "run"
    first = cli(*eval_args(docs_file, output, tiny_model_dir))
    assert first.exit_code == 130
    assert not (output / "results.json").exists()
    done = read_jsonl(output / "predictions.jsonl")
    assert [r["id"] for r in done] == calls[0]

    calls.clear()
    monkeypatch.setattr(Summarizer, "summarize", lambda self, ex, on_progress=None: (calls.append([e.id for e in ex]), original(self, ex, on_progress))[1])
    second = cli(*eval_args(docs_file, output, tiny_model_dir))
    assert second.exit_code == 0, second.stderr
    regenerated = {i for group in calls for i in group}
    assert regenerated.isdisjoint(r["id"] for r in done)
    ids = [r["id"] for r in read_jsonl(output / "predictions.jsonl")]
    assert sorted(ids) == ["n1", "n2", "n3", "n4", "n5"]
    assert "resuming: 2 of 5 examples already done" in second.stderr


def test_eval_repairs_cut_last_line(cli, docs_file, tmp_path, tiny_model_dir):
    output = tmp_path / "run"
    assert cli(*eval_args(docs_file, output, tiny_model_dir, "--limit", "2")).exit_code == 0
    with (output / "predictions.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "n3", "input": "cut sh')
    result = cli(*eval_args(docs_file, output, tiny_model_dir))
    assert result.exit_code == 0, result.stderr
    ids = [r["id"] for r in read_jsonl(output / "predictions.jsonl")]
    assert sorted(ids) == ["n1", "n2", "n3", "n4", "n5"]


def test_eval_rejects_changed_settings(cli, docs_file, tmp_path, tiny_model_dir):
    output = tmp_path / "run"
    assert cli(*eval_args(docs_file, output, tiny_model_dir)).exit_code == 0
    changed = cli(*eval_args(docs_file, output, tiny_model_dir, "--length", "short"))
    assert changed.exit_code == 2
    assert "different prompt" in changed.stderr
    assert "--overwrite" in changed.stderr
    replaced = cli(*eval_args(docs_file, output, tiny_model_dir, "--length", "short", "--overwrite"))
    assert replaced.exit_code == 0, replaced.stderr
    assert json.loads((output / "run.json").read_text())["prompt"]["length"] == "short"


def test_eval_rejects_changed_data(cli, docs_file, tmp_path, tiny_model_dir):
    output = tmp_path / "run"
    assert cli(*eval_args(docs_file, output, tiny_model_dir)).exit_code == 0
    edited = [dict(DOCS[0], document="A different article.")] + DOCS[1:]
    write_jsonl(docs_file, edited)
    result = cli(*eval_args(docs_file, output, tiny_model_dir))
    assert result.exit_code == 2
    assert "id 'n1' with a different input" in result.stderr


def scoring_file(tmp_path):
    rows = [
        {"id": "a", "prediction": "女子用板车拉母亲环游中国", "reference": "女子用板车拉九旬老母环游中国"},
        {"id": "b", "prediction": "The cat sat on the mat.", "reference": "The cat was on the mat."},
        {"id": "c", "prediction": "", "reference": "Nothing was said."},
    ]
    return write_jsonl(tmp_path / "system.jsonl", rows), rows


def test_score_only_mode(cli, tmp_path, monkeypatch):
    import gpttasks.cli.common as common

    def no_model(*args, **kwargs):
        raise AssertionError("score-only mode must not load a model")

    monkeypatch.setattr(common, "load_handle", no_model)
    path, rows = scoring_file(tmp_path)
    result = cli("eval", "--task", "summarize", "--predictions", path, "--json", "-o", tmp_path / "scores")
    assert result.exit_code == 0, result.stderr
    results = json.loads(result.stdout)
    expected = compute_metrics(
        "summarize", predictions=[r["prediction"] for r in rows], references=[r["reference"] for r in rows]
    )
    for metric in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        assert results["scores"][metric] == pytest.approx(expected[metric])
    assert results["empty_predictions"] == 1
    assert results["scores"]["rouge1"] > 0
    assert (tmp_path / "scores" / "results.json").is_file()


def test_score_only_translation(cli, tmp_path):
    rows = [
        {"prediction": "猫坐在垫子上。", "reference": "猫在垫子上。", "target_lang": "zh"},
        {"prediction": "狗在叫。", "reference": "狗在大声叫。", "target_lang": "zh"},
    ]
    path = write_jsonl(tmp_path / "mt.jsonl", rows)
    result = cli("eval", "--task", "translate", "--predictions", path, "--json", "--bootstrap-samples", "0")
    assert result.exit_code == 0, result.stderr
    results = json.loads(result.stdout)
    assert "tok:zh" in results["metric_settings"]["sacrebleu"]["signatures"]["bleu"]
    assert results["scores"]["bleu"] > 0
    assert results["confidence_intervals"] == {}


def test_score_only_bad_input(cli, tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": "x", "prediction": "a"}])
    result = cli("eval", "--task", "summarize", "--predictions", path)
    assert result.exit_code == 2
    assert "record 'x' has no string field 'reference'" in result.stderr
    missing_task = cli("eval", "--predictions", path)
    assert missing_task.exit_code == 2
    assert "--predictions needs --task" in missing_task.stderr


def test_fail_under(cli, tmp_path):
    path, _ = scoring_file(tmp_path)
    passing = cli("eval", "--task", "summarize", "--predictions", path, "--fail-under", "rougeL=1")
    assert passing.exit_code == 0, passing.stderr
    failing = cli("eval", "--task", "summarize", "--predictions", path, "--fail-under", "rougeL=99.5")
    assert failing.exit_code == 1
    assert "rougeL" in failing.stderr
    assert "is below 99.5" in failing.stderr
    assert "rouge1" in failing.stdout  # the table still prints
    invalid = cli("eval", "--task", "summarize", "--predictions", path, "--fail-under", "bleu=3")
    assert invalid.exit_code == 2
    assert "invalid --fail-under 'bleu=3'" in invalid.stderr


def test_fail_under_ter_is_upper_bound(cli, tmp_path):
    rows = [{"prediction": "a b c d", "reference": "a b x y"}]
    path = write_jsonl(tmp_path / "mt.jsonl", rows)
    result = cli("eval", "--task", "translate", "--predictions", path, "--fail-under", "ter=10")
    assert result.exit_code == 1
    assert "ter 50.00 is above 10" in result.stderr


def test_eval_usage_errors(cli, docs_file, tmp_path, tiny_model_dir):
    no_dataset = cli("eval", "--task", "summarize")
    assert no_dataset.exit_code == 2
    assert "give --dataset" in no_dataset.stderr
    no_output = cli("eval", "--task", "summarize", "--dataset", docs_file)
    assert no_output.exit_code == 2
    assert "--output-dir" in no_output.stderr
    no_task = cli("eval", "--dataset", docs_file, "-o", tmp_path / "x", "--model", tiny_model_dir)
    assert no_task.exit_code == 2
    assert "give --task" in no_task.stderr
    offline = cli("eval", "--dataset", "xsum", "-o", tmp_path / "x", "--model", tiny_model_dir)
    assert offline.exit_code == 2
    assert "EdinburghNLP/xsum" in offline.stderr
    assert "HF_HUB_OFFLINE" in offline.stderr
    bad_tokenizer = cli("eval", "--task", "summarize", "--predictions", docs_file, "--rouge-tokenizer", "x")
    assert bad_tokenizer.exit_code == 2
    assert "invalid --rouge-tokenizer" in bad_tokenizer.stderr


def test_eval_compare(cli, docs_file, tmp_path, tiny_model_dir):
    run_a, run_b = tmp_path / "a", tmp_path / "b"
    assert cli(*eval_args(docs_file, run_a, tiny_model_dir)).exit_code == 0
    longer = list(eval_args(docs_file, run_b, tiny_model_dir))
    longer[longer.index("--max-new-tokens") + 1] = "8"
    assert cli(*longer).exit_code == 0
    result = cli("eval", "compare", run_a, run_b, "--bootstrap-samples", "50", "--json")
    assert result.exit_code == 0, result.stderr
    comparison = json.loads(result.stdout)
    assert comparison["shared_examples"] == 5
    row = comparison["metrics"]["rougeL"]
    assert row["difference"] == pytest.approx(row["system"] - row["baseline"])
    assert 0 < row["p_value"] <= 1
    table = cli("eval", "compare", run_a, run_b, "--bootstrap-samples", "50")
    assert "p-value" in table.stdout
    missing = cli("eval", "compare", run_a, tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert "results.json not found" in missing.stderr


def test_eval_translate_tiny_model(cli, tmp_path, tiny_model_dir):
    rows = [
        {"id": "t1", "source_lang": "zh", "target_lang": "en", "source": "今天天气很好。", "target": "The weather is nice today."},
        {"id": "t2", "source_lang": "zh", "target_lang": "en", "source": "我们明天见。", "target": "See you tomorrow."},
    ]
    data = write_jsonl(tmp_path / "zh-en.jsonl", rows)
    output = tmp_path / "mt"
    result = cli("eval", "--task", "translate", "--dataset", data, "--model", tiny_model_dir, "-o", output, *FAST, "--json")
    assert result.exit_code == 0, result.stderr
    results = json.loads(result.stdout)
    assert set(results["scores"]) == {"bleu", "chrf", "ter"}
    assert results["prompt"]["template"]["name"] == "translate-base"
    records = read_jsonl(output / "predictions.jsonl")
    assert {r["target_lang"] for r in records} == {"en"}
    assert "tok:13a" in results["metric_settings"]["sacrebleu"]["signatures"]["bleu"]
