"""The one generator every task uses: length-sorted left-padded batches and streaming."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from gpttasks.errors import ContextLengthError
from gpttasks.generation.options import DecodingOptions
from gpttasks.generation.postprocess import cut_at_stop, finish_output, stop_prefix_holdback
from gpttasks.modeling.handle import ModelHandle
from gpttasks.types import FinishReason

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int], None]


@dataclass
class GenerationResult:
    """Decoded output of one prompt."""

    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    output_tokens: int


class Generator:
    """Generate from token-id prompts with one model, in batches or as a stream."""

    def __init__(self, handle: ModelHandle, batch_size: int = 8):
        self.handle = handle
        self.batch_size = max(1, batch_size)
        self._cancel = threading.Event()

    # -- token helpers -----------------------------------------------------------------

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return self.handle.tokenizer.encode(text, add_special_tokens=add_special_tokens)

    def count_tokens(self, text: str) -> int:
        return len(self.encode(text, add_special_tokens=False))

    def max_new_tokens_for(self, prompt_length: int, requested: int) -> int:
        """Clip ``requested`` so that prompt plus output fits the context window."""
        room = self.handle.context_length - prompt_length
        if room < 1:
            raise ContextLengthError(
                f"prompt of {prompt_length} tokens leaves no room in the model's "
                f"{self.handle.context_length}-token context; shorten the input"
            )
        return min(requested, room)

    # -- batched generation ------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        options: DecodingOptions,
        on_progress: ProgressCallback | None = None,
    ) -> list[GenerationResult]:
        """Generate for every prompt; results come back in the input order."""
        import torch

        if options.seed is not None:
            from transformers import set_seed

            set_seed(options.seed)
        # A cancel meant for an earlier stream must not stop this run.
        self._cancel.clear()
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]), reverse=True)
        results: list[GenerationResult | None] = [None] * len(prompts)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                indices = order[start : start + self.batch_size]
                batch = [list(prompts[i]) for i in indices]
                for index, result in zip(indices, self._generate_batch(batch, options)):
                    results[index] = result
                if on_progress:
                    on_progress(len(indices))
        return [r for r in results if r is not None]

    def _generate_batch(self, batch: list[list[int]], options: DecodingOptions) -> list[GenerationResult]:
        import torch

        tokenizer = self.handle.tokenizer
        pad_id = tokenizer.pad_token_id
        longest = max(len(ids) for ids in batch)
        max_new = self.max_new_tokens_for(longest, options.max_new_tokens)

        # Left padding keeps every row's last prompt token at the same position, so
        # new tokens line up; the attention mask hides the padding.
        input_ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, longest - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, longest - len(ids) :] = 1

        output = self._call_generate(input_ids, attention_mask, options, max_new)
        new_tokens = output[:, longest:].tolist()
        results = []
        for ids, generated in zip(batch, new_tokens):
            text, reason, count = finish_output(
                generated, tokenizer, self.handle.eos_token_ids, pad_id, options.stop, max_new
            )
            results.append(GenerationResult(text, reason, len(ids), count))
        return results

    def _call_generate(self, input_ids, attention_mask, options, max_new, streamer=None):
        from transformers import StoppingCriteria, StoppingCriteriaList

        cancel = self._cancel

        class _Cancelled(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                import torch

                return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=input_ids.device)

        handle = self.handle
        config = options.to_generation_config(handle.eos_token_ids, handle.tokenizer.pad_token_id)
        config.max_new_tokens = max_new
        extra = {}
        if options.stop:
            # StopStringCriteria matches on decoded text, so stop strings that span
            # several tokens are found; it stops only the rows that contain them.
            config.stop_strings = list(options.stop)
            extra["tokenizer"] = handle.tokenizer
        return handle.model.generate(
            input_ids=input_ids.to(handle.device),
            attention_mask=attention_mask.to(handle.device),
            generation_config=config,
            stopping_criteria=StoppingCriteriaList([_Cancelled()]),
            streamer=streamer,
            **extra,
        ).cpu()

    # -- streaming ---------------------------------------------------------------------

    def stream(self, prompt: Sequence[int], options: DecodingOptions) -> StreamingGeneration:
        """Start generating for one prompt; iterate the result for text chunks."""
        return StreamingGeneration(self, list(prompt), options)

    def cancel(self) -> None:
        """Ask running generation to stop after the current token."""
        self._cancel.set()


class StreamingGeneration:
    """Iterator of text chunks from one prompt; ``result`` is set once it is exhausted.

    Generation runs in a worker thread. Text that could be the start of a stop string
    is held back until the next token decides, so a stop string is never printed.
    """

    def __init__(self, generator: Generator, prompt: list[int], options: DecodingOptions):
        self.generator = generator
        self.prompt = prompt
        self.options = options
        self.result: GenerationResult | None = None

    def __iter__(self) -> Iterator[str]:
        import queue

        import torch

        generator, options = self.generator, self.options
        tokenizer = generator.handle.tokenizer
        if options.strategy == "beam":
            # transformers streamers do not support beam search, so the whole output comes at once.
            self.result = generator.generate([self.prompt], options)[0]
            yield self.result.text
            return

        max_new = generator.max_new_tokens_for(len(self.prompt), options.max_new_tokens)
        tokens: queue.Queue = queue.Queue()
        streamer = _QueueStreamer(tokens, skip=1)
        outcome: dict = {}

        def run() -> None:
            try:
                if options.seed is not None:
                    from transformers import set_seed

                    set_seed(options.seed)
                ids = torch.tensor([self.prompt], dtype=torch.long)
                with torch.inference_mode():
                    outcome["output"] = generator._call_generate(
                        ids, torch.ones_like(ids), options, max_new, streamer
                    )
            except BaseException as error:  # re-raised in the consuming thread
                outcome["error"] = error
            finally:
                tokens.put(None)

        generator._cancel.clear()
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        generated: list[int] = []
        printed = 0
        eos = set(generator.handle.eos_token_ids)
        try:
            while (chunk := tokens.get()) is not None:
                generated.extend(t for t in chunk if t not in eos)
                text = tokenizer.decode(generated, skip_special_tokens=True)
                text, stopped = cut_at_stop(text, options.stop)
                safe_end = len(text) if stopped else len(text) - stop_prefix_holdback(text, options.stop)
                # A trailing U+FFFD is a multi-byte character split across tokens.
                while safe_end > printed and text[safe_end - 1] == "\ufffd" and not stopped:
                    safe_end -= 1
                if safe_end > printed:
                    yield text[printed:safe_end]
                    printed = safe_end
        finally:
            generator.cancel()
            worker.join()
            generator._cancel.clear()
        if "error" in outcome:
            raise outcome["error"]

        new_ids = outcome["output"][0, len(self.prompt) :].tolist()
        text, reason, count = finish_output(
            new_ids, tokenizer, generator.handle.eos_token_ids, tokenizer.pad_token_id, options.stop, max_new
        )
        if len(text) > printed:
            yield text[printed:]
        self.result = GenerationResult(text, reason, len(self.prompt), count)


class _QueueStreamer:
    """A transformers streamer that forwards token ids to a queue, skipping the prompt."""

    def __init__(self, sink, skip: int):
        self.sink = sink
        self.skip = skip

    def put(self, value) -> None:
        if self.skip:
            # generate() first pushes the whole prompt.
            self.skip -= 1
            return
        self.sink.put(value.reshape(-1).tolist())

    def end(self) -> None:
        pass
