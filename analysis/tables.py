"""Show a data frame in a chapter as a publication table, keeping the tidy data behind it.

Analyses return tidy frames; chapters format them for reading.  `show_table` renders the
formatted frame as a pandoc markdown table (tabulate) and attaches the tidy frame as CSV,
so the renderer can publish `tables/<label>.csv` next to the report.  Every text cell is
escaped: free text typed by survey respondents or stakeholders reaches HTML and PDF as
text, never as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tabulate import tabulate

TABLE_MIME = "application/vnd.kce.table+json"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|$@~^&=:;\"'])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every character pandoc markdown could read as markup."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A line break inside a cell would end a pipe-table row; keep it as a space.
    return re.sub(r"\s*\n\s*", " ", escaped)


def _cell(value: Any, floatfmt: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return format(value, floatfmt)
    if isinstance(value, int | bool):
        return str(value)
    return escape_markdown(str(value))


@dataclass(frozen=True)
class MarkdownTable:
    """A rendered table: markdown for the page, CSV for the release."""

    markdown: str
    csv: str

    def _repr_markdown_(self) -> str:
        return self.markdown

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/markdown": self.markdown,
            "text/plain": self.markdown,
            TABLE_MIME: {"csv": self.csv},
        }


def show_table(
    display: pd.DataFrame,
    data: pd.DataFrame | None = None,
    *,
    floatfmt: str = ".2f",
    index: bool = False,
    colalign: tuple[str, ...] | None = None,
) -> MarkdownTable:
    """Render `display` as a pipe table; `data` (default: `display`) becomes the CSV.

    The caption and label come from the cell options (`#| label: tbl-…`, `#| tbl-cap:`),
    as in Quarto, so the same chapter renders with the real Quarto CLI.
    """
    frame = display.reset_index() if index else display
    headers = [escape_markdown(str(c)) for c in frame.columns]
    rows = [[_cell(v, floatfmt) for v in row] for row in frame.itertuples(index=False)]
    markdown = tabulate(
        rows, headers=headers, tablefmt="pipe", disable_numparse=True, colalign=colalign
    )
    tidy = data if data is not None else display
    csv = tidy.to_csv(index=index, lineterminator="\n")
    return MarkdownTable(markdown=markdown, csv=csv)
