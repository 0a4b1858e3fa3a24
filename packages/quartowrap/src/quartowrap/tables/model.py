"""The table model: what a table is, independent of where it came from or where it prints.

Pure standard library on purpose: it is imported inside chapters' kernels (through
`quartowrap.authoring`) and must travel as JSON in a cell's output bundle and in freeze.
Cells keep their text unescaped; printers escape it. Rich content parsed by pandoc from an
author's own markdown (citations, cross-references, lists) rides along as pandoc JSON blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["number", "text", "empty"]
Style = Literal["plain", "strong", "emph"]
Align = Literal["left", "right", "center"]

SCHEMA = 1

# Cells that hold no value ("–", "NA") neither make a column numeric nor textual.
NEUTRAL_CELLS = frozenset({"", "-", "\u2013", "\u2014", "NA", "n/a", "\u2026", "."})
_NUMBER = re.compile(
    r"[pP]?[\d\s.,%()\[\];:<>=+\-*/\u2212\u2013\u2014\u00b1\u00a0\u2009\u202f\u2264\u2265]*"
)


def classify(text: str) -> Kind:
    """Whether a displayed value is a quantity ("12.5", "3 (4 %)", "< 0.001", "−1.2 [−2; 0]").

    The one rule for every writer. "2, 3, 7" (a list of document numbers) reads as text.
    """
    text = text.replace("\u00a0", " ").strip()
    if text in NEUTRAL_CELLS:
        return "empty"
    if not re.search(r"\d", text) or re.search(r"\d, \d", text):
        return "text"
    return "number" if _NUMBER.fullmatch(text) else "text"


@dataclass
class Cell:
    """One cell: its text (for measuring, CSV and plain printing), what it holds, its style.

    `blocks` is pandoc JSON for content an author wrote in markdown (kept as parsed, never
    data); when present the printers use it instead of `text`.
    """

    text: str
    kind: Kind = "text"
    style: Style = "plain"
    colspan: int = 1
    blocks: list[Any] | None = None

    @classmethod
    def of(cls, text: str, style: Style = "plain", colspan: int = 1) -> Cell:
        """A cell whose kind is read from its text."""
        return cls(text, classify(text), style, colspan)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "kind": self.kind}
        if self.style != "plain":
            out["style"] = self.style
        if self.colspan != 1:
            out["colspan"] = self.colspan
        if self.blocks is not None:
            out["blocks"] = self.blocks
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        return cls(
            str(data["text"]),
            data.get("kind", "text"),
            data.get("style", "plain"),
            int(data.get("colspan", 1)),
            data.get("blocks"),
        )


@dataclass
class Row:
    """A row of cells; a group row is one cell across every column ("Federal level")."""

    cells: list[Cell]
    group: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cells": [c.to_json() for c in self.cells]}
        if self.group:
            out["group"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        return cls([Cell.from_json(c) for c in data["cells"]], bool(data.get("group", False)))


@dataclass
class Table:
    """A table: header rows (spanners first, the column labels last), body rows, extras.

    `stub` counts the leading columns that label rows (a DataFrame's index); `align` holds an
    author's explicit alignment per column (None: let the layout decide); `csv` is the tidy
    data behind the table, published as `tables/<label>.csv`.
    """

    head: list[Row]
    body: list[Row]
    stub: int = 0
    align: list[Align | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source: str | None = None
    caption: str | None = None
    label: str | None = None
    csv: str | None = None

    @property
    def ncols(self) -> int:
        """Columns of the table: the widest row, counting spans."""
        rows = [*self.head, *self.body]
        return max((sum(c.colspan for c in r.cells) for r in rows), default=0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (travels in the kernel's output bundle and in freeze)."""
        return {
            "schema": SCHEMA,
            "head": [r.to_json() for r in self.head],
            "body": [r.to_json() for r in self.body],
            "stub": self.stub,
            "align": list(self.align),
            "notes": list(self.notes),
            "source": self.source,
            "caption": self.caption,
            "label": self.label,
            "csv": self.csv,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Table:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"table model schema {data.get('schema')!r}, expected {SCHEMA}")
        return cls(
            head=[Row.from_json(r) for r in data["head"]],
            body=[Row.from_json(r) for r in data["body"]],
            stub=int(data.get("stub", 0)),
            align=list(data.get("align") or []),
            notes=list(data.get("notes") or []),
            source=data.get("source"),
            caption=data.get("caption"),
            label=data.get("label"),
            csv=data.get("csv"),
        )
