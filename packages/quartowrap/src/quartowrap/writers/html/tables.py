"""Tables in HTML: the page's pandoc Table printed from the table model (`quartowrap.tables`).

Layout (alignment, what never wraps, group rows) is decided once in `quartowrap.tables.layout`;
this module only finds the model of a table — the cell's own (kernel) model merged with the
content pandoc parsed, or the parsed table alone for a table written in prose.
"""

from __future__ import annotations

from typing import Any

from quartowrap.tables import build
from quartowrap.tables import html as table_html
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Table
from quartowrap.tables.pandoc import glue_all
from quartowrap.writers.html.pandoc_ast import Node

__all__ = ["glue_all", "table_model", "with_layout"]


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
