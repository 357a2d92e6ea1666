"""Convert a GGUF file once into a safetensors model directory under the user cache."""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from pathlib import Path

from gpttasks.config import cache_dir
from gpttasks.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

COMPLETE_MARKER = ".complete"


def cache_key(gguf_path: Path) -> str:
    """Key a conversion by file identity and the transformers version that converted it."""
    import transformers

    stat = gguf_path.stat()
    identity = f"{gguf_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{transformers.__version__}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def converted_gguf_dir(gguf_path: Path) -> Path:
    """Return a directory holding the dequantized model and tokenizer, converting on first use."""
    target = cache_dir() / "models" / f"{gguf_path.stem}-{cache_key(gguf_path)}"
    if (target / COMPLETE_MARKER).is_file():
        return target

    logger.info("converting %s to safetensors once (about 30 s); later loads use %s", gguf_path.name, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        _convert(gguf_path, staging)
        (staging / COMPLETE_MARKER).write_text("ok\n")
        if target.exists():
            # An incomplete leftover from an interrupted run, or a concurrent process won.
            if (target / COMPLETE_MARKER).is_file():
                return target
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(gguf_path: Path, output: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelNotFoundError(f"cannot read GGUF file {gguf_path}: {error}") from error

    # transformers 5.25 rejects save_pretrained on GGUF-loaded models, although the
    # weights are plain dequantized tensors by now. Dropping the quantizer markers
    # lets it save, and the reload is bit-identical (checked on SmolLM2).
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(output, safe_serialization=True)
    tokenizer.save_pretrained(output)
