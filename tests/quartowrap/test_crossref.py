"""Book-wide cross-reference numbering (filters/crossref.lua through assemble_book).

Expected numbers are worked out by hand from the fixture chapters below: tables and figures
are numbered consecutively through the book (KCE style), sections per chapter, appendices
with letters, and unnumbered chapters (index, references) get no number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quartowrap.assemble.book import assemble_book, stringify
from quartowrap.model import BookConfig, ChapterRef, ExecutedChapter

TABLE = "| a | b |\n|---|---|\n| 1 | 2 |\n"

INDEX = "# Preface\n\nSee @tbl-second and @sec-method.\n"
CH1 = f"""# Introduction {{#sec-intro}}

## Background {{#sec-background}}

{TABLE}
: First table {{#tbl-first}}

![First figure](/tmp/first.svg){{#fig-first fig-alt="a line"}}

### Detail {{#sec-detail}}

## Unnumbered aside {{.unnumbered}}

## Scope {{#sec-scope}}

See @tbl-second, [-@fig-second], @Fig-first, [@tbl-first; @tbl-second], @eq-mass
and [see @sec-apx-data].

$$ E = m c^2 $$ {{#eq-mass}}
"""
CH2 = f"""# Methods {{#sec-method}}

{TABLE}
: Second table {{#tbl-second}}

::: {{#fig-second}}
![](/tmp/second.svg)

Second figure, as a Quarto figure div
:::

## Sources
"""
APX = f"""# Additional tables {{#sec-apx}}

## Data {{#sec-apx-data}}

::: {{#tbl-apx}}
{TABLE}
Appendix table, as a Quarto table div
:::
"""
REFS = "# References {.unnumbered}\n\n::: {#refs}\n:::\n"


def _book(crossref: dict[str, Any] | None = None):
    refs = (
        ChapterRef(Path("index.qmd"), numbered=False),
        ChapterRef(Path("chapters/01-intro.qmd")),
        ChapterRef(Path("chapters/02-methods.qmd")),
        ChapterRef(Path("references.qmd"), numbered=False),
        ChapterRef(Path("chapters/a1-tables.qmd"), appendix=True),
    )
    texts = [INDEX, CH1, CH2, REFS, APX]
    config = BookConfig(
        root=Path("/nonexistent"), title="T", chapters=refs, crossref=crossref or {}
    )
    chapters = [ExecutedChapter(r.source, {}, t) for r, t in zip(refs, texts, strict=True)]
    return assemble_book(config, chapters)


@pytest.fixture(scope="module")
def book():
    return _book()


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _links(chapter) -> list[tuple[str, str]]:
    return [
        (stringify(n["c"][1]), n["c"][2][0])
        for n in _walk(chapter.ast["blocks"])
        if n.get("t") == "Link" and "quarto-xref" in n["c"][0][1]
    ]


def test_tables_and_figures_numbered_through_the_book(book):
    numbers = {k: (v.kind, v.number, v.chapter) for k, v in book.xrefs.items()}
    assert numbers["tbl-first"] == ("tbl", "1", "01-intro")
    assert numbers["tbl-second"] == ("tbl", "2", "02-methods")
    assert numbers["tbl-apx"] == ("tbl", "3", "a1-tables")
    assert numbers["fig-first"] == ("fig", "1", "01-intro")
    assert numbers["fig-second"] == ("fig", "2", "02-methods")
    assert book.xrefs["tbl-apx"].caption == "Appendix table, as a Quarto table div"
    assert book.xrefs["fig-second"].label == "Figure\u00a02"


def test_sections_per_chapter_and_appendix_letters(book):
    got = {k: v.number for k, v in book.xrefs.items() if v.kind == "sec"}
    assert got == {
        "sec-intro": "1",
        "sec-background": "1.1",
        "sec-detail": "1.1.1",
        "sec-scope": "1.2",  # the unnumbered aside does not take 1.2
        "sec-method": "2",
        "sec-apx": "A",
        "sec-apx-data": "A.1",
    }
    assert [(c.title, c.number) for c in book.chapters] == [
        ("Preface", None),
        ("Introduction", "1"),
        ("Methods", "2"),
        ("References", None),
        ("Additional tables", "A"),
    ]


def test_numbers_are_on_the_ast(book):
    methods = book.chapters[2].ast["blocks"]
    headers = [
        (stringify(b["c"][2]), dict(b["c"][1][2]).get("number"))
        for b in methods
        if b["t"] == "Header"
    ]
    assert headers == [("Methods", "2"), ("Sources", "2.1")]
    table = next(b for b in methods if b["t"] == "Table")
    assert dict(table["c"][0][2])["number"] == "2"
    assert dict(table["c"][0][2])["xref-label"] == "Table\u00a02"
    figure = next(b for b in methods if b["t"] == "Figure")  # the div became a Figure
    assert figure["c"][0][0] == "fig-second"
    assert dict(figure["c"][0][2])["number"] == "2"


def test_reference_forms_follow_quarto(book):
    links = _links(book.chapters[1])
    assert links == [
        ("Table\u00a02", "#tbl-second"),
        ("2", "#fig-second"),  # [-@fig-x] suppresses the prefix
        ("Figure\u00a01", "#fig-first"),  # @Fig-x: capitalised form
        ("Table\u00a01", "#tbl-first"),
        ("Table\u00a02", "#tbl-second"),
        ("Equation\u00a01", "#eq-mass"),
        # [see @sec-x]: the words in the brackets replace "Section", inside the link (Quarto)
        ("see\u00a0A.1", "#sec-apx-data"),
    ]
    # An unnumbered chapter can point forward; a chapter-level target says "Chapter".
    assert _links(book.chapters[0]) == [
        ("Table\u00a02", "#tbl-second"),
        ("Chapter\u00a02", "#sec-method"),
    ]
    assert book.warnings == ()


def test_crossref_prefixes_from_config():
    book = _book({"tbl-prefix": "Tab.", "fig-prefix": "Fig.", "ch-prefix": "Hoofdstuk"})
    links = _links(book.chapters[1])
    assert links[0] == ("Tab.\u00a02", "#tbl-second")
    assert links[2] == ("Fig.\u00a01", "#fig-first")
    assert _links(book.chapters[0])[1] == ("Hoofdstuk\u00a02", "#sec-method")


def test_equation_gets_its_number_in_the_math(book):
    spans = [n for n in _walk(book.chapters[1].ast["blocks"]) if n.get("t") == "Span"]
    eq = next(s for s in spans if s["c"][0][0] == "eq-mass")
    assert eq["c"][1][0]["c"][1].endswith("(1)")


def _one_chapter(text: str):
    ref = ChapterRef(Path("chapters/01-x.qmd"))
    config = BookConfig(root=Path("/nonexistent"), title="T", chapters=(ref,))
    return assemble_book(config, [ExecutedChapter(ref.source, {}, text)])


def test_equation_label_with_attributes_is_recognised():
    """Quarto reads `{#eq-x alt="…"}`: the label numbers the equation, `alt` is kept."""
    book = _one_chapter(
        '# C\n\n$$ E = mc^2 $$ {#eq-alt alt="Energy equals m c squared"}\n\n'
        "$$ a = b $$ {#eq-plain}\n\nSee @eq-alt and @eq-plain.\n"
    )
    spans = {
        s["c"][0][0]: s
        for n in [book.chapters[0].ast["blocks"]]
        for s in _walk(n)
        if s.get("t") == "Span" and "quarto-equation" in s["c"][0][1]
    }
    assert dict(spans["eq-alt"]["c"][0][2]) == {"number": "1", "alt": "Energy equals m c squared"}
    assert dict(spans["eq-plain"]["c"][0][2]) == {"number": "2"}
    text = stringify(book.chapters[0].ast["blocks"])
    assert "alt=" not in text and "{#eq" not in text
    assert "Equation\u00a01" in text and "Equation\u00a02" in text


def test_tab_headings_are_tabs_not_sections():
    book = _one_chapter(
        "# Chapter\n\n::: {.panel-tabset}\nLead.\n\n## One\n\nA\n\n### Deeper\n\nB\n\n"
        "## Two\n\nC\n:::\n\n## After {#sec-after}\n\n@sec-after\n"
    )
    blocks = book.chapters[0].ast["blocks"]
    numbered = [
        (stringify(n["c"][2]), dict(n["c"][1][2]).get("number"), n["c"][1][1])
        for n in _walk(blocks)
        if n.get("t") == "Header"
    ]
    # the tab headings are gone; the deeper heading stays, unnumbered and unlisted;
    # the section after the tabset is 1.1 (the tabs took no number)
    assert numbered == [
        ("Chapter", "1", []),
        ("Deeper", None, ["unnumbered", "unlisted"]),
        ("After", "1.1", []),
    ]
    [tabset] = [n for n in _walk(blocks) if n.get("t") == "Div" and "panel-tabset" in n["c"][0][1]]
    panes = [b for b in tabset["c"][1] if b["t"] == "Div"]
    assert stringify(tabset["c"][1][0]) == "Lead."
    assert [dict(p["c"][0][2])["tab-title"] for p in panes] == ["One", "Two"]
    assert [p["c"][0][1] for p in panes] == [["tab-pane"], ["tab-pane"]]
    assert panes[1]["c"][1][0]["c"][0]["t"] == "Strong"  # the PDF prints the title in bold
    assert _links(book.chapters[0]) == [("Section\u00a01.1", "#sec-after")]


def test_listings_and_theorems_numbered_through_the_book_per_kind():
    first = ChapterRef(Path("chapters/01-a.qmd"))
    second = ChapterRef(Path("chapters/02-b.qmd"))
    config = BookConfig(root=Path("/nonexistent"), title="T", chapters=(first, second))
    one = (
        '# A\n\n```{#lst-one .python lst-cap="First code"}\nx = 1\n```\n\n'
        "::: {#thm-one}\n## Named\nBody.\n:::\n\n::: {#lem-one}\nA lemma.\n:::\n"
    )
    two = (
        "# B\n\n```{#lst-two .python}\ny = 2\n```\n\n::: {#thm-two}\nAgain.\n:::\n\n"
        "## After {#sec-after}\n\nSee @lst-two, @thm-two, @Lem-one and [-@thm-one].\n"
    )
    book = assemble_book(
        config, [ExecutedChapter(first.source, {}, one), ExecutedChapter(second.source, {}, two)]
    )
    got = {k: (v.kind, v.number, v.chapter) for k, v in book.xrefs.items() if v.kind != "sec"}
    assert got == {
        "lst-one": ("lst", "1", "01-a"),
        "thm-one": ("thm", "1", "01-a"),
        "lem-one": ("lem", "1", "01-a"),  # each kind has its own counter
        "lst-two": ("lst", "2", "02-b"),  # through the book, like figures
        "thm-two": ("thm", "2", "02-b"),
    }
    assert _links(book.chapters[1]) == [
        ("Listing\u00a02", "#lst-two"),
        ("Theorem\u00a02", "#thm-two"),
        ("Lemma\u00a01", "#lem-one"),
        ("1", "#thm-one"),
    ]
    assert book.xrefs["sec-after"].number == "2.1"  # the theorem heading took no number
    blocks = book.chapters[0].ast["blocks"]
    listing = next(n for n in _walk(blocks) if n.get("t") == "Div" and n["c"][0][0] == "lst-one")
    assert stringify(listing["c"][1][0]) == "Listing\u00a01: First code"
    assert listing["c"][1][1]["t"] == "CodeBlock"
    theorem = next(n for n in _walk(blocks) if n.get("t") == "Div" and n["c"][0][0] == "thm-one")
    # Quarto's shape: span.theorem-title > strong, then the body (no full stop between)
    assert stringify(theorem["c"][1][0]) == "Theorem\u00a01 (Named) Body."
    assert theorem["c"][1][0]["c"][0]["c"][0] == ["", ["theorem-title"], []]
    assert theorem["c"][0][1] == ["theorem"]  # Quarto: `theorem`, `theorem lemma`, …
    assert book.warnings == ()


def test_heading_that_opens_a_callout_is_its_title_not_a_section() -> None:
    chapter = (
        "# Results {#sec-results}\n\n## First {#sec-first}\n\n"
        "::: {.callout-warning}\n## Reconstructed data\nCareful.\n:::\n\n"
        "## Second {#sec-second}\n"
    )
    config = BookConfig(root=Path("."), title="T", chapters=(ChapterRef(Path("a.qmd")),))
    book = assemble_book(config, [ExecutedChapter(Path("a.qmd"), {}, chapter)])
    assert book.xrefs["sec-first"].number == "1.1"
    assert book.xrefs["sec-second"].number == "1.2"
