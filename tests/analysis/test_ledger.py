"""analysis.ledger: the reproduction ledger and the regression list of exact cells.

`data/published/expected_exact.csv` is a *regression ledger*, not a copy of the program's
output: it records only *which* printed cells (typed from the report into
`data/published/table_NN.csv`) the rebuild matched when the list was written, never a
rebuilt value.  The comparison itself is against the report's printed numbers, so a
cell in the list that stops matching means the data, a generator or a chapter's
computation drifted away from the publication: the test fails and names the cell.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import ledger

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return ledger.from_data(DATA)


# ----------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("printed", "value", "status"),
    [
        ("17.96", 100 * 144 / 802, "exact"),
        ("17.95", 100 * 144 / 802, "rounding"),  # the report truncated 17.955
        ("4.61", 100 * 3 / 65, "rounding"),
        # an exact tie: printed to the even digit, as the chapters (and the report) print it
        ("3.12", 100 * 1 / 32, "exact"),
        ("15.62", 100 * 5 / 32, "exact"),
        ("3.13", 100 * 1 / 32, "rounding"),  # the tie rounded up: another convention
        ("2.67", 2.675, "exact"),  # 2.675 is 2.67499… in binary: the chapters print 2.67
        ("2.68", 2.675, "rounding"),  # the decimal 2.675 rounded half up
        ("33.00", 100 * 189 / 573, "different"),  # 32.98: not a truncation
        ("0.52", 0.510, "different"),  # within a unit, but neither rounded nor truncated
        ("139", 138.0, "different"),  # a count off by one is never "rounding"
        ("20", 20.0, "exact"),  # printed without decimals
        ("0.00", 0.0, "exact"),
        ("7.69", float("nan"), "different"),
    ],
)
def test_classify(printed: str, value: float, status: str) -> None:
    assert ledger.classify(printed, value) == status


def test_classify_rejects_text() -> None:
    with pytest.raises(ValueError, match="not a number"):
        ledger.classify("n/a", 1.0)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["table", "row", "column", "printed"])


def test_compare_missing_cell_is_different_and_reasons_follow_wildcards() -> None:
    printed = _frame([(1, "a", "X", "2"), (1, "b", "X", "3"), (1, "c", "Total", "9")])
    rebuilt = pd.DataFrame(
        {"table": [1, 1], "row": ["a", "c"], "column": ["X", "Total"], "value": [2.0, 8.0]}
    )
    decisions = pd.DataFrame(
        {"table": [1], "row": ["*"], "column": ["Total"], "kind": ["k"], "reason": ["why"]}
    )
    out = ledger.compare(printed, rebuilt, decisions).set_index("row")
    assert out.loc["a", "status"] == "exact" and out.loc["a", "reason"] == ""
    assert out.loc["b", "status"] == "different" and np.isnan(out.loc["b", "value"])
    assert out.loc["b", "reason"] == ""  # no decision covers it: shown as unexplained
    assert (out.loc["c", "status"], out.loc["c", "reason"]) == ("different", "why")


def test_summary_totals_are_column_sums(cells: pd.DataFrame) -> None:
    summary = ledger.summarise(cells)
    body, total = summary.iloc[:-1], summary.iloc[-1]
    assert total["table"] == "All"
    for column in ("printed", *ledger.STATUSES):
        assert total[column] == body[column].sum()
    assert (body["printed"] == body[list(ledger.STATUSES)].sum(axis=1)).all()
    assert total["printed"] == len(cells)


# ------------------------------------------------------------------ shipped data


def test_every_printed_cell_has_a_rebuilt_counterpart(cells: pd.DataFrame) -> None:
    """A key typo in a transcription would otherwise count as a silent difference."""
    missing = cells[cells["value"].isna()]
    assert missing.empty, missing[["table", "row", "column"]].to_string()


def test_every_departure_has_a_documented_reason(cells: pd.DataFrame) -> None:
    unexplained = cells[(cells["status"] != "exact") & (cells["reason"] == "")]
    assert unexplained.empty, unexplained[["table", "row", "column", "printed", "value"]]


def test_every_decision_explains_a_departure(cells: pd.DataFrame) -> None:
    """A decision that no longer explains any cell is stale and must go."""
    decisions = pd.read_csv(DATA / "published" / "decisions.csv", dtype=str, keep_default_na=False)
    departures = cells[cells["status"] != "exact"]
    for d in decisions.itertuples(index=False):
        hit = departures[
            (departures["table"] == int(d.table))
            & ((departures["row"] == d.row) | (d.row == "*"))
            & ((departures["column"] == d.column) | (d.column == "*"))
        ]
        assert not hit.empty, f"decisions.csv: {d.table}/{d.row}/{d.column} explains nothing"


def test_known_departures_are_the_documented_ones(cells: pd.DataFrame) -> None:
    """Spot checks typed from the report and data/README.md."""
    at = cells.set_index(["table", "row", "column"])
    assert at.loc[(16, "independent_practice", "Total"), "printed"] == "139"
    assert at.loc[(16, "independent_practice", "Total"), "value"] == 9 + 89 + 40
    assert at.loc[(28, "pacic_01", "Flanders 2"), "status"] == "rounding"
    assert at.loc[(37, "digital_infrastructure", "Total barrier"), "value"] == 35
    sums = [r for r in at.loc[48].index.get_level_values("row").unique() if r.endswith("| Sum")]
    assert [at.loc[(48, r, "Wallonia"), "value"] for r in sorted(sums)] == [6, 11]


def test_previously_exact_cells_stay_exact(cells: pd.DataFrame) -> None:
    """The regression ledger: every cell listed as exact must still be exact."""
    expected = pd.read_csv(
        DATA / "published" / "expected_exact.csv", dtype={"row": str}, keep_default_na=False
    )
    merged = expected.merge(cells, on=["table", "row", "column"], how="left")
    lost = merged[merged["status"] != "exact"]
    assert len(expected) > 1000  # the list was written from the whole ledger
    assert lost.empty, (
        "no longer exact:\n" + lost[["table", "row", "column", "printed", "value"]].to_string()
    )


def test_regression_ledger_catches_a_changed_cell(cells: pd.DataFrame) -> None:
    """The check above can fail: perturb one rebuilt value and the cell is lost."""
    printed = cells[["table", "row", "column", "printed"]]
    rebuilt = cells[["table", "row", "column", "value"]].copy()
    target = (
        (rebuilt["table"] == 39) & (rebuilt["row"] == "multiple") & (rebuilt["column"] == "Total")
    )
    rebuilt.loc[target, "value"] += 1
    no_decisions = pd.DataFrame(columns=["table", "row", "column", "kind", "reason"])
    again = ledger.compare(printed, rebuilt, no_decisions)
    assert again.loc[target.to_numpy(), "status"].tolist() == ["different"]


def test_sentences_follow_the_ledger(cells: pd.DataFrame) -> None:
    """The prose claims are computed: a changed cell changes the sentence."""
    ledger_39 = cells[cells["table"] == 39]
    assert ledger.table_agreement(cells, 39).startswith("identical to the 52 printed")
    assert ledger.table_agreement(cells, 48).startswith("28 of the 32")
    broken = ledger_39.assign(status=["different", *ledger_39["status"].iloc[1:]], reason="")
    assert ledger.table_agreement(broken, 39).startswith("51 of the 52")
    text = ledger.exactness_sentence(broken, name_tables=True)
    assert text.startswith("51 of the 52 printed numbers of the 1 published table (table 39)")
    assert text.endswith("; the other one has no documented reason yet.")
    assert ledger.exactness_sentence(ledger_39).endswith("come out exactly.")


# ------------------------------------------------------------------- table 34, figures


def test_table34_is_compared_cell_by_cell(cells: pd.DataFrame) -> None:
    """48 printed cells: beta and both 95 % bounds of 8 terms in 2 models, as typed."""
    t34 = cells[cells["table"] == 34]
    assert len(t34) == 48
    assert set(t34["column"]) == {
        f"{m}_{s}" for m in ("vas", "index") for s in ("beta", "ci_low", "ci_high")
    }
    at = t34.set_index(["row", "column"])
    # typed from the report: the HRQoL coefficient of the EQ-VAS model and male's bounds
    assert at.loc[("hrqol", "vas_beta"), "printed"] == "0.0064"
    assert at.loc[("male", "index_ci_high"), "printed"] == "0.33"
    # every cell the search could not reach carries a reason
    assert (t34.loc[t34["status"] != "exact", "reason"] != "").all()


CHAPTERS = DATA.parent / "chapters"


def test_figure_counterparts_are_figures_of_their_chapter() -> None:
    """Each counterpart in figures.csv is a labelled figure cell of the named chapter."""
    figures = ledger.figure_counterparts(DATA)
    assert figures["figure"].tolist() == list(range(1, 15))  # the report's 14 figures
    drawn = figures[figures["counterpart"]]
    for row in drawn.itertuples(index=False):
        text = (CHAPTERS / row.chapter).read_text(encoding="utf-8")
        assert f"#| label: {row.label}\n" in text, (row.figure, row.label)
        assert (DATA / row.data).exists(), (row.figure, row.data)
    assert len(drawn) >= 12


def test_figure_count_follows_the_mapping_file(tmp_path: Path) -> None:
    """The count is read from the file: a figure without a label is not counted."""
    import shutil

    shutil.copytree(DATA, tmp_path / "data")
    path = tmp_path / "data" / "published" / "figures.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    before = int(ledger.figure_counterparts(tmp_path / "data")["counterpart"].sum())
    frame.loc[frame["figure"] == "1", "label"] = ""
    frame.to_csv(path, index=False)
    assert int(ledger.figure_counterparts(tmp_path / "data")["counterpart"].sum()) == before - 1


def test_a_modelled_cell_is_never_counted_as_rounding() -> None:
    """0.1358 truncates to the printed 0.13, but a modelled value is not a count cut off."""
    printed = _frame([(34, "male", "vas_ci_low", "0.13"), (28, "x", "y", "17.95")])
    rebuilt = pd.DataFrame(
        {
            "table": [34, 28],
            "row": ["male", "x"],
            "column": ["vas_ci_low", "y"],
            "value": [0.1358, 100 * 144 / 802],
        }
    )
    decisions = pd.DataFrame(
        {"table": [34], "row": ["*"], "column": ["*"], "kind": ["modelled"], "reason": ["r"]}
    )
    out = ledger.compare(printed, rebuilt, decisions).set_index("table")
    assert out.loc[34, "status"] == "different"
    assert out.loc[28, "status"] == "rounding"  # a truncated count stays rounding
