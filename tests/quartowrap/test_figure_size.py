"""Figures drawn for the width they print at keep their text readable in the PDF.

A small book with a 20-panel figure: drawn at the page width (`column: page` with the
cell's `fig-width`), its panels in four rows, every glyph prints at 6 pt or more. The same
panels drawn for a far wider page and shrunk into a text column print far smaller, which
shows that the measurement (pdfplumber, on the real text typst prints) can fail.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from quartowrap.commands.render import RenderOptions, render_project

PANELS = """\
import matplotlib.pyplot as plt
fig, axes = plt.subplots(4, 5, sharex=True, sharey=True, layout="constrained")
for k, ax in enumerate(axes.flat):
    ax.plot([2019, 2020, 2021], [k % 3, 1, 2])
    ax.set_title(f"{WORD} {k + 1}", fontsize=8)
    ax.tick_params(labelsize=7.5)
plt.show()"""

CHAPTER = f"""\
# Panels

Twenty regions, each in a panel of its own.

```{{python}}
#| label: fig-panels
#| column: page
#| fig-width: 10.28
#| fig-height: 5
#| fig-cap: Twenty regions, one panel each, drawn at the page width
#| fig-alt: Twenty small line charts in four rows of five panels.
WORD = "Paneltitle"
{PANELS}
```

```{{python}}
#| label: fig-cramped
#| fig-width: 20
#| fig-height: 12
#| fig-cap: The same panels drawn for a page four times wider
#| fig-alt: Twenty small line charts, printed far smaller than drawn.
WORD = "Crampedtitle"
{PANELS}
```
"""


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The printed sizes (pt) of the glyphs of each panel-title word in the PDF."""
    root = tmp_path_factory.mktemp("figsize")
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Figure sizes\n  chapters:\n    - index.qmd\n"
        "fig-width: 4.92\n"
        "quartowrap:\n  theme: kce\n",  # 4.92 in: a text column of the KCE layout
        encoding="utf-8",
    )
    (root / "index.qmd").write_text(CHAPTER, encoding="utf-8")
    result = render_project(root, RenderOptions(version="1.0.0", jobs=1))
    [pdf] = result.release_dir.glob("*.pdf")
    return pdf


@pytest.fixture(scope="module")
def word_sizes(pdf: Path) -> dict[str, list[float]]:
    """The printed sizes (pt) of the panel-title words in the PDF."""
    sizes: dict[str, list[float]] = {"Paneltitle": [], "Crampedtitle": []}
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            for word in page.extract_words(extra_attrs=["size"]):
                if word["text"] in sizes:
                    sizes[word["text"]].append(word["size"])
    return sizes


@pytest.mark.slow
def test_twenty_panels_drawn_page_wide_print_at_6_pt_or_more(
    word_sizes: dict[str, list[float]],
) -> None:
    titles = word_sizes["Paneltitle"]
    assert len(titles) == 20, "every panel title is text in the PDF"
    assert min(titles) >= 7.0, f"panel titles print at {min(titles):.1f} pt"


@pytest.mark.slow
def test_only_the_cramped_figure_prints_under_6_pt(pdf: Path, glyphs_under) -> None:  # type: ignore[no-untyped-def]
    small = "".join(glyph for _, glyph, _ in glyphs_under(pdf, 6.0))
    assert "Crampedtitle" in small and "Paneltitle" not in small


@pytest.mark.slow
def test_the_same_panels_drawn_too_wide_are_measured_as_too_small(
    word_sizes: dict[str, list[float]],
) -> None:
    cramped = word_sizes["Crampedtitle"]
    assert len(cramped) == 20
    assert max(cramped) < 6.0, "a figure shrunk fourfold must measure under 6 pt"
