"""analysis.literature: tables 2–14 regenerate from the policy data as published.

Expected values are typed from KCE Report 359 (tables 2–14 and section 2.3), column by
column as printed (Federal, Flanders, Wallonia, Brussels); the data file stores one flat
list of document numbers per aim, so these checks also test that every number lands in
the right level.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pypandoc
import pytest
from matplotlib.colors import to_hex
from quartowrap.authoring.data import DataValidationError

from analysis import figures
from analysis import literature as lit

ROOT = Path(__file__).resolve().parents[2]
LEVELS = ("federal", "flanders", "wallonia", "brussels")


@pytest.fixture(scope="module")
def data() -> lit.PolicyData:
    return lit.load_policy_data(ROOT / "data")


def _published(*cells: str) -> dict[str, set[int]]:
    """One printed row: four cells like '2, 3, 7' (or '') -> {level: numbers}."""
    return {
        level: {int(n) for n in cell.replace(" ", "").split(",") if n}
        for level, cell in zip(LEVELS, cells, strict=True)
    }


# Tables typed in full (every row, as printed in the report).
TABLE_2 = {
    "Change the current healthcare paradigm": _published("2, 3, 7", "13,16, 19, 20", "33", "41"),
    "Adapt the legislative framework": _published("2,7", "28, 16", "", "40"),
    "Co-construct change in the health system": _published("2", "30", "34", ""),
    "Recognise change as an iterative process": _published("2", "", "", ""),
    "Use innovation to drive change": _published("2", "12", "", "42"),
}
TABLE_3 = {
    "Develop governance structures to support changes into healthcare system": _published(
        "2", "16, 29, 30", "32, 34, 38", ""
    ),
    "Develop collaborative synergies between federal and federated structures": _published(
        "2, 7", "15, 16, 19, 20", "", "39, 40, 41"
    ),
    "Ensure all policies include healthcare": _published("2, 3, 7", "13, 19, 20", "32", "41"),
    "Define territories (local-regional areas) and networks (hospitals) in which provision "
    "of care is structured": _published("2,3, 4, 5, 7", "14, 16, 20, 29", "33, 34, 35", "41, 42"),
    "Develop collaboration between hospitals based on a network model": _published(
        "3,5", "14, 16", "33", "41"
    ),
    "Analyse situations, identify and plan actions, manage pilot projects and coordinate "
    "actions, assess actions, and ensure quality improvement and change management": _published(
        "4", "", "", ""
    ),
    "Stimulate collaboration between local/community care and support services and "
    "institutions, and strengthen local networks of stakeholders across care lines": _published(
        "2, 3, 7", "16, 19, 20, 30", "", ""
    ),
    "Reinforce the role of primary care": _published(
        "1, 2, 7", "16, 20", "32, 33", "41, 42,44, 45"
    ),
    "Reorganise primary care and prevention services": _published(
        "", "16", "32, 33, 35", "41, 42, 44, 45"
    ),
    "Simplify the care system": _published("", "16", "", "42"),
}
TABLE_4 = {
    "Develop and implement a (shared) multidisciplinary electronic patient record": _published(
        "2,3, 6,7", "13, 19, 26", "33, 35", "41, 42"
    ),
    # printed "(6) (7)" in the federal column
    "Create an electronic platform to facilitate health data sharing": _published(
        "6, 7", "13, 15, 16, 19, 20, 24", "33, 34, 35", "40, 41, 42"
    ),
    "Develop a e-health plan": _published("6,7", "16, 20", "", "41"),
    "Enable the use of data for research and monitoring": _published("7", "16, 19, 20", "35", ""),
    "Support the digitalisation of care processes in mental health, rehabilitation, and "
    "palliative care sectors": _published("", "12, 15, 19, 20", "", ""),
    "Generalise the use of the BelRAI assessment tool": _published("6,7", "15, 16, 20", "", ""),
    "Adapt communication technologies to different target audiences": _published("", "", "", "39"),
    "Develop hospital ICT tools": _published("6", "", "", "40"),
    "Draw list of challenges for the future of e-Health and prioritise the measures to adopt": (
        _published("6", "", "", "41")
    ),
}
TABLE_9 = {
    "Reinforcing patient empowerment and autonomy": _published(
        "2, 7", "12, 13, 15, 16", "32", "39, 41"
    ),
    "Encourage patient participation by including them in advisory and decision-making "
    "structures and health care institutions": _published("2, 7", "25", "", "39, 41, 42"),
    "Promote health literacy of target populations": _published("", "12", "", "39,42"),
}
TABLE_13 = {
    "Strengthen basic education and training of health care professionals": _published(
        "2", "12, 16, 20", "32", ""
    ),
    "Develop and increase continuing education": _published("2", "13, 16", "", ""),
    "Support and promote knowledge sharing": _published("2", "13, 14", "34", "41"),
    "Continue research efforts related to integrated care": _published("2", "", "", ""),
    "Ensuring the necessary recruitment of staff in the health professions": _published(
        "7", "12, 16, 20", "34", "41"
    ),
}
FULL_TABLES = {
    "readiness_to_change": TABLE_2,
    "structure_governance": TABLE_3,
    "digital_infrastructure": TABLE_4,
    "citizen_empowerment": TABLE_9,
    "capacity_building": TABLE_13,
}

# Spot checks for the other tables (one or two rows each) and every table's row count.
SPOT_CHECKS = {
    "process_coordination": {  # table 5
        "Ensure coordination amongst providers through patient-focused dialogue": _published(
            "2, 8", "", "", ""
        ),
        "Develop spaces for dialogue and communication": _published("2, 10", "14, 16, 28", "", ""),
        "Create local care & cure networks to facilitate articulation between levels of "
        "healthcare and/or between sectors": _published("", "", "33, 35, 38", ""),
    },
    "finance_funding": {  # table 6
        "Develop new funding models": _published("2,3,7", "16, 27", "36", ""),
        "Develop new funding models for hospitals and other institutions": _published(
            "7", "", "34, 35", "40"
        ),
    },
    "removal_of_inhibitors": {  # table 7
        "Support the change process at all levels (micro, meso, macro)": _published(
            "2", "12", "", ""
        ),
    },
    "population_approach": {  # table 8
        "Define target population(s)": _published("2, 7", "", "", "39, 40,41, 42"),
        "Identify the specific risks and needs of the population living in the geographical "
        "care zone, as well as available or missing resources": _published(
            "2", "14, 29, 30", "", ""
        ),
    },
    "evaluation_methods": {  # table 10
        "Evaluate health and mental health reforms": _published("", "18, 29", "", ""),
        "Establish and promote a culture of quality and evaluation": _published(
            "2, 7", "", "32, 34, 35", ""
        ),
    },
    "breadth_of_ambition": {  # table 11
        "Strengthen links between health and social care": _published(
            "2, 3,4", "13,20,24,28,19", "32", "41"
        ),
        "Include health priorities as part of a life-long patient approach": _published(
            "", "16, 18, 29, 30", "32", ""
        ),
    },
    "innovation_management": {  # table 12
        "Develop ICT technologies in public health services": _published(
            "6", "12, 13, 19", "35, 36", ""
        ),
    },
}
ROWS_PER_TABLE = {
    "readiness_to_change": 5,
    "structure_governance": 10,
    "digital_infrastructure": 9,
    "process_coordination": 6,
    "finance_funding": 4,
    "removal_of_inhibitors": 1,
    "population_approach": 5,
    "citizen_empowerment": 3,
    "evaluation_methods": 3,
    "breadth_of_ambition": 5,
    "innovation_management": 3,
    "capacity_building": 5,
}

# Table 14 as printed: label -> (aim of tables 2-13 it repeats, documents by level).
TABLE_14 = {
    "Change the current healthcare paradigm": (
        "Change the current healthcare paradigm",
        _published("2,3,7", "13,16,19, 20", "33", "41"),
    ),
    "Ensure all policies include healthcare": (
        "Ensure all policies include healthcare",
        _published("2,3,7", "13, 19, 20", "32", "41"),
    ),
    "Define territories and networks to structure provision of care": (
        "Define territories (local-regional areas) and networks (hospitals) in which provision "
        "of care is structured",
        _published("2, 3, 4, 5, 7", "14,16,20,29", "33", "41, 42"),
    ),
    "Reinforce patient empowerment and autonomy": (
        "Reinforcing patient empowerment and autonomy",
        _published("2,7", "12,13,15,16", "32", "41"),
    ),
    "Reinforce the role of primary care": (
        "Reinforce the role of primary care",
        _published("1, 2, 7", "16, 20", "32, 33", "41, 42, 44, 45"),
    ),
    "Develop multidisciplinary electronic patient record": (
        "Develop and implement a (shared) multidisciplinary electronic patient record",
        _published("2, 3, 6,7", "13, 19, 26", "33,35", "41, 42"),
    ),
    "Facilitate data sharing between health care professionals and institutions": (
        "Create an electronic platform to facilitate health data sharing",
        _published("6,7", "13,15,16,19, 20, 24", "33,34,35", "40, 41, 42"),
    ),
    "Develop care coordinator, advisor/specialist point of contact and/or case manager": (
        "Develop “care coordinator”, “advisor/specialist point of contact” and/or “case "
        "manager” functions",
        _published("2", "16, 28", "34", "41, 42"),
    ),
    "Improve continuity of care": (
        "Improve continuity of care",
        _published("2, 3, 7", "14,16,20", "32,35", "41"),
    ),
    "Strengthen links between health and social care": (
        "Strengthen links between health and social care",
        _published("2,3, 4", "13,19,20,24,28", "32", "41"),
    ),
    "Support technological and social innovation by building bridges between the health "
    "industry, care institutions and patients": (
        "Support technological and social innovation within the provision of care by building "
        "bridges between the health industry, care institutions and patients",
        _published("2", "12, 13", "36", "41"),
    ),
    "Support and promote knowledge sharing": (
        "Support and promote knowledge sharing",
        _published("2", "13, 14", "34", "41"),
    ),
    "Ensuring the necessary recruitment of staff in the health professions": (
        "Ensuring the necessary recruitment of staff in the health professions",
        _published("7", "12, 16,20", "34", "41"),
    ),
}


# Where table 14 prints fewer documents than the dimension tables it summarises
# (label -> level -> (printed in table 14, given in tables 2-13)).  The derivation follows
# tables 2-13.
PRINTED_DIFFERENTLY = {
    "Define territories and networks to structure provision of care": {
        "wallonia": ({33}, {33, 34, 35}),  # table 3
    },
    "Reinforce patient empowerment and autonomy": {
        "brussels": ({41}, {39, 41}),  # table 9
    },
}


def _by_level(data: lit.PolicyData) -> dict[str, dict[str, set[int]]]:
    """aim text -> {level: documents} computed by the module (tidy aim_levels)."""
    tidy = lit.aim_levels(data).merge(data.aims[["aim_id", "aim"]], on="aim_id")
    out: dict[str, dict[str, set[int]]] = {
        a: {lv: set() for lv in LEVELS} for a in data.aims["aim"]
    }
    for row in tidy.itertuples(index=False):
        out[row.aim][row.level].add(int(row.doc_id))
    return out


@pytest.mark.parametrize("dimension", sorted(FULL_TABLES))
def test_full_tables_regenerate_row_by_row(data: lit.PolicyData, dimension: str) -> None:
    expected = FULL_TABLES[dimension]
    computed = _by_level(data)
    aims = list(data.aims.loc[data.aims["dimension"] == dimension, "aim"])
    assert aims == list(expected)  # same aims, same order as printed
    for aim, levels in expected.items():
        assert computed[aim] == levels, aim


@pytest.mark.parametrize("dimension", sorted(SPOT_CHECKS))
def test_other_tables_spot_checks(data: lit.PolicyData, dimension: str) -> None:
    computed = _by_level(data)
    for aim, levels in SPOT_CHECKS[dimension].items():
        assert data.aims.set_index("aim").at[aim, "dimension"] == dimension
        assert computed[aim] == levels, aim


def test_every_table_has_the_published_number_of_rows(data: lit.PolicyData) -> None:
    counts = data.aims.groupby("dimension").size().to_dict()
    assert counts == ROWS_PER_TABLE
    assert list(data.dimensions["dimension"]) == list(ROWS_PER_TABLE)  # tables 2..13 in order


def test_aims_table_markdown_shows_the_printed_cells(data: lit.PolicyData) -> None:
    table = lit.aims_table(data, "capacity_building")
    ast = json.loads(pypandoc.convert_text(table.markdown, "json", format="markdown"))
    (block,) = [b for b in ast["blocks"] if b["t"] == "Table"]
    body = block["c"][4][0][3]
    assert len(body) == len(TABLE_13)

    def text(cell: list) -> str:
        return pypandoc.convert_text(
            json.dumps(
                {
                    "pandoc-api-version": ast["pandoc-api-version"],
                    "meta": {},
                    "blocks": cell[4],
                }
            ),
            "plain",
            format="json",
        ).strip()

    last = [text(c) for c in body[-1][1]]
    assert last[0].startswith("Ensuring the necessary recruitment of staff")
    assert last[1:] == ["7", "12, 16, 20", "34", "41"]
    csv = pd.read_csv(pd.io.common.StringIO(table.csv))
    assert set(csv.columns) == {"aim_id", "dimension", "aim", "level", "doc_id"}
    assert len(csv) == sum(len(v) for row in TABLE_13.values() for v in row.values())


def test_table_14_is_derived_and_matches_the_published_one(data: lit.PolicyData) -> None:
    coherent = lit.coherent_aims(data)
    derived = {row.aim: row for row in coherent.itertuples(index=False)}
    # every published row is derived, with the same documents per level ...
    for label, (aim, levels) in TABLE_14.items():
        assert aim in derived, label
        row = derived[aim]
        got = {lv: set(getattr(row, lv)) for lv in LEVELS}
        for level, (printed, in_tables) in PRINTED_DIFFERENTLY.get(label, {}).items():
            assert got[level] == in_tables, (label, level)
            got[level] = printed
        assert got == levels, label
    # ... and the derivation finds one aim more: hospital networks are stated at every
    # level too (table 3), which the published "example" table leaves out.
    extra = set(derived) - {aim for aim, _ in TABLE_14.values()}
    assert extra == {"Develop collaboration between hospitals based on a network model"}


def test_coherence_depends_on_the_matrix_not_on_a_list() -> None:
    """A hand-made matrix: only the aim stated at all three levels is coherent."""
    documents = pd.DataFrame(
        {"doc_id": [1, 2, 3, 4], "level": ["federal", "flanders", "wallonia", "wallonia"]}
    )
    aims = pd.DataFrame(
        {
            "aim_id": ["A", "B", "C"],
            "dimension": ["d", "d", "d"],
            "aim": ["all", "two levels", "one level twice"],
            "short_label": ["all", "two", "one"],
            "order": [1, 2, 3],
        }
    )
    links = pd.DataFrame(
        {"aim_id": ["A", "A", "A", "B", "B", "C", "C"], "doc_id": [1, 2, 4, 1, 3, 3, 4]}
    )
    toy = lit.PolicyData(
        documents=documents,
        dimensions=pd.DataFrame({"dimension": ["d"], "label": ["D"], "order": [1]}),
        aims=aims,
        links=links,
        quotes=pd.DataFrame(columns=["aim_id", "doc_id", "language", "quote"]),
        timeline=pd.DataFrame(),
        context={},
        level_labels={"federal": "F", "flanders": "V", "wallonia": "W", "brussels": "B"},
        questions=[],
    )
    assert lit.levels_with_documents(toy) == ["federal", "flanders", "wallonia"]
    coherent = lit.coherent_aims(toy)
    assert list(coherent["aim_id"]) == ["A"]
    assert coherent.iloc[0]["wallonia"] == (4,)
    assert lit.coherent_aims(toy, ["federal", "wallonia"])["aim_id"].tolist() == ["A", "B"]


def test_document_counts_match_section_2_3(data: lit.PolicyData) -> None:
    counts = lit.documents_by_level_and_type(data).set_index(["level", "type"])["n_documents"]
    published = {
        ("federal", "policy"): 7,
        ("federal", "legislative"): 4,
        ("flanders", "policy"): 14,
        ("flanders", "legislative"): 6,
        ("wallonia", "policy"): 5,
        ("wallonia", "legislative"): 2,
        ("brussels", "policy"): 4,
        ("brussels", "legislative"): 3,
        ("german", "policy"): 0,
        ("german", "legislative"): 0,
    }
    assert counts.to_dict() == published
    summary = lit.search_summary(data)
    assert (summary["key"], summary["identified"], summary["suggested"]) == (45, 120, 78)
    # the numbering runs by level: federal 1-11, Flanders 12-31, Wallonia 32-38, Brussels 39-45
    ranges = data.documents.groupby("level")["doc_id"].agg(["min", "max"]).to_dict("index")
    assert ranges == {
        "federal": {"min": 1, "max": 11},
        "flanders": {"min": 12, "max": 31},
        "wallonia": {"min": 32, "max": 38},
        "brussels": {"min": 39, "max": 45},
    }


def test_documents_by_year_sum_to_the_total(data: lit.PolicyData) -> None:
    by_year = lit.documents_by_level_and_year(data)
    assert by_year["n_documents"].sum() == 45
    # hand count from section 2.3.1: the documents of 2019 are 6, 19, 29, 30, 31, 33, 38,
    # 40, 41, 44, 45
    assert by_year.loc[by_year["year"] == 2019, "n_documents"].sum() == 11


def test_documents_stating_no_aim(data: lit.PolicyData) -> None:
    # Hand check of tables 2-13: these numbers never appear in any table.
    assert set(lit.documents_without_aims(data)["doc_id"]) == {9, 11, 17, 21, 22, 23, 31, 37, 43}


def _policy_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "literature" / "policy", target / "literature" / "policy")
    shutil.copy(ROOT / "data" / "codebook.yaml", target / "codebook.yaml")
    return target


def test_unknown_document_number_is_reported_with_file_and_line(tmp_path: Path) -> None:
    data_dir = _policy_copy(tmp_path)
    aims = data_dir / "literature" / "policy" / "aims.csv"
    text = aims.read_text(encoding="utf-8")
    aims.write_text(text.replace(",2 7 16 28 40\n", ",2 7 16 28 99\n"), encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        lit.load_policy_data(data_dir)
    assert "literature/policy/aims.csv:3:documents: 99: no such document" in str(caught.value)


def test_quote_from_a_document_not_stating_the_aim_is_rejected(tmp_path: Path) -> None:
    data_dir = _policy_copy(tmp_path)
    quotes = data_dir / "literature" / "policy" / "quotes.csv"
    lines = quotes.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace("RC1,16,", "RC1,17,")
    quotes.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"quotes\.csv:2:doc_id: 17"):
        lit.load_policy_data(data_dir)


def test_documents_table_groups_by_level_and_type(data: lit.PolicyData) -> None:
    html = pypandoc.convert_text(lit.documents_table(data).markdown, "html", format="markdown")
    assert html.count('colspan="4"') == 8  # 4 levels with documents x 2 types
    assert "Plan Santé Bruxellois" in html


def test_research_questions_keep_live_cross_references(data: lit.PolicyData) -> None:
    ast = json.loads(
        pypandoc.convert_text(
            lit.research_questions_table(data).markdown, "json", format="markdown"
        )
    )
    cites = json.dumps(ast).count('"citationId"')
    assert cites == len(data.questions)


def test_figures_draw_from_the_data(data: lit.PolicyData) -> None:
    timeline = lit.timeline_figure(data)
    (ax,) = timeline.axes
    assert len(ax.lines) == len(data.timeline)
    bars = lit.documents_by_level_year_figure(data)
    heights = sum(p.get_height() for p in bars.axes[0].patches)
    assert heights == len(data.documents)


def test_figures_use_the_shared_palette(data: lit.PolicyData) -> None:
    (ax,) = lit.timeline_figure(data).axes
    markers = {to_hex(line.get_color()) for line in ax.lines}
    assert markers == {figures.KCE_TEAL, figures.KCE_GREY}  # key documents / other events
    (ax,) = lit.documents_by_level_year_figure(data).axes
    key = ax.get_legend()
    legend = {
        text.get_text(): to_hex(handle.get_facecolor())
        for text, handle in zip(key.get_texts(), key.legend_handles, strict=True)
    }
    # A level of government has the colour its region has in the survey figures.
    levels = ("Federal", "Flanders", "Wallonia", "Brussels")
    assert legend == {name: figures.GROUP_COLOURS[name] for name in levels}
