"""Decoding options and the batched, streaming generator shared by every task."""

from gpttasks.generation.options import PRESETS, DecodingOptions, build_decoding_options

__all__ = ["PRESETS", "DecodingOptions", "build_decoding_options"]
