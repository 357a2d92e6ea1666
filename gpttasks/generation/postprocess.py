"""Turn generated token ids into clean text with a finish reason."""

from __future__ import annotations

from collections.abc import Sequence

from gpttasks.types import FinishReason


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut ``text`` at the earliest stop string; return the text and whether one was found."""
    positions = [text.find(s) for s in stop if s]
    positions = [p for p in positions if p >= 0]
    if not positions:
        return text, False
    return text[: min(positions)], True


def finish_output(
    token_ids: Sequence[int],
    tokenizer,
    eos_token_ids: Sequence[int],
    pad_token_id: int | None,
    stop: Sequence[str],
    max_new_tokens: int,
) -> tuple[str, FinishReason, int]:
    """Decode the new tokens of one row; return text, finish reason and output token count.

    Tokens after the first EOS are padding added for rows that finished early, and
    special tokens are never part of the returned text.
    """
    ids = list(token_ids)
    eos_set = set(eos_token_ids)
    hit_eos = False
    for index, token in enumerate(ids):
        if token in eos_set:
            ids = ids[:index]
            hit_eos = True
            break
    if not hit_eos and pad_token_id is not None and pad_token_id not in eos_set:
        while ids and ids[-1] == pad_token_id:
            ids.pop()

    text = tokenizer.decode(ids, skip_special_tokens=True)
    if not hit_eos:
        # Output cut at the token limit can end inside a multi-byte character, which
        # byte-level tokenizers decode as U+FFFD; that half character is dropped.
        text = text.rstrip("\ufffd")
    text, hit_stop = cut_at_stop(text, stop)
    if hit_stop:
        reason: FinishReason = "stop"
    elif hit_eos:
        reason = "eos"
    elif len(ids) >= max_new_tokens:
        reason = "length"
    else:
        reason = "eos"
    # The EOS token counts as generated, as in the usage counts of OpenAI-style APIs.
    return text, reason, len(ids) + (1 if hit_eos else 0)


def stop_prefix_holdback(text: str, stop: Sequence[str]) -> int:
    """Return how many trailing characters of ``text`` might start a stop string.

    A streamer must not print those yet: the next token could complete the stop string.
    """
    longest = 0
    for s in stop:
        for length in range(min(len(s) - 1, len(text)), 0, -1):
            if text.endswith(s[:length]):
                longest = max(longest, length)
                break
    return longest
