"""Write the assembled book as a PDF in its theme's style: pandoc → typst → typst.compile.

The theme (`project/theme.py`) supplies the typst template and its partials (copied into
the build folder, where the book's `format: typst: template-partials:` files replace the
theme's of the same name) and the fonts.  One pandoc call writes the whole typst source:
a preamble (template import, cover,
colophon, front matter), then every chapter's blocks through filters/typst.lua.  Front-matter
strings travel as JSON (`frontmatter.json`) and are printed by the template as typst
strings, so stakeholder text such as `#set page(...)`, `$x$`, `@ref` or `<script>` can
never be read as typst markup; markdown pieces (foreword, key messages, the body) are
escaped by pandoc's typst writer.

Fonts come only from the theme's font folder (KCE: Source Sans 3, SIL OFL) and the fonts
compiled into the `typst` wheel (Libertinus Serif, DejaVu Sans Mono, New Computer Modern
Math); system fonts are
ignored, so every machine produces the same PDF.  The PDF is byte-identical across builds:
the build date is SOURCE_DATE_EPOCH (or absent when it is unset).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typst

from quartowrap.assemble.book import parse_markdown, run_pandoc
from quartowrap.assemble.conditional import resolve_conditions
from quartowrap.errors import BuildError, ConfigError
from quartowrap.model import AssembledBook, BookConfig, Theme
from quartowrap.project.theme import caption_delimiter, theme_of
from quartowrap.tables.typst import delimiter_inlines
from quartowrap.writers.frontmatter import FrontMatter, build_front_matter, section_span
from quartowrap.writers.typst.figure_fit import fit_figures
from quartowrap.writers.typst.highlighting import (
    HIGHLIGHTING_FILE,
    highlighted,
    highlighting_choice,
    pandoc_option,
    write_highlighting,
)
from quartowrap.writers.typst.media import localise_images
from quartowrap.writers.typst.tables import print_tables

WRITER_DIR = Path(__file__).resolve().parent
TYPST_FILTER = WRITER_DIR / "typst.lua"
# `-citations`: print citeproc's rendered citations instead of typst `#cite` calls.
TYPST_WRITER = "typst-citations"


def _raw(text: str) -> dict[str, Any]:
    return {"t": "RawBlock", "c": ["typst", text]}


def _markdown_blocks(markdown: str) -> list[dict[str, Any]]:
    return parse_markdown(markdown)["blocks"]


def _preamble(
    fm: FrontMatter,
    dated: bool,
    template: str,
    draft: str | None = None,
    standalone: bool = False,
) -> list[dict[str, Any]]:
    """Template import, cover, colophon and front matter as raw typst around pandoc blocks.

    `template` is the theme's template file; `draft` is the mark printed on every page of a
    development build (`qw-document`'s `draft:` parameter); a JSON string literal is a valid
    typst string for such text.  A `standalone` document (`render doc.qmd`) prints as an
    article, as Quarto's: no cover, colophon or contents; its title block opens the first
    page (the document's own title heading, subtitle, authors and date, in its blocks).
    """
    mark = "none" if draft is None else json.dumps(draft, ensure_ascii=False)
    blocks = [
        _raw(
            f'#import "{template}": *\n'
            f'#import "{HIGHLIGHTING_FILE}": *\n'
            '#let fm = json("frontmatter.json")\n'
            f"#show: qw-document.with(fm, draft: {mark})\n"
            + ("" if dated else "#set document(date: none)\n")
        ),
    ]
    if standalone:
        return [*blocks, _raw("#set page(numbering: qw-body-numbering)")]
    blocks += [
        _raw("#qw-cover(fm)\n#qw-colophon(fm)"),
        _raw("#qw-front(fm, foreword: " + ("[" if fm.foreword_md else "none")),
    ]
    if fm.foreword_md:
        blocks += [*_markdown_blocks(fm.foreword_md), _raw("]")]
    blocks.append(_raw(", key-messages: ("))
    for item in fm.key_messages_md:
        blocks += [_raw("["), *_markdown_blocks(item), _raw("],")]
    blocks.append(_raw("))"))
    # The body's pages are numbered from 1 (front matter: i, ii, …); typst writes both as PDF
    # page labels. A page set rule starts a new page, as the first chapter does anyway.
    blocks.append(_raw("#set page(numbering: qw-body-numbering)\n#counter(page).update(1)"))
    return blocks


def _text_inlines(text: str) -> list[dict[str, Any]]:
    """Plain text as pandoc inlines (the writer escapes it; nothing is read as markup)."""
    out: list[dict[str, Any]] = []
    # split at ordinary spaces only: a no-break space ("Table\u00a01") stays in its word
    for i, word in enumerate(w for w in re.split(r"[ \t\r\n]+", text) if w):
        if i:
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": word})
    return out


def _chapter_blocks(blocks: list[dict[str, Any]], fm: FrontMatter, source: str) -> list:
    """A chapter's blocks for the PDF: lifted sections removed, chapter authors added."""
    blocks = list(blocks)
    for ident in fm.lifted_sections:
        span = section_span(blocks, ident)
        if span:
            del blocks[span[0] : span[1]]
    authors = dict(fm.chapter_authors).get(source)
    if authors:
        first_h1 = next(
            (i for i, b in enumerate(blocks) if b["t"] == "Header" and b["c"][0] == 1), None
        )
        line = {
            "t": "Div",
            "c": [
                ["", ["chapter-authors"], []],
                [{"t": "Para", "c": _text_inlines(f"Authors: {authors}")}],
            ],
        }
        blocks.insert(0 if first_h1 is None else first_h1 + 1, line)
    return blocks


def _table_panels(value: Any, delim: str = ":") -> Any:
    """Panels of sub-tables (crossref.lua: a `tbl-` Figure of class `quarto-layout-panel`)
    as the PDF prints them: the panel's "Table N: caption" (`delim` after the number) as a
    paragraph carrying its label, then each part as a table of its own captioned "(a) caption"."""
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            new = _table_panels(item, delim)
            out.extend(new if isinstance(item, dict) and isinstance(new, list) else [new])
        return out
    if not isinstance(value, dict) or "t" not in value:
        return value
    if value["t"] == "Figure":
        (ident, classes, kvs), (_short, caption), body = value["c"]
        if ident.startswith("tbl-") and "quarto-layout-panel" in classes:
            label = dict(kvs).get("xref-label", "")
            inlines = [i for b in caption if b["t"] in {"Plain", "Para"} for i in b["c"]]
            lead = [*_text_inlines(label), *delimiter_inlines(delim)]
            head = [{"t": "Strong", "c": [*lead, *inlines]}]
            out = [{"t": "Div", "c": [[ident, [], []], [{"t": "Para", "c": head}]]}]
            for block in _table_panels(body, delim):
                if block["t"] == "Table":
                    attr, (short, part_caption), *rest = block["c"]
                    sub = dict(attr[2]).get("subfig-label", "")
                    first = [i for b in part_caption if b["t"] in {"Plain", "Para"} for i in b["c"]]
                    part_caption = [
                        {"t": "Plain", "c": [*_text_inlines(sub), {"t": "Space"}, *first]}
                    ]
                    kept = [kv for kv in attr[2] if kv[0] not in ("subfig-label", "parent")]
                    block = {
                        "t": "Table",
                        "c": [[attr[0], attr[1], kept], [short, part_caption], *rest],
                    }
                out.append(block)
            return out
    if value["t"] in {"Div", "BlockQuote", "Figure"}:
        return {**value, "c": _table_panels(value["c"], delim)}
    return value


def typst_source(
    book: AssembledBook,
    fm: FrontMatter,
    *,
    dated: bool = True,
    draft: str | None = None,
    standalone: bool = False,
) -> str:
    """The complete typst document (main.typ) for `book` (`standalone`: a lone document)."""
    first = book.chapters[0].ast
    theme = theme_of(book.config)
    template = Path(theme.typst_template).name
    blocks = _preamble(fm, dated, template, draft, standalone)
    models = {t.label: t.model for t in book.tables if t.model is not None}
    delim = caption_delimiter(book.config)
    for chapter in book.chapters:
        body = resolve_conditions(chapter.ast["blocks"], fmt="typst")  # `when-format`
        body = highlighted(body, book.config)  # code highlighted in advance (highlighting.py)
        body = _chapter_blocks(body, fm, chapter.ref.source.as_posix())
        body = _table_panels(body, delim)
        blocks.extend(print_tables(body, models, theme.geometry, theme.root, delim))
    meta = {"quartowrap-title-delim": {"t": "MetaString", "c": delim}}
    doc = {"pandoc-api-version": first["pandoc-api-version"], "meta": meta, "blocks": blocks}
    source = run_pandoc(
        [
            "-f",
            "json",
            "-t",
            TYPST_WRITER,
            "--lua-filter",
            str(TYPST_FILTER),
            "--wrap=preserve",
            f"--syntax-highlighting={pandoc_option(highlighting_choice(book.config), book.config)}",
        ],
        json.dumps(doc),
        "writing typst",
    )
    return source


def draft_mark(version: str) -> str:
    """What every page of a development build's PDF says, so a draft is never mistaken for
    the report."""
    return f"Draft — not a published version ({version})"


def write_typst_project(
    book: AssembledBook,
    directory: Path,
    *,
    version: str,
    commit: str | None = None,
    draft: bool = False,
    roots: Sequence[Path] = (),
    warnings: list[str] | None = None,
    standalone: bool = False,
) -> Path:
    """Write main.typ, the theme's template files (with the book's partials), frontmatter.json
    and media/ into `directory`; return main.typ.

    Images are read only from the project root and `roots` (e.g. `--data-dir`).
    """
    dated = "SOURCE_DATE_EPOCH" in os.environ
    fm = build_front_matter(book, version=version, commit=commit)
    directory.mkdir(parents=True, exist_ok=True)
    said = [] if warnings is None else warnings
    book = localise_images(book, directory, roots, said)
    book = fit_figures(book, directory, theme_of(book.config).geometry, said)
    copy_template(book.config, theme_of(book.config), directory)
    (directory / "frontmatter.json").write_text(
        json.dumps(dataclasses.asdict(fm), ensure_ascii=False, indent=1, sort_keys=True),
        encoding="utf-8",
    )
    main = directory / "main.typ"
    mark = draft_mark(version) if draft else None
    source = typst_source(book, fm, dated=dated, draft=mark, standalone=standalone)
    main.write_text(source, encoding="utf-8")
    return main


def template_partials(config: BookConfig) -> list[Path]:
    """The book's `format: typst: template-partials:` files (inside the project)."""
    value = (config.formats.get("typst") or {}).get("template-partials") or []
    partials = []
    for rel in [value] if isinstance(value, str) else list(value):
        path = (config.root / str(rel)).resolve()
        if not path.is_relative_to(config.root) or not path.is_file():
            raise ConfigError(
                f"format.typst.template-partials: file not found in the project: {rel}"
            )
        partials.append(path)
    return partials


def copy_template(config: BookConfig, theme: Theme, directory: Path) -> None:
    """The theme's typst folder and its code highlighting (highlighting.py), then the book's
    partials over the files of the same name."""
    source = theme.path(theme.typst_template).parent
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = directory / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    write_highlighting(config, theme, directory)
    for partial in template_partials(config):
        shutil.copyfile(partial, directory / partial.name)


def font_dirs(theme: Theme) -> list[str]:
    """Font folders for typst: the theme's (if it has one); typst's own fonts always."""
    return [str(theme.path(theme.fonts))] if theme.fonts else []


def _timestamp() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH must be an integer, got {value!r}") from None


DEFAULT_STANDARDS = ("ua-1",)  # tagged, accessible PDF unless the book asks otherwise
_STANDARD_ERROR = re.compile(r"PDF/(?:UA|A)-\S+ error: [^\n]*")


def pdf_standards(formats: dict[str, dict[str, Any]]) -> tuple[tuple[str, ...], bool]:
    """(standards, explicit) from `format: typst|pdf: pdf-standard:` (Quarto's option name).

    Without the option the PDF aims at PDF/UA-1; `pdf-standard: none` (or `[]`) turns it off.
    """
    for name in ("typst", "pdf"):
        value = (formats.get(name) or {}).get("pdf-standard")
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value or [])
        chosen = tuple(str(v).lower() for v in values if str(v).lower() not in {"none", "false"})
        return chosen, True
    return DEFAULT_STANDARDS, False


def compile_typst(
    main: Path,
    standards: Sequence[str] = (),
    *,
    explicit: bool = True,
    fonts: Sequence[str] = (),
) -> tuple[bytes, list[str]]:
    """Compile with the theme's fonts only, confined to main.typ's folder: the document can
    read nothing but the files written there (see media.py), never the rest of the machine.

    Returns the PDF and warnings. When the default standard (PDF/UA-1) cannot be met — a
    user's image without alt text, say — the PDF is built without it and a warning says why;
    a standard the book asked for explicitly is an error instead.
    """
    warnings: list[str] = []
    try:
        return _compile(main, standards, fonts), warnings
    except Exception as exc:  # typst raises TypstError with the source position in the text
        problems = _STANDARD_ERROR.findall(str(exc))
        if not standards or explicit or not problems:
            raise BuildError(f"typst failed to compile {main.name}", detail=str(exc)) from exc
        warnings.append(
            "the PDF is not PDF/UA-1 (accessible): " + "; ".join(dict.fromkeys(problems))
        )
    try:
        return _compile(main, (), fonts), warnings
    except Exception as exc:
        raise BuildError(f"typst failed to compile {main.name}", detail=str(exc)) from exc


def _compile(main: Path, standards: Sequence[str], fonts: Sequence[str]) -> bytes:
    kwargs: dict[str, Any] = {"pdf_standards": list(standards)} if standards else {}
    return typst.compile(
        str(main),
        root=str(main.parent.resolve()),
        font_paths=list(fonts),
        ignore_system_fonts=True,
        timestamp=_timestamp(),
        **kwargs,
    )


def write_pdf(
    book: AssembledBook,
    out_pdf: Path,
    *,
    version: str,
    commit: str | None = None,
    keep_source: Path | None = None,
    draft: bool = False,
    roots: Sequence[Path] = (),
    standalone: bool = False,
) -> list[str]:
    """Render `book` to `out_pdf` (written atomically); return warnings.

    `keep_source` keeps the .typ files; `draft` prints the development-build mark on every
    page; `roots` are folders besides the project whose images the book may show
    (--data-dir); `standalone` prints a lone document as an article (no book front matter).
    """
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="quartowrap-typst-") as tmp:
        directory = keep_source or Path(tmp)
        main = write_typst_project(
            book,
            directory,
            version=version,
            commit=commit,
            draft=draft,
            roots=roots,
            warnings=warnings,
            standalone=standalone,
        )
        standards, explicit = pdf_standards(book.config.formats)
        fonts = font_dirs(theme_of(book.config))
        pdf, compile_warnings = compile_typst(main, standards, explicit=explicit, fonts=fonts)
        warnings += compile_warnings
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    partial = out_pdf.with_name(out_pdf.name + ".partial")
    partial.write_bytes(pdf)
    partial.replace(out_pdf)
    return warnings
