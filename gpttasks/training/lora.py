"""LoRA adapters through peft: target modules by architecture, wrapping, merging."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gpttasks.errors import UsageError

logger = logging.getLogger(__name__)

# Attention projections to adapt, by the module names each architecture family uses.
# GPT-2 fuses query, key and value into one Conv1D named c_attn.
LLAMA_STYLE_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")
GPT2_TARGETS = ("c_attn",)


def default_target_modules(model) -> list[str]:
    """Pick LoRA targets from the module names the model actually has."""
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    for family in (LLAMA_STYLE_TARGETS, GPT2_TARGETS):
        present = [target for target in family if target in names]
        if present:
            return present
    from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

    mapped = TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING.get(model.config.model_type)
    if mapped:
        return list(mapped)
    raise UsageError(
        f"no default LoRA target modules for model type {model.config.model_type!r}; "
        f"pass --lora-target-modules with some of: {', '.join(sorted(linear_module_names(model)))}"
    )


def linear_module_names(model) -> set[str]:
    """Short names of the linear and Conv1D layers LoRA can adapt."""
    import torch
    from transformers.pytorch_utils import Conv1D

    return {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, (torch.nn.Linear, Conv1D)) and name
    }


def apply_lora(model, r: int, alpha: int, dropout: float, target_modules: Sequence[str] | None):
    """Wrap ``model`` in a peft ``PeftModel`` with trainable LoRA adapters on the targets."""
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers.pytorch_utils import Conv1D

    targets = list(target_modules) if target_modules else default_target_modules(model)
    available = linear_module_names(model)
    unknown = [target for target in targets if target not in available]
    if unknown:
        raise UsageError(
            f"invalid --lora-target-modules {', '.join(unknown)}: no such linear layer in "
            f"{model.config.model_type}; choose from {', '.join(sorted(available))}"
        )
    # GPT-2's Conv1D stores its weight as (in, out), transposed against nn.Linear.
    fan_in_fan_out = any(
        isinstance(module, Conv1D) and name.rsplit(".", 1)[-1] in targets
        for name, module in model.named_modules()
    )
    config = LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=targets,
        fan_in_fan_out=fan_in_fan_out,
    )
    peft_model = get_peft_model(model, config)
    logger.info("LoRA on %s (r=%d, alpha=%d)", ", ".join(targets), r, alpha)
    return peft_model


def is_peft_model(model) -> bool:
    try:
        from peft import PeftModel
    except ImportError:
        return False
    return isinstance(model, PeftModel)


def count_parameters(model) -> tuple[int, int]:
    """Return ``(trainable, total)`` parameter counts."""
    trainable = total = 0
    for parameter in model.parameters():
        total += parameter.numel()
        if parameter.requires_grad:
            trainable += parameter.numel()
    return trainable, total
