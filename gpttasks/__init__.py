"""gpttasks: summarize, translate, chat, generate, eval and finetune with causal language models."""

import os as _os

# torch's CPU wheels use libgomp, whose idle threads spin for a while before sleeping.
# On a CPU shared with other busy processes that made SmolLM2 decoding about 12x
# slower than sleeping threads (bench/run.py decode section, 2 cores, load average 7).
# libgomp reads this once, when torch is first imported; a value the user set wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
