"""Prompt templates (built-in and user files) rendered in a Jinja sandbox."""

from gpttasks.prompts.templates import PromptTemplate, builtin_template, load_template_file

__all__ = ["PromptTemplate", "builtin_template", "load_template_file"]
