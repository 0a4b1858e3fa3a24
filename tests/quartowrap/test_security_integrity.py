"""Caches and releases verified by content (issue 11, cases 7-10).

A truncated freeze figure or results file, HTML fragment or pandoc cache entry is
discarded with a warning naming it and rebuilt; a release damaged after it was written is
not called "up to date" but written again, and then passes its SHA256SUMS.
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
import quartowrap.execute.freeze as freeze
from quartowrap import integrity
from quartowrap.assemble.book import _PARSE_CACHE, parse_markdown
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.execute.engine import ChapterProgress, execute_chapters
from quartowrap.progress import Progress
from quartowrap.project.config import load_book_config
from quartowrap.writers.html import fragments

QUARTO = """\
project:
  type: book
book:
  title: Integrity
  date: "2024"
  chapters: [a.qmd]
execute:
  freeze: auto
"""

CHAPTER = """\
# A

```{python}
#| label: fig-a
#| fig-cap: "A line"
#| fig-alt: "A falling line"
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(2, 2))
ax.plot([1, 2], [2, 1])
plt.show()
```

Text `{python} 6 * 7`.
"""


@pytest.fixture(autouse=True)
def _no_leftover_warnings() -> None:
    integrity.drain_warnings()


def _book(tmp_path: Path, chapter: str = CHAPTER) -> Path:
    root = tmp_path / "book"
    root.mkdir()
    (root / "_quarto.yml").write_text(QUARTO, encoding="utf-8")
    (root / "a.qmd").write_text(textwrap.dedent(chapter), encoding="utf-8")
    return root


def _execute(root: Path) -> list[str]:
    config = load_book_config(root)
    events: list[ChapterProgress] = []
    execute_chapters(config, config.chapters, on_progress=events.append, jobs=1)
    return [e.status for e in events if e.status in {"executed", "frozen", "static"}]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_truncated_freeze_figure_is_discarded_and_the_chapter_executes(tmp_path: Path) -> None:
    root = _book(tmp_path)
    assert _execute(root) == ["executed"]
    assert _execute(root) == ["frozen"]
    [svg] = freeze.figure_dir(root, Path("a.qmd")).glob("*.svg")
    whole = svg.read_bytes()
    _truncate(svg)
    assert _execute(root) == ["executed"]
    warnings = integrity.drain_warnings()
    assert len(warnings) == 1
    assert warnings[0].startswith(f"_freeze/a/figure-svg/{svg.name}: damaged freeze entry")
    [again] = freeze.figure_dir(root, Path("a.qmd")).glob("*.svg")
    assert again.read_bytes() == whole


def test_truncated_freeze_results_are_discarded(tmp_path: Path) -> None:
    root = _book(tmp_path)
    _execute(root)
    results = freeze.results_path(root, Path("a.qmd"))
    _truncate(results)
    assert _execute(root) == ["executed"]
    [warning] = integrity.drain_warnings()
    assert warning.startswith("_freeze/a/execute-results/kce-embedded.json: damaged")
    # an edited (still valid JSON) entry is caught by its checksum too
    text = results.read_text(encoding="utf-8")
    results.write_text(text.replace("42", "43"), encoding="utf-8")
    assert _execute(root) == ["executed"]
    assert "does not match its checksum" in integrity.drain_warnings()[0]


def test_truncated_pandoc_cache_entry_is_parsed_again(tmp_path: Path) -> None:
    markdown = "# Title\n\nSome *text* for the cache.\n"
    first = parse_markdown(markdown, cache_dir=tmp_path)
    [entry] = tmp_path.glob("*.json")
    _truncate(entry)
    _PARSE_CACHE.clear()
    assert parse_markdown(markdown, cache_dir=tmp_path) == first
    [warning] = integrity.drain_warnings()
    assert warning.startswith(f"{entry}: damaged pandoc cache entry")
    _PARSE_CACHE.clear()
    assert parse_markdown(markdown, cache_dir=tmp_path) == first  # rewritten, sealed
    assert integrity.drain_warnings() == []


def test_truncated_html_fragment_is_written_again(tmp_path: Path) -> None:
    jobs = [("markdown", "A paragraph with *emphasis* and more words " * 20)]
    [html] = fragments.render_fragments(jobs, cache_dir=tmp_path)
    [entry] = tmp_path.glob("*.html")
    _truncate(entry)
    fragments._FRAGMENT_CACHE.clear()
    assert fragments.render_fragments(jobs, cache_dir=tmp_path) == [html]
    [warning] = integrity.drain_warnings()
    assert warning.startswith(f"{entry}: damaged HTML fragment")


def _check_sums(release: Path) -> list[str]:
    bad = []
    for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if hashlib.sha256((release / name).read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad


def test_damaged_release_is_not_up_to_date(tmp_path: Path) -> None:
    root = _book(tmp_path, "# A\n\nNo code, only prose.\n")
    options = RenderOptions(to=("html",), version="1.0.0", jobs=1)
    quiet = Progress(plain=True, quiet=True)
    first = render_project(root, options, progress=quiet)
    page = first.release_dir / "html" / "a.html"
    whole = page.read_bytes()
    _truncate(page)
    second = render_project(root, options, progress=quiet)
    assert page.read_bytes() == whole
    assert _check_sums(second.release_dir) == []
    assert any(
        w.endswith("html/a.html: does not match SHA256SUMS; the release is written again")
        for w in second.warnings
    ), second.warnings
    third = render_project(root, options, progress=quiet)  # now truly unchanged
    assert third.warnings == []
