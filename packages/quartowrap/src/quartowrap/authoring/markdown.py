"""Markdown built from data, safely: every data value is text until an author says otherwise.

A chapter that writes prose from data (`Markdown(f"... {name} ...")`) must escape the data
parts, or a value holding `<script>`, `*` or a raw `{=typst}` span becomes markup.
"""

from __future__ import annotations

import re

__all__ = ["escape_markdown"]

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$@~^&=:;\"'])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every character pandoc markdown could read as markup."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A line break inside a cell would end a pipe-table row; keep it as a space.
    return re.sub(r"\s*\n\s*", " ", escaped)
