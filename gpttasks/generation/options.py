"""Decoding options: one validated value, turned into a ``GenerationConfig`` in one place."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from gpttasks.errors import UsageError

Strategy = Literal["greedy", "beam", "sample", "creative"]
STRATEGIES: tuple[str, ...] = ("greedy", "beam", "sample", "creative")
SAMPLING_KNOBS = ("temperature", "top_k", "top_p")


@dataclass(frozen=True)
class DecodingOptions:
    """How to decode. ``strategy`` picks the search; the other fields tune it."""

    strategy: Strategy = "greedy"
    max_new_tokens: int = 128
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    num_beams: int = 1
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    stop: tuple[str, ...] = field(default_factory=tuple)
    seed: int | None = None

    @property
    def do_sample(self) -> bool:
        return self.strategy in {"sample", "creative"}

    def validate(self) -> DecodingOptions:
        """Raise :class:`UsageError` on out-of-range values; return self for chaining."""
        checks = [
            (self.strategy in STRATEGIES, f"--strategy {self.strategy!r}: choose one of {', '.join(STRATEGIES)}"),
            (self.max_new_tokens >= 1, f"--max-new-tokens {self.max_new_tokens}: must be at least 1"),
            (self.temperature > 0, f"--temperature {self.temperature}: must be greater than 0"),
            (self.top_k >= 0, f"--top-k {self.top_k}: must be 0 (off) or more"),
            (0 < self.top_p <= 1, f"--top-p {self.top_p}: must be in (0, 1]"),
            (self.num_beams >= 1, f"--num-beams {self.num_beams}: must be at least 1"),
            (self.repetition_penalty > 0, f"--repetition-penalty {self.repetition_penalty}: must be greater than 0"),
            (self.no_repeat_ngram_size >= 0, f"--no-repeat-ngram-size {self.no_repeat_ngram_size}: must be 0 (off) or more"),
            (all(self.stop), "--stop: stop strings must not be empty"),
            (self.seed is None or 0 <= self.seed < 2**32, f"--seed {self.seed}: must be in 0..4294967295"),
        ]
        for ok, message in checks:
            if not ok:
                raise UsageError(f"invalid {message}")
        if self.strategy == "beam" and self.num_beams < 2:
            raise UsageError("invalid --num-beams 1 with --strategy beam: use 2 or more, or --strategy greedy")
        return self

    def with_stop(self, *extra: str) -> DecodingOptions:
        """Return a copy with ``extra`` stop strings added (duplicates dropped)."""
        merged = tuple(dict.fromkeys((*self.stop, *extra)))
        return replace(self, stop=merged)

    def to_generation_config(self, eos_token_ids: list[int], pad_token_id: int | None) -> Any:
        """Build the transformers ``GenerationConfig``; only ``max_new_tokens``, never ``max_length``."""
        from transformers import GenerationConfig

        kwargs: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "do_sample": self.do_sample,
            "num_beams": self.num_beams if self.strategy == "beam" else 1,
            "repetition_penalty": self.repetition_penalty,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
            "eos_token_id": eos_token_ids,
            "pad_token_id": pad_token_id,
        }
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_k=self.top_k, top_p=self.top_p)
        if self.strategy == "beam":
            kwargs["early_stopping"] = True
        return GenerationConfig(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


PRESETS: dict[str, dict[str, Any]] = {
    "greedy": {},
    "beam": {"num_beams": 4, "no_repeat_ngram_size": 3},
    "sample": {"temperature": 0.7, "top_k": 50, "top_p": 0.9},
    "creative": {"temperature": 1.0, "top_k": 0, "top_p": 0.95},
}


def build_decoding_options(
    strategy: str | None = None,
    task_defaults: dict[str, Any] | None = None,
    **overrides: Any,
) -> DecodingOptions:
    """Combine a preset, task defaults and explicit flags (``None`` means not given).

    Sampling knobs given without a strategy select ``sample``; given with ``greedy``
    or ``beam`` they are an error rather than silently ignored.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    if "stop" in given:
        given["stop"] = tuple(given["stop"])
    knobs = [key for key in SAMPLING_KNOBS if key in given]
    if strategy is None:
        if knobs:
            strategy = "sample"
        elif given.get("num_beams", 1) > 1:
            strategy = "beam"
        else:
            strategy = (task_defaults or {}).get("strategy", "greedy")
    elif strategy not in STRATEGIES:
        raise UsageError(f"invalid --strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if knobs and strategy in {"greedy", "beam"}:
        flags = ", ".join("--" + key.replace("_", "-") for key in knobs)
        verb = "applies" if len(knobs) == 1 else "apply"
        raise UsageError(f"{flags} {verb} only to sampling; add --strategy sample or drop them")

    values: dict[str, Any] = {"strategy": strategy}
    values.update({k: v for k, v in (task_defaults or {}).items() if k != "strategy"})
    values.update(PRESETS[strategy])
    values.update(given)
    return DecodingOptions(**values).validate()
