"""PDF writer: KCE layout facts checked in the PDF itself (pypdf), escaping, determinism."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest
from pypdf import PdfReader
from quartowrap.assemble.book import assemble_book
from quartowrap.model import BookConfig, ChapterRef, ExecutedChapter
from quartowrap.writers.typst.pdf import write_pdf

matplotlib.use("svg")
import matplotlib.pyplot as plt

HOSTILE = "#set page(width: 1cm) $x$ @ref <script>alert(1)</script>"
BIB = """@article{smith2020,
  author = {Smith, John}, title = {Integrated care in practice},
  journal = {Int J Integr Care}, year = {2020}, volume = {20}, pages = {1--10}
}
"""
KCE = {
    "report-number": 359,
    "series": "Health Services Research",
    "short-title": "Integrated care placeholder",
    "reviewers": ["Reviewer Placeholder"],
    "acknowledgements": HOSTILE,
    "legal-depot": "D/0000/00.000/00",
    "key-messages": ["A key message that says \\#set and \\$5 literally."],
}


def _chapters(svg: Path) -> list[ExecutedChapter]:
    rows = "\n".join(f"| Row {i} | {i * 7} |" for i in range(90))
    ch1 = f"""# Introduction {{#sec-intro}}

::: {{.callout-key-findings}}
- Finding one [@smith2020].
:::

See @tbl-small and @fig-bars.

| Item | Count |
|------|------:|
| a    | 1     |

: Small table {{#tbl-small}}

Source: constructed for this test.

![Bars by group]({svg}){{#fig-bars fig-alt="Three bars"}}
"""
    ch2 = f"""# Results

| Item | Count |
|------|------:|
{rows}

: Long table {{#tbl-long}}

Free text from a stakeholder: \\#set page(width: 1cm) \\$x\\$ \\@ref \\<script\\>
"""
    refs = "# References {.unnumbered}\n\n::: {#refs}\n:::\n"
    return [
        ExecutedChapter(Path("chapters/01.qmd"), {}, ch1),
        ExecutedChapter(Path("chapters/02.qmd"), {}, ch2),
        ExecutedChapter(Path("references.qmd"), {}, refs),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf")
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(["a", "b", "c"], [3, 5, 2])
    svg = tmp / "bars.svg"
    fig.savefig(svg, metadata={"Date": None})
    plt.close(fig)
    (tmp / "refs.bib").write_text(BIB, encoding="utf-8")
    refs = (
        ChapterRef(Path("chapters/01.qmd")),
        ChapterRef(Path("chapters/02.qmd")),
        ChapterRef(Path("references.qmd"), numbered=False),
    )
    config = BookConfig(
        root=Path(__file__).resolve().parents[2],  # the repo's data/glossary CSVs
        title="Towards integrated care in Belgium",
        subtitle="Placeholder subtitle",
        authors=("Nadia Benahmed",),
        date="2022",
        chapters=refs,
        bibliography=(tmp / "refs.bib",),
        kce=KCE,
    )
    book = assemble_book(config, _chapters(svg), strict=True)
    out = tmp / "book.pdf"
    write_pdf(book, out, version="1.0.0", commit="0123456789abcdef", roots=(tmp,))
    reader = PdfReader(out)
    # pypdf reports some spaces as NO-BREAK SPACE and hyphenation as SOFT HYPHEN + newline
    # (and the gap after a heading number, a box inset plus a space, as two spaces)
    pages = [
        re.sub(r"(?<=\d)  (?=\S)", " ", p.extract_text().replace("\xa0", " ").replace("\xad\n", ""))
        for p in reader.pages
    ]
    return book, out, reader, pages


def _page_with(pages: list[str], needle: str) -> int:
    return next(i for i, text in enumerate(pages) if needle in text)


def test_captions_numbered_table_above_figure_below(built):
    _, _, _, pages = built
    body = "\n".join(pages[_page_with(pages, "1 Introduction") :])
    assert "Table 1 – Small table" in body
    assert "Table 2 – Long table" in body
    assert "Figure 1 – Bars by group" in body
    intro = pages[_page_with(pages, "Table 1 – Small table")]
    # caption above the table: the caption precedes the header row in reading order
    assert intro.index("Table 1 – Small table") < intro.index("Item")


def test_running_header_on_body_pages(built):
    _, _, _, pages = built
    results = _page_with(pages, "Row 0")
    assert "KCE Report 359" in pages[results]
    assert "Integrated care placeholder" in pages[results]
    assert "KCE Report 359" not in pages[1]  # colophon page has no running header


def test_cover_colophon_and_lists(built):
    _, _, _, pages = built
    assert "KCE Report 359" in pages[0] and "HEALTH SERVICES RESEARCH" in pages[0]
    colophon = pages[1]
    for label in ("Title", "Authors", "Reviewers", "Legal depot", "How to refer to this document"):
        assert label in colophon
    assert "1.0.0 (build 0123456789ab)" in colophon
    tables_list = pages[_page_with(pages, "List of tables")]
    assert "Small table" in tables_list and "Long table" in tables_list
    abbreviations = pages[_page_with(pages, "List of abbreviations")]
    assert "Scaling Integrated Care in Context" in abbreviations


def test_long_table_breaks_with_repeated_header(built):
    _, _, _, pages = built
    with_rows = [t for t in pages if "Row " in t]
    assert len(with_rows) >= 2  # 90 rows do not fit one page
    assert all("Item" in t and "Count" in t for t in with_rows)


def _text_at(page) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on a pypdf page, in user space (y up)."""
    runs: list[tuple[float, float, str]] = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            runs.append((x, y, text))

    page.extract_text(visitor_text=visit)
    return runs


def test_long_table_says_continued_on_later_columns_and_pages_only(built):
    _, _, reader, pages = built
    first = _page_with(pages, "Row 0")
    last = _page_with(pages, "Row 89")
    assert last > first  # 90 rows run onto a second page
    half = float(reader.pages[first].mediabox.width) / 2
    runs = _text_at(reader.pages[first])
    caption = next((x, y) for x, y, t in runs if "Long table" in t)
    row0 = next((x, y) for x, y, t in runs if "Row 0" in t)
    assert caption[0] < half and row0[0] < half  # the table starts in the left column
    continued = [(x, y) for x, y, t in runs if "continued" in t]
    # not where the table starts: only at the top of the right column it flows into
    assert continued and all(x > half for x, _ in continued)
    assert all(y > row0[1] for _, y in continued)
    for number in range(first + 1, last + 1):
        assert "Table 2 (continued)" in pages[number]
        runs = _text_at(reader.pages[number])
        top = max(y for x, y, t in runs if "continued" in t)
        header = max(y for x, y, t in runs if t.strip() == "Item" or t.startswith("Item"))
        assert top > header  # above the repeated header row
    # the short table never breaks, so it never says it is continued
    assert "Table 1 (continued)" not in "\n".join(pages)


def test_first_cell_starting_with_a_dot_and_unnumbered_tables_compile(tmp_path):
    # the start marker precedes the first cell's text: ".first" must stay text, not be read
    # as a field of the marker
    markdown = (
        "# C\n\n| Step | Count |\n|---|---:|\n| .first step | 1 |\n\n: Steps {#tbl-steps}\n\n"
        "| Plain | Count |\n|---|---:|\n| unnumbered | 2 |\n"
    )
    config = BookConfig(root=Path(__file__).resolve().parents[2], title="T", date="2022", kce=KCE)
    book = assemble_book(config, [ExecutedChapter(Path("chapters/01.qmd"), {}, markdown)])
    out = tmp_path / "b.pdf"
    write_pdf(book, out, version="1")
    text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
    assert ".first step" in text and "unnumbered" in text and "continued" not in text


def test_hostile_text_is_literal(built):
    _, _, _, pages = built
    everything = "\n".join(pages)
    assert HOSTILE in everything.replace("\n", " ")  # colophon: from metadata strings
    assert "#set page(width: 1cm) $x$ @ref <script>" in everything  # chapter text
    assert "#set and $5 literally" in everything  # key message (markdown)


def test_numeric_citation_and_reference_list(built):
    _, _, _, pages = built
    assert "Finding one [1]" in "\n".join(pages)
    refs = pages[_page_with(pages, "Integrated care in practice")]
    assert "1. Smith J. Integrated care in practice." in refs


def test_outline_bookmarks_and_embedded_fonts(built):
    _, _, reader, _ = built
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert any(t.startswith("1") and "Introduction" in t for t in titles)
    assert "Table of contents" in titles
    fonts = set()
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (
                font.get("/FontDescriptor")
                or (font["/DescendantFonts"][0].get_object()["/FontDescriptor"])
            )
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts.add(str(font["/BaseFont"]))
    assert any("SourceSans3" in f for f in fonts), fonts


def test_two_builds_are_byte_identical(built, tmp_path, monkeypatch):
    book, built_pdf, _, _ = built
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1650000000")
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    roots = (built_pdf.parent,)  # where the fixture's figure lies
    write_pdf(book, first, version="1.0.0", roots=roots)
    write_pdf(book, second, version="1.0.0", roots=roots)
    assert first.read_bytes() == second.read_bytes()
    assert b"2022" in first.read_bytes()  # the build date is SOURCE_DATE_EPOCH's


def test_landscape_a4(built):
    _, _, reader, _ = built
    box = reader.pages[3].mediabox
    assert round(float(box.width)) == 842 and round(float(box.height)) == 595


def _source_for(tmp_path: Path, markdown: str, kce: dict | None = None) -> str:
    """The typst source pandoc writes for a one-chapter book (no compile: fast)."""
    from quartowrap.writers.frontmatter import build_front_matter
    from quartowrap.writers.typst.pdf import typst_source

    config = BookConfig(
        root=Path(__file__).resolve().parents[2], title="T", date="2022", kce=kce or KCE
    )
    chapter = ExecutedChapter(Path("chapters/01.qmd"), {}, markdown)
    book = assemble_book(config, [chapter])
    return typst_source(book, build_front_matter(book, version="1"))


def test_wide_tables_float_and_a_long_one_floats_in_parts_with_its_header(tmp_path):
    """A page-wide table floats across both columns (text flows before it); one taller than
    a page is cut into parts that each float, the later ones marked "(continued)", so no
    page is left half empty before it; its note stays with its last part."""
    short = "| A | B |\n|---|---|\n| 1 | 2 |\n\n: Short {#tbl-short}\n"
    rows = "\n".join(f"| {i} | {i} |" for i in range(60))
    long = f"| A | B |\n|---|---|\n{rows}\n\n: Long {{#tbl-long}}\n"
    source = _source_for(
        tmp_path,
        f"# C\n\n::: {{.column-page}}\n{short}:::\n\n::: {{.column-page}}\n{long}:::\n\n"
        "Source: a note that stays with its table.\n\nAfter.\n",
    )
    assert "#qw-wide-page[" not in source
    short_at, long_at = source.index("Table~1 -- Short"), source.index("Table~2 -- Long")
    assert source.rfind("#qw-wide[", 0, short_at) > source.rfind("end of qw-wide", 0, short_at)
    floats = source[source.rfind("#qw-wide[", 0, long_at) :].split("] // end of qw-wide")
    parts = [f for f in floats if "table.header(" in f]
    assert len(parts) >= 2
    assert all("[A], [B]" in part for part in parts)  # the header in every part
    assert 'qw-continued("Table\u00a02", "tbl-long", always: true)' in parts[1]
    assert "<tbl-long>" in parts[0] and "<tbl-long>" not in parts[1]  # one label
    assert "[1], [1]" in parts[0] and "[59], [59]" in parts[-1]
    note_at = source.index("Source: a note")
    assert source.rfind("#qw-table-notes[", 0, note_at) > source.rfind("[59], [59]", 0, note_at)
    assert source.index("] // end of qw-wide", note_at) < source.index("After.")


def test_key_messages_section_moves_to_front_matter(tmp_path):
    kce = {k: v for k, v in KCE.items() if k != "key-messages"}
    kce["chapter-authors"] = {"chapters/01.qmd": "Placeholder A, Placeholder B"}
    source = _source_for(
        tmp_path,
        "# Preface\n\n## Key messages {.unnumbered}\n\n- First *message*.\n- Second.\n\n"
        "## Other\n\nBody text.\n",
        kce,
    )
    front, body = source.split("#qw-front(", 1)[1].split("))", 1)
    assert "First #emph[message]." in front and "Second." in front
    assert "Key messages" not in body and "Body text." in body
    assert "Authors: Placeholder A, Placeholder B" in body


def _table_call(source: str, caption: str) -> str:
    """The `#table(...)` call of the figure captioned `caption` in the typst source."""
    end = source.index(caption)
    return source[source.rfind("#table(", 0, end) : end]


def test_number_columns_right_aligned_and_sized_to_their_content(tmp_path):
    table = (
        "| Item | Row | Brussels (n = 137) | p |\n|:---|:---|:---|:---|\n"
        "| Professional category | Don't know (n) | 12.50 | < 0.001 |\n"
        "| Readiness to change | 1 (%) | 3.92 | 0.04 |\n"
        "| Process coordination | Missing (n) | – | 1 |\n\n: Numbers {#tbl-n}\n"
    )
    call = _table_call(_source_for(tmp_path, f"# C\n\n{table}"), "Table~1 -- Numbers")
    # explicit `:---` (tabulate writes it for every column) does not keep numbers left
    assert "align: (left,left,right,right," in call  # (then the zero-width pairing column)
    # "n = 137" and "know (n)" never break: no-break spaces (typst writes them as `~`)
    assert "(n~=~137)" in call and "know~\\(n)" in call
    spec = call.split("columns: (", 1)[1].split(")", 1)[0]
    widths = [float(w) for w in re.findall(r"([\d.]+)%", spec)]
    assert len(widths) == 4 and abs(sum(widths) - 100) < 0.1
    # the text column is wider than each number column; the label column fits
    # "Don't know (n)" (14 characters of ~3.9pt in a 354pt column: about 16 %)
    assert widths[0] > widths[2] and widths[0] > widths[3]
    assert widths[1] >= 15


def test_document_number_lists_stay_left_and_group_rows_read_from_the_left(tmp_path):
    grid = (
        "+-----+--------+\n| No. | Docs   |\n+=====+========+\n"
        "| Federal level|\n+-----+--------+\n"
        "| 1   | 2, 3   |\n+-----+--------+\n| 2   | 4      |\n+-----+--------+\n"
    )
    call = _table_call(_source_for(tmp_path, f"# C\n\n{grid}\n: Lists {{#tbl-l}}\n"), "Lists")
    assert "align: (right,left," in call
    # the group row spans both columns and the zero-width column that pairs rows
    assert "table.cell(align: left, colspan: 3)" in call


def test_note_floats_with_its_wide_table_and_heading_goes_with_a_long_one(tmp_path):
    short = "| A | B |\n|---|---|\n| 1 | 2 |\n\n: Short {#tbl-short}\n"
    rows = "\n".join(f"| {i} | {i} |" for i in range(40))
    long = f"| A | B |\n|---|---|\n{rows}\n\n: Long {{#tbl-long}}\n"
    source = _source_for(
        tmp_path,
        f"# C\n\nText.\n\n::: {{.column-page}}\n{short}:::\n\nSource: short note.\n\n"
        f"## In full\n\n::: {{.column-page}}\n{long}:::\n",
    )
    note_at = source.index("Source: short note.")
    assert source.index("] // end of qw-wide", note_at) > note_at  # inside the float
    assert source.rfind("#qw-wide[", 0, note_at) > source.rfind("] // end of qw-wide", 0, note_at)
    # the heading floats at the top of the long table's first part, not stranded before it
    heading_at = source.index("In full")
    float_at = source.rfind("#qw-wide[", 0, heading_at)
    assert float_at > source.rfind("] // end of qw-wide", 0, heading_at)
    assert heading_at < source.index("Table~2 -- Long") < source.index("] // end", heading_at)


def test_a_computed_wide_table_in_quartos_cell_wrappers_floats_in_parts(tmp_path):
    """A `column: page` cell's table arrives inside Quarto's `div.cell` and
    `div.cell-output` (execute/weave.py): the PDF looks through them, so a long table
    still floats in parts of its own (never one block on one-column pages that breaks
    anywhere) and the section heading before the cell floats with its first part."""
    rows = "\n".join(f"| {i} | {i} |" for i in range(60))
    long = f"| A | B |\n|---|---|\n{rows}\n\n: Long {{#tbl-long}}\n"
    cell = (
        "::::: {#cell-tbl-long .cell}\n\n::: {.column-page}\n\n"
        f":::: {{.cell-output .cell-output-display}}\n\n{long}\n::::\n\n:::\n\n:::::\n"
    )
    source = _source_for(tmp_path, f"# C\n\nText.\n\n## In full\n\n{cell}\nAfter.\n")
    assert "#qw-wide-page[" not in source
    floats = source.split("#qw-wide[")[1:]
    parts = [f for f in floats if "table.header(" in f]
    assert len(parts) >= 2
    assert all(part.index("] // end of qw-wide") > part.index("table.header(") for part in parts)
    assert "In full" in parts[0].split("] // end of qw-wide")[0]
    # the label as crossref.lua writes it: "Table", a no-break space, the number
    assert 'qw-continued("Table\u00a01", "tbl-long", always: true)' in parts[1]


def test_a_long_table_placed_with_other_content_breaks_between_pairs_of_whole_rows(
    tmp_path, pdf_checks
):
    """A page-wide block holding a paragraph and a long table goes on one-column pages: the
    table flows as one (no parts cut for floats stacked on those pages), its header and
    "Table N (continued)" repeated on each page, and no page holds a single row of it."""
    rows = "\n".join(
        f"| {i} | Een titel in de oorspronkelijke taal, lang genoeg om te lezen {i} |"
        for i in range(90)
    )
    markdown = (
        "# C\n\nText before.\n\n::: {.column-page}\nA paragraph placed with the table.\n\n"
        f"| No. | Title |\n|---:|---|\n{rows}\n\n: The documents {{#tbl-docs}}\n:::\n\nAfter.\n"
    )
    source = _source_for(tmp_path, markdown)
    assert "#qw-wide-page[" in source
    assert source.count("table.header(") == 1  # one table, not parts
    assert "breakable: false, inset: 0pt" in source  # rows bound in pairs
    config = BookConfig(root=Path(__file__).resolve().parents[2], title="T", date="2022", kce=KCE)
    book = assemble_book(config, [ExecutedChapter(Path("chapters/01.qmd"), {}, markdown)])
    out = tmp_path / "long.pdf"
    write_pdf(book, out, version="1")
    parts = pdf_checks["continued"](out)
    assert parts, "the table goes on over a page (the check sees it)"
    assert [p for p in parts if p[2] < 2] == []


def test_no_text_outside_the_page_margins(built):
    _, _, reader, _ = built
    outside, seen = [], []
    for number, page in enumerate(reader.pages[1:], start=2):  # the cover bleeds on purpose
        width, height = float(page.mediabox.width), float(page.mediabox.height)

        def visit(text, cm, tm, _font, size, number=number, width=width, height=height):
            if not text.strip():
                return
            seen.append(text)
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            # 1.8 cm side margins (51 pt); a line's start may not lie beyond them
            if not (49 <= x <= width - 51 and 0 <= y <= height):
                outside.append((number, round(x), round(y), text[:30]))

        page.extract_text(visitor_text=visit)
    assert len(seen) > 100 and outside == []


def test_group_row_is_a_subheader_kept_with_its_first_row(tmp_path):
    grid = (
        "+-----+--------+\n| No. | Docs   |\n+=====+========+\n"
        "| Federal level|\n+-----+--------+\n"
        "| 1   | 2, 3   |\n+-----+--------+\n| 2   | 4      |\n+-----+--------+\n"
    )
    call = _table_call(_source_for(tmp_path, f"# C\n\n{grid}\n: Lists {{#tbl-l}}\n"), "Lists")
    # a level-2 header is never set at the foot of a column without the row that follows it
    # across both columns and the zero-width column that binds rows in pairs
    assert "table.header(level: 2, repeat: false, table.cell(align: left, colspan: 3)" in call
    assert call.index("Federal level") < call.index("[1], [2, 3]")


def test_column_figure_floats_whole_and_its_note_goes_with_it(tmp_path):
    markdown = (
        '# C\n\n![Bars](bars.png){#fig-b fig-alt="Bars"}\n\nSource: a figure note.\n\nAfter.\n'
    )
    source = _source_for(tmp_path, markdown)
    figure_at = source.index("Figure~1 -- Bars")
    assert source.rfind("#qw-column-figure[", 0, figure_at) > 0
    assert '#qw-image("bars.png", width: 100%, alt: "Bars", fit: true' in source
    note_at = source.index("Source: a figure note.")
    assert note_at < source.index("] // end of qw-column-figure") < source.index("After.")


def _image_boxes(page) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of every image XObject drawn on `page`, from its content stream."""
    boxes, stack, ctm = [], [], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]

    def mul(m, n):
        return [
            m[0] * n[0] + m[1] * n[2],
            m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4],
            m[4] * n[1] + m[5] * n[3] + n[5],
        ]

    def visit(op, args, cm, tm):
        nonlocal ctm
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = mul([float(a) for a in args], ctm)
        elif op == b"Do":
            xobject = page["/Resources"]["/XObject"][args[0]].get_object()
            if xobject["/Subtype"] == "/Image":
                xs, ys = (ctm[4], ctm[4] + ctm[0]), (ctm[5], ctm[5] + ctm[3])
                boxes.append((min(xs), min(ys), max(xs), max(ys)))

    page.extract_text(visitor_operand_before=visit)
    return boxes


@pytest.mark.slow
def test_tall_column_figure_after_page_wide_float_is_whole_with_its_caption(tmp_path):
    """A page-wide float shortens the columns of its page: a tall column figure deferred to
    that page must still fit (typst sets a float that fits no column in an empty one anyway)."""
    from PIL import Image

    png = tmp_path / "tall.png"
    Image.new("RGB", (400, 600), (0, 97, 110)).save(png)
    text = " ".join(["Words that fill the column before the figure."] * 100)
    rows = "\n".join(f"| Row {i} | {i} | {i * 2} |" for i in range(10))
    markdown = (
        f'# C\n\n{text}\n\n![A tall figure]({png}){{#fig-tall fig-alt="Tall"}}\n\n'
        f"::: {{.column-page}}\n| A | B | C |\n|---|---|---|\n{rows}\n\n: Wide {{#tbl-w}}\n:::\n\n"
        + "\n\n".join([text] * 4)
    )
    config = BookConfig(root=Path(__file__).resolve().parents[2], title="T", date="2022", kce=KCE)
    book = assemble_book(config, [ExecutedChapter(Path("chapters/01.qmd"), {}, markdown)])
    out = tmp_path / "tall.pdf"
    write_pdf(book, out, version="1", roots=(tmp_path,))
    reader = PdfReader(out)
    pages = [p.extract_text() for p in reader.pages]
    at = _page_with(pages, "Figure 1 – A tall figure")
    [box] = _image_boxes(reader.pages[at])
    bottom_margin, top_margin = 48.2, 65.2  # 1.7 cm and 2.3 cm (kce.typ)
    assert box[1] >= bottom_margin - 1 and box[3] <= 595.3 - top_margin + 1, box
    # the caption lies under the image, inside the text area of the same page
    captions = []

    def visit(text, cm, tm, _font, _size):
        # the caption's line ("Figure\u00a01" comes as its own run of text before it)
        if "A tall figure" in text:
            captions.append(tm[5] * cm[3] + cm[5])

    reader.pages[at].extract_text(visitor_text=visit)
    assert captions and bottom_margin - 1 <= captions[0] < box[1], (captions, box)


def test_wide_table_is_cut_into_page_parts_by_estimated_height_not_row_count(tmp_path):
    # 18 one-line rows and a header: about 19 x 13pt = 250pt, one float fits (482pt text area)
    short_rows = "\n".join(f"| {i} | {i} |" for i in range(18))
    # 6 rows whose text wraps to ~10 lines each at half the page width: far taller than a page
    words = " ".join(["integrated care for chronic patients"] * 25)
    tall_rows = "\n".join(f"| {words} | {words} |" for i in range(6))
    source = _source_for(
        tmp_path,
        f"# C\n\n::: {{.column-page}}\n| A | B |\n|---|---|\n{short_rows}\n\n: Many {{#tbl-m}}\n"
        f":::\n\n::: {{.column-page}}\n| A | B |\n|---|---|\n{tall_rows}\n\n"
        ": Tall {#tbl-t}\n:::\n",
    )
    assert 'qw-continued("Table\u00a01", "tbl-m", always: true)' not in source  # one float
    # six rows of about ten lines each: more than a page, so in parts of whole rows
    parts = source.count('qw-continued("Table\u00a02", "tbl-t", always: true)')
    assert 1 <= parts <= 5


def test_list_in_a_table_cell_keeps_its_first_item_whole(tmp_path):
    grid = (
        "+-------+-------------------------------+\n| Phase | Components                    |\n"
        "+=======+===============================+\n"
        "| One   | - a first item that wraps     |\n|       |   onto a second line          |\n"
        "|       | - a second item               |\n+-------+-------------------------------+\n"
    )
    call = _table_call(_source_for(tmp_path, f"# C\n\n{grid}\n: Steps {{#tbl-s}}\n"), "Steps")
    # pandoc's own "[- a first item\n  onto…" ends the item at the line break in typst
    assert "#list([a first item that wraps onto a second line], [a second item])" in " ".join(
        call.split()
    )
