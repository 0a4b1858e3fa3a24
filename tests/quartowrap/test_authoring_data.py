"""Codebook validation (quartowrap.authoring.data): each problem with file, line, column, value."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from quartowrap.authoring.data import (
    DataNotice,
    DataValidationError,
    StrictRecord,
    load_codebook,
    load_table,
    load_validated_yaml,
    load_yaml,
    scores,
)
from quartowrap.authoring.paths import data_dir

REL = "survey/professionals.csv"


@pytest.fixture()
def tmp_data(tmp_path: Path) -> Path:
    """A data directory with the real codebook and the first rows of the shipped file."""
    (tmp_path / "survey").mkdir()
    book = yaml.safe_load((data_dir() / "codebook.yaml").read_text(encoding="utf-8"))
    only_ours = {"files": {REL: book["files"][REL]}}
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(only_ours), encoding="utf-8")
    lines = (data_dir() / REL).read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / REL).write_text("".join(lines[:6]), encoding="utf-8")
    return tmp_path


def _rows(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list[list[str]]) -> None:
    path.write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_file_loads_typed() -> None:
    frame = load_table(REL)
    assert len(frame) == 865
    column = frame["sc_finance_funding"]
    assert isinstance(column.dtype, pd.CategoricalDtype)
    assert list(column.cat.categories) == ["0", "1", "2", "3", "4", "5", "DK"]
    # don't know, no answer and scores stay distinguishable (table 17: 93, 237, 535)
    assert (column == "DK").sum() == 93
    assert column.isna().sum() == 237
    assert scores(column).notna().sum() == 535
    assert frame["respondent_id"].is_unique


def test_every_problem_reported_at_once_with_location(tmp_data: Path) -> None:
    path = tmp_data / REL
    rows = _rows(path)
    header = rows[0]
    rows[2][header.index("sc_finance_funding")] = "7"  # line 3
    rows[3][header.index("region")] = "Atlantis"  # line 4
    rows[5][0] = rows[4][0]  # line 6 repeats line 5's id
    _write(path, rows)
    before = _digest(path)
    with pytest.raises(DataValidationError) as caught:
        load_table(REL, tmp_data)
    message = str(caught.value)
    assert f"{REL}:3:sc_finance_funding: 7: not an allowed code" in message
    assert f"{REL}:4:region: Atlantis: not an allowed code" in message
    assert f"{REL}:6:respondent_id: {rows[4][0]}: duplicate key (first at row 5)" in message
    assert len(caught.value.problems) == 3
    assert _digest(path) == before  # input never modified


def test_missing_column_reported(tmp_data: Path) -> None:
    path = tmp_data / REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["level"]).to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataValidationError) as caught:
        load_table(REL, tmp_data)
    assert f"{REL}:1:level: (empty): missing column" in str(caught.value)


def test_unknown_column_and_ragged_row_reported(tmp_data: Path) -> None:
    path = tmp_data / REL
    rows = _rows(path)
    rows[0].append("favourite_colour")
    for row in rows[1:]:
        row.append("blue")
    rows[3].append("extra")  # line 4 has one field too many
    _write(path, rows)
    with pytest.raises(DataValidationError) as caught:
        load_table(REL, tmp_data)
    message = str(caught.value)
    assert f"{REL}:1:favourite_colour: favourite_colour: column not in the codebook" in message
    assert f"{REL}:4:-: {len(rows[0]) + 1} fields: expected {len(rows[0])}" in message


def test_bom_and_semicolon_export_accepted_and_reported(tmp_data: Path) -> None:
    path = tmp_data / REL
    expected = load_table(REL, tmp_data)
    text = path.read_text(encoding="utf-8").replace(",", ";")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    before = _digest(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = load_table(REL, tmp_data)
    notices = [str(w.message) for w in caught if issubclass(w.category, DataNotice)]
    assert any("byte-order mark" in n for n in notices)
    assert any("';'-separated" in n for n in notices)
    assert frame.attrs["notices"] == notices
    pd.testing.assert_frame_equal(frame, expected, check_like=False)
    assert _digest(path) == before


def test_errors_in_semicolon_export_still_located(tmp_data: Path) -> None:
    path = tmp_data / REL
    rows = _rows(path)
    rows[2][rows[0].index("sc_finance_funding")] = "7"
    path.write_text("".join(";".join(r) + "\n" for r in rows), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataNotice)
        with pytest.raises(DataValidationError, match=r":3:sc_finance_funding: 7: "):
            load_table(REL, tmp_data)


def test_line_numbers_follow_multiline_quoted_cells(tmp_path: Path) -> None:
    (tmp_path / "codebook.yaml").write_text(
        "files:\n  t.csv:\n    description: test\n    columns:\n"
        "      text: {type: string}\n      score: {type: integer, range: [0, 5]}\n",
        encoding="utf-8",
    )
    (tmp_path / "t.csv").write_text('text,score\n"two\nlines",1\nplain,9\n', encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_table("t.csv", tmp_path)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(4, "score", "9")]


def test_not_utf8_reported_with_line(tmp_data: Path) -> None:
    path = tmp_data / REL
    raw = path.read_bytes().replace(b"P0003", "Pé0003".encode("latin-1"), 1)
    path.write_bytes(raw)
    with pytest.raises(DataValidationError, match=r":4:-: 0xe9: not valid UTF-8"):
        load_table(REL, tmp_data)


def test_codebook_mistakes_are_reported(tmp_path: Path) -> None:
    (tmp_path / "codebook.yaml").write_text(
        "files:\n  t.csv:\n    description: x\n    columns:\n"
        "      a: {type: code}\n      b: {type: integr}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as caught:
        load_codebook(tmp_path)
    assert "columns.b.type" in str(caught.value)


def test_load_yaml_reports_syntax_error_line(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("a: 1\nb: [1, 2\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"x\.yaml:\d+:"):
        load_yaml("x.yaml", tmp_path)
    (tmp_path / "y.yaml").write_text("a: [1, 2]\n", encoding="utf-8")
    assert load_yaml("y.yaml", tmp_path) == {"a": [1, 2]}


def test_check_cli_exit_codes(tmp_data: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "quartowrap.authoring.data",
        "check",
        "--data-dir",
        str(tmp_data),
    ]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    rows = _rows(tmp_data / REL)
    rows[1][rows[0].index("sc_finance_funding")] = "7"
    _write(tmp_data / REL, rows)
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 1
    assert ":2:sc_finance_funding: 7:" in done.stderr


class _Item(StrictRecord):
    id: str
    size: int


class _Inventory(StrictRecord):
    items: list[_Item]


def test_load_validated_yaml_names_file_record_and_field(tmp_path: Path) -> None:
    text = (
        "items:\n  - {id: a, size: 1}\n  - {id: b, size: big}\n  - {id: c, size: 2, colour: red}\n"
    )
    (tmp_path / "inv.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        load_validated_yaml("inv.yaml", _Inventory, tmp_path)
    problems = {(p.file, p.column, p.value) for p in caught.value.problems}
    # Both problems at once; each names the file, the record (with its id) and the field.
    assert problems == {
        ("inv.yaml", "items[1] (b).size", "big"),
        ("inv.yaml", "items[2] (c).colour", "red"),
    }
    assert (tmp_path / "inv.yaml").read_text(encoding="utf-8") == text


def test_load_validated_yaml_returns_frozen_records(tmp_path: Path) -> None:
    (tmp_path / "inv.yaml").write_text("items: [{id: a, size: 1}]\n", encoding="utf-8")
    inventory = load_validated_yaml("inv.yaml", _Inventory, tmp_path)
    assert inventory.items[0].size == 1
    with pytest.raises(ValueError, match="frozen"):
        inventory.items[0].size = 2  # type: ignore[misc]


def test_codebook_codes_and_missing_accept_lists_and_mappings() -> None:
    from quartowrap.authoring.data import ColumnSpec

    listed = ColumnSpec.model_validate({"type": "code", "codes": [0, 1], "missing": ["DK", ""]})
    assert listed.codes == {"0": "0", "1": "1"}
    assert listed.missing == {"DK": "don't know", "": "no answer"}
    mapped = ColumnSpec.model_validate(
        {"type": "code", "codes": {0: "not started", True: "yes"}, "missing": {"NA": "n/a"}}
    )
    assert mapped.codes == {"0": "not started", "1": "yes"}
    assert mapped.missing == {"NA": "n/a"}
    assert ColumnSpec.model_validate({"type": "integer", "missing": None}).missing == {}
    with pytest.raises(ValueError):
        ColumnSpec.model_validate({"type": "code", "codes": "0, 1"})
