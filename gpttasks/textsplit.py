"""Split text into paragraphs and sentences, for Latin and CJK scripts alike."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (or their CJK full-width forms, which need no following
# space) plus any closing quotes or brackets.
_SENTENCE_END = re.compile(
    r"""(?<=[.!?…])["'”’)\]]*\s+"""  # Latin: terminator, closers, then whitespace
    r"""|(?<=[。！？；])["'”’」』）】]*"""  # CJK: terminator and closers, no space needed
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def split_paragraphs(text: str) -> list[str]:
    """Split at blank lines; returns non-empty paragraphs without surrounding space."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def split_sentences(text: str) -> list[str]:
    """Split one paragraph into sentences, keeping each sentence's punctuation.

    Sentence-ending punctuation inside abbreviations ("e.g. this") causes extra
    splits; chunking only needs boundaries that are safe to cut at, not perfect ones.
    """
    pieces = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        piece = text[start:end].strip()
        if piece:
            pieces.append(piece)
        start = end
    rest = text[start:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def pack_segments(segments: list[str], budget: int, count_tokens, joiner: str = " ") -> list[str]:
    """Greedily join consecutive segments into chunks of at most ``budget`` tokens.

    A single segment longer than the budget is split on token boundaries as a last resort.
    """
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for segment in segments:
        size = count_tokens(segment)
        if size > budget:
            if current:
                chunks.append(joiner.join(current))
                current, current_tokens = [], 0
            chunks.extend(_split_by_tokens(segment, budget, count_tokens))
            continue
        if current and current_tokens + size > budget:
            chunks.append(joiner.join(current))
            current, current_tokens = [], 0
        current.append(segment)
        current_tokens += size
    if current:
        chunks.append(joiner.join(current))
    return chunks


def _split_by_tokens(segment: str, budget: int, count_tokens) -> list[str]:
    """Cut an over-long segment into pieces by characters, each within ``budget`` tokens."""
    pieces = []
    remaining = segment
    while remaining:
        low, high = 1, len(remaining)
        # Binary search for the longest prefix that fits.
        while low < high:
            middle = (low + high + 1) // 2
            if count_tokens(remaining[:middle]) <= budget:
                low = middle
            else:
                high = middle - 1
        pieces.append(remaining[:low])
        remaining = remaining[low:]
    return pieces
