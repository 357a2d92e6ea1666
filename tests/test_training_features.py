"""Training rows on the tiny GPT-2: prompt masking, EOS labels, truncation, padding, LoRA targets."""

from __future__ import annotations

import pytest

from gpttasks.errors import InputError, UsageError
from gpttasks.training.features import (
    IGNORE_INDEX,
    CausalLMCollator,
    FeatureStats,
    build_features,
    encode_example,
)
from gpttasks.training.prompting import TaskPrompter
from gpttasks.types import Example


@pytest.fixture(scope="module")
def handle(tiny_model_dir):
    from gpttasks.modeling import load_model, resolve_model_spec

    return load_model(resolve_model_spec(str(tiny_model_dir)), device="cpu")


@pytest.fixture(scope="module")
def chat_handle(tiny_chat_model_dir):
    from gpttasks.modeling import load_model, resolve_model_spec

    return load_model(resolve_model_spec(str(tiny_chat_model_dir)), device="cpu")


def encode(prompter, example, max_length=256, loss_on="answer", drop_long=False):
    stats = FeatureStats(rows=1)
    return encode_example(example, prompter, max_length, loss_on, drop_long, stats), stats


def test_summarize_labels_mask_prompt_exactly(handle):
    prompter = TaskPrompter(handle, "summarize")
    example = Example("a", text="The council met on Monday. 会议在周一举行。", reference="Council met 周一.")
    feature, stats = encode(prompter, example)

    prompt = prompter.prompt_ids(example)
    answer = handle.tokenizer.encode(" Council met 周一.", add_special_tokens=False)
    eos = handle.tokenizer.eos_token_id
    assert feature["input_ids"] == prompt + answer + [eos]
    assert feature["labels"][: len(prompt)] == [IGNORE_INDEX] * len(prompt)
    assert feature["labels"][len(prompt) :] == answer + [eos]
    assert stats.truncated == 0


def test_prompt_matches_summarize_command(handle):
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.tasks.summarize import Summarizer

    text = "Rain fell all week in the valley."
    summarizer = Summarizer(Generator(handle), build_decoding_options(), "short")
    prompter = TaskPrompter(handle, "summarize", length="short")
    assert prompter.prompt_ids(Example("a", text=text)) == summarizer.prompt_ids(text)


def test_base_answer_gets_leading_space(handle):
    prompter = TaskPrompter(handle, "summarize")
    prompt = prompter.prompt_ids(Example("a", text="Some text."))
    assert handle.tokenizer.decode(prompt).endswith("TL;DR:")
    answer_ids = prompter.answer_ids(prompt, "Summary")
    assert handle.tokenizer.decode(answer_ids) == " Summary"


def test_eos_label_kept_when_pad_is_eos(handle):
    tokenizer = handle.tokenizer
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    prompter = TaskPrompter(handle, "summarize")
    rows, _ = build_features(
        [Example("a", text="A long text " * 5, reference="Short."),
         Example("b", text="Tiny.", reference="A much longer answer than the other one.")],
        prompter, max_length=256,
    )
    batch = CausalLMCollator(tokenizer.pad_token_id)(rows)

    eos = tokenizer.eos_token_id
    for index, row in enumerate(rows):
        size = len(row["input_ids"])
        # The last real token is EOS and still a label.
        assert batch["labels"][index, size - 1].item() == eos
        assert batch["attention_mask"][index, :size].tolist() == [1] * size
        # Padding is masked out of attention and loss, though its id equals EOS.
        assert batch["attention_mask"][index, size:].sum().item() == 0
        assert (batch["labels"][index, size:] == IGNORE_INDEX).all()
        assert (batch["input_ids"][index, size:] == eos).all()


def test_loss_on_all_keeps_prompt_labels(handle):
    prompter = TaskPrompter(handle, "summarize")
    feature, _ = encode(prompter, Example("a", text="Text here.", reference="Sum."), loss_on="all")
    assert feature["labels"] == feature["input_ids"]


def test_long_input_truncated_from_input_side(handle):
    prompter = TaskPrompter(handle, "summarize")
    example = Example("a", text="word " * 400, reference="A summary.")
    feature, stats = encode(prompter, example, max_length=64)

    assert stats.truncated == 1
    assert len(feature["input_ids"]) <= 64
    text = handle.tokenizer.decode(feature["input_ids"])
    # The instruction and the whole answer survive; only the document was cut.
    assert "TL;DR: A summary.<|endoftext|>" in text
    assert text.startswith("word word")


def test_drop_long_counts_dropped_rows(handle):
    prompter = TaskPrompter(handle, "summarize")
    examples = [Example("a", text="word " * 400, reference="A."), Example("b", text="Short.", reference="B.")]
    rows, stats = build_features(examples, prompter, max_length=64, drop_long=True)
    assert len(rows) == 1
    assert stats.dropped_long == 1
    assert stats.kept == 1


def test_answer_longer_than_max_length_dropped(handle):
    prompter = TaskPrompter(handle, "summarize")
    feature, stats = encode(prompter, Example("a", text="Text.", reference="answer " * 100), max_length=32)
    assert feature is None
    assert stats.dropped_long == 1


def test_rows_without_answer_counted(handle):
    prompter = TaskPrompter(handle, "summarize")
    examples = [Example("a", text="Text.", reference=""), Example("b", text="Text.", reference="Sum.")]
    rows, stats = build_features(examples, prompter, max_length=128)
    assert len(rows) == 1
    assert stats.no_trainable == 1


def test_dataset_without_trainable_rows_is_error(handle):
    prompter = TaskPrompter(handle, "summarize")
    with pytest.raises(InputError, match="no trainable rows"):
        build_features([Example("a", text="Text.", reference=None)], prompter, max_length=128)


def test_generate_plain_text_is_all_answer(handle):
    prompter = TaskPrompter(handle, "generate")
    feature, _ = encode(prompter, Example("a", text="Once upon a time"))
    ids = handle.tokenizer.encode("Once upon a time", add_special_tokens=False)
    assert feature["input_ids"] == ids + [handle.tokenizer.eos_token_id]
    assert feature["labels"] == feature["input_ids"]


def test_generate_plain_text_truncated_at_end(handle):
    prompter = TaskPrompter(handle, "generate")
    feature, stats = encode(prompter, Example("a", text="token " * 100), max_length=16)
    assert len(feature["input_ids"]) == 16
    assert stats.truncated == 1


def test_chat_trains_last_assistant_turn(chat_handle):
    prompter = TaskPrompter(chat_handle, "chat")
    messages = [
        {"role": "user", "content": "Say hi in Chinese."},
        {"role": "assistant", "content": "你好"},
    ]
    feature, _ = encode(prompter, Example("a", messages=messages))
    tokenizer = chat_handle.tokenizer
    prompt_text = tokenizer.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    prompt = tokenizer.encode(prompt_text, add_special_tokens=False)
    answer = tokenizer.encode("你好", add_special_tokens=False) + [tokenizer.convert_tokens_to_ids("<|im_end|>")]
    assert feature["input_ids"] == prompt + answer
    assert feature["labels"] == [IGNORE_INDEX] * len(prompt) + answer


def test_chat_without_final_assistant_has_no_answer(chat_handle):
    prompter = TaskPrompter(chat_handle, "chat")
    feature, stats = encode(prompter, Example("a", messages=[{"role": "user", "content": "Hi"}]))
    assert feature is None
    assert stats.no_trainable == 1


def test_chat_drops_oldest_turns_when_long(chat_handle):
    prompter = TaskPrompter(chat_handle, "chat")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "old question " * 30},
        {"role": "assistant", "content": "old answer " * 30},
        {"role": "user", "content": "New question?"},
        {"role": "assistant", "content": "New answer."},
    ]
    feature, stats = encode(prompter, Example("a", messages=messages), max_length=64)
    text = chat_handle.tokenizer.decode(feature["input_ids"])
    assert stats.truncated == 1
    assert "old question" not in text
    assert "Be brief." in text
    assert "New question?" in text
    assert text.endswith("New answer.<|im_end|>")


def test_chat_on_base_model_uses_plain_format(handle):
    prompter = TaskPrompter(handle, "chat")
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    feature, _ = encode(prompter, Example("a", messages=messages))
    text = handle.tokenizer.decode(feature["input_ids"])
    assert text.endswith("User: Hi\nAssistant: Yo<|endoftext|>")
    answer = handle.tokenizer.encode(" Yo", add_special_tokens=False) + [handle.tokenizer.eos_token_id]
    assert feature["labels"][-len(answer):] == answer
    assert all(label == IGNORE_INDEX for label in feature["labels"][: -len(answer)])


def test_lora_defaults_for_gpt2(handle):
    from gpttasks.training.lora import apply_lora, count_parameters, default_target_modules

    assert default_target_modules(handle.model) == ["c_attn"]
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(handle.spec.path)
    wrapped = apply_lora(model, r=4, alpha=8, dropout=0.0, target_modules=None)
    trainable, total = count_parameters(wrapped)
    # Two layers, one fused c_attn each: A is (4 x 32), B is (96 x 4).
    assert trainable == 2 * (4 * 32 + 96 * 4)
    assert total > trainable
    config = wrapped.peft_config["default"]
    assert config.fan_in_fan_out is True
    assert set(config.target_modules) == {"c_attn"}


def test_lora_unknown_target_rejected(handle):
    from transformers import AutoModelForCausalLM

    from gpttasks.training.lora import apply_lora

    model = AutoModelForCausalLM.from_pretrained(handle.spec.path)
    with pytest.raises(UsageError, match="q_proj"):
        apply_lora(model, r=4, alpha=8, dropout=0.0, target_modules=["q_proj"])


def test_lora_defaults_for_llama_style():
    from transformers import LlamaConfig, LlamaForCausalLM

    from gpttasks.training.lora import default_target_modules

    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2)
    assert default_target_modules(LlamaForCausalLM(config)) == ["q_proj", "k_proj", "v_proj", "o_proj"]


def test_memory_estimate_lora_below_full():
    from gpttasks.training.memory import estimate_training_memory

    common = dict(total_parameters=135_000_000, weight_dtype="float32", batch_size=4,
                  sequence_length=512, hidden_size=576, num_layers=30, num_heads=9)
    full = estimate_training_memory(trainable_parameters=135_000_000, **common)
    lora = estimate_training_memory(trainable_parameters=500_000, **common)
    checkpointed = estimate_training_memory(trainable_parameters=500_000, gradient_checkpointing=True, **common)
    assert full.optimizer == 135_000_000 * 8
    assert lora.weights == full.weights
    assert lora.total < full.total
    assert checkpointed.activations < lora.activations
