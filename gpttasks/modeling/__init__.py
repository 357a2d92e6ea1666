"""Model resolution (alias, Hub id, directory, GGUF) and loading."""

from gpttasks.modeling.handle import ModelHandle
from gpttasks.modeling.resolve import ModelSpec, resolve_model_spec

__all__ = ["ModelHandle", "ModelSpec", "resolve_model_spec", "load_model"]


def load_model(*args, **kwargs) -> ModelHandle:
    from gpttasks.modeling.load import load_model as _load

    return _load(*args, **kwargs)
