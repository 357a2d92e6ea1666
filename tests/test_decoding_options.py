"""Decoding options: presets, flag precedence and validation."""

import pytest

from gpttasks.errors import UsageError
from gpttasks.generation.options import DecodingOptions, build_decoding_options


def test_default_is_greedy():
    options = build_decoding_options()
    assert options.strategy == "greedy"
    assert options.do_sample is False


def test_sampling_knob_selects_sample():
    options = build_decoding_options(temperature=0.3)
    assert options.strategy == "sample"
    assert options.temperature == 0.3
    assert options.top_p == 0.9  # from the sample preset


def test_num_beams_selects_beam():
    assert build_decoding_options(num_beams=3).strategy == "beam"


def test_sampling_knob_with_greedy_rejected():
    with pytest.raises(UsageError, match="--temperature"):
        build_decoding_options(strategy="greedy", temperature=0.5)


def test_flags_override_task_defaults():
    options = build_decoding_options(task_defaults={"max_new_tokens": 64}, max_new_tokens=10)
    assert options.max_new_tokens == 10


@pytest.mark.parametrize(
    "flags,fragment",
    [
        ({"top_p": 1.5}, "--top-p 1.5"),
        ({"max_new_tokens": 0}, "--max-new-tokens 0"),
        ({"temperature": 0.0}, "--temperature 0.0"),
        ({"top_k": -1}, "--top-k -1"),
        ({"num_beams": 0}, "--num-beams 0"),
        ({"repetition_penalty": 0.0}, "--repetition-penalty"),
        ({"no_repeat_ngram_size": -2}, "--no-repeat-ngram-size"),
        ({"stop": [""]}, "--stop"),
        ({"strategy": "nucleus"}, "nucleus"),
        ({"strategy": "beam", "num_beams": 1}, "--num-beams 1"),
    ],
)
def test_invalid_values(flags, fragment):
    with pytest.raises(UsageError) as raised:
        build_decoding_options(**flags)
    assert fragment in str(raised.value)


def test_generation_config_uses_max_new_tokens_only():
    config = DecodingOptions(max_new_tokens=7).to_generation_config([2], 0)
    assert config.max_new_tokens == 7
    assert config.max_length is None
    assert config.eos_token_id == [2]


def test_beam_config():
    config = build_decoding_options(strategy="beam").to_generation_config([2], 0)
    assert config.num_beams == 4
    assert config.do_sample is False
    assert config.no_repeat_ngram_size == 3


def test_with_stop_deduplicates():
    options = DecodingOptions(stop=("a",)).with_stop("a", "b")
    assert options.stop == ("a", "b")
