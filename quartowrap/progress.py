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

from rich.console import Console


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
        self.console = Console(
            file=stream or sys.stderr,
            no_color=plain,
            highlight=False,
            force_terminal=False if plain else None,
            soft_wrap=True,
        )
        self.quiet = quiet

    @classmethod
    def for_environment(cls) -> Progress:
        plain = bool(os.environ.get("CI")) or not sys.stderr.isatty()
        return cls(plain=plain)

    def line(self, text: str, style: str | None = None) -> None:
        if not self.quiet:
            self.console.print(text, style=style, markup=False)

    def start(self, text: str) -> None:
        self.line(text, "bold")

    def chapter(self, event: Any) -> None:
        """Callback for the executor: `event` has source, status and seconds."""
        status = getattr(event, "status", "")
        if status == "started":
            return
        source = getattr(event, "source", "?")
        seconds = getattr(event, "seconds", 0.0) or 0.0
        word = {"frozen": "reused (freeze)", "executed": "executed"}.get(status, str(status))
        style = "green" if status == "executed" else "cyan"
        self.line(f"  {source}: {word} {seconds:.1f} s", style)

    def stage(self, name: str) -> Stage:
        return Stage(self, name, time.perf_counter())

    def done(self, text: str) -> None:
        self.line(text, "bold green")

    def warn(self, text: str) -> None:
        self.console.print(f"warning: {text}", style="yellow", markup=False)

    def error(self, text: str) -> None:
        self.console.print(f"error: {text}", style="bold red", markup=False)
