"""quartowrap.authoring.tables: markdown tables that keep their data and never leak markup."""

from __future__ import annotations

import json
import re
import subprocess

import pandas as pd
import pypandoc
import pytest
from quartowrap.authoring.tables import (
    TABLE_MIME,
    Cell,
    MarkdownTable,
    escape_markdown,
    grid_table,
    show_table,
)


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


# ------------------------------------------------------------------ grid tables

HOSTILE = "<script>alert(1)</script> #set page(width: 1cm) $x$ @ref *bold* [link](x)"


def _pandoc(markdown: str, to: str) -> str:
    """Convert with the pandoc binary the renderer uses, as the book build does."""
    result = subprocess.run(
        [pypandoc.get_pandoc_path(), "--from", "markdown", "--to", to],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _hostile_table() -> MarkdownTable:
    """Hostile text in every place a grid table puts text: header, group row, plain,
    bold, italic and bullet cells."""
    display = pd.DataFrame(
        {
            "group": [HOSTILE, HOSTILE],
            HOSTILE: [HOSTILE, Cell.bullets([HOSTILE, "second item"])],
            "Other": [Cell.strong(HOSTILE), Cell.text("plain") + Cell.emph(HOSTILE)],
        }
    )
    return grid_table(display, widths=[24, 30], group="group")


def test_grid_table_text_stays_literal_in_html() -> None:
    html = _pandoc(_hostile_table().markdown, "html")
    text = " ".join(html.split())  # undo pandoc's line wrapping
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # header + group row + plain + bold + 2 bullets... every copy survives as text
    assert text.count("#set page(width: 1cm) $x$ @ref *bold* [link](x)") == 6
    assert "citation" not in html and "math" not in html and "<a " not in html
    # Only the markup the builder adds: one bold group row, one bold cell, one italic.
    assert html.count("<strong>") == 2 and html.count("<em>") == 1
    assert html.count("<li>") == 2


def test_grid_table_text_stays_literal_in_typst() -> None:
    typst = _pandoc(_hostile_table().markdown, "typst")
    text = " ".join(typst.split())
    assert re.search(r"(?<!\\)#set", typst) is None  # no live typst code
    assert re.search(r"(?<!\\)[$@<]", text.replace("#table(", "")) is None
    assert text.count(r"\#set page(width: 1cm) \$x\$ \@ref \*bold\* \[link\](x)") == 6
    assert r"\<script\>alert(1)\</script\>" in text


def test_group_rows_span_all_columns_once_per_run() -> None:
    display = pd.DataFrame(
        {
            "A": ["a1", "a2", "a3", "a4"],
            "level": ["Federal", "Federal", None, "Flanders"],
            "B": ["b1", "b2", "b3", "b4"],
            "C": ["c1", "c2", "c3", "c4"],
        }
    )
    table = grid_table(display, widths=[6, 6, 6], group="level")
    html = _pandoc(table.markdown, "html")
    assert html.count('colspan="3"') == 2  # Federal, Flanders; no row for a missing group
    assert "<strong>Federal</strong>" in html and "<strong>Flanders</strong>" in html
    assert "level" not in html  # the grouping column is not shown
    assert html.count("<tr>") == 1 + 2 + 4  # header, two group rows, four data rows


def test_long_group_row_is_wrapped_to_the_table_width() -> None:
    display = pd.DataFrame({"g": ["word " * 30], "A": ["x"], "B": ["y"]})
    lines = grid_table(display, widths=[10, 10], group="g").markdown.splitlines()
    assert len({len(line) for line in lines}) == 1  # every line as wide as the borders
    assert len(lines[0]) == 1 + (10 + 2) + 1 + (10 + 2) + 1


def test_multi_line_cells_keep_paragraphs_and_lists() -> None:
    display = pd.DataFrame(
        {
            "Text": ["line one\nline two", "a single item"],
            "List": [Cell.bullets(["first", "second"]), Cell.bullets(["a single item"])],
            "Mixed": [Cell.text("Redesign care") + Cell.bullets(["x", "y"]), Cell.raw("@sec-x")],
        }
    )
    table = grid_table(display, widths=[12, 12, 16])
    html = _pandoc(table.markdown, "html")
    assert "<p>line one</p>" in html and "<p>line two</p>" in html
    assert html.count("<ul>") == 2  # "a single item" is not made a one-bullet list
    assert "<p>Redesign care</p>\n<ul>" in html
    ast = _pandoc_json(table.markdown)
    assert json.dumps(ast).count('"citationId": "sec-x"') == 1  # raw markup stays live


def test_text_is_wrapped_to_the_column_width() -> None:
    long = "integrated care for chronic patients in every region of the country"
    lines = grid_table(pd.DataFrame({"A": [long]}), widths=[20]).markdown.splitlines()
    body = [line[2:-2].rstrip() for line in lines[3:-1]]
    assert body and all(len(line) <= 20 for line in body)
    assert " ".join(body) == long
    # A word longer than the column widens it instead of being cut.
    code = "CODE-" * 6
    lines = grid_table(pd.DataFrame({"A": [code]}), widths=[8]).markdown.splitlines()
    assert code.replace("-", "\\-") in lines[3]


def test_widths_must_match_the_shown_columns() -> None:
    display = pd.DataFrame({"g": ["x"], "A": ["a"], "B": ["b"]})
    with pytest.raises(ValueError, match=r"2 columns shown .* but 3 widths"):
        grid_table(display, widths=[5, 5, 5], group="g")


def test_grid_table_keeps_tidy_data_as_csv() -> None:
    display = pd.DataFrame({"Model": [Cell.strong("MSSP")], "Outcomes": ["fewer\nadmissions"]})
    tidy = pd.DataFrame({"model": ["MSSP", "MSSP"], "outcome_no": [1, 2]})
    bundle = grid_table(display, tidy, widths=[8, 12])._repr_mimebundle_()
    assert bundle[TABLE_MIME]["csv"] == "model,outcome_no\nMSSP,1\nMSSP,2\n"
    assert bundle["text/markdown"].startswith("+---")


def test_show_table_switches_to_grid_only_for_line_breaks() -> None:
    flat = pd.DataFrame({"A": ["one line"], "B": [1.5]})
    assert show_table(flat).markdown.startswith("| A")
    broken = pd.DataFrame({"A": ["line one\nline two"], "B": [1.5]})
    grid = show_table(broken, colalign=("left", "right"))
    assert grid.markdown.startswith("+---")
    html = _pandoc(grid.markdown, "html")
    assert "<p>line one</p>" in html and "<p>line two</p>" in html
    assert "1.50" in html and 'style="text-align: right;"' in html
    assert show_table(broken, layout="pipe").markdown.startswith("| A")
    assert show_table(broken).csv == 'A,B\n"line one\nline two",1.5\n'
