"""Table presentation in HTML: numbers right-aligned and kept whole, group rows, header scope."""

from __future__ import annotations

import re
from typing import Any

from quartowrap.writers.html.pandoc_ast import (
    _WALK_SKIP,
    Node,
    _str,
    plain_text,
)

# Table presentation (the PDF does the same in filters/typst.lua): number columns are
# right-aligned, column widths are left to the browser (pipe/grid widths only echo the
# markdown source), "n = 137" and "know (n)" keep together, group rows read from the left.
_NEUTRAL_CELLS = frozenset({"", "-", "\u2013", "\u2014", "NA", "n/a", "\u2026", "."})
_NUMBER_RE = re.compile(
    r"[pP]?[\d\s.,%()\[\];:<>=+\-*/\u2212\u2013\u2014\u00b1\u2009\u202f\u2264\u2265]*"
)
_NBSP = "\u00a0"
_SHORT_CELL = 16


def is_number_cell(text: str) -> bool:
    """A table cell that holds a quantity ("12.5", "3 (4 %)", "< 0.001", "−1.2 [−2; 0]").

    "2, 3, 7" (a list of document numbers) reads as text and stays left-aligned.
    """
    text = text.replace(_NBSP, " ").strip()
    if text in _NEUTRAL_CELLS or not re.search(r"\d", text) or re.search(r"\d, \d", text):
        return False
    return _NUMBER_RE.fullmatch(text) is not None


def _glue(inlines: list[Node]) -> list[Node]:
    """No-break spaces around "=" and before a short "(n)" / "(%)" unit."""
    out: list[Node] = []
    for i, el in enumerate(inlines):
        if el.get("t") == "Space":
            nxt = inlines[i + 1] if i + 1 < len(inlines) else {}
            prev = inlines[i - 1] if i > 0 else {}
            nxt_text = nxt.get("c") if nxt.get("t") == "Str" else ""
            if (
                nxt_text == "="
                or re.fullmatch(r"\(.{1,3}\)[.,;:]?", nxt_text or "")
                or (prev.get("t") == "Str" and prev.get("c") == "=")
            ):
                out.append(_str(_NBSP))
                continue
        out.append(el)
    return out


def _glue_all(value: Any) -> Any:
    """`_glue` applied to every inline list (Para/Plain content) under `value`."""
    if isinstance(value, list):
        return [_glue_all(v) for v in value]
    if isinstance(value, dict):
        if value.get("t") in {"Para", "Plain"}:
            return {"t": value["t"], "c": _glue(value["c"])}
        if "c" in value and value.get("t") not in _WALK_SKIP:
            return {**value, "c": _glue_all(value["c"])}
    return value


def _layout_table(rest: list[Any]) -> list[Any]:
    """colspecs, head, bodies, foot of a pandoc Table with the presentation rules applied."""
    colspecs, head, bodies, foot = rest
    n = len(colspecs)
    numbers, texts = [0] * n, [0] * n
    for body in bodies:
        for row in body[3]:
            col = 0
            for cell in row[1]:
                span = cell[3]
                text = plain_text(cell[4])
                if span == 1 and col < n and text not in _NEUTRAL_CELLS:
                    if is_number_cell(text):
                        numbers[col] += 1
                    else:
                        texts[col] += 1
                col += span
    specs = []
    for k, (align, _width) in enumerate(colspecs):
        if numbers[k] and not texts[k] and align["t"] != "AlignCenter":
            align = {"t": "AlignRight"}
        specs.append([align, {"t": "ColWidthDefault"}])

    def spans_left(rows: list[Any]) -> list[Any]:
        return [
            [
                row[0],
                [
                    [c[0], {"t": "AlignLeft"}, *c[2:]]
                    if c[3] > 1 and c[1]["t"] == "AlignDefault"
                    else c
                    for c in row[1]
                ],
            ]
            for row in rows
        ]

    def short_nowrap(rows: list[Any]) -> list[Any]:
        # a short cell ("Don't know (n)", "< 0.001") never wraps: without this the browser
        # squeezes label columns to give the slack to wide number headers
        out = []
        for row in rows:
            cells = []
            for c in row[1]:
                if c[3] == 1 and len(plain_text(c[4])) <= _SHORT_CELL:
                    ident, classes, kvs = c[0]
                    c = [[ident, [*classes, "nowrap"], kvs], *c[1:]]
                cells.append(c)
            out.append([row[0], cells])
        return out

    bodies = [[b[0], b[1], spans_left(b[2]), short_nowrap(spans_left(b[3]))] for b in bodies]
    return [specs, *_glue_all([head, bodies, foot])]
