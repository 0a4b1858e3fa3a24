"""Content no text column can hold, through a small KCE-style book to the PDF.

Issue 10's small book: a table of 12 columns with long labels and a figure of 20 panels
drawn for a screen.  The PDF must print neither overlapping nor unreadable text: the table
is placed by its measured widths (page-wide, smaller font, column groups), the figure goes
across the page because its labels would print at about 4 pt in one column.  A figure too
small even across the page is printed as it is, with a warning naming its line; right
after the page-wide figure it floats across the page too, so that it is not squeezed into
what is left of a column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.progress import Progress
from quartowrap.writers.typst.figure_fit import smallest_text

CHAPTER = """# Wide content {{#sec-wide}}

Some prose before the table, enough to start the column.

{table}

```{{python}}
#| label: fig-facets
#| fig-cap: "Twenty panels drawn ten inches wide, as for a screen"
#| fig-alt: "Twenty small line charts in four rows of five"
import matplotlib.pyplot as plt

fig, axes = plt.subplots(4, 5, figsize=(10, 5))
for k, ax in enumerate(axes.flat):
    ax.plot([0, 1, 2], [k % 3, (k + 1) % 4, k % 5])
    ax.set_title(f"Facet {{k + 1}}", fontsize=8)
    ax.tick_params(labelsize=8)
fig.tight_layout()
```

```{{python}}
#| label: fig-tiny
#| fig-cap: "Labels too small even across the page"
#| fig-alt: "One chart with very small labels"
fig, ax = plt.subplots(figsize=(12, 3))
ax.plot([0, 1], [0, 1])
ax.set_title("Tiny title", fontsize=5)
ax.tick_params(labelsize=5)
```

Some prose after the figures.
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, mini_book: Any, wide_table: Any) -> Any:
    pytest.importorskip("matplotlib")
    text = CHAPTER.format(table=wide_table("Twelve columns with long labels {#tbl-wide}"))
    project = mini_book(tmp_path_factory.mktemp("wide") / "book", "04-wide.qmd", text)
    return render_project(
        project, RenderOptions(to=("pdf",)), progress=Progress(plain=True, quiet=True)
    )


def _pdf(result: Any) -> Path:
    [pdf] = result.release_dir.glob("*.pdf")
    return pdf


@pytest.mark.slow
def test_no_text_overlaps_or_prints_under_7_pt_but_the_tiny_figure(
    rendered: Any, glyphs_under: Any, pdf_checks: Any
) -> None:
    from pypdf import PdfReader

    pdf = _pdf(rendered)
    assert pdf_checks["overlaps"](pdf) == []
    pages = [" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages]
    for part in ("Facet 1", "Facet 20", "option 11", "coordinated care number 8"):
        assert any(part in text for text in pages), part
    [facets] = [n for n, text in enumerate(pages, start=1) if "Facet 20" in text]
    [tiny] = [n for n, text in enumerate(pages, start=1) if "Tiny title" in text]
    # figures print their text at 7 pt or more, the one drawn with 5 pt labels 12 inches
    # wide excepted (warned about); no text anywhere under 6 pt but that one, and nothing
    # squeezed off a page
    assert [g for g in glyphs_under(pdf, 7.0) if g[0] == facets] == []
    small = glyphs_under(pdf, 6.0)
    assert small and {page for page, _text, _size in small} == {tiny}
    assert pdf_checks["off_page"](pdf) == []


@pytest.mark.slow
def test_a_figure_too_small_even_across_the_page_is_named_with_its_line(rendered: Any) -> None:
    said = [w for w in rendered.warnings if "smallest text" in w]
    assert len(said) == 1, rendered.warnings
    assert said[0].startswith("chapters/04-wide.qmd:")
    line = int(said[0].split(":")[1])
    source = (rendered.release_dir.parents[1] / "chapters" / "04-wide.qmd").read_text()
    assert "fig-tiny" in source.splitlines()[line - 1]
    assert "figure @fig-tiny" in said[0] and "under 7 pt" in said[0]


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="720pt" height="540pt" '
    'viewBox="0 0 720 540">{}</svg>'
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # matplotlib with svg.fonttype none: the size in a `font:` shorthand
        ("<text style=\"font: 10px 'DejaVu Sans'; text-anchor: middle\">A</text>", 10.0),
        ('<g style="font-size: 9px"><text>inherited</text><text font-size="12">b</text></g>', 9.0),
        ('<text font-size="6pt">points</text><text font-size="20">big</text>', 8.0),
        ("<text style=\"font: 10px 'X'\"> </text><text>default</text>", 16.0),  # blank: not text
    ],
)
def test_smallest_text_reads_the_sizes_text_prints_at(body: str, expected: float) -> None:
    found = smallest_text(SVG.format(body).encode())
    assert found is not None
    size, width, height = found
    assert size == pytest.approx(expected) and (width, height) == (720, 540)


def test_an_svg_without_text_or_with_entities_is_not_judged() -> None:
    assert smallest_text(SVG.format('<path d="M0 0L1 1"/>').encode()) is None
    bomb = b'<!DOCTYPE s [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    assert smallest_text(bomb) is None
    assert smallest_text(b"<svg") is None
