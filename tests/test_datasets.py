"""Loading examples from local files in every format, presets and Hub datasets offline."""

from __future__ import annotations

import json
import time

import pytest

from gpttasks.errors import InputError, UsageError
from gpttasks.evaluation.datasets import load_dataset_examples, load_examples

ROWS = [
    {"id": 7, "document": "First article text.", "summary": "First summary."},
    {"id": "b", "document": "第二篇文章。", "summary": "第二个摘要。"},
    {"id": 9.5, "document": "Third article.", "summary": "Third."},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def write_delimited(path, rows, delimiter):
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(params=["jsonl", "json", "json-lines", "csv", "tsv", "parquet"])
def summary_file(request, tmp_path):
    kind = request.param
    if kind == "jsonl":
        return write_jsonl(tmp_path / "data.jsonl", ROWS)
    if kind == "json":
        path = tmp_path / "data.json"
        path.write_text(json.dumps(ROWS, ensure_ascii=False, indent=2), encoding="utf-8")
        return path
    if kind == "json-lines":
        return write_jsonl(tmp_path / "data.json", ROWS)
    if kind in ("csv", "tsv"):
        return write_delimited(tmp_path / f"data.{kind}", ROWS, "," if kind == "csv" else "\t")
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist([{**row, "id": str(row["id"])} for row in ROWS]), path)
    return path


def test_every_format_loads(summary_file):
    examples = load_examples(str(summary_file), task="summarize")
    assert [e.id for e in examples] == ["7", "b", "9.5"]
    assert examples[1].text == "第二篇文章。"
    assert examples[1].reference == "第二个摘要。"


def test_limit_and_shuffle(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"t{i}", "summary": f"s{i}"} for i in range(20)])
    first = load_examples(str(path), task="summarize", limit=3)
    assert [e.id for e in first] == ["1", "2", "3"]
    shuffled = load_examples(str(path), task="summarize", shuffle=True, seed=1, limit=5)
    again = load_examples(str(path), task="summarize", shuffle=True, seed=1, limit=5)
    other = load_examples(str(path), task="summarize", shuffle=True, seed=2, limit=5)
    assert [e.id for e in shuffled] == [e.id for e in again]
    assert [e.id for e in shuffled] != [e.id for e in other]
    assert [e.id for e in shuffled] != ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        ({"article": "a", "highlights": "h"}, ("a", "h")),
        ({"dialogue": "d", "summary": "s"}, ("d", "s")),
        ({"text": "t", "summary": "s"}, ("t", "s")),
        ({"source": "x", "target": "y"}, ("x", "y")),
    ],
)
def test_summarize_column_detection(tmp_path, columns, expected):
    path = write_jsonl(tmp_path / "d.jsonl", [columns])
    example = load_examples(str(path), task="summarize")[0]
    assert (example.text, example.reference) == expected


def test_columns_given_by_flag(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"body": "long text", "tldr": "short", "summary": "other"}])
    example = load_examples(str(path), task="summarize", input_column="body", reference_column="tldr")[0]
    assert example.text == "long text"
    assert example.reference == "short"


def test_translation_rows_keep_languages(tmp_path):
    rows = [
        {"id": "1", "source_lang": "zh", "target_lang": "en", "source": "你好", "target": "Hello"},
        {"id": "2", "source": "Bonjour", "target": "Hello"},
    ]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    examples = load_examples(str(path), task="translate", pair="fr-en")
    assert (examples[0].source_lang, examples[0].target_lang) == ("zh", "en")
    assert (examples[1].source_lang, examples[1].target_lang) == ("fr", "en")


def test_translation_object_column(tmp_path):
    rows = [{"translation": {"ro": "Bună ziua", "en": "Good day"}}]
    path = write_jsonl(tmp_path / "t.jsonl", rows)
    forward = load_examples(str(path), task="translate", pair="ro-en")[0]
    backward = load_examples(str(path), task="translate", pair="en-ro")[0]
    assert (forward.text, forward.reference, forward.target_lang) == ("Bună ziua", "Good day", "en")
    assert (backward.text, backward.reference, backward.target_lang) == ("Good day", "Bună ziua", "ro")
    with pytest.raises(UsageError, match="--pair"):
        load_examples(str(path), task="translate")
    with pytest.raises(InputError, match="no 'de' text"):
        load_examples(str(path), task="translate", pair="de-en")


def test_chat_messages(tmp_path):
    messages = [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "Hi"}]
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "c1", "messages": messages}])
    example = load_examples(str(path), task="chat")[0]
    assert example.messages == messages
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"messages": [{"role": "user"}]}])
    with pytest.raises(InputError, match=r"bad.jsonl:1: messages\[0\]"):
        load_examples(str(bad), task="chat")


def test_generate_text_column(tmp_path):
    path = write_jsonl(tmp_path / "g.jsonl", [{"text": "Once upon a time"}])
    example = load_examples(str(path), task="generate")[0]
    assert example.text == "Once upon a time"
    assert example.reference is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"document": "a", "summary": "b"}, {"document": "c"}], r"d.jsonl:2: field 'summary' is missing"),
        ([{"document": "a", "summary": "b"}, {"document": "  ", "summary": "b"}], r"d.jsonl:2: field 'document' is empty"),
        ([{"document": ["a"], "summary": "b"}], r"d.jsonl:1: field 'document' must be a string, got list"),
        ([{"id": 1, "document": "a", "summary": "b"}, {"id": "1", "document": "c", "summary": "d"}], "duplicate id '1'"),
        ([{"document": "a", "summary": "b", "target_lang": 5}], "field 'target_lang' must be a string"),
        ([{"body": "a", "tldr": "b"}], "cannot tell which column .* is the input"),
        ([{"document": "a", "notes": "b"}], "cannot tell which column .* is the reference"),
    ],
)
def test_malformed_jsonl_rows(tmp_path, rows, message):
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(InputError, match=message):
        load_examples(str(path), task="summarize")


def test_invalid_json_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"document": "a", "summary": "b"}\n{"document": "a",\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"d.jsonl:2: invalid JSON"):
        load_examples(str(path), task="summarize")


def test_json_array_reports_item_line(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[\n  {"document": "a", "summary": "b"},\n  {"document": "c"}\n]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"d.json:3: field 'summary' is missing"):
        load_examples(str(path), task="summarize")


def test_json_data_key_and_bad_shapes(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"data": [{"document": "a", "summary": "b"}]}), encoding="utf-8")
    assert load_examples(str(path), task="summarize")[0].reference == "b"
    path.write_text(json.dumps({"rows": 3}), encoding="utf-8")
    with pytest.raises(InputError, match="expected a JSON array"):
        load_examples(str(path), task="summarize")
    path.write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(InputError, match=r"d.json:1: expected a JSON object, got int"):
        load_examples(str(path), task="summarize")


def test_csv_wrong_field_count(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('document,summary\n"a, quoted",b\nc,d,e\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"d.csv:3: expected 2 fields \(document, summary\), found 3"):
        load_examples(str(path), task="summarize")


def test_csv_multiline_field_line_numbers(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('document,summary\n"line one\nline two",s\n"x",\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"d.csv:4: field 'summary' is empty"):
        load_examples(str(path), task="summarize")


def test_tsv_keeps_quotes(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text('document\tsummary\nHe said "hi"\t"hi"\n', encoding="utf-8")
    example = load_examples(str(path), task="summarize")[0]
    assert example.text == 'He said "hi"'
    assert example.reference == '"hi"'


def test_csv_header_problems(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("document,document\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty or repeated column names"):
        load_examples(str(path), task="summarize")


def test_file_level_errors(tmp_path):
    with pytest.raises(InputError, match="dataset file not found"):
        load_examples(str(tmp_path / "missing.jsonl"), task="summarize")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="contains no rows"):
        load_examples(str(empty), task="summarize")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("document,summary\ncaf\xe9,x\n".encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_examples(str(latin1), task="summarize")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="cannot read Parquet file"):
        load_examples(str(broken), task="summarize")
    text = tmp_path / "notes.txt"
    text.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="unsupported dataset file"):
        load_examples(str(text), task="summarize")


def test_flag_errors(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", ROWS)
    with pytest.raises(UsageError, match="--limit 0"):
        load_examples(str(path), task="summarize", limit=0)
    with pytest.raises(InputError, match="--input-column 'body' is not a column"):
        load_examples(str(path), task="summarize", input_column="body")
    with pytest.raises(UsageError, match="invalid task"):
        load_examples(str(path), task="classify")


def test_preset_flag_errors():
    with pytest.raises(UsageError, match="--task summarize"):
        load_examples("cnn_dailymail", task="translate")
    with pytest.raises(UsageError, match="needs --pair"):
        load_examples("wmt16", task="translate")
    with pytest.raises(UsageError, match="no language pair 'zh-en'"):
        load_examples("wmt16", task="translate", pair="zh-en")
    with pytest.raises(UsageError, match="invalid --pair"):
        load_examples("wmt16", task="translate", pair="roen")


def test_offline_hub_dataset_fails_fast():
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_examples("cnn_dailymail", task="summarize")
    message = str(caught.value)
    assert "abisee/cnn_dailymail (3.0.0)" in message
    assert "HF_HUB_OFFLINE is set" in message
    assert "pass that file to --dataset" in message
    # Generous bound: the point is that no network retries happen.
    assert time.monotonic() - started < 30


def test_cached_hub_dataset_loads_offline(tmp_path, monkeypatch):
    """A split that datasets prepared earlier loads from its cache with HF_HUB_OFFLINE set."""
    import glob
    import os
    import shutil

    import datasets

    source = write_jsonl(tmp_path / "split.jsonl", ROWS[:2])
    datasets.load_dataset("json", data_files={"test": str(source)}, cache_dir=str(tmp_path / "build"))
    built = glob.glob(str(tmp_path / "build" / "json" / "*" / "*" / "*"))[0]
    # Lay the prepared split out as datasets caches a Hub repository "someone/tiny_news".
    target = tmp_path / "cache" / "someone___tiny_news" / "default" / "0.0.0" / os.path.basename(built)
    shutil.copytree(built, target)
    (target / "json-test.arrow").rename(target / "tiny_news-test.arrow")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))

    examples, info = load_dataset_examples("someone/tiny_news", task="summarize")
    assert [e.id for e in examples] == ["7", "b"]
    assert info.source == "hub"
    assert info.split == "test"
