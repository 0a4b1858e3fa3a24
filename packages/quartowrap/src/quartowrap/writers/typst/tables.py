"""Tables in the PDF: every pandoc Table of the book printed as typst from the table model.

Before pandoc writes typst, each Table is replaced by the blocks `quartowrap.tables.typst`
prints (raw typst frame, cells as pandoc inlines that pandoc escapes), inside a Div that
typst.lua places: `.quartowrap-table`, plus `.wide` for a table printed across the page.
Where it goes, at which size and in which parts is `placement.place`'s decision, measured
in the theme's table font; each part of a table cut into parts is a Div of its own (each
page-wide part floats on its own page). A `.column-page` / `.wide` Div holding only tables
(and their notes) lets each table float on its own; one holding other content too is placed
as a whole, and marked `qw-long` when a table in it may not fit a page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quartowrap.model import PrintGeometry
from quartowrap.tables import build
from quartowrap.tables import typst as table_typst
from quartowrap.tables.fonts import TableFont
from quartowrap.tables.html import column_widths
from quartowrap.tables.layout import layout
from quartowrap.tables.model import Table
from quartowrap.tables.pandoc import glue
from quartowrap.writers.typst.placement import place, sub_table, table_font

Node = dict[str, Any]

# The KCE page, for callers that do not say which theme prints the tables.
KCE_PAGE = PrintGeometry(
    column_width=354, page_width=740, text_height=482, table_size=8.5, table_min_size=7
)
WIDE_CLASSES = frozenset({"wide", "column-page"})
NOTE_STARTS = ("Source:", "Sources:", "Note:", "Notes:")


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


def _is_note(block: Node) -> bool:
    if block.get("t") != "Para" or not block["c"]:
        return False
    first = block["c"][0]
    if first.get("t") in {"Emph", "Strong"} and first["c"]:
        first = first["c"][0]
    return first.get("t") == "Str" and first["c"] in NOTE_STARTS


def _is_cell_wrapper(block: Any) -> bool:
    """Quarto's `div.cell` / `div.cell-output…` around a cell's outputs (execute/weave.py):
    structure for the HTML only, so the PDF looks through them (typst.lua drops them)."""
    if not isinstance(block, dict) or block.get("t") != "Div":
        return False
    classes = block["c"][0][1]
    return "cell" in classes or "cell-output" in classes


def _unwrapped(blocks: list[Any]) -> list[Any]:
    """`blocks` with every cell wrapper replaced by its content."""
    out: list[Any] = []
    for block in blocks:
        out += _unwrapped(block["c"][1]) if _is_cell_wrapper(block) else [block]
    return out


def _only_tables(div: Node) -> bool:
    """A page-wide Div (`column: page`) holding tables and their notes only (inside a
    cell's output wrappers or not)."""
    content = _unwrapped(div["c"][1])
    return (
        _is_wide(div["c"][0])
        and not div["c"][0][0]
        and any(b.get("t") == "Table" for b in content)
        and all(b.get("t") == "Table" or _is_note(b) for b in content)
    )


def _lift_heading(before: list[Node], pieces: list[Node]) -> None:
    """A section heading right before a page-wide table floats with it, at its top: left
    behind, it would print alone at the foot of a column, or after the table."""
    first = pieces[0] if pieces else None
    if not (before and first and first.get("t") == "Div" and "wide" in first["c"][0][1]):
        return
    if before[-1].get("t") == "Header" and before[-1]["c"][0] > 1:
        first["c"][1].insert(0, before.pop())


class _Printer:
    def __init__(
        self,
        models: dict[str, dict[str, Any]],
        geometry: PrintGeometry,
        font: TableFont,
        delim: str = ":",
    ) -> None:
        self.delim = delim
        self.models = models
        self.geometry = geometry
        self.font = font
        self.long = False  # a long table was printed since the flag was reset

    def table(self, node: Node, in_wide: bool, own_floats: bool) -> list[Node]:
        """The table's Divs: one per part (column group × page part), first part labelled."""
        attr, caption = node["c"][0], node["c"][1]
        ident, _classes, kvs = attr
        table = _model(node, self.models)
        wide = _is_wide(attr) or in_wide
        decision = place(table, self.geometry, self.font, wide=wide)
        page = decision.where == "page"
        if in_wide and not own_floats:  # placed with the content around it
            shape = layout(table, self.font)
            self.long = self.long or shape.estimated_height(table, decision.width) > (
                0.9 * self.geometry.text_height - 30
            )
        size = None if decision.size == self.font.size else decision.size
        label = ident if table_typst.LABEL.fullmatch(ident or "") else ""
        xref = dict(kvs).get("xref-label")
        out: list[Node] = []
        # placed with other content (typst.lua: one float, or one-column pages when long):
        # the table flows as one, breaking where its page ends, rather than in parts cut
        # for floats of their own, which would stack up and break again inside a row
        flows = in_wide and not own_floats
        parts = ((0, len(table.body)),) if flows else decision.parts
        pieces = [(g, p) for g in decision.groups for p in parts]
        for k, (columns, rows) in enumerate(pieces):
            whole = len(decision.groups) == 1
            part = table if whole else sub_table(table, columns)
            shape = decision.layout if whole else layout(part, decision.layout.font)
            blocks = table_typst.to_blocks(
                part,
                shape,
                width_pt=decision.width,
                ident=ident,
                xref_label=xref,
                caption=_caption_inlines(caption),
                size=size,
                continued=k > 0,
                rows=rows,
                notes=k == len(pieces) - 1,
                # flows across columns or pages: never a single row on either side
                pair_rows=not page or flows,
                delim=self.delim,
                colwidths=column_widths(attr, part.ncols) if whole else None,
            )
            classes = ["quartowrap-table", *(["wide"] if page and not in_wide else [])]
            if in_wide and own_floats and page:
                classes.append("wide")
            # typst.lua notes the id for its link check only when the label was printed
            out.append({"t": "Div", "c": [[label if k == 0 else "", classes, []], blocks]})
        return out

    def walk(self, value: Any, in_wide: bool = False, own_floats: bool = False) -> Any:
        if isinstance(value, list):
            out: list[Any] = []
            # a cell's wrappers are looked through, so that a heading before the cell is
            # seen next to the table it may float with
            blocks = _unwrapped(value) if any(_is_cell_wrapper(v) for v in value) else value
            for v in blocks:
                if isinstance(v, dict) and v.get("t") == "Table":
                    _lift_heading(out, pieces := self.table(v, in_wide, own_floats))
                    out += pieces
                elif isinstance(v, dict) and v.get("t") == "Div" and _only_tables(v):
                    # only tables and their notes across the page: each table placed (and
                    # floated) on its own; no block around them, which would hold the floats
                    pieces = self.walk(v["c"][1], True, True)
                    _lift_heading(out, pieces)
                    out += pieces
                else:
                    out.append(self.walk(v, in_wide, own_floats))
            return out
        if not isinstance(value, dict) or "t" not in value:
            return value
        t = value["t"]
        if t == "Div" and _is_wide(value["c"][0]):
            content = value["c"][1]
            before, self.long = self.long, False
            content = self.walk(content, True)
            attr = value["c"][0]
            if self.long:
                attr = [attr[0], attr[1], [*attr[2], ["qw-long", "1"]]]
            self.long = before or self.long
            return {"t": "Div", "c": [attr, content]}
        if t in {"Div", "BlockQuote", "BulletList", "OrderedList", "Figure", "DefinitionList"}:
            return {**value, "c": self.walk(value["c"], in_wide, own_floats)}
        return value


def print_tables(
    blocks: list[Node],
    models: dict[str, dict[str, Any]],
    geometry: PrintGeometry | None = None,
    theme_root: Path | None = None,
    delim: str = ":",
) -> list[Node]:
    """`blocks` with every Table printed from its model (`models`: the cells' models by id),
    placed on the page `geometry` describes (the theme's; fonts relative to `theme_root`);
    `delim` follows "Table N" in captions."""
    geometry = geometry or KCE_PAGE
    return _Printer(models, geometry, table_font(geometry, theme_root), delim).walk(blocks)
