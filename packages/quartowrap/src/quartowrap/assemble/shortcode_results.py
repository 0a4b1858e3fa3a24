"""What shortcodes leave for the assembler: `contents` moves and unresolved keys.

`project/shortcodes.py` works line by line, before pandoc; two shortcodes need the parsed
chapter.  `{{< contents id >}}` becomes a marker div here replaced by the element with that
id, moved from where it stood (Quarto's `contents` shortcode).  A `meta`/`var`/`env` key
that does not exist printed `?meta:key` inside a marked span (as Quarto prints it); here it
becomes a `file:line` warning, an error under `--strict`, and the span loses its marks.
"""

from __future__ import annotations

from typing import Any

from quartowrap.project.shortcodes import UNKNOWN_ATTR, UNRESOLVED_CLASS

Node = dict[str, Any]
CONTENTS_CLASS = "quartowrap-contents"


def _attr_of(node: Any) -> list[Any] | None:
    """The pandoc Attr of a node that has one (Div, Span, Header, CodeBlock, Figure, …)."""
    if not isinstance(node, dict) or not isinstance(node.get("c"), list) or not node["c"]:
        return None
    kind, c = node["t"], node["c"]
    if kind in ("Div", "Span", "CodeBlock", "Figure", "Table", "Code", "Image", "Link"):
        return c[0]
    if kind == "Header":
        return c[1]
    return None


def _take(items: list[Any], ident: str) -> tuple[list[Any], Node | None]:
    """`items` without the first node whose id is `ident` (searched depth-first), and it."""
    for i, item in enumerate(items):
        attr = _attr_of(item)
        if attr is not None and attr[0] == ident:
            return items[:i] + items[i + 1 :], item
        if isinstance(item, dict | list):
            inner, found = _take_in(item, ident)
            if found is not None:
                return [*items[:i], inner, *items[i + 1 :]], found
    return items, None


def _take_in(node: Any, ident: str) -> tuple[Any, Node | None]:
    if isinstance(node, list):
        return _take(node, ident)
    if isinstance(node, dict) and "c" in node:
        inner, found = _take_in(node["c"], ident)
        return ({**node, "c": inner}, found) if found is not None else (node, None)
    return node, None


def _marker_target(node: Any) -> str | None:
    if isinstance(node, dict) and node.get("t") == "Div" and CONTENTS_CLASS in node["c"][0][1]:
        return dict(node["c"][0][2]).get("target")
    return None


def move_contents(blocks: list[Node]) -> tuple[list[Node], list[str]]:
    """Replace every `contents` marker by its target (moved); ids that match nothing stay
    as `?contents:id` text and are returned."""
    missing: list[str] = []
    while True:
        path = _find_marker(blocks)
        if path is None:
            return blocks, missing
        target = _marker_target(_get(blocks, path)) or ""
        rest, found = _take(_set(blocks, path, None), target)
        if found is None:
            missing.append(target)
            found = {
                "t": "Para",
                "c": [{"t": "Strong", "c": [{"t": "Str", "c": f"?contents:{target}"}]}],
            }
        blocks = _replace_placeholder(rest, found)


def _find_marker(node: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    if _marker_target(node) is not None:
        return path
    if isinstance(node, list):
        for i, item in enumerate(node):
            found = _find_marker(item, (*path, i))
            if found is not None:
                return found
    elif isinstance(node, dict) and "c" in node:
        return _find_marker(node["c"], (*path, "c"))
    return None


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


_PLACEHOLDER = {"t": "Div", "c": [["", ["quartowrap-contents-here"], []], []]}


def _set(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of `node` with the marker at `path` swapped for a placeholder."""
    if not path:
        return _PLACEHOLDER if value is None else value
    head, *rest = path
    copy = list(node) if isinstance(node, list) else dict(node)
    copy[head] = _set(node[head], tuple(rest), value)
    return copy


def _replace_placeholder(node: Any, found: Node) -> Any:
    if node is _PLACEHOLDER:
        return found
    if isinstance(node, list):
        return [_replace_placeholder(n, found) for n in node]
    if isinstance(node, dict):
        return {k: _replace_placeholder(v, found) for k, v in node.items()}
    return node


def unresolved_shortcodes(blocks: list[Node]) -> tuple[list[Node], list[str]]:
    """Blocks with the unresolved-key spans made plain, and a warning for each one."""
    warnings: list[str] = []

    def marked(node: Any) -> bool:
        return (
            isinstance(node, dict)
            and node.get("t") == "Span"
            and UNRESOLVED_CLASS in node["c"][0][1]
        )

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            out: list[Any] = []
            for item in node:
                if marked(item):  # the span gives way to its text, as Quarto prints it
                    kv = dict(item["c"][0][2])
                    text = "".join(i.get("c", "") for i in item["c"][1] if i.get("t") == "Str")
                    where = kv.get("data-source", "?")
                    if UNKNOWN_ATTR in kv:  # printed as written, as Quarto prints it
                        name = kv[UNKNOWN_ATTR]
                        warnings.append(
                            f"{where}: shortcode '{name}' not found (printed as written)"
                        )
                    else:
                        warnings.append(f"{where}: unresolved shortcode {text}")
                    out.extend(item["c"][1])
                else:
                    out.append(walk(item))
            return out
        if not isinstance(node, dict):
            return node
        return {k: walk(v) for k, v in node.items()}

    return walk(blocks), warnings
