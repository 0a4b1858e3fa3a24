"""analysis.regression: table-33 dummy coding and OLS checked against numpy by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.pacic import ITEMS
from analysis.regression import (
    TERMS,
    coding_table,
    design_frame,
    fit_model,
    model_table,
    stars,
)


def _frame(n: int = 80, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "gender": rng.choice(["male", "female"], n),
            "age_band": rng.choice(["25-34", "55-64", "75+"], n),
            "language": rng.choice(["nl", "fr"], n),
            "health_problem": rng.choice(["one", "multiple"], n),
            "informal_care": rng.choice(["yes", "no"], n),
            "social_care": rng.choice(["yes", "no"], n),
            "eq_vas": rng.integers(10, 100, n),
        }
    )
    base = 2 + 0.5 * (frame["gender"] == "male") + 0.01 * frame["eq_vas"]
    for item in ITEMS:
        score = np.clip(np.rint(base + rng.normal(0, 1, n)), 1, 5).astype(int)
        frame[item] = score.astype(str)
    return frame


def test_dummy_coding_as_table_33() -> None:
    frame = _frame(6)
    frame.loc[0, ["gender", "informal_care", "social_care"]] = ["other", "no_answer", "yes"]
    frame.loc[1, ["age_band", "language", "informal_care", "social_care"]] = [
        "55-64",
        "fr",
        "no",
        "no",
    ]
    design = design_frame(frame, "eq_vas")
    assert np.isnan(design.loc[0, "male"])  # 'other' is not coded
    assert np.isnan(design.loc[0, "no_informal_care"])  # 'no answer' is missing
    assert design.loc[
        1, ["age_55_plus", "french", "no_informal_care", "no_social_care", "several_care_types"]
    ].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    assert design.loc[0, "several_care_types"] == 1.0


def test_coding_table_lists_every_answer_with_its_code() -> None:
    """Table 33 as the model applies it: typed expectations for a small hand-made frame."""
    frame = _frame(6)
    frame["gender"] = ["male", "female", "female", "other", "male", "female"]
    frame["age_band"] = ["25-34", "55-64", "75+", "25-34", "25-34", "55-64"]
    coding = coding_table(frame).set_index(["term", "category"])
    assert coding.loc[("male", "male"), ["coded", "n"]].tolist() == ["1", 2]
    assert coding.loc[("male", "female"), ["coded", "n"]].tolist() == ["0", 3]
    assert coding.loc[("male", "other"), ["coded", "n"]].tolist() == ["missing", 1]
    assert coding.loc[("age_55_plus", "75+"), "coded"] == "1"
    assert coding.loc[("age_55_plus", "25-34"), ["coded", "n"]].tolist() == ["0", 3]
    # Every respondent appears once per term.
    assert (coding.groupby(level="term")["n"].sum() == len(frame)).all()
    assert list(dict.fromkeys(coding.index.get_level_values("term"))) == [
        t for t in TERMS if t != "hrqol"
    ]


def test_ols_matches_numpy_lstsq() -> None:
    frame = _frame()
    frame.loc[3, "gender"] = "other"  # dropped as incomplete
    result = fit_model(frame, "eq_vas")
    data = design_frame(frame, "eq_vas").dropna()
    x = np.column_stack([np.ones(len(data)), data[list(TERMS)].to_numpy()])
    beta, *_ = np.linalg.lstsq(x, data["pacic_score"].to_numpy(), rcond=None)
    assert result.nobs == len(frame) - 1
    assert np.allclose(result.params.to_numpy(), beta)
    resid = data["pacic_score"].to_numpy() - x @ beta
    r2 = 1 - resid @ resid / ((data["pacic_score"] - data["pacic_score"].mean()) ** 2).sum()
    assert result.rsquared == pytest.approx(r2)


def test_model_table_columns_and_ci() -> None:
    table = model_table(_frame(200, seed=2))
    assert table["model"].unique().tolist() == ["EQ-VAS"]  # no value set: no index model
    assert table["term"].tolist() == list(TERMS)
    male = table.set_index("term").loc["male"]
    assert male["ci_low"] < male["beta"] < male["ci_high"]
    assert male["stars"] == "***"  # built in with a large effect


def test_stars_thresholds() -> None:
    assert [stars(p) for p in (0.0009, 0.001, 0.0099, 0.01, 0.049, 0.05, float("nan"))] == [
        "***",
        "**",
        "**",
        "*",
        "*",
        "",
        "",
    ]


def test_index_model_needs_value_set() -> None:
    with pytest.raises(ValueError, match="value set"):
        design_frame(_frame(5), "eq_index")
