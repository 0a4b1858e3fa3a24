"""Transition pathway (chapter 6) and discussed studies (chapter 7): tables 59–64, panel counts,
stakeholder-study figures, and every `refs` key of the payment and transition data.

Expected values are typed from KCE Report 359 (tables 59–64, section 6.3) and from the
stakeholder study's text (27 participants, 25 interviews, median 3.5/10, IQR 3–5).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from matplotlib.colors import to_hex

from analysis import figures
from analysis import transition as tr
from analysis.citations import parse_bibtex

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ table 59


def test_table_59_rotation() -> None:
    rounds = tr.world_cafe_rounds()
    wide = rounds.pivot(index="round", columns="topic", values="group")
    # Table 59: Finance / Governance / Learning system.
    assert wide.loc[1].tolist() == [1, 2, 3]
    assert wide.loc[2].tolist() == [3, 1, 2]
    assert wide.loc[3].tolist() == [2, 3, 1]
    assert wide.loc[4].tolist() == [1, 2, 3]
    assert "Group 3" in tr.table_world_cafe().markdown


# ------------------------------------------------------------------ tables 60-61

TABLE_60 = {  # category prefix: (Dutch-speaking, French-speaking)
    "Public administration": (13, 10),
    "Researchers": (18, 5),
    "Integrated care projects": (7, 5),
    "Members of the integrated care working group": (1, 1),
    "Sickness funds": (2, 5),
    "Patient representatives": (1, 2),
    "Hospital sector": (2, 2),
    "Other": (1, 6),
}


def test_table_60_all_rows() -> None:
    invited = tr.invited_experts()
    for prefix, (nl, fr) in TABLE_60.items():
        rows = invited[invited["category"].str.startswith(prefix)]
        got = dict(zip(rows["language"], rows["n"], strict=True))
        assert got == {"nl": nl, "fr": fr}, prefix
    markdown = tr.table_invited_experts().markdown
    assert "**45**" in markdown and "**36**" in markdown and "**81**" in markdown


def test_table_61_totals_and_spot_checks() -> None:
    part = tr.expert_participation()
    totals = part.groupby(["activity", "language"])["n"].sum().to_dict()
    # Bottom row of table 61: 11 17 10 16 9 15.
    assert totals == {
        ("written", "fr"): 11,
        ("written", "nl"): 17,
        ("primary_care", "fr"): 10,
        ("primary_care", "nl"): 16,
        ("primary_secondary", "fr"): 9,
        ("primary_secondary", "nl"): 15,
    }
    researchers = part[part["category"].str.startswith("Researchers")]
    assert researchers.set_index(["activity", "language"])["n"].to_dict() == {
        ("written", "fr"): 2,
        ("written", "nl"): 8,
        ("primary_care", "fr"): 1,
        ("primary_care", "nl"): 7,
        ("primary_secondary", "fr"): 0,  # "/" in the report
        ("primary_secondary", "nl"): 5,
    }


def test_panel_summary_matches_the_report_text() -> None:
    """Section 6.3: 81 contacted, 28 written (11 FR, 17 NL), 26 and 24 per meeting,
    14 in both (9 NL, 5 FR), 36 in at least one World Café."""
    panel = tr.panel_summary()
    assert (panel.invited, panel.invited_nl, panel.invited_fr) == (81, 45, 36)
    assert (panel.written, panel.written_fr, panel.written_nl) == (28, 11, 17)
    assert (panel.primary_care, panel.primary_secondary) == (26, 24)
    assert (panel.both, panel.both_nl, panel.both_fr) == (14, 9, 5)
    assert panel.attended_any == 36
    assert panel.consistent


# ------------------------------------------------------------------ tables 62-64


def test_tables_62_to_64_spot_checks() -> None:
    rows = tr.summary_rows()
    assert sorted(rows["table"].unique().tolist()) == [62, 63, 64]
    per_theme = rows.drop_duplicates(["theme", "row"]).groupby("theme")["row"].count()
    # Report: governance has 4 blocks (2 general, neighbourhood, local health system),
    # learning system 3 rows, financing 4 rows.
    assert per_theme.to_dict() == {"governance": 4, "learning": 3, "financing": 4}
    governance = rows[rows["theme"] == "governance"]
    assert {"General", "Neighbourhood", "Local health system"} == set(governance["level"])
    lhs_open = governance[
        (governance["level"] == "Local health system") & (governance["kind"] == "open")
    ]
    assert len(lhs_open) == 4
    text = " ".join(rows["text"])
    for phrase in ["two nested levels", "quality culture", "initial investment", "per-capita"]:
        assert phrase in text, phrase
    markdown = tr.table_summary("governance").markdown
    assert "**Neighbourhood**" in markdown and "**Local health system**" in markdown
    with pytest.raises(KeyError, match="known"):
        tr.table_summary("nonexistent")


def test_pathway_has_five_pillars_and_three_phases() -> None:
    pathway = tr.load_pathway()
    assert len(pathway.pillars) == 5
    assert [p.number for p in pathway.phases] == [1, 2, 3]


def test_territory_sizes_and_figure() -> None:
    sizes = tr.territory_sizes().set_index("key")
    assert (sizes.loc["neighbourhood", "low"], sizes.loc["neighbourhood", "high"]) == (5000, 10000)
    assert (sizes.loc["primary_care_zone", "low"], sizes.loc["primary_care_zone", "high"]) == (
        70000,
        150000,
    )
    assert sizes["low"].is_monotonic_increasing
    fig = tr.figure_territory_sizes(tr.territory_sizes())
    assert len(fig.axes[0].get_yticklabels()) == len(sizes)
    # Drawn in the shared KCE palette: teal for existing zones, orange for proposals.
    drawn = {to_hex(line.get_color()) for line in fig.axes[0].lines}
    assert drawn == {figures.KCE_TEAL, figures.KCE_ORANGE}


# ------------------------------------------------------------------ chapter 7 study


def test_stakeholder_study_figures() -> None:
    study = tr.stakeholder_study()
    # 22 priority + 4 by snowballing, 1 withdrew, 2 colleagues joined: 25 interviews, 27 people.
    assert (study.selected, study.interviews, study.participants) == (26, 25, 27)
    # The organisations table of the study lists the same 25 interviews.
    assert study.interviews_listed == study.interviews
    assert (study.median, study.q1, study.q3, study.scale_max) == (3.5, 3, 5, 10)
    assert study.mean_minutes == 66


def test_commentaries() -> None:
    comments = tr.commentaries()
    assert set(comments) == {"steele_gray", "heart_failure_network"}
    gray = comments["steele_gray"].model_extra
    assert [m["name"] for m in gray["mechanisms"]] == [
        "Sense-making",
        "Distributed leadership",
        "Evaluation for learning",
    ]
    hf = comments["heart_failure_network"].model_extra
    assert hf["independent_heart_failure_projects"] + hf["pilot_regions_on_heart_failure"] == 8


# ------------------------------------------------------------------ refs resolve


def _bib_keys() -> set[str]:
    keys: set[str] = set()
    for bib in sorted((PROJECT_ROOT / "references").glob("*.bib")):
        entries, _ = parse_bibtex(bib.read_text(encoding="utf-8"), str(bib))
        keys |= {e.key for e in entries}
    return keys


def _refs_in(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("refs", "comments_on"):
                found += [value] if isinstance(value, str) else list(value)
            else:
                found += _refs_in(value)
    elif isinstance(node, list):
        for item in node:
            found += _refs_in(item)
    return found


@pytest.mark.parametrize(
    "path",
    sorted((PROJECT_ROOT / "data/literature/payment").glob("*.yaml"))
    + sorted((PROJECT_ROOT / "data/literature/transition").glob("*.yaml")),
    ids=lambda p: p.name,
)
def test_every_refs_key_resolves(path: Path) -> None:
    refs = _refs_in(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert refs, f"{path.name} cites nothing"
    missing = sorted(set(refs) - _bib_keys())
    assert not missing, f"{path.name}: keys not in references/*.bib: {missing}"


def test_my_chapters_cite_only_known_keys() -> None:
    keys = _bib_keys()
    for name in [
        "05-provider-payment.qmd",
        "06-transition-pathway.qmd",
        "07-time-to-move.qmd",
    ]:
        text = (PROJECT_ROOT / "chapters" / name).read_text(encoding="utf-8")
        cited = set(re.findall(r"\[@([A-Za-z0-9_:-]+)", text))
        assert cited <= keys, f"{name}: {sorted(cited - keys)}"


def test_tidy_tables_carry_refs() -> None:
    for frame in [
        tr.world_cafe_rounds(),
        tr.invited_experts(),
        tr.expert_participation(),
        tr.summary_rows(),
        tr.study_factors(),
    ]:
        assert frame["refs"].str.len().gt(0).all()
