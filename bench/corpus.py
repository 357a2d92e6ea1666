"""Build the batch-throughput document set from the project's examples and optional samples."""

from __future__ import annotations

import json
from pathlib import Path

from procs import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
# Summarization samples as JSON Lines with a "document" field (for example the
# CNN/DailyMail, XSum and LCSTS samples kept outside the repository).
SAMPLE_GLOB = "summarization_*.jsonl"


def collect_documents(sample_dir: Path | None) -> list[tuple[str, str]]:
    """Return ``(id, text)`` pairs: examples/ first, then every sample file in ``sample_dir``."""
    documents = [("example-article", (EXAMPLES / "article.txt").read_text(encoding="utf-8").strip())]
    for line in (EXAMPLES / "docs.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            documents.append((f"example-{record['id']}", record["text"]))
    if sample_dir is not None and sample_dir.is_dir():
        for path in sorted(sample_dir.glob(SAMPLE_GLOB)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    documents.append((f"{path.stem}-{record['id']}", record["document"]))
    return documents


def build_batch_file(output: Path, count: int, sample_dir: Path | None) -> dict:
    """Write ``count`` documents as JSONL for ``summarize --input`` and return a description.

    When fewer distinct documents exist than ``count``, the list is repeated with new
    ids, so both the naive loop and gpttasks see the same repeated prompts.
    """
    documents = collect_documents(sample_dir)
    chosen = []
    for index in range(count):
        doc_id, text = documents[index % len(documents)]
        round_number = index // len(documents)
        chosen.append({"id": doc_id if round_number == 0 else f"{doc_id}-repeat{round_number}", "text": text})
    with output.open("w", encoding="utf-8") as handle:
        for record in chosen:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {
        "documents": count,
        "distinct": min(count, len(documents)),
        "characters": sum(len(record["text"]) for record in chosen),
        "sample_dir": str(sample_dir) if sample_dir is not None and sample_dir.is_dir() else None,
    }


def build_eval_file(output: Path, count: int, sample_dir: Path | None) -> dict | None:
    """Write up to ``count`` samples with references as ``{id, document, summary}`` JSONL.

    Returns None when ``sample_dir`` holds no summarization samples, because the
    project's own examples carry no reference summaries to score against.
    """
    if sample_dir is None or not sample_dir.is_dir():
        return None
    records = []
    for path in sorted(sample_dir.glob(SAMPLE_GLOB)):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records.append({"id": f"{path.stem}-{record['id']}", "document": record["document"],
                                "summary": record["summary"]})
    records = records[:count]
    if not records:
        return None
    with output.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {"examples": len(records), "sample_dir": str(sample_dir)}
