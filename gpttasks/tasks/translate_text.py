"""Text handling around translation: the layout of a document and cleaning of model output.

A document is cut into blocks (paragraphs, list items, headings), each block is
translated on its own, and the translations are put back between the original
blank lines and line breaks, so the output keeps the input's layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A line that starts a block of its own even without a blank line before it: a
# bullet, a numbered item or a Markdown heading. The marker is copied, not translated.
_BLOCK_MARKER = re.compile(r"^(\s*(?:[-*+•]|\d{1,3}[.)]|#{1,6})\s+)(?=\S)")
_LEADING_SPACE = re.compile(r"^\s*")

# Scripts written without spaces between words: CJK ideographs and punctuation,
# kana, Thai, Lao, Khmer, Myanmar, and full-width forms.
_UNSPACED_CHAR = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3000-\u303f\u3040-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)

# First lines that announce the translation instead of giving it, e.g. "Here is the
# translation:", "Sure! The French translation of the text is:" or "以下是翻译：".
_PREAMBLE = re.compile(r"^[^\n]{0,80}(?:\btranslat\w*|翻译|翻譯|翻訳)[^\n]{0,60}[:：]\s*$", re.IGNORECASE)
_QUOTES = {'"': '"', "“": "”", "«": "»", "「": "」", "『": "』", "'": "'"}


@dataclass
class Block:
    """A run of text translated as one unit; ``prefix`` is copied to the output as is."""

    prefix: str
    text: str


@dataclass
class Layout:
    """A document as blocks with the exact text between them (line breaks, blank lines)."""

    blocks: list[Block] = field(default_factory=list)
    # separators[i] comes before blocks[i]; the last entry follows the last block.
    separators: list[str] = field(default_factory=list)

    def render(self, translations: list[str]) -> str:
        """Put one translation per block back between the original separators."""
        parts = []
        for separator, block, translation in zip(self.separators, self.blocks, translations):
            parts.append(separator)
            parts.append(block.prefix + translation)
        parts.append(self.separators[-1])
        return "".join(parts)


def parse_layout(text: str) -> Layout:
    """Cut ``text`` into blocks at blank lines, list items and headings.

    Other single line breaks inside a paragraph are read as spaces (or as nothing
    between two characters of an unspaced script), so hard-wrapped prose reaches the
    model as whole sentences. Separators keep blank lines exactly as in the input.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    spans: list[tuple[int, int, Block]] = []  # first line, last line, block
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        marker = _BLOCK_MARKER.match(line)
        continues = (
            spans
            and spans[-1][1] == number - 1
            and marker is None
            and not spans[-1][2].prefix.lstrip().startswith("#")  # a heading is one line
        )
        if continues:
            first, _, block = spans[-1]
            block.text = join_lines(block.text, line.strip())
            spans[-1] = (first, number, block)
            continue
        prefix = marker.group(1) if marker else _LEADING_SPACE.match(line).group(0)
        spans.append((number, number, Block(prefix=prefix, text=line[len(prefix):].strip())))

    if not spans:
        return Layout(blocks=[], separators=[text])
    layout = Layout()
    previous_end = None
    for first, last, block in spans:
        if previous_end is None:
            layout.separators.append("".join(line + "\n" for line in lines[:first]))
        else:
            layout.separators.append("\n" + "".join(line + "\n" for line in lines[previous_end + 1 : first]))
        layout.blocks.append(block)
        previous_end = last
    layout.separators.append("".join("\n" + line for line in lines[previous_end + 1 :]))
    return layout


def join_lines(left: str, right: str) -> str:
    """Join two pieces of one paragraph with a space, or with nothing inside unspaced scripts."""
    if not left or not right:
        return left + right
    if is_unspaced(left[-1]) and is_unspaced(right[0]):
        return left + right
    return f"{left} {right}"


def is_unspaced(character: str) -> bool:
    return bool(_UNSPACED_CHAR.match(character))


def mostly_unspaced(text: str) -> bool:
    """True when over a third of the non-space characters belong to unspaced scripts."""
    letters = [c for c in text if not c.isspace()]
    if not letters:
        return False
    return sum(1 for c in letters if is_unspaced(c)) * 3 > len(letters)


def clean_translation(answer: str, source: str, target_names: tuple[str, ...] = ()) -> str:
    """Reduce the model output for one single-line source segment to its translation.

    Removes an announcing first line ("Here is the translation:"), a label such as
    "Translation:" or "French:", an echoed source, everything after the first line
    (explanations, the next few-shot pair), a continuation after " = " (the pair
    separator of few-shot prompts), and quotes around the whole answer that the
    source does not have.
    """
    lines = [line.strip() for line in answer.strip().split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    if len(lines) > 1 and _PREAMBLE.match(lines[0]):
        lines = lines[1:]
    source = source.strip()
    if len(lines) > 1 and lines[0] == source:
        lines = lines[1:]
    # NOTE: a translation that the model spreads over several lines keeps only its
    # first line, because later lines cannot be told apart from explanations.
    text = lines[0]

    text = _strip_label(text, target_names)
    if text.startswith(source + " =") and len(text) > len(source) + 2:
        text = text[len(source) + 2 :].strip()
    if "=" not in source and " = " in text:
        text = text.split(" = ", 1)[0].strip()
    return _strip_quotes(text, source)


def _strip_label(text: str, target_names: tuple[str, ...]) -> str:
    labels = ["translation", "translated text", *(name.lower() for name in target_names)]
    labels += [f"{name.lower()} translation" for name in target_names]
    lowered = text.lower()
    for label in labels:
        for colon in (":", "："):
            if lowered.startswith(label + colon):
                rest = text[len(label) + 1 :].strip()
                if rest:
                    return rest
    return text


def _strip_quotes(text: str, source: str) -> str:
    if len(text) < 2:
        return text
    closing = _QUOTES.get(text[0])
    if closing is None or not text.endswith(closing):
        return text
    if source[:1] == text[0] and source.endswith(closing):
        return text
    inner = text[1:-1]
    # Leave quotes that open and close inside the text alone ("a" and "b").
    if text[0] in inner or closing in inner:
        return text
    return inner.strip()
