"""Parsing chapters: cells and their options, inline code, includes and the line map."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation
from quartowrap.project.qmd import CodeCell, MarkdownBlock, parse_qmd

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini-book"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


DOC = """\
---
title: "Doc"
execute:
  echo: true
---

# Heading {#sec-h}

Some text with `{python} n + 1` and ``{python} f"{n}"`` inline.

```{python}
#| label: tbl-x
#| tbl-cap: "A caption"
#| echo: false
n = 41
print(n)
```

```python
not_a_cell = `{python} 1`
```

```{{python}}
shown_verbatim()
```

~~~~{python .wide}
#| fig-cap: >-
#|   Long caption
#|   on two lines
x = 1
~~~~

`inline code`, not an expression.
"""


def test_cells_options_and_lines(tmp_path: Path) -> None:
    write(tmp_path, "ch.qmd", DOC)
    doc = parse_qmd(Path("ch.qmd"), tmp_path)
    assert doc.front_matter == {"title": "Doc", "execute": {"echo": True}}
    cells = doc.cells
    assert len(cells) == 2
    first, second = cells
    assert first.options == {"label": "tbl-x", "tbl-cap": "A caption", "echo": False}
    assert first.label == "tbl-x"
    assert first.location == SourceLocation(Path("ch.qmd"), 11)
    assert first.code == "n = 41\nprint(n)"
    assert first.source.splitlines()[0] == "#| label: tbl-x"
    assert first.location_of(5) == SourceLocation(Path("ch.qmd"), 16)  # print(n)
    assert second.options["fig-cap"] == "Long caption on two lines"
    assert second.classes == ("wide",)
    assert second.location.line == 27
    # the plain ```python block and the escaped cell stay prose
    prose = "\n".join(b.text for b in doc.blocks if isinstance(b, MarkdownBlock))
    assert "not_a_cell" in prose
    assert "```python\nshown_verbatim()" in prose
    assert [type(b).__name__ for b in doc.blocks] == [
        "MarkdownBlock",
        "CodeCell",
        "MarkdownBlock",
        "CodeCell",
        "MarkdownBlock",
    ]


def test_inline_expressions(tmp_path: Path) -> None:
    write(tmp_path, "ch.qmd", DOC)
    doc = parse_qmd(Path("ch.qmd"), tmp_path)
    exprs = doc.inline
    assert [e.code for e in exprs] == ["n + 1", 'f"{n}"']  # not the one in the code block
    assert all(e.location == SourceLocation(Path("ch.qmd"), 9) for e in exprs)
    block = doc.blocks[0]
    assert isinstance(block, MarkdownBlock)
    assert block.text[exprs[0].start : exprs[0].end] == "`{python} n + 1`"


def test_include_expansion_and_line_map(tmp_path: Path) -> None:
    write(
        tmp_path,
        "chapters/main.qmd",
        """\
        # Main

        {{< include _part.qmd >}}

        After the include: `{python} 3`.
        """,
    )
    write(
        tmp_path,
        "chapters/_part.qmd",
        """\
        Included prose `{python} 2`.

        ```{python}
        #| label: fig-inc
        y = 1
        raise ValueError
        ```

        {{< include /shared/_deep.md >}}
        """,
    )
    write(tmp_path, "shared/_deep.md", "Deep text.\n")
    doc = parse_qmd(Path("chapters/main.qmd"), tmp_path)
    assert doc.includes == (Path("chapters/_part.qmd"), Path("shared/_deep.md"))
    (cell,) = doc.cells
    assert cell.location == SourceLocation(Path("chapters/_part.qmd"), 3)
    assert cell.location_of(3) == SourceLocation(Path("chapters/_part.qmd"), 6)
    locs = [(e.code, e.location) for e in doc.inline]
    assert locs == [
        ("2", SourceLocation(Path("chapters/_part.qmd"), 1)),
        ("3", SourceLocation(Path("chapters/main.qmd"), 5)),
    ]
    text = "\n".join(b.text for b in doc.blocks if isinstance(b, MarkdownBlock))
    assert "Deep text." in text and "{{<" not in text


def test_source_hash_covers_included_files(tmp_path: Path) -> None:
    write(tmp_path, "main.qmd", "{{< include _inc.qmd >}}\n")
    write(tmp_path, "_inc.qmd", "one\n")
    before = parse_qmd(Path("main.qmd"), tmp_path).source_hash
    write(tmp_path, "_inc.qmd", "two\n")
    assert parse_qmd(Path("main.qmd"), tmp_path).source_hash != before


def test_include_errors(tmp_path: Path) -> None:
    write(tmp_path, "main.qmd", "text\n\n{{< include missing.qmd >}}\n")
    with pytest.raises(ConfigError, match=r"^main.qmd:3: included file not found: missing.qmd"):
        parse_qmd(Path("main.qmd"), tmp_path)
    write(tmp_path, "a.qmd", "{{< include b.qmd >}}\n")
    write(tmp_path, "b.qmd", "{{< include a.qmd >}}\n")
    with pytest.raises(ConfigError, match=r"include cycle: a\.qmd -> b\.qmd -> a\.qmd"):
        parse_qmd(Path("a.qmd"), tmp_path)


def test_bad_cell_option_names_line(tmp_path: Path) -> None:
    write(tmp_path, "ch.qmd", "# T\n\n```{python}\n#| label: x\n#| echo: sometimes\n1\n```\n")
    with pytest.raises(ConfigError, match=r"^ch.qmd:5: invalid cell option 'echo'"):
        parse_qmd(Path("ch.qmd"), tmp_path)
    write(tmp_path, "ch.qmd", "# T\n\n```{python}\n#| label: [x\n1\n```\n")
    with pytest.raises(ConfigError, match=r"^ch.qmd:4: invalid YAML"):
        parse_qmd(Path("ch.qmd"), tmp_path)


def test_bad_front_matter_names_line(tmp_path: Path) -> None:
    write(tmp_path, "ch.qmd", "---\ntitle: T\nexecute:\n  eval: perhaps\n---\n# T\n")
    with pytest.raises(ConfigError, match=r"^ch.qmd:4: invalid value for 'execute.eval'"):
        parse_qmd(Path("ch.qmd"), tmp_path)


def test_unclosed_fence(tmp_path: Path) -> None:
    write(tmp_path, "ch.qmd", "# T\n\n```{python}\n1\n")
    with pytest.raises(ConfigError, match=r"^ch.qmd:3: code block .* never closed"):
        parse_qmd(Path("ch.qmd"), tmp_path)


def test_md_chapters_execute_nothing(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "# Notes\n\n```{python}\n1\n```\n\n`{python} 1`\n")
    doc = parse_qmd(Path("notes.md"), tmp_path)
    assert not doc.executable and not doc.has_code
    assert all(isinstance(b, MarkdownBlock) for b in doc.blocks)


def test_mini_book_chapters_parse() -> None:
    doc = parse_qmd(Path("chapters/01-data.qmd"), MINI)
    assert doc.front_matter == {"title": "The data"}
    labels = [c.label for c in doc.cells]
    assert labels == [None, "tbl-means"]
    assert [e.code for e in doc.inline] == ["len(scores)", 'scores["region"].nunique()']
    disc = parse_qmd(Path("chapters/03-discussion.qmd"), MINI)
    assert disc.inline[0].location == SourceLocation(Path("chapters/_limitations.qmd"), 3)
    assert isinstance(parse_qmd(Path("chapters/02-results.qmd"), MINI).cells[0], CodeCell)


# --------------------------------------------------------------------------------------
# Shortcodes meta / var / env / pagebreak
# --------------------------------------------------------------------------------------

SHORTCODES = """\
---
title: "T"
who:
  name: Ann
---

Title {{< meta title >}}, book {{< meta book.title >}}, who {{< meta who.name >}}.
Version {{< var version >}}, mail {{< var email.info >}}, home {{< env KCE_T_HOME >}}.
Default {{< env KCE_T_UNSET "none-set" >}}; escaped {{{< var version >}}}.

{{< pagebreak >}}

```{.markdown shortcodes=false}
{{< var version >}}
```

```{python}
s = "{{< var version >}}"
```
"""


def test_shortcodes_expand_from_metadata_variables_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "ch.qmd", SHORTCODES)
    write(tmp_path, "_variables.yml", "version: 1.2\nemail:\n  info: i@example.org\n")
    monkeypatch.setenv("KCE_T_HOME", "/home/ann")
    monkeypatch.delenv("KCE_T_UNSET", raising=False)
    doc = parse_qmd(Path("ch.qmd"), tmp_path, {"book": {"title": "Bk"}, "title": "Project"})
    prose = "\n".join(b.text for b in doc.blocks if isinstance(b, MarkdownBlock))
    assert "Title T, book Bk, who Ann." in prose  # front matter wins over the project
    assert "Version 1.2, mail i@example.org, home /home/ann." in prose
    assert "Default none-set; escaped {{< var version >}}." in prose
    assert "```{=typst}\n#pagebreak(weak: true)\n```" in prose
    assert '<div class="page-break"' in prose
    assert "```{.markdown shortcodes=false}\n{{< var version >}}\n```" in prose
    assert doc.cells[0].code == 's = "{{< var version >}}"'  # cells are code, left alone
    # lines added by the page break keep the shortcode's own line: 11
    block = next(b for b in doc.blocks if isinstance(b, MarkdownBlock) and "pagebreak(" in b.text)
    index = block.text.split("\n").index("#pagebreak(weak: true)")
    assert block.lines[index] == SourceLocation(Path("ch.qmd"), 11)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Text {{< pagebreak >}}", r"ch\.qmd:4: .*pagebreak.* line of its own"),
        ("Text {{< lipsum 2 >}}", r"ch\.qmd:4: .*lipsum.* line of its own"),
        ("{{< placeholder wide >}}", r"ch\.qmd:4: placeholder: sizes must be whole pixels"),
        ("{{< meta who >}}", r"ch\.qmd:4: .*meta who.* is a dict"),
    ],
)
def test_shortcode_errors_name_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, message: str
) -> None:
    monkeypatch.delenv("KCE_T_UNSET", raising=False)
    write(tmp_path, "ch.qmd", f"---\nwho: {{a: {{b: 1}}}}\n---\n{line}\n")  # shortcode: line 4
    with pytest.raises(ConfigError, match=message):
        parse_qmd(Path("ch.qmd"), tmp_path)


def test_missing_keys_print_quartos_marker_with_their_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quarto prints `?meta:key` and goes on; the marker carries file:line for the warning."""
    monkeypatch.delenv("KCE_T_UNSET", raising=False)
    text = "---\nlist: [a, b]\nx.y: dotted\n---\n{{< meta nokey >}} {{< var nokey >}}\n"
    text += "{{< env KCE_T_UNSET >}} {{< meta list >}} {{< meta x\\.y >}}\n"
    write(tmp_path, "ch.qmd", text)
    prose = parse_qmd(Path("ch.qmd"), tmp_path).blocks[0].text
    for name, key in (("meta", "nokey"), ("var", "nokey"), ("env", r"KCE\_T\_UNSET")):
        assert f'[?{name}:{key}]{{.quartowrap-unresolved-shortcode data-source="ch.qmd:' in prose
    assert "a, b dotted" in prose


def test_unknown_shortcodes_print_as_written_with_their_location(tmp_path: Path) -> None:
    """Quarto warns "Shortcode 'x' not found" and prints it as written (an extension's)."""
    text = '# E\n\n{{< fontawesome nb.ipynb#fig-cap_1 >}}\n\nSee {{< ext-thing a="b" ... >}}.\n'
    write(tmp_path, "ch.qmd", text)
    prose = "\n".join(b.text for b in parse_qmd(Path("ch.qmd"), tmp_path).blocks)
    assert (
        r"[\{\{\< fontawesome nb\.ipynb\#fig\-cap\_1 \>\}\}]{.quartowrap-unresolved-shortcode "
        'data-source="ch.qmd:3" data-unknown="fontawesome"}'
    ) in prose
    assert 'data-source="ch.qmd:5" data-unknown="ext-thing"}' in prose
    # pandoc reads the escaped text back exactly as it was written
    import pypandoc

    html = pypandoc.convert_text(prose, "html", format="markdown", extra_args=["--wrap=none"])
    assert "{{&lt; fontawesome nb.ipynb#fig-cap_1 &gt;}}" in html
    assert '{{&lt; ext-thing a="b" ... &gt;}}' in html


def test_metadata_is_normalised_as_quarto_does(tmp_path: Path) -> None:
    text = (
        "---\nlicense: CC BY\nauthor: Ann Marie Author\n---\n"
        "{{< meta license.text >}} | {{< meta license.url >}} | {{< meta author >}} | "
        "{{< meta authors.1.name.literal >}} | {{< meta by-author.1.name.family >}}\n"
    )
    write(tmp_path, "ch.qmd", text)
    prose = parse_qmd(Path("ch.qmd"), tmp_path).blocks[0].text.strip()
    assert prose == (
        "CC BY | https://creativecommons.org/licenses/by/4.0/ | Ann Marie Author | "
        "Ann Marie Author | Author"
    )
    write(tmp_path, "own.qmd", "---\nlicense: My terms\n---\n{{< meta license.text >}}\n")
    assert parse_qmd(Path("own.qmd"), tmp_path).blocks[0].text.strip() == "My terms"
    # a list of authors still prints as their names
    write(tmp_path, "two.qmd", "---\nauthors: [Ann A, Bob B]\n---\n{{< meta authors >}}\n")
    assert parse_qmd(Path("two.qmd"), tmp_path).blocks[0].text.strip() == "Ann A, Bob B"


def test_shortcode_spread_over_lines_and_extension_shortcodes(tmp_path: Path) -> None:
    text = "# K\n\nPress {{< kbd Ctrl-C\n  mac=Command-C >}} now.\n\n{{< lipsum 2 >}}\n"
    write(tmp_path, "ch.qmd", text)
    blocks = parse_qmd(Path("ch.qmd"), tmp_path).blocks
    prose = "\n".join(b.text for b in blocks if isinstance(b, MarkdownBlock))
    assert '<kbd aria-hidden="true" data-mac="Command-C">Ctrl-C</kbd>' in prose
    assert "Lorem ipsum dolor sit amet" in prose and "mac=" not in prose.split("`")[-1]
    assert prose.count("\n\n") >= 3  # two paragraphs of filler, each its own


def test_diagram_cells_become_a_readable_code_block_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the drawing tools (quartowrap[diagrams]) the source is shown under a note."""
    from quartowrap.project import diagrams

    monkeypatch.setattr(diagrams, "available", lambda lang: False)
    write(
        tmp_path,
        "ch.qmd",
        "# D\n\n```{mermaid}\n%%| label: fig-flow\nflowchart LR\n  A --> B\n```\n\nAfter.\n",
    )
    doc = parse_qmd(Path("ch.qmd"), tmp_path)
    assert doc.cells == ()
    [block] = doc.blocks
    assert "::: {.diagram-source .diagram-mermaid}\nDiagram source (mermaid)." in block.text
    assert "```{.mermaid}\nflowchart LR\n  A --> B\n```\n\n:::\n\nAfter." in block.text
    assert "%%|" not in block.text
    # the code lines keep their own source lines
    lines = block.text.split("\n")
    assert block.lines[lines.index("flowchart LR")] == SourceLocation(Path("ch.qmd"), 5)


def _notebook(cells: list[dict]) -> str:
    import json

    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_embed_shows_a_notebook_cells_stored_outputs(tmp_path: Path) -> None:
    """Quarto's `{{< embed nb.ipynb#label >}}`: the labelled cell's outputs, a `fig-` label
    with its `fig-cap` as a numbered figure; the notebook is not run."""
    png = "iVBORw0KGgo="  # any base64 payload: it is passed through as data
    cells = [
        {"cell_type": "code", "id": "c1", "source": ["#| label: other\n", "1"], "outputs": []},
        {
            "cell_type": "code",
            "id": "c2",
            "source": ["#| label: fig-plot\n", "#| fig-cap: Stored plot\n", "plot()"],
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["printed 12\n"]},
                {"output_type": "display_data", "data": {"image/png": png, "text/html": "<b>x"}},
            ],
        },
    ]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nb.ipynb").write_text(_notebook(cells), encoding="utf-8")
    write(tmp_path, "sub/ch.qmd", "# E\n\n{{< embed nb.ipynb#fig-plot >}}\n")
    doc = parse_qmd(Path("sub/ch.qmd"), tmp_path)
    prose = "\n".join(b.text for b in doc.blocks)
    assert '::::: {.cell .quarto-embed-nb-cell notebook="nb.ipynb"}' in prose
    assert ":::: {.cell-output .cell-output-stdout}\n\n```\nprinted 12\n```" in prose
    assert f"![Stored plot](data:image/png;base64,{png}){{#fig-plot}}" in prose
    assert "<b>" not in prose  # a notebook's HTML output is never markup here
    for line, message in (
        ("{{< embed nb.ipynb#nope >}}", r"sub/ch\.qmd:3: embed: no cell labelled 'nope'"),
        ("{{< embed gone.ipynb#x >}}", r"sub/ch\.qmd:3: embed: notebook not found"),
        ("{{< embed ../../out.ipynb#x >}}", r"sub/ch\.qmd:3: .*outside the project"),
        ("See {{< embed nb.ipynb#c1 >}}.", r"sub/ch\.qmd:3: .*embed.* line of its own"),
    ):
        write(tmp_path, "sub/ch.qmd", f"# E\n\n{line}\n")
        with pytest.raises(ConfigError, match=message):
            parse_qmd(Path("sub/ch.qmd"), tmp_path)
