"""Front matter from the `kce:` block, the cross-reference index and the glossary CSVs."""

from __future__ import annotations

from pathlib import Path

import pytest
from quartowrap.errors import ConfigError
from quartowrap.model import AssembledBook, BookConfig, XrefEntry
from quartowrap.writers.frontmatter import (
    build_front_matter,
    load_abbreviations,
    load_glossary,
    validate_kce,
)

REPO = Path(__file__).resolve().parents[2]

# Placeholder metadata for tests only (the real values live in _quarto.yml).
KCE = {
    "report-number": 359,
    "series": "Health Services Research",
    "series-abbreviation": "HSR",
    "short-title": "Integrated care",
    "authors": [
        {"name": "Nadia Benahmed", "affiliation": "KCE"},
        "Koen Van den Heede",
        {"name": "Jean-Luc Placeholder", "given": "Jean-Luc", "family": "Placeholder"},
    ],
    "reviewers": ["Reviewer A", "Reviewer B"],
    "external-validators": "Validator C",
    "disclaimer": ["First disclaimer paragraph.", "Second one."],
    "mesh": ["Delivery of Health Care, Integrated", "Belgium"],
    "publication-date": "placeholder date",
    "legal-depot": "D/0000/00.000/00",
    "language": "English",
    "key-messages": ["One.", "Two."],
    "foreword": "Placeholder *foreword*.",
}


def _book(tmp_path: Path, kce: dict, **config) -> AssembledBook:
    glossary = tmp_path / "data" / "glossary"
    glossary.mkdir(parents=True, exist_ok=True)
    (glossary / "abbreviations.csv").write_text(
        "abbreviation,expansion\nWHO,World Health Organisation\nGP,General practitioner\n",
        encoding="utf-8",
    )
    (glossary / "glossary.csv").write_text(
        "term,definition\nZeta term,Last.\nalpha term,First.\n", encoding="utf-8"
    )
    cfg = BookConfig(
        root=tmp_path,
        title="Towards integrated care in Belgium",
        subtitle=config.get("subtitle", "A placeholder subtitle"),
        date="2022-05-01",
        version="0.9.0",
        kce=kce,
    )
    xrefs = {
        "sec-a": XrefEntry("sec-a", "sec", "1", "01", "A", "Chapter 1"),
        "tbl-x": XrefEntry("tbl-x", "tbl", "1", "01", "First table", "Table 1"),
        "fig-y": XrefEntry("fig-y", "fig", "1", "02", "A figure", "Figure 1"),
        "tbl-z": XrefEntry("tbl-z", "tbl", "2", "02", "Second table", "Table 2"),
    }
    return AssembledBook(config=cfg, chapters=(), xrefs=xrefs, tables=(), figures=())


def test_missing_required_keys_are_named():
    with pytest.raises(ConfigError) as info:
        validate_kce({"series": "HSR"})
    assert "kce.report-number: required key is missing" in str(info.value)
    assert "kce.short-title: required key is missing" in str(info.value)


def test_unknown_and_mistyped_keys_are_named():
    with pytest.raises(ConfigError) as info:
        validate_kce({**KCE, "reviewrs": ["x"], "mesh": {"a": 1}})
    assert "kce.reviewrs" in str(info.value)
    assert "kce.mesh" in str(info.value)


def test_cover_and_colophon_in_design_order(tmp_path):
    fm = build_front_matter(_book(tmp_path, KCE), version="1.0.0", commit="0123456789abcdef")
    assert fm.cover.report_label == "KCE Report 359"
    assert fm.cover.year == "2022"
    assert fm.cover.version == "1.0.0"
    assert fm.running_header == "KCE Report 359"
    # design.md §5 order, leaving out the fields the metadata does not give
    assert [f.key for f in fm.colophon] == [
        "title",
        "authors",
        "reviewers",
        "external-validators",
        "disclaimer",
        "publication-date",
        "mesh",
        "language",
        "legal-depot",
        "how-to-cite",
        "version",
    ]
    fields = {f.key: f for f in fm.colophon}
    assert fields["authors"].value == (
        "Nadia Benahmed (KCE)",
        "Koen Van den Heede",
        "Jean-Luc Placeholder",
    )
    assert fields["disclaimer"].kind == "text"
    assert fields["version"].value == ("1.0.0 (build 0123456789ab)",)


def test_how_to_refer_is_generated_vancouver_style(tmp_path):
    fm = build_front_matter(_book(tmp_path, KCE), version="1.0.0")
    assert fm.how_to_cite == (
        "Benahmed N, Van den Heede K, Placeholder JL. "
        "Towards integrated care in Belgium: A placeholder subtitle. "
        "Health Services Research (HSR). "
        "Brussels: Belgian Health Care Knowledge Centre (KCE). 2022. "
        "KCE Reports 359. D/0000/00.000/00."
    )


def test_lists_and_glossary(tmp_path):
    fm = build_front_matter(_book(tmp_path, KCE), version="1.0.0")
    assert [(e.label, e.caption) for e in fm.tables] == [
        ("Table 1", "First table"),
        ("Table 2", "Second table"),
    ]
    assert [(e.label, e.chapter) for e in fm.figures] == [("Figure 1", "02")]
    assert [a.abbreviation for a in fm.abbreviations] == ["GP", "WHO"]  # sorted
    assert [g.term for g in fm.glossary] == ["alpha term", "Zeta term"]  # case-insensitive
    assert fm.key_messages_md == ("One.", "Two.")
    assert fm.foreword_md == "Placeholder *foreword*."


def test_year_is_required_when_the_date_has_none(tmp_path):
    book = _book(tmp_path, KCE)
    config = BookConfig(root=tmp_path, title="T", date=None, kce=KCE)
    with pytest.raises(ConfigError, match=r"kce\.year"):
        build_front_matter(AssembledBook(config, (), book.xrefs, (), ()))


def test_csv_problems_name_file_and_row(tmp_path):
    path = tmp_path / "abbr.csv"
    path.write_text("abbr,expansion\nX,Y\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"abbr\.csv:1: missing column\(s\) abbreviation"):
        load_abbreviations(tmp_path, Path("abbr.csv"))
    path.write_text("abbreviation,expansion\nX,Y\nZ,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"abbr\.csv:3: column 'expansion' is empty"):
        load_abbreviations(tmp_path, Path("abbr.csv"))


def test_repository_glossary_files():
    abbreviations = {
        a.abbreviation: a.expansion
        for a in load_abbreviations(REPO, Path("data/glossary/abbreviations.csv"))
    }
    # expansions typed from the list of abbreviations of KCE Report 359
    assert abbreviations["SCIROCCO"] == "Scaling Integrated Care in Context"
    assert abbreviations["PACIC"] == "Patient Assessment of Chronic Illness Care"
    assert abbreviations["P4Q"] == "Pay-For-Quality"
    terms = [g.term for g in load_glossary(REPO, Path("data/glossary/glossary.csv"))]
    assert terms == [
        "A territorial approach of integrated care",
        "Integrated local health system",
        "Place-based approach",
        "Population based approach",
    ]


def test_glossary_files_are_optional_unless_named(tmp_path: Path) -> None:
    book = _book(tmp_path, {k: KCE[k] for k in ("report-number", "series", "short-title")})
    for name in ("abbreviations.csv", "glossary.csv"):
        (tmp_path / "data" / "glossary" / name).unlink()
    front = build_front_matter(book)
    assert front.abbreviations == () and front.glossary == ()
    named = _book(
        tmp_path,
        {
            **{k: KCE[k] for k in ("report-number", "series", "short-title")},
            "glossary": "docs/missing.csv",
        },
    )
    (tmp_path / "data" / "glossary" / "glossary.csv").unlink()
    with pytest.raises(ConfigError, match=r"docs/missing\.csv"):
        build_front_matter(named)
