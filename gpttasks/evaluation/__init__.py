"""Evaluation: datasets, metrics, the resumable prediction runner and result reports."""
