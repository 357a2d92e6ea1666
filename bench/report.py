"""Check the performance targets against a result and render the Markdown table for docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

BEGIN = "<!-- bench:begin (written by bench/run.py; edits here are overwritten) -->"
END = "<!-- bench:end -->"

HELP_TARGET_S = 0.3
LOAD_TARGET_RATIO = 0.1
BATCH_TARGET_SPEEDUP = 3.0
DECODE_TARGET_FRACTION = 0.7


def _get(result: dict, *path, default=None):
    value = result
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def check_targets(result: dict) -> list[dict]:
    """Compare a result with each target; a target the result did not measure gets no row."""
    rows = []
    help_s = _get(result, "startup", "gpttasks_help_s", "median")
    heavy = _get(result, "startup", "heavy_imported")
    if help_s is not None:
        rows.append({
            "target": f"`gpttasks --help` under {HELP_TARGET_S} s, no torch/transformers import",
            "value": f"{help_s:.3f} s; heavy imports: {', '.join(heavy) or 'none'}",
            "met": help_s < HELP_TARGET_S and not heavy,
        })
    first = _get(result, "load", "first_load_s", "median")
    cached = _get(result, "load", "cached_load_s", "median")
    if first and cached is not None:
        rows.append({
            "target": f"cached load at most {LOAD_TARGET_RATIO:g} of the first (conversion) load",
            "value": f"{cached:.2f} s / {first:.2f} s = {cached / first:.3f}",
            "met": cached <= LOAD_TARGET_RATIO * first,
        })
    speedup = _get(result, "batch", "speedup")
    if speedup is not None:
        same = _get(result, "batch", "identical_outputs")
        total = _get(result, "batch", "documents")
        rows.append({
            "target": f"batch throughput at least {BATCH_TARGET_SPEEDUP:g}x the naive loop, same greedy outputs",
            "value": f"{speedup:.2f}x; {same}/{total} outputs identical",
            "met": speedup >= BATCH_TARGET_SPEEDUP and same == total,
        })
    fraction = _get(result, "decode", "ceiling_fraction")
    if fraction is not None:
        rows.append({
            "target": f"single-prompt decode at least {DECODE_TARGET_FRACTION:.0%} of the bandwidth ceiling",
            "value": f"{fraction:.0%} ({_get(result, 'decode', 'decode_tokens_per_s', 'median'):.1f} of "
                     f"{_get(result, 'decode', 'ceiling_tokens_per_s'):.1f} tokens/s)",
            "met": fraction >= DECODE_TARGET_FRACTION,
        })
    return rows


def _seconds(value) -> str:
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.3f} s"
    return f"{value:.1f} s"


def _mib(value) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


def render_table(result: dict) -> str:
    """Render one benchmark result as Markdown: environment, measurements, targets."""
    meta = result["meta"]
    lines = [
        f"Run of {meta['started']} on `{meta['cpu']}`, {meta['cores']} cores, torch {meta['torch']}, "
        f"transformers {meta['transformers']}, model `{meta['model']}` ({meta['dtype']}), "
        f"commit `{meta['commit']}`. Load average at start {meta['loadavg_start'][0]:.2f}, "
        f"at end {meta['loadavg_end'][0]:.2f}. Each figure is the median of {meta['repeats']} runs "
        f"({meta['heavy_repeats']} for `summarize --input` and `eval`, 1 for the spinning-thread decode); "
        "ratios compare runs made in this same session.",
        "",
        "| measurement | gpttasks | baseline in the same run | ratio | peak RSS |",
        "|---|---|---|---|---|",
    ]
    startup = result.get("startup")
    if startup:
        base = startup["python_pass_s"]["median"]
        for key, label in (("gpttasks_help_s", "`gpttasks --help`"), ("summarize_help_s", "`gpttasks summarize --help`")):
            value = startup[key]["median"]
            lines.append(f"| {label} | {_seconds(value)} | `python -c pass` {_seconds(base)} | "
                         f"{value / base:.1f}x | {_mib(startup.get(key.replace('_s', '_rss_mib')))} |")
    load = result.get("load")
    if load:
        cached = load["cached_load_s"]["median"]
        first = _get(load, "first_load_s", "median")
        lines.append(f"| model load from cache | {_seconds(cached)} | first load with GGUF conversion "
                     f"{_seconds(first)} | {'-' if not first else f'{cached / first:.3f}'} | "
                     f"{_mib(load.get('cached_rss_mib'))} (first: {_mib(load.get('first_rss_mib'))}) |")
    decode = result.get("decode")
    if decode:
        lines.append(f"| prefill, {decode['prompt_tokens']}-token prompt | {_seconds(decode['prefill_s']['median'])} | - | - | "
                     f"{_mib(decode.get('peak_rss_mib'))} |")
        lines.append(f"| greedy decode, {decode['new_tokens']} tokens | {decode['decode_tokens_per_s']['median']:.1f} tokens/s | "
                     f"bandwidth ceiling {decode['ceiling_tokens_per_s']:.1f} tokens/s "
                     f"({decode['weight_bytes'] / 2**20:.0f} MiB of weights at {decode['read_bandwidth_gb_s']:.1f} GB/s) | "
                     f"{decode['ceiling_fraction']:.0%} | |")
        spinning = decode.get("spinning_threads")
        if spinning:
            spin_speed = spinning["decode_tokens_per_s"]["median"]
            lines.append(f"| greedy decode, OpenMP threads sleeping (gpttasks default) | "
                         f"{decode['decode_tokens_per_s']['median']:.1f} tokens/s | libgomp spin-waiting "
                         f"(`GOMP_SPINCOUNT=300000`, {spinning['new_tokens']} tokens) {spin_speed:.1f} tokens/s | "
                         f"{decode['decode_tokens_per_s']['median'] / spin_speed:.1f}x | |")
    batch = result.get("batch")
    if batch:
        lines.append(f"| `summarize --input`, {batch['documents']} documents | {batch['gpttasks_docs_per_min']:.1f} docs/min "
                     f"({_seconds(batch['gpttasks_s']['median'])}) | naive `generate` loop {batch['naive_docs_per_min']:.1f} docs/min "
                     f"({_seconds(batch['naive_s']['median'])}) | {batch['speedup']:.2f}x | "
                     f"{_mib(batch.get('gpttasks_rss_mib'))} (naive: {_mib(batch.get('naive_rss_mib'))}) |")
    evaluation = result.get("eval")
    if evaluation and "examples_per_s" in evaluation:
        lines.append(f"| `eval`, {evaluation['examples']} examples | {evaluation['examples_per_s']:.2f} examples/s | "
                     f"naive loop {evaluation['naive_examples_per_s']:.2f} examples/s | {evaluation['speedup']:.2f}x | "
                     f"{_mib(evaluation.get('gpttasks_rss_mib'))} |")
    peer = result.get("peer")
    if peer and "decode_tokens_per_s" in peer:
        lines.append(f"| llama-cpp-python {peer['llama_cpp_version']} on the GGUF, {peer['threads']} threads | "
                     f"decode {peer['decode_tokens_per_s']['median']:.1f} tokens/s, prefill {_seconds(peer['prefill_s']['median'])} | "
                     f"gpttasks decode {decode['decode_tokens_per_s']['median']:.1f} tokens/s | "
                     f"{peer['decode_tokens_per_s']['median'] / decode['decode_tokens_per_s']['median']:.1f}x faster | "
                     f"{_mib(peer.get('peak_rss_mib'))} |")
    elif peer:
        lines.append(f"| llama-cpp-python | skipped: {peer.get('skipped')} | | | |")

    lines += ["", "| target | measured | met |", "|---|---|---|"]
    for row in check_targets(result):
        lines.append(f"| {row['target']} | {row['value']} | {'yes' if row['met'] else 'no'} |")
    return "\n".join(lines)


def update_document(document: Path, result: dict) -> None:
    """Replace the generated block between the markers, keeping the hand-written text around it."""
    text = document.read_text(encoding="utf-8") if document.is_file() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    document.write_text(f"{head}{BEGIN}\n{render_table(result)}\n{END}{tail}", encoding="utf-8")
