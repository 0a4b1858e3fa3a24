"""Figure text stays text, in the book's font: searchable in the SVG and in the PDF."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.commands.render import RenderOptions, render_project

CHAPTER = """\
    # Figures

    ```{python}
    #| label: fig-regions
    #| fig-cap: Respondents by region
    #| fig-alt: Bar chart of respondents in two regions.
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["Hainaut", "Limburg"], [3, 5])
    ax.set_title("Zonotopic respondents")
    plt.show()
    ```

    ```{python}
    #| label: fig-figure-object
    #| fig-cap: A figure left as the cell's value
    #| fig-alt: A line.
    from matplotlib.figure import Figure
    other = Figure(figsize=(3, 2))
    other.subplots().plot([0, 1], [1, 0], label="Quasilinear")
    other.legend()
    other
    ```
    """


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("figtext")
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Figure text\n  chapters:\n    - index.qmd\n"
        "quartowrap:\n  theme: kce\n",  # the book font is the theme's: Source Sans 3
        encoding="utf-8",
    )
    (root / "index.qmd").write_text(textwrap.dedent(CHAPTER), encoding="utf-8")
    result = render_project(root, RenderOptions(version="1.0.0", jobs=1))
    return result.release_dir


@pytest.mark.slow
def test_svg_text_is_text_in_the_book_font(built: Path) -> None:
    for label, word in (
        ("fig-regions", "Zonotopic respondents"),
        ("fig-figure-object", "Quasilinear"),
    ):
        svg = (built / "figures" / f"{label}.svg").read_text(encoding="utf-8")
        assert word in svg, f"{label}: the words are drawn as outlines, not text"
        assert "font-family: 'Source Sans 3'" in svg or 'font-family="Source Sans 3"' in svg


@pytest.mark.slow
def test_pdf_figure_text_is_searchable(built: Path) -> None:
    [pdf] = built.glob("*.pdf")
    text = " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    assert "Zonotopic respondents" in text and "Limburg" in text and "Quasilinear" in text
