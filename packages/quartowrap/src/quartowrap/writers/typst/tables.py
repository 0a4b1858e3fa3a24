"""Tables in the PDF: every pandoc Table of the book printed as typst from the table model.

Before pandoc writes typst, each Table is replaced by the blocks `quartowrap.tables.typst`
prints (raw typst frame, cells as pandoc inlines that pandoc escapes), inside a Div that
typst.lua places: `.quartowrap-table` (plus `.wide` for a page-wide table) and `qw-long`
when the table is too tall to float (it then gets one-column pages of its own). A `.column-page`
/ `.wide` Div holding a long table is marked `qw-long` too.
"""

from __future__ import annotations

from typing import Any

from quartowrap.tables import build
from quartowrap.tables import typst as table_typst
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Table
from quartowrap.tables.pandoc import glue

Node = dict[str, Any]

COLUMN_PT = 354  # one text column of the landscape page
PAGE_PT = 740  # both columns (wide tables and figures)
FLOAT_MAX_PT = 360  # taller than this at the page width: one-column pages, not a float
WIDE_CLASSES = frozenset({"wide", "column-page"})


def _is_wide(attr: list[Any]) -> bool:
    _ident, classes, kvs = attr
    return bool(WIDE_CLASSES & set(classes)) or ["column", "page"] in kvs


def _model(node: Node, models: dict[str, dict[str, Any]]) -> Table:
    parsed = build.from_pandoc(node)
    kernel = models.get(node["c"][0][0])
    if kernel is None:
        return parsed
    try:
        return build.merge(Table.from_json(kernel), parsed)
    except (KeyError, TypeError, ValueError):
        return parsed


def _caption_inlines(caption: list[Any]) -> list[Node]:
    inlines: list[Node] = []
    for block in caption[1]:
        if block.get("t") in {"Plain", "Para"}:
            inlines += ([{"t": "Space"}] if inlines else []) + block["c"]
    return glue(inlines)


class _Printer:
    def __init__(self, models: dict[str, dict[str, Any]]) -> None:
        self.models = models
        self.long = False  # a long table was printed since the flag was reset

    def table(self, node: Node, in_wide: bool) -> Node:
        attr, caption = node["c"][0], node["c"][1]
        ident, _classes, kvs = attr
        own_wide = _is_wide(attr)
        table = _model(node, self.models)
        shape = layout(table)
        long = shape.estimated_height(table, PAGE_PT) > FLOAT_MAX_PT
        self.long = self.long or long
        blocks = table_typst.to_blocks(
            table,
            shape,
            width_pt=PAGE_PT if (own_wide or in_wide) else COLUMN_PT,
            ident=ident,
            xref_label=dict(kvs).get("xref-label"),
            caption=_caption_inlines(caption),
        )
        div_classes = ["quartowrap-table", *(["wide"] if own_wide else [])]
        div_kvs = [["qw-long", "1"]] if long else []
        # typst.lua notes the id for its link check only when the label was printed
        label = ident if table_typst.LABEL.fullmatch(ident or "") else ""
        return {"t": "Div", "c": [[label, div_classes, div_kvs], blocks]}

    def walk(self, value: Any, in_wide: bool = False) -> Any:
        if isinstance(value, list):
            return [self.walk(v, in_wide) for v in value]
        if not isinstance(value, dict) or "t" not in value:
            return value
        t = value["t"]
        if t == "Table":
            return self.table(value, in_wide)
        if t == "Div" and _is_wide(value["c"][0]):
            before, self.long = self.long, False
            content = self.walk(value["c"][1], True)
            attr = value["c"][0]
            if self.long:
                attr = [attr[0], attr[1], [*attr[2], ["qw-long", "1"]]]
            self.long = before or self.long
            return {"t": "Div", "c": [attr, content]}
        if t in {"Div", "BlockQuote", "BulletList", "OrderedList", "Figure", "DefinitionList"}:
            return {**value, "c": self.walk(value["c"], in_wide)}
        return value


def print_tables(blocks: list[Node], models: dict[str, dict[str, Any]]) -> list[Node]:
    """`blocks` with every Table printed from its model (`models`: the cells' models by id)."""
    return _Printer(models).walk(blocks)
