"""Example sentence pairs for few-shot translation prompts: the built-in set or a user file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gpttasks.errors import InputError
from gpttasks.io import read_jsonl, read_text
from gpttasks.languages import Language, lookup_language
from gpttasks.prompts.templates import BUILTIN_DIR

BUILTIN_PAIRS_FILE = BUILTIN_DIR / "fewshot_pairs.json"


@dataclass(frozen=True)
class SentencePair:
    """One example: a sentence and its translation."""

    source: str
    target: str


class FewShotPairs:
    """A pool of translations of the same sentences, keyed by language code.

    Each entry maps language codes to one sentence in those languages, so any two
    languages present in an entry form a pair. JSONL pair records become entries
    with two languages.
    """

    def __init__(self, entries: list[dict[str, str]], origin: str):
        self.entries = entries
        self.origin = origin

    @classmethod
    def builtin(cls) -> FewShotPairs:
        return cls.load(BUILTIN_PAIRS_FILE)

    @classmethod
    def load(cls, path: str | Path) -> FewShotPairs:
        """Read a ``.json`` multi-parallel file or ``.jsonl`` pair records.

        ``.json``: a list of objects (or ``{"sentences": [...]}``) mapping language
        codes or names to sentences. ``.jsonl``: one object per line with
        ``source_lang``, ``target_lang``, ``source`` and ``target``, the format the
        translation data sets of ``gpttasks eval`` use.
        """
        path = Path(path)
        if path.suffix.lower() == ".jsonl":
            entries = [_pair_record(path, line, record) for line, record in read_jsonl(path)]
        else:
            entries = _parallel_entries(path)
        if not entries:
            raise InputError(f"example pairs file {path} contains no sentence pairs")
        return cls(entries, str(path))

    def languages(self) -> list[str]:
        """Return the language codes that occur in at least one entry."""
        return sorted({code for entry in self.entries for code in entry})

    def select(self, source: Language | None, target: Language, count: int) -> list[SentencePair]:
        """Pick up to ``count`` pairs into ``target``, in file order.

        With a known source that the pool covers, pairs come from that language. With
        no source (or one the pool lacks), sources rotate through the other
        languages, so the prompt shows "any language = target" rather than a guess.
        """
        if count <= 0:
            return []
        candidates = [entry for entry in self.entries if target.code in entry]
        if source is not None and source.code != target.code:
            direct = [entry for entry in candidates if source.code in entry]
            if direct:
                return [SentencePair(e[source.code], e[target.code]) for e in direct[:count]]

        pairs: list[SentencePair] = []
        for index, entry in enumerate(candidates):
            others = [code for code in _english_first(entry) if code != target.code]
            if not others:
                continue
            code = others[index % len(others)]
            pairs.append(SentencePair(entry[code], entry[target.code]))
            if len(pairs) == count:
                break
        return pairs


def _english_first(entry: dict[str, str]) -> list[str]:
    return sorted(entry, key=lambda code: (code != "en", code))


def _parallel_entries(path: Path) -> list[dict[str, str]]:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise InputError(f"example pairs file {path} is not valid JSON ({error.msg} at line {error.lineno})") from error
    if isinstance(data, dict):
        data = data.get("sentences")
    if not isinstance(data, list):
        raise InputError(
            f"example pairs file {path} must contain a JSON list of objects that map language codes "
            'to sentences, e.g. [{"en": "Thank you.", "fr": "Merci."}]'
        )
    entries = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not all(isinstance(v, str) and v.strip() for v in item.values()):
            raise InputError(f"example pairs file {path}: entry {number} must map language codes to non-empty strings")
        entry = {lookup_language(key).code: value.strip() for key, value in item.items()}
        if len(entry) >= 2:
            entries.append(entry)
    return entries


def _pair_record(path: Path, line: int, record: dict) -> dict[str, str]:
    fields = ("source_lang", "target_lang", "source", "target")
    missing = [name for name in fields if not isinstance(record.get(name), str) or not record[name].strip()]
    if missing:
        raise InputError(f"{path}:{line}: missing or empty field(s) {', '.join(missing)}")
    source = lookup_language(record["source_lang"]).code
    target = lookup_language(record["target_lang"]).code
    return {source: record["source"].strip(), target: record["target"].strip()}
