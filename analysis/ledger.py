"""Reproduction ledger: every printed cell of a reproduced table against the rebuild.

The report's printed tables are transcribed once into ``data/published/table_NN.csv``
(one row per printed cell: ``row, column, printed``, the number kept as printed text so
that its precision is known).  This module recomputes the same cells with the functions
the chapters use to build their tables, and classifies each cell:

* ``exact``: the rebuilt value, rounded to the printed number of decimals, is the
  printed text;
* ``rounding``: a decimal cell that is the rebuilt value truncated instead of rounded
  (e.g. 144/802 = 17.955 % printed as 17.95, or an exact tie 1/32 = 3.125 % printed as
  3.12): the count is right, only the last digit differs;
* ``different``: anything else, including a whole-number cell off by one.

A difference is never silent: ``data/published/decisions.csv`` states, per table, row and
column (``*`` for any), why the rebuild departs from the print, and the ledger carries
that reason.  All functions are pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import actions as act
from analysis import eq5d, pacic, regression, survey

STATUSES: tuple[str, ...] = ("exact", "rounding", "different")
#: Decision kind of cells that depend on the modelled (unpublished) joint structure.
MODELLED = "modelled"
_WILDCARD = "*"


@dataclass(frozen=True)
class LedgerTable:
    """One printed table of the report and where the flagship reproduces it."""

    number: int
    title: str
    label: str  # cross-reference label of the flagship table (without '@')


#: Super-cluster of each cluster table (41-50) of the report.
SUPER_CLUSTER_TABLES: dict[int, str] = {
    41: "Facilitate interprofessional and intersectoral collaboration at micro/meso level",
    42: "Build skills and capacity for integrated care",
    43: "Develop a population-based approach",
    44: "Activate the patient as driver of integrated care",
    45: "Define and consolidate governance, roles and responsibilities for integrated care",
    46: "Improve, streamline macro-level decision-making",
    47: "Restructure funding for integrated care",
    48: "Improve access to/exchange of data, structure communication",
    49: "Strengthen the platform for learning and innovation",
    50: "Develop a vision for IC, build a platform for change",
}
_SC_LABELS = {
    41: "collaboration",
    42: "skills",
    43: "population",
    44: "patient",
    45: "governance",
    46: "macro",
    47: "funding",
    48: "data",
    49: "innovation",
    50: "vision",
}

#: The printed tables covered by the ledger, in report order.
TABLES: tuple[LedgerTable, ...] = (
    LedgerTable(15, "Professionals by region: experience, category, level", "tbl-respondents"),
    LedgerTable(16, "Professionals by type of structure and region", "tbl-structures"),
    LedgerTable(17, "SCIROCCO maturity scores by dimension", "tbl-scirocco"),
    LedgerTable(18, "Aims: breadth of ambition", "tbl-aims-breadth"),
    LedgerTable(19, "Aims: citizen empowerment", "tbl-aims-citizen"),
    LedgerTable(21, "Aims: process coordination", "tbl-aims-process"),
    LedgerTable(22, "Aims: innovation management", "tbl-aims-innovation"),
    LedgerTable(23, "Aims: capacity building", "tbl-aims-capacity"),
    LedgerTable(24, "Priority dimension by region", "tbl-priorities"),
    LedgerTable(25, "Patients' characteristics and HRQoL", "tbl-patient-characteristics"),
    LedgerTable(26, "Kinds of medical provider", "tbl-patient-providers"),
    LedgerTable(27, "Informal carers", "tbl-informal-carers"),
    LedgerTable(28, "PACIC: patient activation", "tbl-pacic-activation"),
    LedgerTable(29, "PACIC: delivery system design", "tbl-pacic-delivery"),
    LedgerTable(30, "PACIC: goal setting", "tbl-pacic-goals"),
    LedgerTable(31, "PACIC: problem solving", "tbl-pacic-problem"),
    LedgerTable(32, "PACIC: follow-up and coordination", "tbl-pacic-followup"),
    LedgerTable(34, "PACIC score: linear models", "tbl-pacic-models"),
    LedgerTable(35, "Times a dimension was discussed", "tbl-dimensions-discussed"),
    LedgerTable(37, "Facilitators and barriers", "tbl-facilitators-barriers"),
    LedgerTable(39, "Actions by dimension", "tbl-actions-dimension"),
    LedgerTable(40, "Actions by super-cluster", "tbl-actions-super-cluster"),
    *(
        LedgerTable(n, f"Super-cluster: {name}", f"tbl-sc-{_SC_LABELS[n]}")
        for n, name in SUPER_CLUSTER_TABLES.items()
    ),
)

_PACIC_TABLES: dict[int, str] = {
    28: "Patient activation",
    29: "Delivery system design/decision support",
    30: "Goal setting/tailoring",
    31: "Problem-solving/contextual counselling",
    32: "Follow-up/coordination",
}
_PACIC_COLUMNS = {**{c: c for c in pacic.VALID_CODES}, pacic.NOT_APPLICABLE: "NA", "": "no_answer"}


def _long(frame: pd.DataFrame, row: str, columns: Mapping[str, str]) -> pd.DataFrame:
    """Wide frame → ``row, column, value`` (columns renamed through `columns`)."""
    out = frame.melt(id_vars=[row], value_vars=list(columns), var_name="column", value_name="value")
    out["column"] = out["column"].map(columns)
    return out.rename(columns={row: "row"})[["row", "column", "value"]]


# ------------------------------------------------------------------ reproduced cells


def respondents(professionals: pd.DataFrame) -> pd.DataFrame:
    """Table 15: respondents by experience, category and level, per region and in total."""
    counts = survey.profile_counts(
        professionals, ["experience", "category", "level"], groups=list(survey.REGIONS)
    )
    counts = counts[counts["value"] != survey.MISSING]
    return pd.DataFrame(
        {
            "row": counts["variable"] + " | " + counts["value"].astype(str),
            "column": counts["group"],
            "value": counts["count"],
        }
    ).reset_index(drop=True)


def times_discussed(groups: pd.DataFrame) -> pd.DataFrame:
    """Table 35: how many discussion groups took up each dimension, by region."""
    table = act.dimension_times_discussed(groups)
    return _long(table, "dimension", {c: c for c in [*act.REGIONS, "Total"]})


#: Tables 17-23 (table 20 excluded: it reprints table 21): the items of each.
SCORE_TABLES: dict[int, str] = {
    17: "sc_",
    18: "aim_breadth_of_ambition_",
    19: "aim_citizen_empowerment_",
    21: "aim_process_coordination_",
    22: "aim_innovation_management_",
    23: "aim_capacity_building_",
}


def scores(professionals: pd.DataFrame, number: int) -> pd.DataFrame:
    """Tables 17-23: don't know, missing and scored answers (n), % of scored per score."""
    prefix = SCORE_TABLES[number]
    items = [c for c in professionals.columns if c.startswith(prefix)]
    scale = survey.SCIROCCO_SCALE if number == 17 else survey.AIM_SCALE
    dist = survey.item_distribution(professionals, items, scale=scale, groups=list(survey.REGIONS))
    is_score = dist["kind"] == "score"
    cells = pd.DataFrame(
        {
            "row": dist["item"],
            "column": dist["group"] + " " + dist["response"],
            "value": dist["percent"].where(is_score, dist["count"]),
        }
    )
    scored = dist.drop_duplicates(["item", "group"])
    scored = pd.DataFrame(
        {"row": scored["item"], "column": scored["group"] + " scored", "value": scored["scored"]}
    )
    return pd.concat([cells, scored], ignore_index=True)


def structures(professionals: pd.DataFrame) -> pd.DataFrame:
    """Table 16 as the chapter builds it: counts of the three regions and their sum."""
    three = ["Brussels", "Flanders", "Wallonia"]
    part = professionals[professionals["region"].isin(three)]
    counts = survey.profile_counts(part, ["structure"], groups=three)
    counts = counts[counts["value"] != survey.MISSING]
    return counts.rename(columns={"value": "row", "group": "column", "count": "value"})[
        ["row", "column", "value"]
    ].reset_index(drop=True)


def priorities(professionals: pd.DataFrame) -> pd.DataFrame:
    """Table 24: % of each group's respondents naming each priority (non-response 'NA')."""
    dist = survey.priority_distribution(professionals, groups=list(survey.REGIONS))
    out = dist.rename(columns={"response": "row", "group": "column", "percent": "value"})
    out["row"] = out["row"].replace({survey.MISSING: "NA"})
    return out[["row", "column", "value"]].reset_index(drop=True)


def characteristics(sample: pd.DataFrame, value_set: eq5d.ValueSet) -> pd.DataFrame:
    """Table 25: age, gender, care network (%) and the EQ-VAS / EQ-5D-5L summaries."""
    tidy = pacic.characteristics(sample)
    shares = tidy.rename(columns={"category": "row", "group": "column", "pct": "value"})
    summary = eq5d.summary_by_group(sample, "region", value_set)
    keys = ["vas_mean", "vas_sd", "index_median", "index_iqr", "index_mean", "index_sd"]
    health = summary.melt(id_vars=["group"], value_vars=keys, var_name="row", value_name="value")
    health = health.rename(columns={"group": "column"})
    return pd.concat(
        [shares[["row", "column", "value"]], health[["row", "column", "value"]]], ignore_index=True
    )


#: Table 34's printed columns: model prefix of the ledger column → model of `model_table`.
_MODEL_COLUMNS = {"vas": "EQ-VAS", "index": "EQ-5D-5L index"}


def models(sample: pd.DataFrame, value_set: eq5d.ValueSet) -> pd.DataFrame:
    """Table 34: β and 95 % confidence bounds of both PACIC models, per term."""
    table = regression.model_table(sample, value_set)
    parts = []
    for prefix, model in _MODEL_COLUMNS.items():
        part = table[table["model"] == model]
        for key, column in (("beta", "beta"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
            parts.append(
                pd.DataFrame(
                    {"row": part["term"], "column": f"{prefix}_{key}", "value": part[column]}
                )
            )
    return pd.concat(parts, ignore_index=True)


def providers(sample: pd.DataFrame) -> pd.DataFrame:
    """Table 26: % of respondents with each kind of medical provider."""
    tidy = pacic.provider_shares(sample)
    return pd.DataFrame({"row": tidy["column"], "column": pacic.TOTAL, "value": tidy["pct"]})


def informal_carers(sample: pd.DataFrame) -> pd.DataFrame:
    """Table 27: % of respondents with informal care, per kind of carer."""
    tidy = pacic.informal_care_types(sample)
    return pd.DataFrame({"row": tidy["column"], "column": "%", "value": tidy["pct"]})


def pacic_items(sample: pd.DataFrame, subscale: str) -> pd.DataFrame:
    """Tables 28-32: % per answer and M (SD) of valid answers, per item and region."""
    regions = [r for r in pacic.REGIONS if (pacic.as_codes(sample["region"]) == r).any()]
    tidy = pacic.item_distribution(sample, pacic.SUBSCALES[subscale], "region", group_order=regions)
    shares = pd.DataFrame(
        {
            "row": tidy["item"],
            "column": tidy["group"] + " " + tidy["category"].map(_PACIC_COLUMNS),
            "value": tidy["pct"],
        }
    )
    moments = tidy.drop_duplicates(["item", "group"])
    extra = [
        pd.DataFrame(
            {"row": moments["item"], "column": moments["group"] + f" {s}", "value": moments[s]}
        )
        for s in ("mean", "sd")
    ]
    return pd.concat([shares, *extra], ignore_index=True)


def facilitators_barriers(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 37: counts by dimension, region and kind, with the totals the table adds."""
    wide = act.facilitators_barriers_table(frame)
    long = wide.stack(level=[0, 1], future_stack=True).rename("value").reset_index()
    long.columns = ["row", "region", "kind", "value"]
    long["column"] = long["region"] + " " + long["kind"]
    return long[["row", "column", "value"]]


def actions_by(actions: pd.DataFrame, key: str, order: list[str]) -> pd.DataFrame:
    """Tables 39 and 40: actions by dimension or super-cluster and region, with total."""
    table = act.counts_by(actions, key, order)
    return _long(table, key, {c: c for c in [*act.REGIONS, "Total"]})


def subclusters(actions: pd.DataFrame, super_cluster: str) -> pd.DataFrame:
    """Tables 41-50: one super-cluster's sub-clusters and cluster sums by region."""
    table = act.subcluster_table(actions, super_cluster)
    table = table.assign(row=table["cluster"] + " | " + table["sub_cluster"])
    return _long(table, "row", {c: c for c in [*act.REGIONS, "Total"]})


@dataclass(frozen=True)
class Inputs:
    """The data the ledger tables are rebuilt from; only what the asked tables need."""

    professionals: pd.DataFrame | None = None
    patients: pd.DataFrame | None = None
    value_set: eq5d.ValueSet | None = None
    action_data: act.ActionData | None = None


#: Which input each ledger table is rebuilt from (so a chapter loads only its own data).
PROFESSIONAL_TABLES: frozenset[int] = frozenset({15, 16, 24, *SCORE_TABLES})
PATIENT_TABLES: frozenset[int] = frozenset({25, 26, 27, 34, *_PACIC_TABLES})
ACTION_TABLES: frozenset[int] = frozenset({35, 37, 39, 40, *SUPER_CLUSTER_TABLES})


def _need(value: object, what: str) -> Any:
    if value is None:
        raise ValueError(f"the ledger needs {what} for the tables asked")
    return value


def reproduce(inputs: Inputs, numbers: Iterable[int] | None = None) -> pd.DataFrame:
    """The ledger tables (all, or `numbers`) rebuilt: ``table, row, column, value``."""
    chosen = [t.number for t in TABLES if numbers is None or t.number in set(numbers)]
    sample = None
    if PATIENT_TABLES.intersection(chosen):
        sample = pacic.analysis_sample(_need(inputs.patients, "the patients' survey"))
    parts = []
    for number in chosen:
        if number in PROFESSIONAL_TABLES:
            pros = _need(inputs.professionals, "the professionals' survey")
            if number in SCORE_TABLES:
                part = scores(pros, number)
            else:
                part = {15: respondents, 16: structures, 24: priorities}[number](pros)
        elif number == 25:
            part = characteristics(sample, _need(inputs.value_set, "the EQ-5D-5L value set"))
        elif number == 34:
            part = models(sample, _need(inputs.value_set, "the EQ-5D-5L value set"))
        elif number == 26:
            part = providers(sample)
        elif number == 27:
            part = informal_carers(sample)
        elif number in _PACIC_TABLES:
            part = pacic_items(sample, _PACIC_TABLES[number])
        else:
            data = _need(inputs.action_data, "the action-point data")
            if number == 35:
                part = times_discussed(data.groups)
            elif number == 37:
                part = facilitators_barriers(data.facilitators_barriers)
            elif number == 39:
                part = actions_by(data.actions, "dimension", list(act.DIMENSIONS))
            elif number == 40:
                part = actions_by(data.actions, "super_cluster", list(act.SUPER_CLUSTERS))
            else:
                part = subclusters(data.actions, SUPER_CLUSTER_TABLES[number])
        parts.append(part.assign(table=number))
    out = pd.concat(parts, ignore_index=True)
    out["row"], out["column"] = out["row"].astype(str), out["column"].astype(str)
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    return out[["table", "row", "column", "value"]]


# ---------------------------------------------------------------- transcriptions


def transcriptions(frames: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """Transcribed tables (table number → ``row, column, printed``) as one long frame.

    The printed text is kept as text: its number of decimals is the printed precision.
    """
    parts = [
        pd.DataFrame(
            {
                "table": number,
                "row": frame["row"].astype(str),
                "column": frame["column"].astype(str),
                "printed": frame["printed"].astype(str),
            }
        )
        for number, frame in frames.items()
    ]
    return pd.concat(parts, ignore_index=True)


def transcription_path(number: int) -> str:
    """Where table `number` is transcribed, relative to the data directory."""
    return f"published/table_{number:02d}.csv"


def classify(printed: str, value: float) -> str:
    """Status of one cell: exact, rounding or different.

    Exact: the rebuilt value printed to the cell's decimals, as the chapters print it
    (`f"{value:.2f}"`: the nearest, an exact binary tie such as 3.125 to the even digit, the
    convention the report's own figures follow), is the printed text.  Rounding: the
    printed text is the value rounded another way (truncated, or a tie rounded up).
    """
    try:
        shown = Decimal(printed)
    except InvalidOperation as exc:
        raise ValueError(f"printed cell {printed!r} is not a number") from exc
    if value is None or not np.isfinite(value):
        return "different"
    places = max(0, -int(shown.as_tuple().exponent))  # type: ignore[operator]
    if Decimal(f"{float(value):.{places}f}") == shown:
        return "exact"
    unit = Decimal(1).scaleb(-places)
    exact = Decimal(repr(float(value)))
    if places > 0 and shown in {
        exact.quantize(unit, rounding=ROUND_DOWN),
        exact.quantize(unit, rounding=ROUND_HALF_UP),
    }:
        return "rounding"
    return "different"


def _reason(decisions: pd.DataFrame, table: int, row: str, column: str) -> tuple[str, str]:
    hit = decisions[
        (decisions["table"] == table)
        & decisions["row"].isin([row, _WILDCARD])
        & decisions["column"].isin([column, _WILDCARD])
    ]
    if hit.empty:
        return "", ""
    first = hit.iloc[0]
    return str(first["kind"]), str(first["reason"])


def compare(printed: pd.DataFrame, rebuilt: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The ledger: one row per printed cell with the rebuilt value, status and reason.

    A printed cell without a rebuilt counterpart is ``different`` (value NaN): a table
    that loses a row cannot pass as exact.  Reasons are attached to non-exact cells only.
    """
    merged = printed.merge(rebuilt, on=["table", "row", "column"], how="left", validate="1:1")
    statuses, kinds, reasons = [], [], []
    for cell in merged.itertuples(index=False):
        status = classify(cell.printed, cell.value)
        kind, reason = (
            ("", "") if status == "exact" else _reason(decisions, cell.table, cell.row, cell.column)
        )
        if kind == MODELLED and status == "rounding":
            # a modelled value is not a right count cut off: its truncation matching the
            # print is a coincidence, not a rounding convention
            status = "different"
        statuses.append(status)
        kinds.append(kind)
        reasons.append(reason)
    return merged.assign(status=statuses, decision=kinds, reason=reasons)


def summarise(ledger: pd.DataFrame, tables: tuple[LedgerTable, ...] = TABLES) -> pd.DataFrame:
    """Per table: printed cells, exact, rounding only, different; a last 'All' row."""
    counts = (
        ledger.groupby(["table", "status"])
        .size()
        .unstack("status")
        .reindex(columns=list(STATUSES))
        .fillna(0)
        .astype(int)
    )
    counts.insert(0, "printed", counts.sum(axis=1))
    titles = {t.number: t.title for t in tables}
    counts = counts.reindex([t.number for t in tables if t.number in counts.index])
    out = counts.reset_index()
    out.insert(1, "title", out["table"].map(titles))
    total = {"table": "All", "title": "", **{c: int(out[c].sum()) for c in ["printed", *STATUSES]}}
    out = pd.concat([out.astype({"table": object}), pd.DataFrame([total])], ignore_index=True)
    return out


def exact_share(ledger: pd.DataFrame) -> float:
    """% of the printed cells that the rebuild gives exactly."""
    return 100.0 * float((ledger["status"] == "exact").mean()) if len(ledger) else float("nan")


def decision_table(frame: pd.DataFrame) -> pd.DataFrame:
    """`published/decisions.csv` as loaded, with plain types for matching."""
    return pd.DataFrame(
        {
            "table": frame["table"].astype(int),
            "row": frame["row"].astype(str),
            "column": frame["column"].astype(str),
            "kind": frame["kind"].astype(str),
            "reason": frame["reason"].astype(str),
        }
    )


def from_data(data_dir: Path | None = None, numbers: Iterable[int] | None = None) -> pd.DataFrame:
    """The ledger (all tables, or `numbers`) of the data directory, read through the codebook.

    Only the inputs the asked tables need are loaded, so a chapter quoting its own tables
    does not pay for the others.
    """
    from quartowrap.authoring.data import load_table, load_yaml

    chosen = {t.number for t in TABLES if numbers is None or t.number in set(numbers)}
    inputs = Inputs(
        professionals=load_table("survey/professionals.csv", data_dir)
        if chosen & PROFESSIONAL_TABLES
        else None,
        patients=load_table("survey/patients.csv", data_dir) if chosen & PATIENT_TABLES else None,
        value_set=eq5d.ValueSet.from_mapping(load_yaml("eq5d/belgium_5l.yaml", data_dir))
        if chosen & {25, 34}
        else None,
        action_data=act.load_action_data(data_dir) if chosen & ACTION_TABLES else None,
    )
    printed = transcriptions(
        {n: load_table(transcription_path(n), data_dir) for n in sorted(chosen)}
    )
    decisions = decision_table(load_table("published/decisions.csv", data_dir))
    return compare(printed, reproduce(inputs, chosen), decisions)


def figure_counterparts(data_dir: Path | None = None) -> pd.DataFrame:
    """The report's figures (`published/figures.csv`) with ``counterpart``: drawn in this book.

    A figure has a counterpart when the file names the chapter and label of the flagship
    figure; `tests/analysis/test_ledger.py` checks that each such label is a figure cell
    of that chapter.
    """
    from quartowrap.authoring.data import load_table

    figures = load_table("published/figures.csv", data_dir)
    for column in ("chapter", "label", "data"):
        figures[column] = figures[column].astype("string").fillna("").astype(object)
    figures["counterpart"] = figures["label"].ne("") & figures["chapter"].ne("")
    return figures.sort_values("figure").reset_index(drop=True)


def exactness_sentence(cells: pd.DataFrame, *, name_tables: bool = False) -> str:
    """One sentence on how many printed cells of `cells` the rebuild gives exactly.

    Replaces blanket claims ("comes out exactly"): the numbers are this build's ledger.
    With `name_tables`, the report's table numbers are listed.
    """
    n = len(cells)
    exact = int((cells["status"] == "exact").sum())
    tables = cells["table"].nunique()
    rest = n - exact
    word = "table" if tables == 1 else "tables"
    named = ""
    if name_tables:
        numbers = [str(t) for t in sorted(cells["table"].unique())]
        listed = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} and {numbers[-1]}"
        named = f" ({word} {listed})"
    sentence = (
        f"{_n(exact)} of the {_n(n)} printed numbers of the {_n(tables)} published {word}"
        f"{named} compared ({100 * exact / n:.1f}\u00a0%) come out exactly"
    )
    if rest == 0:
        return sentence + "."
    unexplained = int(((cells["status"] != "exact") & (cells["reason"] == "")).sum())
    tail = (
        "each of the other "
        + ("one" if rest == 1 else _n(rest))
        + " departs from the print for a documented reason"
        if unexplained == 0
        else (
            f"the other {'one has' if rest == 1 else _n(rest) + ' have'} no documented reason yet"
            if unexplained == rest
            else f"{_n(unexplained)} of the other {_n(rest)} have no documented reason yet"
        )
    )
    return f"{sentence}; {tail}."


def _n(x: int) -> str:
    return f"{int(x):,}".replace(",", "\u202f")


def table_agreement(cells: pd.DataFrame, number: int) -> str:
    """How table `number` compares with the print, for a source line under the table.

    'identical to' only when every printed cell is exact; otherwise the count.
    """
    part = cells[cells["table"] == number]
    if part.empty:
        raise KeyError(f"table {number} is not in the ledger")
    exact = int((part["status"] == "exact").sum())
    if exact == len(part):
        return f"identical to the {_n(len(part))} printed cells of"
    return f"{_n(exact)} of the {_n(len(part))} printed cells as in"
