"""Build a tiny randomly initialised GPT-2 with GPT-2's real tokenizer, as a model directory."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
TOKENIZER_DIR = FIXTURES / "gpt2-tokenizer"


def build_tiny_gpt2(output: Path, n_positions: int = 256, seed: int = 0) -> Path:
    """Save a 2-layer GPT2LMHeadModel plus GPT-2's tokenizer into ``output``."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=50257,
        n_positions=n_positions,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=50256,
        eos_token_id=50256,
    )
    model = GPT2LMHeadModel(config)
    model.save_pretrained(output)
    tokenizer = GPT2Tokenizer.from_pretrained(TOKENIZER_DIR)
    tokenizer.save_pretrained(output)
    shutil.copy(TOKENIZER_DIR / "LICENSE", output / "TOKENIZER_LICENSE")
    return output


# A minimal ChatML template, so tests can exercise the chat-model code paths
# without the embedded model.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_chat_gpt2(output: Path, n_positions: int = 256) -> Path:
    """Like :func:`build_tiny_gpt2`, with ChatML special tokens and a chat template."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    build_tiny_gpt2(output, n_positions=n_positions)
    tokenizer = AutoTokenizer.from_pretrained(output)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.eos_token = "<|im_end|>"
    model = AutoModelForCausalLM.from_pretrained(output)
    model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    return output
