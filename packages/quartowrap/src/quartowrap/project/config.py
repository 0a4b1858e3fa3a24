"""Read and validate a Quarto book project (`_quarto.yml` + `_metadata.yml` + front matter).

Quarto itself accepts almost any key and silently ignores typos; a report build should not,
so every mapping is checked against a pydantic schema and a bad key is reported with the file
and line it sits on (PyYAML's node marks give the line).  Merging follows Quarto: the project
file, then `_metadata.yml` files from the project root down to a document's directory, then
the document's front matter; mappings merge key by key and lists are concatenated without
duplicates (so a chapter's `bibliography:` adds to the project's).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quartowrap.errors import ConfigError
from quartowrap.model import BookConfig, ChapterRef, ExecuteOptions, SourceLocation, Theme
from quartowrap.project.confine import confine
from quartowrap.project.dates import format_date
from quartowrap.project.language import localised_crossref
from quartowrap.project.theme import theme_from_metadata

PROJECT_FILE = "_quarto.yml"
METADATA_FILE = "_metadata.yml"

# Output formats Quarto knows (`quarto render --to …`); anything else is a typo.
KNOWN_FORMATS = frozenset(
    {
        "html",
        "pdf",
        "typst",
        "docx",
        "odt",
        "epub",
        "latex",
        "beamer",
        "revealjs",
        "pptx",
        "gfm",
        "commonmark",
        "markdown",
        "md",
        "ipynb",
        "jats",
        "rtf",
        "asciidoc",
        "context",
        "dashboard",
        "hugo-md",
        "docusaurus-md",
        "confluence-html",
    }
)

# Chapters Quarto never numbers, whatever their heading says.
UNNUMBERED_FILES = frozenset({"index", "references"})


# --------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML mapping plus the line of every key/item, for error messages."""

    path: Path  # relative to the project root (how errors name it)
    data: dict[str, Any]
    lines: dict[PathKey, int]  # (key, subkey, index, …) -> 1-based line
    first_line: int = 1  # line of the document's first line in its file

    def line_of(self, key: Iterable[str | int]) -> int:
        """Line of the deepest known prefix of `key` (pydantic locations can overshoot)."""
        key = tuple(key)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.first_line

    def location(self, key: Iterable[str | int] = ()) -> SourceLocation:
        return SourceLocation(self.path, self.line_of(key))


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings so metadata stays JSON-serialisable and comparable."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parse_yaml(text: str, path: Path, first_line: int = 1) -> YamlDocument:
    """Parse a YAML mapping, recording lines and rejecting duplicate keys.

    `first_line` is the line in `path` where `text` starts (front matter starts at line 2).
    """
    offset = first_line - 1
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + offset) if mark else first_line
        problem = exc.problem or str(exc)
        raise ConfigError(f"invalid YAML: {problem}", SourceLocation(path, line)) from None
    finally:
        loader.dispose()
    if data is None:
        return YamlDocument(path, {}, {}, first_line)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys to values", SourceLocation(path, first_line))
    lines: dict[PathKey, int] = {}

    def walk(n: yaml.Node, prefix: PathKey) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in n.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                line = key_node.start_mark.line + 1 + offset
                if key in seen:
                    raise ConfigError(f"duplicate key '{key}'", SourceLocation(path, line))
                seen.add(key)
                lines[(*prefix, key)] = line
                walk(value_node, (*prefix, key))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[(*prefix, i)] = item.start_mark.line + 1 + offset
                walk(item, (*prefix, i))

    walk(node, ())
    return YamlDocument(path, _plain(data), lines, first_line)


def read_yaml_file(file: Path, root: Path) -> YamlDocument:
    rel = _relative(file, root)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", SourceLocation(rel, 1)) from None
    return parse_yaml(text, rel)


def _relative(file: Path, root: Path) -> Path:
    try:
        return file.resolve().relative_to(root.resolve())
    except ValueError:
        return file


# --------------------------------------------------------------------------------------
# Merging
# --------------------------------------------------------------------------------------


def merge_metadata(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Quarto's merge: nested mappings merge, lists concatenate (deduplicated), scalars override."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_metadata(old, value)
        elif key in merged and (isinstance(old, list) or isinstance(value, list)):
            items: list[Any] = []
            for item in _as_list(old) + _as_list(value):
                if item not in items:
                    items.append(item)
            merged[key] = items
        else:
            merged[key] = value
    return merged


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


Scalar = str | int | float
Freeze = bool | Literal["auto"]


class CellDefaults(_Model):
    """Execution options Quarto accepts under `execute:` and at a document's top level."""

    echo: bool | Literal["fenced"] | None = None
    eval: bool | None = None
    warning: bool | None = None
    error: bool | None = None
    output: bool | Literal["asis"] | None = None
    include: bool | None = None
    freeze: Freeze | None = None


class ExecuteModel(CellDefaults):
    timeout: int | float | None = None  # seconds per cell (this engine's default: 600)
    cache: bool | None = None
    enabled: bool | None = None
    daemon: bool | int | None = None
    debug: bool | None = None
    ipynb: bool | None = None


class ProjectModel(_Model):
    # book: one release of chapters; default/website: every document rendered on its own
    # (a website's navigation is not built); manuscript renders as default.
    type: Literal["book", "default", "website", "manuscript"] | None = None
    output_dir: str | None = Field(None, alias="output-dir")
    execute_dir: Literal["file", "project"] | None = Field(None, alias="execute-dir")
    lib_dir: str | None = Field(None, alias="lib-dir")
    title: str | None = None
    render: list[str] | None = None
    resources: str | list[str] | None = None
    pre_render: str | list[str] | None = Field(None, alias="pre-render")
    post_render: str | list[str] | None = Field(None, alias="post-render")
    preview: dict[str, Any] | None = None


class AuthorModel(BaseModel):
    """Quarto author objects carry many optional fields; only `name` is required here."""

    model_config = ConfigDict(extra="allow", strict=True)
    name: str | dict[str, Any]


Authors = str | AuthorModel | list[str | AuthorModel]


class PartModel(_Model):
    part: str
    chapters: list[str] = Field(default_factory=list)


class BookModel(_Model):
    title: str | None = None
    subtitle: str | None = None
    author: Authors | None = None
    authors: Authors | None = None
    date: Scalar | None = None
    version: Scalar | None = None
    chapters: list[str | PartModel] | None = None
    appendices: list[str] | None = None
    references: str | None = None
    abstract: str | None = None
    description: str | None = None
    doi: str | None = None
    isbn: str | None = None
    issn: str | None = None
    publisher: str | None = None
    license: str | None = None
    copyright: str | None = None
    keywords: str | list[str] | None = None
    cover_image: str | None = Field(None, alias="cover-image")
    cover_image_alt: str | None = Field(None, alias="cover-image-alt")
    output_file: str | None = Field(None, alias="output-file")
    downloads: list[str] | None = None
    sharing: str | list[str] | None = None
    favicon: str | None = None
    site_url: str | None = Field(None, alias="site-url")
    repo_url: str | None = Field(None, alias="repo-url")
    repo_actions: str | list[str] | None = Field(None, alias="repo-actions")
    page_navigation: bool | None = Field(None, alias="page-navigation")
    search: bool | dict[str, Any] | None = None
    sidebar: dict[str, Any] | None = None
    navbar: dict[str, Any] | None = None
    page_footer: str | dict[str, Any] | None = Field(None, alias="page-footer")
    reader_mode: bool | None = Field(None, alias="reader-mode")
    # Further site options of Quarto books: accepted, not applied (docs/quarto-compat.md).
    repo_link_target: str | None = Field(None, alias="repo-link-target")
    repo_link_rel: str | None = Field(None, alias="repo-link-rel")
    repo_subdir: str | None = Field(None, alias="repo-subdir")
    repo_branch: str | None = Field(None, alias="repo-branch")
    site_path: str | None = Field(None, alias="site-path")
    google_analytics: str | dict[str, Any] | None = Field(None, alias="google-analytics")
    cookie_consent: bool | str | dict[str, Any] | None = Field(None, alias="cookie-consent")
    twitter_card: bool | dict[str, Any] | None = Field(None, alias="twitter-card")
    open_graph: bool | dict[str, Any] | None = Field(None, alias="open-graph")
    comments: bool | dict[str, Any] | None = None
    bread_crumbs: bool | None = Field(None, alias="bread-crumbs")
    back_to_top_navigation: bool | None = Field(None, alias="back-to-top-navigation")
    image: str | None = None
    date_format: str | None = Field(None, alias="date-format")


FormatOptions = dict[str, Any] | Literal["default"] | None


class QuartowrapModel(_Model):
    """Our own settings, under a key of our own so they never collide with Quarto's."""

    engine: Literal["auto", "embedded", "quarto"] | None = None
    theme: str | None = None  # a built-in theme (project/theme.py, docs/themes.md)
    theme_dir: str | None = Field(None, alias="theme-dir")  # or a theme folder in the project
    # recorded in manifest.json besides the packages the chapters import
    manifest_packages: list[str] | None = Field(None, alias="manifest-packages")


class RootModel(CellDefaults):
    """Every top-level key this engine understands (Quarto's common document options)."""

    project: ProjectModel | None = None
    book: BookModel | None = None
    title: str | None = None
    subtitle: str | None = None
    author: Authors | None = None
    date: Scalar | None = None
    version: Scalar | None = None
    abstract: str | None = None
    keywords: str | list[str] | None = None
    lang: str | None = None
    bibliography: str | list[str] | None = None
    csl: str | None = None
    citeproc: bool | None = None
    citation_location: Literal["document", "margin"] | None = Field(None, alias="citation-location")
    reference_location: Literal["document", "section", "block", "margin"] | None = Field(
        None, alias="reference-location"
    )
    link_citations: bool | None = Field(None, alias="link-citations")
    nocite: str | None = None
    crossref: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    execute: ExecuteModel | None = None
    jupyter: str | dict[str, Any] | None = None
    # Quarto's own key (which engine executes cells): accepted so standard documents
    # validate; `{python}` cells always run in a Jupyter kernel here.
    engine: Literal["jupyter", "markdown", "knitr", "julia"] | None = None
    quartowrap: QuartowrapModel | None = None
    format: str | dict[str, FormatOptions] | None = None
    kce: dict[str, Any] | None = None  # the KCE theme's metadata (project/theme.py)
    toc: bool | None = None
    toc_depth: int | None = Field(None, alias="toc-depth")
    toc_title: str | None = Field(None, alias="toc-title")
    lof: bool | None = None
    lot: bool | None = None
    number_sections: bool | None = Field(None, alias="number-sections")
    number_depth: int | None = Field(None, alias="number-depth")
    fig_cap_location: Literal["top", "bottom", "margin"] | None = Field(
        None, alias="fig-cap-location"
    )
    tbl_cap_location: Literal["top", "bottom", "margin"] | None = Field(
        None, alias="tbl-cap-location"
    )
    fig_width: int | float | None = Field(None, alias="fig-width")
    fig_height: int | float | None = Field(None, alias="fig-height")
    fig_dpi: int | None = Field(None, alias="fig-dpi")
    fig_format: Literal["svg", "png", "pdf", "retina", "jpeg"] | None = Field(
        None, alias="fig-format"
    )
    code_fold: bool | Literal["show"] | None = Field(None, alias="code-fold")
    code_summary: str | None = Field(None, alias="code-summary")
    filters: list[str | dict[str, Any]] | None = None
    shortcodes: list[str] | None = None
    metadata_files: list[str] | None = Field(None, alias="metadata-files")
    editor: str | dict[str, Any] | None = None
    license: str | dict[str, Any] | None = None
    copyright: str | dict[str, Any] | None = None
    citation: bool | dict[str, Any] | None = None
    # Document-level keys (front matter / directory metadata); the execution options
    # Quarto also accepts at a document's top level come from CellDefaults.
    description: str | None = None
    draft: bool | None = None
    date_format: str | None = Field(None, alias="date-format")
    language: dict[str, Any] | str | None = None
    # Presentation options Quarto reads at the top level (HTML and typst): accepted so a
    # Quarto project validates; the engine's fixed layout ignores them (see the docs).
    website: dict[str, Any] | None = None
    toc_location: Literal["left", "right", "body", "left-body", "right-body"] | None = Field(
        None, alias="toc-location"
    )
    toc_expand: bool | int | None = Field(None, alias="toc-expand")
    body_classes: str | None = Field(None, alias="body-classes")
    lightbox: bool | Literal["auto"] | dict[str, Any] | None = None
    page_layout: Literal["article", "full", "custom"] | None = Field(None, alias="page-layout")
    theme: str | list[str] | dict[str, Any] | None = None
    css: str | list[str] | None = None  # honoured: linked after the theme's stylesheet
    mainfont: str | None = None
    monofont: str | None = None
    fontsize: str | int | float | None = None
    linestretch: int | float | None = None
    papersize: str | None = None
    margin: dict[str, Any] | None = None
    # Quarto 1.9's name; `highlight-style` is the older one (writers/typst/highlighting.py)
    syntax_highlighting: str | dict[str, Any] | None = Field(None, alias="syntax-highlighting")
    highlight_style: str | dict[str, Any] | None = Field(None, alias="highlight-style")
    code_tools: bool | dict[str, Any] | None = Field(None, alias="code-tools")
    code_copy: bool | Literal["hover"] | None = Field(None, alias="code-copy")
    code_overflow: Literal["scroll", "wrap"] | None = Field(None, alias="code-overflow")
    code_line_numbers: bool | None = Field(None, alias="code-line-numbers")
    code_link: bool | None = Field(None, alias="code-link")
    anchor_sections: bool | None = Field(None, alias="anchor-sections")
    smooth_scroll: bool | None = Field(None, alias="smooth-scroll")
    title_block_banner: bool | str | None = Field(None, alias="title-block-banner")
    title_block_style: Literal["default", "plain", "none"] | None = Field(
        None, alias="title-block-style"
    )
    html_math_method: str | dict[str, Any] | None = Field(None, alias="html-math-method")
    fig_align: Literal["default", "left", "right", "center"] | None = Field(None, alias="fig-align")
    fig_responsive: bool | None = Field(None, alias="fig-responsive")
    link_external_icon: bool | None = Field(None, alias="link-external-icon")
    link_external_newwindow: bool | None = Field(None, alias="link-external-newwindow")
    keep_typ: bool | None = Field(None, alias="keep-typ")
    keep_md: bool | None = Field(None, alias="keep-md")


def _check_schema(
    doc: YamlDocument, *, allow_extra: bool = False, theme_key: str | None = None
) -> None:
    """Validate one file's mapping; the first problem becomes a ConfigError at its line.

    `theme_key`: the metadata key the book's theme reads (its own schema validates it)."""
    data = doc.data
    if theme_key and theme_key not in RootModel.model_fields:
        data = {k: v for k, v in data.items() if k != theme_key}
    if allow_extra:
        known = {f.alias or name for name, f in RootModel.model_fields.items()}
        data = {k: v for k, v in data.items() if k in known}
    try:
        RootModel.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, doc) from None
    _check_formats(doc)


def _config_error(exc: ValidationError, doc: YamlDocument) -> ConfigError:
    errors = exc.errors()
    # Report the error on the earliest line; union branches yield one error per branch, the
    # most specific (longest location) reads best.
    errors.sort(key=lambda e: (doc.line_of(e["loc"]), -len(e["loc"])))
    first = errors[0]
    path = _real_path(tuple(first["loc"]), doc)
    key = ".".join(str(p) for p in path)
    if first["type"] == "extra_forbidden":
        message = f"unknown key '{key}'"
    else:
        # A union (`bool | "auto"`) fails once per branch: say what any branch would accept.
        expected: list[str] = []
        for err in errors:
            if _real_path(tuple(err["loc"]), doc) == path and err["type"] != "extra_forbidden":
                msg = err["msg"].removeprefix("Input should be ")
                if msg not in expected:
                    expected.append(msg)
        message = (
            f"invalid value for '{key}': expected {' or '.join(expected)}"
            f" (got {first.get('input')!r})"
        )
    return ConfigError(message, doc.location(path))


def _real_path(loc: tuple[Any, ...], doc: YamlDocument) -> PathKey:
    """Drop pydantic's union-branch names (`str`, `list[…]`) from an error location."""
    path: list[str | int] = []
    for part in loc:
        candidate = (*path, part)
        if candidate in doc.lines:
            path.append(part)
    return tuple(path)


def _check_formats(doc: YamlDocument) -> None:
    fmt = doc.data.get("format")
    names = [fmt] if isinstance(fmt, str) else list(fmt) if isinstance(fmt, dict) else []
    for name in names:
        if name not in KNOWN_FORMATS:
            loc = ("format", name) if isinstance(fmt, dict) else ("format",)
            raise ConfigError(
                f"unknown output format '{name}' (known: html, pdf, typst, docx, epub, …)",
                doc.location(loc),
            )


# --------------------------------------------------------------------------------------
# Loading the book
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFiles:
    """`_quarto.yml` and the root `_metadata.yml`, validated and merged (later files win)."""

    root: Path
    merged: dict[str, Any]
    docs: tuple[YamlDocument, ...]
    theme: Theme | None = None  # `quartowrap: theme:` / `theme-dir:` (project/theme.py)

    @property
    def type(self) -> str:
        """Quarto's project type; a project without one is a `default` project."""
        return str((self.merged.get("project") or {}).get("type") or "default")

    def where(self, *key: str | int) -> SourceLocation:
        """The location of a key in the last file that sets it."""
        for doc in reversed(self.docs):
            if tuple(key) in doc.lines:
                return doc.location(key)
        return self.docs[0].location(key[:1])


def read_project(root: Path) -> ProjectFiles:
    """Read and validate the project files in `root` (any project type)."""
    root = Path(root).resolve()
    project_file = root / PROJECT_FILE
    if not project_file.is_file():
        raise ConfigError(f"no {PROJECT_FILE} in {root}")
    project = read_yaml_file(project_file, root)
    docs = [project]
    metadata_file = root / METADATA_FILE
    if metadata_file.is_file():
        docs.append(read_yaml_file(metadata_file, root))
    merged: dict[str, Any] = {}
    for doc in docs:
        merged = merge_metadata(merged, doc.data)
    files = ProjectFiles(root, merged, tuple(docs))
    # the theme first: its metadata key (e.g. `acme:`) is valid in these files
    theme = theme_from_metadata(root, merged, files.where("quartowrap"))
    for doc in docs:
        _check_schema(doc, theme_key=theme.metadata_key)
    return ProjectFiles(root, merged, tuple(docs), theme)


def load_book_config(root: Path) -> BookConfig:
    """Read, merge and validate the book project in `root`."""
    files = read_project(root)
    root, merged, where = files.root, files.merged, files.where
    theme = files.theme or theme_from_metadata(root, merged, where("quartowrap"))
    project_opts = merged.get("project") or {}
    if files.type != "book":
        raise ConfigError(
            f"project type is '{files.type}', not a book (project: type: book)",
            where("project", "type"),
        )
    book = merged.get("book") or {}
    title = book.get("title") or merged.get("title")
    if not title:
        raise ConfigError("the book has no title (book: title: …)", where("book"))

    chapters = _chapters(root, book, where)
    bibliography = tuple(
        _existing(root, b, where("bibliography")) for b in _as_list(merged.get("bibliography"))
    )
    csl = merged.get("csl")
    execute = execute_options(merged.get("execute") or {})
    formats = _formats(merged.get("format"))
    authors = _authors(book.get("author") or book.get("authors") or merged.get("author"))
    version = book.get("version", merged.get("version"))
    date = format_date(
        book.get("date", merged.get("date")),
        lang=merged.get("lang"),
        date_format=book.get("date-format") or merged.get("date-format"),
        source=root / PROJECT_FILE,
    )
    return BookConfig(
        root=root,
        title=str(title),
        subtitle=book.get("subtitle") or merged.get("subtitle"),
        authors=authors,
        date=None if date is None else str(date),
        version=None if version is None else str(version),
        chapters=chapters,
        bibliography=bibliography,
        csl=_existing(root, csl, where("csl")) if csl else None,
        crossref=localised_crossref(merged),
        execute=execute,
        formats=formats,
        kce=dict(merged.get(theme.metadata_key) or {}) if theme.metadata_key else {},
        theme=theme,
        css=_stylesheets(root, merged, where),
        engine=(merged.get("quartowrap") or {}).get("engine") or "auto",
        output_dir=Path(project_opts.get("output-dir") or "_output"),
        metadata=merged,
    )


def _stylesheets(
    root: Path, merged: dict[str, Any], where: Callable[..., SourceLocation]
) -> tuple[Path, ...]:
    """Quarto's `css:` (top level or under `format: html:`): files inside the project."""
    html = (
        (merged.get("format") or {}).get("html") if isinstance(merged.get("format"), dict) else None
    )
    names = _as_list(merged.get("css")) + _as_list(
        html.get("css") if isinstance(html, dict) else None
    )
    paths = []
    for name in names:
        path = _existing(root, str(name), where("css"))
        if not path.is_relative_to(root):
            raise ConfigError(f"css: {name} is outside the project", where("css"))
        if path not in paths:
            paths.append(path)
    return tuple(paths)


def _existing(root: Path, rel: str, location: SourceLocation) -> Path:
    """A file the config names (bibliography, csl): it must exist inside the project."""
    path = root / rel
    if not path.is_file():
        raise ConfigError(f"file not found: {rel}", location)
    return confine(path, (root,), "file", location)


def _authors(value: Any) -> tuple[str, ...]:
    names: list[str] = []
    for item in _as_list(value):
        if isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, dict):  # {given, family} or {literal}
                name = name.get("literal") or " ".join(
                    str(name[k]) for k in ("given", "family") if name.get(k)
                )
            if name:
                names.append(str(name))
        else:
            names.append(str(item))
    return tuple(names)


def _formats(value: Any) -> dict[str, dict[str, Any]]:
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, dict):
        return {name: dict(opts) if isinstance(opts, dict) else {} for name, opts in value.items()}
    return {}


def execute_options(
    values: Mapping[str, Any], base: ExecuteOptions | None = None
) -> ExecuteOptions:
    """Apply Quarto `execute:` values on top of `base` (defaults: Quarto's book defaults)."""
    base = base or ExecuteOptions()
    fields = {"echo", "eval", "warning", "error", "output", "include", "freeze", "timeout"}
    changes = {k: values[k] for k in fields if k in values and values[k] is not None}
    if "timeout" in changes:
        if isinstance(changes["timeout"], bool) or not isinstance(changes["timeout"], int | float):
            changes.pop("timeout")  # a cell's own `timeout:` of the wrong type: ignored
        else:
            changes["timeout"] = float(changes["timeout"])
    if changes.get("echo") == "fenced":
        changes["echo"] = True
    if changes.get("output") == "asis":
        changes["output"] = True
    return ExecuteOptions(**{**base.__dict__, **changes})


def _chapters(root: Path, book: Mapping[str, Any], where: Any) -> tuple[ChapterRef, ...]:
    refs: list[ChapterRef] = []
    seen: dict[str, SourceLocation] = {}

    def add(rel: str, loc: tuple[str | int, ...], part: str | None, appendix: bool) -> None:
        location = where(*loc)
        path = root / rel
        if not path.is_file():
            raise ConfigError(f"chapter file not found: {rel}", location)
        if rel in seen:
            raise ConfigError(
                f"chapter listed twice: {rel} (first at line {seen[rel].line})", location
            )
        seen[rel] = location
        refs.append(
            ChapterRef(
                source=Path(rel),
                part=part,
                appendix=appendix,
                numbered=_is_numbered(path),
            )
        )

    for i, entry in enumerate(book.get("chapters") or []):
        if isinstance(entry, dict):
            title = _part_title(root, entry["part"])
            for j, rel in enumerate(entry.get("chapters") or []):
                add(rel, ("book", "chapters", i, "chapters", j), title, False)
        else:
            add(entry, ("book", "chapters", i), None, False)
    for i, rel in enumerate(book.get("appendices") or []):
        add(rel, ("book", "appendices", i), None, True)
    if not refs:
        raise ConfigError("the book lists no chapters (book: chapters: …)", where("book"))
    return tuple(refs)


def _part_title(root: Path, part: str) -> str:
    """A part is a title, or a `.qmd` file whose first heading is the title (Quarto allows both)."""
    if part.endswith((".qmd", ".md")) and (root / part).is_file():
        heading = first_heading(root / part)
        return heading[0] if heading else Path(part).stem
    return part


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^#\s+(.*?)\s*(\{[^}]*\})?\s*#*\s*$")


def first_heading(path: Path) -> tuple[str, str] | None:
    """Title and attribute block of the first level-1 heading (or front-matter title)."""
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(0).strip().strip("-.").strip()) or {}
        except yaml.YAMLError:
            meta = {}
        if isinstance(meta, dict) and isinstance(meta.get("title"), str):
            classes = " ".join(f".{c}" for c in _as_list(meta.get("classes")))
            return meta["title"], classes
        text = text[match.end() :]
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence:
            m = _HEADING.match(line)
            if m:
                return m.group(1), m.group(2) or ""
    return None


def _is_numbered(path: Path) -> bool:
    if path.stem in UNNUMBERED_FILES:
        return False
    heading = first_heading(path)
    if heading is None:
        return True
    attrs = heading[1]
    return not re.search(r"(^|[\s{])(\.unnumbered|-)(?=[\s}]|$)", attrs)


# --------------------------------------------------------------------------------------
# Per-document metadata
# --------------------------------------------------------------------------------------


def directory_metadata(config: BookConfig, source: Path) -> dict[str, Any]:
    """Project metadata merged with every `_metadata.yml` from below the root to `source`'s dir.

    (The root `_metadata.yml` is already part of `config.metadata`.)
    """
    merged = dict(config.metadata)
    parts = Path(source).parent.parts
    for depth in range(1, len(parts) + 1):
        file = config.root.joinpath(*parts[:depth], METADATA_FILE)
        if file.is_file():
            doc = read_yaml_file(file, config.root)
            _check_schema(doc, allow_extra=True)
            merged = merge_metadata(merged, doc.data)
    return merged


def document_metadata(
    config: BookConfig, source: Path, front_matter: Mapping[str, Any]
) -> dict[str, Any]:
    """The metadata a document sees: project, directory metadata, then its front matter."""
    return merge_metadata(directory_metadata(config, source), front_matter)


def document_execute_options(
    config: BookConfig, source: Path, front_matter: Mapping[str, Any]
) -> ExecuteOptions:
    """Execution defaults for one document (front matter `execute:` or top-level keys win)."""
    meta = document_metadata(config, source, front_matter)
    options = execute_options(meta.get("execute") or {})
    top_level = {
        k: front_matter[k]
        for k in ("echo", "eval", "warning", "error", "output", "include", "freeze")
        if k in front_matter
    }
    return execute_options(top_level, options)


def check_front_matter(doc: YamlDocument) -> None:
    """Validate the keys this engine interprets in front matter (others pass through).

    Front matter may carry any document metadata (the front-matter module owns `kce:`), so
    only the types of known keys are checked here, with the file and line of a bad value.
    """
    _check_schema(doc, allow_extra=True)
