"""Tables in HTML: the page's pandoc Table printed from the table model (`quartowrap.tables`).

Layout (alignment, what never wraps, group rows) is decided once in `quartowrap.tables.layout`;
this module finds the model of a table — the cell's own (kernel) model merged with the
content pandoc parsed, or the parsed table alone for a table written in prose — and frames it:
the caption above and outside a scroll box, so a table wider than the screen scrolls while
its caption stays whole and in view (site.css and site.js size the box and draw the cue).
"""

from __future__ import annotations

from typing import Any

from quartowrap.tables import build
from quartowrap.tables import html as table_html
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Table
from quartowrap.tables.pandoc import glue_all, stringify
from quartowrap.writers.html.pandoc_ast import Node

__all__ = ["framed", "glue_all", "table_model", "with_layout"]


def table_model(node: Node, kernel: dict[str, Any] | None = None) -> Table:
    """The model of the pandoc Table `node`; `kernel` is the cell's model (JSON), if any."""
    parsed = build.from_pandoc(node)
    if kernel is None:
        return parsed
    try:
        return build.merge(Table.from_json(kernel), parsed)
    except (KeyError, TypeError, ValueError):  # a model of another schema: the parse stands
        return parsed


def with_layout(node: Node, kernel: dict[str, Any] | None = None) -> Node:
    """`node` printed again from its model: alignment, no-wrap cells, group rows, stub."""
    table = table_model(node, kernel)
    attr, caption = node["c"][0], node["c"][1]
    return table_html.to_pandoc(table, layout(table), attr, caption)


def framed(table: Node, after: list[Node] | None = None, *, labelled_by: str | None = None) -> Node:
    """`table` in its frame: `div.table-wrap` holding the caption, the scroll box and `after`
    (the CSV link).  Alone, the frame carries the table's id (a link shows the caption);
    inside a numbered float (`labelled_by`: the id of the float's figcaption) it holds no
    caption of its own — the float's figcaption, above and outside it, names the table.

    The scroll box is a named region that takes keyboard focus (a reader scrolls it with the
    arrow keys); site.js drops the focus stop from boxes that have nothing to scroll.  The
    table keeps its accessible name through `aria-labelledby`, as it no longer holds a
    `<caption>`.
    """
    (ident, classes, kvs), (_short, caption), *rest = table["c"]
    blocks: list[Node] = []
    name: list[list[str]] = []
    if labelled_by:
        ident = ""
        name = [["aria-labelledby", labelled_by]]
    elif caption and ident:
        caption_id = f"{ident}-caption"
        blocks.append({"t": "Div", "c": [[caption_id, ["table-caption"], []], caption]})
        name = [["aria-labelledby", caption_id]]
    elif caption:
        blocks.append({"t": "Div", "c": [["", ["table-caption"], []], caption]})
        name = [["aria-label", stringify(caption)]]
    bare = {"t": "Table", "c": [["", classes, [*kvs, *name]], [None, []], *rest]}
    region = [["role", "region"], ["tabindex", "0"], *(name or [["aria-label", "Table"]])]
    blocks.append({"t": "Div", "c": [["", ["table-scroll"], region], [bare]]})
    return {"t": "Div", "c": [[ident, ["table-wrap"], []], [*blocks, *(after or [])]]}
