"""Quarto's HTML structure on small lone documents (default theme): cells, floats, captions.

What Quarto 1.4+ prints and users' CSS and JavaScript target: `div.cell` around a cell's code
and outputs, `div.quarto-float > figure.quarto-float-<kind>` holding the content in a div
described by `figcaption.quarto-float-caption`, `img.figure-img`, `div.quarto-figure` for a
captioned image without a label, and floats whatever they hold (an image, a raw HTML table,
a list, sub-tables), numbered by their label.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.cli import main

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
    '<rect width="20" height="20"/></svg>\n'
)
UUID = "0ceaefa1-69ba-4598-a22c-09a6ac19f8ca"

CELLS = """---
title: Cells
---

See @fig-line and @tbl-small.

```{python}
#| label: fig-line
#| fig-cap: A line
#| fig-alt: A rising line.
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.show()
```

```{python}
print("stdout-marker-31")
```

| a | b |
|---|---|
| 1 | 2 |

: Small {#tbl-small}

![Not numbered](pic.svg){fig-alt="A black square."}
"""


def _render(tmp_path: Path, name: str, text: str, *args: str) -> str:
    (tmp_path / "pic.svg").write_text(SVG, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["render", str(tmp_path / name), "--quiet", *args]) == 0
    html = (tmp_path / name).with_suffix(".html").read_text(encoding="utf-8")
    return html[html.index("<main") : html.index("</main>")]


def _float(html: str, ident: str) -> str:
    """The HTML of the float `ident`, from its opening div to its closing figure."""
    start = html.index(f'<div id="{ident}"')
    return html[start : html.index("</figure>", start)]


@pytest.mark.slow
def test_cells_and_floats_in_quartos_structure(tmp_path: Path) -> None:
    html = _render(tmp_path, "cells.qmd", CELLS, "--to", "html")
    # the figure cell: div.cell#cell-<label> > code, div.cell-output-display > the float
    assert re.search(
        r'<div id="cell-fig-line" class="cell">\s*'
        r'<div class="sourceCode cell-code"[^>]*>.*?</div>\s*'
        r'<div class="cell-output cell-output-display">\s*<div id="fig-line" '
        r'class="quarto-float quarto-figure quarto-figure-center anchored">',
        html,
        re.S,
    )
    figure = _float(html, "fig-line")
    assert re.search(
        rf'<figure class="quarto-float quarto-float-fig figure">\s*'
        rf'<div aria-describedby="fig-line-caption-{UUID}">\s*<img [^>]*class="figure-img"[^>]*>'
        rf"\s*</div>\s*<figcaption "
        rf'class="quarto-float-caption-bottom quarto-float-caption quarto-float-fig" '
        rf'id="fig-line-caption-{UUID}">',
        figure,
    )
    # Quarto's caption: "Figure 1: caption" (the default theme has no dash of its own)
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", figure, re.S)
    assert caption and re.sub(r"<[^>]+>", "", caption.group(1)).strip() == "Figure&nbsp;1: A line"
    # printed text: div.cell > div.cell-output-stdout > pre > code
    assert re.search(
        r'<div class="cell">\s*<div class="sourceCode cell-code".*?</div>\s*'
        r'<div class="cell-output cell-output-stdout">\s*<pre><code>stdout-marker-31</code></pre>',
        html,
        re.S,
    )
    # a table float: the caption above, in a figcaption describing the bare table
    table = _float(html, "tbl-small")
    assert re.search(
        rf'<figure class="quarto-float quarto-float-tbl figure">\s*<figcaption '
        rf'class="quarto-float-caption-top quarto-float-caption quarto-float-tbl" '
        rf'id="tbl-small-caption-{UUID}">\s*'
        r'<span class="caption-label">Table&nbsp;1</span>: Small\s*'
        rf'</figcaption>\s*<div aria-describedby="tbl-small-caption-{UUID}">.*?<table\b',
        table,
        re.S,
    )
    assert "<caption>" not in html
    # a captioned image without a label: div.quarto-figure > figure.figure, no number
    assert re.search(
        r'<div class="quarto-figure quarto-figure-center">\s*<figure class="figure">\s*'
        r'<img [^>]*class="figure-img"[^>]*>\s*<figcaption>\s*Not numbered\s*</figcaption>',
        html,
    )
    # references are Quarto's a.quarto-xref
    assert re.search(r'<a href="#fig-line" class="quarto-xref"[^>]*>Figure&nbsp;1</a>', html)
    assert re.search(r'<a href="#tbl-small" class="quarto-xref"[^>]*>Table&nbsp;1</a>', html)


def test_title_delim_from_the_documents_crossref_options(tmp_path: Path) -> None:
    text = "---\ntitle: D\ncrossref:\n  title-delim: ' —'\n---\n\n![Cap](pic.svg){#fig-a}\n"
    html = _render(tmp_path, "delim.qmd", text, "--to", "html")
    caption = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", html, re.S)
    assert caption and re.sub(r"<[^>]+>", "", caption.group(1)).strip() == "Figure&nbsp;1 — Cap"


def test_pdf_caption_delimiter_follows_the_html_one(tmp_path: Path) -> None:
    """Quarto's typst figures print "Figure 1: caption" (typst's default separator); the PDF
    of the default theme does the same, and `title-delim` changes both outputs."""
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n\n: Small {#tbl-s}\n"
    plain = f"---\ntitle: P\n---\n\n![Cap](pic.svg){{#fig-a}}\n\n{table}"
    _render(tmp_path, "plain.qmd", plain)
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "plain.pdf").pages)
    assert "Figure\u00a01: Cap" in text and "Table\u00a01: Small" in text
    assert "Figure 1 –" not in text.replace("\u00a0", " ")
    dashed = plain.replace("title: P", "title: D\ncrossref:\n  title-delim: ' —'")
    html = _render(tmp_path, "dashed.qmd", dashed)
    assert "Figure&nbsp;1</span> — Cap" in html
    text = " ".join(p.extract_text() for p in PdfReader(tmp_path / "dashed.pdf").pages)
    assert "Figure\u00a01 — Cap" in text and "Table\u00a01 — Small" in text


def test_no_break_spaces_are_written_as_quarto_writes_them() -> None:
    """Quarto's pages spell U+00A0 `&nbsp;` (its DOM serialiser does); script and style
    content is left alone, where an entity would not be decoded."""
    from quartowrap.writers.html.fragments import quarto_entities

    html = '<p>Figure\u00a01</p><script>let s = "a\u00a0b";</script><STYLE>p{}</STYLE><p>\u00a0</p>'
    assert quarto_entities(html) == (
        '<p>Figure&nbsp;1</p><script>let s = "a\u00a0b";</script><STYLE>p{}</STYLE><p>&nbsp;</p>'
    )


FLOATS = """---
title: Floats of any content
---

See @tbl-html, @tbl-list, @fig-list, @fig-capattr, @tbl-image, @fig-linked, @fig-single.

::: {#tbl-html}
```{=html}
<table class="hand-made"><tr><td>raw cell</td></tr></table>
```

A raw HTML table
:::

::: {#tbl-list tbl-cap="A list as a *table*"}
- one
- two
:::

::: {#fig-list}
- a list in a figure

Listed figure
:::

::: {#fig-capattr fig-cap="Caption from the attribute"}
![](pic.svg){fig-alt="A square."}
:::

::: {#tbl-image}
![](pic.svg){fig-alt="A square."}

A table that is an image
:::

[![Linked caption](pic.svg){#fig-linked}](https://example.org/big)

::: {#fig-single}
![Single caption](pic.svg)
:::
"""


@pytest.mark.slow
def test_floats_holding_any_content_are_numbered_by_their_label(tmp_path: Path) -> None:
    html = _render(tmp_path, "floats.qmd", FLOATS)
    assert "?@" not in html
    expected = {
        "tbl-html": ("tbl", "Table&nbsp;1: A raw HTML table", 'class="hand-made"'),
        "tbl-list": ("tbl", "Table&nbsp;2: A list as a table", "<li>one</li>"),
        "fig-list": ("fig", "Figure&nbsp;1: Listed figure", "<li>a list in a figure</li>"),
        "fig-capattr": ("fig", "Figure&nbsp;2: Caption from the attribute", 'class="figure-img"'),
        "tbl-image": ("tbl", "Table&nbsp;3: A table that is an image", 'class="figure-img"'),
        "fig-linked": (
            "fig",
            "Figure&nbsp;3: Linked caption",
            '<a href="https://example.org/big">',
        ),
        "fig-single": ("fig", "Figure&nbsp;4: Single caption", 'alt="Single caption"'),
    }
    for ident, (kind, caption, content) in expected.items():
        part = _float(html, ident)
        assert f'<figure class="quarto-float quarto-float-{kind} figure">' in part, ident
        found = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", part, re.S)
        assert found and re.sub(r"<[^>]+>", "", found.group(1)).strip() == caption, ident
        described = part[part.index("<div aria-describedby=") :]
        assert content in described, ident
        # a table's caption comes first, a figure's after its content
        assert (part.index("<figcaption") < part.index("aria-describedby")) == (kind == "tbl")
    for ref, text in (("tbl-list", "Table&nbsp;2"), ("fig-linked", "Figure&nbsp;3")):
        assert re.search(rf'<a href="#{ref}" class="quarto-xref"[^>]*>{text}</a>', html)
    pdf = " ".join(p.extract_text() for p in PdfReader(tmp_path / "floats.pdf").pages)
    # the default theme's PDF captions read as Quarto's typst ones: "Table 2: caption"
    for caption in ("Table 2: A list as a table", "Figure 3: Linked caption"):
        assert caption in pdf.replace("\xa0", " ")


PANELS = """---
title: Panels
---

See @tbl-panel, @tbl-first, @tbl-second and @tbl-right.

::: {#tbl-panel layout-ncol=2}
| Col1 | Col2 |
|------|------|
| A    | B    |

: First Table {#tbl-first}

| Col1 | Col2 |
|------|------|
| C    | D    |

: Second Table {#tbl-second}

Main Caption
:::

::: {layout-ncol=2}
| x |
|---|
| 1 |

: Left {#tbl-left}

| y |
|---|
| 2 |

: Right {#tbl-right}
:::
"""


@pytest.mark.slow
def test_sub_tables_are_lettered_and_layout_divs_become_panels(tmp_path: Path) -> None:
    html = _render(tmp_path, "panels.qmd", PANELS)
    for ref, text in (
        ("tbl-panel", "Table&nbsp;1"),
        ("tbl-first", r"Table&nbsp;1 \(a\)"),
        ("tbl-second", r"Table&nbsp;1 \(b\)"),
        ("tbl-right", "Table&nbsp;3"),
    ):
        assert re.search(rf'<a href="#{ref}" class="quarto-xref"[^>]*>{text}</a>', html), ref
    panel = html[html.index('<div id="tbl-panel"') : html.index('<div id="tbl-left"')]
    assert '<div class="quarto-layout-panel">' in panel
    assert panel.count('class="quarto-float quarto-subfloat-tbl figure"') == 2
    captions = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r'<figcaption class="[^"]*subfloat[^>]*>(.*?)</figcaption>', html, re.S)
    ]
    assert captions == ["(a) First Table", "(b) Second Table"]
    # a plain div with a layout: a panel of two cells, each table numbered on its own
    plain = html[html.rindex('<div class="quarto-layout-panel">') :]
    assert plain.count('style="flex-basis: 50%;"') == 2
    assert "Table&nbsp;2</span>: Left" in plain and "Table&nbsp;3</span>: Right" in plain
    pdf = " ".join(p.extract_text() for p in PdfReader(tmp_path / "panels.pdf").pages)
    order = ["Table 1: Main Caption", "(a) First Table", "(b) Second Table", "Table 2: Left"]
    positions = [pdf.replace("\xa0", " ").index(text) for text in order]
    assert positions == sorted(positions)


def test_a_table_cell_with_sub_captions_writes_a_panel_of_labelled_tables(tmp_path: Path) -> None:
    from quartowrap.execute.weave import weave
    from quartowrap.model import ExecuteOptions
    from quartowrap.project.qmd import parse_qmd

    cell = (
        "# T\n\n```{python}\n#| label: tbl-pair\n#| tbl-cap: Two frames\n"
        '#| tbl-subcap: ["Left frame", "Right frame"]\n#| layout-ncol: 2\nshow()\n```\n'
    )
    (tmp_path / "ch.qmd").write_text(cell, encoding="utf-8")
    tables = ["| a |\n|---|\n| 1 |", "| b |\n|---|\n| 2 |"]
    outputs = [{"type": "display", "data": {"text/markdown": t}} for t in tables]
    raw = {"cells": {"0": {"outputs": outputs}}, "inline": []}
    doc = parse_qmd(Path("ch.qmd"), tmp_path)
    markdown, out, _ = weave(doc, raw, ExecuteOptions(echo=False), tmp_path / "figs")
    markdown = re.sub(r"<!--/?quartowrap-output:[0-9a-f]{16}-->\n\n", "", markdown)
    # Quarto's shape: a table div of parts `{#tbl-pair-1}`, `{#tbl-pair-2}` and the caption
    assert (
        '::: {#tbl-pair layout-ncol="2"}\n\n'
        "| a |\n|---|\n| 1 |\n\n: Left frame {#tbl-pair-1}\n\n"
        "| b |\n|---|\n| 2 |\n\n: Right frame {#tbl-pair-2}\n\n"
        "Two frames\n\n:::"
    ) in markdown
    assert [(t.label, t.caption, t.csv) for t in out] == [
        ("tbl-pair-1", "Left frame", "a\n1\n"),
        ("tbl-pair-2", "Right frame", "b\n2\n"),
    ]


EMBEDDED = """---
title: Other
---

```{python}
#| label: calc
print(f"answer-{6 * 7}")
```
"""


def _embedding(tmp_path: Path, target: str, front: str = "") -> int:
    (tmp_path / "sub").mkdir(exist_ok=True)
    (tmp_path / "sub" / "other.qmd").write_text(EMBEDDED, encoding="utf-8")
    text = f"---\ntitle: Main\n{front}---\n\nText.\n\n{{{{< embed {target} >}}}}\n"
    (tmp_path / "main.qmd").write_text(text, encoding="utf-8")
    return main(["render", str(tmp_path / "main.qmd"), "--quiet", "--to", "html"])


@pytest.mark.slow
def test_embedding_a_qmd_cell_executes_the_document_with_the_books_freeze(
    tmp_path: Path,
) -> None:
    assert _embedding(tmp_path, "sub/other.qmd#calc echo=true", "execute:\n  freeze: auto\n") == 0
    html = (tmp_path / "main.html").read_text(encoding="utf-8")
    embedded = html[html.index('<div class="quarto-embed-nb-cell"') :]
    assert 'data-notebook="sub/other.qmd"' in embedded
    assert "<pre><code>answer-42</code></pre>" in embedded
    assert '<div class="sourceCode cell-code"' in embedded  # echo=true shows the code
    stored = tmp_path / "_freeze" / "sub" / "other" / "execute-results"
    [results] = list(stored.iterdir())
    before = results.stat().st_mtime_ns
    assert _embedding(tmp_path, "sub/other.qmd#calc", "execute:\n  freeze: auto\n") == 0
    assert results.stat().st_mtime_ns == before  # unchanged: reused, not executed again
    html = (tmp_path / "main.html").read_text(encoding="utf-8")
    assert "answer-42" in html and "cell-code" not in html


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("sub/other.qmd#nope", "main.qmd:7: embed: no cell labelled 'nope' in sub/other.qmd"),
        ("sub/gone.qmd#calc", "main.qmd:7: embed: document not found: sub/gone.qmd"),
        ("../outside.qmd#calc", "main.qmd:7: embedded document"),
    ],
)
def test_embedding_a_missing_document_or_cell_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.qmd").write_text(EMBEDDED, encoding="utf-8")
    assert _embedding(project, target) != 0
    assert message in capsys.readouterr().err
    assert not (project / "main.html").exists()
