"""Synthetic respondents in the professionals' survey schema, for benchmarks and tests.

SYNTHETIC: independent random draws, no relation to the report's results.  The frame has
the dtypes `analysis.data.load_table` returns (categoricals in codebook order, ``DK`` a
category of its own, no answer = <NA>), built straight from integer codes with
`pd.Categorical.from_codes`, so five million respondents cost a few hundred MB and a few
seconds.  Nothing is written to disk.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.survey import AIM_SCALE, DIMENSIONS, DONT_KNOW, REGIONS, SCIROCCO_SCALE

AIMS_PER_DIMENSION = {
    "breadth_of_ambition": 5,
    "citizen_empowerment": 6,
    "process_coordination": 5,
    "innovation_management": 2,
    "capacity_building": 5,
}
LEVELS = ("macro", "meso", "micro")
EXPERIENCE = ("0-2", "3-5", "6-10", ">10")
CATEGORIES = (
    "executive",
    "coordinator",
    "healthcare_provider",
    "case_manager",
    "social_care",
    "patient_representative",
    "researcher",
    "policy_maker",
)


def _categorical(
    rng: np.random.Generator, n: int, categories: tuple[str, ...], p_missing: float = 0.0
) -> pd.Categorical:
    codes = rng.integers(0, len(categories), n, dtype=np.int8)
    if p_missing:
        codes[rng.random(n, dtype=np.float32) < p_missing] = -1
    return pd.Categorical.from_codes(codes, categories=list(categories))


def _answers(
    rng: np.random.Generator, n: int, scale: tuple[str, ...], p_dk: float, p_missing: float
) -> pd.Categorical:
    """Scores skewed towards the low end (as in the survey), plus DK and no answer."""
    weights = np.linspace(2.0, 0.5, len(scale))
    # A 1000-slot lookup table turns uniform integers into the skewed scale quickly.
    table = np.repeat(
        np.arange(len(scale), dtype=np.int8), np.round(1000 * weights / weights.sum()).astype(int)
    )
    codes = table[rng.integers(0, len(table), n)]
    u = rng.random(n, dtype=np.float32)
    codes[u < p_dk + p_missing] = len(scale)  # DK
    codes[u < p_missing] = -1
    return pd.Categorical.from_codes(codes, categories=[*scale, DONT_KNOW], ordered=True)


def synthetic_professionals(
    n: int, seed: int = 0, p_dk: float = 0.08, p_missing: float = 0.28
) -> pd.DataFrame:
    """`n` synthetic respondents with every column of `survey/professionals.csv`."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "respondent_id": "S" + pd.Series(np.arange(1, n + 1)).astype("string"),
        "language": _categorical(rng, n, ("nl", "fr", "de")),
        "region": _categorical(rng, n, REGIONS),
        "experience": _categorical(rng, n, EXPERIENCE),
        "category": _categorical(rng, n, CATEGORIES),
        "level": _categorical(rng, n, LEVELS),
        "structure": _categorical(rng, n, ("hospital", "independent_practice", "municipality")),
    }
    for dimension in DIMENSIONS:
        columns[f"sc_{dimension}"] = _answers(rng, n, SCIROCCO_SCALE, p_dk, p_missing)
    for dimension, count in AIMS_PER_DIMENSION.items():
        for k in range(1, count + 1):
            columns[f"aim_{dimension}_{k}"] = _answers(rng, n, AIM_SCALE, p_dk, p_missing)
    columns["priority"] = _categorical(rng, n, tuple(DIMENSIONS), p_missing=0.39)
    return pd.DataFrame(columns)
