"""The two OLS models of the individual PACIC score (report 359, tables 33 and 34).

The report codes every covariate as a 0/1 dummy (table 33) and fits the model twice,
once with the EQ-VAS and once with the EQ-5D-5L index as the health-related quality of
life term, because the two measures are too correlated to enter together.  Only complete
cases enter: respondents with at least 15 valid PACIC items and every covariate known
(gender 'other' and 'no answer' categories are missing by design).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.eq5d import ValueSet, index_values
from analysis.pacic import as_codes, care_type, individual_scores

Hrqol = Literal["eq_vas", "eq_index"]

#: Dummy terms of table 33 in the printed order, with the category coded 1.
TERMS: dict[str, str] = {
    "hrqol": "HRQoL (EQ-VAS or index)",
    "male": "Gender: male",
    "age_55_plus": "Age: 55 or older",
    "french": "Language: French",
    "multiple_problems": "Health problem: multiple",
    "no_informal_care": "Informal care: no",
    "no_social_care": "Social care: no",
    "several_care_types": "Several types of care providers: yes",
}


def stars(p: float) -> str:
    """Significance stars of table 34: * p < 0.05, ** p < 0.01, *** p < 0.001."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _dummy(values: pd.Series, one: str, zero: str) -> pd.Series:
    """1 for `one`, 0 for `zero`, missing for anything else."""
    return values.map({one: 1.0, zero: 0.0}).astype("float64")


def design_frame(
    frame: pd.DataFrame, hrqol: Hrqol, value_set: ValueSet | None = None
) -> pd.DataFrame:
    """Outcome and table-33 dummies for every respondent (missing where not coded)."""
    gender = as_codes(frame["gender"])
    age = as_codes(frame["age_band"])
    language = as_codes(frame["language"])
    out = pd.DataFrame(index=frame.index)
    out["pacic_score"] = individual_scores(frame)
    if hrqol == "eq_vas":
        out["hrqol"] = pd.to_numeric(as_codes(frame["eq_vas"]), errors="coerce")
    else:
        if value_set is None:
            raise ValueError("the index model needs an EQ-5D-5L value set")
        out["hrqol"] = index_values(frame, value_set)
    out["male"] = _dummy(gender, "male", "female")
    out["age_55_plus"] = age.isin(["55-64", "65-74", "75+"]).astype(float).where(age != "")
    out["french"] = _dummy(language, "fr", "nl")
    out["multiple_problems"] = _dummy(as_codes(frame["health_problem"]), "multiple", "one")
    out["no_informal_care"] = _dummy(as_codes(frame["informal_care"]), "no", "yes")
    out["no_social_care"] = _dummy(as_codes(frame["social_care"]), "no", "yes")
    out["several_care_types"] = (care_type(frame).astype(str) != "health_only").astype(float)
    return out


#: Data column behind each dummy of `design_frame` (``care_type`` is derived, not a column).
SOURCES: dict[str, str] = {
    "male": "gender",
    "age_55_plus": "age_band",
    "french": "language",
    "multiple_problems": "health_problem",
    "no_informal_care": "informal_care",
    "no_social_care": "social_care",
    "several_care_types": "care_type",
}


def coding_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 33 read off the design matrix: how each answer of the data is coded.

    One row per dummy term x category found in `frame`, with the value the model gives
    it (``1``, ``0`` or ``missing``: left out as an incomplete case) and the number of
    respondents.  Derived from `design_frame` itself, so the table cannot drift from the
    coding the fit uses.
    """
    design = design_frame(frame, "eq_vas")
    rows = []
    for term, column in SOURCES.items():
        source = care_type(frame).astype(str) if column == "care_type" else as_codes(frame[column])
        source = source.fillna("").astype(str)
        pairs = pd.DataFrame({"category": source, "coded": design[term]})
        for (category, coded), group in pairs.groupby(
            ["category", pairs["coded"].fillna(-1)], sort=False
        ):
            rows.append(
                {
                    "term": term,
                    "label": TERMS[term],
                    "variable": column,
                    "category": category,
                    "coded": "missing" if coded == -1 else str(int(coded)),
                    "n": len(group),
                }
            )
    out = pd.DataFrame(rows)
    order = {"1": 0, "0": 1, "missing": 2}
    out["_order"] = out["coded"].map(order)
    out["_term"] = out["term"].map({t: i for i, t in enumerate(SOURCES)})
    out = out.sort_values(["_term", "_order", "category"], kind="stable")
    return out.drop(columns=["_order", "_term"]).reset_index(drop=True)


def fit_model(
    frame: pd.DataFrame, hrqol: Hrqol, value_set: ValueSet | None = None
) -> sm.regression.linear_model.RegressionResultsWrapper:
    """OLS of the PACIC score on the table-33 dummies, complete cases only.

    A term that does not vary among the complete cases (a wave without social care, say)
    has no estimable effect and would make the design singular, so it is left out of the
    fit; `model_table` reports it as not estimable instead of a meaningless number.
    """
    data = design_frame(frame, hrqol, value_set).dropna()
    if len(data) == 0:
        raise ValueError(f"PACIC model ({hrqol}): no complete case to fit")
    terms = [t for t in TERMS if data[t].nunique() > 1]
    exog = sm.add_constant(data[terms], has_constant="add")
    return sm.OLS(data["pacic_score"], exog).fit()


def model_table(
    frame: pd.DataFrame, value_set: ValueSet | None = None, *, alpha: float = 0.05
) -> pd.DataFrame:
    """Table 34 as a tidy frame: one row per model x term, plus n, R² and adjusted R².

    Without a value set only the EQ-VAS model is fitted.  A term left out of the fit
    because it does not vary has NaN estimates and no stars.
    """
    models: list[tuple[str, Hrqol]] = [("EQ-VAS", "eq_vas")]
    if value_set is not None:
        models.append(("EQ-5D-5L index", "eq_index"))
    rows = []
    for name, hrqol in models:
        result = fit_model(frame, hrqol, value_set)
        ci = result.conf_int(alpha=alpha)
        for term, label in TERMS.items():
            fitted = term in result.params.index  # False: constant among the complete cases
            p = float(result.pvalues[term]) if fitted else np.nan
            rows.append(
                {
                    "model": name,
                    "term": term,
                    "label": label,
                    "beta": float(result.params[term]) if fitted else np.nan,
                    "ci_low": float(ci.loc[term, 0]) if fitted else np.nan,
                    "ci_high": float(ci.loc[term, 1]) if fitted else np.nan,
                    "p": p,
                    "stars": stars(p),
                    "n": int(result.nobs),
                    "r2": float(result.rsquared),
                    "adj_r2": float(result.rsquared_adj),
                }
            )
    return pd.DataFrame(rows)
