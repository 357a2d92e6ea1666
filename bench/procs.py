"""Run a child process and record its wall time and peak resident memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


@dataclass
class ChildRun:
    """Outcome of one child process: wall seconds, peak RSS in MiB, exit code and output."""

    wall_s: float
    peak_rss_mib: float
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> ChildRun:
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{what} failed with exit code {self.returncode}:\n{tail}")
        return self

    def json(self) -> dict:
        """Parse the last stdout line, where workers print their JSON result."""
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_child(command: list[str], env: dict[str, str] | None = None, timeout: float = 3600) -> ChildRun:
    """Run ``command`` to completion and reap it with ``os.wait4`` to read its own peak RSS.

    ``resource.getrusage(RUSAGE_CHILDREN)`` returns the maximum over every child so
    far, and ``Popen.wait`` discards the rusage, so the child is reaped here directly.
    Output goes to temporary files, which need no reader thread.
    """
    merged = dict(os.environ)
    merged.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=merged, cwd=REPO_ROOT)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        # Popen must not try to reap the pid again.
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            wall,
            usage.ru_maxrss / 1024,
            process.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def worker_command(task: str, arguments: dict) -> list[str]:
    """Build the command line that runs one ``bench/workers.py`` task in a fresh interpreter."""
    return [sys.executable, str(BENCH_DIR / "workers.py"), task, json.dumps(arguments)]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarize_runs(values: list[float]) -> dict:
    """Return the median plus the raw values, so a reader can see the spread behind the median."""
    return {"median": median(values), "runs": [round(v, 4) for v in values]}
