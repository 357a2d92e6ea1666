"""A two-process ``torchrun`` eval on CPU (gloo) gives the same predictions and scores as one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

DOCS = [
    {"id": f"d{i}", "document": f"Article {i}: the council met and approved plan {i}.", "summary": f"Plan {i} approved."}
    for i in range(7)
]


def eval_command(launcher, data, output, model):
    # Batch size 1 keeps each example's padding identical in both runs, so greedy
    # outputs cannot differ for numerical reasons and the test checks only sharding.
    return [
        *launcher, "-m", "gpttasks", "eval", "--task", "summarize", "--dataset", str(data), "--model", str(model),
        "-o", str(output), "--max-new-tokens", "6", "--batch-size", "1", "--bootstrap-samples", "20", "--json",
    ]


def test_two_process_run_matches_one(tmp_path, tiny_model_dir):
    torchrun = shutil.which("torchrun") or os.path.join(os.path.dirname(sys.executable), "torchrun")
    if not os.path.exists(torchrun):
        pytest.skip("torchrun not installed")
    data = tmp_path / "docs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in DOCS), encoding="utf-8")
    env = dict(os.environ, OMP_NUM_THREADS="1")

    single = subprocess.run(
        eval_command([sys.executable], data, tmp_path / "one", tiny_model_dir),
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert single.returncode == 0, single.stderr
    launcher = [torchrun, "--standalone", "--nproc_per_node", "2"]
    parallel = subprocess.run(
        eval_command(launcher, data, tmp_path / "two", tiny_model_dir),
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert parallel.returncode == 0, parallel.stderr

    single_results = json.loads(single.stdout)
    parallel_results = json.loads(parallel.stdout)  # only the main process prints
    assert parallel_results["timings"]["processes"] == 2
    assert parallel_results["timings"]["generated_examples"] == 7
    assert parallel_results["scores"] == single_results["scores"]
    assert parallel_results["confidence_intervals"] == single_results["confidence_intervals"]

    def predictions(directory):
        lines = (directory / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
        return {record["id"]: record["prediction"] for record in map(json.loads, lines)}

    assert predictions(tmp_path / "two") == predictions(tmp_path / "one")
    assert len((tmp_path / "two" / "predictions.jsonl").read_text().splitlines()) == 7
    assert not list((tmp_path / "two").glob("predictions.rank*.jsonl"))
