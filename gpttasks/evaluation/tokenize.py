"""Script-aware tokenization for ROUGE, and a guess of a text's CJK language.

rouge_score's default tokenizer keeps only ``[a-z0-9]`` and deletes every other
character, so Chinese text scores 0 and "café" becomes "caf". The tokenizer here
makes one token per Han, Kana or Hangul character and a word token per run of letters, digits and combining
marks elsewhere. On ASCII text it returns exactly what the default tokenizer returns.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Code point ranges that get one token per character.
_HAN = (
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x323AF),  # Extensions B to H
)
_KANA = (
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
)
_HANGUL = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0xAC00, 0xD7AF),  # Hangul Syllables
)
_ROUGE_SCORE_MIN_STEM_LENGTH = 3  # rouge_score stems only tokens longer than this


def _in_ranges(code_point: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code_point <= high for low, high in ranges)


def char_script(char: str) -> str | None:
    """Return "han", "kana" or "hangul" for a CJK character, else None."""
    code_point = ord(char)
    if code_point < 0x1100:
        return None
    if _in_ranges(code_point, _HAN):
        return "han"
    if _in_ranges(code_point, _KANA):
        return "kana"
    if _in_ranges(code_point, _HANGUL):
        return "hangul"
    return None


# NOTE: Thai, Lao, Khmer and Myanmar put no spaces between words. A run of them
# between spaces or punctuation is therefore one token, so segment such text first.
def _is_word_char(char: str) -> bool:
    # Letters, digits and combining marks (Devanagari and Thai vowel signs are marks)
    # form words; punctuation, symbols, spaces and "_" separate them.
    return unicodedata.category(char)[0] in "LNM"


@lru_cache(maxsize=1)
def _porter_stemmer():
    from nltk.stem import porter

    return porter.PorterStemmer()


class UnicodeTokenizer:
    """ROUGE tokenizer for any script; pass it to ``rouge_scorer.RougeScorer(tokenizer=...)``.

    Text is NFKC-normalized and lower-cased. With ``use_stemmer`` the Porter stemmer
    applies to ASCII words longer than three characters, as in rouge_score, because
    Porter's rules are for English only.
    """

    name = "unicode"

    def __init__(self, use_stemmer: bool = False):
        self.use_stemmer = use_stemmer

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        word: list[str] = []
        for char in unicodedata.normalize("NFKC", text).lower():
            if char_script(char) is not None:
                if word:
                    tokens.append("".join(word))
                    word = []
                tokens.append(char)
            elif _is_word_char(char):
                word.append(char)
            elif word:
                tokens.append("".join(word))
                word = []
        if word:
            tokens.append("".join(word))
        if self.use_stemmer:
            tokens = [self._stem(token) for token in tokens]
        return tokens

    @staticmethod
    def _stem(token: str) -> str:
        if len(token) <= _ROUGE_SCORE_MIN_STEM_LENGTH or not (token.isascii() and token.isalnum()):
            return token
        return _porter_stemmer().stem(token)


def guess_cjk_language(texts: Iterable[str]) -> str | None:
    """Guess "zh", "ja" or "ko" when most letters of ``texts`` are CJK, else None.

    Kana marks Japanese (Japanese text mixes Kana with Han), Hangul marks Korean,
    and Han alone marks Chinese.
    """
    counts = {"han": 0, "kana": 0, "hangul": 0, "other": 0}
    for text in texts:
        for char in text:
            script = char_script(char)
            if script is not None:
                counts[script] += 1
            elif char.isalpha():
                counts["other"] += 1
    cjk = counts["han"] + counts["kana"] + counts["hangul"]
    if cjk == 0 or cjk < counts["other"]:
        return None
    if counts["hangul"] >= max(counts["han"], counts["kana"]):
        return "ko"
    if counts["kana"] > 0.1 * cjk:
        return "ja"
    return "zh"
