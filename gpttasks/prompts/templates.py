"""Jinja prompt templates, rendered in a sandbox with every missing variable reported at once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gpttasks.errors import TemplateError

BUILTIN_DIR = Path(__file__).parent / "builtin"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # The sandbox blocks attribute access to Python internals, so a template file
    # from an untrusted source cannot run code; StrictUndefined turns a typo into an error.
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )


@dataclass(frozen=True)
class PromptTemplate:
    """A named Jinja template and the variables it uses."""

    name: str
    source: str

    def variables(self) -> set[str]:
        from jinja2 import TemplateSyntaxError, meta

        try:
            tree = _environment().parse(self.source)
        except TemplateSyntaxError as error:
            raise TemplateError(
                f"template {self.name} line {error.lineno}: {error.message}; fix the Jinja syntax"
            ) from error
        return meta.find_undeclared_variables(tree)

    def check(self, available: set[str]) -> None:
        """Raise one error listing every variable the template uses that ``available`` lacks."""
        missing = sorted(self.variables() - available)
        if missing:
            raise TemplateError(
                f"template {self.name} uses undefined variable(s) {', '.join(missing)}; "
                f"available: {', '.join(sorted(available))}"
            )

    def render(self, **values: Any) -> str:
        from jinja2 import TemplateError as JinjaError
        from jinja2.exceptions import SecurityError

        self.check(set(values))
        try:
            return _environment().from_string(self.source).render(**values)
        except SecurityError as error:
            raise TemplateError(f"template {self.name} tried an unsafe operation: {error}") from error
        except JinjaError as error:
            raise TemplateError(f"template {self.name} failed to render: {error}") from error


def builtin_template(name: str) -> PromptTemplate:
    """Load a template shipped in ``gpttasks/prompts/builtin`` (e.g. ``summarize-base``)."""
    path = BUILTIN_DIR / f"{name}.jinja"
    return PromptTemplate(name=name, source=path.read_text(encoding="utf-8"))


def finetuned_template(metadata: dict, task: str) -> PromptTemplate | None:
    """Return the template a model was fine-tuned with for ``task``, from its gpttasks.json."""
    recorded = metadata.get("template") if metadata.get("task") == task else None
    if not isinstance(recorded, dict) or not recorded.get("source"):
        return None
    return PromptTemplate(name=f"{recorded.get('name', 'template')} (fine-tuned)", source=recorded["source"])


def load_template_file(path: str | Path) -> PromptTemplate:
    """Load a user's template file; a missing or undecodable file is a :class:`TemplateError`."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise TemplateError(f"template file not found: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(f"cannot read template file {path}: {error}") from error
    if not source.strip():
        raise TemplateError(f"template file {path} is empty")
    template = PromptTemplate(name=str(path), source=source)
    template.variables()  # report syntax errors before any model is loaded
    return template
