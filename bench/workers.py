"""Measurements that run in a fresh interpreter each: ``python bench/workers.py TASK JSON``.

Each task prints one JSON object as its last stdout line. A fresh process per
measurement keeps peak RSS and import costs separate, and the parent reads the
peak RSS with ``os.wait4``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

BANDWIDTH_BYTES = 1 << 30  # far larger than any CPU cache, so the sum streams from DRAM


def task_imports(arguments: dict) -> dict:
    """Import the CLI entry module and list which heavy libraries it pulled in."""
    started = time.perf_counter()
    import gpttasks.cli.app  # noqa: F401

    elapsed = time.perf_counter() - started
    heavy = ("torch", "transformers", "datasets", "peft", "rouge_score", "sacrebleu")
    return {"import_s": elapsed, "heavy_imported": [name for name in heavy if name in sys.modules]}


def _load(model: str, device: str = "cpu", dtype: str = "float32"):
    from gpttasks.cli.common import quiet_libraries
    from gpttasks.modeling.load import load_model
    from gpttasks.modeling.resolve import resolve_model_spec

    quiet_libraries()
    return load_model(resolve_model_spec(model), device, dtype)


def task_load(arguments: dict) -> dict:
    """Time ``load_model``. The parent picks a fresh or a warm GPTTASKS_CACHE."""
    started = time.perf_counter()
    import torch  # noqa: F401  (import cost is not load cost)
    import transformers  # noqa: F401

    imported = time.perf_counter()
    handle = _load(arguments["model"])
    loaded = time.perf_counter()
    spec = handle.spec
    source_dir = spec.path
    if spec.kind == "gguf":
        from gpttasks.modeling.gguf_cache import converted_gguf_dir

        source_dir = converted_gguf_dir(spec.path)  # already converted by the load above
    return {
        "import_s": imported - started,
        "load_s": loaded - imported,
        "dtype": handle.dtype,
        "gguf_path": str(spec.path) if spec.kind == "gguf" else None,
        "source_dir": str(source_dir) if source_dir else None,
    }


def weight_bytes(model) -> int:
    """Count the bytes of distinct parameters, which one decode step reads once each.

    ``model.parameters()`` yields tied weights once, like the step that reads them.
    """
    return sum(p.numel() * p.element_size() for p in model.parameters())


def read_bandwidth(repeats: int = 7) -> float:
    """Measure DRAM read bandwidth in GB/s from the median time to sum a 1 GiB float32 tensor."""
    import torch

    data = torch.ones(BANDWIDTH_BYTES // 4, dtype=torch.float32)
    data.sum()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        data.sum()
        times.append(time.perf_counter() - started)
    return BANDWIDTH_BYTES / statistics.median(times) / 1e9


class _TokenClock:
    """A transformers streamer that timestamps every ``put``. The first call carries the prompt."""

    def __init__(self):
        self.times: list[float] = []

    def put(self, value) -> None:
        self.times.append(time.perf_counter())

    def end(self) -> None:
        pass


def prompt_for(handle, article: str) -> list[int]:
    """Build the prompt ids of ``article`` as ``gpttasks summarize`` does."""
    from gpttasks.generation import build_decoding_options
    from gpttasks.generation.engine import Generator
    from gpttasks.tasks.summarize import Summarizer, task_defaults

    options = build_decoding_options(task_defaults=task_defaults("medium", handle.is_chat))
    return Summarizer(Generator(handle), options).prompt_ids(article)


def task_decode(arguments: dict) -> dict:
    """Decode one prompt greedily, timing the prefill and the per-token decode apart."""
    import torch
    from transformers import GenerationConfig

    handle = _load(arguments["model"])
    prompt = prompt_for(handle, Path(arguments["article"]).read_text(encoding="utf-8"))
    new_tokens = arguments["new_tokens"]
    # min_new_tokens keeps EOS from ending a run early, so every run decodes the same count.
    config = GenerationConfig(
        max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
        eos_token_id=handle.eos_token_ids, pad_token_id=handle.tokenizer.pad_token_id,
    )
    ids = torch.tensor([prompt], dtype=torch.long)
    runs = []
    with torch.inference_mode():
        for run in range(arguments["repeats"] + 1):
            clock = _TokenClock()
            started = time.perf_counter()
            handle.model.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config, streamer=clock
            )
            # times[0] is the prompt echo, times[1] the first new token (prefill plus one step).
            first, last = clock.times[1], clock.times[-1]
            if run > 0:  # run 0 warms up allocator and kernels
                runs.append({
                    "prefill_s": first - started,
                    "decode_tokens_per_s": (len(clock.times) - 2) / (last - first),
                })
    return {
        "prompt_ids": prompt,
        "prompt_tokens": len(prompt),
        "new_tokens": new_tokens,
        "threads": torch.get_num_threads(),
        "prefill_s": [r["prefill_s"] for r in runs],
        "decode_tokens_per_s": [r["decode_tokens_per_s"] for r in runs],
        "weight_bytes": weight_bytes(handle.model),
    }


def task_bandwidth(arguments: dict) -> dict:
    """Measure read bandwidth in its own process, so the 1 GiB buffer stays out of the decode RSS."""
    import gpttasks.modeling  # noqa: F401  (same OpenMP settings and threads as gpttasks)
    from gpttasks.modeling.device import configure_threads

    configure_threads("cpu")
    return {"read_bandwidth_gb_s": read_bandwidth()}


def task_naive(arguments: dict) -> dict:
    """Run the baseline: a plain transformers loop with one ``generate`` call per document.

    Prompts come from gpttasks' own prompt builder so that both sides decode the same
    token ids; everything else (load, generate, decode) is plain transformers. With
    ``score`` set, each output is also scored with rouge-score against its reference.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from gpttasks.modeling.handle import ModelHandle
    from gpttasks.modeling.load import context_length, eos_token_ids
    from gpttasks.modeling.resolve import resolve_model_spec
    from gpttasks.tasks.summarize import task_defaults

    started = time.perf_counter()
    source = arguments["model_dir"]
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    eos = eos_token_ids(model, tokenizer)
    # A handle around the same model, so gpttasks' prompt builder gets what the CLI gives it.
    handle = ModelHandle(
        model, tokenizer, resolve_model_spec(arguments["model"]), "cpu", "float32",
        context_length(model, tokenizer), eos,
    )
    records = [json.loads(line) for line in Path(arguments["documents"]).read_text(encoding="utf-8").splitlines() if line]
    prompts = [prompt_for(handle, record.get("text") or record["document"]) for record in records]
    # The decoding settings `gpttasks summarize` uses by default (--length medium).
    defaults = task_defaults("medium", handle.is_chat)
    max_new_tokens = arguments.get("max_new_tokens") or defaults["max_new_tokens"]
    stop = list(defaults.get("stop", ()))
    for record, prompt in zip(records, prompts):
        if len(prompt) + max_new_tokens > handle.context_length:
            raise SystemExit(
                f"document {record['id']} needs {len(prompt)} prompt tokens plus {max_new_tokens} new "
                f"tokens, more than the {handle.context_length}-token context; the naive loop cannot chunk"
            )
    loaded = time.perf_counter()

    outputs = []
    with torch.inference_mode():
        for record, prompt in zip(records, prompts):
            ids = torch.tensor([prompt], dtype=torch.long)
            generated = model.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                max_new_tokens=max_new_tokens,
                no_repeat_ngram_size=defaults["no_repeat_ngram_size"],
                eos_token_id=eos, pad_token_id=tokenizer.pad_token_id,
                stop_strings=stop or None, tokenizer=tokenizer if stop else None,
            )
            text = tokenizer.decode(generated[0, len(prompt):], skip_special_tokens=True)
            for stop_string in stop:
                text = text.split(stop_string, 1)[0]
            outputs.append({"id": record["id"], "text": text.strip()})
    if arguments.get("score"):
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
        for record, output in zip(records, outputs):
            output["scores"] = {name: score.fmeasure for name, score in scorer.score(record["summary"], output["text"]).items()}
    finished = time.perf_counter()
    with open(arguments["output"], "w", encoding="utf-8") as handle_out:
        for output in outputs:
            handle_out.write(json.dumps(output, ensure_ascii=False) + "\n")
    return {"setup_s": loaded - started, "generate_s": finished - loaded}


def task_peer(arguments: dict) -> dict:
    """Time llama-cpp-python on the same GGUF: prefill and greedy decode of the decode task's prompt ids."""
    import llama_cpp

    prompt = arguments["prompt_ids"]
    llm = llama_cpp.Llama(
        model_path=arguments["gguf"], n_ctx=2048, n_threads=arguments["threads"],
        n_threads_batch=arguments["threads"], verbose=False,
    )
    runs = []
    for run in range(arguments["repeats"] + 1):
        # Without reset() generate() reuses the KV cache of the previous run's identical
        # prompt and skips the prefill.
        llm.reset()
        started = time.perf_counter()
        times = []
        for _ in llm.generate(prompt, top_k=1, temp=0.0, reset=True):
            times.append(time.perf_counter())
            if len(times) == arguments["new_tokens"]:
                break
        if run > 0:
            runs.append({
                "prefill_s": times[0] - started,
                "decode_tokens_per_s": (len(times) - 1) / (times[-1] - times[0]),
            })
    return {
        "llama_cpp_version": llama_cpp.__version__,
        "threads": arguments["threads"],
        "prompt_tokens": len(prompt),
        "prefill_s": [r["prefill_s"] for r in runs],
        "decode_tokens_per_s": [r["decode_tokens_per_s"] for r in runs],
    }


TASKS = {
    "imports": task_imports,
    "load": task_load,
    "decode": task_decode,
    "naive": task_naive,
    "peer": task_peer,
    "bandwidth": task_bandwidth,
}

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    result = TASKS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(result))
