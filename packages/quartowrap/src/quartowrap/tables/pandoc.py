"""Pandoc JSON inlines for table text: plain text as `Str`/`Space`, glued where it must not break.

Text becomes `Str` nodes, never markup, so pandoc's writers escape it (`<script>`, `#`, `$`).
"""

from __future__ import annotations

import re
from typing import Any

Node = dict[str, Any]
NBSP = "\u00a0"
_UNIT = re.compile(r"\(.{1,3}\)[.,;:]?")


def text_inlines(text: str) -> list[Node]:
    """Plain text as pandoc inlines: words (no-break spaces kept inside them) and spaces."""
    out: list[Node] = []
    for i, word in enumerate(re.split(r"[ \t\r\n]+", text.strip())):
        if not word:
            continue
        if i:
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": word})
    return out


def glue(inlines: list[Node]) -> list[Node]:
    """No-break spaces around "=" ("n = 137") and before a short unit ("know (n)", "(%)")."""
    out: list[Node] = []
    for i, el in enumerate(inlines):
        if el.get("t") in {"Space", "SoftBreak"}:  # a grid table's line break is a space
            nxt = inlines[i + 1] if i + 1 < len(inlines) else {}
            prev = inlines[i - 1] if i > 0 else {}
            nxt_text = nxt.get("c") if nxt.get("t") == "Str" else ""
            prev_text = prev.get("c") if prev.get("t") == "Str" else ""
            if nxt_text == "=" or prev_text == "=" or _UNIT.fullmatch(nxt_text or ""):
                out.append({"t": "Str", "c": NBSP})
                continue
        out.append(el)
    return out


_SKIP = frozenset({"Code", "CodeBlock", "RawInline", "RawBlock", "Math"})


def glue_all(value: Any) -> Any:
    """`glue` applied to every inline list (Para/Plain content, nested inlines) in `value`."""
    if isinstance(value, list):
        return [glue_all(v) for v in value]
    if isinstance(value, dict):
        if value.get("t") in {"Para", "Plain"}:
            return {"t": value["t"], "c": glue(glue_all(value["c"]))}
        if "c" in value and value.get("t") not in _SKIP:
            return {**value, "c": glue_all(value["c"])}
    return value


def glue_text(text: str) -> str:
    """The text as it prints: glued pieces joined by no-break spaces (for measuring)."""
    return stringify(glue(text_inlines(text)))


def stringify(value: Any) -> str:
    """The text of pandoc nodes, as pandoc.utils.stringify (spaces for Space/breaks)."""
    parts: list[str] = []

    def visit(v: Any) -> None:
        if isinstance(v, list):
            for item in v:
                visit(item)
        elif isinstance(v, dict):
            t = v.get("t")
            if t in {"Str", "Code", "Math"}:
                parts.append(v["c"] if t == "Str" else v["c"][-1])
            elif t in {"Space", "SoftBreak", "LineBreak"}:
                parts.append(" ")
            elif t in {"RawInline", "RawBlock", "Note"}:
                return
            elif t in {"Para", "Plain"} and parts:
                parts.append(" ")
                visit(v.get("c"))
            elif "c" in v:
                visit(v["c"])

    visit(value)
    return re.sub(r"[ ]{2,}", " ", "".join(parts)).strip()
