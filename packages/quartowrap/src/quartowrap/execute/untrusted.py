"""Raw `{=html}`/`{=typst}` is accepted from chapter source only, never from a cell's output.

Why: a cell's markdown (a `Markdown(...)` value, a DataFrame shown as a table, an `asis`
print, an HTML-only display) may carry text from data; if pandoc read a `<script>` or a
`` `#read("/etc/passwd")`{=typst} `` in it as raw output, data would become markup.  Markdown
syntax in cell output stays markdown (emphasis, links, tables, citations), but raw nodes are
turned into text.

How: weave puts every output between two HTML-comment markers that carry the hash of the
output (`<!--quartowrap-output:H-->` … `<!--/quartowrap-output:H-->`).  After pandoc has
parsed the chapter, `neutralise_raw` walks its AST in document order, drops the markers and
turns each raw node between them into text (RawInline -> Str, RawBlock -> CodeBlock); a
link there to a `javascript:`, `vbscript:` or `data:` URL becomes its plain text.  Data
cannot close a region early: the end marker must repeat the hash of the whole output,
which includes the forged marker itself.  A region that is never closed (data that opened a
raw HTML block swallowing the end marker) extends to the end of the chapter: safe, not silent.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_START = "<!--quartowrap-output:{}-->"
_END = "<!--/quartowrap-output:{}-->"
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
_MARKER = re.compile(r"^<!--(?P<end>/?)quartowrap-output:(?P<hash>[0-9a-f]{16})-->$")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def mark_block(markdown: str) -> str:
    """A cell output (block-level markdown) between markers, each a paragraph of its own."""
    if not markdown.strip():
        return markdown
    h = _digest(markdown)
    return f"{_START.format(h)}\n\n{markdown}\n\n{_END.format(h)}"


def mark_inline(markdown: str) -> str:
    """An inline expression's markdown value between markers that keep it inline.

    A multi-line value (a list, a callout) ends its last line before the end marker, so a
    closing `:::` still closes."""
    if not markdown:
        return markdown
    h = _digest(markdown)
    tail = "\n" if "\n" in markdown.strip("\n") else ""
    return f"{_START.format(h)}{markdown}{tail}{_END.format(h)}"


def _as_text(node: dict[str, Any]) -> dict[str, Any]:
    fmt, text = node["c"]
    if node["t"] == "RawInline":
        return {"t": "Str", "c": text}
    return {"t": "CodeBlock", "c": [["", ["raw-refused", f"raw-{fmt}"], []], text]}


def neutralise_raw(ast: dict[str, Any]) -> dict[str, Any]:
    """`ast` with the output markers removed and raw nodes inside them made text."""
    stack: list[str] = []

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            out = []
            for item in value:
                new = walk(item)
                if new is not _DROP:
                    out.append(new)
            return out
        if not isinstance(value, dict):
            return value
        kind = value.get("t")
        if kind in ("RawBlock", "RawInline"):
            fmt, text = value["c"]
            marker = _MARKER.match(text.strip()) if fmt == "html" else None
            if marker:
                if not marker["end"]:
                    stack.append(marker["hash"])
                    return _DROP
                if stack and stack[-1] == marker["hash"]:
                    stack.pop()
                    return _DROP
                if not stack:
                    return _DROP  # a stray end marker outside any output: nothing to close
            return _as_text(value) if stack else value
        if kind == "Table":
            value = _label_from_caption(value)
        if kind == "Link" and stack and _SCRIPT_URL.match(value["c"][2][0]):
            value = {"t": "Span", "c": [value["c"][0], value["c"][1]]}
        return {k: walk(v) for k, v in value.items()}

    return {**ast, "blocks": walk(ast.get("blocks", []))}


_DROP = object()
_CAPTION_LABEL = re.compile(r"^\{#(tbl-[\w:.\-]+)\}$")


def _label_from_caption(table: dict[str, Any]) -> dict[str, Any]:
    """A table whose `: caption {#tbl-x}` pandoc did not read as its label (an unmatched `__`
    in caption text from data does that) still gets its label, so it is never lost."""
    attr, caption = table["c"][0], table["c"][1]
    blocks = caption[1]
    if attr[0] or not blocks or blocks[-1].get("t") not in ("Plain", "Para"):
        return table
    inlines = blocks[-1]["c"]
    last = inlines[-1] if inlines else None
    found = _CAPTION_LABEL.match(last["c"]) if last and last.get("t") == "Str" else None
    if not found:
        return table
    inlines = inlines[:-1]
    while inlines and inlines[-1].get("t") in ("Space", "SoftBreak"):
        inlines = inlines[:-1]
    new_blocks = [*blocks[:-1], {**blocks[-1], "c": inlines}]
    return {**table, "c": [[found[1], attr[1], attr[2]], [caption[0], new_blocks], *table["c"][2:]]}


__all__ = ["mark_block", "mark_inline", "neutralise_raw"]
