"""Bad input through the real CLI process: one line on stderr, the right exit code, no output."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest


def assert_one_line_error(result, code, fragment):
    stderr = result.stderr.decode()
    assert result.returncode == code, stderr
    assert result.stdout == b""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    assert fragment in lines[0]
    assert "Traceback" not in stderr


@pytest.fixture
def files(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "binary.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "ok.txt").write_text("The bridge closed.", encoding="utf-8")
    (tmp_path / "dir").mkdir()
    return tmp_path


@pytest.mark.parametrize(
    "name,fragment",
    [
        ("missing.txt", "input file not found"),
        ("dir", "is a directory"),
        ("empty.txt", "is empty"),
        ("latin1.txt", "not valid UTF-8"),
        ("binary.bin", "binary file"),
    ],
)
def test_bad_input_files(run_gpttasks, files, name, fragment):
    result = run_gpttasks("summarize", files / name)
    assert_one_line_error(result, 2, fragment)


@pytest.mark.parametrize(
    "flags,fragment",
    [
        (["--top-p", "1.5"], "--top-p 1.5"),
        (["--max-new-tokens", "0"], "--max-new-tokens 0"),
        (["--temperature", "-1"], "--temperature -1.0"),
        (["--strategy", "fast"], "--strategy 'fast'"),
        (["--device", "tpu"], "--device 'tpu'"),
    ],
)
def test_bad_flag_values(run_gpttasks, files, tiny_model_dir, flags, fragment):
    result = run_gpttasks("summarize", files / "ok.txt", "--model", tiny_model_dir, *flags)
    assert_one_line_error(result, 2, fragment)


def test_malformed_batch_line_number(run_gpttasks, tmp_path):
    batch = tmp_path / "docs.jsonl"
    batch.write_text('{"id": "a", "text": "fine"}\n{"id": "b", "text": "broken}\n', encoding="utf-8")
    result = run_gpttasks("summarize", "--input", batch)
    assert_one_line_error(result, 2, f"{batch}:2: invalid JSON")


def test_unknown_model_is_runtime_error(run_gpttasks, files):
    result = run_gpttasks("summarize", files / "ok.txt", "--model", "gpt2")
    assert_one_line_error(result, 1, "openai-community/gpt2")


def test_no_partial_output_file_on_error(run_gpttasks, files, tiny_model_dir):
    target = files / "out.jsonl"
    result = run_gpttasks("summarize", files / "ok.txt", "--model", tiny_model_dir, "--max-new-tokens", "255", "-o", target)
    assert result.returncode == 2
    assert not target.exists()
    assert [p.name for p in files.iterdir() if p.name.startswith(".out.jsonl")] == []


def test_utf8_output_under_c_locale(run_gpttasks, tmp_path, tiny_model_dir):
    batch = tmp_path / "docs.jsonl"
    batch.write_text('{"id": "文档一", "text": "本市今天开通了第一条有轨电车线路。"}\n', encoding="utf-8")
    result = run_gpttasks(
        "summarize", "--input", batch, "--model", tiny_model_dir, "--json", "--max-new-tokens", "3",
        env={"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": ""},
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout.decode("utf-8"))["id"] == "文档一"


def test_quiet_stderr_and_clean_stdout(run_gpttasks, files, tiny_model_dir):
    result = run_gpttasks("-q", "generate", "Hello", "--model", tiny_model_dir, "--max-new-tokens", "3", "--json")
    assert result.returncode == 0
    assert result.stderr == b""
    assert json.loads(result.stdout)["output_tokens"] == 3


def test_head_closes_pipe_quietly(tmp_path, tiny_model_dir):
    batch = tmp_path / "prompts.txt"
    batch.write_text("\n".join(f"prompt {i}" for i in range(40)), encoding="utf-8")
    pipeline = (
        f"{sys.executable} -m gpttasks generate -i {batch} --model {tiny_model_dir} "
        "--max-new-tokens 40 --json | head -1"
    )
    result = subprocess.run(["bash", "-c", pipeline], capture_output=True, timeout=300)
    assert len(result.stdout.decode().splitlines()) == 1
    assert b"Traceback" not in result.stderr
    assert b"Error" not in result.stderr


def test_ctrl_c_exits_130_without_partial_file(tmp_path, tiny_model_dir):
    batch = tmp_path / "docs.txt"
    batch.write_text("\n".join(f"Document {i} about the harbour." for i in range(400)), encoding="utf-8")
    target = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "gpttasks", "-v", "summarize", "-i", batch, "--model", tiny_model_dir,
         "--max-new-tokens", "100", "--batch-size", "2", "--json", "-o", target],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ),
    )
    # Interrupt only once the -v log reports the model loaded, however busy the machine is.
    seen = []
    for line in process.stderr:
        seen.append(line.decode())
        if "loaded " in seen[-1]:
            break
    time.sleep(1)
    if process.poll() is not None:
        pytest.skip("finished before the interrupt could be sent")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    stderr = "".join(seen) + stderr.decode()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.jsonl")] == []


@pytest.mark.parametrize("seed", ["-3", "99999999999"])
def test_out_of_range_seed(run_gpttasks, seed):
    result = run_gpttasks("generate", "hi", "--seed", seed, "--model", "/nonexistent")
    assert_one_line_error(result, 2, f"--seed {seed}")


def test_history_under_a_file_fails_before_model_load(run_gpttasks, tmp_path):
    blocker = tmp_path / "notes.json"
    blocker.write_text("{}", encoding="utf-8")
    result = run_gpttasks("chat", "--history", blocker / "h.json", "--model", "/nonexistent", input="hi\n")
    assert_one_line_error(result, 2, "is a file, not a directory")
