"""ROUGE through rouge_score and BLEU, chrF and TER through sacrebleu, on the 0-100 scale.

Every metric is kept as per-example sufficient statistics plus a function that turns
any subset of rows into the corpus score. The full set gives the reported score, and
bootstrap resamples of rows give confidence intervals and paired tests
(``gpttasks.evaluation.bootstrap``), so all three come from one code path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gpttasks.errors import DependencyError, UsageError
from gpttasks.evaluation.tokenize import UnicodeTokenizer, guess_cjk_language
from gpttasks.textsplit import split_sentences

logger = logging.getLogger(__name__)

ROUGE_METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
TRANSLATION_METRICS = ("bleu", "chrf", "ter")
TASK_METRICS = {"summarize": ROUGE_METRICS, "translate": TRANSLATION_METRICS}
LOWER_IS_BETTER = frozenset({"ter"})
ROUGE_TOKENIZERS = ("unicode", "rouge-score")
# BLEU tokenizer by target language, as sacrebleu's own defaults pick them.
BLEU_TOKENIZER_BY_LANGUAGE = {"zh": "zh", "ja": "ja-mecab"}
DEFAULT_BLEU_TOKENIZER = "13a"
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
_LANGUAGE_NAMES = {"chinese": "zh", "japanese": "ja", "korean": "ko", "english": "en"}

ScoreFunction = Callable[[Any], float]


@dataclass(frozen=True)
class MetricSettings:
    """Choices that change scores; results.json records them so others can reproduce a number."""

    rouge_tokenizer: str = "unicode"
    use_stemmer: bool = True
    bleu_tokenizer: str | None = None  # None picks it from the target language

    def validate(self) -> MetricSettings:
        if self.rouge_tokenizer not in ROUGE_TOKENIZERS:
            raise UsageError(
                f"invalid --rouge-tokenizer {self.rouge_tokenizer!r}; choose one of {', '.join(ROUGE_TOKENIZERS)}"
            )
        if self.bleu_tokenizer is not None:
            from sacrebleu.metrics import BLEU

            if self.bleu_tokenizer not in BLEU.TOKENIZERS:
                raise UsageError(
                    f"invalid --bleu-tokenizer {self.bleu_tokenizer!r}; "
                    f"choose one of {', '.join(sorted(BLEU.TOKENIZERS))}"
                )
        return self


@dataclass
class CorpusStatistics:
    """Per-example statistics of each metric and the functions that score a set of rows."""

    task: str
    statistics: dict[str, Any]  # metric -> numpy array, one row per example
    score_functions: dict[str, ScoreFunction]
    details: dict[str, float] = field(default_factory=dict)  # precision, recall, BLEU parts
    settings: dict[str, Any] = field(default_factory=dict)
    empty_predictions: int = 0

    @property
    def size(self) -> int:
        return len(next(iter(self.statistics.values())))

    def score(self, metric: str, rows: Any = None) -> float:
        """Score ``metric`` on the given row indices (all rows when None)."""
        stats = self.statistics[metric]
        return float(self.score_functions[metric](stats if rows is None else stats[rows]))


def compute_metrics(
    task: str,
    *,
    predictions: list[str],
    references: list[str],
    target_langs: list[str | None] | None = None,
    bootstrap_samples: int = 0,
    seed: int = 0,
    settings: MetricSettings | None = None,
) -> dict:
    """Score predictions against references for ``task`` ("summarize" or "translate").

    Returns the metric scores (0-100) as floats under their names, ROUGE precision and
    recall as ``<metric>_precision``/``<metric>_recall``, BLEU's brevity penalty and
    lengths, ``num_examples``, ``empty_predictions``, the ``settings`` that reproduce
    the numbers and, when ``bootstrap_samples`` > 0, ``confidence_intervals``
    (metric -> {"low", "high"}, 95% percentile bootstrap).
    """
    corpus = corpus_statistics(
        task, predictions=predictions, references=references, target_langs=target_langs, settings=settings
    )
    result: dict[str, Any] = {metric: corpus.score(metric) for metric in corpus.statistics}
    result.update(corpus.details)
    result["num_examples"] = corpus.size
    result["empty_predictions"] = corpus.empty_predictions
    result["settings"] = dict(corpus.settings)
    if bootstrap_samples > 0:
        from gpttasks.evaluation.bootstrap import confidence_intervals

        result["confidence_intervals"] = confidence_intervals(corpus, bootstrap_samples, seed)
        result["settings"]["bootstrap"] = {"samples": bootstrap_samples, "seed": seed, "interval": "95% percentile"}
    return result


def corpus_statistics(
    task: str,
    *,
    predictions: Sequence[str],
    references: Sequence[str],
    target_langs: Sequence[str | None] | None = None,
    settings: MetricSettings | None = None,
) -> CorpusStatistics:
    """Check the inputs and collect every metric's per-example statistics for ``task``."""
    if task not in TASK_METRICS:
        raise UsageError(f"invalid task {task!r} for metrics; choose one of {', '.join(TASK_METRICS)}")
    if len(predictions) != len(references):
        raise UsageError(
            f"got {len(predictions)} predictions but {len(references)} references; every prediction needs one reference"
        )
    if not predictions:
        raise UsageError("no predictions to score")
    if target_langs is not None and len(target_langs) != len(references):
        raise UsageError(f"got {len(target_langs)} target languages for {len(references)} references")
    for index, (prediction, reference) in enumerate(zip(predictions, references)):
        if not isinstance(prediction, str) or not isinstance(reference, str):
            raise UsageError(f"example {index}: prediction and reference must both be strings")

    settings = (settings or MetricSettings()).validate()
    if task == "summarize":
        corpus = _rouge_statistics(predictions, references, settings)
    else:
        corpus = _translation_statistics(predictions, references, target_langs, settings)
    corpus.empty_predictions = sum(1 for prediction in predictions if not prediction.strip())
    return corpus


# -- ROUGE ---------------------------------------------------------------------------


def sentences_per_line(text: str) -> str:
    """Put one sentence per line, as ROUGE-Lsum expects; existing line breaks stay breaks."""
    lines = []
    for line in text.splitlines():
        lines.extend(split_sentences(line))
    return "\n".join(lines)


def rouge_tokenizer(settings: MetricSettings):
    if settings.rouge_tokenizer == "rouge-score":
        from rouge_score.tokenizers import DefaultTokenizer

        return DefaultTokenizer(use_stemmer=settings.use_stemmer)
    return UnicodeTokenizer(use_stemmer=settings.use_stemmer)


def _rouge_statistics(predictions, references, settings: MetricSettings) -> CorpusStatistics:
    import numpy as np
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_METRICS), tokenizer=rouge_tokenizer(settings))
    rows = {metric: [] for metric in ROUGE_METRICS}
    for prediction, reference in zip(predictions, references):
        # Splitting both sides the same way only changes ROUGE-Lsum: the other
        # types see the same tokens whether sentences are joined by spaces or newlines.
        scores = scorer.score(sentences_per_line(reference), sentences_per_line(prediction))
        for metric in ROUGE_METRICS:
            score = scores[metric]
            rows[metric].append((score.precision, score.recall, score.fmeasure))

    statistics = {metric: np.asarray(values, dtype=np.float64) for metric, values in rows.items()}
    details = {}
    for metric, stats in statistics.items():
        details[f"{metric}_precision"] = float(stats[:, 0].mean() * 100)
        details[f"{metric}_recall"] = float(stats[:, 1].mean() * 100)
    return CorpusStatistics(
        task="summarize",
        statistics=statistics,
        score_functions={metric: _mean_fmeasure for metric in ROUGE_METRICS},
        details=details,
        settings={
            "rouge": {
                "implementation": "rouge_score " + _version("rouge_score"),
                "tokenizer": settings.rouge_tokenizer,
                "stemmer": "porter" if settings.use_stemmer else None,
                "rougeLsum_sentence_split": "gpttasks.textsplit.split_sentences, one sentence per line",
                "aggregate": "mean of per-example F-measure",
            }
        },
    )


def _mean_fmeasure(stats) -> float:
    return float(stats[:, 2].mean() * 100)


# -- BLEU, chrF, TER -----------------------------------------------------------------


def normalize_language(code: str | None) -> str | None:
    """Reduce "zh-CN", "zh_Hans" or "Chinese" to "zh"; None stays None."""
    if not code:
        return None
    lowered = code.strip().lower()
    lowered = _LANGUAGE_NAMES.get(lowered, lowered)
    return lowered.replace("_", "-").split("-")[0]


def target_language(
    references: Sequence[str], target_langs: Sequence[str | None] | None, override: str | None
) -> tuple[str | None, str]:
    """Return the target language and the BLEU tokenizer for this corpus.

    Rows without a language get one guessed from their references (Chinese, Japanese,
    Korean or other). BLEU tokenizes one corpus one way, so languages that need
    different tokenizers in one corpus are an error unless ``override`` is given.
    """
    langs = list(target_langs) if target_langs is not None else [None] * len(references)
    languages = {normalize_language(lang) for lang in langs if lang}
    unlabeled = [ref for ref, lang in zip(references, langs) if not lang]
    if unlabeled:
        languages.add(guess_cjk_language(unlabeled))
    tokenizers = {BLEU_TOKENIZER_BY_LANGUAGE.get(lang or "", DEFAULT_BLEU_TOKENIZER) for lang in languages}
    if override is None and len(tokenizers) > 1:
        shown = ", ".join(sorted(lang or "unlabeled" for lang in languages))
        raise UsageError(
            f"references mix target languages ({shown}) that need different BLEU tokenizers "
            f"({', '.join(sorted(tokenizers))}); score each language separately or set --bleu-tokenizer"
        )
    language = next(iter(languages)) if len(languages) == 1 else None
    return language, override or tokenizers.pop()


def _translation_statistics(predictions, references, target_langs, settings: MetricSettings) -> CorpusStatistics:
    import numpy as np
    from sacrebleu.metrics import BLEU, CHRF, TER

    language, tokenizer = target_language(references, target_langs, settings.bleu_tokenizer)
    try:
        bleu = BLEU(tokenize=tokenizer, trg_lang=language or "")
    except (ImportError, RuntimeError) as error:
        extra = "ja" if tokenizer == "ja-mecab" else None
        fix = f"pip install 'gpttasks[{extra}]'" if extra else "install the package sacrebleu names above"
        raise DependencyError(f"BLEU tokenizer {tokenizer!r} cannot load ({error}); {fix}") from error
    asian = language in CJK_LANGUAGES
    # TER's CJK handling only takes effect together with its normalization step.
    metrics = {"bleu": bleu, "chrf": CHRF(), "ter": TER(normalized=asian, asian_support=asian)}

    reference_streams = [list(references)]
    statistics = {}
    score_functions = {}
    for name, metric in metrics.items():
        # _extract_corpus_statistics and _compute_score_from_stats are the hooks
        # sacrebleu's own significance tests use (sacrebleu 2.x).
        rows = metric._extract_corpus_statistics(list(predictions), reference_streams)
        statistics[name] = np.asarray(rows, dtype=np.float64 if name == "ter" else np.int64)
        score_functions[name] = _sacrebleu_score_function(metric)
    # The signature carries nrefs only after a corpus_score call.
    full_bleu = bleu.corpus_score(list(predictions), reference_streams)
    signatures = {}
    for name, metric in metrics.items():
        if name != "bleu":
            metric.corpus_score(list(predictions), reference_streams)
        signatures[name] = metric.get_signature().format()
    return CorpusStatistics(
        task="translate",
        statistics=statistics,
        score_functions=score_functions,
        details={
            "bleu_brevity_penalty": float(full_bleu.bp),
            "bleu_system_length": int(full_bleu.sys_len),
            "bleu_reference_length": int(full_bleu.ref_len),
        },
        settings={
            "sacrebleu": {
                "version": _version("sacrebleu"),
                "target_language": language,
                "signatures": signatures,
            }
        },
    )


def _sacrebleu_score_function(metric) -> ScoreFunction:
    def score(stats) -> float:
        return float(metric._compute_score_from_stats(stats.sum(axis=0).tolist()).score)

    return score


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
