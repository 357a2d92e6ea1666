"""``gpttasks finetune`` in real processes: Ctrl-C checkpointing and two-process torchrun on CPU."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

from test_finetune_cli import ROWS, write_rows

TIMEOUT_S = 600
# Eight rows with distinct ids: two steps of 2 rows on each of 2 workers are one epoch.
EIGHT_ROWS = [{**row, "id": f"{copy}-{row['id']}"} for copy in range(2) for row in ROWS]


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # One thread per worker: two workers on a small CPU otherwise slow each other down.
    env.update(OMP_NUM_THREADS="1", **extra)
    return env


def torchrun(*args, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "gpttasks", "finetune", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, env=env)


def test_ctrl_c_saves_checkpoint_then_resume(tiny_model_dir, tmp_path, cli):
    dataset = write_rows(tmp_path / "train.jsonl")
    output = tmp_path / "out"
    command = [sys.executable, "-m", "gpttasks", "finetune", "--task", "summarize", "--dataset", str(dataset),
               "--output-dir", str(output), "--model", str(tiny_model_dir), "--max-steps", "100000",
               "--batch-size", "2", "--logging-steps", "1", "--save-steps", "100000", "--eval-generate", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(TIMEOUT_S, process.kill)
    timer.start()
    stderr_lines = []
    try:
        for line in process.stderr:
            stderr_lines.append(line)
            if line.startswith("step 2/"):
                process.send_signal(signal.SIGINT)
                break
        stdout, rest = process.communicate()
    finally:
        timer.cancel()
    stderr = "".join(stderr_lines) + rest

    assert process.returncode == 130, stderr
    assert "saving a checkpoint" in stderr
    saved = sorted(output.glob("checkpoint-*"), key=lambda path: int(path.name.split("-")[1]))
    assert len(saved) == 1, stderr
    step = int(saved[0].name.split("-")[1])
    assert 2 <= step < 100000
    assert (saved[0] / "gpttasks.json").is_file()
    assert (saved[0] / "optimizer.pt").is_file()
    assert "interrupted: checkpoint saved" in stdout
    # The final model is only written by a finished run.
    assert not (output / "model.safetensors").exists()

    result = cli("finetune", "--task", "summarize", "--dataset", dataset, "--output-dir", output,
                 "--model", tiny_model_dir, "--max-steps", step + 1, "--batch-size", "2",
                 "--eval-generate", "0", "--resume", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["global_step"] == step + 1
    assert report["resumed_from"] == str(saved[0])
    assert (output / "model.safetensors").is_file()


def test_torchrun_two_cpu_workers(tiny_model_dir, tmp_path):
    dataset = write_rows(tmp_path / "train.jsonl", EIGHT_ROWS)
    output = tmp_path / "out"
    result = torchrun("--task", "summarize", "--dataset", dataset, "--output-dir", output,
                      "--model", tiny_model_dir, "--max-steps", "2", "--batch-size", "2", "--save-steps", "1",
                      "--eval-generate", "0", "--logging-steps", "1", env=worker_env())

    assert result.returncode == 0, result.stderr
    # Only the main process prints the report and the progress.
    assert result.stdout.count("output: ") == 1
    assert result.stderr.count("step 2/2") == 1
    assert "steps: 2/2 (1.00 epochs)" in result.stdout
    for directory in (output, output / "checkpoint-1", output / "checkpoint-2"):
        assert (directory / "gpttasks.json").is_file()
        assert (directory / "model.safetensors").is_file()
    assert not list(output.rglob("*.tmp"))


def test_torchrun_failing_worker_fails_run(tiny_model_dir, tmp_path):
    # A sitecustomize module breaks the training step in worker 1 only.
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('RANK') == '1':\n"
        "    import transformers\n"
        "    def fail(self, *args, **kwargs):\n"
        "        raise RuntimeError('worker 1 failed on purpose')\n"
        "    transformers.Trainer.training_step = fail\n",
        encoding="utf-8",
    )
    dataset = write_rows(tmp_path / "train.jsonl", EIGHT_ROWS)
    pythonpath = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    result = torchrun("--task", "summarize", "--dataset", dataset, "--output-dir", tmp_path / "out",
                      "--model", tiny_model_dir, "--max-steps", "2", "--batch-size", "2",
                      "--eval-generate", "0", env=worker_env(PYTHONPATH=pythonpath))

    assert result.returncode != 0
    assert "worker 1 failed on purpose" in result.stderr
    assert not (tmp_path / "out" / "model.safetensors").exists()

