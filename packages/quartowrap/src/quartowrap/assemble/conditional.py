"""Quarto's conditional content: `.content-visible` / `.content-hidden` divs, spans and code.

Conditions (quarto.org, Conditional Content): `when-format`, `unless-format`, `when-meta`,
`unless-meta` (`when-profile`/`unless-profile` compare with the active profiles, of which
this engine has none).  Content is shown when every condition holds for `.content-visible`,
and hidden when every condition holds for `.content-hidden`.  A div that stays is replaced
by its content; a span or code block stays, without the condition classes and attributes.

Metadata conditions are the same for every output, so the assembler resolves them per
chapter (before cross-references are numbered); format conditions are resolved by each
writer on its own copy of the AST (`html`, or `typst` for the PDF).  A figure or table
inside format-conditional content is therefore numbered in both outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Node = dict[str, Any]

VISIBLE, HIDDEN = "content-visible", "content-hidden"
FORMAT_KEYS = ("when-format", "unless-format")
META_KEYS = ("when-meta", "unless-meta")
PROFILE_KEYS = ("when-profile", "unless-profile")
CONDITION_KEYS = FORMAT_KEYS + META_KEYS + PROFILE_KEYS

# The names each writer answers to (Quarto's format aliases): our PDF is made with typst
# and stands for both `format: typst` and `format: pdf`.
FORMAT_NAMES: dict[str, frozenset[str]] = {
    "html": frozenset({"html", "html4", "html5", "html:js"}),
    "typst": frozenset({"typst", "pdf", "latex"}),
}


def meta_truthy(meta: Mapping[str, Any], key: str) -> bool:
    """Whether the (dotted) metadata `key` is true, as `when-meta` asks."""
    value: Any = meta
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes"}
    return value is True


def _holds(key: str, value: str, fmt: str | None, meta: Mapping[str, Any]) -> bool | None:
    """Whether one condition holds; None when it cannot be decided yet (format unknown)."""
    if key in FORMAT_KEYS:
        if fmt is None:
            return None
        names = FORMAT_NAMES.get(fmt, frozenset({fmt}))
        wanted = {v.strip() for v in value.split(",") if v.strip()}
        matches = bool(wanted & names)
        return matches if key == "when-format" else not matches
    if key in META_KEYS:
        truthy = meta_truthy(meta, value)
        return truthy if key == "when-meta" else not truthy
    return key == "unless-profile"  # no profile is ever active here


def _decide(attr: list[Any], fmt: str | None, meta: Mapping[str, Any]) -> tuple[str, list]:
    """`keep` (shown, conditions gone), `drop`, or `defer` (attr with undecided conditions)."""
    ident, classes, kvs = attr
    kind = VISIBLE if VISIBLE in classes else HIDDEN
    undecided, others, results = [], [], []
    for k, v in kvs:
        if k not in CONDITION_KEYS:
            others.append([k, v])
            continue
        held = _holds(k, v, fmt, meta)
        if held is None:
            undecided.append([k, v])
        else:
            results.append(held)
    all_known_hold = all(results)
    if kind == VISIBLE and not all_known_hold:
        return "drop", attr
    if kind == HIDDEN and not all_known_hold:
        return "keep", [ident, [c for c in classes if c not in (VISIBLE, HIDDEN)], others]
    if undecided:
        return "defer", [ident, classes, others + undecided]
    if kind == HIDDEN:
        return "drop", attr
    return "keep", [ident, [c for c in classes if c not in (VISIBLE, HIDDEN)], others]


def _is_conditional(node: Any) -> bool:
    if not isinstance(node, dict) or node.get("t") not in ("Div", "Span", "CodeBlock"):
        return False
    classes = node["c"][0][1]
    return VISIBLE in classes or HIDDEN in classes


def _walk_list(items: list[Any], visit: Callable[[Node], list[Any]]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if _is_conditional(item):
            out.extend(visit(item))
        else:
            out.append(_walk(item, visit))
    return out


def _walk(node: Any, visit: Callable[[Node], list[Any]]) -> Any:
    if isinstance(node, list):
        return _walk_list(node, visit)
    if isinstance(node, dict):
        return {k: _walk(v, visit) for k, v in node.items()}
    return node


def resolve_conditions(
    blocks: list[Node], *, fmt: str | None = None, meta: Mapping[str, Any] | None = None
) -> list[Node]:
    """`blocks` with the conditions decidable for `fmt` (None: metadata only) applied."""
    meta = meta or {}

    def visit(node: Node) -> list[Any]:
        decision, attr = _decide(node["c"][0], fmt, meta)
        if decision == "drop":
            return []
        t, rest = node["t"], node["c"][1:]
        if decision == "defer":
            inner = [_walk(r, visit) for r in rest]
            return [{"t": t, "c": [attr, *inner]}]
        if t == "Div":
            return _walk_list(rest[0], visit)  # as Quarto: the div gives way to its content
        return [{"t": t, "c": [attr, *[_walk(r, visit) for r in rest]]}]

    return _walk_list(blocks, visit)
