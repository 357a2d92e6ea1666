"""Training and eval examples from the dataset loader that ``gpttasks eval`` uses."""

from __future__ import annotations

import logging
import math
import random

from gpttasks.errors import InputError
from gpttasks.training.config import TrainSettings
from gpttasks.types import Example

logger = logging.getLogger(__name__)


def load_train_eval(settings: TrainSettings) -> tuple[list[Example], list[Example]]:
    """Load the training split and the eval set (a named split or a held-out share)."""
    from gpttasks.evaluation.datasets import load_examples
    from gpttasks.evaluation.files import looks_like_local_file

    common = {
        "task": settings.task,
        "pair": settings.pair,
        "input_column": settings.input_column,
        "reference_column": settings.reference_column,
    }
    # Presets and Hub datasets default to their evaluation split; training wants "train".
    split = settings.split or (None if looks_like_local_file(settings.dataset) else "train")
    train = load_examples(settings.dataset, split=split, limit=settings.limit, **common)
    if not train:
        raise InputError(f"dataset {settings.dataset} has no rows; give a file with training examples")
    if settings.eval_split:
        evaluation = load_examples(settings.dataset, split=settings.eval_split, **common)
        return train, evaluation
    if settings.eval_ratio > 0:
        return split_off_eval(train, settings.eval_ratio, settings.seed)
    return train, []


def split_off_eval(examples: list[Example], ratio: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Hold out ``ratio`` of the examples (at least one) with a seeded shuffle."""
    if len(examples) < 2:
        raise InputError(
            f"--eval-ratio {ratio} needs at least 2 rows to split, the dataset has {len(examples)}"
        )
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    size = min(len(examples) - 1, max(1, math.ceil(len(examples) * ratio)))
    held_out = set(order[:size])
    train = [example for index, example in enumerate(examples) if index not in held_out]
    evaluation = [example for index, example in enumerate(examples) if index in held_out]
    return train, evaluation
