"""Data passed between the stages of the embedded engine.

The pipeline is: config -> qmd parse -> execute (or reuse from freeze) -> assemble
(pandoc + Lua filters, book-wide cross-references and citations) -> html / typst
writers -> release.  Each stage takes and returns the plain dataclasses below, so a
stage can be tested on its own and the stages never reach into each other's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

OutputFormat = Literal["html", "pdf"]
EngineName = Literal["auto", "embedded", "quarto"]


@dataclass(frozen=True)
class SourceLocation:
    """A place in an author's file, for error messages (`file:line`)."""

    path: Path  # relative to the project root, e.g. chapters/03-maturity.qmd
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.path.as_posix()}:{self.line}"


@dataclass(frozen=True)
class ChapterRef:
    """One entry of the book's chapter list, in reading order."""

    source: Path  # relative to the project root
    part: str | None = None  # title of the part the chapter belongs to, if any
    appendix: bool = False
    numbered: bool = True  # False for index.qmd, references.qmd and `.unnumbered` chapters

    @property
    def slug(self) -> str:
        """File stem used for the HTML page and anchors (`03-maturity`)."""
        return self.source.stem


@dataclass(frozen=True)
class TableOutput:
    """A labelled table produced by a cell: the data behind it goes to tables/<label>.csv."""

    label: str  # tbl-...
    caption: str
    csv: str  # tidy UTF-8 CSV text (header row first), written verbatim to the release
    model: dict[str, Any] | None = None  # quartowrap.tables.model.Table as JSON, when known


@dataclass(frozen=True)
class FigureOutput:
    """A labelled figure produced by a cell."""

    label: str  # fig-...
    caption: str
    alt: str | None
    svg: Path  # absolute path of the SVG file in the build's resource directory
    csv: str | None = None  # data behind the figure, when the cell provided it


@dataclass(frozen=True)
class Dependencies:
    """What a chapter's execution depended on, by content hash (for freeze)."""

    modules: dict[str, str] = field(default_factory=dict)  # project-relative .py path -> sha256
    data_files: dict[str, str] = field(default_factory=dict)  # project-relative path -> sha256


@dataclass(frozen=True)
class ExecutedChapter:
    """A chapter after its cells ran: plain pandoc markdown plus side outputs.

    `markdown` is Quarto-flavoured pandoc markdown in which every cell has been replaced
    by its outputs: labelled tables as a pandoc table whose caption carries `{#tbl-x}`,
    labelled figures as `![caption](path){#fig-x fig-alt="..."}`, echoed code as
    ```` ```{.python .cell-code} ```` blocks, each output in a `.cell-output` div and the
    whole cell in a `.cell` div (Quarto's HTML structure), and inline `{python}`
    expressions as their value.  Image paths are absolute.
    """

    source: Path  # relative to the project root
    front_matter: dict[str, Any]
    markdown: str
    tables: tuple[TableOutput, ...] = ()
    figures: tuple[FigureOutput, ...] = ()
    dependencies: Dependencies = field(default_factory=Dependencies)
    seconds: float = 0.0
    from_freeze: bool = False


@dataclass(frozen=True)
class ExecuteOptions:
    """Quarto `execute:` options (project level; cells and front matter may override).

    The defaults are Quarto's (code and warnings shown), so a Quarto user's document looks
    as Quarto renders it; a report hides them with `execute: echo: false, warning: false`.
    """

    echo: bool = True
    eval: bool = True
    warning: bool = True
    error: bool = False  # True: a failing cell shows its error instead of stopping the build
    output: bool = True
    include: bool = True
    freeze: bool | Literal["auto"] = "auto"
    timeout: float = 600.0  # seconds one cell may run (`execute: timeout:`); <= 0: no limit


@dataclass(frozen=True)
class PrintGeometry:
    """Where a theme's PDF prints tables: text column and page widths and the text height
    (points), the table font (files relative to the theme folder; none: typst's own fonts,
    measured by estimate), its size and the smallest size a too-wide table may shrink to."""

    column_width: float = 453.0
    page_width: float = 453.0
    text_height: float = 700.0
    table_regular: str | None = None
    table_bold: str | None = None
    table_size: float = 9.0
    table_min_size: float = 7.0
    figure_max_height: float = 400.0  # the tallest image (the template's `qw-image-max`)


@dataclass(frozen=True)
class Theme:
    """A house style: the folder that holds it and what its `theme.yml` declares.

    Loaded by `project/theme.py`; the writers read their templates, stylesheets, CSL and
    fonts from `root`, so an organisation restyles a book by copying a theme folder.
    """

    name: str
    root: Path  # absolute path of the theme folder
    metadata_key: str | None = None  # top-level YAML key with the house metadata (`kce`)
    metadata_defaults: dict[str, Any] = field(default_factory=dict)
    report_label: str | None = None  # "KCE Report {report-number}"
    citation_series: str | None = None  # "KCE Reports {report-number}"
    slug: str | None = None  # PDF file stem, e.g. "kce-report-{report-number}"
    typst_template: str = "typst/template.typ"
    typst_partials: tuple[str, ...] = ()  # files of the typst folder a book may replace
    css: tuple[str, ...] = ()  # stylesheets in the theme's `html/` folder, linked after site.css
    csl: str | None = None  # default citation style (a book's `csl:` wins)
    fonts: str | None = None  # folder of font files the PDF may use (None: typst's own)
    callouts: tuple[tuple[str, str], ...] = ()  # extra callout kinds and their titles
    # defaults for the book's `crossref:` options (e.g. the caption's `title-delim`)
    crossref: tuple[tuple[str, str], ...] = ()
    abbreviations: str | None = None  # CSV relative to the data directory
    glossary: str | None = None
    colophon: tuple[tuple[str, str], ...] = ()  # (metadata key, label), in order
    geometry: PrintGeometry = field(default_factory=PrintGeometry)  # tables in the PDF

    def path(self, relative: str) -> Path:
        return self.root / relative


@dataclass(frozen=True)
class BookConfig:
    """The merged project configuration (`_quarto.yml` + `_metadata.yml`), validated."""

    root: Path  # absolute project root
    title: str
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None
    version: str | None = None
    chapters: tuple[ChapterRef, ...] = ()  # reading order, appendices last
    bibliography: tuple[Path, ...] = ()  # absolute paths
    csl: Path | None = None
    crossref: dict[str, Any] = field(default_factory=dict)  # Quarto crossref options
    execute: ExecuteOptions = field(default_factory=ExecuteOptions)
    formats: dict[str, dict[str, Any]] = field(default_factory=dict)  # "html", "pdf" options
    # The theme's house metadata: the block under the theme's `metadata-key` (`kce:`).
    kce: dict[str, Any] = field(default_factory=dict)
    # The theme (`quartowrap: theme:` / `theme-dir:`); None when a BookConfig is built in
    # code: then `project.theme.theme_of` picks kce for a book with a `kce:` block.
    theme: Theme | None = None
    data_dir: Path | None = None  # `--data-dir` (None: <root>/data)
    css: tuple[Path, ...] = ()  # the book's own stylesheets (Quarto's `css:`), absolute
    engine: EngineName = "auto"  # from `quartowrap: engine:` (Quarto's `engine:` is jupyter/knitr)
    output_dir: Path = Path("_output")  # relative to root
    metadata: dict[str, Any] = field(default_factory=dict)  # the whole merged mapping


# fig/tbl/sec/eq as in Quarto; lst (listings); subfig/subtbl (a lettered part of a figure or
# table panel); theorem-like blocks thm, lem, cor, prp, cnj, def, exm, exr.
XrefKind = Literal[
    "fig",
    "tbl",
    "sec",
    "eq",
    "lst",
    "subfig",
    "subtbl",
    "thm",
    "lem",
    "cor",
    "prp",
    "cnj",
    "def",
    "exm",
    "exr",
]


@dataclass(frozen=True)
class XrefEntry:
    """One cross-reference target, numbered consecutively through the book."""

    id: str  # e.g. tbl-pacic-items
    kind: XrefKind
    number: str  # "17" for tables/figures; "3.2.1" or "A.1" for sections
    chapter: str  # slug of the chapter (HTML page) that holds the target
    caption: str  # plain-text caption or heading title
    label: str  # what a reference prints, e.g. "Table 17", "Figure 9", "Section 3.2"


@dataclass(frozen=True)
class AssembledChapter:
    """A chapter after book-wide filters: its own pandoc JSON AST, references resolved.

    In `ast`, a resolved cross-reference is a pandoc Link to `#<id>` with class
    `quarto-xref`; HTML pages rewrite it to `<chapter>.html#<id>` from `AssembledBook.xrefs`,
    the single typst document keeps it as an internal link.  Headings carry their number
    in the attribute `number`; tables and figures carry `number` too.
    """

    ref: ChapterRef
    title: str  # plain-text title
    number: str | None  # "3", "A", or None for unnumbered chapters
    ast: dict[str, Any]  # full pandoc JSON document: {"pandoc-api-version", "meta", "blocks"}


@dataclass(frozen=True)
class AssembledBook:
    """The whole book, ready for the HTML and typst writers."""

    config: BookConfig
    chapters: tuple[AssembledChapter, ...]
    xrefs: dict[str, XrefEntry]
    tables: tuple[TableOutput, ...]  # labelled tables in book order (for CSV export + list)
    figures: tuple[FigureOutput, ...]  # labelled figures in book order
    warnings: tuple[str, ...] = ()  # unresolved references/citations as `file:line: …`
    # what numbering one chapter alone needs (preview): per chapter the counters at its
    # start and its header ids, every cross-reference entry, the citation keys in order
    numbering: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderOptions:
    """What to build; mirrors the command line of `python -m quartowrap render`."""

    to: tuple[OutputFormat, ...] = ("html", "pdf")
    chapter: Path | None = None  # render only this chapter (HTML page), for fast author loops
    engine: EngineName | None = None  # None: the project's `quartowrap: engine:`, else auto
    strict: bool = False
    data_dir: Path | None = None
    use_freeze: bool = True
    version: str | None = None  # None: derived from git (see release.resolve_version)
    output_root: Path | None = None  # None: <root>/<project output-dir>
    jobs: int = 2
    params: dict[str, Any] = field(default_factory=dict)  # -P / --execute-params values
