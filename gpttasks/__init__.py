"""gpttasks: summarize, translate, chat, generate, eval and finetune with causal language models."""

__version__ = "0.1.0"
