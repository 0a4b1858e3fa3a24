"""Limits with names (issue 11, cases 11, 12, 14): no build hangs or drowns, notices reach the user.

An endless cell stops at its timeout with `file:line: cell timed out after N s`; a long cell
is named in the progress output while it runs; a cell printing megabytes keeps 1 MB and says
so; a header-only data file is an error naming the file; the data loader's BOM and `;`
notices reach the build's warnings even with `warning: false`.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
import quartowrap.execute.engine as engine
from quartowrap import integrity
from quartowrap.errors import CellError
from quartowrap.execute.engine import ChapterProgress, execute_chapters
from quartowrap.project.config import load_book_config

CODEBOOK = """\
files:
  answers.csv:
    description: test answers
    columns:
      who: {type: string, label: Who}
      n: {type: integer, label: Count}
"""


@pytest.fixture(autouse=True)
def _no_leftover_notes() -> None:
    integrity.drain_warnings()


def _book(tmp_path: Path, chapter: str, execute: str = "") -> Path:
    root = tmp_path / "book"
    root.mkdir()
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: T\n  chapters: [a.qmd]\n"
        f"execute:\n  freeze: false\n  warning: false\n{execute}",
        encoding="utf-8",
    )
    (root / "a.qmd").write_text(textwrap.dedent(chapter), encoding="utf-8")
    return root


def _run(root: Path, events: list[ChapterProgress] | None = None):
    config = load_book_config(root)
    sink = events.append if events is not None else None
    return execute_chapters(config, config.chapters, jobs=1, on_progress=sink)


def test_endless_cell_stops_at_the_timeout_naming_file_and_line(tmp_path: Path) -> None:
    root = _book(
        tmp_path,
        """\
        # A

        ```{python}
        x = 1
        ```

        ```{python}
        while True:
            x += 1
        ```
        """,
        execute="  timeout: 2\n",
    )
    started = time.monotonic()
    with pytest.raises(CellError) as err:
        _run(root)
    assert str(err.value).startswith("a.qmd:7: cell timed out after 2 s")
    assert time.monotonic() - started < 60


def test_a_cells_own_timeout_wins(tmp_path: Path) -> None:
    root = _book(
        tmp_path,
        """\
        # A

        ```{python}
        #| timeout: 1
        import time
        time.sleep(120)
        ```
        """,
    )
    with pytest.raises(CellError, match=r"^a.qmd:3: cell timed out after 1 s"):
        _run(root)


def test_progress_names_a_long_running_cell(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(engine, "SLOW_CELL_SECONDS", 0.5)
    root = _book(
        tmp_path,
        """\
        # A

        ```{python}
        import time
        time.sleep(2.5)
        ```
        """,
    )
    events: list[ChapterProgress] = []
    _run(root, events)
    running = [e for e in events if e.status == "running"]
    assert running and running[0].reason == "cell at a.qmd:3"
    assert running[0].seconds >= 0.5


def test_huge_output_is_capped_with_a_warning(tmp_path: Path) -> None:
    root = _book(
        tmp_path,
        """\
        # A

        ```{python}
        for _ in range(30):
            print("x" * 99_999)
        ```
        """,
    )
    [chapter] = _run(root)
    assert len(chapter.markdown) < engine.MAX_CELL_TEXT + 10_000
    assert "more characters of output not shown" in chapter.markdown
    [note] = integrity.drain_warnings()
    assert note.startswith("a.qmd:3: the cell printed 3,000,000 characters")


def test_header_only_data_file_names_the_file(tmp_path: Path) -> None:
    root = _book(
        tmp_path,
        """\
        # A

        ```{python}
        from quartowrap.authoring.data import load_table
        frame = load_table("answers.csv")
        ```
        """,
    )
    (root / "data").mkdir()
    (root / "data" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "data" / "answers.csv").write_text("who,n\n", encoding="utf-8")
    with pytest.raises(CellError) as err:
        _run(root)
    assert "data/answers.csv:2" in str(err.value)
    assert "no data rows" in str(err.value)


def test_bom_and_semicolon_notices_reach_the_build_with_warning_false(tmp_path: Path) -> None:
    root = _book(
        tmp_path,
        """\
        # A

        ```{python}
        from quartowrap.authoring.data import load_table
        frame = load_table("answers.csv")
        ```

        Rows: `{python} len(frame)`.
        """,
    )
    (root / "data").mkdir()
    (root / "data" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "data" / "answers.csv").write_bytes("\ufeffwho;n\nann;1\nbob;2\n".encode())
    [chapter] = _run(root)
    assert "Rows: 2." in chapter.markdown
    assert "byte-order mark" not in chapter.markdown  # warning: false hides the stderr ...
    notes = integrity.drain_warnings()  # ... but the notices reach the build's warnings
    assert any("answers.csv: UTF-8 byte-order mark" in n for n in notes), notes
    assert any("answers.csv: ';'-separated export" in n for n in notes), notes
