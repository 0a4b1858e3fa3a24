"""Patients' survey: who is in the analysis sample, who they are, and their PACIC answers.

The report analyses only respondents with a health problem and a care network, and
among them those who gave at least one valid PACIC answer; the individual PACIC score
needs at least 15 valid items.  Every step of that selection is a function here, so the
flow (and the tables built on it) is recomputed from whatever file is loaded.

Answer codes of the PACIC items: "1"-"5" (never ... always), "NA" (not applicable) and
an empty cell (no answer).  The functions accept the file as loaded by
`quartowrap.authoring.data.load_table` (categoricals, missing = <NA>) or as plain strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

ITEMS: tuple[str, ...] = tuple(f"pacic_{k:02d}" for k in range(1, 21))
VALID_CODES: tuple[str, ...] = ("1", "2", "3", "4", "5")
NOT_APPLICABLE = "NA"
MIN_VALID_ITEMS = 15
REGIONS: tuple[str, ...] = ("Flanders", "Wallonia", "Brussels")
TOTAL = "Belgium"

#: Presentation groups of the report (tables 28-32).  Subscale scores are deliberately
#: not computed, as in the report: their validity is contested.
SUBSCALES: dict[str, tuple[str, ...]] = {
    "Patient activation": ITEMS[0:3],
    "Delivery system design/decision support": ITEMS[3:6],
    "Goal setting/tailoring": ITEMS[6:11],
    "Problem-solving/contextual counselling": ITEMS[11:15],
    "Follow-up/coordination": ITEMS[15:20],
}

#: Short paraphrases of the 20 items (our wording, for table rows and figure labels).
ITEM_LABELS: dict[str, str] = {
    "pacic_01": "Asked for my ideas when making a treatment plan",
    "pacic_02": "Given treatment choices to think about",
    "pacic_03": "Asked about problems with my medicines",
    "pacic_04": "Given written advice on improving my health",
    "pacic_05": "Satisfied with how my care was organised",
    "pacic_06": "Shown how my own behaviour affects my health",
    "pacic_07": "Asked which goals I want to reach",
    "pacic_08": "Helped to set goals for diet and exercise",
    "pacic_09": "Given a copy of my treatment plan",
    "pacic_10": "Encouraged to join a course or group",
    "pacic_11": "Asked about my lifestyle",
    "pacic_12": "My priorities counted in treatment advice",
    "pacic_13": "Helped to make a plan for daily life",
    "pacic_14": "Helped to plan for bad days",
    "pacic_15": "Asked how my condition affects my life",
    "pacic_16": "Contacted after a visit to ask how I was",
    "pacic_17": "Encouraged to join activities nearby",
    "pacic_18": "Referred to a dietician, physiotherapist or social worker",
    "pacic_19": "Told why seeing other specialists matters",
    "pacic_20": "Asked how visits to other doctors went",
}

ANSWER_LABELS: dict[str, str] = {
    "1": "Never",
    "2": "Generally not",
    "3": "Sometimes",
    "4": "Most of the time",
    "5": "Always",
    "NA": "Not applicable",
    "": "No answer",
}

PROVIDERS: dict[str, str] = {
    "care_gp": "General practitioner",
    "care_specialist": "Specialist",
    "care_home_nurse": "Home nurse",
    "care_pharmacist": "Pharmacist",
    "care_other": "Other medical care providers",
}
INFORMAL_TYPES: dict[str, str] = {
    "informal_household": "Member(s) of the household",
    "informal_family": "Relative(s) outside the household",
    "informal_other": "Others outside household and family",
}
CARE_TYPES: dict[str, str] = {
    "health_only": "Only healthcare providers",
    "health_informal": "Medical and informal care",
    "health_social": "Medical and social care",
    "all_three": "All three types",
}
AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
GENDERS: dict[str, str] = {"male": "Male", "female": "Female", "other": "Other"}


# ----------------------------------------------------------------------------- codes


def as_codes(series: pd.Series) -> pd.Series:
    """Answer codes as plain strings, no answer as "" (whatever dtype the loader gave)."""
    text = series.astype("string").fillna("").str.strip()
    return text.astype(object)


def item_scores(frame: pd.DataFrame, items: Sequence[str] = ITEMS) -> pd.DataFrame:
    """Numeric 1-5 per item; not applicable and no answer become NaN."""
    return pd.DataFrame(
        {item: pd.to_numeric(as_codes(frame[item]), errors="coerce") for item in items},
        index=frame.index,
    )


def _flag(series: pd.Series, value: str) -> pd.Series:
    return as_codes(series) == value


def _count_providers(frame: pd.DataFrame) -> pd.Series:
    flags = [pd.to_numeric(as_codes(frame[c]), errors="coerce").fillna(0) for c in PROVIDERS]
    return sum(flags).astype(int)  # type: ignore[return-value]


# ------------------------------------------------------------------------- selection


def has_health_problem(frame: pd.DataFrame) -> pd.Series:
    """At least one self-reported health problem (one or multiple)."""
    return as_codes(frame["health_problem"]).isin(["one", "multiple"])


def has_care_network(frame: pd.DataFrame) -> pd.Series:
    """A health problem and a care network.

    Network = two or more medical providers, or one or more medical providers together
    with informal or social care (the report's 'only health care' category requires at
    least two medical providers; see data/README.md).
    """
    providers = _count_providers(frame)
    informal = _flag(frame["informal_care"], "yes")
    social = _flag(frame["social_care"], "yes")
    network = (providers >= 2) | ((providers >= 1) & (informal | social))
    return has_health_problem(frame) & network


def valid_item_count(frame: pd.DataFrame, items: Sequence[str] = ITEMS) -> pd.Series:
    """Number of items answered with a score 1-5."""
    return item_scores(frame, items).notna().sum(axis=1)


def analysis_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """Respondents with a care network and at least one valid PACIC answer."""
    keep = has_care_network(frame) & (valid_item_count(frame) >= 1)
    return frame.loc[keep]


def selection_flow(frame: pd.DataFrame) -> pd.DataFrame:
    """Each selection step with the number kept and excluded (tidy)."""
    health = has_health_problem(frame)
    network = has_care_network(frame)
    valid = valid_item_count(frame)
    steps = [
        ("All respondents", len(frame), np.nan),
        ("Reported at least one health problem", int(health.sum()), int((~health).sum())),
        ("With a care network", int(network.sum()), int((health & ~network).sum())),
        (
            "At least one valid PACIC answer",
            int((network & (valid >= 1)).sum()),
            int((network & (valid == 0)).sum()),
        ),
        (
            f"At least {MIN_VALID_ITEMS} valid PACIC answers",
            int((network & (valid >= MIN_VALID_ITEMS)).sum()),
            int((network & (valid >= 1) & (valid < MIN_VALID_ITEMS)).sum()),
        ),
    ]
    return pd.DataFrame(steps, columns=["step", "n", "excluded"])


# ------------------------------------------------------------------ characteristics


def care_type(frame: pd.DataFrame) -> pd.Series:
    """Type of care network (table 25); informal/social 'no answer' counts as no."""
    informal = _flag(frame["informal_care"], "yes")
    social = _flag(frame["social_care"], "yes")
    kind = np.select(
        [informal & social, informal, social],
        ["all_three", "health_informal", "health_social"],
        default="health_only",
    )
    return pd.Series(pd.Categorical(kind, categories=list(CARE_TYPES)), index=frame.index)


def _regions_first(groups: pd.Series) -> list[Any]:
    """The distinct groups in the report's order: the regions as in `REGIONS`, then any
    other group in order of appearance."""
    return sorted(pd.unique(groups), key=lambda g: REGIONS.index(g) if g in REGIONS else 99)


def _pct_table(values: pd.Series, groups: pd.Series, categories: Sequence[str]) -> pd.DataFrame:
    rows = []
    parts = [(g, values[groups == g]) for g in _regions_first(groups)]
    parts.append((TOTAL, values))
    for label, part in parts:
        for category in categories:
            count = int((part == category).sum())
            rows.append(
                {
                    "group": label,
                    "category": category,
                    "n": count,
                    "total": len(part),
                    "pct": 100 * count / len(part) if len(part) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def characteristics(frame: pd.DataFrame, group: str = "region") -> pd.DataFrame:
    """Age band, gender and type of care network: % per group and overall (table 25)."""
    groups = as_codes(frame[group])
    pieces = []
    for variable, values, categories in (
        ("Age category", as_codes(frame["age_band"]), AGE_BANDS),
        ("Gender", as_codes(frame["gender"]), tuple(GENDERS)),
        ("Type of care provider", care_type(frame).astype(str), tuple(CARE_TYPES)),
    ):
        table = _pct_table(values, groups, categories)
        table.insert(0, "variable", variable)
        pieces.append(table)
    return pd.concat(pieces, ignore_index=True)


def provider_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """% of respondents with each kind of medical provider (table 26; not exclusive)."""
    n = len(frame)
    rows = []
    for column, label in PROVIDERS.items():
        count = int((pd.to_numeric(as_codes(frame[column]), errors="coerce") == 1).sum())
        rows.append({"provider": label, "column": column, "n": count, "pct": 100 * count / n})
    return pd.DataFrame(rows)


def provider_count_share(frame: pd.DataFrame, minimum: int = 3) -> float:
    """% of respondents consulting at least `minimum` kinds of medical provider."""
    return float(100 * (_count_providers(frame) >= minimum).mean())


def informal_care_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Who gives informal care, among respondents with informal care (table 27)."""
    informal = frame.loc[_flag(frame["informal_care"], "yes")]
    n = len(informal)
    rows = []
    for column, label in INFORMAL_TYPES.items():
        count = int((pd.to_numeric(as_codes(informal[column]), errors="coerce") == 1).sum())
        rows.append(
            {
                "caregiver": label,
                "column": column,
                "n": count,
                "total": n,
                "pct": 100 * count / n if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------- distributions


def item_distribution(
    frame: pd.DataFrame,
    items: Sequence[str],
    group: str | None = None,
    *,
    valid_codes: Sequence[str] = VALID_CODES,
    special_codes: Sequence[str] = (NOT_APPLICABLE,),
    total_label: str = TOTAL,
    group_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Answer distribution per item and group, in the report's layout (tidy).

    One row per item x group x answer category (valid codes, special codes, then "" for no
    answer) with n, % of all respondents of the group, and the mean and SD (n - 1) of the
    valid answers, which are the same on every row of an item x group.  Works for any
    ordinal scale: pass its valid and special codes.

    Deliberately not built on `analysis.survey.item_distribution`, although both count
    answers per item and group: the PACIC tables (28-32) divide by all respondents of the
    group (not applicable and no answer included) where the professionals' tables divide by
    scored answers; their total is every respondent, not the sum of the listed groups; they
    carry the mean and SD of the valid answers; and their rows run valid, special, no answer
    with "" for no answer.  A wrapper would rename, re-sort and recompute nearly every
    column of the other function's result, which is longer and harder to check than this.
    """
    codes = {item: as_codes(frame[item]) for item in items}
    if group is None:
        parts: list[tuple[str, pd.Index]] = []
    else:
        labels = as_codes(frame[group])
        order = list(group_order) if group_order is not None else _regions_first(labels)
        parts = [(g, frame.index[labels == g]) for g in order]
    parts.append((total_label, frame.index))
    categories = [*valid_codes, *special_codes, ""]
    scores = {v: float(v) for v in valid_codes}
    rows: list[dict[str, Any]] = []
    for item in items:
        for label, index in parts:
            answers = codes[item].loc[index]
            counts = answers.value_counts()
            valid = answers[answers.isin(valid_codes)].map(scores)
            mean = valid.mean() if len(valid) else np.nan
            sd = valid.std(ddof=1) if len(valid) > 1 else np.nan
            for category in categories:
                count = int(counts.get(category, 0))
                rows.append(
                    {
                        "item": item,
                        "group": label,
                        "category": category,
                        "n": count,
                        "total": len(index),
                        "pct": 100 * count / len(index) if len(index) else np.nan,
                        "n_valid": len(valid),
                        "mean": mean,
                        "sd": sd,
                    }
                )
    return pd.DataFrame(rows)


def distribution_wide(tidy: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Reshape `item_distribution` into the printed layout: one row per item x group."""
    names = labels or ANSWER_LABELS
    wide = tidy.pivot_table(
        index=["item", "group"], columns="category", values="pct", sort=False, aggfunc="first"
    )
    wide = wide[[c for c in tidy["category"].drop_duplicates()]]
    wide.columns = [f"{names.get(c, c)} (%)" for c in wide.columns]
    stats = tidy.groupby(["item", "group"], sort=False)[["mean", "sd"]].first()
    return wide.join(stats).reset_index()


# --------------------------------------------------------------------------- scores


def individual_scores(
    frame: pd.DataFrame, min_valid: int = MIN_VALID_ITEMS, items: Sequence[str] = ITEMS
) -> pd.Series:
    """Mean of the valid items per respondent; NaN with fewer than `min_valid` valid items."""
    scores = item_scores(frame, items)
    enough = scores.notna().sum(axis=1) >= min_valid
    return scores.mean(axis=1).where(enough).rename("pacic_score")


def score_summary(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """n, mean and SD of the individual PACIC score, overall or per category of `by`."""
    score = individual_scores(frame)
    data = pd.DataFrame({"score": score})
    if by is None:
        data["group"] = TOTAL
    else:
        data["group"] = as_codes(frame[by])
    data = data.dropna(subset=["score"])
    out = data.groupby("group", sort=False)["score"].agg(
        n="count", mean="mean", sd=lambda s: s.std(ddof=1)
    )
    return out.reset_index()
