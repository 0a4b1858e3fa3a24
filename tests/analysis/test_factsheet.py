"""Territory factsheets: the distribution of one territory beside everyone, and its wave."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.factsheet import (
    NATIONAL,
    check_territory,
    gap_clause,
    highlights,
    respondents,
    share_at_least,
    territory_distribution,
)
from analysis.synthetic import synthetic_professionals, write_zone_wave


def _frame() -> pd.DataFrame:
    """Four respondents, one item: A scores 0 and 5, B scores 5 and don't-know."""
    return pd.DataFrame(
        {
            "region": pd.Categorical(["A", "A", "B", "B"], categories=["A", "B", "C"]),
            "sc_readiness_to_change": pd.Categorical(
                ["0", "5", "5", "DK"], categories=["0", "1", "2", "3", "4", "5", "DK"]
            ),
        }
    )


def test_territory_beside_everyone() -> None:
    dist = territory_distribution(_frame(), "region", "A")
    assert list(dict.fromkeys(dist["group"])) == ["A", NATIONAL]
    scores = dist[dist["kind"] == "score"].set_index(["group", "response"])["percent"]
    assert scores[("A", "0")] == 50.0 and scores[("A", "5")] == 50.0
    # everyone: three scored answers (don't know is not scored), two of them 5
    assert scores[(NATIONAL, "5")] == pytest.approx(200 / 3)
    assert respondents(_frame(), "region", "B") == 2
    shares = share_at_least(dist).set_index("group")["percent"]
    assert shares["A"] == 50.0 and shares[NATIONAL] == pytest.approx(200 / 3)


def test_highlights_and_an_unscored_territory() -> None:
    frame = _frame()
    found = highlights(territory_distribution(frame, "region", "A"), "A", {})
    assert found["best"] == "sc_readiness_to_change"
    assert found["ahead_gap"] == pytest.approx(50 - 200 / 3)
    assert found["above_national"] == 0
    # region C exists in the codebook but nobody answered there
    assert highlights(territory_distribution(frame, "region", "C"), "C", {}) == {"scored": False}


def test_unknown_territory_is_an_error() -> None:
    with pytest.raises(ValueError, match="region 'Atlantis' is not a code of the data"):
        check_territory(_frame(), "region", "Atlantis")
    with pytest.raises(ValueError, match="no column 'care_zone'"):
        check_territory(_frame(), "care_zone", "Z01")


def test_matches_the_survey_on_generated_respondents() -> None:
    frame = synthetic_professionals(400, seed=3)
    dist = territory_distribution(frame, "region", "Wallonia")
    mine = dist[(dist["group"] == "Wallonia") & (dist["item"] == "sc_finance_funding")]
    answers = frame.loc[frame["region"] == "Wallonia", "sc_finance_funding"].astype("string")
    scored = answers[answers.isin(list("012345"))]
    for row in mine[mine["kind"] == "score"].itertuples():
        assert row.percent == pytest.approx(100 * (scored == row.response).sum() / len(scored))


def test_zone_wave_is_valid_synthetic_and_never_overwrites(tmp_path: Path) -> None:
    wave, table = write_zone_wave(
        tmp_path / "wave", tmp_path / "zones.csv", zones=3, professionals=300, patients=260
    )
    with table.open(encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["edition", "zone"],
            ["zone-01", "Z01"],
            ["zone-02", "Z02"],
            ["zone-03", "Z03"],
        ]
    with (wave / "survey" / "professionals.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["care_zone"] for r in rows if r["region"] == "Flanders"} == {"Z01", "Z02", "Z03"}
    assert {r["care_zone"] for r in rows if r["region"] != "Flanders"} == {""}
    assert "SYNTHETIC" in (wave / "codebook.yaml").read_text(encoding="utf-8")
    check = subprocess.run(
        [sys.executable, "-m", "quartowrap.authoring.data", "check", "--data-dir", str(wave)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    with pytest.raises(FileExistsError):
        write_zone_wave(tmp_path / "other", table)


def test_gap_sentence_follows_the_signs_of_the_gaps() -> None:
    both = {"ahead": "A", "ahead_gap": 4.25, "behind": "B", "behind_gap": -1.0}
    assert gap_clause(both) == (
        "the largest lead is on *A* (4.2 percentage points) and the largest lag on *B* "
        "(1.0 percentage point)"
    )
    lags = {"ahead": "A", "ahead_gap": -1.0, "behind": "B", "behind_gap": -9.5}
    assert gap_clause(lags).startswith("every gap is a lag, the smallest on *A* (1.0 percentage")
    leads = {"ahead": "A", "ahead_gap": 9.5, "behind": "B", "behind_gap": 0.0}
    assert gap_clause(leads).startswith("every gap is a lead, the largest on *A* (9.5 percentage")
