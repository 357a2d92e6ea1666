"""Build the task pipeline that eval runs: the same Summarizer and Translator as the task commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpttasks.evaluation.runner import Predict
from gpttasks.evaluation.signature import describe_template, file_sha256
from gpttasks.generation.options import DecodingOptions, build_decoding_options


@dataclass
class TaskPipeline:
    """A ready predict function plus the settings that shape its outputs."""

    predict: Predict
    decoding: DecodingOptions
    settings: dict[str, Any]  # template and task options, recorded in run.json and results.json


def build_pipeline(
    task: str,
    handle,
    batch_size: int,
    flags: dict[str, Any],
    *,
    length: str = "medium",
    template=None,
    source_lang: str | None = None,
    target_lang: str | None = None,
    fewshot_file: str | None = None,
) -> TaskPipeline:
    """Create the summarize or translate pipeline for ``handle`` with the task's decoding defaults."""
    from pathlib import Path

    from gpttasks.generation.engine import Generator

    generator = Generator(handle, batch_size=batch_size)
    if task == "summarize":
        from gpttasks.tasks.summarize import Summarizer, task_defaults

        decoding = build_decoding_options(task_defaults=task_defaults(length, handle.is_chat), **flags)
        summarizer = Summarizer(generator, decoding, length, template)
        settings = {"length": length, "template": describe_template(summarizer.template)}
        if summarizer.reduce_template is not summarizer.template:
            settings["reduce_template"] = describe_template(summarizer.reduce_template)
        return TaskPipeline(lambda examples: summarizer.summarize(examples), decoding, settings)

    from gpttasks.tasks.translate import Translator, translate_task_defaults

    decoding = build_decoding_options(task_defaults=translate_task_defaults(handle.is_chat), **flags)
    translator = Translator(generator, decoding, source_lang, target_lang, template, fewshot_file)
    settings = {
        "template": describe_template(translator.template),
        "source_lang": source_lang,
        "target_lang": target_lang,
        "shots": translator.shots,
        "examples_file": {"path": fewshot_file, "sha256": file_sha256(Path(fewshot_file))} if fewshot_file else None,
    }
    return TaskPipeline(lambda examples: translator.translate(examples), decoding, settings)
