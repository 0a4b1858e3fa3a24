"""Bivariate tests of the patients' survey, as described in the report's methods.

Group means of the individual PACIC score are compared with an independent-samples t-test
(two groups) or one-way ANOVA (more groups); answer distributions of single items with
Mann-Whitney U or Kruskal-Wallis; categorical characteristics with a chi-square test.
Pairwise follow-up comparisons are Bonferroni-corrected (statsmodels `multipletests`).
Every function returns a tidy frame so the chapter can print it and the release can keep
the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

Kind = Literal["parametric", "nonparametric"]


def _groups(
    values: pd.Series, groups: pd.Series, order: Sequence[str] | None
) -> dict[str, np.ndarray]:
    data = pd.DataFrame({"v": pd.to_numeric(values, errors="coerce"), "g": groups}).dropna()
    labels = list(order) if order is not None else sorted(data["g"].unique(), key=str)
    found = {str(g): data.loc[data["g"] == g, "v"].to_numpy(float) for g in labels}
    return {g: v for g, v in found.items() if len(v) > 0}


def compare_groups(
    values: pd.Series,
    groups: pd.Series,
    kind: Kind = "parametric",
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One test of a difference between groups (one row: test, statistic, df, p, n).

    parametric: Student t-test (2 groups, equal variances as in SPSS's first line) or
    one-way ANOVA; nonparametric: Mann-Whitney U (two-sided) or Kruskal-Wallis.
    """
    parts = _groups(values, groups, order)
    samples = list(parts.values())
    n = int(sum(len(s) for s in samples))
    if len(samples) < 2:
        return pd.DataFrame(
            [
                {
                    "test": "none",
                    "statistic": np.nan,
                    "df": np.nan,
                    "p": np.nan,
                    "groups": len(samples),
                    "n": n,
                }
            ]
        )
    if kind == "parametric":
        if len(samples) == 2:
            res = stats.ttest_ind(samples[0], samples[1], equal_var=True)
            test, df = "t-test", float(n - 2)
        else:
            res = stats.f_oneway(*samples)
            test, df = "one-way ANOVA", float(len(samples) - 1)
    else:
        if len(samples) == 2:
            res = stats.mannwhitneyu(samples[0], samples[1], alternative="two-sided")
            test, df = "Mann-Whitney U", np.nan
        else:
            res = stats.kruskal(*samples)
            test, df = "Kruskal-Wallis", float(len(samples) - 1)
    return pd.DataFrame(
        [
            {
                "test": test,
                "statistic": float(res.statistic),
                "df": df,
                "p": float(res.pvalue),
                "groups": len(samples),
                "n": n,
            }
        ]
    )


def pairwise(
    values: pd.Series,
    groups: pd.Series,
    kind: Kind = "parametric",
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """All pairwise comparisons with raw and Bonferroni-adjusted p-values."""
    parts = _groups(values, groups, order)
    rows = []
    for a, b in combinations(parts, 2):
        if kind == "parametric":
            res = stats.ttest_ind(parts[a], parts[b], equal_var=True)
        else:
            res = stats.mannwhitneyu(parts[a], parts[b], alternative="two-sided")
        rows.append(
            {
                "group_a": a,
                "group_b": b,
                "mean_a": parts[a].mean(),
                "mean_b": parts[b].mean(),
                "statistic": float(res.statistic),
                "p": float(res.pvalue),
            }
        )
    table = pd.DataFrame(rows, columns=["group_a", "group_b", "mean_a", "mean_b", "statistic", "p"])
    table["p_bonferroni"] = bonferroni(table["p"]) if len(table) else []
    return table


def bonferroni(p_values: Sequence[float] | pd.Series) -> np.ndarray:
    """Bonferroni-adjusted p-values (capped at 1)."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return p
    return multipletests(p, method="bonferroni")[1]


def chi_square(rows: pd.Series, columns: pd.Series) -> pd.DataFrame:
    """Pearson chi-square test of independence of two categorical variables."""
    table = pd.crosstab(rows, columns)
    res = stats.chi2_contingency(table.to_numpy(), correction=False)
    return pd.DataFrame(
        [
            {
                "test": "chi-square",
                "statistic": float(res.statistic),
                "df": float(res.dof),
                "p": float(res.pvalue),
                "n": int(table.to_numpy().sum()),
            }
        ]
    )


def group_summary(
    values: pd.Series, groups: pd.Series, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """n, mean and SD (n - 1) per group."""
    parts = _groups(values, groups, order)
    return pd.DataFrame(
        [
            {
                "group": g,
                "n": len(v),
                "mean": v.mean(),
                "sd": v.std(ddof=1) if len(v) > 1 else np.nan,
            }
            for g, v in parts.items()
        ]
    )


def factor_tests(
    values: pd.Series,
    factors: dict[str, pd.Series],
    kind: Kind = "parametric",
    orders: dict[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """One overall test per factor (e.g. the PACIC score by gender, age, region)."""
    pieces = []
    for name, groups in factors.items():
        order = (orders or {}).get(name)
        row = compare_groups(values, groups, kind, order)
        row.insert(0, "factor", name)
        pieces.append(row)
    return pd.concat(pieces, ignore_index=True)


def item_tests(
    scores: pd.DataFrame,
    groups: pd.Series,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Nonparametric test per item across groups, with Bonferroni over the items."""
    pieces = []
    for item in scores.columns:
        row = compare_groups(scores[item], groups, "nonparametric", order)
        row.insert(0, "item", item)
        pieces.append(row)
    table = pd.concat(pieces, ignore_index=True)
    table["p_bonferroni"] = bonferroni(table["p"])
    return table
