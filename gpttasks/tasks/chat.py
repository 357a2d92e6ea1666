"""Multi-turn chat: conversation encoding for any model kind, context trimming, streamed replies.

Chat models get their own chat template. Base models (no chat template) get the
plain format of ``prompts/builtin/chat-plain.jinja``::

    <system prompt>

    User: <message>
    Assistant: <reply>
    User: <message>
    Assistant:

and their reply stops at the next ``\\nUser:``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from gpttasks.errors import ContextLengthError
from gpttasks.generation.engine import GenerationResult, Generator, StreamingGeneration
from gpttasks.generation.options import DecodingOptions
from gpttasks.modeling.handle import ModelHandle
from gpttasks.prompts.render import encode_messages
from gpttasks.prompts.templates import builtin_template

PLAIN_TEMPLATE = "chat-plain"
PLAIN_STOP = ("\nUser:",)
DEFAULT_MAX_NEW_TOKENS = 256

Message = dict[str, str]


def chat_task_defaults(is_chat: bool) -> dict:
    """Decoding defaults for chat replies; explicit flags override them."""
    defaults: dict = {"max_new_tokens": DEFAULT_MAX_NEW_TOKENS}
    if not is_chat:
        defaults["stop"] = PLAIN_STOP
    return defaults


def encode_conversation(
    handle: ModelHandle, messages: list[Message], add_generation_prompt: bool = True
) -> tuple[list[int], tuple[str, ...]]:
    """Encode a conversation the way ``gpttasks chat`` prompts the model.

    Returns the token ids and the stop strings a reply needs. With
    ``add_generation_prompt`` the ids end where the assistant's reply starts. Without
    it, a conversation that ends with an assistant message is encoded as training
    text, complete with the end marker of that reply.
    """
    if handle.is_chat:
        if add_generation_prompt:
            return encode_messages(handle, messages), ()
        text = handle.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        return handle.tokenizer.encode(text, add_special_tokens=False), ()
    text = builtin_template(PLAIN_TEMPLATE).render(messages=messages, add_generation_prompt=add_generation_prompt)
    return handle.tokenizer.encode(text, add_special_tokens=True), PLAIN_STOP


def split_turns(messages: list[Message]) -> tuple[list[Message], list[list[Message]]]:
    """Split a conversation into its leading system messages and turns.

    A turn is a user message with the assistant messages that follow it.
    """
    index = 0
    while index < len(messages) and messages[index]["role"] == "system":
        index += 1
    turns: list[list[Message]] = []
    for message in messages[index:]:
        if message["role"] == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return messages[:index], turns


@dataclass
class FittedPrompt:
    """A conversation prompt that fits the context, and how many old turns it left out."""

    prompt_ids: list[int]
    stop: tuple[str, ...]
    dropped_turns: int


def reply_reserve(handle: ModelHandle, options: DecodingOptions) -> int:
    """Tokens kept free for the reply: ``max_new_tokens``, at most half the context."""
    return min(options.max_new_tokens, handle.context_length // 2)


def fit_conversation(handle: ModelHandle, messages: list[Message], reserve: int) -> FittedPrompt:
    """Encode ``messages`` after dropping the oldest whole turns until ``reserve`` tokens stay free.

    The system messages and the latest turn are always kept whole. If they alone do
    not fit, :class:`ContextLengthError` gives the message size and the limit.
    """
    system, turns = split_turns(messages)
    limit = handle.context_length - reserve
    # Drop turns one at a time: turn sizes differ, and each encode is cheap next to generation.
    for dropped in range(len(turns)):
        kept = system + [message for turn in turns[dropped:] for message in turn]
        ids, stop = encode_conversation(handle, kept)
        if len(ids) <= limit:
            return FittedPrompt(ids, stop, dropped)
    latest = turns[-1][0]["content"] if turns else ""
    message_tokens = len(handle.tokenizer.encode(latest, add_special_tokens=False))
    raise ContextLengthError(
        f"the message is {message_tokens} tokens and its prompt {len(ids)} tokens, but the limit is "
        f"{limit} tokens (the {handle.context_length}-token context minus {reserve} reserved for the reply); "
        "shorten the message, the system prompt or --max-new-tokens"
    )


@dataclass
class TokenBudget:
    """Token counts of the context window: prompt, reply reserve and free space."""

    context: int
    prompt: int
    reply_reserve: int
    dropped_turns: int

    @property
    def free(self) -> int:
        return max(0, self.context - self.prompt - self.reply_reserve)


class ChatSession:
    """A conversation with one model: the message list, decoding options and replies.

    ``messages`` starts with the system message when there is one. A turn enters the
    list only when its reply ends, so the list never contains a user message without
    its reply.
    """

    def __init__(
        self,
        generator: Generator,
        options: DecodingOptions,
        messages: list[Message] | None = None,
        system: str | None = None,
    ):
        self.generator = generator
        self.options = options
        self.messages: list[Message] = [dict(message) for message in messages or []]
        self.dropped_turns = 0
        if system is not None:
            self.set_system(system)

    @property
    def handle(self) -> ModelHandle:
        return self.generator.handle

    @property
    def system(self) -> str | None:
        if self.messages and self.messages[0]["role"] == "system":
            return self.messages[0]["content"]
        return None

    def set_system(self, text: str | None) -> None:
        """Replace the system prompt; ``None`` or blank text removes it."""
        if self.system is not None:
            self.messages.pop(0)
        if text and text.strip():
            self.messages.insert(0, {"role": "system", "content": text.strip()})

    def reset(self) -> None:
        """Forget every turn and keep the system prompt."""
        system = self.system
        self.messages = []
        self.dropped_turns = 0
        self.set_system(system)

    def turn_count(self) -> int:
        return len(split_turns(self.messages)[1])

    def budget(self) -> TokenBudget:
        """Measure the prompt of the conversation so far (without a new message)."""
        reserve = reply_reserve(self.handle, self.options)
        prompt = len(encode_conversation(self.handle, self.messages)[0]) if self.messages else 0
        return TokenBudget(self.handle.context_length, prompt, reserve, self.dropped_turns)

    def reply(self, user_text: str) -> ChatReply:
        """Prepare the reply to ``user_text``; iterate the result to generate it.

        Raises :class:`ContextLengthError` before generating when the message cannot fit.
        """
        conversation = self.messages + [{"role": "user", "content": user_text}]
        fitted = fit_conversation(self.handle, conversation, reply_reserve(self.handle, self.options))
        self.dropped_turns = fitted.dropped_turns
        options = self.options.with_stop(*fitted.stop)
        return ChatReply(self, user_text, fitted, self.generator.stream(fitted.prompt_ids, options))

    def _commit(self, user_text: str, reply_text: str) -> None:
        self.messages.append({"role": "user", "content": user_text})
        self.messages.append({"role": "assistant", "content": reply_text})


@dataclass
class ChatReply:
    """One streamed reply. Iterating yields text chunks and records the turn at the end.

    ``stop()`` ends the reply early (for Ctrl-C): the text streamed so far is kept as
    the reply, and a reply with no text at all leaves the conversation unchanged.
    """

    session: ChatSession
    user_text: str
    fitted: FittedPrompt
    stream: StreamingGeneration
    text: str = ""
    result: GenerationResult | None = None
    stopped: bool = False
    _chunks: Iterator[str] | None = field(default=None, repr=False)
    _committed: bool = field(default=False, repr=False)

    def __iter__(self) -> Iterator[str]:
        self._chunks = iter(self.stream)
        for chunk in self._chunks:
            if not self.text:
                # After "Assistant:" base models start the reply with a space.
                chunk = chunk.lstrip()
                if not chunk:
                    continue
            self.text += chunk
            yield chunk
        self.result = self.stream.result
        self._commit()

    def stop(self) -> None:
        """Cancel generation and keep what was streamed so far."""
        self.stopped = True
        if self._chunks is not None:
            close = getattr(self._chunks, "close", None)
            if close:
                close()  # runs the stream's cleanup, which cancels and joins the worker
        self._commit()

    def _commit(self) -> None:
        if self._committed:
            return
        self._committed = True
        text = self.result.text.strip() if self.result is not None else self.text.strip()
        if text:
            self.session._commit(self.user_text, text)
