"""The policy-document review (chapter 2): key documents, their aims, and what follows.

The review of KCE Report 359 classified the aims of 45 key Belgian policy documents under
the 12 SCIROCCO dimensions.  Here the evidence is data — `data/literature/policy/` holds
one row per document and one row per aim with the numbers of the documents that state it —
and every publication table, count and figure is computed from it:

* tables 2–13: the aims of one dimension with the documents stating them, by level of
  government (`aims_table`);
* table 14: the aims stated at *every* level of government, derived from the aim ×
  document matrix (`coherent_aims`, `coherence_table`), never typed;
* syntheses quoted in the text: documents per level, type and year, aims per dimension
  and level, documents that state no classified aim, "45 key documents out of N";
* figures: the timeline of federal integrated-care policy and the documents by level
  and year.

Level of government comes from the document, not from the column a number was printed
in: an aim's documents are listed once, and the table spreads them over the levels.
Files are read only through `quartowrap.authoring.data` (validated against `data/codebook.yaml`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from quartowrap.authoring.data import (
    DataProblem,
    DataValidationError,
    load_codebook,
    load_table,
    load_yaml,
)
from quartowrap.authoring.tables import Cell, MarkdownTable, grid_table, show_table

from analysis.figures import (
    GRID_COLOUR,
    KCE_DARK,
    KCE_GREY,
    KCE_TEAL,
    figure_width,
    group_colour,
    use_style,
)

__all__ = [
    "POLICY_DIR",
    "PolicyData",
    "aim_document_matrix",
    "aim_levels",
    "aims_by_dimension_and_level",
    "aims_table",
    "coherence_table",
    "coherent_aims",
    "documents_by_level_and_type",
    "documents_by_level_and_year",
    "documents_by_level_year_figure",
    "documents_table",
    "documents_without_aims",
    "format_doc_numbers",
    "levels_with_documents",
    "load_policy_data",
    "research_questions_table",
    "search_summary",
    "timeline_figure",
]

POLICY_DIR = "literature/policy"
_FILES = {
    "documents": f"{POLICY_DIR}/documents.csv",
    "dimensions": f"{POLICY_DIR}/dimensions.csv",
    "aims": f"{POLICY_DIR}/aims.csv",
    "quotes": f"{POLICY_DIR}/quotes.csv",
    "timeline": f"{POLICY_DIR}/timeline.csv",
    "context": f"{POLICY_DIR}/context.yaml",
    "questions": f"{POLICY_DIR}/research_questions.yaml",
}


# ------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class PolicyData:
    """Everything the review's tables are built from, validated and with plain dtypes.

    `links` is the tidy aim × document relation (one row per aim and document stating it),
    the matrix behind tables 2–14.
    """

    documents: pd.DataFrame  # doc_id, level, type, year, entity, title, title_en, refs
    dimensions: pd.DataFrame  # dimension, label, description, order
    aims: pd.DataFrame  # aim_id, dimension, aim, short_label, order
    links: pd.DataFrame  # aim_id, doc_id
    quotes: pd.DataFrame  # aim_id, doc_id, language, quote
    timeline: pd.DataFrame  # year, month, level, event, doc_id, refs
    context: dict[str, Any]
    level_labels: dict[str, str]  # level code -> label, in display order
    questions: list[dict[str, str]]

    def level_label(self, level: str) -> str:
        return self.level_labels[level]

    def dimension_label(self, dimension: str) -> str:
        return str(self.dimensions.set_index("dimension").at[dimension, "label"])


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Codebook-typed columns as plain Python-friendly dtypes (str / int / object)."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        if (
            isinstance(series.dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(series.dtype)
            or str(series.dtype) == "Int64"
        ):
            out[column] = series.astype(object).where(series.notna(), None)
        else:
            out[column] = series
    out.attrs = dict(frame.attrs)
    return out


def _split_numbers(text: str) -> list[int]:
    return [int(part) for part in str(text).split()]


def load_policy_data(data_dir: Path | None = None) -> PolicyData:
    """Load and cross-check the policy-review files; every problem is reported at once.

    Raises `DataValidationError` naming file, row and column when a file breaks its
    codebook entry or refers to a document, aim or dimension that does not exist.
    """
    documents = _plain(load_table(_FILES["documents"], data_dir))
    dimensions = _plain(load_table(_FILES["dimensions"], data_dir))
    aims_raw = _plain(load_table(_FILES["aims"], data_dir))
    quotes = _plain(load_table(_FILES["quotes"], data_dir))
    timeline = _plain(load_table(_FILES["timeline"], data_dir))
    context = load_yaml(_FILES["context"], data_dir) or {}
    questions = load_yaml(_FILES["questions"], data_dir) or []
    codebook = load_codebook(data_dir)
    level_codes = codebook.files[_FILES["documents"]].columns["level"].codes or {}

    documents["doc_id"] = documents["doc_id"].astype(int)
    documents["year"] = documents["year"].astype(int)
    dimensions["order"] = range(1, len(dimensions) + 1)

    problems: list[DataProblem] = []
    known_docs = set(documents["doc_id"])
    known_dims = set(dimensions["dimension"])
    link_rows: list[dict[str, Any]] = []
    for i, row in aims_raw.iterrows():
        line = int(i) + 2  # header is line 1
        if row["dimension"] not in known_dims:
            problems.append(
                DataProblem(
                    _FILES["aims"], line, "dimension", row["dimension"], "unknown dimension"
                )
            )
        numbers = _split_numbers(row["documents"])
        if len(set(numbers)) != len(numbers):
            problems.append(
                DataProblem(
                    _FILES["aims"],
                    line,
                    "documents",
                    row["documents"],
                    "a document is listed twice",
                )
            )
        for number in numbers:
            if number not in known_docs:
                problems.append(
                    DataProblem(
                        _FILES["aims"],
                        line,
                        "documents",
                        str(number),
                        "no such document in documents.csv",
                    )
                )
            link_rows.append({"aim_id": row["aim_id"], "doc_id": number})
    aims = aims_raw.drop(columns=["documents"]).copy()
    aims["order"] = range(1, len(aims) + 1)
    links = pd.DataFrame(link_rows, columns=["aim_id", "doc_id"]).drop_duplicates()

    linked = set(zip(links["aim_id"], links["doc_id"], strict=True))
    quotes["doc_id"] = quotes["doc_id"].astype(int)
    for i, row in quotes.iterrows():
        if (row["aim_id"], row["doc_id"]) not in linked:
            problems.append(
                DataProblem(
                    _FILES["quotes"],
                    int(i) + 2,
                    "doc_id",
                    str(row["doc_id"]),
                    f"document {row['doc_id']} does not state aim {row['aim_id']} in aims.csv",
                )
            )
    for i, row in timeline.iterrows():
        if row["doc_id"] is not None and int(row["doc_id"]) not in known_docs:
            problems.append(
                DataProblem(
                    _FILES["timeline"], int(i) + 2, "doc_id", str(row["doc_id"]), "no such document"
                )
            )
    for level in context.get("search", {}).get("suggested_by_level", {}):
        if level not in level_codes:
            problems.append(
                DataProblem(
                    _FILES["context"], 0, "search.suggested_by_level", level, "unknown level"
                )
            )
    if problems:
        raise DataValidationError(problems)

    return PolicyData(
        documents=documents,
        dimensions=dimensions,
        aims=aims,
        links=links.reset_index(drop=True),
        quotes=quotes,
        timeline=timeline,
        context=context,
        level_labels=dict(level_codes),
        questions=list(questions),
    )


# ------------------------------------------------------------------------ syntheses


def levels_with_documents(data: PolicyData) -> list[str]:
    """Levels of government with at least one key document, in codebook order.

    The German-speaking Community's documents were described but not analysed, so it has
    no key document; coherence is judged over the levels whose documents were analysed.
    """
    present = set(data.documents["level"])
    return [level for level in data.level_labels if level in present]


def aim_document_matrix(data: PolicyData) -> pd.DataFrame:
    """Boolean matrix: one row per aim (file order), one column per document number."""
    matrix = pd.crosstab(data.links["aim_id"], data.links["doc_id"]).astype(bool)
    return matrix.reindex(
        index=data.aims["aim_id"], columns=sorted(data.documents["doc_id"]), fill_value=False
    )


def aim_levels(data: PolicyData) -> pd.DataFrame:
    """Tidy: aim_id, dimension, level, doc_id — one row per aim, level and document."""
    merged = data.links.merge(data.documents[["doc_id", "level"]], on="doc_id").merge(
        data.aims[["aim_id", "dimension", "order"]], on="aim_id"
    )
    level_rank = {level: k for k, level in enumerate(data.level_labels)}
    merged["level_rank"] = merged["level"].map(level_rank)
    merged = merged.sort_values(["order", "level_rank", "doc_id"])
    return merged[["aim_id", "dimension", "level", "doc_id"]].reset_index(drop=True)


def _documents_by_aim_and_level(data: PolicyData) -> dict[tuple[str, str], list[int]]:
    grouped: dict[tuple[str, str], list[int]] = {}
    for row in aim_levels(data).itertuples(index=False):
        grouped.setdefault((row.aim_id, row.level), []).append(int(row.doc_id))
    return grouped


def format_doc_numbers(numbers: Iterable[int]) -> str:
    """Document numbers as printed in the report's tables: `2, 3, 7`."""
    return ", ".join(str(n) for n in sorted(numbers))


def coherent_aims(data: PolicyData, levels: Sequence[str] | None = None) -> pd.DataFrame:
    """Aims stated in at least one document of every given level (default: every level
    with key documents): the report's 'overall coherence', derived from the matrix.

    Columns: aim_id, dimension, aim, short_label, n_documents, then one column per level
    holding the sorted document numbers of that level (a tuple).
    """
    levels = list(levels) if levels is not None else levels_with_documents(data)
    by_level = _documents_by_aim_and_level(data)
    rows = []
    for aim in data.aims.itertuples(index=False):
        per_level = {
            level: tuple(sorted(by_level.get((aim.aim_id, level), []))) for level in levels
        }
        if all(per_level.values()):
            rows.append(
                {
                    "aim_id": aim.aim_id,
                    "dimension": aim.dimension,
                    "aim": aim.aim,
                    "short_label": aim.short_label,
                    "n_documents": sum(len(v) for v in per_level.values()),
                    **per_level,
                }
            )
    columns = ["aim_id", "dimension", "aim", "short_label", "n_documents", *levels]
    return pd.DataFrame(rows, columns=columns)


def aims_by_dimension_and_level(data: PolicyData) -> pd.DataFrame:
    """Per dimension: number of aims, and number stated at each level (tidy, long form).

    Columns: dimension, label, level, n_aims (aims of the dimension stated in at least one
    document of that level), total_aims (aims of the dimension).
    """
    stated = aim_levels(data)[["aim_id", "dimension", "level"]].drop_duplicates()
    counts = stated.groupby(["dimension", "level"]).size()
    totals = data.aims.groupby("dimension").size()
    rows = []
    for dim in data.dimensions.itertuples(index=False):
        for level in levels_with_documents(data):
            rows.append(
                {
                    "dimension": dim.dimension,
                    "label": dim.label,
                    "level": level,
                    "n_aims": int(counts.get((dim.dimension, level), 0)),
                    "total_aims": int(totals.get(dim.dimension, 0)),
                }
            )
    return pd.DataFrame(rows)


def documents_by_level_and_type(data: PolicyData) -> pd.DataFrame:
    """Tidy counts: level, type, n_documents (every level of the codebook, zeros kept)."""
    counts = data.documents.groupby(["level", "type"]).size()
    types = ["policy", "legislative"]
    rows = [
        {"level": level, "type": kind, "n_documents": int(counts.get((level, kind), 0))}
        for level in data.level_labels
        for kind in types
    ]
    return pd.DataFrame(rows)


def documents_by_level_and_year(data: PolicyData) -> pd.DataFrame:
    """Tidy counts: level, year, n_documents, for the years with at least one document."""
    counts = data.documents.groupby(["level", "year"]).size().rename("n_documents")
    frame = counts.reset_index()
    rank = {level: k for k, level in enumerate(data.level_labels)}
    frame = frame.sort_values(
        ["year", "level"], key=lambda s: s.map(rank) if s.name == "level" else s
    )
    return frame.reset_index(drop=True)


def documents_without_aims(data: PolicyData) -> pd.DataFrame:
    """Key documents that state none of the classified aims (described, not mapped)."""
    mapped = set(data.links["doc_id"])
    return data.documents[~data.documents["doc_id"].isin(mapped)].reset_index(drop=True)


def search_summary(data: PolicyData) -> dict[str, int]:
    """The counts of the search quoted in the text ('45 key documents out of N').

    identified = the preliminary list + the documents the stakeholders added;
    key = the rows of documents.csv.
    """
    search = data.context["search"]
    suggested = sum(int(v) for v in search["suggested_by_level"].values())
    by_type = data.documents["type"].value_counts()
    return {
        "preliminary": int(search["preliminary_list"]),
        "suggested": suggested,
        "identified": int(search["preliminary_list"]) + suggested,
        "key": len(data.documents),
        "policy": int(by_type.get("policy", 0)),
        "legislative": int(by_type.get("legislative", 0)),
        "stakeholders_invited": int(search["stakeholders_invited"]),
        "stakeholders_responded": int(search["stakeholders_responded"]),
        "aims": len(data.aims),
        "dimensions": len(data.dimensions),
        "dimensions_with_aims": int(data.aims["dimension"].nunique()),
    }


# ------------------------------------------------------------------ publication tables


def documents_table(data: PolicyData) -> MarkdownTable:
    """The key documents, grouped by level and type, numbered as in tables 2–14."""
    docs = data.documents.copy()
    kinds = {"policy": "policy documents", "legislative": "legislative documents"}
    docs["group"] = [
        f"{data.level_label(level)}: {kinds[kind]}"
        for level, kind in zip(docs["level"], docs["type"], strict=True)
    ]
    display = pd.DataFrame(
        {
            "group": docs["group"],
            "No.": docs["doc_id"].astype(str),
            "Title (English gloss below)": [
                Cell.text(title) + Cell.emph(gloss)
                for title, gloss in zip(docs["title"], docs["title_en"], strict=True)
            ],
            "Issued by": docs["entity"],
            "Year": docs["year"].astype(str),
        }
    )
    tidy = docs.drop(columns=["group"])
    return grid_table(display, tidy, widths=(4, 62, 28, 5), group="group")


def aims_table(data: PolicyData, dimension: str, *, quotes: bool = True) -> MarkdownTable:
    """Tables 2–13: one dimension's aims and, by level, the documents stating them.

    With `quotes`, short quotations kept in quotes.csv follow the aim they illustrate.
    """
    if dimension not in set(data.dimensions["dimension"]):
        raise KeyError(f"unknown SCIROCCO dimension {dimension!r}")
    levels = levels_with_documents(data)
    by_level = _documents_by_aim_and_level(data)
    aims = data.aims[data.aims["dimension"] == dimension]
    quotes_by_aim = data.quotes.groupby("aim_id") if quotes else None
    rows = []
    for aim in aims.itertuples(index=False):
        text = Cell.text(aim.aim)
        if quotes_by_aim is not None and aim.aim_id in quotes_by_aim.groups:
            for quote in quotes_by_aim.get_group(aim.aim_id).itertuples(index=False):
                text += Cell.emph(f"« {quote.quote} » (document {quote.doc_id})")
        rows.append(
            {
                "Aim": text,
                **{
                    data.level_label(level): format_doc_numbers(
                        by_level.get((aim.aim_id, level), [])
                    )
                    for level in levels
                },
            }
        )
    display = pd.DataFrame(rows, columns=["Aim", *[data.level_label(level) for level in levels]])
    tidy = aim_levels(data)
    tidy = tidy[tidy["dimension"] == dimension].merge(data.aims[["aim_id", "aim"]], on="aim_id")
    tidy = tidy[["aim_id", "dimension", "aim", "level", "doc_id"]]
    return grid_table(display, tidy, widths=(58, *[12] * len(levels)))


def coherence_table(data: PolicyData) -> MarkdownTable:
    """Table 14: aims present at every level of government, derived from the matrix."""
    levels = levels_with_documents(data)
    coherent = coherent_aims(data, levels)
    display = pd.DataFrame(
        {
            "No.": [str(k) for k in range(1, len(coherent) + 1)],
            "Aim": coherent["short_label"],
            "Dimension": [data.dimension_label(d) for d in coherent["dimension"]],
            **{
                data.level_label(level): [format_doc_numbers(v) for v in coherent[level]]
                for level in levels
            },
        }
    )
    tidy = aim_levels(data)
    tidy = tidy[tidy["aim_id"].isin(coherent["aim_id"])].merge(
        data.aims[["aim_id", "short_label"]], on="aim_id"
    )
    return grid_table(display, tidy, widths=(3, 34, 16, *[11] * len(levels)))


def level_type_table(data: PolicyData) -> MarkdownTable:
    """Key documents per level and type, with totals (a small pipe table)."""
    counts = documents_by_level_and_type(data)
    wide = counts.pivot(index="level", columns="type", values="n_documents").reindex(
        list(data.level_labels)
    )
    display = pd.DataFrame(
        {
            "Level of government": [data.level_label(level) for level in wide.index],
            "Policy documents": wide["policy"].astype(int).astype(str).to_list(),
            "Legislative documents": wide["legislative"].astype(int).astype(str).to_list(),
            "Total": (wide["policy"] + wide["legislative"]).astype(int).astype(str).to_list(),
        }
    )
    total = pd.DataFrame(
        [["All levels", *[str(int(display[c].astype(int).sum())) for c in display.columns[1:]]]],
        columns=display.columns,
    )
    return show_table(
        pd.concat([display, total], ignore_index=True),
        counts,
        colalign=("left", "right", "right", "right"),
    )


_SECTION_LABEL = re.compile(r"sec-[a-z0-9][a-z0-9-]*")


def research_questions_table(data: PolicyData) -> MarkdownTable:
    """Table 1: the research questions, how they were answered, and where (a cross-ref).

    The chapter column holds live `@sec-…` cross-references; the labels come from data,
    so each is checked against the label syntax before it is let through unescaped.
    """
    for q in data.questions:
        if not _SECTION_LABEL.fullmatch(str(q.get("chapter", ""))):
            raise DataValidationError(
                [
                    DataProblem(
                        _FILES["questions"], 0, "chapter", str(q.get("chapter")), "not a sec- label"
                    )
                ]
            )
    tidy = pd.DataFrame(data.questions, columns=["id", "question", "methods", "chapter"])
    display = pd.DataFrame(
        {
            "RQ": tidy["id"],
            "Research question": tidy["question"],
            "Methods": tidy["methods"],
            "Chapter": [Cell.raw("@" + label) for label in tidy["chapter"]],
        }
    )
    return grid_table(display, tidy, widths=(3, 40, 40, 22))


# ---------------------------------------------------------------------------- figures


_CHARS_PER_YEAR = 10.5  # label characters (Source Sans 3, 9 pt) in a year of a 10-inch timeline


def timeline_figure(data: PolicyData) -> Figure:
    """Figure 3: milestones of federal integrated-care policy, key documents marked.

    Events come from timeline.csv; those that are key documents carry their number.  The
    figure is drawn at `figure_width()` (the chapter gives it the page width): one row per
    event, and each label runs from its marker towards the side with more room (later
    events leftwards, into the empty lower left), wrapped to fit, so no label needs room
    beyond the years shown.
    """
    use_style()
    events = data.timeline.sort_values(
        ["year", "month"], key=lambda s: s.fillna(0) if s.name == "month" else s
    )
    first, last = int(events["year"].min()), int(events["year"].max())
    x_min, x_max = first - 0.6, last + 0.6
    years = list(range(first, last + 1))
    width = figure_width()
    chars_per_year = _CHARS_PER_YEAR * width / 10.0
    # 0.31 inch a row leaves room for two-line labels and keeps some sixteen events within
    # the height a page-wide figure may take.
    fig = Figure(figsize=(width, 0.31 * len(events) + 0.6), layout="constrained")
    ax = fig.subplots()
    y = list(range(len(events)))[::-1]
    for yi, event in zip(y, events.itertuples(index=False), strict=True):
        is_doc = event.doc_id is not None
        colour = KCE_TEAL if is_doc else KCE_GREY
        ax.plot(event.year, yi, "o", color=colour, markersize=8 if is_doc else 5.5, zorder=3)
        label = event.event + (f" [document\u00a0{int(event.doc_id)}]" if is_doc else "")
        # The label runs to the side with more room and wraps to fit it (about nine
        # characters per year at this width and font size, with a margin).
        rightwards = x_max - event.year >= event.year - x_min
        room = (x_max - event.year) if rightwards else (event.year - x_min)
        ax.text(
            event.year + (0.22 if rightwards else -0.22),
            yi,
            textwrap.fill(label, max(24, min(80, int(chars_per_year * (room - 0.3))))),
            ha="left" if rightwards else "right",
            va="center",
            fontsize=9,
            linespacing=0.95,
            color=KCE_DARK if is_doc else "#333333",
        )
    ax.set_yticks([])
    ax.set_xticks(years)
    ax.set_xticklabels([str(year) for year in years], fontsize=9)
    ax.set_xlim(first - 0.6, last + 0.6)
    ax.set_ylim(-0.7, len(events) - 0.3)
    ax.spines["bottom"].set_bounds(first, last)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.6)
    ax.set_axisbelow(True)
    return fig


def documents_by_level_year_figure(data: PolicyData) -> Figure:
    """Key documents per year of publication, stacked by level of government (each level in
    its region's colour from `analysis.figures`, as in the survey figures)."""
    use_style()
    counts = documents_by_level_and_year(data)
    wide = counts.pivot(index="year", columns="level", values="n_documents").fillna(0)
    years = list(range(int(wide.index.min()), int(wide.index.max()) + 1))
    levels = levels_with_documents(data)
    wide = wide.reindex(index=years, columns=levels, fill_value=0)
    width = figure_width()
    fig = Figure(figsize=(width, 0.52 * width), layout="constrained")
    ax = fig.subplots()
    bottom = pd.Series(0.0, index=wide.index)
    for k, level in enumerate(levels):
        ax.bar(
            wide.index,
            wide[level],
            bottom=bottom,
            color=group_colour(data.level_label(level), k),
            label=data.level_label(level),
            width=0.7,
        )
        bottom += wide[level]
    ax.set_xticks(years)
    ax.set_xlabel("Year of publication")
    ax.set_ylabel("Key documents")
    ax.yaxis.get_major_locator().set_params(integer=True)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    ax.legend(frameon=False, ncols=2)
    return fig
