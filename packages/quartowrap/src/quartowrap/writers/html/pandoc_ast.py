"""Small helpers on pandoc's JSON AST for the HTML writer: build nodes, read attributes, walk."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Node = dict[str, Any]

# Attributes the filters use to talk to the writers; not written into the HTML.
_INTERNAL_KV = ("number", "xref-label")


# --------------------------------------------------------------------------------------
# Pandoc JSON helpers
# --------------------------------------------------------------------------------------
def _str(text: str) -> Node:
    return {"t": "Str", "c": text}


def _span(classes: list[str], inlines: list[Node]) -> Node:
    return {"t": "Span", "c": [["", classes, []], inlines]}


def _raw_html(html: str) -> Node:
    return {"t": "RawBlock", "c": ["html", html]}


def _attr_of(node: Node) -> list[Any] | None:
    """The `[id, classes, key-values]` of an element, or None if it has none."""
    t = node.get("t")
    if t == "Header":
        return node["c"][1]
    if t in {"Div", "Span", "Table", "Figure", "CodeBlock", "Code", "Link", "Image"}:
        return node["c"][0]
    return None


def _kv(attr: list[Any], key: str) -> str | None:
    for k, v in attr[2]:
        if k == key:
            return v
    return None


def _without_kv(attr: list[Any], *keys: str) -> list[Any]:
    return [attr[0], attr[1], [[k, v] for k, v in attr[2] if k not in keys]]


def plain_text(value: Any) -> str:
    """Readable text of any pandoc JSON fragment (for titles, search and alt text)."""
    parts: list[str] = []

    def visit(v: Any) -> None:
        if isinstance(v, list):
            for item in v:
                visit(item)
        elif isinstance(v, dict):
            t = v.get("t")
            if t == "Str":
                parts.append(v["c"])
            elif t in {"Space", "SoftBreak", "LineBreak"}:
                parts.append(" ")
            elif t in {"Code", "Math"}:
                parts.append(v["c"][1])
            elif t == "CodeBlock":
                parts.append(" " + v["c"][1] + " ")
            elif t in {"RawInline", "RawBlock", "Note"}:
                return
            elif t == "Image":
                visit(v["c"][1])
            elif "c" in v:
                if t in _BLOCK_TYPES:
                    parts.append(" ")
                visit(v["c"])
                if t in _BLOCK_TYPES:
                    parts.append(" ")

    visit(value)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


_BLOCK_TYPES = {
    "Para",
    "Plain",
    "Header",
    "Div",
    "BlockQuote",
    "BulletList",
    "OrderedList",
    "DefinitionList",
    "Table",
    "Figure",
    "LineBlock",
    "Cell",
    "Row",
}


# Elements that never hold anything the writer changes: the walkers do not descend.
_LEAVES = frozenset(
    {"Str", "Space", "SoftBreak", "LineBreak", "Math", "RawInline", "RawBlock", "HorizontalRule"}
)
_WALK_SKIP = _LEAVES | {"Code", "CodeBlock"}


def _walk(value: Any, fn: Callable[[Node], Node | list[Node]]) -> Any:
    """Bottom-up copy of a pandoc JSON tree; `fn` may return a list to splice blocks.

    Only rebuilt containers are new objects; untouched leaves are shared with the input,
    which is never modified.
    """
    if type(value) is list:
        out: list[Any] = []
        for item in value:
            if type(item) is dict:
                t = item.get("t")
                if t in _WALK_SKIP:
                    out.append(item)
                    continue
                new = _walk(item, fn)
                if t is not None and type(new) is list:
                    out.extend(new)
                else:
                    out.append(new)
            elif type(item) is list:
                out.append(_walk(item, fn))
            else:
                out.append(item)
        return out
    if type(value) is dict:
        if "c" in value:
            value = {**value, "c": _walk(value["c"], fn)}
        return fn(value) if "t" in value else value
    return value


def _ids_in(blocks: Any) -> list[str]:
    """Every element id in a tree, in document order (iterative: trees can be large)."""
    ids: list[str] = []
    stack = [blocks]
    while stack:
        v = stack.pop()
        if type(v) is list:
            stack.extend(reversed(v))
        elif type(v) is dict:
            t = v.get("t")
            if t is None or t in _LEAVES:
                continue
            attr = _attr_of(v)
            if attr and attr[0]:
                ids.append(attr[0])
            if t not in {"Code", "CodeBlock"} and "c" in v:
                stack.append(v["c"])
    return ids
