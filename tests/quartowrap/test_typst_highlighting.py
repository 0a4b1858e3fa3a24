"""Code in the PDF is highlighted as Quarto 1.9 does: skylighting by default, `syntax-highlighting`
(or the older `highlight-style`) to choose a style, `idiomatic` or `none`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.assemble.book import assemble_book
from quartowrap.errors import ConfigError
from quartowrap.model import BookConfig, ExecutedChapter
from quartowrap.project.theme import builtin_theme
from quartowrap.writers.frontmatter import build_front_matter
from quartowrap.writers.typst.highlighting import highlighting_choice, write_highlighting
from quartowrap.writers.typst.pdf import typst_source, write_pdf

MARKDOWN = "# Code\n\n```python\nimport numpy as np  # a comment\nx = np.arange(3)\n```\n"


def _book(tmp_path: Path, **config: object):
    book_config = BookConfig(root=tmp_path, title="T", date="2022", **config)  # type: ignore[arg-type]
    return assemble_book(book_config, [ExecutedChapter(Path("01.qmd"), {}, MARKDOWN)])


def _source(tmp_path: Path, **config: object) -> str:
    book = _book(tmp_path, **config)
    return typst_source(book, build_front_matter(book, version="1"))


def test_by_default_code_is_written_as_skylighting_tokens_coloured_by_the_theme(tmp_path):
    source = _source(tmp_path)
    assert '#ImportTok("import")' in source and "#Skylighting((" in source
    assert '#import "highlighting.typ": *' in source
    write_highlighting(_book(tmp_path).config, builtin_theme("default"), tmp_path)
    theme_file = (tmp_path / "highlighting.typ").read_text(encoding="utf-8")
    assert "#let ImportTok" in theme_file and "#let Skylighting(" in theme_file


@pytest.mark.parametrize(
    ("metadata", "formats", "expected"),
    [
        ({}, {}, "default"),
        ({"syntax-highlighting": "tango"}, {}, "tango"),
        ({"highlight-style": "zenburn"}, {}, "zenburn"),  # Quarto's older name
        (
            {"syntax-highlighting": "tango"},
            {"typst": {"syntax-highlighting": "idiomatic"}},
            "idiomatic",
        ),
        ({}, {"pdf": {"highlight-style": {"light": "kate", "dark": "zenburn"}}}, "kate"),
    ],
)
def test_the_option_is_read_as_quarto_reads_it(tmp_path, metadata, formats, expected):
    config = BookConfig(root=tmp_path, title="T", metadata=metadata, formats=formats)
    assert highlighting_choice(config) == expected


def test_idiomatic_leaves_code_to_typst_and_none_prints_it_plain(tmp_path):
    idiomatic = _source(tmp_path, formats={"typst": {"syntax-highlighting": "idiomatic"}})
    assert "```python\nimport numpy as np" in idiomatic and "Skylighting" not in idiomatic
    plain = _source(tmp_path, metadata={"syntax-highlighting": "none"})
    assert "Skylighting" not in plain and "ImportTok" not in plain
    assert "import numpy as np  # a comment" in plain


def test_a_named_style_brings_pandocs_definitions_of_it(tmp_path):
    config = _book(tmp_path, metadata={"syntax-highlighting": "tango"}).config
    write_highlighting(config, builtin_theme("kce"), tmp_path)
    definitions = (tmp_path / "highlighting.typ").read_text(encoding="utf-8")
    assert "#let KeywordTok(s)" in definitions and "#let Skylighting(" in definitions
    assert "#204a87" in definitions  # tango's keyword blue


def test_a_theme_file_outside_the_project_is_refused(tmp_path):
    project = tmp_path / "book"
    project.mkdir()
    (tmp_path / "outside.theme").write_text("{}", encoding="utf-8")
    (project / "_quarto.yml").write_text(
        "project:\n  type: book\nsyntax-highlighting: ../outside.theme\n", encoding="utf-8"
    )
    config = BookConfig(
        root=project, title="T", metadata={"syntax-highlighting": "../outside.theme"}
    )
    with pytest.raises(ConfigError, match=r"_quarto\.yml:3: .*outside the project"):
        write_highlighting(config, builtin_theme("default"), tmp_path)


def test_highlighted_code_prints_as_searchable_text_in_both_themes(tmp_path):
    for theme in ("default", "kce"):
        book = _book(tmp_path, theme=builtin_theme(theme))
        out = tmp_path / f"{theme}.pdf"
        write_pdf(book, out, version="1")
        text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
        assert "import numpy as np # a comment" in " ".join(text.split())


def test_code_highlighted_before_execution_gives_the_same_typst(tmp_path, monkeypatch):
    """The echoed code is highlighted from the sources while the kernels start; the typst
    writer then gets it ready, and its output is what pandoc would have written."""
    from quartowrap.execute.weave import echoed_code
    from quartowrap.project.config import load_book_config
    from quartowrap.writers.typst import highlighting

    root = tmp_path / "book"
    root.mkdir()
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: T\n  chapters: [a.qmd]\n", encoding="utf-8"
    )
    (root / "a.qmd").write_text(
        "# A\n\n```{python}\n#| echo: true\nimport numpy as np  # shown\n```\n\n"
        "```{python}\n#| echo: false\nhidden = 1\n```\n\n"
        "```{python}\n#| echo: fenced\nfenced = 2\n```\n",
        encoding="utf-8",
    )
    config = load_book_config(root)
    fences = echoed_code(config)
    assert len(fences) == 2 and "hidden" not in "".join(fences)
    assert fences[0].startswith("```{.python .cell-code}") and "```{python}" in fences[1]
    # the same blocks as weave writes them, parsed by pandoc into the chapter
    markdown = "# A\n\n" + "\n\n".join(fences) + "\n"
    book = assemble_book(config, [ExecutedChapter(Path("a.qmd"), {}, markdown)])
    fm = build_front_matter(book, version="1")
    monkeypatch.setattr(highlighting, "_HIGHLIGHTED", {})
    monkeypatch.setattr(highlighting, "_SEEN", set())
    by_pandoc = typst_source(book, fm)
    highlighting.prehighlight(config, fences)
    assert len(highlighting._HIGHLIGHTED) == 2
    ready = highlighting.highlighted(book.chapters[0].ast["blocks"], config)
    assert sum(b.get("t") == "RawBlock" for b in ready) == 2
    assert typst_source(book, fm) == by_pandoc
    calls: list[str] = []
    monkeypatch.setattr(highlighting, "run_pandoc", lambda *a: calls.append(a[2]) or "")
    highlighting.prehighlight(config, fences)  # the same book again: nothing to do
    assert calls == []


def test_code_is_highlighted_ahead_only_when_chapters_execute(tmp_path, monkeypatch):
    """A build the freeze serves whole executes nothing: it does not start (or wait for)
    the advance highlighting."""
    from quartowrap.commands import render

    root = tmp_path / "book"
    root.mkdir()
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: T\n  chapters: [a.qmd]\n", encoding="utf-8"
    )
    (root / "a.qmd").write_text("# A\n\n```{python}\nx = 1\n```\n", encoding="utf-8")
    calls: list[Path] = []
    monkeypatch.setattr(render, "_prehighlight", lambda config: calls.append(config.root))
    options = render.RenderOptions(engine="embedded")
    render.render_project(root, options)
    assert calls == [root.resolve()]  # the chapter executed: highlighted while it ran
    render.render_project(root, options)
    assert len(calls) == 1  # nothing executed the second time
