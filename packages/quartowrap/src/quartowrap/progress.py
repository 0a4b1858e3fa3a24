"""Progress lines for a render: one per chapter (executed / reused from freeze, seconds).

Interactive terminals get rich's colours; CI (the `CI` variable) and pipes get plain,
quiet lines so logs stay readable.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass
class Stage:
    """A timed step of the build (assemble, HTML, PDF)."""

    progress: Progress
    name: str
    started: float

    def finish(self) -> None:
        self.progress.line(f"  {self.name}: {time.perf_counter() - self.started:.1f} s", "dim")


class Progress:
    """Prints what the build is doing; `quiet=True` prints only warnings and the result."""

    def __init__(self, stream: TextIO | None = None, *, plain: bool = False, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.plain = plain
        self.quiet = quiet
        self._console: Any = None

    def _print(self, text: str, style: str | None) -> None:
        if self.plain:
            # No rich import on the plain path: CI logs and the no-change rebuild stay fast.
            self.stream.write(text + "\n")
            self.stream.flush()
            return
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream, highlight=False, soft_wrap=True)
        self._console.print(text, style=style, markup=False)

    @classmethod
    def for_environment(cls) -> Progress:
        plain = bool(os.environ.get("CI")) or not sys.stderr.isatty()
        return cls(plain=plain)

    def line(self, text: str, style: str | None = None) -> None:
        if not self.quiet:
            self._print(text, style)

    def start(self, text: str) -> None:
        self.line(text, "bold")

    def chapter(self, event: Any) -> None:
        """Callback for the executor: `event` has source, status and seconds."""
        status = getattr(event, "status", "")
        source = getattr(event, "source", "?")
        seconds = getattr(event, "seconds", 0.0) or 0.0
        if status == "started":
            return
        if status == "running":  # a long cell: say which one, so a hang is never anonymous
            where = getattr(event, "reason", None) or source
            self.line(f"  {source}: still running the {where} ({seconds:.0f} s)", "yellow")
            return
        word = {"frozen": "reused (freeze)", "executed": "executed"}.get(status, str(status))
        style = "green" if status == "executed" else "cyan"
        self.line(f"  {source}: {word} {seconds:.1f} s", style)

    def stage(self, name: str) -> Stage:
        return Stage(self, name, time.perf_counter())

    def done(self, text: str) -> None:
        self.line(text, "bold green")

    def warn(self, text: str) -> None:
        self._print(f"warning: {text}", "yellow")

    def error(self, text: str) -> None:
        self._print(f"error: {text}", "bold red")
