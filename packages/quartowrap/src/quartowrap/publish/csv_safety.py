"""CSV downloads that a spreadsheet cannot run: formula-looking text cells are made text.

Why: a reviewer opens `tables/*.csv` in Excel or LibreOffice; a stakeholder's answer such as
`=HYPERLINK("http://…","click")` or `@SUM(…)` would be a live formula there (CSV injection).
The OWASP convention is applied: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading `'`, which spreadsheets read as "this is text" and do not
show.  Numbers stay numbers: `-3.5`, `+2`, `-1e-3` and `-12%` are left as they are, and so is
a lone `-` (the usual "not applicable"), which no spreadsheet reads as a formula.
"""

from __future__ import annotations

import csv
import io
import re

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def safe_cell(value: str) -> str:
    """`value` as a spreadsheet will show it, never as a formula."""
    if not value.startswith(_TRIGGERS) or value in ("-", "+") or _NUMBER.match(value):
        return value
    return "'" + value


def neutralise_formulas(csv_text: str) -> str:
    """`csv_text` with every formula-looking text cell prefixed by `'` (numbers untouched)."""
    if not any(ch in csv_text for ch in _TRIGGERS):
        return csv_text
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    safe = [[safe_cell(c) for c in row] for row in rows]
    if safe == rows:
        return csv_text  # nothing to change: keep the bytes exactly as written
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(safe)
    return out.getvalue()


__all__ = ["neutralise_formulas", "safe_cell"]
