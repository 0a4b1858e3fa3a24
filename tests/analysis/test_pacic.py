"""analysis.pacic on small hand-made frames: every expected value is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.pacic import (
    ITEMS,
    analysis_sample,
    care_type,
    characteristics,
    distribution_wide,
    has_care_network,
    individual_scores,
    informal_care_types,
    item_distribution,
    provider_shares,
    score_summary,
    selection_flow,
)


def _respondent(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "region": "Flanders",
        "gender": "female",
        "age_band": "55-64",
        "health_problem": "one",
        "care_gp": 1,
        "care_specialist": 1,
        "care_home_nurse": 0,
        "care_pharmacist": 0,
        "care_other": 0,
        "informal_care": "no",
        "social_care": "no",
        "informal_household": 0,
        "informal_family": 0,
        "informal_other": 0,
    }
    row |= {item: "3" for item in ITEMS}
    row |= overrides
    return row


def test_item_distribution_by_hand() -> None:
    # item answers in region A: 1, 2, 2, NA, no answer; region B: 5
    frame = pd.DataFrame({"pacic_01": ["1", "2", "2", "NA", "", "5"], "region": ["A"] * 5 + ["B"]})
    tidy = item_distribution(frame, ["pacic_01"], "region", group_order=["A", "B"])
    a = tidy[tidy["group"] == "A"].set_index("category")
    assert a["n"].to_dict() == {"1": 1, "2": 2, "3": 0, "4": 0, "5": 0, "NA": 1, "": 1}
    assert a.loc["2", "pct"] == 40.0  # 2 of 5 respondents, NA and no answer included
    assert a.loc["1", "n_valid"] == 3
    assert np.isclose(a.loc["1", "mean"], 5 / 3)
    assert np.isclose(a.loc["1", "sd"], np.sqrt(((1 - 5 / 3) ** 2 + 2 * (2 - 5 / 3) ** 2) / 2))
    total = tidy[tidy["group"] == "Belgium"].set_index("category")
    assert total["total"].iloc[0] == 6
    assert np.isclose(total.loc["1", "mean"], 10 / 4)


def test_item_distribution_accepts_categoricals_and_missing() -> None:
    """The loader's types: categorical codes, <NA> for no answer."""
    codes = pd.Categorical(["1", None, "NA", "4"], categories=["1", "2", "3", "4", "5", "NA"])
    frame = pd.DataFrame({"pacic_01": codes})
    tidy = item_distribution(frame, ["pacic_01"]).set_index("category")
    assert tidy.loc["", "n"] == 1 and tidy.loc["NA", "n"] == 1
    assert tidy.loc["1", "mean"] == 2.5


def test_item_distribution_other_scale() -> None:
    """Generic: a 0-5 scale with a don't-know code."""
    frame = pd.DataFrame({"sc_x": ["0", "5", "DK", ""]})
    tidy = item_distribution(
        frame, ["sc_x"], valid_codes=[str(k) for k in range(6)], special_codes=["DK"]
    )
    assert tidy["category"].tolist() == ["0", "1", "2", "3", "4", "5", "DK", ""]
    assert tidy["mean"].iloc[0] == 2.5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["1", "2", "3", "4", "5", "NA", ""]), st.sampled_from("XYZ")),
        min_size=1,
        max_size=60,
    )
)
def test_distribution_sums_to_n(answers: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(answers, columns=["pacic_01", "region"])
    tidy = item_distribution(frame, ["pacic_01"], "region")
    sums = tidy.groupby("group")["n"].sum()
    totals = tidy.groupby("group")["total"].first()
    assert (sums == totals).all()
    assert sums["Belgium"] == len(frame)
    assert np.allclose(tidy.groupby("group")["pct"].sum(), 100.0)
    wide = distribution_wide(tidy)
    assert len(wide) == tidy["group"].nunique()


def test_individual_score_needs_fifteen_valid_items() -> None:
    fourteen = {item: ("4" if k < 14 else "NA") for k, item in enumerate(ITEMS)}
    fifteen = {item: ("2" if k < 10 else "5" if k < 15 else "") for k, item in enumerate(ITEMS)}
    frame = pd.DataFrame([fourteen, fifteen])
    scores = individual_scores(frame)
    assert np.isnan(scores.iloc[0])
    assert scores.iloc[1] == (10 * 2 + 5 * 5) / 15


def test_care_network_rules() -> None:
    rows = [
        _respondent(),  # two providers: network
        _respondent(care_specialist=0),  # one provider, no other care: no network
        _respondent(care_specialist=0, informal_care="yes"),  # one provider + informal: network
        _respondent(health_problem="none"),  # no health problem
        _respondent(care_gp=0, care_specialist=0, social_care="yes"),  # no medical provider
    ]
    frame = pd.DataFrame(rows)
    assert has_care_network(frame).tolist() == [True, False, True, False, False]


def test_selection_flow_by_hand() -> None:
    no_pacic = {item: "NA" for item in ITEMS}
    few = {item: ("1" if k < 3 else "") for k, item in enumerate(ITEMS)}
    frame = pd.DataFrame(
        [
            _respondent(),
            _respondent(),
            _respondent(**few),
            _respondent(**no_pacic),
            _respondent(health_problem="none"),
            _respondent(care_specialist=0),
        ]
    )
    flow = selection_flow(frame)
    assert flow["n"].tolist() == [6, 5, 4, 3, 2]
    assert flow["excluded"].tolist()[1:] == [1, 1, 1, 1]
    assert len(analysis_sample(frame)) == 3


def test_care_type_and_characteristics() -> None:
    frame = pd.DataFrame(
        [
            _respondent(),
            _respondent(informal_care="yes", informal_household=1, informal_family=1),
            _respondent(social_care="yes", gender="male", region="Wallonia"),
            _respondent(informal_care="yes", social_care="yes", informal_other=1),
        ]
    )
    assert care_type(frame).astype(str).tolist() == [
        "health_only",
        "health_informal",
        "health_social",
        "all_three",
    ]
    table = characteristics(frame).set_index(["variable", "group", "category"])["pct"]
    assert table[("Gender", "Flanders", "female")] == 100.0
    assert table[("Gender", "Belgium", "male")] == 25.0
    assert table[("Type of care provider", "Belgium", "all_three")] == 25.0
    carers = informal_care_types(frame).set_index("column")
    assert carers["total"].iloc[0] == 2
    assert carers.loc["informal_household", "pct"] == 50.0
    providers = provider_shares(frame).set_index("column")
    assert providers.loc["care_gp", "pct"] == 100.0 and providers.loc["care_other", "n"] == 0


def test_score_summary_by_group() -> None:
    frame = pd.DataFrame(
        [
            {**{i: "2" for i in ITEMS}, "gender": "male"},
            {**{i: "4" for i in ITEMS}, "gender": "male"},
            {**{i: "3" for i in ITEMS}, "gender": "female"},
        ]
    )
    summary = score_summary(frame, "gender").set_index("group")
    assert summary.loc["male", "mean"] == 3.0
    assert np.isclose(summary.loc["male", "sd"], np.sqrt(2))
    assert summary.loc["female", "n"] == 1
