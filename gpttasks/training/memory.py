"""A rough training-memory estimate, logged before training starts."""

from __future__ import annotations

from dataclasses import asdict, dataclass

DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
# AdamW keeps two float32 moments per trainable parameter.
ADAMW_BYTES_PER_PARAMETER = 8
# Activation bytes per token, layer and hidden unit for a transformer layer with
# 16-bit activations, after Korthikanti et al. 2022, "Reducing Activation
# Recomputation in Large Transformer Models": s*b*h*(34 + 5*a*s/h) per layer.
ACTIVATION_FACTOR_16BIT = 34
ATTENTION_SCORE_FACTOR_16BIT = 5


@dataclass
class MemoryEstimate:
    """Estimated bytes for one training process, split by what uses them."""

    weights: int
    gradients: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}

    def describe(self) -> str:
        mib = 1024 * 1024
        return (
            f"about {self.total / mib:,.0f} MiB (weights {self.weights / mib:,.0f}, "
            f"gradients {self.gradients / mib:,.0f}, optimizer {self.optimizer / mib:,.0f}, "
            f"activations {self.activations / mib:,.0f})"
        )


def estimate_training_memory(
    total_parameters: int,
    trainable_parameters: int,
    weight_dtype: str,
    batch_size: int,
    sequence_length: int,
    hidden_size: int,
    num_layers: int,
    num_heads: int,
    gradient_checkpointing: bool = False,
) -> MemoryEstimate:
    """Estimate memory for AdamW training; only trainable parameters get gradients and moments.

    The activation term is an order-of-magnitude figure: it ignores the embedding and
    output layers, fused kernels and allocator overhead.
    """
    weight_bytes = DTYPE_BYTES.get(weight_dtype, 4)
    tokens = batch_size * sequence_length
    per_layer = tokens * hidden_size * ACTIVATION_FACTOR_16BIT
    per_layer += ATTENTION_SCORE_FACTOR_16BIT * num_heads * batch_size * sequence_length * sequence_length
    # The published factors count 16-bit activations; float32 doubles them.
    per_layer = per_layer * weight_bytes // 2
    if gradient_checkpointing:
        # Only each layer's input is kept, plus one layer recomputed during backward.
        activations = num_layers * tokens * hidden_size * weight_bytes + per_layer
    else:
        activations = num_layers * per_layer
    return MemoryEstimate(
        weights=total_parameters * weight_bytes,
        gradients=trainable_parameters * weight_bytes,
        optimizer=trainable_parameters * ADAMW_BYTES_PER_PARAMETER,
        activations=activations,
    )


def model_shape(model) -> tuple[int, int, int]:
    """Return ``(hidden_size, num_layers, num_heads)`` from a transformers config."""
    config = model.config
    get = config.get_text_config() if hasattr(config, "get_text_config") else config
    hidden = getattr(get, "hidden_size", None) or getattr(get, "n_embd", 0)
    layers = getattr(get, "num_hidden_layers", None) or getattr(get, "n_layer", 0)
    heads = getattr(get, "num_attention_heads", None) or getattr(get, "n_head", 1)
    return int(hidden), int(layers), int(heads)
