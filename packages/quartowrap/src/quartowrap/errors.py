"""Errors an author can act on: each names the file and line it comes from."""

from __future__ import annotations

from quartowrap.model import SourceLocation


class BuildError(Exception):
    """A build failure reported to the user as `file:line: message` and a non-zero exit."""

    def __init__(self, message: str, location: SourceLocation | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.detail = detail  # e.g. the traceback tail of a failing cell

    def __str__(self) -> str:
        head = f"{self.location}: {self.message}" if self.location else self.message
        return f"{head}\n{self.detail}".rstrip() if self.detail else head


class ConfigError(BuildError):
    """`_quarto.yml`, `_metadata.yml` or front matter is invalid."""


class CellError(BuildError):
    """A code cell (or inline expression) raised while executing.

    `detail` is the short form an author reads (their lines, hidden library frames);
    `traceback` keeps IPython's full traceback for `--traceback`.
    """

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        detail: str = "",
        *,
        traceback: str = "",
    ):
        super().__init__(message, location, detail)
        self.traceback = traceback


class UnresolvedReferenceError(BuildError):
    """A cross-reference or citation key does not resolve (an error only with --strict)."""
