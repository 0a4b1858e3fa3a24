"""The HTML table printer and frame: what never wraps, header cells that name something, and
the caption outside a focusable, named scroll box (the browser checks are in
test_html_browser.py and test_flagship_html.py)."""

from __future__ import annotations

import json
import re

import pypandoc
from quartowrap.tables import html as table_html
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Cell, Row, Table
from quartowrap.writers.html.tables import framed


def _html(node: dict) -> str:
    doc = {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": [node]}
    return pypandoc.convert_text(
        json.dumps(doc), "html5", format="json", extra_args=["--wrap=none"]
    )


def _table(head: list[str], rows: list[list[str]]) -> Table:
    return Table([Row([Cell(h) for h in head])], [Row([Cell.of(t) for t in r]) for r in rows])


def _caption(text: str) -> list:
    return [None, [{"t": "Plain", "c": [{"t": "Str", "c": text}]}]]


def test_an_empty_header_corner_is_a_cell_not_a_nameless_header() -> None:
    table = _table(["", "Flanders (n = 802)"], [["Age 18-24", "1.75"]])
    html = _html(table_html.to_pandoc(table, layout(table), ["", [], []], [None, []]))
    heads = re.findall(r"<th[^>]*>[^<]*</th>", html.split("</thead>")[0])
    assert heads[0].startswith("<th") and 'role="cell"' in heads[0] and heads[0].endswith("></th>")
    assert "role" not in heads[1] and "Flanders" in heads[1]


def test_reference_lists_may_wrap_between_numbers_but_quantities_never() -> None:
    refs = "237; 240; 241; 242; 243; 244; 215"
    table = _table(
        ["Model", "KCE refs", "M (SD)", "Difference"],
        [["Alzira model (a long text label)", refs, "1.76 (1.09)", "\u22121.2 [\u22122; 0]"]],
    )
    node = table_html.to_pandoc(table, layout(table), ["", [], []], [None, []])
    cells = node["c"][4][0][3][0][1]
    classes = [cell[0][1] for cell in cells]
    assert classes[1] == []  # a list of reference numbers: breaks after a semicolon
    assert "nowrap" in classes[2] and "nowrap" in classes[3]  # "M (SD)", a CI: whole


def test_the_caption_sits_outside_a_named_focusable_scroll_box() -> None:
    table = _table(["Region", "n"], [["Brussels", "65"]])
    node = table_html.to_pandoc(table, layout(table), ["tbl-x", [], []], _caption("Respondents"))
    html = _html(framed(node, [{"t": "Para", "c": [{"t": "Str", "c": "CSV"}]}]))
    frame = re.fullmatch(
        r'<div id="tbl-x" class="table-wrap">\s*'
        r'<div id="tbl-x-caption" class="table-caption">\s*Respondents\s*</div>\s*'
        r'<div class="table-scroll" role="region" tabindex="0" aria-labelledby="tbl-x-caption">\s*'
        r'<table aria-labelledby="tbl-x-caption">(.*?)</table>\s*</div>\s*<p>CSV</p>\s*</div>\s*',
        html,
        re.S,
    )
    assert frame is not None, html
    assert "<caption>" not in frame.group(1)


def test_an_unlabelled_table_is_named_by_its_caption_text_or_as_a_table() -> None:
    table = _table(["Region", "n"], [["Brussels", "65"]])
    captioned = table_html.to_pandoc(table, layout(table), ["", [], []], _caption("Who & where"))
    html = _html(framed(captioned))
    assert '<div class="table-caption">' in html
    assert 'role="region" tabindex="0" aria-label="Who &amp; where"' in html
    bare = _html(framed(table_html.to_pandoc(table, layout(table), ["", [], []], [None, []])))
    assert "table-caption" not in bare and 'aria-label="Table"' in bare


def test_in_a_float_the_frame_has_no_caption_and_is_named_by_the_figcaption() -> None:
    table = _table(["Region", "n"], [["Brussels", "65"]])
    node = table_html.to_pandoc(table, layout(table), ["tbl-x", [], []], _caption("Respondents"))
    html = _html(framed(node, labelled_by="tbl-x-cap"))
    assert "table-caption" not in html and "Respondents" not in html
    assert 'id="tbl-x"' not in html  # the float carries the id
    assert re.match(
        r'<div class="table-wrap">\s*'
        r'<div class="table-scroll" role="region" tabindex="0" aria-labelledby="tbl-x-cap">\s*'
        r'<table aria-labelledby="tbl-x-cap">',
        html,
    ), html
