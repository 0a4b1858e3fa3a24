"""analysis.bivariate against hand computations and a second library (statsmodels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.formula.api import ols
from statsmodels.stats.weightstats import ttest_ind as sm_ttest

from analysis.bivariate import (
    bonferroni,
    chi_square,
    compare_groups,
    factor_tests,
    group_summary,
    item_tests,
    pairwise,
)


def test_t_test_matches_statsmodels() -> None:
    values = pd.Series([2.0, 3.0, 4.0, 5.0, 1.0, 2.0, 2.5])
    groups = pd.Series(["m", "m", "m", "m", "f", "f", "f"])
    row = compare_groups(values, groups, order=["m", "f"]).iloc[0]
    t, p, df = sm_ttest(values[:4], values[4:], usevar="pooled")
    assert row["test"] == "t-test"
    assert row["statistic"] == pytest.approx(t) and row["p"] == pytest.approx(p)
    assert row["df"] == df == 5


def test_anova_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"v": rng.normal(size=30), "g": np.repeat(["a", "b", "c"], 10)})
    data.loc[data["g"] == "c", "v"] += 1
    row = compare_groups(data["v"], data["g"]).iloc[0]
    table = sm.stats.anova_lm(ols("v ~ C(g)", data=data).fit())
    assert row["test"] == "one-way ANOVA"
    assert row["statistic"] == pytest.approx(table.loc["C(g)", "F"])
    assert row["p"] == pytest.approx(table.loc["C(g)", "PR(>F)"])


def test_mann_whitney_u_by_hand() -> None:
    # a = 1, 2; b = 3, 4, 5: every b beats every a, so U(a) = 0
    values = pd.Series([1, 2, 3, 4, 5])
    groups = pd.Series(["a", "a", "b", "b", "b"])
    row = compare_groups(values, groups, "nonparametric", order=["a", "b"]).iloc[0]
    assert row["test"] == "Mann-Whitney U" and row["statistic"] == 0.0
    assert row["p"] == pytest.approx(0.2)  # exact: 2 of C(5,2)=10 orderings as extreme


def test_kruskal_wallis_by_hand() -> None:
    # ranks: a = 1, 2; b = 3, 4; c = 5, 6 -> H = 12/(6*7) * (9/2 + 49/2 + 121/2) - 3*7
    values = pd.Series([1, 2, 3, 4, 5, 6])
    groups = pd.Series(["a", "a", "b", "b", "c", "c"])
    row = compare_groups(values, groups, "nonparametric").iloc[0]
    expected = 12 / 42 * (9 / 2 + 49 / 2 + 121 / 2) - 21
    assert row["statistic"] == pytest.approx(expected)


def test_chi_square_by_hand() -> None:
    rows = pd.Series(["x"] * 20 + ["y"] * 20)
    cols = pd.Series(["p"] * 15 + ["q"] * 5 + ["p"] * 5 + ["q"] * 15)
    row = chi_square(rows, cols).iloc[0]
    # expected 10 in each cell: sum (5^2/10) * 4 = 10
    assert row["statistic"] == pytest.approx(10.0) and row["df"] == 1


def test_bonferroni_and_pairwise() -> None:
    assert bonferroni([0.01, 0.02, 0.5]).tolist() == pytest.approx([0.03, 0.06, 1.0])
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    groups = pd.Series(list("aaabbbccc"))
    table = pairwise(values, groups)
    assert len(table) == 3
    assert np.allclose(table["p_bonferroni"], np.minimum(table["p"] * 3, 1))


def test_summaries_and_batches() -> None:
    values = pd.Series([1.0, 3.0, 2.0, np.nan])
    groups = pd.Series(["a", "a", "b", "b"])
    summary = group_summary(values, groups).set_index("group")
    assert summary.loc["a", "mean"] == 2.0 and summary.loc["b", "n"] == 1
    tests = factor_tests(values, {"g": groups})
    assert tests["factor"].tolist() == ["g"]
    scores = pd.DataFrame({"i1": [1, 2, 4, 5], "i2": [2, 2, 3, 3]})
    items = item_tests(scores, pd.Series(["a", "a", "b", "b"]))
    assert np.allclose(items["p_bonferroni"], np.minimum(items["p"] * 2, 1))
