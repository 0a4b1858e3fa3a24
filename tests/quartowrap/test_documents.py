"""Lone documents and `default`/`website` projects render as Quarto renders them.

quarto.org (Quarto Projects; Rendering): `quarto render doc.qmd` writes `doc.html` (with its
resources in `doc_files/`) and `doc.pdf` next to the source, with no project needed; a
project of type `default` (or `website`) renders every document of its folder, skipping
files and folders whose name starts with `_` or `.`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from quartowrap.cli import main
from quartowrap.commands.document import render_path
from quartowrap.errors import ConfigError
from quartowrap.model import RenderOptions
from quartowrap.progress import Progress
from quartowrap.project.config import read_project
from quartowrap.project.documents import document_config, project_documents

QUIET = Progress(plain=True, quiet=True)

LONE = """---
title: "A lone document"
engine: jupyter
jupyter: python3
---

## Results {#sec-results}

The answer is `{python} 6 * 7`.

```{python}
shown_code_marker = 3
print(shown_code_marker * 2)
```
"""


def _local_references(html: str) -> list[str]:
    refs = re.findall(r'(?:href|src|data-search-data)="([^"#:]+)"', html)
    return [r for r in refs if not r.startswith(("http", "mailto"))]


@pytest.mark.slow
def test_lone_document_renders_beside_itself(tmp_path: Path) -> None:
    doc = tmp_path / "report.qmd"
    doc.write_text(LONE, encoding="utf-8")
    assert main(["render", str(doc), "--quiet"]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "report_files").is_dir()
    assert "A lone document" in html and "The answer is 42." in html
    # Quarto's defaults: code shown (echo: true), sections unnumbered in a document.
    assert "shown_code_marker" in html and 'class="header-section-number"' not in html
    # no release machinery and no book pages around a document
    assert not (tmp_path / "_output").exists() and "list-of-figures" not in html
    missing = [r for r in _local_references(html) if not (tmp_path / r).exists()]
    assert missing == []
    assert all(r.startswith("report_files/") or r == "report.html" for r in _local_references(html))
    assert not list(tmp_path.glob(".report-*")), "the staging folder must be removed"
    assert not (tmp_path / "_freeze").exists(), "a lone document leaves only its outputs"


def _default_project(root: Path, kind: str) -> None:
    root.mkdir()
    (root / "_quarto.yml").write_text(
        f"project:\n  type: {kind}\nexecute:\n  echo: false\nsubtitle: from-project-17\n",
        encoding="utf-8",
    )
    (root / "one.qmd").write_text(
        "---\ntitle: One\n---\n\nProject says {{< meta subtitle >}}.\n", encoding="utf-8"
    )
    (root / "sub").mkdir()
    (root / "sub" / "two.md").write_text("# Two\n\nPlain markdown page.\n", encoding="utf-8")
    (root / "_partial.qmd").write_text("not a page\n", encoding="utf-8")
    (root / "README.md").write_text("# Readme\n", encoding="utf-8")


@pytest.mark.parametrize("kind", ["default", "website"])
def test_default_project_lists_its_documents(tmp_path: Path, kind: str) -> None:
    _default_project(tmp_path / "p", kind)
    files = read_project(tmp_path / "p")
    assert files.type == kind
    assert [p.as_posix() for p in project_documents(files)] == ["one.qmd", "sub/two.md"]


def test_project_render_list_and_a_missing_match(tmp_path: Path) -> None:
    _default_project(tmp_path / "p", "default")
    config = tmp_path / "p" / "_quarto.yml"
    text = "project:\n  type: default\n  render:\n    - sub/*.md\n    - nothing-*.qmd\n"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"_quarto.yml:5: project.render: no file"):
        project_documents(read_project(tmp_path / "p"))


def test_document_config_takes_front_matter_over_project(tmp_path: Path) -> None:
    _default_project(tmp_path / "p", "default")
    files = read_project(tmp_path / "p")
    (tmp_path / "p" / "one.qmd").write_text(
        "---\ntitle: One\nnumber-sections: true\nexecute:\n  echo: true\n---\n\nx\n"
    )
    config = document_config(tmp_path / "p" / "one.qmd", files)
    assert config.title == "One" and config.chapters[0].numbered is True
    assert config.execute.echo is True and config.execute.freeze is False
    lone = document_config(tmp_path / "p" / "sub" / "two.md")
    assert lone.root == (tmp_path / "p" / "sub").resolve() and lone.execute.echo is True


@pytest.mark.slow
def test_default_project_renders_file_by_file(tmp_path: Path) -> None:
    root = tmp_path / "p"
    _default_project(root, "default")
    render_path(root, RenderOptions(to=("html",)), QUIET)
    assert "Project says from-project-17." in (root / "one.html").read_text(encoding="utf-8")
    assert "Plain markdown page." in (root / "sub" / "two.html").read_text(encoding="utf-8")
    assert (root / "sub" / "two_files").is_dir()
    assert not (root / "_partial.html").exists() and not (root / "README.html").exists()


def test_a_book_is_still_required_to_be_a_book_by_load_book_config(tmp_path: Path) -> None:
    from quartowrap.project.config import load_book_config

    _default_project(tmp_path / "p", "website")
    with pytest.raises(ConfigError, match=r"^_quarto.yml:2: project type is 'website'"):
        load_book_config(tmp_path / "p")


def test_language_sets_crossref_words_and_dates(tmp_path: Path) -> None:
    """`lang:` gives Quarto's translated labels; `date: today` and ISO dates print in the
    `long` style of that language; the author's own `crossref:` words still win."""
    doc = tmp_path / "nl.qmd"
    doc.write_text(
        "---\ntitle: Rapport\nlang: nl-BE\ndate: today\ncrossref:\n  tbl-prefix: Tab.\n---\n\nx\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 14 November 2023
        config = document_config(doc)
    assert config.date == "14 november 2023"
    assert config.crossref["fig-prefix"] == "Figuur" and config.crossref["ch-prefix"] == "Hoofdstuk"
    assert config.crossref["tbl-prefix"] == "Tab."


@pytest.mark.parametrize(
    ("value", "lang", "fmt", "expected"),
    [
        ("2024-03-05", None, None, "March 5, 2024"),
        ("2024-03-05", "fr", None, "5 mars 2024"),
        ("2024-03-05", "de", None, "5. März 2024"),
        ("2024-03-05", None, "iso", "2024-03-05"),
        ("2024-03-05", None, "DD/MM/YYYY", "05/03/2024"),
        ("2022", None, None, "2022"),  # not a full date: printed as written
        ("Spring 2024", "fr", None, "Spring 2024"),
    ],
)
def test_dates_print_as_quarto_prints_them(value: str, lang: str, fmt: str, expected: str) -> None:
    from quartowrap.project.dates import format_date

    assert format_date(value, lang=lang, date_format=fmt) == expected


@pytest.mark.slow
def test_document_in_french_prints_french_labels_and_title_block(tmp_path: Path) -> None:
    doc = tmp_path / "fr.qmd"
    doc.write_text(
        "---\ntitle: Rapport\nsubtitle: Un sous-titre\nauthor: Ann <Dupont>\n"
        "date: 2024-03-05\nlang: fr\n---\n\nVoir @eq-a.\n\n$$x = 1$$ {#eq-a}\n",
        encoding="utf-8",
    )
    render_path(doc, RenderOptions(to=("html",)), QUIET)
    html = (tmp_path / "fr.html").read_text(encoding="utf-8")
    assert 'data-xref-kind="eq">Équation&nbsp;1</a>' in html
    assert '<div class="subtitle">' in html and "Un sous-titre" in html
    assert "Ann &lt;Dupont&gt; · 5 mars 2024" in html  # text, escaped, never markup


@pytest.mark.slow
def test_numbered_document_counts_from_its_highest_heading(tmp_path: Path) -> None:
    """Quarto numbers `## Intro` under a YAML title "1" (the title is never a section)."""
    doc = tmp_path / "n.qmd"
    doc.write_text(
        "---\ntitle: Numbered\nnumber-sections: true\n---\n\n## Intro {#sec-intro}\n\n"
        "### Detail {#sec-detail}\n\n## Next\n\nSee @sec-detail and @sec-intro.\n",
        encoding="utf-8",
    )
    render_path(doc, RenderOptions(to=("html",)), QUIET)
    html = (tmp_path / "n.html").read_text(encoding="utf-8")
    numbers = re.findall(r'<span class="header-section-number">([^<]+)</span> (\w+)', html)
    assert numbers == [("1", "Intro"), ("1.1", "Detail"), ("2", "Next")]
    assert ">Section&nbsp;1.1</a> and <a" in html and ">Section&nbsp;1</a>." in html


@pytest.mark.slow
def test_lone_document_pdf_is_an_article_without_book_front_matter(tmp_path: Path) -> None:
    doc = tmp_path / "article.qmd"
    doc.write_text(
        "---\ntitle: An article\nsubtitle: Its subtitle\nauthor: Ann Author\n"
        "date: 2024-03-05\n---\n\n## Intro\n\nFirst section text.\n",
        encoding="utf-8",
    )
    assert main(["render", str(doc), "--quiet", "--to", "pdf"]) == 0
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(tmp_path / "article.pdf").pages]
    # Quarto prints an article: the title block opens the first page, the text follows it;
    # no cover page, colophon or table of contents as a book has
    assert len(pages) == 1
    lines = [line.strip() for line in pages[0].splitlines() if line.strip()]
    assert lines[:4] == ["An article", "Its subtitle", "Ann Author · March 5, 2024", "Intro"]
    assert "Contents" not in pages[0]
