"""Typed errors. The CLI turns each into one ``Error: ...`` line and its exit code."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class GpttasksError(Exception):
    """Base class: a one-line message that names the value and the fix."""

    exit_code = EXIT_FAILURE


class UsageError(GpttasksError):
    """An invalid option value or option combination."""

    exit_code = EXIT_USAGE


class InputError(GpttasksError):
    """Unreadable, empty or malformed input data."""

    exit_code = EXIT_USAGE


class ModelNotFoundError(GpttasksError):
    """A model that is neither local, cached nor reachable on the Hub."""

    exit_code = EXIT_FAILURE


class TemplateError(GpttasksError):
    """A prompt template that does not parse or misses variables."""

    exit_code = EXIT_USAGE


class ContextLengthError(GpttasksError):
    """A prompt that cannot fit into the model's context window."""

    exit_code = EXIT_USAGE


class DependencyError(GpttasksError):
    """An optional package that a feature needs is not installed."""

    exit_code = EXIT_FAILURE
