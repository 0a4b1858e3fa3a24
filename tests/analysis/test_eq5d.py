"""analysis.eq5d: the Belgian value set and the EQ-5D-5L summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from quartowrap.authoring.data import load_yaml

from analysis.eq5d import DIMENSIONS, ValueSet, index_values, profile, summary_by_group

# Index values of single states, typed from the published 3 125-state Belgian value table
# (KCE Reports 342 / Bouckaert et al. 2022, via the EQ5D.be copy cited in
# data/eq5d/belgium_5l.yaml).  None of these states was used to derive the coefficients.
PUBLISHED_STATES = {
    "11111": 1.0,
    "55555": -0.531645728835225,
    "12345": 0.0739852974788072,
    "45255": -0.327918933302004,
    "52433": 0.33230423510742,
    "13524": 0.32614020337554,
    "51144": 0.00995732772156732,
    "14153": 0.236424389752877,
    "11355": -0.0053200093586524,
    "53331": 0.521603721596511,
}


@pytest.fixture(scope="module")
def value_set() -> ValueSet:
    return ValueSet.from_mapping(load_yaml("eq5d/belgium_5l.yaml"))


def test_value_set_reproduces_published_states(value_set: ValueSet) -> None:
    for state, expected in PUBLISHED_STATES.items():
        assert value_set.value(state) == pytest.approx(expected, abs=1e-12), state


def test_value_set_range_as_in_the_abstract(value_set: ValueSet) -> None:
    # "Values range from -0.532 to 1"; pain/discomfort weighs most, then anxiety/depression
    assert round(value_set.value("55555"), 3) == -0.532
    weights = dict(zip(DIMENSIONS, value_set.dimension_weights, strict=True))
    ranked = sorted(weights, key=weights.get, reverse=True)
    assert ranked[:2] == ["eq_pain", "eq_anxiety"]


def test_yaml_check_states_agree(value_set: ValueSet) -> None:
    raw = load_yaml("eq5d/belgium_5l.yaml")
    for state, expected in raw["check_states"].items():
        assert value_set.value(str(state)) == pytest.approx(expected, abs=1e-12)


def test_index_values_missing_and_out_of_range(value_set: ValueSet) -> None:
    frame = pd.DataFrame(
        [[1, 1, 1, 1, 1], [1, 2, 3, 4, 5], [1, None, 1, 1, 1], [6, 1, 1, 1, 1]],
        columns=list(DIMENSIONS),
    )
    values = index_values(frame, value_set)
    assert values.iloc[0] == 1.0
    assert values.iloc[1] == pytest.approx(PUBLISHED_STATES["12345"], abs=1e-12)
    assert values.iloc[2:].isna().all()


def test_missing_key_is_named() -> None:
    with pytest.raises(ValueError, match="selfcare"):
        ValueSet.from_mapping({"dimension_weights": {"mobility": 0.1}, "level_weights": {}})


def test_profile_by_hand() -> None:
    frame = pd.DataFrame({column: [1, 1, 2, 5] for column in DIMENSIONS})
    table = profile(frame)
    mobility = table[table["dimension"] == "Mobility"].set_index("level")
    assert mobility["n"].tolist() == [2, 1, 0, 0, 1]
    assert mobility.loc[1, "pct"] == 50.0
    assert table.groupby("dimension")["pct"].sum().eq(100.0).all()


def test_summary_by_group_by_hand(value_set: ValueSet) -> None:
    frame = pd.DataFrame({column: [1, 1, 1] for column in DIMENSIONS})
    frame["eq_vas"] = [50, 70, 90]
    frame["region"] = ["A", "A", "B"]
    summary = summary_by_group(frame, "region", value_set).set_index("group")
    assert summary.loc["A", "vas_mean"] == 60.0
    assert summary.loc["A", "vas_sd"] == pytest.approx(np.sqrt(200))
    assert summary.loc["Belgium", "vas_mean"] == 70.0
    assert summary.loc["Belgium", "index_median"] == 1.0
    assert summary.loc["Belgium", "index_iqr"] == 0.0
