"""Identify what produced a run (model, template, libraries) so a score can be reproduced."""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import Any

# Packages whose versions can change predictions or scores.
LIBRARIES = (
    "gpttasks", "torch", "transformers", "tokenizers", "datasets", "accelerate", "rouge-score", "sacrebleu", "nltk",
)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")
HASH_CHUNK_BYTES = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def describe_model(handle) -> dict[str, Any]:
    """Return the model's name and what pins its weights: Hub revision or file hash.

    Hub models record the cached commit. Local directories and GGUF files record a
    SHA-256 over their weight files, which reads every byte once (seconds per GB).
    """
    spec = handle.spec
    described: dict[str, Any] = {"name": spec.name, "kind": spec.kind, "dtype": handle.dtype, "device": handle.device}
    if spec.kind == "hub":
        described["repo_id"] = spec.repo_id
        described["revision"] = spec.revision or _cached_commit(spec.repo_id)
    elif spec.kind == "gguf":
        described["file"] = str(spec.path)
        described["sha256"] = file_sha256(Path(spec.path))
    else:
        described["path"] = str(spec.path)
        described["sha256"] = _directory_sha256(Path(spec.path))
    if handle.metadata:
        described["gpttasks_metadata"] = handle.metadata
    return described


def _cached_commit(repo_id: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(repo_id, "config.json")
    # The cache stores files under snapshots/<commit hash>/.
    return Path(cached).parent.name if isinstance(cached, str) else None


def _directory_sha256(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if path.suffix in WEIGHT_SUFFIXES or path.name == "config.json":
            digest.update(path.name.encode())
            digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def describe_template(template) -> dict[str, Any] | None:
    """Return a prompt template's name and the SHA-256 of its source text."""
    if template is None:
        return None
    return {"name": template.name, "sha256": hashlib.sha256(template.source.encode("utf-8")).hexdigest()}


def library_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in LIBRARIES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return versions
