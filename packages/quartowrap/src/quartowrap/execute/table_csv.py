"""A markdown table (pipe or grid) written by a cell, read back into CSV for the release."""

import csv
import io
import re

_GRID_BORDER = re.compile(r"^\+(?:[-=:]+\+)+\s*$")

_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def _is_separator(line: str) -> bool:
    """A pipe table's header separator (`|---|:--:|`); a bare `---` is a rule, not a table."""
    return "|" in line and _TABLE_SEPARATOR.match(line) is not None


def _has_markdown_table(md: str) -> bool:
    """A pipe table (header separator) or a grid table (`+---+` borders) in `md`."""
    return any(_is_separator(line) or _GRID_BORDER.match(line) for line in md.splitlines())


def _split_row(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [re.sub(r"\\(.)", r"\1", c.strip()) for c in cells]


def _grid_rows(lines: list[str]) -> list[list[str]]:
    """Rows of the first grid table: cells are the text between the border's `+` columns."""
    start = next((i for i, line in enumerate(lines) if _GRID_BORDER.match(line)), None)
    if start is None:
        return []
    border = lines[start].rstrip()
    cuts = [i for i, ch in enumerate(border) if ch == "+"]
    rows: list[list[str]] = []
    pending: list[list[str]] = [[] for _ in cuts[:-1]]
    for line in lines[start + 1 :]:
        if _GRID_BORDER.match(line):
            rows.append([re.sub(r"\\(.)", r"\1", " ".join(p).strip()) for p in pending])
            pending = [[] for _ in cuts[:-1]]
            continue
        if not line.startswith("|"):
            break
        for k in range(len(cuts) - 1):
            text = line[cuts[k] + 1 : cuts[k + 1]].strip()
            if text:
                pending[k].append(text)
    return rows


def table_csv(markdown: str) -> str:
    """CSV from the first pipe table in `markdown` (header row first, escapes removed)."""
    lines = markdown.splitlines()
    rows: list[list[str]] = []
    if not any(_is_separator(line) for line in lines):
        rows = _grid_rows(lines)
    for i, line in enumerate(lines if not rows else []):
        if _is_separator(line) and i > 0:
            rows.append(_split_row(lines[i - 1]))
            for body in lines[i + 1 :]:
                if not body.strip() or "|" not in body:
                    break
                rows.append(_split_row(body))
            break
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
