"""Table layout, decided once on the model: alignment, column widths, what never wraps.

Widths are measured in characters of the table font (an average advance, `CHAR_PT`), the
way a browser's automatic table layout uses each column's minimum and maximum content width:

* minimum: the longest word (no "Profes-/sional"); a number column its longest number (a
  number never wraps); a short label column (<= `SHORT_LABEL`) its whole label;
* maximum: the longest cell on one line, capped at `LONG_CELL` (longer text wraps anyway);
* the room left after every minimum goes to the columns whose text would still wrap, in
  proportion to how much longer it is; slack goes to the text columns.

Number columns (every filled body cell a quantity) are right-aligned, header included.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from quartowrap.tables.model import Align, Row, Table
from quartowrap.tables.pandoc import glue_text

CHAR_PT = 3.9  # average advance of the table font (Source Sans 3, 8.5pt, bold head)
INSET_PT = 8  # horizontal cell inset (4pt each side, see the themes' typst definitions)
SHORT_LABEL = 16
LONG_CELL = 50
LINE_PT, ROW_PT, WRAP_MARGIN = 10.5, 7, 1.25


@dataclass(frozen=True)
class Column:
    """What one column needs: its alignment, whether it holds numbers, min/max widths."""

    align: Align
    numeric: bool
    min_chars: int
    max_chars: int


@dataclass(frozen=True)
class Layout:
    """The decided presentation of a table, shared by every printer."""

    columns: tuple[Column, ...]
    spanner_align: Align = "center"  # a header cell over several columns: centred over them

    def widths(self, width_pt: float) -> list[float]:
        """Fractions of `width_pt` per column (summing to 1), from min/max content widths."""
        cols = self.columns
        n = len(cols)
        if not n:
            return []
        avail = (width_pt - INSET_PT * n) / CHAR_PT
        widths = [float(c.min_chars) for c in cols]
        want = [max(0, c.max_chars - c.min_chars) for c in cols]
        extra = avail - sum(widths)
        if extra > 0 and sum(want) > 0:
            share = min(1.0, extra / sum(want))
            widths = [w + share * d for w, d in zip(widths, want, strict=True)]
            extra -= share * sum(want)
        if extra > 0:  # slack: to the text columns (all columns if there are none)
            weight = sum(0 if c.numeric else c.max_chars for c in cols)
            for k, c in enumerate(cols):
                share = (0 if c.numeric else c.max_chars / weight) if weight else 1 / n
                widths[k] += extra * share
        chars = [w + INSET_PT / CHAR_PT for w in widths]
        total = sum(chars)
        return [round(c / total, 4) for c in chars]

    def fits(self, width_pt: float) -> bool:
        """Whether every column gets its minimum width in `width_pt` (then no number needs to
        wrap; a table that does not fit is the placement's problem, and its numbers may wrap
        rather than print over their neighbours)."""
        need = sum(c.min_chars * CHAR_PT + INSET_PT for c in self.columns)
        return need <= width_pt

    def estimated_height(self, table: Table, width_pt: float) -> float:
        """Points the table takes at `width_pt`: lines per cell from its characters, the
        tallest cell per row, with a margin for word wrapping."""
        room = [max(1.0, (width_pt * f - INSET_PT) / CHAR_PT) for f in self.widths(width_pt)]
        height = 0.0
        for row in [*table.head, *table.body]:
            lines, col = 1, 0
            for cell in row.cells:
                space = sum(room[col : col + cell.colspan]) or 1.0
                blocks = max(1, len(cell.blocks or ()))
                chars = len(cell.text)
                lines = max(lines, math.ceil(chars * WRAP_MARGIN / space) + blocks - 1)
                col += cell.colspan
            height += lines * LINE_PT + ROW_PT
        return height


def _longest_word(text: str) -> int:
    """Length of the longest piece that cannot break: no-break spaces join pieces."""
    return max((len(word) for word in re.split(r"[ \t\r\n]+", text)), default=0)


def _cells_by_column(rows: list[Row]) -> list[tuple[int, str, str]]:
    """(column, printed text, kind) of every cell spanning a single column."""
    out = []
    for row in rows:
        col = 0
        for cell in row.cells:
            if cell.colspan == 1 and not row.group:
                out.append((col, glue_text(cell.text), cell.kind))
            col += cell.colspan
    return out


def layout(table: Table) -> Layout:
    """Decide alignment and content widths of every column of `table`."""
    n = table.ncols
    natural, word, minimum = [1] * n, [1] * n, [1] * n
    numbers, texts = [0] * n, [0] * n
    for col, text, _kind in _cells_by_column(table.head):
        natural[col] = max(natural[col], min(len(text), LONG_CELL))
        word[col] = max(word[col], _longest_word(text))
    for col, text, kind in _cells_by_column(table.body):
        natural[col] = max(natural[col], min(len(text), LONG_CELL))
        word[col] = max(word[col], _longest_word(text))
        if kind == "number":
            numbers[col] += 1
            minimum[col] = max(minimum[col], len(text))
        elif kind == "text":
            texts[col] += 1
    columns = []
    for k in range(n):
        numeric = numbers[k] > 0 and texts[k] == 0 and k >= table.stub
        low = max(minimum[k], word[k] + 1)  # +1: bold and capitals run wider
        high = natural[k]
        if numeric:
            high = low  # its header may wrap ("Brussels / (n = 137)"); numbers never
        elif high <= SHORT_LABEL:
            low = high
        chosen = table.align[k] if k < len(table.align) else None
        if chosen == "center" or (chosen == "right" and not numeric):
            align: Align = chosen
        else:
            align = "right" if numeric else "left"
        columns.append(Column(align, numeric, low, max(low, high)))
    return Layout(tuple(columns))
