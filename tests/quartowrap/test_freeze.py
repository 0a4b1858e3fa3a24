"""Freeze: reuse a chapter exactly while its code, engine, modules and data are unchanged."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import quartowrap.execute.freeze as freeze
from quartowrap.execute.engine import ChapterProgress, execute_chapters
from quartowrap.model import ExecutedChapter
from quartowrap.project.config import load_book_config

QUARTO = """\
project:
  type: book
book:
  title: Freeze
  chapters:
    - a.qmd
    - b.qmd
    - c.qmd
execute:
  freeze: {freeze}
"""

FILES = {
    "helpers/__init__.py": "",
    "helpers/mod_a.py": "def scale(x):\n    return 2 * x\n",
    "helpers/mod_b.py": "GREETING = 'hello'\n",
    "data/a.csv": "x\n1\n2\n",
    "data/unused.csv": "y\n9\n",
    "a.qmd": """\
        # A

        ```{python}
        from helpers.mod_a import scale
        with open("data/a.csv") as f:
            values = [int(v) for v in f.read().split()[1:]]
        ```

        Sum: `{python} scale(sum(values))`.
        """,
    "b.qmd": """\
        # B

        ```{python}
        #| label: fig-b
        #| fig-cap: "First caption"
        import helpers.mod_b
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([1, 2], [2, 1])
        plt.show()
        ```

        Greeting: `{python} helpers.mod_b.GREETING`.
        """,
    "c.qmd": """\
        # C

        Some prose.

        ```{python}
        print(6 * 7)
        ```
        """,
}


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    write(root, "_quarto.yml", QUARTO.format(freeze="auto"))
    for name, text in FILES.items():
        write(root, name, text)
    return root


def build(root: Path, **kwargs) -> tuple[dict[str, str], dict[str, ExecutedChapter]]:
    """Run once; return each chapter's final status and its result."""
    config = load_book_config(root)
    events: list[ChapterProgress] = []
    results = execute_chapters(config, config.chapters, on_progress=events.append, **kwargs)
    status = {e.source.as_posix(): e.status for e in events if e.status != "started"}
    return status, {r.source.as_posix(): r for r in results}


ALL_EXECUTED = {"a.qmd": "executed", "b.qmd": "executed", "c.qmd": "executed"}


def executed(status: dict[str, str]) -> set[str]:
    return {name for name, s in status.items() if s == "executed"}


def test_dependency_tracking_invalidation(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    status, first = build(book)
    assert status == ALL_EXECUTED
    assert "Sum: 6." in first["a.qmd"].markdown
    assert first["a.qmd"].dependencies.modules.keys() == {
        "helpers/__init__.py",
        "helpers/mod_a.py",
    }
    assert set(first["a.qmd"].dependencies.data_files) == {"data/a.csv"}
    assert set(first["b.qmd"].dependencies.modules) == {"helpers/__init__.py", "helpers/mod_b.py"}
    stored = json.loads(freeze.results_path(book, Path("a.qmd")).read_text())
    assert stored["data_files"] == first["a.qmd"].dependencies.data_files

    # nothing changed: nothing runs, identical markdown
    status, again = build(book)
    assert executed(status) == set()
    assert all(r.from_freeze for r in again.values())
    assert {k: r.markdown for k, r in again.items()} == {k: r.markdown for k, r in first.items()}

    # a data file read by a.qmd
    write(book, "data/a.csv", "x\n1\n2\n3\n")
    status, res = build(book)
    assert executed(status) == {"a.qmd"}
    assert "Sum: 12." in res["a.qmd"].markdown

    # a data file nobody read
    write(book, "data/unused.csv", "y\n10\n")
    assert executed(build(book)[0]) == set()

    # a project module imported by b.qmd only
    write(book, "helpers/mod_b.py", "GREETING = 'hi'\n")
    status, res = build(book)
    assert executed(status) == {"b.qmd"}
    assert "Greeting: hi." in res["b.qmd"].markdown

    # the engine version
    monkeypatch.setattr(freeze, "ENGINE_VERSION", freeze.ENGINE_VERSION + "-next")
    assert executed(build(book)[0]) == {"a.qmd", "b.qmd", "c.qmd"}


def test_prose_and_caption_edits_execute_nothing(book: Path) -> None:
    build(book)
    write(book, "c.qmd", FILES["c.qmd"].replace("Some prose.", "Rewritten prose."))
    write(book, "b.qmd", FILES["b.qmd"].replace("First caption", "Second caption"))
    status, res = build(book)
    assert executed(status) == set()
    assert "Rewritten prose." in res["c.qmd"].markdown
    assert ":::: {.cell-output .cell-output-stdout}\n\n```\n42\n```" in res["c.qmd"].markdown
    (fig,) = res["b.qmd"].figures
    assert fig.caption == "Second caption" and fig.svg.is_file()
    assert f"![Second caption]({fig.svg.as_posix()})" in res["b.qmd"].markdown

    # a code edit does execute (only that chapter)
    write(book, "c.qmd", FILES["c.qmd"].replace("6 * 7", "6 * 8"))
    status, res = build(book)
    assert executed(status) == {"c.qmd"}
    assert "\n48\n" in res["c.qmd"].markdown


def test_freeze_true_false_and_disabled(book: Path) -> None:
    build(book)
    write(book, "c.qmd", FILES["c.qmd"].replace("6 * 7", "6 * 9"))
    write(book, "_quarto.yml", QUARTO.format(freeze="true"))
    status, res = build(book)
    assert executed(status) == set()  # freeze: true never re-executes stored chapters
    assert "\n42\n" in res["c.qmd"].markdown
    assert executed(build(book, use_freeze=False)[0]) == {"a.qmd", "b.qmd", "c.qmd"}
    write(book, "_quarto.yml", QUARTO.format(freeze="false"))
    assert executed(build(book)[0]) == {"a.qmd", "b.qmd", "c.qmd"}


def test_external_data_dir_is_tracked(tmp_path: Path) -> None:
    root = tmp_path / "book"
    write(
        root, "_quarto.yml", "project:\n  type: book\nbook:\n  title: T\n  chapters:\n    - d.qmd\n"
    )
    write(
        root,
        "d.qmd",
        """\
        # D

        ```{python}
        import os
        text = open(os.path.join(os.environ["QUARTOWRAP_DATA_DIR"], "wave.csv")).read()
        ```

        Rows: `{python} len(text.split())`.
        """,
    )
    wave = tmp_path / "wave1"
    write(wave, "wave.csv", "a\n1\n")
    status, res = build(root, data_dir=wave)
    assert set(res["d.qmd"].dependencies.data_files) == {"$QUARTOWRAP_DATA_DIR/wave.csv"}
    assert "Rows: 2." in res["d.qmd"].markdown
    assert executed(build(root, data_dir=wave)[0]) == set()
    write(wave, "wave.csv", "a\n1\n2\n")
    status, res = build(root, data_dir=wave)
    assert executed(status) == {"d.qmd"} and "Rows: 3." in res["d.qmd"].markdown


def test_freeze_survives_moving_the_project(book: Path) -> None:
    build(book, data_dir=book / "data")
    moved = book.parent / "moved"
    book.rename(moved)
    status, res = build(moved, data_dir=moved / "data")
    assert executed(status) == set()
    (fig,) = res["b.qmd"].figures
    assert fig.svg.is_relative_to(moved) and fig.svg.is_file()
