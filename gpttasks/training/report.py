"""The training report and the loss-curve PNG, both built from the Trainer's log history."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gpttasks.io import atomic_write

logger = logging.getLogger(__name__)

PLOT_FILE = "training_curves.png"
REPORT_FILE = "training_report.json"


@dataclass
class TrainingReport:
    """Summary of one run: steps, time, losses, scores and output paths."""

    output_dir: str
    task: str
    base_model: str
    method: str
    global_step: int
    max_steps: int
    epochs: float
    train_rows: int
    eval_rows: int
    seconds: float
    seconds_per_step: float | None
    train_loss: float | None
    eval_loss: float | None
    scores: dict[str, float]
    best_checkpoint: str | None
    resumed_from: str | None
    interrupted: bool
    last_checkpoint: str | None
    peak_memory_mib: float
    peak_memory_kind: str
    memory_estimate_mib: float
    data: dict[str, int] = field(default_factory=dict)
    plot: str | None = None
    # False on the other workers of a distributed run, which print and write nothing.
    is_main_process: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """Format the report as short ``name: value`` lines for the terminal."""
        rows = [
            ("output", self.output_dir),
            ("task", f"{self.task} on {self.base_model} ({self.method})"),
            ("steps", f"{self.global_step}/{self.max_steps} ({self.epochs:.2f} epochs)"),
            ("rows", f"{self.train_rows} train, {self.eval_rows} eval"),
            ("time", f"{self.seconds:.1f} s" + (
                f" ({self.seconds_per_step:.3f} s/step)" if self.seconds_per_step else "")),
            ("train loss (last step)", _number(self.train_loss)),
            ("eval loss", _number(self.eval_loss)),
        ]
        rows += [(name, f"{value:.2f}") for name, value in sorted(self.scores.items())]
        rows += [
            ("peak memory", f"{self.peak_memory_mib:,.0f} MiB ({self.peak_memory_kind}); "
                            f"estimate was {self.memory_estimate_mib:,.0f} MiB"),
        ]
        if self.best_checkpoint:
            rows.append(("best checkpoint", self.best_checkpoint))
        if self.resumed_from:
            rows.append(("resumed from", self.resumed_from))
        if self.interrupted:
            rows.append(("interrupted", f"checkpoint saved to {self.last_checkpoint}; rerun with --resume"))
        if self.plot:
            rows.append(("curves", self.plot))
        return [f"{name}: {value}" for name, value in rows]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def last_value(history: list[dict[str, Any]], key: str) -> float | None:
    for entry in reversed(history):
        if key in entry:
            return float(entry[key])
    return None


def final_scores(history: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, float]:
    """Return the latest value of each ``eval_<name>`` score in the log history."""
    scores = {}
    for name in names:
        value = last_value(history, f"eval_{name}")
        if value is not None:
            scores[name] = value
    return scores


def plot_curves(history: list[dict[str, Any]], path: str | Path, score_names: tuple[str, ...]) -> Path | None:
    """Draw train and eval loss against the step, and the eval scores beside them, as a PNG."""
    train = [(entry["step"], entry["loss"]) for entry in history if "loss" in entry]
    evaluated = [(entry["step"], entry["eval_loss"]) for entry in history if "eval_loss" in entry]
    if not train and not evaluated:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = {
        name: [(entry["step"], entry[f"eval_{name}"]) for entry in history if f"eval_{name}" in entry]
        for name in score_names
    }
    scores = {name: points for name, points in scores.items() if points}
    columns = 2 if scores else 1
    figure, axes = plt.subplots(1, columns, figsize=(6 * columns, 4), squeeze=False)
    loss_axis = axes[0][0]
    if train:
        loss_axis.plot(*zip(*train), label="train loss")
    if evaluated:
        loss_axis.plot(*zip(*evaluated), marker="o", label="eval loss")
    loss_axis.set_xlabel("step")
    loss_axis.set_ylabel("loss")
    loss_axis.legend()
    if scores:
        score_axis = axes[0][1]
        for name, points in scores.items():
            score_axis.plot(*zip(*points), marker="o", label=name)
        score_axis.set_xlabel("step")
        score_axis.set_ylabel("score (0-100)")
        score_axis.legend()
    figure.tight_layout()
    path = Path(path)
    try:
        with atomic_write(path, "wb") as handle:
            figure.savefig(handle, format="png", dpi=100)
    finally:
        plt.close(figure)
    return path


def peak_memory(device: str) -> tuple[float, str]:
    """Return the peak memory in MiB and what was measured."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2**20, "CUDA memory allocated"
    import resource

    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "process peak RSS"
