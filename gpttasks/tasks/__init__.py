"""Task pipelines: Examples -> prompts -> Predictions, all on one shared Generator."""
