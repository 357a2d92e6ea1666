"""The Trainer subclass: evaluation adds scores from real generation with the task pipeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from transformers import Trainer

from gpttasks.training.config import GENERATION_METRICS
from gpttasks.training.prompting import TaskPrompter
from gpttasks.types import Example

logger = logging.getLogger(__name__)


class GenerationScorer:
    """Generate answers for a fixed set of eval examples and score them against the references."""

    def __init__(self, prompter: TaskPrompter, examples: Sequence[Example]):
        self.prompter = prompter
        self.examples = list(examples)

    def score(self) -> dict[str, float]:
        from gpttasks.evaluation.metrics import compute_metrics

        predictions = self.prompter.predict(self.examples)
        targets = [example.target_lang for example in self.examples]
        scores = compute_metrics(
            self.prompter.task,
            predictions=[prediction.text for prediction in predictions],
            references=[example.reference or "" for example in self.examples],
            target_langs=targets if any(targets) else None,
        )
        names = GENERATION_METRICS[self.prompter.task]
        return {name: float(scores[name]) for name in names if name in scores}


class GpttasksTrainer(Trainer):
    """A Trainer whose evaluation also reports ROUGE or BLEU/chrF from generated text.

    Scores come from ``model.generate`` through the task pipeline with the task
    command's decoding, never from the argmax of teacher-forced logits, and no
    logits are kept. Every process generates the same examples with greedy
    decoding, so all ranks see the same scores and agree on the best checkpoint.
    """

    def __init__(self, *args: Any, scorer: GenerationScorer | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.scorer = scorer

    def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                        metric_key_prefix="eval"):
        output = super().evaluation_loop(
            dataloader, description, prediction_loss_only=prediction_loss_only,
            ignore_keys=ignore_keys, metric_key_prefix=metric_key_prefix,
        )
        if self.scorer is not None:
            import torch

            model = self.model
            was_training = model.training
            model.eval()
            try:
                with torch.inference_mode():
                    scores = self.scorer.score()
            finally:
                model.train(was_training)
            for name, value in scores.items():
                output.metrics[f"{metric_key_prefix}_{name}"] = value
        return output
