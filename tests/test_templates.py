"""Prompt templates: sandboxing, missing-variable reports, built-ins."""

import pytest

from gpttasks.errors import TemplateError
from gpttasks.prompts.templates import PromptTemplate, builtin_template, load_template_file


def test_builtin_base_summary_uses_tldr():
    assert builtin_template("summarize-base").render(text="Article.") == "Article.\nTL;DR:"


def test_all_missing_variables_reported_at_once():
    template = PromptTemplate("t", "{{ text }} {{ tone }} {{ audience }}")
    with pytest.raises(TemplateError) as raised:
        template.render(text="x")
    message = str(raised.value)
    assert "audience, tone" in message
    assert "available: text" in message


def test_sandbox_blocks_python_internals():
    template = PromptTemplate("evil", "{{ text.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match="unsafe"):
        template.render(text="x")


def test_syntax_error_names_line(tmp_path):
    path = tmp_path / "bad.jinja"
    path.write_text("line one\n{{ text | }}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="line 2"):
        load_template_file(path)


@pytest.mark.parametrize("content,fragment", [(None, "not found"), ("", "is empty"), (b"\xff\xfe", "cannot read")])
def test_bad_template_files(tmp_path, content, fragment):
    path = tmp_path / "t.jinja"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError, match=fragment):
        load_template_file(path)
