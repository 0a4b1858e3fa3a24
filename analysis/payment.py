"""Provider-payment literature of chapter 5: tables 54–58 and the counts its text quotes.

The review of KCE Report 359 is kept as structured YAML in `data/literature/payment/` and
validated here with pydantic schemas, so a new model or a corrected effect changes every
table, count and sentence that depends on it.  Counts the report typed by hand (models per
country, per type, per kind of risk sharing; which outcomes improved) are recomputed from the
coded records instead.

Wide tables with several lines per cell are written as pandoc grid tables
(`quartowrap.authoring.grid_table`), because pipe tables cannot hold a list or a line break in a
cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator
from quartowrap.authoring.data import StrictRecord, load_validated_yaml
from quartowrap.authoring.tables import Cell, MarkdownTable, grid_table

from analysis.citations import join_refs

__all__ = [
    "APM_TYPE_LABELS",
    "COUNTRY_LABELS",
    "DIRECTION_LABELS",
    "DOMAIN_LABELS",
    "RISK_SHARING_LABELS",
    "ApmFile",
    "MechanismsFile",
    "apm_counts",
    "apm_models",
    "apm_outcomes",
    "belgian_context",
    "count_of",
    "join_names",
    "load_apm",
    "load_mechanisms",
    "load_reform",
    "load_review",
    "mechanism_effects",
    "models_where",
    "names_of",
    "outcome_profile",
    "reform_steps",
    "review_flows",
    "search_terms",
    "selection_criteria",
    "short_name",
    "table_apm",
    "table_incentives",
    "table_outcome_profile",
    "table_reform_steps",
    "table_search_terms",
    "table_selection_criteria",
]

PAYMENT_DIR = "literature/payment"

# ----------------------------------------------------------------------------- schemas


Effect = Literal["+", "-", "unclear"]


class IncentiveProperty(StrictRecord):
    """A column of table 56: an incentive a payment mechanism may strengthen or weaken."""

    key: str
    label: str
    note: str = ""


class Mechanism(StrictRecord):
    """A row of table 56, from the least to the most bundled mechanism."""

    key: str
    label: str
    unit: str
    effects: dict[str, Effect]


class MechanismsFile(StrictRecord):
    """`mechanisms.yaml`: every mechanism must rate every property, no more, no less."""

    refs: list[str] = Field(min_length=1)
    kce_refs: list[int] = Field(default_factory=list)
    properties: list[IncentiveProperty] = Field(min_length=1)
    mechanisms: list[Mechanism] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete_matrix(self) -> MechanismsFile:
        wanted = [p.key for p in self.properties]
        for mech in self.mechanisms:
            missing = [k for k in wanted if k not in mech.effects]
            extra = [k for k in mech.effects if k not in wanted]
            if missing or extra:
                raise ValueError(
                    f"mechanism {mech.key!r}: effects missing {missing} / unknown {extra}"
                )
        return self


Domain = Literal["spending", "utilisation", "quality", "health", "experience", "collaboration"]
Direction = Literal["improved", "no_change", "worsened", "other"]


class Outcome(StrictRecord):
    """One finding reported for a model, coded by domain and direction (this project's coding)."""

    domain: Domain
    direction: Direction
    text: str


class ApmModel(StrictRecord):
    """A row of table 57."""

    id: str
    name: str
    year: int = Field(ge=1900, le=2100)
    country: Literal["US", "UK", "DE", "NL", "ES", "NZ"]
    geography: str
    scope: Literal["national", "regional", "multi_state"]
    initiator: Literal["public", "private", "public_private"]
    apm_type: Literal["p4p", "aco", "multipayer", "bundled"]
    clinical_focus: str
    providers: str
    setting: str
    payment_mechanism: str
    payment_basis: Literal[
        "virtual_target",
        "real_global",
        "virtual_and_real",
        "care_management_fee",
        "retrospective_bundle",
        "p4p",
    ]
    quality_incentives: str
    quality_modality: Literal["bonus_and_shared", "shared_only", "bonus_only"]
    risk_adjustment: Literal["yes", "no", "not_reported"]
    risk_adjustment_detail: str = ""
    risk_sharing: Literal["one_sided", "two_sided", "choice", "not_applicable"]
    risk_sharing_detail: str = ""
    kce_refs: list[int] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)


class ApmFile(StrictRecord):
    """`apm_models.yaml`."""

    refs: list[str] = Field(min_length=1)
    models: list[ApmModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> ApmFile:
        ids = [m.id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate model id(s): {duplicates}")
        return self


class SearchDomain(StrictRecord):
    domain: str
    terms: list[str] = Field(min_length=1)


_CONTINUATIONS = frozenset({"or", "and", "except", "but", "unless"})


class Criterion(StrictRecord):
    criterion: str
    include: list[str]
    exclude: list[str]

    @model_validator(mode="after")
    def _whole_rules(self) -> Criterion:
        """A rule cut at a comma of a YAML flow list shows unbalanced brackets or starts
        with the conjunction that continued it ("or ...", "except ...")."""
        for rule in [*self.include, *self.exclude]:
            broken = rule.count("(") != rule.count(")")
            if broken or rule.split(" ", 1)[0] in _CONTINUATIONS:
                problem = "has unbalanced brackets" if broken else "continues a previous rule"
                raise ValueError(
                    f"rule {rule!r} {problem}: a comma inside [...] splits an item in YAML; "
                    "quote the whole rule"
                )
        return self


class Flow(StrictRecord):
    search: str
    source: str
    identified: int | None = Field(default=None, ge=0)
    retained: int | None = Field(default=None, ge=0)


class ReviewFile(StrictRecord):
    """`review.yaml`: search terms (table 54), criteria (table 55), record counts."""

    refs: list[str] = Field(min_length=1)
    search_terms: list[SearchDomain]
    selection_criteria: list[Criterion]
    flows: list[Flow]


class Source(StrictRecord):
    context: str
    type: str
    kce_ref: int


class Step(StrictRecord):
    id: str
    action: str
    short: str = ""  # the action in a few words, for the incremental-reform figure
    details: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)


class Stage(StrictRecord):
    key: str
    label: str
    steps: list[Step] = Field(min_length=1)


class Part(StrictRecord):
    key: str
    label: str
    stages: list[Stage] = Field(min_length=1)


class ReformFile(StrictRecord):
    """`reform_steps.yaml` (table 58)."""

    refs: list[str] = Field(min_length=1)
    parts: list[Part] = Field(min_length=1)


class Fact(StrictRecord):
    key: str
    value: float
    unit: str
    text: str
    kce_refs: list[int] = Field(default_factory=list)


class ContextFile(StrictRecord):
    """`belgian_context.yaml`."""

    refs: list[str] = Field(min_length=1)
    facts: list[Fact]


# ----------------------------------------------------------------------------- loading


def load_mechanisms(data_dir: Path | None = None) -> MechanismsFile:
    """Table 56 source."""
    return load_validated_yaml(f"{PAYMENT_DIR}/mechanisms.yaml", MechanismsFile, data_dir)


def load_apm(data_dir: Path | None = None) -> ApmFile:
    """Table 57 source."""
    return load_validated_yaml(f"{PAYMENT_DIR}/apm_models.yaml", ApmFile, data_dir)


def load_review(data_dir: Path | None = None) -> ReviewFile:
    """Tables 54–55 source and the search flows."""
    return load_validated_yaml(f"{PAYMENT_DIR}/review.yaml", ReviewFile, data_dir)


def load_reform(data_dir: Path | None = None) -> ReformFile:
    """Table 58 source."""
    return load_validated_yaml(f"{PAYMENT_DIR}/reform_steps.yaml", ReformFile, data_dir)


# ----------------------------------------------------------------------------- labels

COUNTRY_LABELS = {
    "US": "United States",
    "UK": "United Kingdom",
    "DE": "Germany",
    "NL": "Netherlands",
    "ES": "Spain",
    "NZ": "New Zealand",
}
APM_TYPE_LABELS = {
    "p4p": "Pay for performance",
    "aco": "Population-based: accountable care organisation",
    "multipayer": "Population-based: multipayer model",
    "bundled": "Bundled payment",
}
SCOPE_LABELS = {"national": "Nationwide", "regional": "Regional", "multi_state": "Several states"}
INITIATOR_LABELS = {
    "public": "Public payer",
    "private": "Private initiative",
    "public_private": "Public-private partnership",
}
PAYMENT_BASIS_LABELS = {
    "virtual_target": "Virtual spending target on fee-for-service",
    "real_global": "Real global or capitated payment",
    "virtual_and_real": "Virtual or real, depending on the track",
    "care_management_fee": "Care-management fee",
    "retrospective_bundle": "Bundle reconciled against a target price",
    "p4p": "Pay for performance",
}
QUALITY_MODALITY_LABELS = {
    "bonus_and_shared": "Bonus and quality-dependent shared savings or losses",
    "shared_only": "Quality-dependent shared savings, no direct bonus",
    "bonus_only": "Bonus payments only",
}
RISK_ADJUSTMENT_LABELS = {"yes": "Yes", "no": "No", "not_reported": "Not reported"}
RISK_SHARING_LABELS = {
    "one_sided": "One-sided (upside only)",
    "two_sided": "Two-sided (savings and losses)",
    "choice": "One- or two-sided, at the provider's choice",
    "not_applicable": "Not applicable",
}
DOMAIN_LABELS = {
    "spending": "Spending",
    "utilisation": "Use of care",
    "quality": "Quality of care",
    "health": "Health outcomes",
    "experience": "Patient and provider experience",
    "collaboration": "Collaboration",
}
DIRECTION_LABELS = {
    "improved": "improved",
    "no_change": "no change",
    "worsened": "worsened",
    "other": "changed",
}
_FIELD_LABELS: dict[str, dict[str, str]] = {
    "country": COUNTRY_LABELS,
    "apm_type": APM_TYPE_LABELS,
    "scope": SCOPE_LABELS,
    "initiator": INITIATOR_LABELS,
    "payment_basis": PAYMENT_BASIS_LABELS,
    "quality_modality": QUALITY_MODALITY_LABELS,
    "risk_adjustment": RISK_ADJUSTMENT_LABELS,
    "risk_sharing": RISK_SHARING_LABELS,
}
CountField = Literal[
    "country",
    "apm_type",
    "scope",
    "initiator",
    "payment_basis",
    "quality_modality",
    "risk_adjustment",
    "risk_sharing",
]


def join_names(names: Iterable[str], conjunction: str = "and") -> str:
    """`A`, `A and B`, `A, B and C`: a list for running prose."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _numbers(values: Iterable[int]) -> str:
    return "; ".join(str(v) for v in values)


# ----------------------------------------------------------------------------- tidy frames


def search_terms(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 54, tidy: one row per search term."""
    review = load_review(data_dir)
    rows = [
        {"domain": d.domain, "term": term, "refs": join_refs(review.refs)}
        for d in review.search_terms
        for term in d.terms
    ]
    return pd.DataFrame(rows, columns=["domain", "term", "refs"])


def selection_criteria(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 55, tidy: one row per criterion, decision and rule."""
    review = load_review(data_dir)
    rows = [
        {
            "criterion": c.criterion,
            "decision": decision,
            "rule": rule,
            "refs": join_refs(review.refs),
        }
        for c in review.selection_criteria
        for decision, rules in (("include", c.include), ("exclude", c.exclude))
        for rule in rules
    ]
    return pd.DataFrame(rows, columns=["criterion", "decision", "rule", "refs"])


def review_flows(data_dir: Path | None = None) -> pd.DataFrame:
    """Records identified and retained by each search (nullable integers)."""
    review = load_review(data_dir)
    frame = pd.DataFrame([f.model_dump() for f in review.flows])
    for column in ("identified", "retained"):
        frame[column] = frame[column].astype("Int64")
    return frame.set_index("search")


def mechanism_effects(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 56, tidy: one row per mechanism and property.

    `bundling_rank` runs from 1 (least bundled, financial risk with the payer) upwards.
    """
    source = load_mechanisms(data_dir)
    labels = {p.key: p.label for p in source.properties}
    rows = [
        {
            "mechanism": m.key,
            "mechanism_label": m.label,
            "bundling_rank": rank,
            "property": prop,
            "property_label": labels[prop],
            "effect": m.effects[prop],
            "refs": join_refs(source.refs),
            "kce_refs": _numbers(source.kce_refs),
        }
        for rank, m in enumerate(source.mechanisms, start=1)
        for prop in labels
    ]
    return pd.DataFrame(rows)


def apm_models(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 57, tidy: one row per model, coded fields as codes, outcomes counted."""
    source = load_apm(data_dir)
    rows = []
    for m in source.models:
        row = m.model_dump(exclude={"outcomes", "kce_refs"})
        row["kce_refs"] = _numbers(m.kce_refs)
        row["refs"] = join_refs(source.refs)
        row["n_outcomes"] = len(m.outcomes)
        rows.append(row)
    return pd.DataFrame(rows)


def apm_outcomes(data_dir: Path | None = None) -> pd.DataFrame:
    """The outcomes of table 57, tidy: one row per reported finding."""
    source = load_apm(data_dir)
    rows = [
        {
            "model_id": m.id,
            "model": m.name,
            "outcome_no": i,
            "domain": o.domain,
            "direction": o.direction,
            "text": o.text,
            "refs": join_refs(source.refs),
        }
        for m in source.models
        for i, o in enumerate(m.outcomes, start=1)
    ]
    return pd.DataFrame(rows)


def apm_counts(models: pd.DataFrame, by: CountField) -> pd.DataFrame:
    """Number of models per value of a coded field, most frequent first (ties: label order).

    Columns: `code`, `label`, `n`, `models` (names joined with "; ").
    """
    labels = _FIELD_LABELS[by]
    order = {code: i for i, code in enumerate(labels)}
    grouped = models.groupby(by, sort=False)
    frame = pd.DataFrame(
        {
            "code": list(grouped.groups),
            "n": [len(g) for _, g in grouped],
            "models": ["; ".join(g["name"]) for _, g in grouped],
        }
    )
    frame["label"] = frame["code"].map(labels)
    frame["_order"] = frame["code"].map(order)
    frame = frame.sort_values(["n", "_order"], ascending=[False, True])
    return frame[["code", "label", "n", "models"]].reset_index(drop=True)


def outcome_profile(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Model × domain: the directions reported, so a reader sees where models improved.

    A cell lists each distinct direction once (e.g. "improved; worsened"); empty when the
    evaluations reported nothing in that domain.
    """
    domains = [d for d in DOMAIN_LABELS if d in set(outcomes["domain"])]
    order = list(dict.fromkeys(outcomes["model"]))
    cells = (
        outcomes.groupby(["model", "domain"], sort=False)["direction"]
        .agg(lambda s: "; ".join(DIRECTION_LABELS[d] for d in dict.fromkeys(s)))
        .unstack("domain")
    )
    return cells.reindex(index=order, columns=domains).fillna("")


def models_where(
    outcomes: pd.DataFrame,
    domain: str,
    direction: str,
) -> list[str]:
    """Names of the models with at least one finding of `direction` in `domain`."""
    hit = outcomes[(outcomes["domain"] == domain) & (outcomes["direction"] == direction)]
    return list(dict.fromkeys(hit["model"]))


def reform_steps(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 58, tidy: one row per step and source."""
    source = load_reform(data_dir)
    rows = [
        {
            "part": part.label,
            "stage": stage.label,
            "step_id": step.id,
            "action": step.action,
            "details": " | ".join(step.details),
            "context": src.context,
            "article_type": src.type,
            "kce_ref": src.kce_ref,
            "refs": join_refs(source.refs),
        }
        for part in source.parts
        for stage in part.stages
        for step in stage.steps
        for src in step.sources
    ]
    return pd.DataFrame(rows)


def belgian_context(data_dir: Path | None = None) -> pd.Series:
    """Facts about payment mechanisms already mixed in Belgium, by key (values as numbers)."""
    source = load_validated_yaml(f"{PAYMENT_DIR}/belgian_context.yaml", ContextFile, data_dir)
    return pd.Series({f.key: f.value for f in source.facts}, name="value")


# ----------------------------------------------------------------------------- publication tables


def table_search_terms(data_dir: Path | None = None) -> MarkdownTable:
    """Table 54: search terms per concept domain."""
    tidy = search_terms(data_dir)
    display = pd.DataFrame(
        [
            {
                "Domain": Cell.strong(domain),
                "Search terms": ", ".join(f"“{t}”" for t in group["term"]),
            }
            for domain, group in tidy.groupby("domain", sort=False)
        ]
    )
    return grid_table(display, tidy, widths=[20, 70])


def table_selection_criteria(data_dir: Path | None = None) -> MarkdownTable:
    """Table 55: inclusion and exclusion criteria of the second search."""
    tidy = selection_criteria(data_dir)
    rows = []
    for criterion, group in tidy.groupby("criterion", sort=False):
        rules = {d: list(group.loc[group["decision"] == d, "rule"]) for d in ("include", "exclude")}
        rows.append(
            {
                "Criterion": Cell.strong(criterion),
                "Included": Cell.bullets(rules["include"]),
                "Excluded": Cell.bullets(rules["exclude"]),
            }
        )
    return grid_table(pd.DataFrame(rows), tidy, widths=[14, 34, 40])


_EFFECT_TEXT = {"+": "+", "-": "−", "unclear": "unclear"}


def table_incentives(data_dir: Path | None = None) -> MarkdownTable:
    """Table 56: mechanisms (rows, least to most bundled) × incentive properties."""
    tidy = mechanism_effects(data_dir)
    props = list(dict.fromkeys(tidy["property_label"]))
    n = tidy["bundling_rank"].max()
    rows = []
    for (mech, rank), group in tidy.groupby(["mechanism_label", "bundling_rank"], sort=False):
        position = f"{rank} of {n}"
        if rank == 1:
            position += " (least bundled; risk with the payer)"
        elif rank == n:
            position += " (most bundled; risk with the provider)"
        rows.append([Cell.strong(mech), *(_EFFECT_TEXT[e] for e in group["effect"]), position])
    header = ["Payment mechanism", *props, "Bundling and financial risk"]
    widths = [18, *([11] * len(props)), 16]
    return grid_table(pd.DataFrame(rows, columns=header), tidy, widths=widths)


def table_apm(data_dir: Path | None = None) -> MarkdownTable:
    """Table 57: the alternative payment models, grouped by type, with their outcomes."""
    source = load_apm(data_dir)
    tidy = apm_models(data_dir).merge(
        apm_outcomes(data_dir)
        .rename(columns={"model_id": "id", "text": "outcome"})
        .drop(columns=["model", "refs"]),
        on="id",
    )
    rows = []
    for apm_type, label in APM_TYPE_LABELS.items():
        members = [m for m in source.models if m.apm_type == apm_type]
        for m in sorted(members, key=lambda m: m.year):
            adjusted = RISK_ADJUSTMENT_LABELS[m.risk_adjustment]
            if m.risk_adjustment_detail:
                adjusted += f" ({m.risk_adjustment_detail})"
            sharing = m.risk_sharing_detail or RISK_SHARING_LABELS[m.risk_sharing]
            rows.append(
                {
                    "type": label,
                    "Model (year)": f"{m.name} ({m.year})",
                    "Country": f"{COUNTRY_LABELS[m.country]}: {m.geography} "
                    f"({INITIATOR_LABELS[m.initiator].lower()})",
                    "Clinical focus, providers, setting": Cell.bullets(
                        [
                            f"Focus: {m.clinical_focus}",
                            f"Providers: {m.providers}",
                            f"Setting: {m.setting}",
                        ]
                    ),
                    "Payment and quality incentives": Cell.bullets(
                        [f"Payment: {m.payment_mechanism}", f"Quality: {m.quality_incentives}"]
                    ),
                    "Risk": Cell.bullets(
                        [f"Risk adjustment: {adjusted}", f"Risk sharing: {sharing}"]
                    ),
                    "Outcomes reported": Cell.bullets(
                        f"{o.text} ({DIRECTION_LABELS[o.direction]})" for o in m.outcomes
                    ),
                    "KCE refs": _numbers(m.kce_refs),
                }
            )
    return grid_table(pd.DataFrame(rows), tidy, widths=[16, 14, 22, 24, 20, 32, 8], group="type")


def table_outcome_profile(data_dir: Path | None = None) -> MarkdownTable:
    """Model × outcome domain: directions of the reported findings (synthesis of table 57)."""
    outcomes = apm_outcomes(data_dir)
    profile = outcome_profile(outcomes)
    display = profile.rename(columns=DOMAIN_LABELS).rename_axis("Model").reset_index()
    widths = [22, *([12] * len(profile.columns))]
    tidy = outcomes[["model", "domain", "direction", "outcome_no", "refs"]]
    return grid_table(display, tidy, widths=widths)


def table_reform_steps(data_dir: Path | None = None) -> MarkdownTable:
    """Table 58: conditions and steps, grouped by part and stage, with their sources."""
    source = load_reform(data_dir)
    rows = [
        {
            "stage": f"{part.label}: {stage.label.lower()}",
            "Conditions and actions": Cell.text(step.action) + Cell.bullets(step.details),
            "Context, type of article, source": Cell.bullets(
                f"{s.context}, {s.type} (ref. {s.kce_ref})" for s in step.sources
            ),
        }
        for part in source.parts
        for stage in part.stages
        for step in stage.steps
    ]
    return grid_table(pd.DataFrame(rows), reform_steps(data_dir), widths=[36, 34], group="stage")


# ----------------------------------------------------------------------------- text helpers


def count_of(counts: pd.DataFrame, code: str) -> int:
    """`n` for one code of an `apm_counts` frame (0 when absent)."""
    hit = counts.loc[counts["code"] == code, "n"]
    return int(hit.iloc[0]) if len(hit) else 0


def names_of(models: pd.DataFrame, mask: pd.Series | Callable[[pd.DataFrame], pd.Series]) -> str:
    """Model names selected by `mask`, in prose form ("A, B and C")."""
    selected = models[mask(models) if callable(mask) else mask]
    return join_names(short_name(n) for n in selected["name"])


def short_name(name: str) -> str:
    """The abbreviation in brackets when a name has one ("Medicare … (MSSP)" → "MSSP")."""
    found = re.search(r"\(([^()]+)\)\s*$", name)
    return found.group(1) if found else name
