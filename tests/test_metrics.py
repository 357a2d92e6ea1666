"""Metric values worked out by hand, and agreement with rouge_score and sacrebleu called directly."""

from __future__ import annotations

import math

import pytest

from gpttasks.errors import DependencyError, UsageError
from gpttasks.evaluation.bootstrap import confidence_intervals, paired_bootstrap
from gpttasks.evaluation.metrics import MetricSettings, compute_metrics, corpus_statistics
from gpttasks.evaluation.tokenize import UnicodeTokenizer, guess_cjk_language

ENGLISH = [
    ("The quick brown fox jumps over the lazy dog.", "A quick brown dog jumps over the lazy fox!"),
    ("Police said 2,000 customers lost power on Friday.", "About 2,000 customers were without power, police said."),
    ("It's a state-of-the-art U.S. design (v2.0).", "The U.S. design is state of the art, version 2.0."),
    ("Runners were running; the runner runs.", "The runners ran quickly and kept running."),
]


def rouge(predictions, references, **settings):
    return compute_metrics(
        "summarize", predictions=predictions, references=references, settings=MetricSettings(**settings)
    )


# -- tokenizer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("猫坐在垫子上。", ["猫", "坐", "在", "垫", "子", "上"]),
        ("GPT模型很好", ["gpt", "模", "型", "很", "好"]),
        ("東京タワーへ行く", ["東", "京", "タ", "ワ", "ー", "へ", "行", "く"]),
        ("안녕 세계", ["안", "녕", "세", "계"]),
        ("Café au lait, naïve!", ["café", "au", "lait", "naïve"]),
        ("Привет, мир", ["привет", "мир"]),
        ("नमस्ते दुनिया", ["नमस्ते", "दुनिया"]),
        ("ＡＢＣ１２３", ["abc123"]),  # full-width forms fold to ASCII
        ("snake_case-word", ["snake", "case", "word"]),
    ],
)
def test_unicode_tokenizer_scripts(text, tokens):
    assert UnicodeTokenizer().tokenize(text) == tokens


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_unicode_tokenizer_matches_default_on_ascii(use_stemmer):
    from rouge_score.tokenizers import DefaultTokenizer

    default = DefaultTokenizer(use_stemmer=use_stemmer)
    ours = UnicodeTokenizer(use_stemmer=use_stemmer)
    for prediction, reference in ENGLISH:
        assert ours.tokenize(prediction) == default.tokenize(prediction)
        assert ours.tokenize(reference) == default.tokenize(reference)


def test_guess_cjk_language():
    assert guess_cjk_language(["猫坐在垫子上。"]) == "zh"
    assert guess_cjk_language(["東京タワーへ行く"]) == "ja"
    assert guess_cjk_language(["안녕하세요 세계"]) == "ko"
    assert guess_cjk_language(["The cat sat."]) is None
    assert guess_cjk_language(["Das ist gut, 好"]) is None


# -- ROUGE -----------------------------------------------------------------------------


def test_rouge_english_by_hand():
    # Unigrams overlap in the, the, cat, on, mat: 5 of 6 on both sides. Bigrams overlap
    # in "the cat", "on the", "the mat": 3 of 5. The LCS is "the cat on the mat".
    scores = rouge(["the cat sat on the mat"], ["the cat was on the mat"])
    assert scores["rouge1"] == pytest.approx(500 / 6)
    assert scores["rouge2"] == pytest.approx(60.0)
    assert scores["rougeL"] == pytest.approx(500 / 6)
    assert scores["rouge1_precision"] == pytest.approx(500 / 6)
    assert scores["rouge1_recall"] == pytest.approx(500 / 6)


def test_rouge_chinese_by_hand():
    # Characters: the prediction has 6, the reference 5, all 5 reference characters match:
    # P = 5/6, R = 1, F = 10/11. Bigrams: 3 of the prediction's 5 and the reference's 4 match.
    scores = rouge(["猫坐在垫子上"], ["猫在垫子上"])
    assert scores["rouge1"] == pytest.approx(1000 / 11)
    assert scores["rouge1_precision"] == pytest.approx(500 / 6)
    assert scores["rouge1_recall"] == pytest.approx(100.0)
    assert scores["rouge2"] == pytest.approx(100 * 2 * 0.6 * 0.75 / 1.35)
    assert scores["rougeL"] == pytest.approx(1000 / 11)


def test_rouge_score_default_tokenizer_zeroes_chinese():
    # The reason for the Unicode tokenizer: rouge_score's own tokenizer drops all CJK text.
    scores = rouge(["猫坐在垫子上"], ["猫在垫子上"], rouge_tokenizer="rouge-score")
    assert scores["rouge1"] == 0.0


def test_rouge_l_and_lsum_multi_sentence():
    # Whole-text LCS keeps one of the two swapped sentences (3 of 6 tokens); the
    # summary-level LCS matches each reference sentence with its counterpart.
    scores = rouge(["Dogs bark often. Cats purr loudly."], ["Cats purr loudly. Dogs bark often."])
    assert scores["rougeL"] == pytest.approx(50.0)
    assert scores["rougeLsum"] == pytest.approx(100.0)


def test_rouge_lsum_chinese_sentences():
    scores = rouge(["狗在叫。猫在睡。"], ["猫在睡。狗在叫。"])
    assert scores["rougeL"] == pytest.approx(50.0)
    assert scores["rougeLsum"] == pytest.approx(100.0)


def test_rouge_stemming_on_and_off():
    # Without stemming only "the" matches: P = 1/4, R = 1/3, F = 2/7. Porter maps
    # runners -> runner, running/runs -> run, so three tokens match: P = 3/4, R = 1.
    off = rouge(["the runners are running"], ["the runner runs"], use_stemmer=False)
    on = rouge(["the runners are running"], ["the runner runs"], use_stemmer=True)
    assert off["rouge1"] == pytest.approx(200 / 7)
    assert on["rouge1"] == pytest.approx(600 / 7)
    assert on["settings"]["rouge"]["stemmer"] == "porter"
    assert off["settings"]["rouge"]["stemmer"] is None


def test_rouge_empty_prediction_scores_zero():
    scores = rouge(["the cat", "  "], ["the cat", "the dog"])
    assert scores["rouge1"] == pytest.approx(50.0)
    assert scores["empty_predictions"] == 1
    assert scores["num_examples"] == 2


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_rouge_agrees_with_rouge_score(use_stemmer):
    from rouge_score import rouge_scorer

    predictions = [p for p, _ in ENGLISH]
    references = [r for _, r in ENGLISH]
    scores = rouge(predictions, references, use_stemmer=use_stemmer)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=use_stemmer)
    direct = [scorer.score(r, p) for p, r in zip(predictions, references)]
    for metric in ("rouge1", "rouge2", "rougeL"):
        expected = 100 * sum(score[metric].fmeasure for score in direct) / len(direct)
        assert scores[metric] == pytest.approx(expected)


# -- BLEU, chrF, TER ---------------------------------------------------------------------


def test_corpus_bleu_two_sentences_by_hand():
    # Every n-gram of both hypotheses matches, so all precisions are 1 and only the
    # brevity penalty counts: 9 hypothesis tokens against 10 reference tokens.
    scores = compute_metrics(
        "translate",
        predictions=["the cat sat on the mat", "a dog ran"],
        references=["the cat sat on the mat", "a dog ran fast"],
    )
    assert scores["bleu"] == pytest.approx(100 * math.exp(1 - 10 / 9))
    assert scores["bleu_system_length"] == 9
    assert scores["bleu_reference_length"] == 10


def test_corpus_bleu_is_not_mean_of_sentences():
    import sacrebleu

    predictions = ["the cat sat on the mat", "a dog ran"]
    references = ["the cat sat on the mat", "a dog ran fast"]
    scores = compute_metrics("translate", predictions=predictions, references=references)
    sentence_mean = sum(sacrebleu.sentence_bleu(p, [r]).score for p, r in zip(predictions, references)) / 2
    assert scores["bleu"] != pytest.approx(sentence_mean)


def test_bleu_chinese_by_hand():
    # The zh tokenizer splits Chinese characters: n-gram matches 6/7, 4/6, 3/5, 2/4 and
    # the hypothesis is longer than the reference, so there is no brevity penalty.
    scores = compute_metrics("translate", predictions=["猫坐在垫子上。"], references=["猫在垫子上。"], target_langs=["zh"])
    assert scores["bleu"] == pytest.approx(100 * (6 / 7 * 4 / 6 * 3 / 5 * 2 / 4) ** 0.25)
    assert "tok:zh" in scores["settings"]["sacrebleu"]["signatures"]["bleu"]


def test_bleu_guesses_chinese_without_language():
    scores = compute_metrics("translate", predictions=["猫坐在垫子上。"], references=["猫在垫子上。"])
    assert "tok:zh" in scores["settings"]["sacrebleu"]["signatures"]["bleu"]
    assert scores["bleu"] > 0


def test_translation_agrees_with_sacrebleu():
    import sacrebleu

    predictions = [p for p, _ in ENGLISH]
    references = [r for _, r in ENGLISH]
    scores = compute_metrics("translate", predictions=predictions, references=references, target_langs=["en"] * 4)
    assert scores["bleu"] == pytest.approx(sacrebleu.corpus_bleu(predictions, [references]).score)
    assert scores["chrf"] == pytest.approx(sacrebleu.corpus_chrf(predictions, [references]).score)
    assert scores["ter"] == pytest.approx(sacrebleu.corpus_ter(predictions, [references]).score)


def test_translation_empty_prediction_counted():
    # The empty hypothesis adds no n-grams but its reference still adds 2 tokens of
    # reference length: 6 hypothesis tokens against 8 give the brevity penalty.
    scores = compute_metrics(
        "translate", predictions=["", "the dog ran to the park"], references=["the cat", "the dog ran to the park"]
    )
    assert scores["empty_predictions"] == 1
    assert scores["bleu"] == pytest.approx(100 * math.exp(1 - 8 / 6))


def test_count_mismatch_rejected():
    with pytest.raises(UsageError, match="2 predictions but 1 references"):
        compute_metrics("translate", predictions=["a", "b"], references=["a"])


def test_mixed_target_languages_rejected():
    with pytest.raises(UsageError, match="different BLEU tokenizers"):
        compute_metrics("translate", predictions=["a", "猫"], references=["a", "猫"], target_langs=["en", "zh"])


def test_mixed_languages_with_tokenizer_override():
    scores = compute_metrics(
        "translate",
        predictions=["a b", "猫"],
        references=["a b", "猫"],
        target_langs=["en", "zh"],
        settings=MetricSettings(bleu_tokenizer="char"),
    )
    assert "tok:char" in scores["settings"]["sacrebleu"]["signatures"]["bleu"]


def test_japanese_needs_mecab():
    pytest.importorskip("sacrebleu")
    try:
        import MeCab  # noqa: F401

        pytest.skip("MeCab is installed")
    except ImportError:
        pass
    with pytest.raises(DependencyError, match=r"gpttasks\[ja\]"):
        compute_metrics("translate", predictions=["猫です"], references=["猫です"], target_langs=["ja"])


def test_invalid_tokenizer_settings():
    with pytest.raises(UsageError, match="--rouge-tokenizer"):
        rouge(["a"], ["a"], rouge_tokenizer="words")
    with pytest.raises(UsageError, match="--bleu-tokenizer"):
        compute_metrics("translate", predictions=["a"], references=["a"], settings=MetricSettings(bleu_tokenizer="x"))


# -- bootstrap -----------------------------------------------------------------------------


def test_confidence_intervals_bracket_scores():
    predictions = [p for p, _ in ENGLISH] * 3
    references = [r for _, r in ENGLISH] * 3
    for task in ("summarize", "translate"):
        scores = compute_metrics(task, predictions=predictions, references=references, bootstrap_samples=200, seed=3)
        again = compute_metrics(task, predictions=predictions, references=references, bootstrap_samples=200, seed=3)
        assert scores["confidence_intervals"] == again["confidence_intervals"]
        for metric, interval in scores["confidence_intervals"].items():
            assert interval["low"] <= scores[metric] <= interval["high"]
            assert interval["low"] < interval["high"]


def test_paired_bootstrap_detects_better_system():
    references = [f"sentence number {i} is about topic {i % 7}" for i in range(40)]
    good = list(references)
    bad = [f"number {i} about something" for i in range(40)]
    baseline = corpus_statistics("translate", predictions=bad, references=references)
    system = corpus_statistics("translate", predictions=good, references=references)
    report = paired_bootstrap(baseline, system, samples=200, seed=0)
    assert report["bleu"]["difference"] > 0
    assert report["bleu"]["p_value"] < 0.05
    assert report["ter"]["difference"] < 0


def test_paired_bootstrap_same_system():
    references = ["a b c d", "e f g h", "i j k l"]
    corpus = corpus_statistics("summarize", predictions=["a b c", "e f", "x"], references=references)
    report = paired_bootstrap(corpus, corpus, samples=100, seed=0)
    assert report["rougeL"]["difference"] == 0
    assert report["rougeL"]["p_value"] == 1.0


def test_interval_helper_uses_resampled_rows():
    corpus = corpus_statistics("summarize", predictions=["a", "b"], references=["a", "c"])
    intervals = confidence_intervals(corpus, samples=100, seed=0)
    assert intervals["rouge1"]["low"] == 0.0
    assert intervals["rouge1"]["high"] == 100.0
