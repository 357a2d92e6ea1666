"""Bootstrap confidence intervals and the paired bootstrap test, over per-example statistics."""

from __future__ import annotations

from collections.abc import Iterator

from gpttasks.errors import UsageError
from gpttasks.evaluation.metrics import CorpusStatistics


def resample_indices(size: int, samples: int, seed: int) -> Iterator:
    """Yield ``samples`` arrays of ``size`` row indices drawn with replacement.

    One array at a time keeps memory at O(size) for large test sets, and the same
    seed gives the same resamples to every metric.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    for _ in range(samples):
        yield rng.integers(0, size, size=size)


def confidence_intervals(corpus: CorpusStatistics, samples: int, seed: int) -> dict[str, dict[str, float]]:
    """Return the 95% percentile bootstrap interval of every metric in ``corpus``."""
    import numpy as np

    draws: dict[str, list[float]] = {metric: [] for metric in corpus.statistics}
    for rows in resample_indices(corpus.size, samples, seed):
        for metric in draws:
            draws[metric].append(corpus.score(metric, rows))
    intervals = {}
    for metric, values in draws.items():
        low, high = np.percentile(values, [2.5, 97.5])
        intervals[metric] = {"low": float(low), "high": float(high)}
    return intervals


def paired_bootstrap(
    baseline: CorpusStatistics, system: CorpusStatistics, samples: int, seed: int
) -> dict[str, dict[str, float]]:
    """Compare two systems scored on the same examples, in the same order.

    Each resample scores both systems on the same rows. For every metric this returns
    the observed difference (system minus baseline), the 95% interval of the resampled
    differences and a p-value: the share of resamples whose mean-centred absolute
    difference reaches the observed absolute difference, with add-one smoothing. This
    is sacrebleu 2.x's paired bootstrap test (``sacrebleu/significance.py``) except
    that ties count, so a system compared with itself gets p = 1.
    """
    import numpy as np

    if baseline.size != system.size:
        raise UsageError(f"the runs scored {baseline.size} and {system.size} examples; compare runs on the same examples")
    metrics = [metric for metric in baseline.statistics if metric in system.statistics]
    differences: dict[str, list[float]] = {metric: [] for metric in metrics}
    for rows in resample_indices(baseline.size, samples, seed):
        for metric in metrics:
            differences[metric].append(system.score(metric, rows) - baseline.score(metric, rows))

    report = {}
    for metric, values in differences.items():
        values = np.asarray(values)
        observed = system.score(metric) - baseline.score(metric)
        absolute = np.abs(values)
        centred = absolute - absolute.mean()
        p_value = (np.sum(centred >= abs(observed)) + 1) / (len(values) + 1)
        low, high = np.percentile(values, [2.5, 97.5])
        report[metric] = {
            "baseline": baseline.score(metric),
            "system": system.score(metric),
            "difference": observed,
            "low": float(low),
            "high": float(high),
            "p_value": float(p_value),
        }
    return report
