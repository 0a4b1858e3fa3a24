"""Where a table goes in the PDF, decided from its measured widths and the theme's page.

In order of preference, as a typesetter would:

1. in the text column, when every column gets its minimum width there (and the column
   does not make it much taller than it would be across the page);
2. across both columns (a page-wide float at the top of a page, text flowing before it);
3. the same at a smaller font, down to the theme's smallest table size (7 pt);
4. only then in column groups: each group repeats the stub (the row labels) and fits the
   page; a group after the first is "Table N (continued)".

A page-wide table taller than a page is cut into parts that each float on a page of their
own, the header repeated and "Table N (continued)" above every part after the first; a
part never holds a single row, and a group row, or a row-label cell with the rows under it
that leave that cell empty, stays with the rows it heads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Literal

from quartowrap.model import PrintGeometry
from quartowrap.tables.fonts import TableFont
from quartowrap.tables.layout import INSET_PT, Layout, layout
from quartowrap.tables.model import Row, Table
from quartowrap.tables.typst import row_label_groups

# A table in the column may be this much taller than across the page before it goes wide:
# past that its text columns wrap into slivers.
CRAMPED = 2.2
# Room a float leaves for the table on a page: the text height less its caption (two lines)
# and clearance, with a margin for what the height estimate misses.
CAPTION_PT, FLOAT_SHARE = 30.0, 0.85
MAX_GROUP = 6  # rows kept together under one row label at most (longer ones may break)


@dataclass(frozen=True)
class Placement:
    """The decision for one table: where, at which size, in which parts.

    `groups`: the columns each column group prints (the stub first; one group = all);
    `parts`: the body rows (start, end) of each page float (one part: the whole body).
    """

    where: Literal["column", "page"]
    size: float
    layout: Layout
    width: float
    groups: tuple[tuple[int, ...], ...]
    parts: tuple[tuple[int, int], ...]


def table_font(geometry: PrintGeometry, root: Path | None = None) -> TableFont:
    """The theme's table font (`root`: the theme folder its font files are relative to)."""

    def path(rel: str | None) -> Path | None:
        return (root / rel) if (root is not None and rel) else None

    return TableFont(geometry.table_size, path(geometry.table_regular), path(geometry.table_bold))


def _shrunk(shape: Layout, width: float, smallest: float) -> Layout:
    """`shape` at the largest size (quarter points, not under `smallest`) that fits `width`."""
    insets = shape.min_width() - sum(c.low for c in shape.columns)
    text = shape.min_width() - insets
    size = shape.font.size * (width - insets) / text if text > 0 else shape.font.size
    size = max(smallest, min(shape.font.size, math.floor(size * 4) / 4))
    return shape.scaled(size)


def column_groups(table: Table, shape: Layout, width: float) -> tuple[tuple[int, ...], ...]:
    """Columns of each group that fits `width`, the stub (at least the first column)
    repeated in each; a header cell over several columns is never cut."""
    n = len(shape.columns)
    stub = list(range(min(n, max(1, table.stub))))
    need = [c.low + INSET_PT for c in shape.columns]
    # blocks of columns no spanner crosses
    cut = set(range(len(stub), n + 1))
    for row in table.head:
        col = 0
        for cell in row.cells:
            for inner in range(col + 1, col + cell.colspan):
                cut.discard(inner)
            col += cell.colspan
    edges = sorted(cut)
    blocks = [list(range(a, b)) for a, b in pairwise(edges)]
    room = width - sum(need[k] for k in stub)
    groups: list[list[int]] = []
    used = math.inf
    for block in blocks:
        w = sum(need[k] for k in block)
        if used + w > room and (not groups or groups[-1]):
            groups.append([])
            used = 0.0
        groups[-1] += block
        used += w
    return tuple(tuple(stub + g) for g in groups if g) or (tuple(range(n)),)


def sub_table(table: Table, columns: tuple[int, ...]) -> Table:
    """`table` with only `columns` (a spanner keeps the part of its span that is printed)."""
    keep = set(columns)

    def cut(row: Row) -> Row:
        if row.group:
            cell = row.cells[0]
            return Row(
                [type(cell)(cell.text, cell.kind, cell.style, len(columns), cell.blocks)], True
            )
        cells, col = [], 0
        for cell in row.cells:
            span = len(keep & set(range(col, col + cell.colspan)))
            if span:
                cells.append(type(cell)(cell.text, cell.kind, cell.style, span, cell.blocks))
            col += cell.colspan
        return Row(cells)

    align = [table.align[k] if k < len(table.align) else None for k in columns]
    stub = sum(1 for k in columns if k < table.stub)
    return Table(
        [cut(r) for r in table.head],
        [cut(r) for r in table.body],
        stub,
        align,
        list(table.notes),
        table.source,
        table.caption,
        table.label,
        table.csv,
    )


def units(table: Table) -> list[tuple[int, int]]:
    """Body rows that must stay on one page: a group row with the row after it, a row label
    with the rows under it that leave their first cell empty (`row_label_groups`)."""
    spans = row_label_groups(table, MAX_GROUP)
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(table.body):
        end = k + spans.get(k, 1)
        if table.body[k].group:
            end = min(len(table.body), k + 1 + spans.get(k + 1, 1))
        out.append((k, end))
        k = end
    return out


def row_parts(
    heights: list[float], head: float, room: float, blocks: list[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    """Body rows of each part so that a part (with its header) fits `room`, the parts about
    equally tall (no short tail on a page of its own); the last part never holds a single
    row while an earlier part can give it one."""
    space = max(room - head, 1.0)
    count = max(1, math.ceil(sum(heights) / space))
    target = sum(heights) / count
    parts: list[list[int]] = []
    used = 0.0
    for a, b in blocks:
        h = sum(heights[a:b])
        full = used + h > space or (used + h / 2 > target and len(parts) < count)
        if not parts or (full and parts[-1][1] > parts[-1][0]):
            parts.append([a, b])
            used = h
        else:
            parts[-1][1] = b
            used += h
    if len(parts) > 1 and parts[-1][1] - parts[-1][0] < 2:
        # the last part takes the previous part's last block (rows that stay together)
        prev = parts[-2]
        start = max((a for a, _b in blocks if prev[0] < a < prev[1]), default=None)
        if start is not None:
            prev[1] = start
            parts[-1][0] = start
    return tuple((a, b) for a, b in parts)


def place(
    table: Table, geometry: PrintGeometry, font: TableFont, *, wide: bool = False
) -> Placement:
    """Decide where `table` prints (`wide`: its author put it across the page)."""
    base = layout(table, font)
    column, page = geometry.column_width, geometry.page_width
    if not wide and base.fits(column):
        in_column = base.estimated_height(table, column)
        across = base.estimated_height(table, page)
        if page <= column or in_column <= CRAMPED * across:
            return Placement(
                "column",
                font.size,
                base,
                column,
                (tuple(range(table.ncols)),),
                ((0, len(table.body)),),
            )
    shape = base if base.fits(page) else _shrunk(base, page, geometry.table_min_size)
    groups = (tuple(range(table.ncols)),)
    if not shape.fits(page):
        groups = column_groups(table, shape, page)
    where: Literal["column", "page"] = "page" if page > column else "column"
    parts: tuple[tuple[int, int], ...] = ((0, len(table.body)),)
    if where == "page":
        room = FLOAT_SHARE * geometry.text_height - CAPTION_PT
        tallest = 0.0
        heights: list[float] = [0.0] * len(table.body)
        head = 0.0
        for columns in groups:
            part = sub_table(table, columns) if len(groups) > 1 else table
            part_shape = layout(part, shape.font) if len(groups) > 1 else shape
            rows = part_shape.row_heights(part, page)
            head = max(head, sum(rows[: len(table.head)]))
            heights = [max(h, r) for h, r in zip(heights, rows[len(table.head) :], strict=True)]
            tallest = max(tallest, sum(rows))
        if tallest > room:
            parts = row_parts(heights, head, room, units(table))
    return Placement(where, shape.font.size, shape, page, groups, parts)
