"""The professionals' survey of KCE Report 359: distributions, medians, aims, priorities.

Every statistic is computed from one count matrix per item (group × response) built with
`np.bincount` on categorical codes, so a table for 865 respondents and one for five
million take the same code path and no Python loop ever runs over respondents.  Medians
and quartiles come from those counts too (R/NumPy "type 7" quantiles, as in the report's
R analysis), which keeps them consistent with the distribution tables.

Results are tidy frames with fixed column names; the `*_display` functions at the end
turn them into the report's layout for a chapter and are the only place where numbers
become text; the `*_table` functions show such a layout with one heading row per item or
variable instead of repeating its name on every row.

Response kinds in distribution tables: ``score`` (a value of the scale), ``special``
(a non-substantive code such as ``DK`` = don't know / don't understand), ``missing``
(no answer: an empty cell).  Percentages of scores use the scored answers as the
denominator, as the report does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from quartowrap.authoring.tables import MarkdownTable, grid_table

TOTAL = "Total"
MISSING = "missing"
DONT_KNOW = "DK"
SCIROCCO_SCALE: tuple[str, ...] = ("0", "1", "2", "3", "4", "5")
AIM_SCALE: tuple[str, ...] = ("0", "1", "2", "3", "4")
REGIONS: tuple[str, ...] = ("Brussels", "Flanders", "Wallonia", "Federal")

# The 12 SCIROCCO dimensions (key → label), in the order of the SCIROCCO tool.
DIMENSIONS: dict[str, str] = {
    "readiness_to_change": "Readiness to change",
    "structure_governance": "Structure & governance",
    "digital_infrastructure": "Digital infrastructure",
    "process_coordination": "Process coordination",
    "finance_funding": "Finance & funding",
    "removal_of_inhibitors": "Removal of inhibitors",
    "population_approach": "Population approach",
    "citizen_empowerment": "Citizen empowerment",
    "evaluation_methods": "Evaluation methods",
    "breadth_of_ambition": "Breadth of ambition",
    "innovation_management": "Innovation management",
    "capacity_building": "Capacity building",
}

Kind = Literal["score", "special", "missing"]

__all__ = [
    "AIM_SCALE",
    "DIMENSIONS",
    "DONT_KNOW",
    "MISSING",
    "REGIONS",
    "SCIROCCO_SCALE",
    "TOTAL",
    "aim_items",
    "aims_scored_zero",
    "distribution_display",
    "distribution_table",
    "dont_know_shares",
    "group_sizes",
    "item_distribution",
    "priority_display",
    "priority_distribution",
    "profile_counts",
    "profile_display",
    "profile_table",
    "scirocco_items",
    "score_summary",
    "top_priorities",
]


# ------------------------------------------------------------------------ counting


def scirocco_items(frame: pd.DataFrame) -> list[str]:
    """The `sc_<dimension>` columns present, in SCIROCCO order."""
    return [f"sc_{d}" for d in DIMENSIONS if f"sc_{d}" in frame.columns]


def aim_items(frame: pd.DataFrame, dimension: str | None = None) -> list[str]:
    """The `aim_<dimension>_<k>` columns present (one dimension or all), ordered by k."""
    found = []
    for column in frame.columns:
        match = re.fullmatch(r"aim_([a-z_]+)_(\d+)", column)
        if match and (dimension is None or match.group(1) == dimension):
            found.append(
                (
                    list(DIMENSIONS).index(match.group(1))
                    if match.group(1) in DIMENSIONS
                    else len(DIMENSIONS),
                    int(match.group(2)),
                    column,
                )
            )
    return [column for *_, column in sorted(found)]


def _codes(values: pd.Series, categories: Sequence[str], name: str) -> np.ndarray:
    """Integer code of each value in `categories` (-1 = empty); unknown values are errors.

    Categorical input is recoded through its (few) categories, never value by value.
    """
    categories = list(categories)
    if isinstance(values.dtype, pd.CategoricalDtype):
        old = np.asarray(values.cat.codes, dtype=np.int64)
        position = {c: i for i, c in enumerate(categories)}
        mapping = np.array(
            [position.get(str(c), -2) for c in values.cat.categories] + [-1], dtype=np.int64
        )
        codes = mapping[old]  # old code -1 (no answer) picks the trailing -1
        if "" in position:
            raise ValueError(f"{name}: the empty string cannot be a category")
    else:
        text = values.astype("string")
        text = text.where(text != "")
        unknown = (text.notna() & ~text.isin(categories)).to_numpy()
        codes = pd.Categorical(text.where(~unknown), categories=categories).codes
        codes = np.where(unknown, -2, np.asarray(codes, dtype=np.int64))
    if (codes == -2).any():
        bad = pd.unique(values[codes == -2].astype("string"))[:5].tolist()
        raise ValueError(f"{name}: values outside {categories}: {bad}")
    return codes


def _values_of(column: pd.Series) -> list[str]:
    """The values a column can take, as text: a categorical's categories in their order
    (unused ones included, so a group nobody answered for still shows), else the values
    present, sorted."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return sorted(column.dropna().astype(str).unique())


def _groups(
    frame: pd.DataFrame, by: str | None, groups: Sequence[str] | None
) -> tuple[np.ndarray, list[str]]:
    """Group code per row (-1 = in no listed group) and the group labels, in order."""
    if by is None:
        return np.zeros(len(frame), dtype=np.int64), []
    column = frame[by]
    if groups is None:
        groups = _values_of(column)
    groups = [str(g) for g in groups]
    if isinstance(column.dtype, pd.CategoricalDtype):
        position = {g: i for i, g in enumerate(groups)}
        mapping = np.array([position.get(str(c), -1) for c in column.cat.categories] + [-1])
        return mapping[np.asarray(column.cat.codes, dtype=np.int64)], groups
    codes = pd.Categorical(column.astype("string"), categories=groups).codes
    return np.asarray(codes, dtype=np.int64), groups


def _count_matrix(
    group_codes: np.ndarray, n_groups: int, response_codes: np.ndarray, n_responses: int
) -> np.ndarray:
    """counts[g, r]; column 0 = no answer, r + 1 = response r.  Rows outside groups dropped."""
    keep = group_codes >= 0
    flat = group_codes[keep] * (n_responses + 1) + response_codes[keep] + 1
    counts = np.bincount(flat, minlength=max(n_groups, 1) * (n_responses + 1))
    return counts.reshape(max(n_groups, 1), n_responses + 1)


def _with_total(
    frame: pd.DataFrame, by: str | None, groups: Sequence[str] | None, total: str | None
) -> tuple[np.ndarray, list[str], bool]:
    codes, labels = _groups(frame, by, groups)
    if by is None:
        return codes, [total or TOTAL], False
    return codes, labels, total is not None


def group_sizes(
    frame: pd.DataFrame,
    by: str | None = "region",
    *,
    groups: Sequence[str] | None = None,
    total: str | None = TOTAL,
) -> pd.DataFrame:
    """Respondents per group (and in total over the listed groups): `group`, `n`."""
    codes, labels, add_total = _with_total(frame, by, groups, total)
    n = np.bincount(codes[codes >= 0], minlength=len(labels))
    out = pd.DataFrame({"group": labels, "n": n.astype(np.int64)})
    if add_total:
        out = pd.concat([out, pd.DataFrame({"group": [total], "n": [int(n.sum())]})])
    return out.reset_index(drop=True)


def _item_counts(
    frame: pd.DataFrame,
    item: str,
    responses: Sequence[str],
    group_codes: np.ndarray,
    n_groups: int,
    add_total: bool,
) -> np.ndarray:
    codes = _codes(frame[item], responses, item)
    counts = _count_matrix(group_codes, n_groups, codes, len(responses))
    if add_total:  # the total column is the sum of the listed groups, as in the report
        counts = np.vstack([counts, counts.sum(axis=0)])
    return counts


def item_distribution(
    frame: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: Sequence[str],
    by: str | None = "region",
    special: Sequence[str] = (DONT_KNOW,),
    groups: Sequence[str] | None = None,
    total: str | None = TOTAL,
) -> pd.DataFrame:
    """Distribution of ordinal items by group, in long form.

    One row per item × group × response with columns ``item, group, n, scored, response,
    kind, count, percent``: ``n`` respondents in the group, ``scored`` answers on the
    scale, ``percent`` = count / scored × 100 for scores (NaN for special codes and no
    answer).  With `by`, a `total` group sums the listed groups (rows in none of them, e.g.
    a region left out with `groups`, are not counted anywhere).  Any scale, any special codes,
    any grouping column.  The patients' PACIC tables, with percentages of all respondents
    and mean and SD, have their own `analysis.pacic.item_distribution` (see why there).
    """
    scale, special = [str(s) for s in scale], [str(s) for s in special]
    responses = scale + special
    codes, labels, add_total = _with_total(frame, by, groups, total)
    all_labels = labels + ([total] if add_total else [])
    kinds = np.array(["missing"] + ["score"] * len(scale) + ["special"] * len(special))
    names = np.array([MISSING, *responses], dtype=object)
    blocks = []
    for item in items:
        counts = _item_counts(frame, item, responses, codes, len(labels), add_total)
        n = counts.sum(axis=1, keepdims=True)
        scored = counts[:, 1 : 1 + len(scale)].sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            percent = np.where(kinds == "score", 100.0 * counts / scored, np.nan)
        g, r = np.indices(counts.shape)
        blocks.append(
            pd.DataFrame(
                {
                    "item": item,
                    "group": np.asarray(all_labels, dtype=object)[g.ravel()],
                    "n": np.broadcast_to(n, counts.shape).ravel(),
                    "scored": np.broadcast_to(scored, counts.shape).ravel(),
                    "response": names[r.ravel()],
                    "kind": kinds[r.ravel()],
                    "count": counts.ravel(),
                    "percent": percent.ravel(),
                }
            )
        )
    out = pd.concat(blocks, ignore_index=True) if blocks else _empty_distribution()
    order = {"special": 0, "missing": 1, "score": 2}
    out["_kind"] = out["kind"].map(order)
    out["_item"] = out["item"].map({item: i for i, item in enumerate(items)})
    out["_group"] = out["group"].map({g: i for i, g in enumerate(all_labels)})
    out["_response"] = out["response"].map({r: i for i, r in enumerate([MISSING, *responses])})
    out = out.sort_values(["_item", "_group", "_kind", "_response"], kind="stable")
    out = out.drop(columns=["_kind", "_item", "_group", "_response"]).reset_index(drop=True)
    return out.astype({"n": "int64", "scored": "int64", "count": "int64"})


def _empty_distribution() -> pd.DataFrame:
    columns = ["item", "group", "n", "scored", "response", "kind", "count", "percent"]
    return pd.DataFrame({c: [] for c in columns})


def _quantile_from_counts(counts: np.ndarray, values: np.ndarray, p: float) -> np.ndarray:
    """Type-7 quantile (R default, NumPy 'linear') of each row's data given as counts."""
    n = counts.sum(axis=1)
    cumulative = np.cumsum(counts, axis=1)
    h = (np.maximum(n, 1) - 1) * p
    low = np.floor(h).astype(np.int64)
    high = np.minimum(low + 1, np.maximum(n - 1, 0))

    def order_statistic(k: np.ndarray) -> np.ndarray:  # k-th smallest value (0-based)
        index = (cumulative <= k[:, None]).sum(axis=1)
        return values[np.minimum(index, len(values) - 1)]

    result = order_statistic(low) + (h - low) * (order_statistic(high) - order_statistic(low))
    return np.where(n > 0, result, np.nan)


def score_summary(
    frame: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: Sequence[str] = SCIROCCO_SCALE,
    by: str | None = None,
    special: Sequence[str] = (DONT_KNOW,),
    groups: Sequence[str] | None = None,
    total: str | None = TOTAL,
) -> pd.DataFrame:
    """Median, P25, P75, mean and box-plot whiskers of scored answers per item × group.

    Columns ``item, group, scored, median, p25, p75, iqr, mean, whislo, whishi, min, max``.
    Whiskers follow Tukey (furthest observed score within 1.5 IQR of the box).
    """
    scale = [str(s) for s in scale]
    values = np.array([float(s) for s in scale])
    responses = scale + [str(s) for s in special]
    codes, labels, add_total = _with_total(frame, by, groups, total)
    all_labels = labels + ([total] if add_total else [])
    rows = []
    for item in items:
        counts = _item_counts(frame, item, responses, codes, len(labels), add_total)
        counts = counts[:, 1 : 1 + len(scale)]
        scored = counts.sum(axis=1)
        p25 = _quantile_from_counts(counts, values, 0.25)
        median = _quantile_from_counts(counts, values, 0.5)
        p75 = _quantile_from_counts(counts, values, 0.75)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = counts @ values / scored
        present = counts > 0
        low_fence = (p25 - 1.5 * (p75 - p25))[:, None]
        high_fence = (p75 + 1.5 * (p75 - p25))[:, None]
        inside = present & (values >= low_fence) & (values <= high_fence)
        rows.append(
            pd.DataFrame(
                {
                    "item": item,
                    "group": all_labels,
                    "scored": scored.astype(np.int64),
                    "median": median,
                    "p25": p25,
                    "p75": p75,
                    "iqr": p75 - p25,
                    "mean": mean,
                    "whislo": _first_value(inside, values),
                    "whishi": _first_value(inside[:, ::-1], values[::-1]),
                    "min": _first_value(present, values),
                    "max": _first_value(present[:, ::-1], values[::-1]),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _first_value(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    index = mask.argmax(axis=1)
    return np.where(mask.any(axis=1), values[index], np.nan)


def dont_know_shares(distribution: pd.DataFrame, code: str = DONT_KNOW) -> pd.DataFrame:
    """Share of a special code among those who answered (code + scored), per item × group.

    Columns ``item, group, count, answered, percent``; this is the proportion the report
    quotes for "could not give an assessment".
    """
    special = distribution[distribution["response"] == code]
    out = special[["item", "group", "count", "scored"]].copy()
    out["answered"] = out["count"] + out["scored"]
    out["percent"] = 100.0 * out["count"] / out["answered"].where(out["answered"] > 0)
    return out[["item", "group", "count", "answered", "percent"]].reset_index(drop=True)


def aims_scored_zero(
    distribution: pd.DataFrame, threshold: float = 30.0, group: str = TOTAL, zero: str = "0"
) -> pd.DataFrame:
    """Items whose share of score `zero` in `group` exceeds `threshold` %, highest first."""
    rows = distribution[(distribution["group"] == group) & (distribution["response"] == zero)]
    rows = rows[rows["percent"] > threshold]
    return (
        rows[["item", "scored", "count", "percent"]]
        .sort_values("percent", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def priority_distribution(
    frame: pd.DataFrame,
    column: str = "priority",
    *,
    by: str | None = "region",
    categories: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    total: str | None = TOTAL,
) -> pd.DataFrame:
    """Respondents naming each priority, per group; non-response is its own row.

    Columns ``group, n, response, count, percent`` with percent of all respondents in the
    group (non-response included, as in the report's table 24).
    """
    if categories is None:
        categories = _values_of(frame[column])
    categories = [c for c in categories if c != ""]
    dist = item_distribution(
        frame, [column], scale=categories, by=by, special=(), groups=groups, total=total
    )
    out = dist[["group", "n", "response", "count"]].copy()
    out["percent"] = 100.0 * out["count"] / out["n"].where(out["n"] > 0)
    # Answers first (in category order), non-response last, as printed in the report.
    out["_last"] = out["response"] == MISSING
    out = out.sort_values(["_last"], kind="stable").drop(columns="_last")
    group_order = {g: i for i, g in enumerate(dict.fromkeys(dist["group"]))}
    out = out.sort_values("group", key=lambda s: s.map(group_order), kind="stable")
    return out.reset_index(drop=True)


def top_priorities(priorities: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The priorities ranked 1..k per group by number of respondents, ties sharing a rank.

    Columns ``group, rank, response, count, percent``; a tie at rank k keeps every tied
    dimension, so the list can be longer than k.  Non-response is never ranked.
    """
    named = priorities[(priorities["response"] != MISSING) & (priorities["count"] > 0)].copy()
    named["rank"] = (
        named.groupby("group", sort=False)["count"].rank(method="min", ascending=False)
    ).astype(int)
    named = named[named["rank"] <= k]
    group_order = {g: i for i, g in enumerate(dict.fromkeys(priorities["group"]))}
    named["_group"] = named["group"].map(group_order)
    named = named.sort_values(["_group", "rank"], kind="stable")
    return named[["group", "rank", "response", "count", "percent"]].reset_index(drop=True)


def profile_counts(
    frame: pd.DataFrame,
    variables: Sequence[str],
    *,
    by: str | None = "region",
    groups: Sequence[str] | None = None,
    total: str | None = TOTAL,
) -> pd.DataFrame:
    """Respondents per value of each profile variable, by group (tables 15 and 16).

    Columns ``variable, value, group, n, count, percent`` (percent of the group's
    respondents); a ``missing`` value row appears only when some respondent has none.
    """
    parts = []
    for variable in variables:
        values = _values_of(frame[variable])
        dist = item_distribution(
            frame, [variable], scale=values, by=by, special=(), groups=groups, total=total
        )
        has_missing = dist.loc[dist["response"] == MISSING, "count"].sum() > 0
        if not has_missing:
            dist = dist[dist["response"] != MISSING]
        part = dist.rename(columns={"item": "variable", "response": "value"})
        part = part[["variable", "value", "group", "n", "count"]].copy()
        part["_last"] = part["value"] == MISSING
        part = part.sort_values("_last", kind="stable").drop(columns="_last")
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["percent"] = 100.0 * out["count"] / out["n"].where(out["n"] > 0)
    return out


# ------------------------------------------------------------------------- display


def _group_header(group: str, n: int) -> str:
    return f"{group} (n = {n})"


def _pct(value: float, decimals: int) -> str:
    return "" if pd.isna(value) else f"{value:.{decimals}f}"


def distribution_display(
    distribution: pd.DataFrame,
    item_labels: Mapping[str, str] | None = None,
    *,
    special_labels: Mapping[str, str] | None = None,
    decimals: int = 2,
) -> pd.DataFrame:
    """The report's layout: per item, rows don't know (n), missing (n), scores (n), % per
    score; one column per group headed "Region (n = …)".  Column ``Item`` names the item on
    each row; `distribution_table` turns it into one heading row per item.

    One grouped sum over the whole frame, then dictionary look-ups: a factsheet edition
    builds this table in milliseconds rather than with two pivots per item."""
    item_labels = dict(item_labels or {})
    special_labels = {DONT_KNOW: "Don't know (n)", **dict(special_labels or {})}
    groups = list(dict.fromkeys(distribution["group"]))
    sizes = distribution.drop_duplicates("group").set_index("group")["n"]
    headers = {g: _group_header(g, int(sizes[g])) for g in groups}
    # Sums as the report's pivots had them: a lone NaN percent (no scored answer) sums to 0.
    sums = distribution.groupby(["item", "response", "group"], sort=False)[["count", "percent"]]
    totals = sums.sum()
    counts = totals["count"].to_dict()
    percents = totals["percent"].to_dict()
    firsts = distribution.drop_duplicates(["item", "response"])
    kinds = dict(
        zip(zip(firsts["item"], firsts["response"], strict=True), firsts["kind"], strict=True)
    )
    per_group = distribution.drop_duplicates(["item", "group"])
    scored = dict(
        zip(
            zip(per_group["item"], per_group["group"], strict=True),
            per_group["scored"],
            strict=True,
        )
    )
    orders: dict[str, dict[str, None]] = {}
    for item, response in zip(distribution["item"], distribution["response"], strict=True):
        orders.setdefault(item, {})[response] = None
    records = []
    for item, responses in orders.items():
        label = item_labels.get(item, item)
        order = list(responses)
        for response in order:
            kind = kinds[(item, response)]
            if kind == "score":
                continue
            name = (
                "Missing (n)"
                if kind == "missing"
                else special_labels.get(response, f"{response} (n)")
            )
            records.append(
                {
                    "Item": label,
                    "Answer": name,
                    **{headers[g]: str(int(counts[(item, response, g)])) for g in groups},
                }
            )
        records.append(
            {
                "Item": label,
                "Answer": "Scores (n)",
                **{headers[g]: str(int(scored[(item, g)])) for g in groups},
            }
        )
        for response in order:
            if kinds[(item, response)] != "score":
                continue
            records.append(
                {
                    "Item": label,
                    "Answer": f"{response} (%)",
                    **{headers[g]: _pct(percents[(item, response, g)], decimals) for g in groups},
                }
            )
    return pd.DataFrame.from_records(records)


def priority_display(
    priorities: pd.DataFrame, labels: Mapping[str, str] | None = None, decimals: int = 2
) -> pd.DataFrame:
    """Table 24's layout: one row per dimension (+ no answer), % per group."""
    labels = {MISSING: "No answer", **dict(labels or {})}
    groups = list(dict.fromkeys(priorities["group"]))
    sizes = priorities.drop_duplicates("group").set_index("group")["n"]
    wide = priorities.pivot_table(
        index="response", columns="group", values="percent", aggfunc="sum", sort=False
    )
    order = list(dict.fromkeys(priorities["response"]))
    records = [
        {
            "Priority dimension": labels.get(r, r),
            **{_group_header(g, int(sizes[g])): _pct(wide.at[r, g], decimals) for g in groups},
        }
        for r in order
    ]
    return pd.DataFrame.from_records(records)


def profile_display(
    profile: pd.DataFrame,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    variable_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Tables 15/16 layout: variable, value, then counts per group headed with n."""
    value_labels = {k: dict(v) for k, v in (value_labels or {}).items()}
    variable_labels = dict(variable_labels or {})
    groups = list(dict.fromkeys(profile["group"]))
    sizes = profile.drop_duplicates("group").set_index("group")["n"]
    records = []
    for (variable, value), rows in profile.groupby(["variable", "value"], sort=False):
        counts = rows.set_index("group")["count"]
        label = (
            "Not reported" if value == MISSING else value_labels.get(variable, {}).get(value, value)
        )
        records.append(
            {
                "Characteristic": variable_labels.get(variable, variable),
                "Category": label,
                **{_group_header(g, int(sizes[g])): str(int(counts[g])) for g in groups},
            }
        )
    return pd.DataFrame.from_records(records)


def _right_aligned(display: pd.DataFrame, shown_text: int) -> tuple[str, ...]:
    """Text columns left, the count/percent columns after them right (digits line up)."""
    return ("left",) * shown_text + ("right",) * (display.shape[1] - shown_text - 1)


def distribution_table(
    distribution: pd.DataFrame,
    item_labels: Mapping[str, str] | None = None,
    *,
    special_labels: Mapping[str, str] | None = None,
    decimals: int = 2,
) -> MarkdownTable:
    """`distribution_display` as a grid table with one bold heading row per item (as the
    report's table 17 heads each block with its dimension), the tidy `distribution` as CSV.

    Naming the item once per block rather than on each of its rows keeps long labels (a
    policy aim is a sentence) from wrapping every row and doubling the table's length.
    """
    display = distribution_display(
        distribution, item_labels, special_labels=special_labels, decimals=decimals
    )
    return grid_table(display, distribution, group="Item", colalign=_right_aligned(display, 1))


def profile_table(
    profile: pd.DataFrame,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    variable_labels: Mapping[str, str] | None = None,
) -> MarkdownTable:
    """`profile_display` as a grid table with one bold heading row per characteristic,
    the tidy `profile` as CSV."""
    display = profile_display(profile, value_labels, variable_labels)
    return grid_table(display, profile, group="Characteristic", colalign=_right_aligned(display, 1))
