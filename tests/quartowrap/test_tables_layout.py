"""Layout decided once on the model, and printers that only print it (escaping included)."""

from __future__ import annotations

import json

import pypandoc
import pytest
from quartowrap.tables import html as table_html
from quartowrap.tables import typst as table_typst
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Cell, Row, Table

HOSTILE = '<script>alert(1)</script> #read("/etc/passwd") $x$ *y* @ref'


def _table(rows: list[list[str]], head: list[str] | None = None) -> Table:
    header = head or [f"C{k}" for k in range(len(rows[0]))]
    return Table([Row([Cell(h) for h in header])], [Row([Cell.of(t) for t in r]) for r in rows])


def test_number_columns_right_aligned_text_left_explicit_centre_kept():
    table = _table([["Brussels", "12.5", "2, 3", "x"], ["Flanders", "< 0.001", "4", "y"]])
    table.align = [None, None, None, "center"]
    assert [c.align for c in layout(table).columns] == ["left", "right", "left", "center"]
    # an author's "left" on a number column does not keep digits unaligned
    table.align = [None, "left", None, None]
    assert layout(table).columns[1].align == "right"


def test_widths_come_from_content():
    long_text = "integrated care for people with chronic conditions in their own territory"
    table = _table([["Brussels", long_text, "12 (4 %)"], ["Flanders", "short", "1 (0 %)"]])
    shape = layout(table)
    label, text, number = shape.columns
    assert label.min_chars == label.max_chars == len("Flanders")  # a short label: whole
    assert text.min_chars == len("conditions") + 1  # its longest word (bold/capitals margin)
    assert number.numeric and number.min_chars == number.max_chars == len("12 (4 %)")
    widths = shape.widths(354)
    assert abs(sum(widths) - 1) < 1e-3
    assert widths[1] > widths[0] > widths[2] * 0.5 and widths[1] > widths[2]


def test_a_number_cell_never_wraps_even_in_a_tight_table():
    table = _table([["A long label that wraps over lines", "1 234 (12.5 %)"]])
    shape = layout(table)
    # even in a very narrow table the number column keeps room for its whole number
    narrow = shape.widths(120)
    room_chars = (120 * narrow[1] - 8) / 3.9
    assert room_chars >= len("1 234 (12.5 %)") * 0.9
    # and the printers forbid the break: no-break spaces in typst, `nowrap` in HTML
    blocks = table_typst.to_blocks(table, shape, width_pt=120)
    inlines = blocks[0]["c"]
    number = [el for el in inlines if el.get("t") == "Str" and el["c"] in {"234", "(12.5", "%)"}]
    assert number and not any(
        el.get("t") == "Space"
        for el in inlines[inlines.index(number[0]) : inlines.index(number[-1])]
    )
    node = table_html.to_pandoc(table, shape, ["", [], []], [None, []])
    number_cell = node["c"][4][0][3][0][1][1]
    assert "nowrap" in number_cell[0][1]


def test_group_rows_read_from_the_left_and_stay_with_their_first_row():
    group = Row([Cell("Federal level", "text", "strong", colspan=2)], group=True)
    table = Table([Row([Cell("No."), Cell("Docs")])], [group, Row([Cell.of("1"), Cell.of("2, 3")])])
    shape = layout(table)
    html_node = table_html.to_pandoc(table, shape, ["", [], []], [None, []])
    group_cell = html_node["c"][4][0][3][0][1][0]
    assert group_cell[1] == {"t": "AlignLeft"} and group_cell[3] == 2
    source = _typst(table)
    assert "table.header(level: 2, repeat: false, table.cell(align: left, colspan: 2)[" in source
    assert source.index("Federal level") < source.index("[1], [2, 3]")


def _typst(table: Table, **kwargs) -> str:
    blocks = table_typst.to_blocks(table, layout(table), width_pt=354, **kwargs)
    doc = {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": blocks}
    return pypandoc.convert_text(
        json.dumps(doc), "typst", format="json", extra_args=["--wrap=preserve"]
    )


def _html(table: Table) -> str:
    node = table_html.to_pandoc(table, layout(table), ["", [], []], [None, []])
    doc = {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": [node]}
    return pypandoc.convert_text(json.dumps(doc), "html", format="json")


@pytest.fixture
def hostile() -> Table:
    return _table([[HOSTILE, "1"]], head=[HOSTILE, "n"])


def test_html_printer_escapes_text_from_data(hostile):
    out = _html(hostile)
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert (
        "*y*" in out and "<em>" not in out and '#read("/etc/passwd")' in out.replace("&quot;", '"')
    )


def test_typst_printer_escapes_text_from_data(hostile):
    source = _typst(hostile, ident="tbl-h", xref_label="Table 1", caption=[{"t": "Str", "c": "C"}])
    body = source.split("table.hline()", 1)[1]
    assert '\\#read(\\"/etc/passwd\\")' in body and "\\$x\\$" in body and "\\*y\\*" in body
    assert "\\@ref" in body and "\\<script\\>" in body
    assert "#read(" not in body.replace("\\#read(", "")
    assert '#qw-continued("Table 1", "tbl-h")' in source and "<tbl-h>" in source


def test_typst_hostile_text_prints_literally_in_a_pdf(tmp_path, hostile):
    typst = pytest.importorskip("typst")
    from pypdf import PdfReader

    (tmp_path / "main.typ").write_text(_typst(hostile), encoding="utf-8")
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(typst.compile(str(tmp_path / "main.typ"), root=str(tmp_path)))
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert '#read("/etc/passwd")' in text.replace("\u201c", '"').replace("\u201d", '"')
    assert "$x$" in text and "*y*" in text and "<script>" in text


def test_glued_pieces_are_measured_as_one_word():
    # "(n = 865)" cannot break (no-break spaces), so its column needs all of it
    table = _table([["a", "1"], ["b", "865"]], head=["Item", "Total (n = 865)"])
    assert layout(table).columns[1].min_chars == len("(n = 865)") + 1


def test_a_table_too_wide_for_its_place_lets_numbers_wrap_rather_than_overprint():
    table = _table([[f"{k}.5 ({k}.25)" for k in range(10)]])
    shape = layout(table)
    assert shape.fits(740) and not shape.fits(200)
    tight = table_typst.to_blocks(table, shape, width_pt=200)[0]["c"]
    assert any(el.get("t") == "Space" for el in tight)  # breakable: no overprinting
    roomy = table_typst.to_blocks(table, shape, width_pt=740)[0]["c"]
    assert not any(el.get("t") == "Space" for el in roomy)


def test_a_line_break_in_a_grid_header_is_glued_like_a_space():
    from quartowrap.tables.pandoc import glue

    inlines = [{"t": "Str", "c": "pathway"}, {"t": "SoftBreak"}, {"t": "Str", "c": "(FR)"}]
    assert glue(inlines)[1] == {"t": "Str", "c": "\u00a0"}  # printed as it is measured


def test_typst_label_for_every_table_with_a_printable_id():
    table = _table([["a", "1"]])
    assert "<tbl-u>" in _typst(table, ident="tbl-u")  # unnumbered: labelled, no "continued"
    assert "qw-continued(" not in _typst(table, ident="tbl-u")
    assert "<" not in _typst(table, ident="bad id").split("kind: table", 1)[1]
