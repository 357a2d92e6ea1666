"""``gpttasks finetune`` on the tiny GPT-2: output contents, resume, LoRA, metadata, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DOCUMENT = "The river flooded the old town after three days of rain."
SUMMARY = "Floods hit the town."
ROWS = [
    {"id": "1", "document": DOCUMENT, "summary": SUMMARY},
    {"id": "2", "document": "The school opened a new library with ten thousand books.", "summary": "A library opened."},
    {"id": "3", "document": "市政府周一宣布修建一座新的大桥，预计两年完工。", "summary": "新大桥将在两年内建成。"},
    {"id": "4", "document": "A storm closed the airport for the whole weekend.", "summary": "Storm shut the airport."},
]
# Two optimizer steps of full fine-tuning: enough to exercise saving without real training.
SHORT_RUN = ("--max-steps", "2", "--batch-size", "2", "--save-steps", "1", "--eval-generate", "0")


def write_rows(path: Path, rows=ROWS) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def dataset(tmp_path) -> Path:
    return write_rows(tmp_path / "train.jsonl")


def finetune(cli, model_dir, dataset, output, *extra):
    return cli("finetune", "--task", "summarize", "--dataset", dataset, "--output-dir", output,
               "--model", model_dir, *extra)


def report_of(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_output_dir_contents(cli, tiny_model_dir, dataset, tmp_path):
    output = tmp_path / "out"
    report = report_of(finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, "--json"))

    assert report["global_step"] == 2
    assert report["method"] == "full"
    assert report["train_rows"] == 4
    assert report["train_loss"] > 0
    for directory in (output, output / "checkpoint-1", output / "checkpoint-2"):
        for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "gpttasks.json"):
            assert (directory / name).is_file(), f"{name} missing in {directory}"
    assert (output / "checkpoint-2" / "optimizer.pt").is_file()
    assert (output / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((output / "training_report.json").read_text())["global_step"] == 2

    metadata = json.loads((output / "gpttasks.json").read_text())
    assert metadata["task"] == "summarize"
    assert metadata["template_kind"] == "base"
    assert metadata["template"]["name"] == "summarize-base"
    assert metadata["base_model"] == str(tiny_model_dir)
    assert metadata["training"]["max_steps"] == 2
    tokenizer_config = json.loads((output / "tokenizer_config.json").read_text())
    assert tokenizer_config["pad_token"] == "<|endoftext|>"
    assert tokenizer_config["padding_side"] == "left"


def test_checkpoint_loads_with_tokenizer(cli, tiny_model_dir, dataset, tmp_path):
    from gpttasks.modeling import load_model, resolve_model_spec

    output = tmp_path / "out"
    report_of(finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, "--json"))
    handle = load_model(resolve_model_spec(str(output / "checkpoint-1")), device="cpu")
    assert handle.tokenizer.pad_token_id == handle.tokenizer.eos_token_id
    assert handle.metadata["task"] == "summarize"
    assert handle.metadata["global_step"] == 1

    article = tmp_path / "article.txt"
    article.write_text("江水上涨，淹没了老城区。", encoding="utf-8")
    result = cli("summarize", article, "--model", output / "checkpoint-1", "--max-new-tokens", "4")
    assert result.exit_code == 0, result.stderr


def test_text_report_on_stdout(cli, tiny_model_dir, dataset, tmp_path):
    result = finetune(cli, tiny_model_dir, dataset, tmp_path / "out", *SHORT_RUN)
    assert result.exit_code == 0, result.stderr
    assert "steps: 2/2" in result.stdout
    assert "train loss (last step):" in result.stdout
    # Progress and the memory estimate go to stderr.
    assert "step 2/2" in result.stderr
    assert "estimated memory per process" in result.stderr


def test_overfit_reproduces_answer_and_stops(cli, tiny_model_dir, tmp_path):
    dataset = write_rows(tmp_path / "one.jsonl", [{"id": str(i), "document": DOCUMENT, "summary": SUMMARY}
                                                 for i in range(4)])
    output = tmp_path / "out"
    report_of(finetune(cli, tiny_model_dir, dataset, output, "--max-steps", "30", "--batch-size", "4",
                       "--learning-rate", "2e-2", "--save-steps", "1000", "--json"))
    article = tmp_path / "article.txt"
    article.write_text(DOCUMENT, encoding="utf-8")
    result = cli("summarize", article, "--model", output, "--json")
    assert result.exit_code == 0, result.stderr
    prediction = json.loads(result.stdout)
    assert prediction["text"] == SUMMARY
    assert prediction["finish_reason"] == "eos"


def test_lora_adapter_and_merge(cli, tiny_model_dir, dataset, tmp_path):
    adapter_dir = tmp_path / "adapter"
    report = report_of(finetune(cli, tiny_model_dir, dataset, adapter_dir, *SHORT_RUN, "--lora", "--json"))
    assert report["method"] == "lora"
    assert (adapter_dir / "adapter_config.json").is_file()
    assert (adapter_dir / "adapter_model.safetensors").is_file()
    assert not (adapter_dir / "model.safetensors").exists()
    assert (adapter_dir / "checkpoint-2" / "adapter_model.safetensors").is_file()

    from gpttasks.modeling import load_model, resolve_model_spec

    handle = load_model(resolve_model_spec(str(adapter_dir)), device="cpu")
    assert "default" in handle.model.peft_config
    assert handle.metadata["adapter"] == "lora"

    merged_dir = tmp_path / "merged"
    report = report_of(finetune(cli, tiny_model_dir, dataset, merged_dir, *SHORT_RUN, "--lora", "--merge-lora",
                                "--lora-r", "4", "--json"))
    assert report["method"] == "lora-merged"
    assert (merged_dir / "model.safetensors").is_file()
    assert not (merged_dir / "adapter_config.json").exists()
    assert json.loads((merged_dir / "gpttasks.json").read_text())["adapter"] == "merged-lora"
    merged = load_model(resolve_model_spec(str(merged_dir)), device="cpu")
    assert not hasattr(merged.model, "peft_config")


def test_resume_continues_step_count(cli, tiny_model_dir, dataset, tmp_path):
    import shutil

    output = tmp_path / "out"
    three_steps = ("--max-steps", "3", "--batch-size", "2", "--save-steps", "1", "--eval-generate", "0")
    report_of(finetune(cli, tiny_model_dir, dataset, output, *three_steps, "--json"))
    # Make the run look interrupted after step 2.
    shutil.rmtree(output / "checkpoint-3")
    result = finetune(cli, tiny_model_dir, dataset, output, *three_steps, "--resume", "--json")
    report = report_of(result)
    assert report["global_step"] == 3
    assert report["resumed_from"] == str(output / "checkpoint-2")
    assert "resuming from" in result.stderr
    state = json.loads((output / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    # The resumed run logged only the new step.
    assert [entry["step"] for entry in state["log_history"] if "loss" in entry] == [1, 2, 3]


def test_resume_with_longer_schedule_rejected(cli, tiny_model_dir, dataset, tmp_path):
    output = tmp_path / "out"
    report_of(finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, "--json"))
    result = finetune(cli, tiny_model_dir, dataset, output, "--max-steps", "4", "--batch-size", "2",
                      "--eval-generate", "0", "--resume")
    assert result.exit_code == 2
    assert "schedule of 2 steps" in result.stderr
    assert "--model" in result.stderr
    assert not (output / "checkpoint-3").exists()


def test_resume_without_checkpoint_starts_fresh(cli, tiny_model_dir, dataset, tmp_path):
    result = finetune(cli, tiny_model_dir, dataset, tmp_path / "new", *SHORT_RUN, "--resume", "--json")
    report = report_of(result)
    assert report["resumed_from"] is None
    assert "no checkpoint" in result.stderr


def test_overwrite_replaces_earlier_run(cli, tiny_model_dir, dataset, tmp_path):
    output = tmp_path / "out"
    report_of(finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, "--json"))
    report_of(finetune(cli, tiny_model_dir, dataset, output, "--max-steps", "1", "--batch-size", "2",
                       "--eval-generate", "0", "--overwrite", "--json"))
    assert not (output / "checkpoint-2").exists()
    assert (output / "checkpoint-1").is_dir()


def test_yaml_config_with_flag_override(cli, tiny_model_dir, dataset, tmp_path):
    config = tmp_path / "finetune.yaml"
    config.write_text(
        f"task: summarize\ndataset: {dataset}\nmodel: {tiny_model_dir}\nmax-steps: 1\n"
        "batch_size: 2\nsave_steps: 1\neval_generate: 0\n",
        encoding="utf-8",
    )
    output = tmp_path / "out"
    report = report_of(cli("finetune", "--config", config, "--output-dir", output, "--max-steps", "2", "--json"))
    assert report["global_step"] == 2
    assert json.loads((output / "gpttasks.json").read_text())["training"]["batch_size"] == 2


def test_eval_scores_and_best_checkpoint(cli, tiny_model_dir, dataset, tmp_path):
    output = tmp_path / "out"
    report = report_of(finetune(
        cli, tiny_model_dir, dataset, output, "--max-steps", "2", "--batch-size", "2", "--save-steps", "1",
        "--eval-ratio", "0.25", "--eval-generate", "1", "--metric-for-best", "loss", "--json",
    ))
    assert report["eval_rows"] == 1
    assert report["eval_loss"] > 0
    assert set(report["scores"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert report["best_checkpoint"] in {str(output / "checkpoint-1"), str(output / "checkpoint-2")}


def test_metadata_template_used_at_inference(cli, tiny_model_dir, dataset, tmp_path):
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.modeling import load_model, resolve_model_spec
    from gpttasks.tasks.summarize import Summarizer

    template = tmp_path / "gist.jinja"
    template.write_text("Article: {{ text }}\nGist:", encoding="utf-8")
    output = tmp_path / "out"
    report_of(finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, "--template", template, "--json"))

    handle = load_model(resolve_model_spec(str(output)), device="cpu")
    summarizer = Summarizer(Generator(handle), build_decoding_options())
    assert summarizer.template.source == "Article: {{ text }}\nGist:"
    assert handle.tokenizer.decode(summarizer.prompt_ids("Hi.")) == "Article: Hi.\nGist:"


def test_chat_model_kind_recorded(cli, tiny_chat_model_dir, tmp_path):
    rows = [{"id": str(i), "messages": [{"role": "user", "content": f"Question {i}?"},
                                        {"role": "assistant", "content": f"答案 {i}."}]} for i in range(4)]
    dataset = write_rows(tmp_path / "chat.jsonl", rows)
    output = tmp_path / "out"
    report_of(cli("finetune", "--task", "chat", "--dataset", dataset, "--output-dir", output,
                  "--model", tiny_chat_model_dir, *SHORT_RUN, "--json"))
    metadata = json.loads((output / "gpttasks.json").read_text())
    assert metadata["task"] == "chat"
    assert metadata["template_kind"] == "chat"


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        ([{"id": "1", "body": "x", "summary": "y"}], (), "cannot tell which column"),
        ([], (), "no inputs|no rows|empty"),
        (ROWS, ("--reference-column", "headline"), "--reference-column 'headline' is not a column"),
        (ROWS, ("--eval-ratio", "1.5"), "invalid --eval-ratio 1.5"),
        (ROWS, ("--batch-size", "0"), "invalid --batch-size 0"),
        (ROWS, ("--fp16",), "--fp16 needs a CUDA GPU"),
        (ROWS, ("--lora", "--lora-target-modules", "q_proj"), "invalid --lora-target-modules q_proj"),
        (ROWS, ("--max-length", "100000"), "invalid --max-length 100000"),
        (ROWS, ("--max-length", "8"), "no trainable rows"),
    ],
)
def test_bad_input_exit_code(cli, tiny_model_dir, tmp_path, rows, extra, message):
    dataset = write_rows(tmp_path / "data.jsonl", rows)
    output = tmp_path / "out"
    result = finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, *extra)
    assert result.exit_code == 2, result.stderr
    assert re.search(message, result.stderr), result.stderr
    # Nothing is written for a run that never started.
    assert not (output / "gpttasks.json").exists()
    assert not list(output.glob("checkpoint-*"))


def test_missing_dataset_file(cli, tiny_model_dir, tmp_path):
    result = finetune(cli, tiny_model_dir, tmp_path / "absent.jsonl", tmp_path / "out", *SHORT_RUN)
    assert result.exit_code == 2
    assert "absent.jsonl" in result.stderr


def test_non_empty_output_dir_rejected(cli, tiny_model_dir, dataset, tmp_path):
    output = tmp_path / "out"
    output.mkdir()
    (output / "notes.txt").write_text("keep me", encoding="utf-8")
    result = finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN)
    assert result.exit_code == 2
    assert f"output directory {output} is not empty" in result.stderr
    assert "--resume" in result.stderr

    result = finetune(cli, tiny_model_dir, dataset, output, *SHORT_RUN, "--overwrite")
    assert result.exit_code == 2
    assert "it contains no earlier gpttasks finetune run" in result.stderr
    assert (output / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_unknown_yaml_option_rejected(cli, dataset, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("task: summarize\nlearning_rat: 0.1\n", encoding="utf-8")
    result = cli("finetune", "--config", config, "--dataset", dataset, "--output-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert "unknown option 'learning_rat'" in result.stderr


def test_missing_task_rejected(cli, dataset, tmp_path):
    result = cli("finetune", "--dataset", dataset, "--output-dir", tmp_path / "out")
    assert result.exit_code == 2
    assert "missing --task" in result.stderr
