"""Transition pathway (chapter 6, tables 59–64) and the studies discussed in chapter 7.

The expert panel counts, the World Café rotation, the experts' summaries and the facts of the
discussed studies live in `data/literature/transition/`.  Every count chapter 6 and 7 quote is
derived here: totals by language, attendance at both meetings, interviews from the
stakeholder-selection steps, so that a corrected count changes text and tables together and
inconsistencies between the report's tables and its prose surface as failing checks.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from pydantic import BaseModel, ConfigDict, Field, model_validator
from quartowrap.authoring.data import StrictRecord, load_validated_yaml
from quartowrap.authoring.tables import Cell, MarkdownTable, grid_table

from analysis.citations import join_refs
from analysis.figures import GRID_COLOUR, KCE_ORANGE, KCE_TEAL, figure_width, use_style

__all__ = [
    "PanelSummary",
    "StudySummary",
    "commentaries",
    "expert_participation",
    "figure_territory_sizes",
    "invited_experts",
    "load_experts",
    "load_pathway",
    "load_studies",
    "load_summaries",
    "panel_summary",
    "pathway_phases",
    "stakeholder_study",
    "study_factors",
    "study_organisations",
    "summary_rows",
    "table_invited_experts",
    "table_participation",
    "table_pathway",
    "table_study_factors",
    "table_summary",
    "table_world_cafe",
    "territory_figures",
    "territory_sizes",
    "world_cafe_rounds",
]

TRANSITION_DIR = "literature/transition"
Language = Literal["nl", "fr"]


# ----------------------------------------------------------------------------- schemas


class WorldCafeFile(StrictRecord):
    """`world_cafe.yaml` (table 59): each round assigns every topic one group."""

    refs: list[str] = Field(min_length=1)
    topics: list[str] = Field(min_length=1)
    rounds: list[dict[str, int]] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> WorldCafeFile:
        for i, row in enumerate(self.rounds):
            missing = [t for t in ["round", *self.topics] if t not in row]
            extra = [k for k in row if k not in ["round", *self.topics]]
            if missing or extra:
                raise ValueError(f"rounds[{i}]: missing {missing} / unknown {extra}")
            groups = [row[t] for t in self.topics]
            if len(set(groups)) != len(groups):
                raise ValueError(f"rounds[{i}]: a group discusses two topics at once")
        return self


class ByLanguage(StrictRecord):
    nl: int = Field(ge=0)
    fr: int = Field(ge=0)


class Invited(ByLanguage):
    category: str


class Participation(StrictRecord):
    category: str
    written: ByLanguage
    primary_care: ByLanguage
    primary_secondary: ByLanguage


class PanelTotals(StrictRecord):
    attended_any_world_cafe: int = Field(ge=0)
    attended_both_world_cafes: ByLanguage
    also_in_discussion_groups: int = Field(ge=0)
    world_cafe_sessions: ByLanguage
    session_hours: float = Field(gt=0)


class ExpertsFile(StrictRecord):
    """`experts.yaml` (tables 60–61)."""

    refs: list[str] = Field(min_length=1)
    languages: dict[Language, str]
    invited: list[Invited] = Field(min_length=1)
    activities: dict[Literal["written", "primary_care", "primary_secondary"], str]
    participation: list[Participation] = Field(min_length=1)
    totals: PanelTotals


class SummaryRow(StrictRecord):
    level: str
    agreed: list[str] = Field(min_length=1)
    open: list[str] = Field(min_length=1)


class Theme(StrictRecord):
    key: str
    label: str
    table: int
    rows: list[SummaryRow] = Field(min_length=1)


class SummariesFile(StrictRecord):
    """`summaries.yaml` (tables 62–64)."""

    refs: list[str] = Field(min_length=1)
    themes: list[Theme] = Field(min_length=1)


class Pillar(StrictRecord):
    key: str
    text: str


class Phase(StrictRecord):
    number: int = Field(ge=1)
    title: str
    approach: str
    components: list[str] = Field(min_length=1)


class PathwayFile(StrictRecord):
    """`pathway.yaml`: pillars and phases of the transition pathway."""

    refs: list[str] = Field(min_length=1)
    pillars: list[Pillar] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)


class TerritorySize(StrictRecord):
    key: str
    label: str
    low: int = Field(gt=0)
    high: int = Field(gt=0)
    source: Literal["report", "world_cafe"]
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> TerritorySize:
        if self.low > self.high:
            raise ValueError(f"{self.key}: low {self.low} above high {self.high}")
        return self


class TerritoryFigure(StrictRecord):
    key: str
    value: float
    unit: str
    text: str


class TerritoriesFile(StrictRecord):
    refs: list[str] = Field(min_length=1)
    sizes: list[TerritorySize] = Field(min_length=1)
    figures: list[TerritoryFigure] = Field(default_factory=list)


class Selection(StrictRecord):
    priority_stakeholders: int = Field(ge=0)
    added_by_snowballing: int = Field(ge=0)
    withdrew_after_interview: int = Field(ge=0)
    colleagues_joining_an_interview: int = Field(ge=0)


class Score(StrictRecord):
    scale: tuple[int, int]
    median: float
    q1: float
    q3: float

    @model_validator(mode="after")
    def _ordered(self) -> Score:
        low, high = self.scale
        if not low <= self.q1 <= self.median <= self.q3 <= high:
            raise ValueError("need scale low <= q1 <= median <= q3 <= scale high")
        return self


class Period(StrictRecord):
    start: str
    end: str


class StudyPolicy(StrictRecord):
    key: str
    year: int
    level: str
    label: str


class Organisation(StrictRecord):
    group: str
    organisation: str
    interviews: int = Field(ge=1)


class Factor(StrictRecord):
    level: str
    factor: str
    finding: str


class StakeholderStudy(StrictRecord):
    refs: list[str] = Field(min_length=1)
    design: str
    region: str
    interview_period: Period
    mean_interview_minutes: float
    selection: Selection
    implementation_score: Score
    policies: list[StudyPolicy]
    organisations: list[Organisation]
    factors: list[Factor]


class Mechanism(StrictRecord):
    name: str
    summary: str


class Comparative(StrictRecord):
    refs: list[str]
    case_studies: int
    countries: int
    mechanisms: int


class Commentary(BaseModel):
    """A commentary; fields beyond the common ones describe its argument."""

    model_config = ConfigDict(extra="allow", frozen=True)

    key: str
    refs: list[str] = Field(min_length=1)
    comments_on: list[str] = Field(min_length=1)
    perspective: str


class StudiesFile(StrictRecord):
    stakeholder_study: StakeholderStudy
    commentaries: list[Commentary]


# ----------------------------------------------------------------------------- loading


def load_experts(data_dir: Path | None = None) -> ExpertsFile:
    """Tables 60–61 source."""
    return load_validated_yaml(f"{TRANSITION_DIR}/experts.yaml", ExpertsFile, data_dir)


def load_summaries(data_dir: Path | None = None) -> SummariesFile:
    """Tables 62–64 source."""
    return load_validated_yaml(f"{TRANSITION_DIR}/summaries.yaml", SummariesFile, data_dir)


def load_pathway(data_dir: Path | None = None) -> PathwayFile:
    """Pillars and phases of the transition pathway."""
    return load_validated_yaml(f"{TRANSITION_DIR}/pathway.yaml", PathwayFile, data_dir)


def load_studies(data_dir: Path | None = None) -> StudiesFile:
    """Facts of the studies discussed in chapter 7."""
    return load_validated_yaml(f"{TRANSITION_DIR}/studies.yaml", StudiesFile, data_dir)


# ----------------------------------------------------------------------------- table 59


def world_cafe_rounds(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 59, tidy: round, topic, group."""
    source = load_validated_yaml(f"{TRANSITION_DIR}/world_cafe.yaml", WorldCafeFile, data_dir)
    rows = [
        {"round": r["round"], "topic": t, "group": r[t], "refs": join_refs(source.refs)}
        for r in source.rounds
        for t in source.topics
    ]
    return pd.DataFrame(rows)


def table_world_cafe(data_dir: Path | None = None) -> MarkdownTable:
    """Table 59: which group discussed which topic in each round."""
    tidy = world_cafe_rounds(data_dir)
    wide = tidy.pivot(index="round", columns="topic", values="group")
    topics = list(dict.fromkeys(tidy["topic"]))
    display = pd.DataFrame(
        [
            [Cell.strong(f"Round {r}"), *(f"Group {wide.loc[r, t]}" for t in topics)]
            for r in wide.index
        ],
        columns=["", *topics],
    )
    return grid_table(display, tidy, widths=[10, *([14] * len(topics))])


# ----------------------------------------------------------------------------- tables 60-61


def invited_experts(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 60, tidy: category, language, n."""
    source = load_experts(data_dir)
    rows = [
        {"category": r.category, "language": lang, "n": getattr(r, lang)}
        for r in source.invited
        for lang in ("nl", "fr")
    ]
    return pd.DataFrame(rows).assign(refs=join_refs(source.refs))


def expert_participation(data_dir: Path | None = None) -> pd.DataFrame:
    """Table 61, tidy: category, activity, language, n."""
    source = load_experts(data_dir)
    rows = [
        {
            "category": r.category,
            "activity": activity,
            "language": lang,
            "n": getattr(getattr(r, activity), lang),
        }
        for r in source.participation
        for activity in source.activities
        for lang in ("fr", "nl")
    ]
    return pd.DataFrame(rows).assign(refs=join_refs(source.refs))


def table_invited_experts(data_dir: Path | None = None) -> MarkdownTable:
    """Table 60: invited experts by category and language, with totals."""
    source = load_experts(data_dir)
    tidy = invited_experts(data_dir)
    wide = tidy.pivot_table(index="category", columns="language", values="n", sort=False)
    wide = wide[["nl", "fr"]].astype(int)
    wide["total"] = wide.sum(axis=1)
    rows = [
        [category, *values] for category, values in zip(wide.index, wide.to_numpy(), strict=True)
    ]
    rows.append([Cell.strong("Total"), *(Cell.strong(v) for v in wide.sum())])
    header = ["Category", source.languages["nl"], source.languages["fr"], "Total"]
    return grid_table(pd.DataFrame(rows, columns=header), tidy, widths=[40, 10, 10, 8])


def table_participation(data_dir: Path | None = None) -> MarkdownTable:
    """Table 61: experts giving written input and attending each World Café, by language."""
    source = load_experts(data_dir)
    tidy = expert_participation(data_dir)
    wide = tidy.pivot_table(
        index="category", columns=["activity", "language"], values="n", sort=False
    ).astype(int)
    columns = [(a, lang) for a in source.activities for lang in ("fr", "nl")]
    wide = wide[columns]
    header = ["Category"] + [f"{source.activities[a]} ({lang.upper()})" for a, lang in columns]
    rows = [
        [category, *("–" if v == 0 else v for v in values)]
        for category, values in zip(wide.index, wide.to_numpy(), strict=True)
    ]
    rows.append([Cell.strong("Total"), *(Cell.strong(v) for v in wide.sum())])
    display = pd.DataFrame(rows, columns=header)
    return grid_table(display, tidy, widths=[26, *([11] * len(columns))])


@dataclass(frozen=True)
class PanelSummary:
    """Counts chapter 6 quotes, derived from tables 60–61 and the report's stated totals."""

    invited: int
    invited_nl: int
    invited_fr: int
    written: int
    written_nl: int
    written_fr: int
    primary_care: int
    primary_secondary: int
    both: int
    both_nl: int
    both_fr: int
    attended_any: int
    attended_any_stated: int
    also_in_discussion_groups: int
    sessions: int
    session_hours: float

    @property
    def consistent(self) -> bool:
        """Whether attendance derived from the table matches the figure stated in the text."""
        return self.attended_any == self.attended_any_stated


def panel_summary(data_dir: Path | None = None) -> PanelSummary:
    """Totals of the expert panel; attendance at either meeting by inclusion–exclusion."""
    source = load_experts(data_dir)
    invited = invited_experts(data_dir).groupby("language")["n"].sum()
    part = expert_participation(data_dir).groupby(["activity", "language"])["n"].sum()
    both = source.totals.attended_both_world_cafes
    primary_care = int(part["primary_care"].sum())
    primary_secondary = int(part["primary_secondary"].sum())
    return PanelSummary(
        invited=int(invited.sum()),
        invited_nl=int(invited["nl"]),
        invited_fr=int(invited["fr"]),
        written=int(part["written"].sum()),
        written_nl=int(part["written"]["nl"]),
        written_fr=int(part["written"]["fr"]),
        primary_care=primary_care,
        primary_secondary=primary_secondary,
        both=both.nl + both.fr,
        both_nl=both.nl,
        both_fr=both.fr,
        attended_any=primary_care + primary_secondary - (both.nl + both.fr),
        attended_any_stated=source.totals.attended_any_world_cafe,
        also_in_discussion_groups=source.totals.also_in_discussion_groups,
        sessions=source.totals.world_cafe_sessions.nl + source.totals.world_cafe_sessions.fr,
        session_hours=source.totals.session_hours,
    )


# ----------------------------------------------------------------------------- tables 62-64


def summary_rows(data_dir: Path | None = None) -> pd.DataFrame:
    """Tables 62–64, tidy: theme, row, level, kind (agreed/open), item, text."""
    source = load_summaries(data_dir)
    rows = [
        {
            "theme": theme.key,
            "table": theme.table,
            "row": i,
            "level": row.level,
            "kind": kind,
            "item": k,
            "text": text,
            "refs": join_refs(source.refs),
        }
        for theme in source.themes
        for i, row in enumerate(theme.rows, start=1)
        for kind, items in (("agreed", row.agreed), ("open", row.open))
        for k, text in enumerate(items, start=1)
    ]
    return pd.DataFrame(rows)


def table_summary(theme: str, data_dir: Path | None = None) -> MarkdownTable:
    """Table 62, 63 or 64: what experts accepted and what remains open, grouped by level."""
    source = load_summaries(data_dir)
    chosen = [t for t in source.themes if t.key == theme]
    if not chosen:
        known = ", ".join(t.key for t in source.themes)
        raise KeyError(f"no theme {theme!r} in {TRANSITION_DIR}/summaries.yaml (known: {known})")
    tidy = summary_rows(data_dir).query("theme == @theme")
    display = pd.DataFrame(
        [
            {
                "level": "The health system as a whole" if row.level == "General" else row.level,
                "Broadly accepted by the experts": Cell.bullets(row.agreed),
                "Still to be defined": Cell.bullets(row.open),
            }
            for row in chosen[0].rows
        ]
    )
    # Group rows only where they tell levels apart.
    several = display["level"].nunique() > 1
    return grid_table(
        display if several else display.drop(columns="level"),
        tidy,
        widths=[40, 40],
        group="level" if several else None,
    )


# ----------------------------------------------------------------------------- pathway


def pathway_phases(data_dir: Path | None = None) -> pd.DataFrame:
    """The three phases, tidy: phase, title, approach, component."""
    source = load_pathway(data_dir)
    rows = [
        {
            "phase": p.number,
            "title": p.title,
            "approach": p.approach,
            "component": c,
            "refs": join_refs(source.refs),
        }
        for p in source.phases
        for c in p.components
    ]
    return pd.DataFrame(rows)


def table_pathway(data_dir: Path | None = None) -> MarkdownTable:
    """The phases of the transition pathway with their components."""
    source = load_pathway(data_dir)
    display = pd.DataFrame(
        [
            {
                "Phase": Cell.strong(f"Phase {p.number}: {p.title}"),
                "Approach": p.approach,
                "Components": Cell.bullets(p.components),
            }
            for p in source.phases
        ]
    )
    return grid_table(display, pathway_phases(data_dir), widths=[22, 18, 46])


def territory_sizes(data_dir: Path | None = None) -> pd.DataFrame:
    """Territory sizes discussed (inhabitants), smallest first."""
    source = load_validated_yaml(f"{TRANSITION_DIR}/territories.yaml", TerritoriesFile, data_dir)
    frame = pd.DataFrame([s.model_dump() for s in source.sizes]).assign(refs=join_refs(source.refs))
    return frame.sort_values(["low", "high"]).reset_index(drop=True)


def territory_figures(data_dir: Path | None = None) -> pd.Series:
    """Resource figures quoted in chapter 6 (FTE, percentages, partners), by key."""
    source = load_validated_yaml(f"{TRANSITION_DIR}/territories.yaml", TerritoriesFile, data_dir)
    return pd.Series({f.key: f.value for f in source.figures}, name="value")


def figure_territory_sizes(sizes: pd.DataFrame) -> Figure:
    """Territory sizes on a log scale: ranges as bars, single figures as diamonds, drawn at
    `figure_width()` (the chapter gives it the page width, so every label fits one line).

    Colour tells existing zones (as the report describes them) from the sizes experts put
    forward in the World Cafés.
    """
    use_style()
    colours = {"report": KCE_TEAL, "world_cafe": KCE_ORANGE}
    width = figure_width()
    # Labels take at most about two-fifths of the width (some 18 characters an inch at
    # 8.5 pt); each row is as tall as its label, so wrapped labels never meet.
    labels = [textwrap.fill(str(label), max(24, int(width * 7))) for label in sizes["label"]]
    pitch = np.array([0.13 + 0.14 * (label.count("\n") + 1) for label in labels])
    centres = np.cumsum(pitch) - pitch / 2
    fig = Figure(figsize=(width, float(pitch.sum()) + 0.85))
    ax = fig.subplots()
    for y, row in zip(centres, sizes.itertuples(), strict=True):
        colour = colours[row.source]
        if row.low == row.high:
            ax.plot(row.low, y, "D", color=colour, markersize=7)
        else:
            ax.plot([row.low, row.high], [y, y], color=colour, linewidth=6, solid_capstyle="butt")
    ax.set_xscale("log")
    ax.set_xlim(sizes["low"].min() / 2, sizes["high"].max() * 2)
    ax.set_yticks(centres, labels)
    ax.set_ylim(float(pitch.sum()), 0.0)
    ax.set_xlabel("Inhabitants (logarithmic scale)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [
        Line2D([], [], color=colours["report"], linewidth=7, label="Existing zones"),
        Line2D(
            [], [], color=colours["world_cafe"], linewidth=7, label="Put forward in the World Cafés"
        ),
    ]
    fig.legend(handles=handles, loc="upper center", ncols=2, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / fig.get_figheight()))
    return fig


# ----------------------------------------------------------------------------- chapter 7


@dataclass(frozen=True)
class StudySummary:
    """Figures chapter 7 quotes about the stakeholder study, derived from its data."""

    selected: int
    interviews: int
    participants: int
    organisations: int
    interviews_listed: int
    mean_minutes: float
    median: float
    q1: float
    q3: float
    scale_min: int
    scale_max: int
    policies: int
    period_start: str
    period_end: str


def stakeholder_study(data_dir: Path | None = None) -> StudySummary:
    """Interviews = selected − withdrawn; participants = interviews + colleagues who joined."""
    study = load_studies(data_dir).stakeholder_study
    sel = study.selection
    selected = sel.priority_stakeholders + sel.added_by_snowballing
    interviews = selected - sel.withdrew_after_interview
    return StudySummary(
        selected=selected,
        interviews=interviews,
        participants=interviews + sel.colleagues_joining_an_interview,
        organisations=len(study.organisations),
        interviews_listed=sum(o.interviews for o in study.organisations),
        mean_minutes=study.mean_interview_minutes,
        median=study.implementation_score.median,
        q1=study.implementation_score.q1,
        q3=study.implementation_score.q3,
        scale_min=study.implementation_score.scale[0],
        scale_max=study.implementation_score.scale[1],
        policies=len(study.policies),
        period_start=study.interview_period.start,
        period_end=study.interview_period.end,
    )


def study_organisations(data_dir: Path | None = None) -> pd.DataFrame:
    """Organisations interviewed, with the number of interviews each."""
    study = load_studies(data_dir).stakeholder_study
    return pd.DataFrame([o.model_dump() for o in study.organisations]).assign(
        refs=join_refs(study.refs)
    )


def study_factors(data_dir: Path | None = None) -> pd.DataFrame:
    """The study's macro-level factors, by level."""
    study = load_studies(data_dir).stakeholder_study
    return pd.DataFrame([f.model_dump() for f in study.factors]).assign(refs=join_refs(study.refs))


def table_study_factors(data_dir: Path | None = None) -> MarkdownTable:
    """Factors affecting the scale-up of integrated care, grouped by level."""
    tidy = study_factors(data_dir)
    display = pd.DataFrame(
        {
            "level": tidy["level"],
            "Factor": [Cell.strong(f) for f in tidy["factor"]],
            "What the stakeholders reported": tidy["finding"],
        }
    )
    return grid_table(display, tidy, widths=[20, 60], group="level")


def commentaries(data_dir: Path | None = None) -> dict[str, Commentary]:
    """The commentaries on the companion paper, by key."""
    return {c.key: c for c in load_studies(data_dir).commentaries}
