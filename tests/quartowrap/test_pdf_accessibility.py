"""The PDF is tagged and declares PDF/UA-1 (typst's checks on); equations carry alt text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.assemble.book import assemble_book
from quartowrap.errors import BuildError
from quartowrap.model import BookConfig, ExecutedChapter
from quartowrap.writers.frontmatter import build_front_matter
from quartowrap.writers.typst.pdf import pdf_standards, typst_source, write_pdf

ROOT = Path(__file__).resolve().parents[2]

EQUATIONS = """# Method {#sec-m}

The weight is $w_a = p_a / n$ inline, and on its own line:

$$
s = \\sum_{k=1}^{3} k \\, p_k
$$ {#eq-score}

See @eq-score.
"""


def _book(markdown: str, formats: dict | None = None, tmp: Path | None = None):
    config = BookConfig(root=ROOT, title="Accessible", date="2024", formats=formats or {})
    return assemble_book(config, [ExecutedChapter(Path("chapters/01.qmd"), {}, markdown)])


def _xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


def test_standards_option_follows_quartos_name() -> None:
    assert pdf_standards({}) == (("ua-1",), False)
    assert pdf_standards({"typst": {"pdf-standard": "a-2b"}}) == (("a-2b",), True)
    assert pdf_standards({"pdf": {"pdf-standard": ["ua-1", "a-2a"]}}) == (("ua-1", "a-2a"), True)
    assert pdf_standards({"typst": {"pdf-standard": "none"}}) == ((), True)


def test_every_equation_gets_alt_text_from_its_source() -> None:
    book = _book(EQUATIONS)
    source = typst_source(book, build_front_matter(book, version="1"))
    alts = re.findall(r'#set math\.equation\(alt: "([^"]*)"\)', source)
    assert alts == ["w_a = p_a / n", "s = \\\\sum_{k=1}^{3} k \\\\, p_k"]


def test_pdf_declares_pdf_ua_1_and_is_tagged(tmp_path: Path) -> None:
    out = tmp_path / "a.pdf"
    warnings = write_pdf(_book(EQUATIONS), out, version="1.0.0")
    assert warnings == []
    reader = PdfReader(out)
    root = reader.trailer["/Root"]
    assert "<pdfuaid:part>1</pdfuaid:part>" in _xmp(reader)
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert str(root["/Lang"]).startswith("en")
    assert reader.metadata.title == "Accessible"


def test_an_image_without_alt_text_gives_a_plain_pdf_and_a_warning(tmp_path: Path) -> None:
    svg = tmp_path / "x.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10">'
        '<rect width="20" height="10"/></svg>',
        encoding="utf-8",
    )
    markdown = f"# Pictures\n\nA picture with no description:\n\n![]({svg})\n"
    out = tmp_path / "b.pdf"
    warnings = write_pdf(_book(markdown), out, version="1.0.0", roots=(tmp_path,))
    assert out.is_file() and len(warnings) == 1
    assert "not PDF/UA-1" in warnings[0] and "missing alt text" in warnings[0]
    assert "pdfuaid" not in _xmp(PdfReader(out))
    # asked for explicitly, the standard is a requirement: the build fails and says why
    explicit = _book(markdown, {"typst": {"pdf-standard": "ua-1"}})
    with pytest.raises(BuildError) as error:
        write_pdf(explicit, tmp_path / "c.pdf", version="1.0.0", roots=(tmp_path,))
    assert "missing alt text" in str(error.value)
    assert not (tmp_path / "c.pdf").exists()


def test_bookmarks_have_a_space_after_the_number_and_front_matter_is_roman(
    tmp_path: Path,
) -> None:
    out = tmp_path / "d.pdf"
    write_pdf(_book(EQUATIONS + "\n## Breadth of ambition\n\nText.\n"), out, version="1.0.0")
    reader = PdfReader(out)

    def titles(items: list) -> list[str]:
        found: list[str] = []
        for item in items:
            found += titles(item) if isinstance(item, list) else [item.title]
        return found

    assert {"1 Method", "1.1 Breadth of ambition"} <= set(titles(reader.outline))
    labels = reader.page_labels
    body = labels.index("1")
    assert body > 0 and labels[:body] == ["i", "ii", "iii", "iv", "v", "vi"][:body]
    assert labels[body:] == [str(n) for n in range(1, len(labels) - body + 1)]
