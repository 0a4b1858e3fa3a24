"""The table model fed by each kind of cell output, and by tables written in prose."""

from __future__ import annotations

import json

import pandas as pd
import pypandoc
import pytest
from quartowrap.authoring.protocol import TABLE_MIME
from quartowrap.authoring.tables import Cell, grid_table, show_table
from quartowrap.tables import build
from quartowrap.tables.model import Table, classify


def _roundtrip(table: Table) -> Table:
    """Through JSON, as in a kernel's output bundle and in freeze."""
    return Table.from_json(json.loads(json.dumps(table.to_json())))


def _texts(table: Table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in [*table.head, *table.body]]


def test_classify_quantities_and_text():
    for text in ("12", "3.92", "−1.2 [−2.0; 0.4]", "12 (4 %)", "< 0.001", "p < 0.05", "1 234"):
        assert classify(text) == "number", text
    for text in ("2, 3, 7", "Don't know (n)", "2a", "Chapter 2"):
        assert classify(text) == "text", text
    for text in ("", "–", "NA"):
        assert classify(text) == "empty", text


def test_show_table_payload_carries_the_model_and_the_csv():
    display = pd.DataFrame({"Region": ["Brussels", "Flanders"], "n": [137, 412], "%": [12.5, 50.0]})
    tidy = pd.DataFrame({"region": ["BRU", "FLA"], "count": [137, 412]})
    bundle = show_table(display, tidy, colalign=("left", "right", "right"))._repr_mimebundle_()
    table = build.from_payload(json.loads(json.dumps(bundle[TABLE_MIME])))
    assert table is not None
    assert _texts(table) == [
        ["Region", "n", "%"],
        ["Brussels", "137", "12.50"],
        ["Flanders", "412", "50.00"],
    ]
    assert [c.kind for c in table.body[0].cells] == ["text", "number", "number"]
    assert table.align == [None, "right", "right"]
    # the CSV is the tidy frame, unchanged by the model
    assert bundle[TABLE_MIME]["csv"] == table.csv == "region,count\nBRU,137\nFLA,412\n"


def test_grid_table_group_rows_and_styled_cells_reach_the_model():
    display = pd.DataFrame(
        {
            "Level": ["Federal", "Federal", "Flanders"],
            "Document": [Cell.strong("Plan A"), "Plan B", Cell.text("Plan C") + Cell.emph("gloss")],
            "Aims": [3, 5, 2],
        }
    )
    table = _roundtrip(
        build.from_payload(grid_table(display, group="Level")._repr_mimebundle_()[TABLE_MIME])
    )
    groups = [row.cells[0].text for row in table.body if row.group]
    assert groups == ["Federal", "Flanders"]
    assert all(row.cells[0].colspan == 2 for row in table.body if row.group)
    first = next(row for row in table.body if not row.group)
    assert first.cells[0].style == "strong" and first.cells[1].kind == "number"


def test_dataframe_index_is_the_stub_and_multiindex_columns_are_spanners():
    columns = pd.MultiIndex.from_tuples(
        [("Belgium", "n"), ("Belgium", "%"), ("Brussels", "n"), ("Brussels", "%")]
    )
    frame = pd.DataFrame(
        [[10, 12.5, 3, 30.0], [70, 87.5, 7, 70.0]],
        index=pd.Index(["Yes", "No"], name="Answer"),
        columns=columns,
    )
    table = _roundtrip(build.from_frame(frame))
    assert table.stub == 1 and table.ncols == 5
    spanners = table.head[0].cells
    assert [(c.text, c.colspan) for c in spanners] == [("", 1), ("Belgium", 2), ("Brussels", 2)]
    assert [c.text for c in table.head[1].cells] == ["Answer", "n", "%", "n", "%"]
    assert [c.kind for c in table.body[0].cells] == ["text", "number", "number", "number", "number"]
    assert table.body[0].cells[2].text == "12.5"
    # the tidy CSV is the frame as pandas writes it: the named index is data, it is kept
    assert table.csv == frame.to_csv(lineterminator="\n")
    assert table.csv.splitlines()[-2].startswith("Yes,10,12.5")


def test_dataframe_missing_values_are_empty_and_text_stays_text():
    frame = pd.DataFrame({"a": [1.5, None], "b": ["<script>", "x"]})
    table = build.from_frame(frame, index=False)
    assert _texts(table)[1:] == [["1.5", "<script>"], ["", "x"]]
    assert table.body[1].cells[0].kind == "empty"
    assert table.csv == "a,b\n1.5,<script>\n,x\n"


def test_styler_display_values_without_hidden_index_and_columns():
    frame = pd.DataFrame(
        {"region": ["Brussels", "Flanders"], "secret": ["x", "y"], "share": [0.125, 0.5]}
    )
    styler = frame.style.format({"share": "{:.1%}"}).hide(axis="index").hide(["secret"], axis=1)
    table = _roundtrip(build.from_styler(styler))
    assert table.stub == 0
    assert _texts(table) == [["region", "share"], ["Brussels", "12.5%"], ["Flanders", "50.0%"]]
    assert [c.kind for c in table.body[0].cells] == ["text", "number"]
    assert "secret" not in table.csv and table.csv.startswith("region,share\n")


def test_great_tables_stub_groups_spanners_values_and_notes():
    gt = pytest.importorskip("great_tables")
    frame = pd.DataFrame(
        {
            "region": ["Brussels", "Flanders", "Wallonia"],
            "level": ["Regional", "Regional", "Federal"],
            "n": [137, 412, 5],
            "share": [0.125, 0.5, 0.1],
        }
    )
    table = (
        gt.GT(frame, rowname_col="region", groupname_col="level")
        .tab_spanner("Respondents", columns=["n", "share"])
        .fmt_percent("share", decimals=1)
        .tab_header("Respondents by region")
        .tab_source_note("Source: constructed for this test")
    )
    model = _roundtrip(build.from_gt(table))
    assert model.stub == 1 and model.caption == "Respondents by region"
    assert [(c.text, c.colspan) for c in model.head[0].cells] == [("", 1), ("Respondents", 2)]
    assert [c.text for c in model.head[1].cells][1:] == ["n", "share"]
    groups = [r.cells[0].text for r in model.body if r.group]
    assert groups == ["Regional", "Federal"]
    rows = [[c.text for c in r.cells] for r in model.body if not r.group]
    assert rows[0] == ["Brussels", "137", "12.5%"] and rows[-1] == ["Wallonia", "5", "10.0%"]
    assert [c.kind for c in model.body[1].cells] == ["text", "number", "number"]
    assert model.notes == ["Source: constructed for this test"]


def _pandoc_table(markdown: str) -> dict:
    doc = json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))
    return next(b for b in doc["blocks"] if b["t"] == "Table")


def test_pipe_table_in_prose():
    node = _pandoc_table(
        "| Item | Count |\n|:-----|------:|\n| a *b* | 1 |\n| c | 2 (4 %) |\n\n: Counts {#tbl-c}\n"
    )
    table = build.from_pandoc(node)
    assert table.label == "tbl-c" and table.caption == "Counts"
    assert _texts(table) == [["Item", "Count"], ["a b", "1"], ["c", "2 (4 %)"]]
    assert table.align == [None, "right"]
    assert table.body[0].cells[0].blocks[0]["c"][2]["t"] == "Emph"  # the author's markup kept
    assert [c.kind for c in table.body[1].cells] == ["text", "number"]


def test_grid_table_in_prose_with_a_group_row():
    node = _pandoc_table(
        "+-----+--------+\n| No. | Docs   |\n+=====+========+\n"
        "| Federal level|\n+-----+--------+\n"
        "| 1   | 2, 3   |\n+-----+--------+\n| 2   | 4      |\n+-----+--------+\n"
    )
    table = build.from_pandoc(node)
    assert table.body[0].group and table.body[0].cells[0].text == "Federal level"
    assert [c.kind for c in table.body[1].cells] == ["number", "text"]  # "2, 3" is a list


def test_merge_keeps_the_kernel_structure_and_the_parsed_content():
    frame = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("Top", "a"), ("Top", "b")]))
    kernel = build.from_frame(frame, index=False)
    parsed = build.from_pandoc(_pandoc_table("| a | b |\n|---|---|\n| 1 | 2 |\n\n: C {#tbl-x}\n"))
    merged = build.merge(kernel, parsed)
    assert [c.text for c in merged.head[0].cells] == ["Top"] and merged.label == "tbl-x"
    assert merged.body[0].cells[0].blocks is not None
    # a table edited by hand (another shape) is taken as parsed
    other = build.from_pandoc(_pandoc_table("| a |\n|---|\n| 1 |\n"))
    assert build.merge(build.from_frame(frame, index=False), other) is other
