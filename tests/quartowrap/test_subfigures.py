"""Sub-figures (Quarto's `layout-ncol` / `fig-subcap`), from cell to each writer.

Expected shapes follow Quarto's documentation and its own crossref smoke tests: the parts
of a figure are labelled "(a)", "(b)" under their images, a reference to a part prints
"Figure 2 (b)", a computed cell's parts are `#fig-x-1`, `#fig-x-2`.  Numbers are worked
out by hand from the documents below.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from quartowrap.assemble.book import assemble_book, stringify
from quartowrap.execute.weave import weave
from quartowrap.model import BookConfig, ChapterRef, ExecutedChapter, ExecuteOptions
from quartowrap.project.qmd import parse_qmd

CELL = """# Panels

```{python}
#| label: fig-pair
#| fig-cap: "Two panels"
#| fig-subcap:
#|   - "Left panel"
#|   - "Right panel"
#| fig-alt: "Two line charts."
#| layout-ncol: 2
print("drawn")
```
"""


def _raw(images: list[str]) -> dict[str, Any]:
    outputs: list[dict[str, Any]] = [{"type": "stream", "name": "stdout", "text": "drawn\n"}]
    outputs += [{"type": "display", "image": name, "data": {}} for name in images]
    return {"cells": {"0": {"outputs": outputs}}, "inline": []}


def _weave(tmp_path: Path, text: str, images: list[str]):
    (tmp_path / "ch.qmd").write_text(text, encoding="utf-8")
    doc = parse_qmd(Path("ch.qmd"), tmp_path)
    return weave(doc, _raw(images), ExecuteOptions(echo=False), tmp_path / "figs")


def test_computed_cell_writes_a_figure_div_with_labelled_parts(tmp_path: Path) -> None:
    markdown, _, figs = _weave(tmp_path, CELL, ["cell-001-01.svg", "cell-001-02.svg"])
    one, two = (str((tmp_path / "figs" / f"cell-001-0{n}.svg").resolve()) for n in (1, 2))
    expected = (
        '::: {#fig-pair layout-ncol="2"}\n\n'
        f'![Left panel]({one}){{#fig-pair-1 fig-alt="Two line charts."}}\n\n'
        f'![Right panel]({two}){{#fig-pair-2 fig-alt="Two line charts."}}\n\n'
        "Two panels\n\n:::"
    )
    assert expected in markdown
    assert markdown.count("![") == 2  # the second image is not repeated after the panel
    assert [(f.label, f.caption, f.alt) for f in figs] == [
        ("fig-pair-1", "Left panel", "Two line charts."),
        ("fig-pair-2", "Right panel", "Two line charts."),
    ]
    assert [f.svg.name for f in figs] == ["cell-001-01.svg", "cell-001-02.svg"]


def test_one_plot_without_layout_stays_a_plain_figure(tmp_path: Path) -> None:
    text = CELL.replace("#| layout-ncol: 2\n", "").replace(
        '#| fig-subcap:\n#|   - "Left panel"\n#|   - "Right panel"\n', ""
    )
    markdown, _, figs = _weave(tmp_path, text, ["cell-001-01.svg"])
    assert "::: {#fig-pair" not in markdown and "{#fig-pair fig-alt=" in markdown
    assert [f.label for f in figs] == ["fig-pair"]


def test_several_plots_without_subcaptions_are_still_parts(tmp_path: Path) -> None:
    text = CELL.replace('#| fig-subcap:\n#|   - "Left panel"\n#|   - "Right panel"\n', "").replace(
        "#| layout-ncol: 2\n", ""
    )
    markdown, _, figs = _weave(tmp_path, text, ["a.svg", "b.svg", "c.svg"])
    assert markdown.count("{#fig-pair-") == 3 and "::: {#fig-pair}" in markdown
    assert [f.caption for f in figs] == ["", "", ""]


# --------------------------------------------------------------------------------------
# Cross-references (crossref.lua through assemble_book)
# --------------------------------------------------------------------------------------

MARKDOWN = """# Panels

![Single](/tmp/one.svg){#fig-one}

::: {#fig-pair layout-ncol=2}

![Left](/tmp/l.svg){#fig-pair-a}

![Right](/tmp/r.svg){#fig-pair-b}

Two panels
:::

::: {#fig-bare layout-ncol=3}
![](/tmp/a.svg) ![](/tmp/b.svg) ![](/tmp/c.svg)

Three unlabelled parts
:::

![After](/tmp/after.svg){#fig-after}

See @fig-pair, @fig-pair-b, [-@fig-pair-a], @fig-bare-3 and @fig-after.
"""


def _book(text: str = MARKDOWN, crossref: dict[str, Any] | None = None):
    ref = ChapterRef(Path("chapters/01-x.qmd"))
    config = BookConfig(
        root=Path("/nonexistent"), title="T", chapters=(ref,), crossref=crossref or {}
    )
    return assemble_book(config, [ExecutedChapter(ref.source, {}, text)])


def _nodes(node: Any, t: str):
    if isinstance(node, dict):
        if node.get("t") == t:
            yield node
        for value in node.values():
            yield from _nodes(value, t)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value, t)


def test_parent_numbered_like_any_figure_and_parts_lettered() -> None:
    book = _book()
    numbers = {k: (v.kind, v.number, v.label) for k, v in book.xrefs.items()}
    assert numbers["fig-one"] == ("fig", "1", "Figure\u00a01")
    assert numbers["fig-pair"] == ("fig", "2", "Figure\u00a02")
    assert numbers["fig-pair-a"] == ("subfig", "2", "Figure\u00a02 (a)")
    assert numbers["fig-pair-b"] == ("subfig", "2", "Figure\u00a02 (b)")
    assert numbers["fig-bare"] == ("fig", "3", "Figure\u00a03")
    # unlabelled parts get <parent>-<n>, as Quarto names them
    assert numbers["fig-bare-3"] == ("subfig", "3", "Figure\u00a03 (c)")
    # the parts take no figure number: the next figure is 4, not 6 or 8
    assert numbers["fig-after"] == ("fig", "4", "Figure\u00a04")


def test_references_to_parts_print_quartos_form() -> None:
    book = _book()
    links = [
        (stringify(n["c"][1]), n["c"][2][0]) for n in _nodes(book.chapters[0].ast["blocks"], "Link")
    ]
    assert links == [
        ("Figure\u00a02", "#fig-pair"),
        ("Figure\u00a02 (b)", "#fig-pair-b"),
        ("2 (a)", "#fig-pair-a"),
        ("Figure\u00a03 (c)", "#fig-bare-3"),
        ("Figure\u00a04", "#fig-after"),
    ]
    assert not book.warnings


def test_parts_carry_their_letter_on_the_ast() -> None:
    book = _book()
    [pair] = [
        f for f in _nodes(book.chapters[0].ast["blocks"], "Figure") if f["c"][0][0] == "fig-pair"
    ]
    parts = [b for b in pair["c"][2] if b["t"] == "Figure"]
    assert [(p["c"][0][0], dict(p["c"][0][2])["subfig-label"]) for p in parts] == [
        ("fig-pair-a", "(a)"),
        ("fig-pair-b", "(b)"),
    ]
    assert "quarto-layout-panel" in pair["c"][0][1]


def test_a_single_image_figure_div_is_not_a_panel() -> None:
    book = _book("# X\n\n::: {#fig-solo}\n![](/tmp/s.svg)\n\nSolo\n:::\n")
    assert book.xrefs["fig-solo"].number == "1"
    assert [k for k, v in book.xrefs.items() if v.kind == "subfig"] == []


@pytest.mark.parametrize(("style", "third"), [("alpha A", "C"), ("arabic", "3")])
def test_subref_labels_option(style: str, third: str) -> None:
    book = _book(crossref={"subref-labels": style})
    assert book.xrefs["fig-bare-3"].label == f"Figure\u00a03 ({third})"


def test_lists_of_figures_skip_parts() -> None:
    book = _book()
    figs = [k for k, v in book.xrefs.items() if v.kind == "fig"]
    assert figs == ["fig-one", "fig-pair", "fig-bare", "fig-after"]
    assert re.fullmatch(r"\d+", book.xrefs["fig-pair-b"].number)  # sortable as a figure


# --------------------------------------------------------------------------------------
# HTML (html_site.py)
# --------------------------------------------------------------------------------------


def _svg(path: Path, colour: str) -> Path:
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">'
        f'<rect width="40" height="30" fill="{colour}"/></svg>',
        encoding="utf-8",
    )
    return path


def _panel_book(tmp_path: Path, extra: str = ""):
    from dataclasses import replace

    from quartowrap.model import FigureOutput

    left, right = _svg(tmp_path / "l.svg", "red"), _svg(tmp_path / "r.svg", "blue")
    text = (
        f"# Panels\n\n::: {{#fig-pair layout-ncol=2{extra}}}\n\n"
        f'![Left]({left}){{#fig-pair-1 fig-alt="Red box."}}\n\n'
        f'![Right]({right}){{#fig-pair-2 fig-alt="Blue box."}}\n\n'
        "Two panels\n:::\n\nSee @fig-pair-2.\n"
    )
    book = _book(text)
    outputs = (
        FigureOutput("fig-pair-1", "Left", "Red box.", left),
        FigureOutput("fig-pair-2", "Right", "Blue box.", right),
    )
    return replace(book, figures=outputs)


def test_html_panel_structure(tmp_path: Path) -> None:
    from quartowrap.writers.html.site import write_html_site

    book = _panel_book(tmp_path)
    out = tmp_path / "html"
    write_html_site(book, out, version="1.0.0")
    page = (out / "01-x.html").read_text(encoding="utf-8")
    panel = page[page.index('<div id="fig-pair"') :]
    panel = panel[: panel.index("See ")]  # the panel is all that stands before the text
    # Quarto's structure: the parent float (its figure, caption "Figure 1: ...") holds the
    # layout panel, one row of two cells of 50 % each, each cell a sub-float with its "(a)"
    # caption and its own SVG
    assert re.match(
        r'<div id="fig-pair" class="quarto-float quarto-figure[^"]*">\s*'
        r'<figure class="quarto-float quarto-float-fig figure">\s*'
        r'<div aria-describedby="fig-pair-caption-[^"]+">\s*<div class="quarto-layout-panel">',
        panel,
    )
    # rows carry Quarto's vertical alignment class, top by default
    assert panel.count('class="quarto-layout-row quarto-layout-valign-top"') == 1
    cell = 'class="quarto-layout-cell-subref quarto-layout-cell" style="flex-basis: 50%;"'
    assert panel.count(cell) == 2
    for n in (1, 2):
        assert re.search(
            rf'<div id="fig-pair-{n}" class="quarto-float[^"]*">\s*'
            rf'<figure class="quarto-float quarto-subfloat-fig figure">'
            rf".*?figures/fig-pair-{n}\.svg",
            panel,
            re.S,
        )
    captions = [
        (cls, re.sub(r"<[^>]+>", "", c).strip())
        for cls, c in re.findall(
            r'<figcaption class="([^"]*)"[^>]*>(.*?)</figcaption>', panel, re.S
        )
    ]
    sub = "quarto-float-caption-bottom quarto-subfloat-caption quarto-subfloat-fig"
    main = "quarto-float-caption-bottom quarto-float-caption quarto-float-fig"
    assert captions == [(sub, "(a) Left"), (sub, "(b) Right"), (main, "Figure&nbsp;1: Two panels")]
    assert 'alt="Red box."' in panel and 'alt="Blue box."' in panel
    assert "subfig-label=" not in page and "layout-ncol=" not in page
    assert (out / "figures" / "fig-pair-2.svg").read_text(encoding="utf-8").count("blue") == 1
    assert re.search(
        r'<a href="#fig-pair-2" class="quarto-xref"[^>]*>Figure&nbsp;1 \(b\)</a>', page
    )


@pytest.mark.parametrize(
    ("attrs", "parts", "expected"),
    [
        ([["layout-ncol", "3"]], 5, [[1.0] * 3, [1.0] * 3]),
        ([["layout-nrow", "2"]], 5, [[1.0] * 3, [1.0] * 3]),
        ([["layout", "[[1,2],[1]]"]], 3, [[1.0, 2.0], [1.0]]),
        ([["layout", "[1,-1,1]"]], 2, [[1.0, 1.0, 1.0]]),
        ([], 2, [[1.0], [1.0]]),
    ],
)
def test_layout_widths(attrs: list[list[str]], parts: int, expected: list[list[float]]) -> None:
    from quartowrap.writers.html.pages import _layout_widths

    assert _layout_widths(["fig-x", [], attrs], parts) == expected


# --------------------------------------------------------------------------------------
# PDF (filters/typst.lua, templates/typst/kce.typ)
# --------------------------------------------------------------------------------------

KCE = {"report-number": 1, "series": "HSR", "short-title": "Panels"}


def _typst_book(tmp_path: Path, ncol: str = "layout-ncol=2"):
    from quartowrap.model import BookConfig as Config

    left, right = _svg(tmp_path / "l.svg", "red"), _svg(tmp_path / "r.svg", "blue")
    text = (
        f"# Panels\n\n::: {{#fig-pair {ncol}}}\n\n"
        f'![Left]({left}){{#fig-pair-1 fig-alt="Red box."}}\n\n'
        f'![Right]({right}){{#fig-pair-2 fig-alt="Blue box."}}\n\n'
        "Two panels\n:::\n\nSee @fig-pair and @fig-pair-2.\n"
    )
    config = Config(root=Path(__file__).resolve().parents[2], title="T", date="2022", kce=KCE)
    return assemble_book(config, [ExecutedChapter(Path("chapters/01.qmd"), {}, text)])


def _typst(book) -> str:
    from quartowrap.writers.frontmatter import build_front_matter
    from quartowrap.writers.typst.pdf import typst_source

    return typst_source(book, build_front_matter(book, version="1"))


def test_typst_panel_is_one_figure_with_a_grid_of_parts(tmp_path: Path) -> None:
    source = _typst(_typst_book(tmp_path))
    start = source.index("#figure(")
    figure = source[start : source.index("<fig-pair>", start)]
    assert figure.count("#figure(") == 1  # the parts are not figures of their own
    assert "#grid(columns: (1fr,) * 2," in figure
    assert figure.count("#qw-subfigure(") == 2
    assert figure.index("(a) Left") < figure.index("<fig-pair-1>") < figure.index("(b) Right")
    # the parent's caption comes after the grid, as for any figure ("--" is pandoc's en dash)
    assert re.search(r"<fig-pair-2>\],\s*\)\],\s*caption: \[\s*Figure~1 -- Two panels", figure)
    assert 'alt: "Red box."' in figure and 'alt: "Blue box."' in figure
    assert "subfig-label" not in source and "layout-ncol" not in source
    assert re.search(r"#link\(<fig-pair-2>\)\[Figure~1 \(b\)\]", source)


@pytest.mark.parametrize(("valign", "typst"), [("bottom", "bottom"), ("center", "horizon")])
def test_layout_valign_aligns_the_rows_of_a_panel(tmp_path: Path, valign: str, typst: str) -> None:
    """Quarto's `layout-valign`: the rows' class in HTML (site.css aligns by it), the
    grid's vertical alignment in the PDF; the attribute itself is not printed."""
    from quartowrap.writers.html.site import write_html_site

    book = _panel_book(tmp_path, f" layout-valign={valign}")
    write_html_site(book, tmp_path / "html", version="1.0.0")
    page = (tmp_path / "html" / "01-x.html").read_text(encoding="utf-8")
    assert f'class="quarto-layout-row quarto-layout-valign-{valign}"' in page
    assert "data-layout-valign" not in page
    css = (tmp_path / "html" / "assets" / "html" / "site.css").read_text(encoding="utf-8")
    assert f".quarto-layout-valign-{valign} {{ align-items:" in css
    source = _typst(_typst_book(tmp_path, f"layout-ncol=2 layout-valign={valign}"))
    assert f"row-gutter: 0.8em, align: center + {typst}," in source
    assert "layout-valign" not in source


def test_typst_panel_columns_from_layout_nrow(tmp_path: Path) -> None:
    source = _typst(_typst_book(tmp_path, "layout-nrow=2"))
    assert "#grid(columns: (1fr,) * 1," in source


@pytest.mark.slow
def test_pdf_with_a_panel_compiles_and_shows_the_captions(tmp_path: Path) -> None:
    from pypdf import PdfReader
    from quartowrap.writers.typst.pdf import write_pdf

    out = tmp_path / "panel.pdf"
    write_pdf(_typst_book(tmp_path), out, version="1.0.0", roots=(tmp_path,))
    text = " ".join(p.extract_text() for p in PdfReader(out).pages).replace("\xa0", " ")
    for needle in ("(a) Left", "(b) Right", "Figure 1 – Two panels", "Figure 1 (b)"):
        assert needle in text
