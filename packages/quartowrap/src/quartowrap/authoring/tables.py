"""Show a data frame in a chapter as a publication table, keeping the tidy data behind it.

Analyses return tidy frames; chapters format them for reading.  Two pandoc table syntaxes
serve every table of the report, and both attach the tidy frame as CSV, so the renderer can
publish `tables/<label>.csv` next to the report:

* `show_table` writes a pipe table (via tabulate) — one line per row, the common case;
  when a cell holds a line break or a `Cell`, it hands over to `grid_table` instead, so a
  line break is shown rather than silently folded into a space;
* `grid_table` writes a grid table, the only pandoc syntax whose cells hold several
  paragraphs or a bullet list and whose rows may span every column (group headings).
  pandoc and Quarto read it for HTML and typst alike.

Every text cell is escaped: free text typed by survey respondents or stakeholders, or
copied from documents, reaches HTML and PDF as text, never as markup.  Markup made by
code (bold group rows, italics, bullet lists, cross-references) is added only through
`Cell`, after escaping.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from tabulate import tabulate

__all__ = [
    "TABLE_MIME",
    "Cell",
    "MarkdownTable",
    "escape_markdown",
    "grid_table",
    "show_table",
]

import quartowrap.tables.model as model
from quartowrap.authoring.markdown import escape_markdown
from quartowrap.authoring.protocol import TABLE_MIME


@dataclass(frozen=True)
class MarkdownTable:
    """A rendered table: markdown for the page (and for Quarto), CSV for the release, and the
    table model the renderer's writers print (`quartowrap.tables`)."""

    markdown: str
    csv: str
    model: model.Table | None = None

    def _repr_markdown_(self) -> str:
        return self.markdown

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"csv": self.csv}
        if self.model is not None:  # its CSV is the payload's (`build.from_payload`)
            payload["model"] = {**self.model.to_json(), "csv": None}
        return {
            "text/markdown": self.markdown,
            "text/plain": self.markdown,
            TABLE_MIME: payload,
        }


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA


def _format(value: Any, floatfmt: str) -> str:
    """A data value as display text (unescaped); missing values are empty."""
    if _is_missing(value):
        return ""
    if isinstance(value, float):
        return format(value, floatfmt)
    return str(value)


def _csv(tidy: pd.DataFrame, index: bool) -> str:
    return tidy.to_csv(index=index, lineterminator="\n")


# ----------------------------------------------------------------------------- grid cells

Style = Literal["plain", "strong", "emph"]
_MARK = {"plain": "", "strong": "**", "emph": "*"}


def _wrap(text: str, width: int) -> list[str]:
    """Wrap at spaces only (hyphenated words and long codes stay whole), then escape each
    line: escaping first could let a line break fall inside an escape."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    return [escape_markdown(line) for line in lines]


@dataclass(frozen=True)
class _Paragraph:
    text: str
    style: Style

    def lines(self, width: int) -> list[str]:
        mark = _MARK[self.style]
        lines = _wrap(self.text, max(width - 2 * len(mark), 8)) or [""]
        if mark:
            lines[0] = mark + lines[0]
            lines[-1] += mark
        return lines

    def natural_width(self) -> int:
        return len(self.text) + 2 * len(_MARK[self.style])


@dataclass(frozen=True)
class _Bullets:
    items: tuple[str, ...]

    def lines(self, width: int) -> list[str]:
        out: list[str] = []
        for item in self.items:
            wrapped = _wrap(item, max(width - 2, 8)) or [""]
            out += ["- " + wrapped[0], *("  " + line for line in wrapped[1:])]
        return out

    def natural_width(self) -> int:
        return max(len(item) for item in self.items) + 2


@dataclass(frozen=True)
class _Raw:
    markup: str

    def lines(self, width: int) -> list[str]:
        return self.markup.split("\n")

    def natural_width(self) -> int:
        return max(len(line) for line in self.lines(0))


@dataclass(frozen=True)
class Cell:
    """The content of one grid-table cell: paragraphs, bullet lists and trusted markup.

    Content is kept unwrapped and unescaped until the table is written, so it is wrapped to
    whatever width its column gets and escaped exactly once.  Build cells with the class
    methods and join them with `+` (blocks are separated by a blank line, as in markdown):
    `Cell.text(title) + Cell.emph(gloss)`.  A plain value put in a table is `Cell.text`.
    """

    blocks: tuple[_Paragraph | _Bullets | _Raw, ...] = ()

    @classmethod
    def text(cls, value: Any, style: Style = "plain") -> Cell:
        """Free text, escaped; each line of `value` becomes a paragraph of its own.

        Missing values (None, NaN) and empty strings give an empty cell.
        """
        text = "" if _is_missing(value) else str(value)
        paragraphs = [p for p in re.split(r"\s*\n\s*", text.strip()) if p]
        return cls(tuple(_Paragraph(p, style) for p in paragraphs))

    @classmethod
    def strong(cls, value: Any) -> Cell:
        """Bold free text (row headers, totals), escaped."""
        return cls.text(value, "strong")

    @classmethod
    def emph(cls, value: Any) -> Cell:
        """Italic free text (glosses, quotations), escaped."""
        return cls.text(value, "emph")

    @classmethod
    def bullets(cls, items: Iterable[Any]) -> Cell:
        """A bullet list, one escaped item per entry; a single item is shown as plain text
        (a one-item list only adds a bullet), no item as an empty cell."""
        texts = tuple(str(item) for item in items)
        if len(texts) <= 1:
            return cls.text(texts[0] if texts else "")
        return cls((_Bullets(texts),))

    @classmethod
    def raw(cls, markup: str) -> Cell:
        """Markup made by code, e.g. a cross-reference `@sec-x`: neither escaped nor wrapped.

        Never pass data through here; that is what `text` is for.
        """
        return cls((_Raw(markup),))

    def __add__(self, other: Cell) -> Cell:
        return Cell(self.blocks + other.blocks)

    def lines(self, width: int) -> list[str]:
        """The cell as markdown lines at most about `width` characters wide (escaping and
        words longer than `width` can exceed it; the table widens the column to fit)."""
        out: list[str] = []
        for k, block in enumerate(self.blocks):
            if k:
                out.append("")
            out += block.lines(width)
        return out

    def natural_width(self) -> int:
        """Length of the longest block on one line: a column needs no more than this."""
        return max((block.natural_width() for block in self.blocks), default=0)


def _as_cell(value: Any, floatfmt: str) -> Cell:
    return value if isinstance(value, Cell) else Cell.text(_format(value, floatfmt))


def _model_cell(value: Any, floatfmt: str) -> model.Cell:
    """A shown value as a model cell: numbers by type, text by what it reads as."""
    if isinstance(value, Cell):
        texts = [
            b.text
            if isinstance(b, _Paragraph)
            else "; ".join(b.items)
            if isinstance(b, _Bullets)
            else b.markup
            for b in value.blocks
        ]
        text = "\n".join(texts)
        first = value.blocks[0] if value.blocks else None
        style = first.style if isinstance(first, _Paragraph) else "plain"
        plain = len(value.blocks) == 1 and isinstance(first, _Paragraph)
        return model.Cell(text, model.classify(text) if plain else "text", style)
    text = _format(value, floatfmt)
    if isinstance(value, int | float) and not isinstance(value, bool) and text:
        return model.Cell(text, "number")
    return model.Cell.of(text)


def _table_model(
    names: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    groups: Sequence[Any] | None,
    floatfmt: str,
    colalign: Sequence[str] | None,
) -> model.Table:
    """The model of a shown table: the column labels, group rows, the cells."""
    head = [model.Row([model.Cell(str(name)) for name in names])]
    body: list[model.Row] = []
    current: Any = object()
    for row, group in zip(rows, groups or [None] * len(rows), strict=True):
        if groups is not None and group != current:
            current = group
            if not _is_missing(group) and str(group):
                cell = model.Cell(str(group), "text", "strong", len(names))
                body.append(model.Row([cell], group=True))
        body.append(model.Row([_model_cell(v, floatfmt) for v in row]))
    align: list[model.Align | None] = [
        a if a in ("right", "center") else None for a in (colalign or [None] * len(names))
    ]
    return model.Table(head, body, align=align)


# ----------------------------------------------------------------------------- grid tables

_ALIGN_MARKS = {"left": (":", "="), "right": ("=", ":"), "center": (":", ":")}
_DEFAULT_WIDTH_CAP = 40


def _header_rule(cols: Sequence[int], colalign: Sequence[str] | None) -> str:
    """The `+===+` line under the header; colons mark column alignment, as in pipe tables."""
    parts = []
    for k, width in enumerate(cols):
        align = colalign[k] if colalign else "default"
        if align == "default":
            parts.append("=" * (width + 2))
        elif align in _ALIGN_MARKS:
            left, right = _ALIGN_MARKS[align]
            parts.append(left + "=" * width + right)
        else:
            raise ValueError(f"column alignment {align!r}: use left, right, center or default")
    return "+" + "+".join(parts) + "+"


def grid_table(
    display: pd.DataFrame,
    data: pd.DataFrame | None = None,
    *,
    widths: Sequence[int] | None = None,
    group: str | None = None,
    floatfmt: str = ".2f",
    index: bool = False,
    colalign: Sequence[str] | None = None,
) -> MarkdownTable:
    """Render `display` as a pandoc grid table; `data` (default: `display`) becomes the CSV.

    * Cells: a `Cell` is used as built (bullet lists, bold, italics, several paragraphs);
      any other value is free text (`Cell.text`: escaped, a paragraph per line; floats
      formatted with `floatfmt`, missing values empty).
    * `widths`: characters per shown column.  Text is wrapped to them and pandoc turns their
      proportions into the column widths of the HTML and PDF tables.  A column widens when
      a word (or escaping) needs more room.  Default: each column's longest paragraph,
      capped at 40 characters.
    * `group`: a column that is not shown; each run of equal, non-empty values of it is
      opened by a bold row spanning every column (e.g. "Federal: policy documents").
    * `index`, `colalign` ("left", "right", "center", "default" per column): as in
      `show_table`.

    The caption and label come from the cell options (`#| label: tbl-…`, `#| tbl-cap:`).
    """
    frame = display.reset_index() if index else display
    shown = [k for k, name in enumerate(frame.columns) if name != group]
    names = [frame.columns[k] for k in shown]
    heads = [Cell.text(name) for name in names]
    body = [[_as_cell(row[k], floatfmt) for k in shown] for row in frame.itertuples(index=False)]
    if widths is None:
        widths = [
            max(3, min(_DEFAULT_WIDTH_CAP, max(c.natural_width() for c in column)))
            for column in zip(heads, *body, strict=True)
        ]
    if len(widths) != len(names):
        raise ValueError(f"{len(names)} columns shown ({names}) but {len(widths)} widths given")
    if colalign is not None and len(colalign) != len(names):
        raise ValueError(f"{len(names)} columns shown but {len(colalign)} alignments given")

    head_lines = [cell.lines(w) for cell, w in zip(heads, widths, strict=True)]
    body_lines = [[cell.lines(w) for cell, w in zip(row, widths, strict=True)] for row in body]
    cols = [
        max([w, *(len(line) for cell in cells for line in cell)])
        for w, *cells in zip(widths, head_lines, *body_lines, strict=True)
    ]
    groups = [None] * len(body) if group is None else list(frame[group])
    span = sum(cols) + 3 * (len(cols) - 1)
    group_lines: dict[int, list[str]] = {}
    current: Any = object()
    for k, value in enumerate(groups):
        if group is not None and value != current:
            current = value
            if not _is_missing(value) and str(value):
                group_lines[k] = Cell.strong(value).lines(span)
    longest = max((len(line) for lines in group_lines.values() for line in lines), default=0)
    if longest > span:  # a word too long for the whole table: widen the last column
        cols[-1] += longest - span
        span = longest

    def rule(char: str) -> str:
        return "+" + "+".join(char * (c + 2) for c in cols) + "+"

    def row_lines(cells: list[list[str]]) -> list[str]:
        height = max(1, *(len(cell) for cell in cells))
        return [
            "| "
            + " | ".join(
                (cell[i] if i < len(cell) else "").ljust(c)
                for cell, c in zip(cells, cols, strict=True)
            )
            + " |"
            for i in range(height)
        ]

    lines = [rule("-"), *row_lines(head_lines), _header_rule(cols, colalign)]
    for k, cells in enumerate(body_lines):
        if k in group_lines:
            lines += ["| " + line.ljust(span) + " |" for line in group_lines[k]]
            lines.append(rule("-"))
        lines += row_lines(cells)
        lines.append(rule("-"))
    tidy = data if data is not None else display
    csv = _csv(tidy, index)
    rows = [[row[k] for k in shown] for row in frame.itertuples(index=False)]
    table = _table_model(names, rows, None if group is None else groups, floatfmt, colalign)
    return MarkdownTable(markdown="\n".join(lines), csv=csv, model=table)


# ----------------------------------------------------------------------------- pipe tables


def _pipe_cell(value: Any, floatfmt: str) -> str:
    """Numbers as formatted, text escaped (a line break becomes a space)."""
    if isinstance(value, float | int | bool) and not _is_missing(value):
        return _format(value, floatfmt)
    return escape_markdown(_format(value, floatfmt))


def _needs_grid(frame: pd.DataFrame) -> bool:
    """Whether any cell holds a `Cell` or a line break, which a pipe table cannot show."""
    return any(
        isinstance(value, Cell) or (isinstance(value, str) and "\n" in value)
        for column in frame.columns
        for value in frame[column]
    )


def show_table(
    display: pd.DataFrame,
    data: pd.DataFrame | None = None,
    *,
    floatfmt: str = ".2f",
    index: bool = False,
    colalign: tuple[str, ...] | None = None,
    layout: Literal["auto", "pipe", "grid"] = "auto",
) -> MarkdownTable:
    """Render `display` as a pipe table; `data` (default: `display`) becomes the CSV.

    With `layout="auto"`, a frame with a line break or a `Cell` in any cell becomes a grid
    table (`grid_table` with default widths), so the break is shown; `"pipe"` forces a pipe
    table (line breaks folded into spaces), `"grid"` a grid table.
    The caption and label come from the cell options (`#| label: tbl-…`, `#| tbl-cap:`),
    as in Quarto, so the same chapter renders with the real Quarto CLI.
    """
    frame = display.reset_index() if index else display
    if layout == "grid" or (layout == "auto" and _needs_grid(frame)):
        return grid_table(display, data, floatfmt=floatfmt, index=index, colalign=colalign)
    headers = [escape_markdown(str(c)) for c in frame.columns]
    rows = [[_pipe_cell(v, floatfmt) for v in row] for row in frame.itertuples(index=False)]
    markdown = tabulate(
        rows, headers=headers, tablefmt="pipe", disable_numparse=True, colalign=colalign
    )
    tidy = data if data is not None else display
    csv = _csv(tidy, index)
    table = _table_model(
        list(frame.columns),
        list(frame.itertuples(index=False)),
        None,
        floatfmt,
        colalign,
    )
    return MarkdownTable(markdown=markdown, csv=csv, model=table)
