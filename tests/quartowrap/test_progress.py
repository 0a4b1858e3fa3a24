"""progress: N/M and cell lines while chapters run, warnings once each before the summary."""

from __future__ import annotations

import io
import re
from pathlib import Path

from quartowrap.execute.engine import ChapterProgress
from quartowrap.progress import Progress

BOOK = [Path("index.qmd"), Path("chapters/01-data.qmd"), Path("chapters/02-results.qmd")]


def _events(progress: Progress) -> None:
    progress.plan(BOOK)
    progress.chapter(ChapterProgress(BOOK[0], "static"))
    progress.chapter(ChapterProgress(BOOK[1], "started", reason="code changed", expected=8.0))
    progress.chapter(ChapterProgress(BOOK[1], "cell", 0.4, cell=(1, 2)))
    progress.warn("chapters/01-data.qmd: unresolved cross-reference @tbl-x")
    progress.chapter(ChapterProgress(BOOK[1], "cell", 0.9, cell=(2, 2)))
    progress.chapter(ChapterProgress(BOOK[1], "executed", 1.25))
    progress.chapter(ChapterProgress(BOOK[2], "frozen"))
    progress.warn("references.bib: citation @nobody not found")
    progress.warn("chapters/01-data.qmd: unresolved cross-reference @tbl-x")


def test_plain_lines_number_the_chapters_and_skip_those_without_code() -> None:
    out = io.StringIO()
    progress = Progress(out, plain=True)
    _events(progress)
    progress.done("Release 1.0.0 written")
    assert out.getvalue().splitlines() == [
        "[2/3] chapters/01-data.qmd: executing (code changed)",
        "[2/3] chapters/01-data.qmd: executed in 1.2 s",
        "[3/3] chapters/02-results.qmd: reused (freeze)",
        "warning: chapters/01-data.qmd: unresolved cross-reference @tbl-x",
        "warning: references.bib: citation @nobody not found",
        "Release 1.0.0 written",
    ]


def test_quiet_still_prints_warnings_and_errors_once() -> None:
    out = io.StringIO()
    progress = Progress(out, plain=True, quiet=True)
    _events(progress)
    progress.error("chapters/02-results.qmd:3: KeyError: 'x'")
    assert out.getvalue().splitlines() == [
        "warning: chapters/01-data.qmd: unresolved cross-reference @tbl-x",
        "warning: references.bib: citation @nobody not found",
        "error: chapters/02-results.qmd:3: KeyError: 'x'",
    ]


def test_the_live_lines_show_chapter_cell_and_time_left() -> None:
    progress = Progress(io.StringIO(), plain=True)  # the live text, without a terminal
    progress.plan(BOOK)
    progress.chapter(ChapterProgress(BOOK[1], "queued", expected=30.0))
    progress.chapter(ChapterProgress(BOOK[2], "queued", expected=10.0))
    progress.chapter(ChapterProgress(BOOK[1], "started", expected=30.0))
    progress.chapter(ChapterProgress(BOOK[1], "cell", 0.1, cell=(14, 52)))
    chapter, overall = progress._status_lines().splitlines()
    assert chapter.startswith("[2/3] chapters/01-data.qmd  cell 14/52  0.")
    assert re.search(r"  0\.\d s, ~(29|30) s left$", chapter), chapter
    # (30 s still to run here + 10 s not started) over two workers
    assert re.fullmatch(r"executed 0 of 2 chapters, ~(19|20) s left", overall), overall
    progress.chapter(ChapterProgress(BOOK[1], "executed", 30.0))
    assert progress._status_lines() == ""  # nothing running: no live display
    progress.chapter(ChapterProgress(BOOK[2], "started"))
    assert progress._status_lines().splitlines()[-1].startswith("executed 1 of 2 chapters")


def test_no_estimate_for_a_chapter_never_run_before() -> None:
    progress = Progress(io.StringIO(), plain=True)
    progress.plan(BOOK)
    progress.chapter(ChapterProgress(BOOK[1], "queued"))
    progress.chapter(ChapterProgress(BOOK[2], "queued", expected=10.0))
    progress.chapter(ChapterProgress(BOOK[1], "started"))
    assert progress._status_lines().splitlines()[-1] == "executed 0 of 2 chapters"


def test_a_terminal_gets_a_live_display_that_ends_before_the_summary() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress._rich().is_terminal  # noqa: B018 - create the console on `out`
    _events(progress)
    progress.done("Release 1.0.0 written")
    text = out.getvalue()
    assert progress._live is None
    assert text.index("executed in 1.2 s") < text.index("warning: references.bib")
    assert text.count("unresolved cross-reference @tbl-x") == 1
    assert text.rstrip().endswith("Release 1.0.0 written")
