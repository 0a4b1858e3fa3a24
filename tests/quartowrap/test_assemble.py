"""assemble_book: merge/split, callouts, citations, unresolved-reference reporting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quartowrap.assemble import book as book_module
from quartowrap.assemble.book import assemble_book, parse_markdown, prepare_early, stringify
from quartowrap.errors import UnresolvedReferenceError
from quartowrap.model import (
    BookConfig,
    ChapterRef,
    ExecutedChapter,
    FigureOutput,
    TableOutput,
)
from quartowrap.project.theme import builtin_theme

BIB = """@article{smith2020,
  author = {Smith, John and Doe, Anna},
  title = {Integrated care in practice},
  journal = {Int J Integr Care},
  year = {2020}, volume = {20}, number = {3}, pages = {1--10}
}
@techreport{kce359,
  author = {Benahmed, Nadia and Bourgeois, Jens},
  title = {Towards integrated care in {Belgium}},
  institution = {Belgian Health Care Knowledge Centre (KCE)},
  address = {Brussels}, type = {KCE Report}, number = {359}, year = {2022}
}
"""

CH1 = """# Findings

::: {.callout-key-findings}
- Integration is uneven [@kce359].
:::

::: {.callout-warning title="Mind the gap"}
Reconstructed data.
:::

::: {.callout-note}
## Own heading
Body text.
:::

Earlier work [@smith2020] and the report again [@kce359].
"""
CH2 = """# Gaps

Line two.
This cites @nosuchkey and points at @tbl-nowhere.

Again @tbl-nowhere.
"""
REFS = "# References {.unnumbered}\n\n::: {#refs}\n:::\n"

# The KCE theme: its key-findings callout and its Vancouver citation style.
KCE = builtin_theme("kce")


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.fixture()
def project(tmp_path: Path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    sources = {"chapters/01-findings.qmd": CH1, "chapters/02-gaps.qmd": CH2, "references.qmd": REFS}
    for rel, text in sources.items():
        # The source file has two extra lines of front matter: warnings must point into it.
        (tmp_path / rel).write_text(f"---\ntitle: x\n---\n{text}", encoding="utf-8")
    refs = (
        ChapterRef(Path("chapters/01-findings.qmd")),
        ChapterRef(Path("chapters/02-gaps.qmd")),
        ChapterRef(Path("references.qmd"), numbered=False),
    )
    config = BookConfig(
        root=tmp_path,
        title="T",
        chapters=refs,
        bibliography=(tmp_path / "refs.bib",),
        theme=KCE,
    )
    chapters = [ExecutedChapter(r.source, {}, sources[r.source.as_posix()]) for r in refs]
    return config, chapters


def test_callouts_have_one_neutral_shape(project):
    config, chapters = project
    book = assemble_book(config, chapters)
    callouts = [
        n
        for n in _walk(book.chapters[0].ast["blocks"])
        if n.get("t") == "Div" and "callout" in n["c"][0][1]
    ]
    got = [
        (dict(c["c"][0][2])["callout-type"], dict(c["c"][0][2])["callout-title"]) for c in callouts
    ]
    assert got == [
        ("key-findings", "Key findings"),
        ("warning", "Mind the gap"),
        ("note", "Own heading"),
    ]
    title_div, body_div = callouts[2]["c"][1]
    assert title_div["c"][0][1] == ["callout-title"]
    assert body_div["c"][0][1] == ["callout-body"]
    assert stringify(body_div["c"][1]) == "Body text."  # the heading moved into the title


def test_citations_are_numeric_and_listed_in_refs(project):
    config, chapters = project
    book = assemble_book(config, chapters)
    cites = [
        stringify(n["c"][1]) for n in _walk(book.chapters[0].ast["blocks"]) if n.get("t") == "Cite"
    ]
    # Numbered in order of first citation: kce359 first, then smith2020; reuse keeps the number.
    assert cites == ["[1]", "[2]", "[1]"]
    refs_div = next(
        n
        for n in _walk(book.chapters[2].ast["blocks"])
        if n.get("t") == "Div" and n["c"][0][0] == "refs"
    )
    entries = [stringify(e["c"][1]) for e in refs_div["c"][1]]
    assert entries[0].startswith("1. Benahmed N, Bourgeois J. Towards integrated care in Belgium.")
    assert "KCE Report 359" in entries[0]
    assert entries[1].startswith(
        "2. Smith J, Doe A. Integrated care in practice. Int J Integr Care."
    )
    assert "2020;20(3):1–10" in entries[1]


def test_unresolved_references_are_warnings_with_source_lines(project):
    config, chapters = project
    book = assemble_book(config, chapters)
    # Lines counted by hand in the source file (3 front-matter lines + CH2).
    assert sorted(book.warnings) == [
        "chapters/02-gaps.qmd:7: unresolved citation @nosuchkey",
        "chapters/02-gaps.qmd:7: unresolved reference @tbl-nowhere",
        "chapters/02-gaps.qmd:9: unresolved reference @tbl-nowhere",
    ]
    strongs = [
        stringify(n["c"]) for n in _walk(book.chapters[1].ast["blocks"]) if n.get("t") == "Strong"
    ]
    assert "?@tbl-nowhere" in strongs


def test_strict_raises_listing_every_unresolved_reference(project):
    config, chapters = project
    with pytest.raises(UnresolvedReferenceError) as info:
        assemble_book(config, chapters, strict=True)
    text = str(info.value)
    assert "chapters/02-gaps.qmd:7: unresolved citation @nosuchkey" in text
    assert "chapters/02-gaps.qmd:9: unresolved reference @tbl-nowhere" in text


def test_split_keeps_chapter_order_and_no_marker_divs(project):
    config, chapters = project
    book = assemble_book(config, chapters)
    assert [c.ref.slug for c in book.chapters] == ["01-findings", "02-gaps", "references"]
    for chapter in book.chapters:
        assert chapter.ast["pandoc-api-version"]
        assert all(
            "quartowrap-chapter" not in n["c"][0][1]
            for n in _walk(chapter.ast["blocks"])
            if n.get("t") == "Div"
        )
        assert not any(k.startswith("quartowrap-") for k in chapter.ast["meta"])


def test_front_matter_title_becomes_the_heading_and_duplicate_ids_are_made_unique(tmp_path):
    config = BookConfig(root=tmp_path, title="T", theme=KCE)
    chapters = [
        ExecutedChapter(Path("a.qmd"), {"title": "Alpha"}, "## Summary\n\ntext\n"),
        ExecutedChapter(Path("b.qmd"), {}, "# Beta\n\n## Summary\n\ntext\n"),
    ]
    book = assemble_book(config, chapters)
    assert [(c.title, c.number) for c in book.chapters] == [("Alpha", "1"), ("Beta", "2")]
    ids = [n["c"][1][0] for c in book.chapters for n in c.ast["blocks"] if n["t"] == "Header"]
    assert len(ids) == len(set(ids)), ids


def test_cell_outputs_are_listed_in_book_order(tmp_path):
    table = "| a |\n|---|\n| 1 |\n"
    config = BookConfig(root=tmp_path, title="T", theme=KCE)
    out_b = TableOutput("tbl-b", "B", "a\n1\n")
    out_a = TableOutput("tbl-a", "A", "a\n1\n")
    fig = FigureOutput("fig-x", "X", "alt", tmp_path / "x.svg")
    chapters = [
        # Outputs deliberately listed out of document order within the chapter.
        ExecutedChapter(
            Path("a.qmd"),
            {},
            f"# A\n\n{table}\n: A {{#tbl-a}}\n\n{table}\n: B {{#tbl-b}}\n",
            tables=(out_b, out_a),
            figures=(fig,),
        )
    ]
    book = assemble_book(config, chapters)
    assert [t.label for t in book.tables] == ["tbl-a", "tbl-b"]
    assert book.figures == (fig,)


def test_parse_cache_on_disk(tmp_path):
    text = "# Cached heading {#sec-cached}\n"
    first = parse_markdown(text, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 1
    again = parse_markdown(text, cache_dir=tmp_path)
    assert first == again


def test_duplicate_labels_are_reported(tmp_path):
    table = "| a |\n|---|\n| 1 |\n"
    config = BookConfig(root=tmp_path, title="T", theme=KCE)
    chapters = [
        ExecutedChapter(Path("a.qmd"), {}, f"# A\n\n{table}\n: One {{#tbl-same}}\n"),
        ExecutedChapter(Path("b.qmd"), {}, f"# B\n\n{table}\n: Two {{#tbl-same}}\n"),
    ]
    book = assemble_book(config, chapters)
    assert book.warnings == ("b.qmd:7: duplicate label @tbl-same",)  # the caption line
    assert book.xrefs["tbl-same"].caption == "One"  # the first definition wins


def test_et_al_after_six_authors(tmp_path):
    names = " and ".join(f"Author{i}, A" for i in range(1, 8))
    bib = tmp_path / "many.bib"
    bib.write_text(f"@book{{many, author = {{{names}}}, title = {{Many}}, year = {{2020}}}}\n")
    config = BookConfig(root=tmp_path, title="T", theme=KCE, bibliography=(bib,))
    book = assemble_book(config, [ExecutedChapter(Path("a.qmd"), {}, "# A\n\nText [@many].\n")])
    refs = next(
        n
        for n in _walk(book.chapters[0].ast["blocks"])
        if n.get("t") == "Div" and n["c"][0][0] == "refs"
    )
    assert stringify(refs["c"][1]).startswith(
        "1. Author1 A, Author2 A, Author3 A, Author4 A, Author5 A, Author6 A, et al. Many."
    )


def test_nocite_lists_entries_that_are_not_cited(tmp_path):
    bib = tmp_path / "two.bib"
    bib.write_text(
        "@book{cited, author = {Cited, A}, title = {Cited book}, year = {2020}}\n"
        "@book{listed, author = {Listed, B}, title = {Listed book}, year = {2021}}\n"
    )
    config = BookConfig(
        root=tmp_path, title="T", bibliography=(bib,), metadata={"nocite": "@listed"}, theme=KCE
    )
    chapter = "# A\n\nText [@cited].\n\n::: {#refs}\n:::\n"
    book = assemble_book(config, [ExecutedChapter(Path("a.qmd"), {}, chapter)])
    refs = next(
        n
        for n in _walk(book.chapters[0].ast["blocks"])
        if n.get("t") == "Div" and n["c"][0][0] == "refs"
    )
    listed = stringify(refs["c"][1])
    assert "Cited book" in listed and "Listed book" in listed
    assert book.warnings == ()


def test_prepared_chapters_are_cached_by_content_metadata_and_code(tmp_path):
    """A build after a prose edit reuses the prepared ASTs of the other chapters; a cached
    chapter is the same as a fresh one, and a change of its metadata is never served stale."""
    text = (
        "# Conditional {#sec-cond}\n\n"
        '::: {.content-visible when-meta="extra"}\nOnly with extra.\n:::\n\n'
        "Always here.\n"
    )
    config = BookConfig(root=tmp_path, title="T", theme=KCE)
    cache = tmp_path / "cache"

    def words(extra: bool, cache_dir: Path | None) -> str:
        chapter = ExecutedChapter(Path("a.qmd"), {"extra": extra}, text)
        book = assemble_book(config, [chapter], cache_dir=cache_dir)
        return stringify(book.chapters[0].ast["blocks"])

    fresh = words(True, None)
    assert "Only with extra" in fresh
    assert words(True, cache) == fresh  # written
    assert len(list(cache.glob("prepared-*.json"))) == 1
    assert words(True, cache) == fresh  # read back
    hidden = words(False, cache)  # other metadata: another entry, not the cached one
    assert "Only with extra" not in hidden and "Always here" in hidden
    assert len(list(cache.glob("prepared-*.json"))) == 2


def test_a_chapter_prepared_early_is_not_prepared_again_when_the_book_is_assembled(
    tmp_path, monkeypatch
):
    config = BookConfig(root=tmp_path, title="T")
    chapter = ExecutedChapter(Path("early.qmd"), {}, "# Early {#sec-early}\n\nSee @sec-early.\n")
    prepare_early(config, chapter, tmp_path / "cache")
    calls: list[str] = []
    real = book_module._prepare

    def counting(config, chapter, ast):
        calls.append(chapter.source.as_posix())
        return real(config, chapter, ast)

    monkeypatch.setattr(book_module, "_prepare", counting)
    book = assemble_book(config, [chapter], cache_dir=tmp_path / "cache")
    assert calls == []  # assembling found it ready
    assert "See Chapter\u00a01." in stringify(book.chapters[0].ast["blocks"])
    other = ExecutedChapter(Path("late.qmd"), {}, "# Late\n")
    assemble_book(config, [other], cache_dir=tmp_path / "cache")
    assert calls == ["late.qmd"]  # one not prepared early is prepared then
