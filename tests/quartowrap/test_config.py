"""Config loading: merging as Quarto does, and validation errors that name file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from quartowrap.errors import ConfigError
from quartowrap.project.config import (
    document_execute_options,
    document_metadata,
    load_book_config,
    merge_metadata,
)

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini-book"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


BASIC = """\
project:
  type: book
book:
  title: "T"
  chapters:
    - index.qmd
    - ch1.qmd
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {"_quarto.yml": BASIC, "index.qmd": "# Preface {.unnumbered}\n", "ch1.qmd": "# One\n"},
    )


def test_mini_book_config() -> None:
    config = load_book_config(MINI)
    assert config.title == "Mini Book"
    assert config.authors == ("Test Author", "Second Author")
    assert config.version == "0.1.0"
    sources = [c.source.as_posix() for c in config.chapters]
    assert sources == [
        "index.qmd",
        "chapters/01-data.qmd",
        "chapters/02-results.qmd",
        "chapters/03-discussion.qmd",
        "references.qmd",
    ]
    parts = [c.part for c in config.chapters]
    assert parts == [None, "Analyses", "Analyses", None, None]
    assert [c.numbered for c in config.chapters] == [False, True, True, True, False]
    assert config.bibliography == ((MINI / "references.bib").resolve(),)
    assert config.execute.freeze == "auto" and config.execute.echo is False
    assert set(config.formats) == {"html", "typst"}
    assert config.kce["report-number"] == 999
    assert config.crossref["tbl-prefix"] == "Table"


def test_merge_rules() -> None:
    base = {"a": {"x": 1, "y": 2}, "bib": ["a.bib"], "s": 1}
    over = {"a": {"y": 3}, "bib": "b.bib", "s": 2}
    assert merge_metadata(base, over) == {"a": {"x": 1, "y": 3}, "bib": ["a.bib", "b.bib"], "s": 2}


def test_metadata_file_merges_over_project(book: Path) -> None:
    write(
        book,
        {"_metadata.yml": "execute:\n  echo: false\nbibliography: extra.bib\n", "extra.bib": ""},
    )
    config = load_book_config(book)
    assert config.execute.echo is False
    assert config.execute.freeze == "auto"  # untouched default survives the merge
    assert config.bibliography == ((book / "extra.bib").resolve(),)


def test_directory_metadata_and_front_matter(book: Path) -> None:
    write(
        book,
        {
            "chapters/_metadata.yml": "execute:\n  warning: false\n  echo: false\n",
            "chapters/a.qmd": "# A\n",
        },
    )
    config = load_book_config(book)
    meta = document_metadata(config, Path("chapters/a.qmd"), {"execute": {"echo": True}})
    assert meta["execute"] == {"warning": False, "echo": True}
    opts = document_execute_options(config, Path("chapters/a.qmd"), {"execute": {"echo": True}})
    assert (opts.warning, opts.echo) == (False, True)
    # a document outside chapters/ does not see chapters/_metadata.yml: Quarto's defaults
    assert document_execute_options(config, Path("ch1.qmd"), {}).warning is True


def test_unnumbered_detection(book: Path) -> None:
    write(book, {"ch1.qmd": "---\nlang: en\n---\n\n# Annex {-}\n"})
    config = load_book_config(book)
    assert [c.numbered for c in config.chapters] == [False, False]


def test_appendices(book: Path) -> None:
    write(book, {"_quarto.yml": BASIC + "  appendices:\n    - app.qmd\n", "app.qmd": "# App\n"})
    config = load_book_config(book)
    assert [(c.source.name, c.appendix) for c in config.chapters][-1] == ("app.qmd", True)


@pytest.mark.parametrize(
    ("extra", "line", "words"),
    [
        ("bookk: 1\n", 8, "unknown key 'bookk'"),
        ("execute:\n  freeze: sometimes\n", 9, "execute.freeze"),
        ("execute:\n  echo: true\n  ecko: false\n", 10, "unknown key 'execute.ecko'"),
        ("format:\n  html: default\n  htm:\n    toc: true\n", 10, "unknown output format 'htm'"),
        ("engine: turbo\n", 8, "engine"),
        ("quartowrap:\n  engine: turbo\n", 9, "quartowrap.engine"),
        ("crossref: 3\n", 8, "crossref"),
    ],
)
def test_validation_errors_name_file_and_line(
    book: Path, extra: str, line: int, words: str
) -> None:
    (book / "_quarto.yml").write_text(BASIC + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_book_config(book)
    assert str(info.value).startswith(f"_quarto.yml:{line}: ")
    assert words in str(info.value)


def test_error_inside_nested_book_key(book: Path) -> None:
    text = BASIC.replace('  title: "T"\n', '  title: "T"\n  autor: "X"\n')
    (book / "_quarto.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^_quarto.yml:5: unknown key 'book.autor'"):
        load_book_config(book)


def test_error_in_metadata_file(book: Path) -> None:
    write(book, {"_metadata.yml": "toc: true\nnumber-sections: maybe\n"})
    with pytest.raises(ConfigError, match=r"^_metadata.yml:2: invalid value for 'number-sections'"):
        load_book_config(book)


def test_missing_chapter_and_duplicate_key(book: Path) -> None:
    (book / "_quarto.yml").write_text(BASIC + "    - ch9.qmd\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^_quarto.yml:8: chapter file not found: ch9.qmd"):
        load_book_config(book)
    (book / "_quarto.yml").write_text(BASIC + "book:\n  title: U\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^_quarto.yml:8: duplicate key 'book'"):
        load_book_config(book)


def test_yaml_syntax_error_has_line(book: Path) -> None:
    (book / "_quarto.yml").write_text(BASIC + "toc: [true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^_quarto.yml:\d+: invalid YAML"):
        load_book_config(book)


def test_project_type_must_be_book(book: Path) -> None:
    (book / "_quarto.yml").write_text(BASIC.replace("type: book", "type: website"), "utf-8")
    with pytest.raises(ConfigError, match=r"^_quarto.yml:2: .*project.type"):
        load_book_config(book)


def test_code_fold_and_summary_are_accepted_project_wide(book: Path) -> None:
    write(book, {"_quarto.yml": BASIC + "code-fold: true\ncode-summary: Show the code\n"})
    config = load_book_config(book)
    assert config.metadata["code-summary"] == "Show the code"
    write(book, {"_quarto.yml": BASIC + "code-summary: [not, text]\n"})
    with pytest.raises(ConfigError, match="code-summary"):
        load_book_config(book)


def test_valid_quarto_presentation_keys_are_accepted(book: Path) -> None:
    """Keys Quarto documents for books and HTML pages validate (they are listed as ignored in
    docs/quarto-compat.md) instead of stopping the build as unknown."""
    extra = (
        "toc-location: left\nbody-classes: wide\nlightbox: true\nlang: fr\n"
        "website:\n  navbar:\n    left: [{href: index.qmd}]\n"
        "language:\n  crossref-fig-title: Fig.\n"
    )
    text = BASIC.replace(
        '  title: "T"\n',
        '  title: "T"\n  repo-link-target: _blank\n  page-footer: "(c) 2024"\n'
        "  navbar:\n    left: [{text: Home, href: index.qmd}]\n",
    )
    write(book, {"_quarto.yml": text + extra})
    config = load_book_config(book)
    assert config.metadata["lightbox"] is True
    assert config.crossref["fig-prefix"] == "Fig." and config.crossref["ch-prefix"] == "Chapitre"
