"""Benchmark gpttasks against baselines measured in the same run; write JSON and a docs table.

    python bench/run.py                 # embedded SmolLM2, float32, CPU (about 15 minutes on 2 cores)
    python bench/run.py --quick         # tiny random GPT-2, seconds; checks the script itself

Shared machines are noisy, so every figure is the median of several runs. Each is
reported beside a baseline timed in the same session, so compare ratios, not
seconds across runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build_batch_file, build_eval_file  # noqa: E402
from procs import REPO_ROOT, run_child, summarize_runs, worker_command  # noqa: E402
from report import check_targets, update_document  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
DOCUMENT = REPO_ROOT / "docs" / "benchmarks.md"
DEFAULT_SAMPLES = REPO_ROOT.parent / "shared" / "data"
SECTIONS = ("startup", "load", "decode", "batch", "eval", "peer")


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="benchmark a tiny random GPT-2 built on the fly, with 1 run per figure, "
                             "16 new tokens and 4 documents; never rewrites docs/benchmarks.md")
    parser.add_argument("--model", default=None, help="model to benchmark (default: smollm2, or the tiny model with --quick)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure; the median is reported (default 3, 1 with --quick)")
    parser.add_argument("--heavy-repeats", type=int, default=None,
                        help="runs of the batch and eval sections, minutes each on 2 cores (default: --repeats)")
    parser.add_argument("--new-tokens", type=int, default=None, help="tokens to decode in the decode benchmark (default 128)")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help="summary length cap in tokens for the batch benchmark "
                             "(default: the summarize default, 160; 16 with --quick)")
    parser.add_argument("--documents", type=int, default=None, help="documents for the batch benchmark (default 16)")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES,
                        help="folder with summarization_*.jsonl sample files added to the batch documents "
                             "when it exists (default: ../shared/data)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of: {', '.join(SECTIONS)}")
    parser.add_argument("--cache", type=Path, default=None,
                        help="GPTTASKS_CACHE holding converted models for the warm runs "
                             "(default: $GPTTASKS_CACHE, else a temporary folder)")
    parser.add_argument("--output", type=Path, default=None, help="result JSON path (default: bench/results/<time>.json)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the table in docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    quick = arguments.quick
    arguments.repeats = arguments.repeats or (1 if quick else 3)
    arguments.new_tokens = arguments.new_tokens or (16 if quick else 128)
    arguments.documents = arguments.documents or (4 if quick else 16)
    if quick and arguments.max_new_tokens is None:
        arguments.max_new_tokens = 16
    arguments.sections = [name.strip() for name in arguments.sections.split(",") if name.strip()]
    unknown = sorted(set(arguments.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    arguments.heavy_repeats = arguments.heavy_repeats or arguments.repeats
    if arguments.repeats < 1 or arguments.heavy_repeats < 1:
        parser.error("--repeats and --heavy-repeats must be at least 1")
    return arguments


def gpttasks_command() -> list[str]:
    """Return the console script beside this interpreter, else ``python -m gpttasks``."""
    script = Path(sys.executable).parent / "gpttasks"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gpttasks"]


def measure_startup(context: dict) -> dict:
    """Time ``--help`` beside ``python -c pass``, interleaved so that load drifts hit all three."""
    commands = {
        "python_pass_s": [sys.executable, "-c", "pass"],
        "gpttasks_help_s": [*gpttasks_command(), "--help"],
        "summarize_help_s": [*gpttasks_command(), "summarize", "--help"],
    }
    times: dict[str, list[float]] = {key: [] for key in commands}
    rss: dict[str, float] = {}
    # Start-up runs are cheap, so full runs take at least five of them.
    for _ in range(context["repeats"] if context["quick"] else max(5, context["repeats"])):
        for key, command in commands.items():
            run = run_child(command, context["env"]).check(" ".join(command))
            times[key].append(run.wall_s)
            rss[key.replace("_s", "_rss_mib")] = max(rss.get(key.replace("_s", "_rss_mib"), 0), run.peak_rss_mib)
    imports = run_child(worker_command("imports", {}), context["env"]).check("import check").json()
    return {
        "command": gpttasks_command(),
        **{key: summarize_runs(values) for key, values in times.items()},
        **rss,
        "heavy_imported": imports["heavy_imported"],
    }


def model_facts(context: dict) -> dict:
    """Load the model once untimed, which fills the warm cache, and return its GGUF path and directory."""
    return run_child(worker_command("load", {"model": context["model"]}), context["env"]).check("warm-up load").json()


def measure_load(context: dict) -> dict:
    """Time the first load into an empty cache (GGUF conversion) against loads from the warm cache."""
    model, env = context["model"], context["env"]
    result: dict = {}
    if context["model_info"].get("gguf_path"):
        first, first_rss = [], 0.0
        for _ in range(context["repeats"]):
            with tempfile.TemporaryDirectory(prefix="gpttasks-bench-cache-") as fresh:
                run = run_child(worker_command("load", {"model": model}), {**env, "GPTTASKS_CACHE": fresh}).check("first load")
            first.append(run.json()["load_s"])
            first_rss = max(first_rss, run.peak_rss_mib)
        result["first_load_s"] = summarize_runs(first)
        result["first_rss_mib"] = first_rss
    cached, cached_rss = [], 0.0
    for _ in range(context["repeats"]):
        run = run_child(worker_command("load", {"model": model}), env).check("cached load")
        cached.append(run.json()["load_s"])
        cached_rss = max(cached_rss, run.peak_rss_mib)
    result["cached_load_s"] = summarize_runs(cached)
    result["cached_rss_mib"] = cached_rss
    return result


# libgomp's own spin count when OMP_WAIT_POLICY is unset (GCC libgomp manual,
# GOMP_SPINCOUNT). An explicit GOMP_SPINCOUNT overrides the PASSIVE policy gpttasks sets.
SPINNING_ENV = {"GOMP_SPINCOUNT": "300000"}


def measure_decode(context: dict) -> dict:
    """Time prefill and decode of one greedy prompt against the memory-bandwidth ceiling.

    The same worker runs a second time with libgomp's default spin-waiting restored,
    to measure what gpttasks' sleeping OpenMP threads gain or lose in this run.
    """
    arguments = {
        "model": context["model"], "article": str(REPO_ROOT / "examples" / "article.txt"),
        "new_tokens": context["new_tokens"], "repeats": context["repeats"],
    }
    run = run_child(worker_command("decode", arguments), context["env"]).check("decode benchmark")
    data = run.json()
    speed = summarize_runs(data.pop("decode_tokens_per_s"))
    data["prefill_s"] = summarize_runs(data["prefill_s"])
    data["decode_tokens_per_s"] = speed
    data["peak_rss_mib"] = run.peak_rss_mib
    bandwidth = run_child(worker_command("bandwidth", {}), context["env"]).check("bandwidth measurement").json()
    data["read_bandwidth_gb_s"] = bandwidth["read_bandwidth_gb_s"]
    data["ceiling_tokens_per_s"] = bandwidth["read_bandwidth_gb_s"] * 1e9 / data["weight_bytes"]
    data["ceiling_fraction"] = speed["median"] / data["ceiling_tokens_per_s"]

    # Spinning threads can be ten times slower under load, so this comparison decodes fewer tokens once.
    short = {**arguments, "new_tokens": min(32, context["new_tokens"]), "repeats": 1}
    spinning = run_child(worker_command("decode", short), {**context["env"], **SPINNING_ENV})
    spinning_data = spinning.check("decode benchmark with spinning threads").json()
    data["spinning_threads"] = {
        "new_tokens": short["new_tokens"],
        "prefill_s": summarize_runs(spinning_data["prefill_s"]),
        "decode_tokens_per_s": summarize_runs(spinning_data["decode_tokens_per_s"]),
    }
    return data


def _read_texts(path: Path) -> dict[str, str]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {record["id"]: record["text"] for record in records}


def measure_batch(context: dict) -> dict:
    """Time ``summarize --input`` end to end against a naive per-document loop and compare outputs."""
    workdir: Path = context["workdir"]
    documents = workdir / "documents.jsonl"
    corpus = build_batch_file(documents, context["documents"], context["samples"])
    ours_out, naive_out = workdir / "gpttasks.jsonl", workdir / "naive.jsonl"

    command = [*gpttasks_command(), "summarize", "--input", str(documents), "--json", "-o", str(ours_out),
               "--model", context["model"], "--device", "cpu", "--dtype", "float32"]
    if context["max_new_tokens"]:
        command += ["--max-new-tokens", str(context["max_new_tokens"])]
    naive_arguments = {"model": context["model"], "model_dir": context["model_info"]["source_dir"],
                       "documents": str(documents), "output": str(naive_out),
                       "max_new_tokens": context["max_new_tokens"]}

    ours, naive, ours_rss, naive_rss, naive_generate = [], [], 0.0, 0.0, []
    for _ in range(context["heavy_repeats"]):
        run = run_child(command, context["env"]).check("gpttasks summarize --input")
        ours.append(run.wall_s)
        ours_rss = max(ours_rss, run.peak_rss_mib)
        run = run_child(worker_command("naive", naive_arguments), context["env"]).check("naive loop")
        naive.append(run.wall_s)
        naive_generate.append(run.json()["generate_s"])
        naive_rss = max(naive_rss, run.peak_rss_mib)

    ours_texts, naive_texts = _read_texts(ours_out), _read_texts(naive_out)
    differing = sorted(key for key in naive_texts if ours_texts.get(key) != naive_texts[key])
    count = corpus["documents"]
    result = {
        **corpus,
        "gpttasks_s": summarize_runs(ours),
        "naive_s": summarize_runs(naive),
        "naive_generate_s": summarize_runs(naive_generate),
        "gpttasks_rss_mib": ours_rss,
        "naive_rss_mib": naive_rss,
        "identical_outputs": count - len(differing),
        "differing_ids": differing,
    }
    result["gpttasks_docs_per_min"] = 60 * count / result["gpttasks_s"]["median"]
    result["naive_docs_per_min"] = 60 * count / result["naive_s"]["median"]
    result["speedup"] = result["naive_s"]["median"] / result["gpttasks_s"]["median"]
    return result


def measure_eval(context: dict) -> dict:
    """Time ``gpttasks eval`` end to end against the naive loop followed by rouge-score."""
    if importlib.util.find_spec("gpttasks.cli.eval_cmd") is None:
        return {"skipped": "gpttasks eval is not available in this checkout"}
    workdir: Path = context["workdir"]
    dataset = workdir / "eval.jsonl"
    corpus = build_eval_file(dataset, context["documents"], context["samples"])
    if corpus is None:
        return {"skipped": f"no summarization samples with references in {context['samples']}"}
    command = [*gpttasks_command(), "eval", "--task", "summarize", "--dataset", str(dataset),
               "-o", str(workdir / "eval-run"), "--overwrite", "--json",
               "--model", context["model"], "--device", "cpu", "--dtype", "float32"]
    if context["max_new_tokens"]:
        command += ["--max-new-tokens", str(context["max_new_tokens"])]
    naive_arguments = {"model": context["model"], "model_dir": context["model_info"]["source_dir"],
                       "documents": str(dataset), "output": str(workdir / "eval-naive.jsonl"),
                       "max_new_tokens": context["max_new_tokens"], "score": True}
    ours, naive, ours_rss, naive_rss = [], [], 0.0, 0.0
    for _ in range(context["heavy_repeats"]):
        run = run_child(command, context["env"]).check("gpttasks eval")
        ours.append(run.wall_s)
        ours_rss = max(ours_rss, run.peak_rss_mib)
        run = run_child(worker_command("naive", naive_arguments), context["env"]).check("naive eval loop")
        naive.append(run.wall_s)
        naive_rss = max(naive_rss, run.peak_rss_mib)
    result = {**corpus, "gpttasks_s": summarize_runs(ours), "naive_s": summarize_runs(naive),
              "gpttasks_rss_mib": ours_rss, "naive_rss_mib": naive_rss}
    result["examples_per_s"] = corpus["examples"] / result["gpttasks_s"]["median"]
    result["naive_examples_per_s"] = corpus["examples"] / result["naive_s"]["median"]
    result["speedup"] = result["naive_s"]["median"] / result["gpttasks_s"]["median"]
    return result


def measure_peer(context: dict) -> dict:
    """Time llama-cpp-python decoding on the same GGUF file, prompt and thread count."""
    if importlib.util.find_spec("llama_cpp") is None:
        return {"skipped": "llama-cpp-python is not installed (pip install 'gpttasks[llama]')"}
    gguf = context.get("model_info", {}).get("gguf_path")
    decode = context.get("decode")
    if not gguf or not decode:
        return {"skipped": "needs a GGUF model and the decode section"}
    arguments = {"gguf": gguf, "prompt_ids": decode["prompt_ids"], "threads": decode["threads"],
                 "new_tokens": context["new_tokens"], "repeats": context["repeats"]}
    run = run_child(worker_command("peer", arguments), context["env"]).check("llama-cpp-python benchmark")
    data = run.json()
    data["prefill_s"] = summarize_runs(data["prefill_s"])
    data["decode_tokens_per_s"] = summarize_runs(data["decode_tokens_per_s"])
    data["peak_rss_mib"] = run.peak_rss_mib
    return data


def environment_facts(context: dict) -> dict:
    # Package metadata, not imports: a forked child inherits the parent's peak RSS
    # until it execs, so the parent stays small.
    from importlib.metadata import version

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT)
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch": version("torch"),
        "transformers": version("transformers"),
        "python": platform.python_version(),
        "commit": commit.stdout.strip() or "unknown",
        "model": context["model"],
        "dtype": "float32",
        "repeats": context["repeats"],
        "heavy_repeats": context["heavy_repeats"],
        "quick": context["quick"],
        "loadavg_start": os.getloadavg(),
    }


def build_context(arguments: argparse.Namespace, workdir: Path) -> dict:
    model = arguments.model
    if model is None and arguments.quick:
        # Built in a child process so that the parent never imports torch (see environment_facts).
        # 1024 positions, so every sample document fits without chunking, as the naive loop needs.
        target = workdir / "tiny-gpt2"
        script = (f"import sys; sys.path.insert(0, {str(REPO_ROOT / 'tests')!r}); "
                  f"from pathlib import Path; from tiny_model import build_tiny_gpt2; "
                  f"build_tiny_gpt2(Path({str(target)!r}), n_positions=1024)")
        run_child([sys.executable, "-c", script]).check("building the tiny model")
        model = str(target)
    cache = arguments.cache or Path(os.environ.get("GPTTASKS_CACHE") or workdir / "cache")
    # Every child, baselines included, gets the OpenMP wait policy that gpttasks sets
    # for itself, so ratios measure gpttasks' own work. The decode section measures
    # the policy on its own.
    env = {"GPTTASKS_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "OMP_WAIT_POLICY": "PASSIVE"}
    return {
        "model": model or "smollm2", "env": env, "workdir": workdir, "quick": arguments.quick,
        "repeats": arguments.repeats, "heavy_repeats": arguments.heavy_repeats, "new_tokens": arguments.new_tokens,
        "documents": arguments.documents, "samples": arguments.samples,
        "max_new_tokens": arguments.max_new_tokens,
    }


def main(argv: list[str] | None = None) -> Path:
    arguments = parse_arguments(argv)
    measures = {"startup": measure_startup, "load": measure_load, "decode": measure_decode,
                "batch": measure_batch, "eval": measure_eval, "peer": measure_peer}
    with tempfile.TemporaryDirectory(prefix="gpttasks-bench-") as folder:
        context = build_context(arguments, Path(folder))
        result: dict = {"meta": environment_facts(context)}
        needed = set(arguments.sections)
        if needed - {"startup"}:
            context["model_info"] = model_facts(context)
        if "peer" in needed:
            needed.add("decode")
        for name in SECTIONS:
            if name not in needed:
                continue
            print(f"bench: {name} (load average {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
            started, load_before = time.perf_counter(), os.getloadavg()
            result[name] = measures[name](context)
            result[name]["loadavg_before"] = load_before
            result[name]["section_s"] = time.perf_counter() - started
            context[name] = result[name]
        result["meta"]["loadavg_end"] = os.getloadavg()
    result.get("decode", {}).pop("prompt_ids", None)
    result["targets"] = check_targets(result)

    output = arguments.output or RESULTS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not arguments.quick and not arguments.no_docs:
        update_document(DOCUMENT, result)
    for row in result["targets"]:
        print(f"{'met   ' if row['met'] else 'MISSED'} {row['target']}: {row['value']}", file=sys.stderr)
    print(output)
    return output


if __name__ == "__main__":
    main()
