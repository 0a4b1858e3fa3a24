"""Print the table model as a pandoc Table (JSON) for pandoc's HTML writer.

Only printing: alignment and what never wraps come from `layout`. Text from data becomes
`Str` nodes, which pandoc escapes; content an author wrote in markdown keeps its parsed blocks.
Column widths are left to the browser (`ColWidthDefault`): it measures in the real fonts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from quartowrap.tables.layout import SHORT_LABEL, Layout
from quartowrap.tables.model import Cell, Row, Table
from quartowrap.tables.pandoc import Node, glue, glue_all, text_inlines

# left is the page's default: no inline style on every cell of a text column
_ALIGN = {"left": "AlignDefault", "right": "AlignRight", "center": "AlignCenter"}
_NO_ATTR: list[Any] = ["", [], []]
# a list of whole numbers ("223; 257; 258; 259", reference numbers): it may wrap after a
# separator, as a line of text would; each number stays whole
_LIST = re.compile(r"\d+(?:\s*;\s*\d+)+")


def cell_blocks(cell: Cell) -> list[Node]:
    """A cell's content as pandoc blocks: its parsed blocks, or its text (styled) as Plain."""
    if cell.blocks is not None:
        return glue_all(cell.blocks)
    inlines = glue(text_inlines(cell.text))
    if not inlines:
        return []
    if cell.style == "strong":
        inlines = [{"t": "Strong", "c": inlines}]
    elif cell.style == "emph":
        inlines = [{"t": "Emph", "c": inlines}]
    return [{"t": "Plain", "c": inlines}]


def _cell(cell: Cell, layout: Layout, group: bool, head: bool) -> list[Any]:
    classes = []
    short = len(cell.text) <= SHORT_LABEL
    if (
        not head
        and not group
        and (short or (cell.kind == "number" and not _LIST.fullmatch(cell.text)))
    ):
        classes.append("nowrap")  # "Don't know (n)", "< 0.001": never wraps
    align = "AlignDefault"
    if group:
        align = "AlignLeft"
    elif head and cell.colspan > 1:
        align = _ALIGN[layout.spanner_align]
    blocks = cell_blocks(cell)
    # An empty header cell (the corner above a stub) heads nothing: an ordinary cell, not an
    # empty `th` that a screen reader would announce as a nameless column header.
    empty = all(b.get("t") in {"Plain", "Para"} and not b["c"] for b in blocks)
    kvs = [["role", "cell"]] if head and empty else []
    return [["", classes, kvs], {"t": align}, 1, cell.colspan, blocks]


def _row(row: Row, layout: Layout, head: bool = False) -> list[Any]:
    return [_NO_ATTR, [_cell(c, layout, row.group, head) for c in row.cells]]


def _notes(table: Table) -> list[str]:
    """Notes and source, printed under the body (a table's own, e.g. a GT source note)."""
    return [*table.notes, *([table.source] if table.source else [])]


def _bodies(table: Table, layout: Layout) -> list[Any]:
    """One table body; with a stub, one per group, the group row as its heading row (pandoc
    does not let a body row span the stub's row headers)."""
    if not table.stub:
        return [[_NO_ATTR, 0, [], [_row(r, layout) for r in table.body]]]
    bodies: list[Any] = []
    for row in table.body:
        if row.group or not bodies:
            bodies.append([_NO_ATTR, table.stub, [], []])
        if row.group:
            bodies[-1][2].append(_row(row, layout))
        else:
            bodies[-1][3].append(_row(row, layout))
    return bodies


def column_widths(attr: list[Any], ncols: int) -> list[float] | None:
    """Quarto's `tbl-colwidths="[75,25]"` as fractions of the table's width (None when
    absent, not a list of positive numbers, or not one per column)."""
    raw = dict(attr[2]).get("tbl-colwidths") if attr and len(attr) > 2 else None
    try:
        values = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != ncols:
        return None
    if not all(isinstance(v, int | float) and v > 0 for v in values):
        return None
    total = float(sum(values))
    return [v / total for v in values]


def to_pandoc(table: Table, layout: Layout, attr: list[Any], caption: list[Any]) -> Node:
    """The pandoc Table node for `table`, with `attr` and `caption` as the document has them;
    `tbl-colwidths` becomes the columns' widths (a `colgroup`), as in Quarto."""
    widths = column_widths(attr, len(layout.columns))
    colspecs = [
        [{"t": _ALIGN[c.align]}, {"t": "ColWidth", "c": w} if w else {"t": "ColWidthDefault"}]
        for c, w in zip(layout.columns, widths or [None] * len(layout.columns), strict=True)
    ]
    if attr and len(attr) > 2:
        attr = [attr[0], attr[1], [kv for kv in attr[2] if kv[0] != "tbl-colwidths"]]
    head = [_NO_ATTR, [_row(r, layout, head=True) for r in table.head]]
    bodies = _bodies(table, layout)
    foot = [
        _NO_ATTR,
        [
            _row(Row([Cell(note, colspan=table.ncols)], group=True), layout)
            for note in _notes(table)
        ],
    ]
    return {"t": "Table", "c": [attr, caption, colspecs, head, bodies, foot]}
