"""EQ-5D-5L: the descriptive profile, the EQ-VAS and the Belgian index value.

The index needs a national value set.  `ValueSet` holds the coefficients of the Belgian
multiplicative model (data/eq5d/belgium_5l.yaml, read by the chapter with
`quartowrap.authoring.data.load_yaml`); this module never reads files itself, so a value set from
another country or a later revision can be passed in unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: EQ-5D-5L dimensions in the instrument's order, as columns of the patients' file.
DIMENSIONS: tuple[str, ...] = (
    "eq_mobility",
    "eq_selfcare",
    "eq_activities",
    "eq_pain",
    "eq_anxiety",
)
DIMENSION_LABELS: dict[str, str] = {
    "eq_mobility": "Mobility",
    "eq_selfcare": "Self-care",
    "eq_activities": "Usual activities",
    "eq_pain": "Pain/discomfort",
    "eq_anxiety": "Anxiety/depression",
}
LEVEL_LABELS: dict[int, str] = {
    1: "No problems",
    2: "Slight problems",
    3: "Moderate problems",
    4: "Severe problems",
    5: "Extreme problems",
}
_YAML_KEYS = ("mobility", "selfcare", "activities", "pain", "anxiety")


@dataclass(frozen=True)
class ValueSet:
    """Coefficients of a multiplicative EQ-5D-5L model (value = 1 - c - Σ w_d · L_level)."""

    intercept: float
    dimension_weights: tuple[float, float, float, float, float]
    level_weights: tuple[float, float, float, float, float]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> ValueSet:
        """Build from the YAML layout of data/eq5d/belgium_5l.yaml; a missing key is named."""
        try:
            weights = tuple(float(raw["dimension_weights"][k]) for k in _YAML_KEYS)
            levels = tuple(float(raw["level_weights"][lvl]) for lvl in range(1, 6))
            intercept = float(raw["intercept"])
        except KeyError as exc:
            raise ValueError(f"EQ-5D-5L value set: missing key {exc.args[0]!r}") from None
        if levels[0] != 0.0 or levels[4] != 1.0:
            raise ValueError("EQ-5D-5L value set: level 1 must weigh 0 and level 5 must weigh 1")
        return cls(intercept, weights, levels)  # type: ignore[arg-type]

    def value(self, state: str | Sequence[int]) -> float:
        """Index value of one health state such as "12345"."""
        levels = [int(c) for c in state]
        frame = pd.DataFrame([levels], columns=list(DIMENSIONS))
        return float(index_values(frame, self).iloc[0])


def index_values(frame: pd.DataFrame, value_set: ValueSet) -> pd.Series:
    """Index value per respondent; NaN when any dimension is missing or out of 1-5.

    Vectorised (one table lookup per dimension), so millions of rows stay cheap.
    """
    levels = np.asarray(value_set.level_weights)
    loss = np.zeros(len(frame))
    all_one = np.ones(len(frame), dtype=bool)
    invalid = np.zeros(len(frame), dtype=bool)
    for column, weight in zip(DIMENSIONS, value_set.dimension_weights, strict=True):
        codes = pd.to_numeric(frame[column].astype("string"), errors="coerce").to_numpy(float)
        bad = ~np.isin(codes, [1, 2, 3, 4, 5])
        invalid |= bad
        safe = np.where(bad, 1, codes).astype(int)
        loss += weight * levels[safe - 1]
        all_one &= safe == 1
    values = np.where(all_one, 1.0, 1.0 - value_set.intercept - loss)
    values[invalid] = np.nan
    return pd.Series(values, index=frame.index, name="eq_index")


def profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Share of respondents per level for each dimension (tidy: dimension, level, n, pct)."""
    rows = []
    for column in DIMENSIONS:
        codes = pd.to_numeric(frame[column].astype("string"), errors="coerce")
        valid = codes.dropna()
        for level in range(1, 6):
            count = int((valid == level).sum())
            rows.append(
                {
                    "dimension": DIMENSION_LABELS[column],
                    "level": level,
                    "level_label": LEVEL_LABELS[level],
                    "n": count,
                    "pct": 100 * count / len(valid) if len(valid) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def summary_by_group(
    frame: pd.DataFrame,
    group: str,
    value_set: ValueSet | None = None,
    *,
    total_label: str = "Belgium",
) -> pd.DataFrame:
    """EQ-VAS mean (SD) and, with a value set, index median, IQR, mean and SD per group.

    The last row is the whole sample (`total_label`).  SD uses n - 1 (as SPSS); the IQR is
    P75 - P25 with linear interpolation.
    """
    data = frame.copy()
    data["_vas"] = pd.to_numeric(data["eq_vas"].astype("string"), errors="coerce")
    if value_set is not None:
        data["_index"] = index_values(data, value_set)
    parts = [(str(k), g) for k, g in data.groupby(group, observed=True, sort=False)]
    parts.append((total_label, data))
    rows = []
    for label, part in parts:
        row: dict[str, Any] = {
            "group": label,
            "n": len(part),
            "vas_mean": part["_vas"].mean(),
            "vas_sd": part["_vas"].std(ddof=1),
        }
        if value_set is not None:
            idx = part["_index"].dropna()
            row |= {
                "index_median": idx.median(),
                "index_iqr": idx.quantile(0.75) - idx.quantile(0.25),
                "index_mean": idx.mean(),
                "index_sd": idx.std(ddof=1),
            }
        rows.append(row)
    return pd.DataFrame(rows)
