"""html_site.write_html_site on hand-made books.

The fixture book is built the way assemble.py hands books over (pandoc 3 JSON, resolved
cross-references as `quarto-xref` links, `number`/`xref-label` attributes, a `#refs` div),
from markdown typed here, so these tests do not depend on the assembler.  One test at the
end runs the real assembler when it is importable, to catch drift between the two.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pypandoc
import pytest
import quartowrap.writers.html.fragments as html_fragments
import quartowrap.writers.html.pages as html_pages
import quartowrap.writers.html.pandoc_ast as html_ast
import quartowrap.writers.html.site as html_site
from quartowrap.model import (
    AssembledBook,
    AssembledChapter,
    BookConfig,
    ChapterRef,
    FigureOutput,
    TableOutput,
    XrefEntry,
)
from quartowrap.project.theme import builtin_theme
from quartowrap.writers.frontmatter import (
    Abbreviation,
    ColophonField,
    Cover,
    FrontMatter,
    GlossaryEntry,
    ListEntry,
)
from quartowrap.writers.html.site import write_html_site

PAYLOAD = "<script>alert(1)</script>"
UNIQUE_WORD = "zygomorphic"  # appears in chapter 3 only (the browser test searches it)

INDEX = """# Preface {#preface .unnumbered}

This site is a small test book about integrated care.
"""

CH1 = """# Introduction {#sec-intro number="1"}

::: {.callout-key-findings}
- Integration is uneven across regions.
:::

## Background {#sec-background number="1.1"}

Costs are in [Table 1](#tbl-costs){.quarto-xref} and maturity in
[Figure 1](#fig-maturity){.quarto-xref}; the data are described in
[Section 2.1](#sec-data){.quarto-xref}, as in the report [[1](#ref-kce359)].
Back to [Section 1.1](#sec-background){.quarto-xref}.

### Detail {#sec-detail number="1.1.1"}

A sentence with a footnote.[^1]

::: {.callout-warning title="Reconstructed data"}
The survey files are reconstructed from published tables.
:::

[^1]: The footnote text.
"""

CH2 = """# Methods {#sec-methods number="2"}

## Data XSSPAYLOAD {#sec-data number="2.1"}

| Region | Cost |
|--------|-----:|
| Flanders | 12 |
| XSSPAYLOAD | 3 |

: Costs by region XSSPAYLOAD {#tbl-costs}

```python
total = sum([12, 3])
```
"""

CH3 = f"""# Surveys {{#sec-surveys number="3"}}

## Maturity {{#sec-maturity number="3.1"}}

The word {UNIQUE_WORD} is only used in this chapter.

![Maturity by dimension](FIGPATH){{#fig-maturity
fig-alt="Bar chart of median maturity per dimension"}}

| Item | Mean |
|------|-----:|
| PACIC 1 | 3.1 |

: PACIC items {{#tbl-pacic}}

See [Table 1](#tbl-costs){{.quarto-xref}} again.
"""

REFS = """# References {#references .unnumbered}

::: {#refs .references .csl-bib-body}
::: {#ref-kce359 .csl-entry}
1\\. Benahmed N, Bourgeois J. Towards integrated care in Belgium. KCE Report 359. 2022.
:::
:::
"""

HISTORY = """# Version history {#sec-version-history number="A"}

## 1.0.0 {#v1-0-0 number="A.1"}

First published version.
"""

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
    '<rect width="120" height="60" fill="#00695c"/></svg>\n'
)

NUMBERS = {  # id -> (number, caption label) as the crossref filter sets them
    "tbl-costs": ("1", "Table 1"),
    "tbl-pacic": ("2", "Table 2"),
    "fig-maturity": ("1", "Figure 1"),
}


def to_ast(markdown: str) -> dict[str, Any]:
    out = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "json"],
        input=markdown.encode("utf-8"),
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)


def _nodes(value: Any):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _nodes(v)
    elif isinstance(value, list):
        for v in value:
            yield from _nodes(v)


def _finish(ast: dict[str, Any]) -> dict[str, Any]:
    """Do by hand what the filters do: numbers on floats, data text as plain Str."""
    for node in _nodes(ast):
        t = node.get("t")
        if t in {"Table", "Figure"} and node["c"][0][0] in NUMBERS:
            number, label = NUMBERS[node["c"][0][0]]
            node["c"][0][2] += [["number", number], ["xref-label", label]]
        if t == "Str" and "XSSPAYLOAD" in node["c"]:
            node["c"] = node["c"].replace("XSSPAYLOAD", PAYLOAD)
    return ast


def _xref(ident: str, kind: str, number: str, chapter: str, caption: str, label: str):
    return XrefEntry(ident, kind, number, chapter, caption, label)  # type: ignore[arg-type]


def make_book(root: Path, *, history: bool = True) -> AssembledBook:
    root.mkdir(parents=True, exist_ok=True)
    svg = root / "fig-maturity.svg"
    svg.write_text(SVG, encoding="utf-8")
    sources = [
        (ChapterRef(Path("index.qmd"), numbered=False), INDEX, "Preface", None),
        (ChapterRef(Path("chapters/01-intro.qmd")), CH1, "Introduction", "1"),
        (ChapterRef(Path("chapters/02-methods.qmd"), part="Results"), CH2, "Methods", "2"),
        (
            ChapterRef(Path("chapters/03-surveys.qmd"), part="Results"),
            CH3.replace("FIGPATH", str(svg)),
            "Surveys",
            "3",
        ),
        (ChapterRef(Path("references.qmd"), numbered=False), REFS, "References", None),
    ]
    if history:
        sources.append(
            (
                ChapterRef(Path("chapters/version-history.qmd"), appendix=True),
                HISTORY,
                "Version history",
                "A",
            )
        )
    chapters = tuple(
        AssembledChapter(ref=ref, title=title, number=number, ast=_finish(to_ast(md)))
        for ref, md, title, number in sources
    )
    xrefs = {
        e.id: e
        for e in [
            _xref("sec-intro", "sec", "1", "01-intro", "Introduction", "Chapter 1"),
            _xref("sec-background", "sec", "1.1", "01-intro", "Background", "Section 1.1"),
            _xref("sec-detail", "sec", "1.1.1", "01-intro", "Detail", "Section 1.1.1"),
            _xref("sec-methods", "sec", "2", "02-methods", "Methods", "Chapter 2"),
            _xref("sec-data", "sec", "2.1", "02-methods", f"Data {PAYLOAD}", "Section 2.1"),
            _xref("tbl-costs", "tbl", "1", "02-methods", f"Costs by region {PAYLOAD}", "Table 1"),
            _xref("sec-surveys", "sec", "3", "03-surveys", "Surveys", "Chapter 3"),
            _xref("fig-maturity", "fig", "1", "03-surveys", "Maturity by dimension", "Figure 1"),
            _xref("tbl-pacic", "tbl", "2", "03-surveys", "PACIC items", "Table 2"),
        ]
    }
    config = BookConfig(
        root=root,
        title="Towards integrated care: a test book",
        subtitle="Fixture for the HTML writer",
        authors=("Benahmed N", "Bourgeois J"),
        date="2022",
        chapters=tuple(s[0] for s in sources),
        crossref={"tbl-prefix": "Table", "fig-prefix": "Figure"},
        kce={
            "report-number": 359,
            "series": "Health Services Research",
            "short-title": "Integrated care (test)",
            "chapter-authors": {"chapters/03-surveys.qmd": f"Lambert A-S, {PAYLOAD}"},
        },
    )
    return AssembledBook(
        config=config,
        chapters=chapters,
        xrefs=xrefs,
        tables=(TableOutput("tbl-costs", "Costs by region", "region,cost\nFlanders,12\n"),),
        figures=(
            FigureOutput(
                "fig-maturity",
                "Maturity by dimension",
                "Bar chart of median maturity per dimension",
                svg,
                csv="dimension,median\nreadiness,3\n",
            ),
        ),
    )


def make_front_matter() -> FrontMatter:
    """Front matter as frontmatter.build_front_matter returns it, typed by hand."""
    return FrontMatter(
        cover=Cover(
            series="Health Services Research",
            report_label="KCE Report 359",
            report_number="359",
            title="Towards integrated care",
            subtitle="Sub",
            authors=("Benahmed N", "Bourgeois J"),
            year="2022",
            version="1.0.0",
        ),
        short_title="Integrated care (test)",
        running_header="KCE Report 359",
        colophon=(
            ColophonField("title", "Title", ("Towards integrated care in Belgium",), "text"),
            ColophonField("authors", "Authors", ("Benahmed N", "Bourgeois J"), "list"),
            ColophonField("reported-interests", "Reported interests", (f"None {PAYLOAD}",), "text"),
            ColophonField("disclaimer", "Disclaimer", ("First paragraph.", "Second one."), "text"),
            ColophonField("version", "Version", ("1.0.0 (build 0123456789ab)",), "text"),
        ),
        how_to_cite="Benahmed N, Bourgeois J. Towards integrated care. 2022.",
        foreword_md=f"This *foreword* is markdown. {PAYLOAD}",
        foreword_signatories=("Christian Léonard, Deputy general director",),
        key_messages_md=("First **key** message.", "Second key message."),
        figures=(ListEntry("fig-maturity", "Figure 1", "Maturity by dimension", "03-surveys"),),
        tables=(
            ListEntry("tbl-costs", "Table 1", f"Costs by region {PAYLOAD}", "02-methods"),
            ListEntry("tbl-pacic", "Table 2", "PACIC items", "03-surveys"),
        ),
        abbreviations=(
            Abbreviation("GP", "General practitioner"),
            Abbreviation("KCE", "Belgian Health Care Knowledge Centre"),
        ),
        glossary=(GlossaryEntry("Integrated care", f"Care organised around the person {PAYLOAD}"),),
    )


# --------------------------------------------------------------------------------------
# HTML inspection helpers (stdlib parser: no extra dependency)
# --------------------------------------------------------------------------------------
class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(a["id"] or "")


def parse(path: Path) -> _Collect:
    p = _Collect()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[AssembledBook, Path, list[Path]]:
    base = tmp_path_factory.mktemp("site")
    book = make_book(base / "project")
    out = base / "release" / "html"
    files = write_html_site(
        book, out, version="1.0.0", commit="0123456789abcdef0123", front_matter=make_front_matter()
    )
    return book, out, files


CHAPTER_PAGES = [
    "index.html",
    "01-intro.html",
    "02-methods.html",
    "03-surveys.html",
    "references.html",
    "version-history.html",
]
FRONT_PAGES = [
    "colophon.html",
    "foreword.html",
    "key-messages.html",
    "list-of-figures.html",
    "list-of-tables.html",
    "abbreviations.html",
    "glossary.html",
]
READING_ORDER = ["index.html", *FRONT_PAGES, *CHAPTER_PAGES[1:]]


def test_one_page_per_chapter_and_front_matter(site):
    _, out, files = site
    for name in CHAPTER_PAGES + FRONT_PAGES:
        assert (out / name).is_file(), name
    assert files == sorted(files)
    assert out / "search-data.js" in files
    assert (out / "assets" / "html" / "site.css").is_file()
    assert (out / "assets" / "theme" / "theme.css").is_file()  # the kce theme's stylesheet
    fonts = out / "assets" / "theme" / "source-sans-3"
    assert sorted(fonts.glob("*.woff2")), "the kce theme's web fonts are copied"
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', (out / "index.html").read_text())
    assert links == ["assets/html/site.css", "assets/theme/theme.css"]
    assert (out / "assets" / "vendor" / "minisearch" / "minisearch.umd.js").is_file()
    assert (out / "assets" / "vendor" / "minisearch" / "LICENSE.txt").is_file()


def test_previous_next_follow_reading_order(site):
    _, out, _ = site
    for i, name in enumerate(READING_ORDER):
        tags = parse(out / name).tags
        prev = [
            a["href"] for t, a in tags if t == "a" and "page-nav-prev" in (a.get("class") or "")
        ]
        nxt = [a["href"] for t, a in tags if t == "a" and "page-nav-next" in (a.get("class") or "")]
        assert prev == ([READING_ORDER[i - 1]] if i > 0 else []), name
        assert nxt == ([READING_ORDER[i + 1]] if i + 1 < len(READING_ORDER) else []), name


def test_every_internal_link_points_at_an_existing_page_and_id(site):
    _, out, _ = site
    ids = {p.name: parse(p).ids for p in out.glob("*.html")}
    checked = 0
    for page in out.glob("*.html"):
        for tag, attrs in parse(page).tags:
            href = attrs.get("href") if tag in {"a", "link"} else None
            assert not href or not href.startswith("../"), f"{page.name}: {href} leaves the site"
            if not href:
                continue
            assert not re.match(r"^[a-z]+:", href), f"{page.name}: external link {href}"
            file, _, frag = href.partition("#")
            target = file or page.name
            if target.startswith(("assets/", "tables/", "figures/")):
                assert (out / target).is_file(), href
                continue
            assert target in ids, f"{page.name}: {href} -> missing page"
            if frag:
                assert frag in ids[target], f"{page.name}: {href} -> missing id"
            checked += 1
    assert checked > 50


def test_cross_references_are_rewritten_to_the_target_page(site):
    _, out, _ = site
    hrefs = [
        a["href"]
        for t, a in parse(out / "01-intro.html").tags
        if t == "a" and "quarto-xref" in (a.get("class") or "")
    ]
    assert hrefs == [
        "02-methods.html#tbl-costs",
        "03-surveys.html#fig-maturity",
        "02-methods.html#sec-data",
        "#sec-background",  # same page: stays a fragment
    ]
    html = text_of(out / "01-intro.html")
    assert 'href="references.html#ref-kce359"' in html  # citation link to the #refs page


def _framed_tables(html: str) -> list[tuple[str, str]]:
    """(id, caption HTML) of each numbered table as Quarto prints it — the float's
    figcaption above — followed by the frame: a scroll box (a focusable region named by
    that figcaption) holding the table, named by it too."""
    found = re.findall(
        r'<div id="([^"]+)" class="quarto-float[^"]*">\s*'
        r'<figure class="quarto-float quarto-float-tbl figure">\s*'
        r'<figcaption class="quarto-float-caption-top quarto-float-caption quarto-float-tbl" '
        r'id="(\1-caption-[^"]+)">(.*?)</figcaption>\s*<div aria-describedby="\2">\s*'
        r'<div class="table-wrap">\s*'
        r'<div class="table-scroll" role="region" tabindex="0" aria-labelledby="\2">\s*'
        r'<table aria-labelledby="\2">',
        html,
        re.S,
    )
    return [(ident, caption) for ident, _cap_id, caption in found]


def test_tables_have_numbered_caption_header_cells_and_csv_link(site):
    _, out, _ = site
    html = text_of(out / "02-methods.html")
    # Quarto's table float: the caption above the table in a figcaption that describes it
    # and names its scroll box (outside the box, so never cut); the kce theme keeps its dash
    # ("Table 1 – …") where Quarto writes "Table 1: …"
    [(ident, caption_html)] = _framed_tables(html)
    assert ident == "tbl-costs"
    caption_text = re.sub(r"<[^>]+>", "", caption_html).strip()
    assert caption_text.startswith("Table 1 – Costs by region")
    assert "<caption>" not in html
    assert html.count('<th scope="col"') == 2
    assert "<th>" not in html
    assert '<a class="download" href="tables/tbl-costs.csv">Download CSV</a>' in html
    # a table without CSV data behind it gets no download link
    surveys = text_of(out / "03-surveys.html")
    assert "Table 2 – PACIC items" in re.sub(r"<[^>]+>", "", surveys)
    assert "tables/tbl-pacic.csv" not in surveys


def test_every_linked_csv_is_a_table_or_figure_of_the_book(site):
    book, out, _ = site
    linked = set()
    for page in out.glob("*.html"):
        linked |= set(re.findall(r'href="(tables|figures)/([^"]+)"', text_of(page)))
    assert linked == {
        ("tables", "tbl-costs.csv"),
        ("figures", "fig-maturity.svg"),
        ("figures", "fig-maturity.csv"),
    }
    assert {t.label for t in book.tables} == {"tbl-costs"}
    # the downloads live inside the site, so serving the site's folder alone works
    for folder, name in linked:
        assert (out / folder / name).is_file(), f"{folder}/{name}"
    assert (out / "tables" / "tbl-costs.csv").read_text() == book.tables[0].csv


def test_figures_are_copied_into_the_site_with_caption_and_alt_text(site):
    _, out, _ = site
    html = text_of(out / "03-surveys.html")
    img = next(a for t, a in parse(out / "03-surveys.html").tags if t == "img")
    assert img["src"] == "figures/fig-maturity.svg"
    assert img["alt"] == "Bar chart of median maturity per dimension"
    assert (out / "figures" / "fig-maturity.svg").read_text(encoding="utf-8") == SVG
    assert re.search(
        r'<figcaption class="quarto-float-caption-bottom quarto-float-caption quarto-float-fig"'
        r'[^>]*>\s*<span class="caption-label">Figure 1</span> – Maturity by dimension\s*'
        r"</figcaption>",
        html,
    )
    assert 'class="figure-img"' in html
    assert "data-fig-alt" not in html and "data-number" not in html


def test_free_text_from_data_is_escaped_everywhere(site):
    _, out, _ = site
    seen = 0
    for page in sorted(out.glob("*.html")):
        html = text_of(page)
        assert "<script>alert" not in html, page.name
        seen += html.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert seen >= 8  # heading, TOC, caption, cell, list of tables, colophon, glossary, byline
    data = text_of(out / "search-data.js")
    assert "<script" not in data and "\\u003cscript>alert(1)" in data


def test_headings_numbered_and_sidebar_lists_current_sections(site):
    _, out, _ = site
    html = text_of(out / "01-intro.html")
    assert '<span class="header-section-number">1.1</span> Background' in html
    nav = html.split('<nav id="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert 'href="#sec-background"' in nav and 'href="#sec-detail"' in nav
    assert 'href="#sec-data"' not in nav  # other chapters' sections are not expanded
    assert 'aria-current="page"' in nav
    assert re.search(r'<p class="toc-group">Results</p>', nav)
    assert re.search(r'<p class="toc-group">Appendices</p>', nav)
    assert re.search(r'<p class="toc-group">Front matter</p>', nav)


def test_callouts_and_key_findings_box(site):
    _, out, _ = site
    html = text_of(out / "01-intro.html")
    assert re.search(
        r'<div class="callout callout-key-findings[^"]*"[^>]*>\s*'
        r'<div class="callout-title callout-header">\s*<div class="callout-title-container">\s*'
        r"Key findings",
        html,
    )
    assert re.search(r'class="callout-title-container">\s*Reconstructed data', html)


def test_version_banner_and_footer_on_every_page(site):
    _, out, _ = site
    for page in out.glob("*.html"):
        html = text_of(page)
        assert '<span class="footer-version">1.0.0</span>' in html, page.name
        assert 'title="0123456789abcdef0123">0123456789ab</code>' in html, page.name
        assert '<a href="version-history.html">Version history</a>' in html, page.name


def test_without_history_chapter_no_history_link(tmp_path):
    book = make_book(tmp_path / "p", history=False)
    book = dataclasses.replace(book, config=dataclasses.replace(book.config, kce={}))
    write_html_site(book, tmp_path / "html", version="1.1.0+dev.3.gabc1234")
    html = text_of(tmp_path / "html" / "index.html")
    assert "version-history.html" not in html
    assert "Development build" in html and "1.1.0+dev.3.gabc1234" in html
    assert not (tmp_path / "html" / "colophon.html").exists()  # no kce: block, no front matter
    assert (tmp_path / "html" / "list-of-tables.html").exists()  # built from the xrefs


def test_front_matter_pages(site):
    _, out, _ = site
    index = text_of(out / "index.html")
    assert '<p class="cover-report">KCE Report 359</p>' in index
    assert "Health Services Research" in index
    colophon = text_of(out / "colophon.html")
    assert '<dt class="colophon-reported-interests">Reported interests</dt>' in colophon
    assert "<p>Benahmed N, Bourgeois J</p>" in colophon
    assert "<p>First paragraph.</p><p>Second one.</p>" in colophon
    assert "1.0.0 (build 0123456789ab)" in colophon
    foreword = text_of(out / "foreword.html")
    assert "<em>foreword</em>" in foreword and "&lt;script&gt;" in foreword
    assert "Christian Léonard, Deputy general director" in foreword
    assert "<strong>key</strong>" in text_of(out / "key-messages.html")
    lot = text_of(out / "list-of-tables.html")
    assert lot.index("02-methods.html#tbl-costs") < lot.index("03-surveys.html#tbl-pacic")
    abbreviations = text_of(out / "abbreviations.html")
    assert '<th scope="row">KCE</th><td>Belgian Health Care Knowledge Centre</td>' in abbreviations
    assert abbreviations.index(">GP<") < abbreviations.index(">KCE<")


def test_search_data_covers_sections_and_unique_word(site):
    _, out, _ = site
    raw = text_of(out / "search-data.js")
    docs = json.loads(raw.removeprefix("window.KCE_SEARCH_DATA = ").rstrip().removesuffix(";"))
    hits = {d["url"] for d in docs if UNIQUE_WORD in d["text"]}
    assert hits == {"03-surveys.html#sec-maturity"}
    titles = {d["title"] for d in docs}
    assert "1.1 Background" in titles and "Glossary" in titles


def test_byte_identical_rebuilds(tmp_path):
    book = make_book(tmp_path / "p")
    fm = make_front_matter()
    a = write_html_site(book, tmp_path / "a", version="1.0.0", commit="abc", front_matter=fm)
    html_fragments._FRAGMENT_CACHE.clear()  # the second build really runs pandoc again
    b = write_html_site(book, tmp_path / "b", version="1.0.0", commit="abc", front_matter=fm)
    rel_a = [p.relative_to(tmp_path / "a") for p in a]
    rel_b = [p.relative_to(tmp_path / "b") for p in b]
    assert rel_a == rel_b
    for ra in rel_a:
        assert (tmp_path / "a" / ra).read_bytes() == (tmp_path / "b" / ra).read_bytes(), ra


def test_input_book_is_not_modified(tmp_path):
    book = make_book(tmp_path / "p")
    before = json.dumps([c.ast for c in book.chapters], sort_keys=True)
    write_html_site(book, tmp_path / "out", version="1.0.0", front_matter=make_front_matter())
    assert json.dumps([c.ast for c in book.chapters], sort_keys=True) == before


def test_unknown_link_targets_are_reported(tmp_path):
    book = make_book(tmp_path / "p")
    ch = book.chapters[1]
    ast = json.loads(json.dumps(ch.ast))
    ast["blocks"].append(to_ast("[gone](#sec-nowhere)")["blocks"][0])
    chapters = (book.chapters[0], dataclasses.replace(ch, ast=ast), *book.chapters[2:])
    book = dataclasses.replace(book, chapters=chapters)
    write_html_site(book, tmp_path / "o", version="1", front_matter=make_front_matter())
    assert html_site.last_warnings() == ["chapters/01-intro.qmd: link to unknown id #sec-nowhere"]


def test_assets_are_local(site):
    _, out, _ = site
    for path in out.rglob("*"):
        if path.suffix in {".html", ".css", ".js"}:
            text = path.read_text(encoding="utf-8")
            for url in re.findall(r"""(?:src|href)=["']([^"']+)|url\(["']?([^)"']+)""", text):
                u = url[0] or url[1]
                assert not re.match(r"^(https?:)?//", u), f"{path.name}: remote asset {u}"


# --------------------------------------------------------------------------------------
# Colour contrast (WCAG 2.x formula, typed from the spec)
# --------------------------------------------------------------------------------------
def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic AA grey


TEXT_PAIRS = [
    ("text", "bg"),
    ("muted", "bg"),
    ("link", "bg"),
    ("link-hover", "bg"),
    ("header-text", "header-bg"),
    ("banner-text", "banner-bg"),
    ("link", "banner-bg"),
    ("dev-text", "dev-bg"),
    ("text", "sidebar-bg"),
    ("muted", "sidebar-bg"),
    ("link", "sidebar-bg"),
    ("text", "sidebar-current-bg"),
    ("link", "sidebar-current-bg"),
    ("muted", "sidebar-current-bg"),
    ("kf-title", "kf-bg"),
    ("text", "kf-bg"),
    ("link", "kf-bg"),
    ("th-text", "th-bg"),
    ("text", "zebra"),
    ("link", "zebra"),
    ("text", "note-bg"),
    ("text", "warn-bg"),
    ("text", "important-bg"),
    ("text", "mark-bg"),
    ("muted", "code-bg"),
    ("header-bg", "bg"),
    ("header-bg", "zebra"),
]


STYLESHEETS = {
    "default": Path(html_site.__file__).parent / "assets" / "html" / "site.css",
    "kce": builtin_theme("kce").path("html/theme.css"),
}


@pytest.mark.parametrize("theme", sorted(STYLESHEETS))
def test_theme_colours_meet_wcag_aa(theme):
    css = STYLESHEETS[theme].read_text()
    root = css.split(":root {", 1)[1].split("}", 1)[0]
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))
    for fg, bg in TEXT_PAIRS:
        ratio = contrast(colours[fg], colours[bg])
        assert ratio >= 4.5, f"--{fg} on --{bg}: {ratio:.2f} < 4.5"


def test_front_matter_is_built_from_kce_metadata_by_default(tmp_path):
    book = make_book(tmp_path / "p")
    kce = {"report-number": 359, "series": "Health Services Research", "short-title": "IC"}
    book = dataclasses.replace(book, config=dataclasses.replace(book.config, kce=kce))
    glossary = tmp_path / "p" / "data" / "glossary"
    glossary.mkdir(parents=True)
    (glossary / "abbreviations.csv").write_text(
        "abbreviation,expansion\nPACIC,Patient Assessment of Chronic Illness Care\n",
        encoding="utf-8",
    )
    (glossary / "glossary.csv").write_text("term,definition\nCase manager,A person\n")
    write_html_site(book, tmp_path / "html", version="2.0.0", commit="feedbeef")
    colophon = text_of(tmp_path / "html" / "colophon.html")
    assert "How to refer to this document" in colophon
    assert "KCE Reports 359" in colophon
    assert "Patient Assessment of Chronic Illness Care" in text_of(
        tmp_path / "html" / "abbreviations.html"
    )
    assert '<p class="cover-report">KCE Report 359</p>' in text_of(tmp_path / "html" / "index.html")


def test_list_of_tables_matches_the_tables_in_the_body(site):
    _, out, _ = site
    body_tables = []
    for name in CHAPTER_PAGES:
        for ident, caption in _framed_tables(text_of(out / name)):
            label = re.sub(r"<[^>]+>", "", caption).strip().split(" – ")[0]
            body_tables.append((f"{name}#{ident}", label))
    listed = re.findall(
        r'<a href="([^"]+)"><span class="lot-label">([^<]+)</span>',
        text_of(out / "list-of-tables.html"),
    )
    assert (
        listed
        == body_tables
        == [
            ("02-methods.html#tbl-costs", "Table 1"),
            ("03-surveys.html#tbl-pacic", "Table 2"),
        ]
    )


def test_disk_cache_runs_pandoc_only_for_changed_pages(tmp_path, monkeypatch):
    book = make_book(tmp_path / "p")
    fm = make_front_matter()
    cache = tmp_path / "cache"
    html_fragments._FRAGMENT_CACHE.clear()
    write_html_site(book, tmp_path / "a", version="1", front_matter=fm, cache_dir=cache)
    first = (tmp_path / "a" / "02-methods.html").read_bytes()

    calls: list[int] = []
    real_run = subprocess.run

    def counting_run(cmd, *args, **kwargs):
        if "lua" in cmd:  # the writer's batch (not this test's own markdown -> json calls)
            calls.append(kwargs["input"].count(b"\n"))  # one job per line
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(html_fragments.subprocess, "run", counting_run)
    html_fragments._FRAGMENT_CACHE.clear()  # as in a new process
    write_html_site(book, tmp_path / "b", version="1", front_matter=fm, cache_dir=cache)
    assert calls == []
    assert (tmp_path / "b" / "02-methods.html").read_bytes() == first

    # a prose edit in one chapter: exactly one document goes to pandoc
    ch = book.chapters[2]
    ast = json.loads(json.dumps(ch.ast))
    ast["blocks"].append(to_ast("An added sentence.")["blocks"][0])
    chapters = (*book.chapters[:2], dataclasses.replace(ch, ast=ast), *book.chapters[3:])
    html_fragments._FRAGMENT_CACHE.clear()
    edited = dataclasses.replace(book, chapters=chapters)
    write_html_site(edited, tmp_path / "c", version="1", front_matter=fm, cache_dir=cache)
    assert calls == [1]
    assert "An added sentence." in text_of(tmp_path / "c" / "02-methods.html")


def test_code_highlighting_colours_meet_wcag_aa():
    css = STYLESHEETS["default"].read_text()
    code_bg = re.search(r"--code-bg:\s*(#[0-9a-fA-F]{6})", css).group(1)
    kce_bg = re.search(r"--code-bg:\s*(#[0-9a-fA-F]{6})", STYLESHEETS["kce"].read_text())
    assert kce_bg.group(1) == code_bg  # the highlighting rules serve both themes
    rules = re.findall(r"code span\.[a-z]{2}[^{]*\{\s*color:\s*(#[0-9a-fA-F]{6})", css)
    assert len(rules) >= 8
    for colour in rules:
        assert contrast(colour, code_bg) >= 4.5, colour


def test_book_from_the_real_assembler(tmp_path):
    """Drift check: what assemble.py produces is what this writer expects."""
    assemble = pytest.importorskip("quartowrap.assemble.book")
    from quartowrap.model import ExecutedChapter

    svg = tmp_path / "fig-bars.svg"
    svg.write_text(SVG, encoding="utf-8")
    ch1 = (
        "# Findings {#sec-findings}\n\n::: {.callout-key-findings}\n- Uneven.\n:::\n\n"
        "## Costs {#sec-costs}\n\nSee @tbl-costs and @fig-bars, then @sec-more.\n\n"
        "| Region | Cost |\n|---|---:|\n| Flanders | 12 |\n\n: Costs by region {#tbl-costs}\n"
    )
    ch2 = (
        "# More {#sec-more}\n\n"
        f'![Bars by region]({svg}){{#fig-bars fig-alt="Bars, one per region"}}\n\n'
        "Back to @tbl-costs.\n"
    )
    refs = (
        ChapterRef(Path("chapters/01-findings.qmd")),
        ChapterRef(Path("chapters/02-more.qmd")),
    )
    config = BookConfig(root=tmp_path, title="T", chapters=refs, theme=builtin_theme("kce"))
    executed = [
        ExecutedChapter(
            refs[0].source,
            {},
            ch1,
            tables=(TableOutput("tbl-costs", "Costs by region", "region,cost\nFlanders,12\n"),),
        ),
        ExecutedChapter(
            refs[1].source,
            {},
            ch2,
            figures=(FigureOutput("fig-bars", "Bars by region", "Bars, one per region", svg),),
        ),
    ]
    book = assemble.assemble_book(config, executed)
    out = tmp_path / "html"
    write_html_site(book, out, version="1")
    one, two = text_of(out / "01-findings.html"), text_of(out / "02-more.html")
    plain_one = re.sub(r"<[^>]+>", "", one)
    assert "Table&nbsp;1 – Costs by region" in plain_one
    assert plain_one.count("Table&nbsp;1") == 2  # the caption and the reference, no double prefix
    assert 'href="02-more.html#fig-bars"' in one and 'href="02-more.html#sec-more"' in one
    assert 'href="01-findings.html#tbl-costs"' in two
    assert re.search(
        r'class="callout callout-key-findings[^"]*"[^>]*>\s*'
        r'<div class="callout-title callout-header">',
        one,
    )
    assert 'src="figures/fig-bars.svg"' in two and 'alt="Bars, one per region"' in two
    assert "Figure&nbsp;1 – Bars by region" in re.sub(r"<[^>]+>", "", two)
    assert '<span class="header-section-number">1.1</span> Costs' in one
    assert html_site.last_warnings() == []


def test_search_documents_follow_sections():
    from quartowrap.writers.html.search_index import docs_from_html

    html = (
        '<section id="sec-a" class="level1"><h1><span>2</span> Alpha</h1><p>Intro text.</p>'
        '<section id="sec-b" class="level2"><h2>Beta <em>part</em></h2><p>One &amp; two'
        "<script>var hidden = 1;</script></p><ul><li>item</li></ul></section>"
        '<h3 id="c">Gamma</h3><p>Tail<a class="footnote-back">\u21a9\ufe0e</a></p></section>'
    )
    docs = docs_from_html("p.html", "2 Alpha", html)
    assert [(d.url, d.title, d.text) for d in docs] == [
        ("p.html#sec-a", "2 Alpha", "Intro text."),
        ("p.html#sec-b", "Beta part", "One & two item"),
        ("p.html#c", "Gamma", "Tail"),
    ]
    assert {d.page for d in docs} == {"2 Alpha"}


def test_number_cells_and_table_layout():
    from quartowrap.tables.model import classify
    from quartowrap.writers.html.tables import with_layout

    for text in ("12", "3.92", "−1.2 [−2.0; 0.4]", "12 (4 %)", "< 0.001", "p < 0.05", "1 234"):
        assert classify(text) == "number", text
    for text in ("2, 3, 7", "", "–", "Don't know (n)", "2a", "Chapter 2"):
        assert classify(text) != "number", text

    def cell(text: str, span: int = 1) -> list:
        words = [{"t": "Str", "c": w} for w in text.split(" ")]
        inlines = [x for w in words for x in (w, {"t": "Space"})][:-1]
        return [["", [], []], {"t": "AlignDefault"}, 1, span, [{"t": "Plain", "c": inlines}]]

    left, width = {"t": "AlignLeft"}, {"t": "ColWidth", "c": 0.5}
    head = [["", [], []], [[["", [], []], [cell("Row"), cell("Brussels (n = 137)")]]]]
    rows = [[["", [], []], [cell("Group", 2)]], [["", [], []], [cell("Don't know (n)"), cell("7")]]]
    node = {
        "t": "Table",
        "c": [
            ["", [], []],
            [None, []],
            [[left, width], [left, width]],
            head,
            [[["", [], []], 0, [], rows]],
            [["", [], []], []],
        ],
    }
    _, _, specs, head, bodies, _ = with_layout(node)["c"]
    # numbers right; a text column keeps the page's default (left) alignment
    assert [s[0]["t"] for s in specs] == ["AlignDefault", "AlignRight"]
    assert all(s[1] == {"t": "ColWidthDefault"} for s in specs)  # the browser sizes columns
    inlines = head[1][0][1][1][4][0]["c"]
    header = "".join(x["c"] if x["t"] == "Str" else " " for x in inlines)
    assert header == "Brussels (n\u00a0=\u00a0137)"  # "n = 137" never breaks
    group, labels = bodies[0][3]
    assert group[1][0][1] == {"t": "AlignLeft"}  # a group row reads from the left
    assert "nowrap" in labels[1][0][0][1]  # short cells never wrap
    assert "nowrap" in labels[1][1][0][1]  # nor do numbers


def _callout_html(markdown: str) -> str:
    """One callout through html_pages._callout (the un-filtered shape) and pandoc's writer."""
    doc = json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))
    shaped = html_pages._callout(doc["blocks"][0])
    assert shaped is not None
    doc["blocks"] = [shaped]
    return pypandoc.convert_text(json.dumps(doc), "html", format="json")


def test_collapsible_callouts_fold_their_body_in_details():
    closed = _callout_html('::: {.callout-tip collapse="true"}\n## Open me\nSecret.\n:::\n')
    assert re.search(
        r'<details class="callout-collapse">\s*<summary class="callout-title callout-header">\s*'
        r'<span class="callout-title-container">Open me</span>\s*</summary>\s*'
        r'<div class="callout-body callout-body-container">\s*<p>Secret.</p>\s*</div>\s*</details>',
        closed,
    )
    opened = _callout_html('::: {.callout-note collapse="false"}\nShown.\n:::\n')
    assert '<details class="callout-collapse" open>' in opened
    assert re.search(
        r"<summary[^>]*>\s*<span class=\"callout-title-container\">Note</span>\s*</summary>", opened
    )  # the default title
    plain = _callout_html("::: {.callout-note}\nShown.\n:::\n")
    assert "<details" not in plain and "callout-style-default" in plain


def test_callout_appearance_classes():
    simple = _callout_html('::: {.callout-note appearance="simple"}\nA.\n:::\n')
    assert re.search(r'class="callout callout-note callout-style-simple"', simple)  # untitled
    minimal = _callout_html('::: {.callout-note appearance="minimal" title="T"}\nA.\n:::\n')
    assert "callout-style-minimal callout-titled" in minimal
    odd = _callout_html('::: {.callout-note appearance="loud"}\nA.\n:::\n')
    assert "callout-style-default" in odd


def test_tabset_becomes_aria_tabs_that_read_without_javascript():
    pane = {
        "t": "Div",
        "c": [
            ["", ["tab-pane"], [["tab-title", "A & B"]]],
            [
                {"t": "Para", "c": [{"t": "Strong", "c": [html_ast._str("A & B")]}]},
                {"t": "Div", "c": [["", ["tab-body"], []], []]},
            ],
        ],
    }
    named = json.loads(json.dumps(pane))
    named["c"][0][0] = "named"
    node = {"t": "Div", "c": [["", ["panel-tabset"], [["tabset-shaped", "true"]]], [pane, named]]}
    out = html_pages._tabset(node, 3)
    assert out is not None
    (ident, classes, kv), (tablist, first, second) = out["c"]
    assert (ident, classes, kv) == ("tabset-3", ["panel-tabset"], [])
    assert tablist["c"][1] == (
        '<div class="tab-list" role="tablist">'
        '<button type="button" role="tab" id="tabset-3-1-tab" aria-controls="tabset-3-1" '
        'aria-selected="true" tabindex="0">A &amp; B</button>'
        '<button type="button" role="tab" id="named-tab" aria-controls="named" '
        'aria-selected="false" tabindex="-1">A &amp; B</button></div>'
    )
    assert first["c"][0] == [
        "tabset-3-1",
        ["tab-panel"],
        [["role", "tabpanel"], ["aria-labelledby", "tabset-3-1-tab"]],
    ]
    assert second["c"][1][0]["c"][0][1] == ["tab-title"]  # the title stays for no-JS readers
    assert html_pages._tabset(out, 4) is None  # idempotent
