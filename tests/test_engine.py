"""The shared generator: batching, padding, stop strings, finish reasons, streaming."""

import logging

import pytest

from gpttasks.errors import ContextLengthError
from gpttasks.generation.engine import Generator
from gpttasks.generation.options import DecodingOptions, build_decoding_options
from gpttasks.modeling import load_model, resolve_model_spec

PROMPTS = [
    "Hello",
    "The quick brown fox jumps over the lazy dog while",
    "In a hole in the ground there lived",
    "今天的天气很好，我们",
]


@pytest.fixture(scope="module")
def handle(tiny_model_dir):
    return load_model(resolve_model_spec(str(tiny_model_dir)), device="cpu")


@pytest.fixture(scope="module")
def chat_handle(tiny_chat_model_dir):
    return load_model(resolve_model_spec(str(tiny_chat_model_dir)), device="cpu")


def encode_all(generator):
    return [generator.encode(p) for p in PROMPTS]


def test_batch_size_does_not_change_greedy_output(handle):
    options = DecodingOptions(max_new_tokens=12)
    single = Generator(handle, batch_size=1)
    batched = Generator(handle, batch_size=4)
    one = [r.text for r in single.generate(encode_all(single), options)]
    four = [r.text for r in batched.generate(encode_all(batched), options)]
    assert one == four


def test_results_keep_input_order(handle):
    generator = Generator(handle, batch_size=2)
    prompts = encode_all(generator)
    results = generator.generate(prompts, DecodingOptions(max_new_tokens=3))
    assert [r.prompt_tokens for r in results] == [len(p) for p in prompts]


def test_length_finish_reason(handle):
    generator = Generator(handle)
    result = generator.generate([generator.encode("Hello")], DecodingOptions(max_new_tokens=4))[0]
    assert result.finish_reason == "length"
    assert result.output_tokens == 4


def test_stop_string_across_token_boundary(handle):
    generator = Generator(handle)
    prompt = generator.encode(PROMPTS[1])
    free = generator.generate([prompt], DecodingOptions(max_new_tokens=16))[0]
    tokens = generator.generate([prompt], DecodingOptions(max_new_tokens=16))  # same greedy run
    assert tokens[0].text == free.text

    # Build a stop string from the end of one token and the start of the next.
    ids = handle.model.generate(
        __import__("torch").tensor([prompt]), max_new_tokens=16, do_sample=False,
        pad_token_id=handle.tokenizer.pad_token_id,
    )[0, len(prompt):].tolist()
    pieces = [handle.tokenizer.decode([i]) for i in ids]
    stop = None
    for k in range(len(pieces) - 1):
        left, right = pieces[k], pieces[k + 1]
        if len(left) >= 2 and len(right) >= 2:
            candidate = left[-2:] + right[:2]
            if candidate.strip() and free.text.find(candidate) == len("".join(pieces[:k])) + len(left) - 2:
                stop = candidate
                break
    if stop is None:
        pytest.skip("greedy output has no two adjacent multi-character tokens")
    result = generator.generate([prompt], DecodingOptions(max_new_tokens=16, stop=(stop,)))[0]
    assert result.finish_reason == "stop"
    assert result.text == free.text[: free.text.find(stop)]
    assert stop not in result.text


def test_stop_string_stops_only_its_row(handle):
    generator = Generator(handle, batch_size=4)
    prompts = encode_all(generator)
    free = generator.generate(prompts, DecodingOptions(max_new_tokens=10))
    stop = free[1].text[3:7]
    if not stop.strip() or any(stop in r.text for i, r in enumerate(free) if i != 1):
        pytest.skip("stop string candidate is not unique to one row")
    stopped = generator.generate(prompts, DecodingOptions(max_new_tokens=10, stop=(stop,)))
    assert stopped[1].finish_reason == "stop"
    for index in (0, 2, 3):
        assert stopped[index].text == free[index].text
        assert stopped[index].finish_reason == "length"


def test_eos_finish_and_special_tokens_hidden(chat_handle):
    generator = Generator(chat_handle)
    im_end = chat_handle.tokenizer.convert_tokens_to_ids("<|im_end|>")
    # Force EOS after two tokens by biasing the logits towards it from step 3 on.
    from transformers import LogitsProcessor

    class ForceEos(LogitsProcessor):
        def __call__(self, input_ids, scores):
            if input_ids.shape[1] >= prompt_length + 2:
                scores[:, im_end] = 1e9
            return scores

    prompt = generator.encode("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)
    prompt_length = len(prompt)
    original = chat_handle.model.generate

    def generate_with_eos(*args, **kwargs):
        return original(*args, logits_processor=[ForceEos()], **kwargs)

    chat_handle.model.generate = generate_with_eos
    try:
        result = generator.generate([prompt], DecodingOptions(max_new_tokens=10))[0]
    finally:
        chat_handle.model.generate = original
    assert result.finish_reason == "eos"
    assert result.output_tokens == 3
    assert "<|im_end|>" not in result.text
    assert "<|im_start|>" not in result.text


def test_max_new_tokens_clipped_to_context(handle):
    generator = Generator(handle)
    prompt = generator.encode("word " * 249)
    assert len(prompt) == 250
    result = generator.generate([prompt], DecodingOptions(max_new_tokens=50))[0]
    assert result.output_tokens == handle.context_length - 250


def test_prompt_longer_than_context(handle):
    generator = Generator(handle)
    with pytest.raises(ContextLengthError, match="256-token context"):
        generator.generate([generator.encode("word " * 300)], DecodingOptions())


def test_seeded_sampling_is_reproducible(handle):
    generator = Generator(handle, batch_size=4)
    options = build_decoding_options(strategy="sample", seed=7, max_new_tokens=8)
    first = [r.text for r in generator.generate(encode_all(generator), options)]
    second = [r.text for r in generator.generate(encode_all(generator), options)]
    assert first == second


def test_stream_matches_batch(handle):
    generator = Generator(handle)
    prompt = generator.encode(PROMPTS[2])
    options = DecodingOptions(max_new_tokens=12)
    streaming = generator.stream(prompt, options)
    chunks = list(streaming)
    assert len(chunks) > 1
    assert "".join(chunks) == streaming.result.text
    assert streaming.result.text == generator.generate([prompt], options)[0].text


def test_stream_never_prints_stop_string(handle):
    generator = Generator(handle)
    prompt = generator.encode(PROMPTS[2])
    full = generator.generate([prompt], DecodingOptions(max_new_tokens=12))[0].text
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    streaming = generator.stream(prompt, DecodingOptions(max_new_tokens=12, stop=(stop,)))
    printed = "".join(streaming)
    assert stop not in printed
    assert printed == full[: full.find(stop)]
    assert streaming.result.finish_reason == "stop"


def test_no_padding_or_attention_mask_warnings(handle, caplog):
    import transformers

    logger = transformers.utils.logging.get_logger("transformers")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING):
            generator = Generator(handle, batch_size=4)
            generator.generate(encode_all(generator), DecodingOptions(max_new_tokens=3))
    finally:
        logger.removeHandler(caplog.handler)
    messages = " ".join(r.getMessage() for r in caplog.records).lower()
    assert "attention mask" not in messages
    assert "padding" not in messages
    assert "pad_token_id" not in messages


def test_chinese_prompt_round_trip(handle):
    text = "今天的天气很好，我们去公园散步吧。"
    ids = Generator(handle).encode(text)
    assert handle.tokenizer.decode(ids) == text


def test_cut_multibyte_character_dropped():
    from gpttasks.generation.postprocess import finish_output

    class ByteTokenizer:
        def decode(self, ids, skip_special_tokens=True):
            return bytes(ids).decode("utf-8", errors="replace")

    half_of_shui = list("水".encode())[:2]
    text, reason, count = finish_output([*"水".encode(), *half_of_shui], ByteTokenizer(), [0], None, (), 5)
    assert text == "水"
    assert reason == "length"
    assert count == 5
