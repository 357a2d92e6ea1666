"""Fine-tuning on the transformers Trainer: features with prompt masking, LoRA, checkpoints, reports.

Importing this package is cheap; torch, transformers and peft load inside the functions.
"""
