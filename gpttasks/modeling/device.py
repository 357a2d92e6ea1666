"""Device and dtype selection, and CPU thread settings."""

from __future__ import annotations

import logging
import os

from gpttasks.errors import UsageError

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")
DTYPES = ("auto", "float32", "bfloat16", "float16")


def resolve_device_and_dtype(device: str, dtype: str) -> tuple[str, str]:
    """Return a concrete ``(device, dtype)`` pair the backend can run."""
    import torch

    if device not in DEVICES:
        raise UsageError(f"invalid --device {device!r}; choose one of {', '.join(DEVICES)}")
    if dtype not in DTYPES:
        raise UsageError(f"invalid --dtype {dtype!r}; choose one of {', '.join(DTYPES)}")

    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda requested but no CUDA GPU is available; use --device cpu")
    elif device == "mps" and not torch.backends.mps.is_available():
        raise UsageError("--device mps requested but MPS is not available; use --device cpu")

    if dtype == "auto":
        # CPUs without native bfloat16 (AVX2 only) run bfloat16 matmuls tens of times
        # slower than float32, so float32 is the only safe CPU default.
        if device == "cuda":
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        elif device == "mps":
            dtype = "float16"
        else:
            dtype = "float32"
    elif device == "cpu" and dtype == "float16":
        logger.warning("float16 is slow and poorly supported on CPU; using float32 instead")
        dtype = "float32"
    elif device == "cpu" and dtype == "bfloat16":
        logger.warning("bfloat16 on CPU is much slower than float32 unless the CPU supports AMX/AVX512-BF16")
    elif device == "cuda" and dtype == "bfloat16" and not torch.cuda.is_bf16_supported():
        logger.warning("this GPU has no bfloat16 support; using float16 instead")
        dtype = "float16"
    return device, dtype


def configure_threads(device: str) -> None:
    """Use the cores this process may run on, split among local distributed workers.

    Several worker processes each using every core slow each other down several-fold,
    so under torchrun or accelerate each worker takes its share (at least one thread).
    """
    if device != "cpu" or os.environ.get("OMP_NUM_THREADS"):
        return
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    local_workers = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    torch.set_num_threads(max(1, cores // max(1, local_workers)))
