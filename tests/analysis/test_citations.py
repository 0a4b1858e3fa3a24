"""analysis.citations: the citation check fails where it must and only there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.citations import (
    check_citations,
    cited_in_data,
    cited_in_markdown,
    main,
    parse_bibtex,
)

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "fixtures" / "broken-citations"


def _summary(problems: list) -> set[tuple[str, int, str, str]]:
    return {(p.file, p.line, p.kind, p.key) for p in problems}


def test_broken_fixture_reports_every_problem_where_it_is() -> None:
    # Expected lines read off the fixture files by hand.
    expected = {
        ("_quarto.yml", 12, "missing-bibliography", ""),
        ("chapters/one.qmd", 3, "undefined-key", "nosuch2019"),
        ("chapters/one.qmd", 14, "undefined-key", "ghost2018"),
        ("data/lit/notes.yaml", 3, "undefined-key", "missingyaml"),
        ("data/lit/studies.csv", 3, "undefined-key", "unknownData2000"),
        ("refs.bib", 25, "unused-entry", "orphan"),
        ("refs.bib", 31, "bad-doi", "urldoi"),
        ("refs.bib", 37, "bad-doi", "baddoi"),
        ("refs.bib", 41, "duplicate-key", "good2020"),
        ("refs.bib", 48, "parse-error", "broken"),
    }
    assert _summary(check_citations(BROKEN)) == expected


def test_cli_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(BROKEN)]) == 1
    assert "undefined-key: nosuch2019" in capsys.readouterr().err

    clean = tmp_path / "book"
    shutil.copytree(BROKEN, clean)
    (clean / "_quarto.yml").write_text(
        "book:\n  chapters: [index.qmd]\nbibliography: refs.bib\n", encoding="utf-8"
    )
    (clean / "refs.bib").write_text("@misc{good2020, title = {T}}\n", encoding="utf-8")
    (clean / "index.qmd").write_text("# A\n\nSee [@good2020].\n", encoding="utf-8")
    shutil.rmtree(clean / "chapters")
    shutil.rmtree(clean / "data")
    assert main([str(clean)]) == 0


def test_markdown_citation_syntax() -> None:
    text = "\n".join(
        [
            "---",
            "nocite: '@extra'",
            "---",
            "[@a1; @b-2, p. 4] and @c3. Also [-@d4] and @{e.5}.",
            "Refs @fig-x @tbl-y @sec-z @eq-w are cross-references.",
            "x@y.org, \\@no, `@code`",
            "```python",
            "@decorator",
            "```",
            "Trailing punctuation: @f6, @g7; @h8:",
        ]
    )
    citations, nocite = cited_in_markdown(text, "c.qmd")
    assert [(c.key, c.line) for c in citations] == [
        ("a1", 4),
        ("b-2", 4),
        ("c3", 4),
        ("d4", 4),
        ("e.5", 4),
        ("f6", 10),
        ("g7", 10),
        ("h8", 10),
    ]
    assert [c.key for c in nocite] == ["extra"]


def test_bibtex_parser_values_and_recovery() -> None:
    text = """@string{j = "Journal"}
@article{one,
  title = {Nested {Braces} and \\{escaped\\}},
  journal = j,
  note = "quoted {with} braces" # { and more},
  year = 2020,
}
@misc{two, title = {unclosed
@misc{three, title = {after the error}}
"""
    entries, problems = parse_bibtex(text, "x.bib")
    by_key = {e.key: e for e in entries}
    assert by_key["one"].fields["title"] == "Nested {Braces} and \\{escaped\\}"
    assert by_key["one"].fields["note"] == "quoted {with} braces and more"
    assert by_key["one"].fields["year"] == "2020"
    assert by_key["one"].line == 2
    assert "three" in by_key  # parsing resumes after the broken entry
    assert [(p.kind, p.key) for p in problems] == [("parse-error", "two")]


def test_data_refs_only_from_refs_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,refs,kce_refs\n1,k1;k2,12\n2,,13\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("x:\n  refs: k3\n  kce_refs: [5]\n", encoding="utf-8")
    found = sorted((c.key, c.file, c.line) for c in cited_in_data(tmp_path, tmp_path))
    assert found == [("k1", "a.csv", 2), ("k2", "a.csv", 2), ("k3", "b.yaml", 2)]


def test_the_whole_project_has_no_citation_problems() -> None:
    """Every key cited in chapters and data resolves, and every entry is used."""
    problems = check_citations(ROOT)
    assert problems == [], "\n".join(map(str, problems))


def test_join_refs_is_read_back_by_the_refs_reader() -> None:
    from analysis.citations import _split_refs, join_refs

    assert join_refs(["smith2020", "kce359"]) == "smith2020; kce359"
    assert join_refs([]) == ""
    assert _split_refs(join_refs(["a-1", "b_2", "c:3"])) == ["a-1", "b_2", "c:3"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('@misc{four, title = "no closing quote}\n', "unterminated quoted value"),
        ("@misc{five, title = {no closing brace\n", "unbalanced braces"),
    ],
)
def test_unclosed_values_name_the_delimiter(entry: str, message: str) -> None:
    entries, problems = parse_bibtex(entry, "y.bib")
    assert entries == []
    assert [(p.file, p.line, p.kind, p.message) for p in problems] == [
        ("y.bib", 1, "parse-error", message)
    ]
