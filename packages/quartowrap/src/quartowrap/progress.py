"""What a build is doing, as it does it.

On a terminal (rich): a live line per running chapter — `[3/11] chapters/03-surveys.qmd
cell 14/52  6.1 s, ~3 s left` — then one line per finished chapter with its time.  In CI
(the `CI` variable) and pipes: plain lines only, no live display.  Chapters without code
are not reported as executed.  Warnings are gathered and printed once each, just before
the build's final line, so they are never lost above or after the summary.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO


@dataclass
class Stage:
    """A timed step of the build (assemble, HTML, PDF)."""

    progress: Progress
    name: str
    started: float

    def finish(self) -> None:
        self.progress.line(f"  {self.name}: {time.perf_counter() - self.started:.1f} s", "dim")


@dataclass
class _Running:
    """A chapter being executed, as the live display shows it."""

    started: float
    cell: tuple[int, int] | None = None
    expected: float | None = None
    reason: str | None = None


@dataclass
class _State:
    order: dict[str, int] = field(default_factory=dict)
    queued: dict[str, float | None] = field(default_factory=dict)  # source -> last run's time
    finished: int = 0  # chapters executed in this build
    running: dict[str, _Running] = field(default_factory=dict)
    warnings: dict[str, None] = field(default_factory=dict)  # ordered set


class Progress:
    """Prints what the build is doing; `quiet=True` prints only warnings and the result."""

    def __init__(self, stream: TextIO | None = None, *, plain: bool = False, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.plain = plain
        self.quiet = quiet
        self._console: Any = None
        self._live: Any = None
        self._state = _State()

    # -- output ---------------------------------------------------------------------------
    def _print(self, text: str, style: str | None) -> None:
        if self.plain:
            # No rich import on the plain path: CI logs and the no-change rebuild stay fast.
            self.stream.write(text + "\n")
            self.stream.flush()
            return
        self._rich().print(text, style=style, markup=False)

    def _rich(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream, highlight=False, soft_wrap=True)
        return self._console

    @classmethod
    def for_environment(cls) -> Progress:
        plain = bool(os.environ.get("CI")) or not sys.stderr.isatty()
        return cls(plain=plain)

    def line(self, text: str, style: str | None = None) -> None:
        if not self.quiet:
            self._print(text, style)

    def start(self, text: str) -> None:
        self.line(text, "bold")

    # -- chapters -------------------------------------------------------------------------
    def plan(self, sources: Iterable[Path | str]) -> None:
        """The book's chapters in reading order, for the `[n/N]` in front of each line."""
        self._state.order = {Path(s).as_posix(): i for i, s in enumerate(sources, 1)}

    def _label(self, source: str) -> str:
        order = self._state.order
        return f"[{order[source]}/{len(order)}] {source}" if source in order else source

    def chapter(self, event: Any) -> None:
        """Callback for the executor: `event` has source, status, seconds (and maybe cell)."""
        source = Path(getattr(event, "source", "?")).as_posix()
        status = getattr(event, "status", "")
        seconds = getattr(event, "seconds", 0.0) or 0.0
        running = self._state.running
        if status == "queued":
            self._state.queued[source] = getattr(event, "expected", None)
            return
        if status == "started":
            running[source] = _Running(
                time.perf_counter(),
                expected=getattr(event, "expected", None),
                reason=getattr(event, "reason", None),
            )
            if self.plain:
                reason = getattr(event, "reason", None)
                self.line(f"{self._label(source)}: executing" + (f" ({reason})" if reason else ""))
            self._refresh()
            return
        if status == "cell":
            if source in running:
                running[source].cell = getattr(event, "cell", None)
                self._refresh()
            return
        if status == "running":  # a long cell: say which one, so a hang is never anonymous
            where = getattr(event, "reason", None) or source
            self.line(
                f"{self._label(source)}: still running the {where} ({seconds:.0f} s)", "yellow"
            )
            return
        running.pop(source, None)
        if source in self._state.queued:
            del self._state.queued[source]
            self._state.finished += 1
        self._refresh()
        if status == "static":
            return  # nothing to execute: nothing to report
        if status == "executed":
            self.line(f"{self._label(source)}: executed in {seconds:.1f} s", "green")
        else:
            self.line(f"{self._label(source)}: reused (freeze)", "cyan")

    def _status_lines(self) -> str:
        now = time.perf_counter()
        rows = []
        for source, run in self._state.running.items():
            elapsed = now - run.started
            cell = f"  cell {run.cell[0]}/{run.cell[1]}" if run.cell else ""
            left = ""
            if run.expected and run.expected - elapsed >= 1:
                left = f", ~{run.expected - elapsed:.0f} s left"
            rows.append(f"{self._label(source)}{cell}  {elapsed:.1f} s{left}")
        total = len(self._state.queued) + self._state.finished
        if rows and total > 1:
            rows.append(f"executed {self._state.finished} of {total} chapters{self._time_left()}")
        return "\n".join(rows)

    def _time_left(self) -> str:
        """The whole execution's time left, from each chapter's last run (two at a time)."""
        now = time.perf_counter()
        left = 0.0
        for source, expected in self._state.queued.items():
            if expected is None:
                return ""  # a chapter never run before: no honest estimate
            run = self._state.running.get(source)
            left += max(0.0, expected - (now - run.started)) if run else expected
        workers = max(1, min(2, len(self._state.queued)))
        return f", ~{left / workers:.0f} s left" if left / workers >= 1 else ""

    def _refresh(self) -> None:
        """Show (or update, or end) the live display of the chapters running now."""
        if self.plain or self.quiet:
            return
        if not self._state.running:
            self._stop_live()
            return
        if self._live is None:
            from rich.live import Live
            from rich.text import Text

            self._live = Live(
                console=self._rich(),
                transient=True,
                refresh_per_second=8,
                get_renderable=lambda: Text(self._status_lines(), style="dim"),
            )
            self._live.start()
        self._live.refresh()

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -- stages, warnings, the end ----------------------------------------------------------
    def idle(self) -> None:
        """No chapter is running any more (also after a failure): end the live display."""
        self._state.running.clear()
        self._stop_live()

    def stage(self, name: str) -> Stage:
        self.idle()
        return Stage(self, name, time.perf_counter())

    def warn(self, text: str) -> None:
        """Remember a warning; it is printed (once) just before the final line."""
        self._state.warnings.setdefault(text, None)

    def flush_warnings(self) -> None:
        self._stop_live()
        pending, self._state.warnings = self._state.warnings, {}
        for text in pending:
            self._print(f"warning: {text}", "yellow")

    @property
    def warnings(self) -> list[str]:
        """Warnings gathered and not printed yet."""
        return list(self._state.warnings)

    def done(self, text: str) -> None:
        self.flush_warnings()
        self.line(text, "bold green")

    def error(self, text: str) -> None:
        self.flush_warnings()
        self._print(f"error: {text}", "bold red")
