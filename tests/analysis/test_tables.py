"""analysis.tables: markdown tables that keep their data and never leak markup."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pypandoc

from analysis.tables import TABLE_MIME, escape_markdown, show_table


def _pandoc_json(markdown: str) -> dict:
    return json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))


def _strings(node: object) -> list[str]:
    """Every Str node's text in a pandoc JSON tree, in order."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("t") == "Str":
            found.append(node["c"])
        for value in node.values():
            found.extend(_strings(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_strings(value))
    return found


def test_show_table_keeps_tidy_data_as_csv() -> None:
    display = pd.DataFrame({"Region": ["Flanders"], "Score": ["3 (2-4)"]})
    tidy = pd.DataFrame({"region": ["Flanders"], "median": [3], "p25": [2], "p75": [4]})
    table = show_table(display, tidy)
    bundle = table._repr_mimebundle_()
    assert bundle[TABLE_MIME]["csv"] == "region,median,p25,p75\nFlanders,3,2,4\n"
    assert "| Region" in bundle["text/markdown"]


def test_free_text_reaches_pandoc_as_plain_text() -> None:
    hostile = "<script>alert(1)</script> *bold* #[typst] $x$ @ref [link](x)"
    frame = pd.DataFrame({"Action": [hostile]})
    doc = _pandoc_json(show_table(frame).markdown)
    table = doc["blocks"][0]
    assert table["t"] == "Table"
    body_text = " ".join(_strings(table["c"][4]))
    # Every word of the input survives as literal text: no element, emphasis or cite.
    for word in ["<script>alert(1)</script>", "*bold*", "#[typst]", "$x$", "@ref", "[link](x)"]:
        assert word in body_text
    assert "RawInline" not in json.dumps(table) and "Emph" not in json.dumps(table)


def test_escape_markdown_removes_line_breaks() -> None:
    assert "\n" not in escape_markdown("first line\nsecond line")


def test_pandoc_binary_is_usable() -> None:
    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("pandoc")
