"""Load a resolved model and tokenizer once, on the right device and dtype."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from gpttasks.errors import ModelNotFoundError, UsageError
from gpttasks.hub import hub_unreachable_reason
from gpttasks.modeling.device import configure_threads, resolve_device_and_dtype
from gpttasks.modeling.gguf_cache import converted_gguf_dir
from gpttasks.modeling.handle import ModelHandle
from gpttasks.modeling.resolve import ModelSpec

logger = logging.getLogger(__name__)

METADATA_FILE = "gpttasks.json"


def load_model(
    spec: ModelSpec,
    device: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
) -> ModelHandle:
    """Load ``spec`` and return a ready :class:`ModelHandle` in eval mode."""
    import torch

    device, torch_dtype_name = resolve_device_and_dtype(device, dtype)
    configure_threads(device)

    if spec.kind == "gguf":
        source = str(converted_gguf_dir(spec.path))
        local_only = True
    elif spec.kind == "directory":
        source = str(spec.path)
        local_only = True
    else:
        source = spec.repo_id
        local_only = _hub_model_is_cached(spec)
        if not local_only:
            _ensure_hub_reachable(spec)

    model, tokenizer = _from_pretrained(
        source, spec, getattr(torch, torch_dtype_name), trust_remote_code, local_only
    )
    model.to(device)
    model.eval()

    _prepare_tokenizer(tokenizer, model)
    metadata = _read_metadata(spec)
    return ModelHandle(
        model=model,
        tokenizer=tokenizer,
        spec=spec,
        device=device,
        dtype=torch_dtype_name,
        context_length=context_length(model, tokenizer),
        eos_token_ids=eos_token_ids(model, tokenizer),
        metadata=metadata,
    )


def _from_pretrained(source, spec, torch_dtype, trust_remote_code, local_only):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    common = {
        "trust_remote_code": trust_remote_code,
        "local_files_only": local_only,
        "revision": spec.revision,
    }
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **common)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype, **common)
    except ValueError as error:
        if "trust_remote_code" in str(error):
            raise UsageError(
                f"model {spec.name} needs custom code from its repository; "
                "review it, then rerun with --trust-remote-code"
            ) from error
        raise ModelNotFoundError(f"cannot load model {spec.describe()}: {error}") from error
    except OSError as error:
        raise ModelNotFoundError(
            f"cannot load model {spec.describe()}: {str(error).splitlines()[0]}"
        ) from error
    return model, tokenizer


def _hub_model_is_cached(spec: ModelSpec) -> bool:
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(spec.repo_id, "config.json", revision=spec.revision)
    return isinstance(cached, str)


def _ensure_hub_reachable(spec: ModelSpec) -> None:
    """Fail in seconds, not after huggingface_hub's retries, when the Hub cannot be reached."""
    hint = (
        f"model {spec.repo_id} is not in the local Hugging Face cache and the Hub cannot be reached"
    )
    fix = (
        "; connect to the network and retry, download it elsewhere with "
        f"'huggingface-cli download {spec.repo_id}' and copy the cache, "
        "or pass a local directory or .gguf file to --model"
    )
    reason = hub_unreachable_reason()
    if reason is not None:
        raise ModelNotFoundError(f"{hint} ({reason}){fix}")


def _prepare_tokenizer(tokenizer, model) -> None:
    """Give the tokenizer a pad token and left padding, as decoder-only batching needs."""
    if tokenizer.pad_token is None:
        # GPT-2 has no pad token; reusing EOS is safe because padded positions are
        # masked through the attention mask and never read back.
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id


def context_length(model, tokenizer) -> int:
    """Return the model's maximum sequence length in tokens."""
    config = model.config
    for attribute in ("max_position_embeddings", "n_positions", "n_ctx", "seq_length"):
        value = getattr(config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(limit, int) and 0 < limit < 1_000_000:
        return limit
    logger.warning("model config names no context length; assuming 2048 tokens")
    return 2048


def eos_token_ids(model, tokenizer) -> list[int]:
    """Collect end-of-sequence ids from the tokenizer and the generation config."""
    ids: list[int] = []
    configured = model.generation_config.eos_token_id
    if isinstance(configured, int):
        ids.append(configured)
    elif configured:
        ids.extend(configured)
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return sorted(set(ids))


def _read_metadata(spec: ModelSpec) -> dict:
    if spec.kind != "directory":
        return {}
    path = Path(spec.path) / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelNotFoundError(f"invalid {METADATA_FILE} in {spec.path}: {error}") from error
