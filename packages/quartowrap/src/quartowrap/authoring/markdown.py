"""Markdown built from data, safely: every data value is text until an author says otherwise.

A chapter that writes prose from data (`Markdown(f"... {name} ...")`) must escape the data
parts, or a value holding `<script>`, `*` or a raw `{=typst}` span becomes markup.  `md()`
does it for you: the template is the author's markdown, every value put into it is escaped.

    md("Data: {source} ({n:,} rows).", source=spec.source, n=len(frame))
"""

from __future__ import annotations

import re
import string
from typing import Any

__all__ = ["SafeMarkdown", "escape_markdown", "md"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$@~^&=:;\"'])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every character pandoc markdown could read as markup."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A line break inside a cell would end a pipe-table row; keep it as a space.
    return re.sub(r"\s*\n\s*", " ", escaped)


class SafeMarkdown(str):
    """Markdown whose data parts are escaped; shown as markdown by the engine (and Jupyter).

    It is a `str`, so it can be joined and nested: a `SafeMarkdown` value put into `md()`
    is kept as markdown, not escaped a second time.
    """

    __slots__ = ()

    def _repr_markdown_(self) -> str:
        return str(self)

    def __add__(self, other: object) -> SafeMarkdown:
        if isinstance(other, SafeMarkdown):
            return SafeMarkdown(str(self) + str(other))
        return SafeMarkdown(str(self) + escape_markdown(str(other)))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        return text if isinstance(value, SafeMarkdown) else escape_markdown(text)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is None:
            return value
        return super().convert_field(value, conversion)


_FORMATTER = _EscapingFormatter()


def md(template: str, /, *args: Any, **values: Any) -> SafeMarkdown:
    """`template` (the author's markdown, `str.format` fields) with every value escaped.

    `md("**{name}** said {quote}", name=row.name, quote=row.text)` makes the bold the
    author's and the name and quote text, whatever characters they hold.  Pass a value
    through `md()` (or wrap it in `SafeMarkdown`) to keep it as markdown on purpose.
    """
    return SafeMarkdown(_FORMATTER.format(template, *args, **values))
