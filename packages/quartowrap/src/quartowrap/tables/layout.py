"""Table layout, decided once on the model: alignment, column widths, what never wraps.

Widths are measured in the font the table prints in (`fonts.TableFont`: advance widths of
the theme's font files), the way a browser's automatic table layout uses each column's
minimum and maximum content width:

* minimum: the widest piece that cannot break — a word of text (no "Profes-/sional"), a
  whole number or "M (SD)" cell (a quantity never wraps), a header label's longest word;
  a short label column (<= `SHORT_LABEL` characters) its whole label;
* maximum: the widest cell on one line;
* widths for a given room: every column its maximum when all fit; else its minimum plus a
  share of the room left in proportion to how much it would still wrap; slack goes to the
  text columns.

Number columns (every filled body cell a quantity) are right-aligned, header included.
`min_chars`/`max_chars` keep the same sizes counted in characters for printers that let
the reader's browser measure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from quartowrap.tables.fonts import ESTIMATE, TableFont
from quartowrap.tables.model import Align, Cell, Row, Table
from quartowrap.tables.pandoc import glue_text, stringify

CHAR_PT = 3.9  # average advance of the table font at 8.5 pt (for character counts)
INSET_PT = 8  # horizontal cell inset (4pt each side, see the themes' typst definitions)
SHORT_LABEL = 16
LONG_CELL = 50
LINE_EM, ROW_PT = 1.25, 2.5  # line pitch (em of the table font); cap height + insets - pitch
PARAGRAPH_GAP = 0.25  # space between two paragraphs of a cell, in lines


@dataclass(frozen=True)
class Column:
    """What one column needs: its alignment, whether it holds numbers, min/max widths
    (characters, and points in the layout's font)."""

    align: Align
    numeric: bool
    min_chars: int
    max_chars: int
    min_pt: float = -1.0  # -1: not measured, estimated from the characters
    max_pt: float = -1.0

    @property
    def low(self) -> float:
        return self.min_pt if self.min_pt >= 0 else self.min_chars * CHAR_PT

    @property
    def high(self) -> float:
        return max(self.low, self.max_pt if self.max_pt >= 0 else self.max_chars * CHAR_PT)


@dataclass(frozen=True)
class Layout:
    """The decided presentation of a table, shared by every printer."""

    columns: tuple[Column, ...]
    spanner_align: Align = "center"  # a header cell over several columns: centred over them
    font: TableFont = field(default=ESTIMATE)

    def content_widths(self, width_pt: float) -> list[float]:
        """Points of text per column (insets excluded) when the table is `width_pt` wide."""
        cols = self.columns
        if not cols:
            return []
        avail = width_pt - INSET_PT * len(cols)
        low = [c.low for c in cols]
        high = [c.high for c in cols]
        widths = list(low)
        want = [h - lo for lo, h in zip(low, high, strict=True)]
        extra = avail - sum(widths)
        if extra > 0 and sum(want) > 0:
            share = min(1.0, extra / sum(want))
            widths = [w + share * d for w, d in zip(widths, want, strict=True)]
            extra -= share * sum(want)
        if extra > 0:  # slack: to the text columns (all columns if there are none)
            weight = sum(0 if c.numeric else h for c, h in zip(cols, high, strict=True))
            for k, c in enumerate(cols):
                share = (0 if c.numeric else high[k] / weight) if weight else 1 / len(cols)
                widths[k] += extra * share
        return widths

    def widths(self, width_pt: float) -> list[float]:
        """Fractions of `width_pt` per column (summing to 1), from min/max content widths."""
        widths = [w + INSET_PT for w in self.content_widths(width_pt)]
        total = sum(widths)
        return [round(w / total, 4) for w in widths] if total else []

    def min_width(self) -> float:
        """Points the table needs at least: every column its minimum, insets included."""
        return sum(c.low + INSET_PT for c in self.columns)

    def max_width(self) -> float:
        """Points the table takes with no cell wrapping."""
        return sum(c.high + INSET_PT for c in self.columns)

    def fits(self, width_pt: float) -> bool:
        """Whether every column gets its minimum width in `width_pt` (then no number needs to
        wrap; a table that does not fit is the placement's problem, and its numbers may wrap
        rather than print over their neighbours)."""
        return self.min_width() <= width_pt + 0.01

    def scaled(self, size: float) -> Layout:
        """The same layout printed at another font size (widths scale with the size)."""
        k = size / self.font.size
        columns = tuple(
            Column(c.align, c.numeric, c.min_chars, c.max_chars, c.low * k, c.high * k)
            for c in self.columns
        )
        return Layout(columns, self.spanner_align, self.font.scaled(size))

    def row_heights(self, table: Table, width_pt: float) -> list[float]:
        """Points each row (head rows first, then body rows) takes at `width_pt`: the lines of
        its tallest cell, words wrapped as they will be in the columns' widths."""
        room = self.content_widths(width_pt)
        line = LINE_EM * self.font.size
        heights = []
        for k, row in enumerate([*table.head, *table.body]):
            head = k < len(table.head)
            lines, col = 1.0, 0
            for cell in row.cells:
                span = cell.colspan
                space = sum(room[col : col + span]) + INSET_PT * (span - 1)
                lines = max(lines, self._lines(cell, space, bold=head or cell.style == "strong"))
                col += span
            heights.append(lines * line + ROW_PT)
        return heights

    def estimated_height(self, table: Table, width_pt: float) -> float:
        """Points the table takes at `width_pt` (header and body, without its caption)."""
        return sum(self.row_heights(table, width_pt))

    def _lines(self, cell: Cell, space: float, *, bold: bool) -> float:
        """Lines a cell takes: each paragraph or list item starts a line; a gap between
        paragraphs counts `PARAGRAPH_GAP` of a line (measured in the PDF: a title and its
        gloss take 25.5 pt where one line takes 12.6 pt)."""
        paragraphs = _paragraphs(cell.blocks) if cell.blocks else [cell.text]
        total = 0.0
        for paragraph in paragraphs or [""]:
            total += wrapped_lines(glue_text(paragraph), max(space, 1.0), self.font, bold=bold)
        return max(1.0, total + PARAGRAPH_GAP * (len(paragraphs) - 1))


def _paragraphs(blocks: list[Any]) -> list[str]:
    """The text of each paragraph and list item of a cell's pandoc blocks."""
    out: list[str] = []
    for block in blocks:
        t = block.get("t")
        if t in {"BulletList", "OrderedList"}:
            items = block["c"] if t == "BulletList" else block["c"][1]
            for item in items:
                out += ["\u2022 " + p for p in _paragraphs(item)]
        elif t == "Div":
            out += _paragraphs(block["c"][1])
        elif t == "LineBlock":
            out += [stringify(line) for line in block["c"]]
        else:
            out.append(stringify(block))
    return out


def wrapped_lines(text: str, width_pt: float, font: TableFont, *, bold: bool = False) -> int:
    """Lines `text` takes in `width_pt`, broken between words only (as typst would; a word
    wider than the room takes a line of its own)."""
    space = font.width(" ", bold=bold)
    lines, used = 1, 0.0
    for word in text.split():
        w = font.width(word, bold=bold)
        if used and used + space + w > width_pt:
            lines, used = lines + 1, w
        else:
            used += (space if used else 0) + w
    return lines


def _longest_word(text: str) -> int:
    """Length of the longest piece that cannot break: no-break spaces join pieces."""
    return max((len(word) for word in re.split(r"[ \t\r\n]+", text)), default=0)


def _cells_by_column(rows: list[Row]) -> list[tuple[int, str, Cell]]:
    """(column, printed text, cell) of every cell spanning a single column."""
    out = []
    for row in rows:
        col = 0
        for cell in row.cells:
            if cell.colspan == 1 and not row.group:
                out.append((col, glue_text(cell.text), cell))
            col += cell.colspan
    return out


def _widest_word(text: str, font: TableFont, bold: bool) -> float:
    return max((font.width(w, bold=bold) for w in re.split(r"[ \t\r\n]+", text)), default=0.0)


def layout(table: Table, font: TableFont | None = None) -> Layout:
    """Decide alignment and content widths of every column of `table`, measured in `font`
    (default: an average-advance estimate)."""
    font = font or ESTIMATE
    n = table.ncols
    natural, word, minimum = [1] * n, [1] * n, [1] * n
    natural_pt, word_pt, minimum_pt = [0.0] * n, [0.0] * n, [0.0] * n
    numbers, texts = [0] * n, [0] * n
    heads = _cells_by_column(table.head)
    for col, text, _cell in heads:
        natural[col] = max(natural[col], min(len(text), LONG_CELL))
        word[col] = max(word[col], _longest_word(text))
        widest = max((font.width(line, bold=True) for line in text.split("\n")), default=0.0)
        natural_pt[col] = max(natural_pt[col], widest)
        word_pt[col] = max(word_pt[col], _widest_word(text, font, True))
    for col, text, cell in _cells_by_column(table.body):
        bold = cell.style == "strong"
        natural[col] = max(natural[col], min(len(text), LONG_CELL))
        word[col] = max(word[col], _longest_word(text))
        lines = text.split("\n") if cell.blocks else [text]
        natural_pt[col] = max([natural_pt[col], *(font.width(t, bold=bold) for t in lines)])
        word_pt[col] = max(word_pt[col], _widest_word(text, font, bold))
        if cell.kind == "number":
            numbers[col] += 1
            minimum[col] = max(minimum[col], len(text))
            minimum_pt[col] = max(minimum_pt[col], font.width(text, bold=bold))
        elif cell.kind == "text":
            texts[col] += 1
    columns = []
    for k in range(n):
        numeric = numbers[k] > 0 and texts[k] == 0 and k >= table.stub
        low = max(minimum[k], word[k] + 1)  # +1: bold and capitals run wider
        high = natural[k]
        low_pt = max(minimum_pt[k], word_pt[k])
        high_pt = natural_pt[k]
        if numeric:
            # numbers never wrap; its header may ("Brussels / (n = 137)"), but takes one
            # line when the table has the room, as in a browser
            high = low
        elif high <= SHORT_LABEL:
            low, low_pt = high, max(low_pt, high_pt)
        chosen = table.align[k] if k < len(table.align) else None
        if chosen == "center" or (chosen == "right" and not numeric):
            align: Align = chosen
        else:
            align = "right" if numeric else "left"
        columns.append(
            Column(align, numeric, low, max(low, high), low_pt + 0.5, max(low_pt, high_pt) + 0.5)
        )
    return Layout(tuple(columns), font=font)
