"""Named benchmark datasets: Hub repository, config, default split and columns."""

from __future__ import annotations

from dataclasses import dataclass

from gpttasks.errors import UsageError


@dataclass(frozen=True)
class DatasetPreset:
    """A Hub dataset with its columns; translation presets read a ``translation`` column."""

    name: str
    task: str
    repo_id: str
    split: str
    config: str | None = None
    input_column: str | None = None
    reference_column: str | None = None
    # Translation presets: the configs on the Hub, each named "xx-en" and holding both directions.
    pairs: tuple[str, ...] = ()

    def config_for_pair(self, pair: str | None) -> tuple[str, str, str]:
        """Return (config, source language, target language) for ``--pair SRC-TGT``."""
        if pair is None:
            raise UsageError(
                f"--dataset {self.name} needs --pair SOURCE-TARGET, e.g. --pair {self.pairs[0]}; "
                f"available: {', '.join(self.pairs)} (either direction)"
            )
        source, target = parse_pair(pair)
        for config in self.pairs:
            if set(config.split("-")) == {source, target}:
                return config, source, target
        raise UsageError(
            f"--dataset {self.name} has no language pair {pair!r}; available: {', '.join(self.pairs)} (either direction)"
        )


def parse_pair(pair: str) -> tuple[str, str]:
    """Split "ro-en" into ("ro", "en")."""
    parts = pair.strip().lower().split("-")
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"invalid --pair {pair!r}; write it as SOURCE-TARGET, e.g. de-en")
    return parts[0], parts[1]


PRESETS = {
    preset.name: preset
    for preset in (
        DatasetPreset(
            "cnn_dailymail", "summarize", "abisee/cnn_dailymail", "test", "3.0.0", "article", "highlights"
        ),
        DatasetPreset("xsum", "summarize", "EdinburghNLP/xsum", "test", None, "document", "summary"),
        DatasetPreset("samsum", "summarize", "Samsung/samsum", "test", None, "dialogue", "summary"),
        DatasetPreset(
            "wmt14", "translate", "wmt/wmt14", "test", pairs=("cs-en", "de-en", "fr-en", "hi-en", "ru-en")
        ),
        DatasetPreset(
            "wmt16", "translate", "wmt/wmt16", "test", pairs=("cs-en", "de-en", "fi-en", "ro-en", "ru-en", "tr-en")
        ),
        DatasetPreset(
            "wmt18",
            "translate",
            "wmt/wmt18",
            "test",
            pairs=("cs-en", "de-en", "et-en", "fi-en", "kk-en", "ru-en", "tr-en", "zh-en"),
        ),
    )
}
