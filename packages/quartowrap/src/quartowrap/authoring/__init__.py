"""What a chapter calls: publish a table with its data, read the build's data, write safe markdown.

This is the renderer's documented authoring API (see `docs/authoring.md`). It runs inside a
chapter's kernel; `tables` and `data` need pandas, which a book that uses them installs.
Names are imported lazily so that `quartowrap.authoring.paths` or `.markdown` stay cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from quartowrap.authoring.markdown import SafeMarkdown, escape_markdown, md
from quartowrap.authoring.paths import data_dir, project_root
from quartowrap.authoring.protocol import DATA_DIR_ENV, PROJECT_ROOT_ENV, TABLE_MIME

_LAZY = {
    "Cell": "tables",
    "MarkdownTable": "tables",
    "grid_table": "tables",
    "show_table": "tables",
    "load_table": "data",
    "load_codebook": "data",
    "load_yaml": "data",
    "load_validated_yaml": "data",
    "DataValidationError": "data",
}

__all__ = [
    "DATA_DIR_ENV",
    "PROJECT_ROOT_ENV",
    "TABLE_MIME",
    "data_dir",
    "SafeMarkdown",
    "escape_markdown",
    "md",
    "project_root",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"quartowrap.authoring.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'quartowrap.authoring' has no attribute {name!r}")
