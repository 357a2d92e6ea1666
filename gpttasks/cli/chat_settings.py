"""Decoding settings inside a chat session: the /set, /settings and /tokens commands."""

from __future__ import annotations

import json
from dataclasses import replace

from gpttasks.errors import UsageError
from gpttasks.generation.options import PRESETS, SAMPLING_KNOBS, STRATEGIES, DecodingOptions
from gpttasks.tasks.chat import ChatSession

# Decoding settings that /set may change, with the type of their value.
SETTINGS: dict[str, type] = {
    "strategy": str,
    "max_new_tokens": int,
    "temperature": float,
    "top_k": int,
    "top_p": float,
    "num_beams": int,
    "repetition_penalty": float,
    "no_repeat_ngram_size": int,
    "seed": int,
}


def change_setting(options: DecodingOptions, key: str, value: str) -> DecodingOptions:
    """Return ``options`` with one decoding setting changed, validated like the command-line flags."""
    name = key.strip().lstrip("-").replace("-", "_").lower()
    if name not in SETTINGS:
        raise UsageError(f"unknown setting {key!r}; choose one of {', '.join(SETTINGS)}")
    if not value:
        raise UsageError(f"missing value; usage: /set {name} VALUE")
    if name == "strategy":
        if value not in STRATEGIES:
            raise UsageError(f"invalid strategy {value!r}; choose one of {', '.join(STRATEGIES)}")
        # A new strategy brings its preset, as --strategy does on the command line.
        return replace(options, strategy=value, **PRESETS[value]).validate()
    if name == "seed" and value.lower() == "none":
        return replace(options, seed=None)
    try:
        parsed = SETTINGS[name](value)
    except ValueError:
        kind = "an integer" if SETTINGS[name] is int else "a number"
        raise UsageError(f"invalid value {value!r} for {name}: expected {kind}") from None
    if name in SAMPLING_KNOBS and not options.do_sample:
        raise UsageError(f"{name} only applies to sampling; run /set strategy sample first")
    return replace(options, **{name: parsed}).validate()


def describe_settings(session: ChatSession) -> str:
    options = session.options
    names = ["strategy", "max_new_tokens"]
    if options.do_sample:
        names += ["temperature", "top_k", "top_p"]
    if options.strategy == "beam":
        names.append("num_beams")
    names += ["repetition_penalty", "no_repeat_ngram_size", "seed"]
    values = ", ".join(f"{name}={getattr(options, name)}" for name in names)
    stops = ", ".join(json.dumps(s) for s in options.stop)
    return f"Settings: {values}" + (f", stop=[{stops}]" if stops else "")


def describe_budget(session: ChatSession) -> str:
    budget = session.budget()
    dropped = f"; {budget.dropped_turns} oldest turn(s) left out of the last prompt" if budget.dropped_turns else ""
    return (
        f"Context {budget.context} tokens: conversation {budget.prompt}, reserved for the reply "
        f"{budget.reply_reserve}, free {budget.free}{dropped}."
    )
