"""A failed cell told to its author: where, their own line of code, what went wrong.

The head is `file:line: Type: message`, the line being that of the failing statement in the
chapter.  Below it come the author's lines on the way to the error — the cell's, then any of
the project's own modules (`analysis/…`) — each with a caret under the failing expression.
Frames inside installed packages (pandas, numpy, IPython) are hidden: that is where an
error surfaces, rarely where it was made; the full traceback stays on the error for
`--traceback`.  A data frame asked for a column it lacks gets the closest names (difflib,
in the kernel: see `kernel_runtime._kernel_error_report`).
"""

from __future__ import annotations

import linecache
import re
from pathlib import Path
from typing import Any

from quartowrap.errors import CellError
from quartowrap.execute.weave import _strip_ansi
from quartowrap.model import SourceLocation
from quartowrap.project.qmd import CodeCell

_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_GUTTER = 6  # width of the line-number column


def cell_error(
    content: dict[str, Any],
    cell: CodeCell,
    counts: dict[int, CodeCell],
    report: dict[str, Any] | None,
    root: Path,
) -> CellError:
    """The CellError for a cell whose execute reply is `content` (status "error").

    `counts` maps execution counts to the cells run so far (a function defined in an
    earlier cell can fail later); `report` is the kernel's description of the error, or
    None when it could not be had (the short form then falls back on IPython's text).
    """
    traceback = [_strip_ansi(t) for t in content.get("traceback", [])]
    message = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".rstrip(": ")
    full = "\n".join(traceback)
    location = cell.location_of(_first_code_line(cell))
    for match in _CELL_FRAME.finditer(full):
        owner = counts.get(int(match.group(1)))
        if owner is not None:
            location = owner.location_of(int(match.group(2)))
    if report and report.get("syntax"):
        return _syntax_error(report["syntax"], cell, location, full)
    if not report or not report.get("frames"):
        return CellError(message, location, _tail(full, message), traceback=full)
    shown: list[tuple[str, str, int, dict[str, Any]]] = []  # where, code, line, frame
    hidden = 0
    for frame in report["frames"]:
        owner = counts.get(frame["cell"]) if frame.get("cell") is not None else None
        if frame.get("cell") is not None and owner is None:
            owner = cell  # the cell now running: its count is known only after the reply
        if owner is not None:
            location = owner.location_of(frame["line"])
            source = owner.source.splitlines()
            code = source[frame["line"] - 1] if 0 < frame["line"] <= len(source) else ""
            shown.append((str(location), code, location.line, frame))
        elif frame.get("author"):
            code = linecache.getline(str(root / frame["file"]), frame["line"])
            where = f"{Path(frame['file']).as_posix()}:{frame['line']}"
            shown.append((where, code, frame["line"], frame))
        elif shown:
            hidden += 1
    lines: list[str] = []
    for where, code, number, frame in shown:
        if len(shown) > 1:  # the way from the chapter to the error, outermost first
            name = frame.get("name") or ""
            lines.append(f"  {where}" + (f", in {name}()" if not name.startswith("<") else ""))
        lines += _snippet(code, number, frame)
    lines += _suggestion(report.get("columns"))
    if hidden:
        plural = "s" if hidden > 1 else ""
        lines.append(
            f"  ({hidden} frame{plural} inside installed packages hidden; `--traceback` shows them)"
        )
    return CellError(message, location, "\n".join(lines), traceback=full)


def _syntax_error(
    syntax: dict[str, Any], cell: CodeCell, location: SourceLocation, full: str
) -> CellError:
    """`file:line: SyntaxError: msg` for the line Python could not read, with a caret;
    without the name of the kernel's temporary file for the cell."""
    number = syntax.get("line")
    source = cell.source.splitlines()
    if isinstance(number, int) and 0 < number <= len(source):
        location = cell.location_of(number)
        code = source[number - 1]
    else:
        code = syntax.get("text") or ""
    offset, end = syntax.get("offset"), syntax.get("end_offset")
    frame: dict[str, Any] = {"line": 1, "end_line": 1}
    if isinstance(offset, int) and offset > 0:
        # SyntaxError counts characters from 1; the caret needs UTF-8 byte offsets from 0.
        stop = end if isinstance(end, int) and end > offset else offset + 1
        frame["col"] = len(code[: offset - 1].encode("utf-8"))
        frame["end_col"] = len(code[: stop - 1].encode("utf-8"))
    message = f"SyntaxError: {syntax.get('msg') or 'invalid syntax'}"
    detail = "\n".join(_snippet(code, location.line, frame))
    return CellError(message, location, detail, traceback=full)


def _snippet(code: str, number: int, frame: dict[str, Any]) -> list[str]:
    """The line as the author wrote it (dedented) and a caret under the failing part."""
    text = code.rstrip("\r\n")
    shown = text.strip()
    if not shown:
        return []
    indent = len(text) - len(text.lstrip())
    start, width = 0, len(shown)
    col, end_col = frame.get("col"), frame.get("end_col")
    same_line = frame.get("end_line") in (None, frame.get("line"))
    if isinstance(col, int) and isinstance(end_col, int) and same_line and end_col > col:
        # Python reports UTF-8 byte offsets; count characters for the caret.
        encoded = text.encode("utf-8")
        first = len(encoded[:col].decode("utf-8", "replace"))
        last = len(encoded[:end_col].decode("utf-8", "replace"))
        if indent <= first < last <= len(text):
            start, width = first - indent, last - first
    gutter = f"{number:>{_GUTTER}} | "
    return [gutter + shown, " " * _GUTTER + " | " + " " * start + "^" * width]


def _suggestion(columns: dict[str, Any] | None) -> list[str]:
    if not columns:
        return []
    close = [f"'{name}'" for name in columns.get("close", [])]
    if close:
        options = close[0] if len(close) == 1 else ", ".join(close[:-1]) + f" or {close[-1]}"
        return [f"  did you mean {options}?"]
    names = ", ".join(f"'{name}'" for name in columns.get("names", []))
    return [f"  the data frame has no column '{columns.get('key')}'; its columns: {names}"]


def _first_code_line(cell: CodeCell) -> int:
    options = len(cell.source.splitlines()) - len(cell.code.splitlines())
    return options + 1


def _tail(full: str, message: str, keep: int = 12) -> str:
    """The last lines of IPython's traceback above its closing repeat of the message."""
    cut = full.rfind(message.splitlines()[0]) if message else -1
    frames = full[:cut] if cut > 0 else full
    rows = [r for r in frames.splitlines() if r.strip() and not set(r.strip()) <= {"-"}]
    return "\n".join(rows[-keep:])
