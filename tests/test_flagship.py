"""The flagship report renders from a clean copy with --strict, and reads like a KCE report.

One cold render (every chapter executed) of the tracked files, shared by the checks: a
broken reference, a failing cell or a figure without alt text anywhere in the book fails
this module.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.commands.render import RenderResult

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def flagship(flagship_render: RenderResult) -> RenderResult:
    """The session's one cold render of the flagship (tests/conftest.py)."""
    return flagship_render


@pytest.fixture(scope="module")
def pdf_pages(flagship: RenderResult) -> list[str]:
    [pdf] = flagship.release_dir.glob("kce-report-359-*.pdf")
    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def test_strict_render_has_no_warnings(flagship: RenderResult) -> None:
    assert flagship.warnings == []


def test_colophon_and_running_header(pdf_pages: list[str]) -> None:
    front = "\n".join(pdf_pages[:6])
    for field in ("Title", "Authors", "Disclaimer", "How to refer to this document", "Version"):
        assert field in front, f"colophon field {field!r} missing"
    body = [text for text in pdf_pages if re.search(r"Table\s\d+\s*[–-]", text)]
    assert body and all("KCE Report 359" in text for text in body)


def test_tables_are_numbered_consecutively_through_the_book(
    flagship: RenderResult, pdf_pages: list[str]
) -> None:
    manifest = json.loads((flagship.release_dir / "manifest.json").read_text())
    numbers = [int(t["number"].split()[-1]) for t in manifest["tables"]]
    assert numbers == list(range(1, len(numbers) + 1))
    text = "\n".join(pdf_pages)
    for number in (1, len(numbers)):
        assert re.search(rf"Table {number}\s*[–-]", text), f"Table {number} caption in the PDF"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.csv_links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.endswith(".csv"):
            self.csv_links.append(href)


def test_every_csv_linked_from_the_html_exists(flagship: RenderResult) -> None:
    site = flagship.release_dir / "html"
    linked = 0
    for page in site.glob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.csv_links:
            assert (site / href).resolve().is_file(), f"{page.name}: {href}"
            linked += 1
    tables = list((flagship.release_dir / "tables").glob("*.csv"))
    assert linked >= len(tables) > 40


def test_every_internal_link_resolves(flagship: RenderResult, check_links) -> None:  # type: ignore[no-untyped-def]
    problems, checked = check_links(flagship.release_dir / "html")
    assert problems == [], "\n".join(problems)
    assert checked > 100


def test_reconstructed_data_are_labelled(flagship: RenderResult, pdf_pages: list[str]) -> None:
    text = " ".join(" ".join(pdf_pages).split()).lower()
    assert "reconstructed" in text
    survey = (flagship.release_dir / "html" / "03-surveys.html").read_text(encoding="utf-8")
    assert "RECONSTRUCTED" in survey.upper()


def test_pdf_is_tagged_and_declares_pdf_ua_1(flagship: RenderResult) -> None:
    """typst's PDF/UA-1 checks ran and passed: every figure and equation has alt text."""
    [pdf] = flagship.release_dir.glob("kce-report-359-*.pdf")
    reader = PdfReader(pdf)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert "/StructTreeRoot" in reader.trailer["/Root"]


def test_no_glyph_prints_under_6_pt(flagship: RenderResult, glyphs_under) -> None:  # type: ignore[no-untyped-def]
    """Figures are drawn at the width they print at: none is shrunk until its text is tiny."""
    [pdf] = flagship.release_dir.glob("kce-report-359-*.pdf")
    small = glyphs_under(pdf, 6.0)
    pages = Counter(page for page, _, _ in small)
    assert small == [], f"{len(small)} glyphs under 6 pt, per page: {dict(pages)}"


def test_pacic_figure_legend_names_the_answers_as_the_caption_does(
    flagship: RenderResult,
) -> None:
    svg = (flagship.release_dir / "figures" / "fig-pacic-items.svg").read_text(encoding="utf-8")
    for answer in ("Never", "Generally not", "Sometimes", "Most of the time", "Always"):
        assert f">{answer}<" in svg or f"<!-- {answer} -->" in svg, answer


def test_html_figures_carry_the_book_font(flagship: RenderResult) -> None:
    """An <img> SVG cannot use the page's fonts: each figure embeds the faces it uses."""
    figures = sorted((flagship.release_dir / "html" / "figures").glob("*.svg"))
    assert figures
    for svg in figures:
        text = svg.read_text(encoding="utf-8")
        assert "'Source Sans 3'" in text, f"{svg.name}: figure text not in the book font"
        assert 'src: url("data:font/woff2;base64,' in text, f"{svg.name}: font not embedded"


def _pdf(flagship: RenderResult) -> Path:
    [pdf] = flagship.release_dir.glob("kce-report-359-*.pdf")
    return pdf


def test_no_text_prints_over_other_text(flagship: RenderResult, pdf_checks) -> None:  # type: ignore[no-untyped-def]
    """Table columns are measured in the font they print in: no header label runs into the
    next ("RegioNever (%)"), no item label into the region column."""
    overlaps = pdf_checks["overlaps"](_pdf(flagship))
    pages = Counter(page for page, _ in overlaps)
    assert overlaps == [], f"{len(overlaps)} overlapping glyph pairs, per page: {dict(pages)}"


def test_nothing_runs_off_a_page(flagship: RenderResult, pdf_checks) -> None:  # type: ignore[no-untyped-def]
    """A float that lands where it does not fit is neither cut by the page's edge nor
    printed past it (the action network's legend once printed below the footer)."""
    off = pdf_checks["off_page"](_pdf(flagship))
    assert off == [], (
        f"{len(off)} glyphs at or past a page's edge: {dict(Counter(p for p, _ in off))}"
    )


def test_no_table_goes_on_with_a_single_row(flagship: RenderResult, pdf_checks) -> None:  # type: ignore[no-untyped-def]
    parts = pdf_checks["continued"](_pdf(flagship))
    assert len(parts) >= 5  # the long tables do go on (the check sees them)
    assert [p for p in parts if p[2] < 2] == []


def test_pacic_item_tables_print_across_the_page(flagship: RenderResult) -> None:
    """Ten columns do not fit a text column: the five PACIC item tables span the page."""
    import pdfplumber

    widths = []
    with pdfplumber.open(_pdf(flagship)) as document:
        for page in document.pages:
            for line in page.extract_text_lines():
                if re.match(r"Table\s\d+ [–-] PACIC items on ", line["text"]):
                    rules = [
                        r["x1"] - r["x0"]
                        for r in page.lines
                        if 0 < r["top"] - line["bottom"] < 40 and abs(r["x0"] - line["x0"]) < 3
                    ]
                    widths.append(max(rules, default=0))
    assert len(widths) == 5
    assert all(w > 600 for w in widths), widths  # the text column is 354 pt wide


def test_no_body_page_is_mostly_empty_unless_it_ends_a_chapter(
    flagship: RenderResult,
    pdf_checks,  # type: ignore[no-untyped-def]
) -> None:
    """A page-wide table floats: text flows before it instead of leaving the page blank."""
    assert pdf_checks["underfilled"](_pdf(flagship), 0.4) == []


def test_figures_print_in_their_order(flagship: RenderResult) -> None:
    """Page-wide and column figures float, but never past each other (reading order: a
    page-wide float at the top of its page, then the left column, then the right)."""
    import pdfplumber

    found = []
    with pdfplumber.open(_pdf(flagship)) as document:
        for number, page in enumerate(document.pages, start=1):
            words = page.extract_words()
            for k, word in enumerate(words[:-2]):
                label, dash = words[k + 1], words[k + 2]
                if word["text"] == "Figure" and label["text"].isdigit() and dash["text"] == "–":
                    column = 0 if word["x0"] < page.width / 2 else 1
                    found.append(((number, column, word["top"]), int(label["text"])))
    order = list(dict.fromkeys(n for _where, n in sorted(found)))
    assert len(order) >= 9
    assert order == sorted(order)
