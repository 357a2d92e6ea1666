"""Turn a task's instruction into model input: chat template for chat models, raw text otherwise."""

from __future__ import annotations

from gpttasks.modeling.handle import ModelHandle


def encode_instruction(handle: ModelHandle, instruction: str, system: str | None = None) -> list[int]:
    """Encode a single-turn prompt; chat models get their chat template with a generation prompt."""
    if handle.is_chat:
        messages = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": instruction})
        return encode_messages(handle, messages)
    return handle.tokenizer.encode(instruction, add_special_tokens=True)


def encode_messages(handle: ModelHandle, messages: list[dict[str, str]]) -> list[int]:
    """Render a conversation through the tokenizer's chat template and encode it.

    transformers renders chat templates in an immutable Jinja sandbox. The rendered
    text already contains the special tokens, so encoding adds none.
    """
    text = handle.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return handle.tokenizer.encode(text, add_special_tokens=False)
