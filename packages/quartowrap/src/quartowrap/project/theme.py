"""Themes: which house style a book uses and what its folder declares (`theme.yml`).

A theme is a folder (see docs/themes.md): a typst template split into partials, CSS, a
CSL style, fonts, the starter files of `quartowrap create`, and `theme.yml`, which names
them and says which metadata key the theme reads.  The built-in themes live in
`quartowrap/themes/<name>/`; a book picks one in `_quarto.yml` under a key of its own, so
Quarto's `theme:` (Bootswatch for HTML) keeps its meaning:

    quartowrap:
      theme: kce            # a built-in theme, or
      theme-dir: my-theme   # a copied and edited theme folder inside the project

Without either, the book gets `default`: a plain Quarto book.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quartowrap.errors import ConfigError
from quartowrap.model import BookConfig, PrintGeometry, SourceLocation, Theme

THEMES_DIR = Path(__file__).resolve().parents[1] / "themes"
THEME_FILE = "theme.yml"
DEFAULT_THEME = "default"


class _ColophonRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    label: str


class _PageSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    column_width: float = Field(453.0, alias="column-width", gt=0)
    page_width: float = Field(453.0, alias="page-width", gt=0)
    text_height: float = Field(700.0, alias="text-height", gt=0)
    figure_max_height: float = Field(400.0, alias="figure-max-height", gt=0)


class _TableFontSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    regular: str | None = None
    bold: str | None = None
    size: float = Field(9.0, gt=0)
    min_size: float = Field(7.0, alias="min-size", gt=0)


class _TypstSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    template: str = "typst/template.typ"
    partials: list[str] = Field(default_factory=list)
    page: _PageSpec = Field(default_factory=_PageSpec)
    table_font: _TableFontSpec = Field(default_factory=_TableFontSpec, alias="table-font")


class _FrontMatterSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    abbreviations: str | None = None
    glossary: str | None = None


class ThemeManifest(BaseModel):
    """Schema of `theme.yml` (keys in kebab-case)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    description: str = ""
    metadata_key: str | None = Field(None, alias="metadata-key")
    metadata_defaults: dict[str, Any] = Field(default_factory=dict, alias="metadata-defaults")
    report_label: str | None = Field(None, alias="report-label")
    citation_series: str | None = Field(None, alias="citation-series")
    slug: str | None = None
    typst: _TypstSpec = Field(default_factory=_TypstSpec)
    css: list[str] = Field(default_factory=list)
    csl: str | None = None
    fonts: str | None = None
    callouts: dict[str, str] = Field(default_factory=dict)
    crossref: dict[str, str] = Field(default_factory=dict)
    front_matter: _FrontMatterSpec = Field(default_factory=_FrontMatterSpec, alias="front-matter")
    colophon: list[_ColophonRow] = Field(default_factory=list)


def builtin_themes() -> list[str]:
    """Names of the themes shipped with quartowrap."""
    return sorted(p.parent.name for p in THEMES_DIR.glob(f"*/{THEME_FILE}"))


def load_theme(folder: Path, display: Path | None = None) -> Theme:
    """Read and validate `folder/theme.yml`; every file it names must exist."""
    folder = folder.resolve()
    shown = display or folder
    manifest_file = folder / THEME_FILE
    if not manifest_file.is_file():
        raise ConfigError(f"not a theme folder (no {THEME_FILE}): {shown.as_posix()}")
    where = SourceLocation(shown / THEME_FILE, 1)
    try:
        data = yaml.safe_load(manifest_file.read_text(encoding="utf-8")) or {}
        spec = ThemeManifest.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", where) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid theme: {problems}", where) from None
    files = [
        spec.typst.template,
        *(f"html/{c}" for c in spec.css),
        *([spec.csl] if spec.csl else []),
        *(f for f in (spec.typst.table_font.regular, spec.typst.table_font.bold) if f),
    ]
    files += [str(Path(spec.typst.template).parent / p) for p in spec.typst.partials]
    for rel in files:
        if not (folder / rel).is_file():
            raise ConfigError(f"the theme names a missing file: {rel}", where)
    if spec.fonts and not (folder / spec.fonts).is_dir():
        raise ConfigError(f"the theme's font folder is missing: {spec.fonts}", where)
    page, font = spec.typst.page, spec.typst.table_font
    return Theme(
        name=spec.name,
        root=folder,
        metadata_key=spec.metadata_key,
        metadata_defaults=dict(spec.metadata_defaults),
        report_label=spec.report_label,
        citation_series=spec.citation_series,
        slug=spec.slug,
        typst_template=spec.typst.template,
        typst_partials=tuple(spec.typst.partials),
        css=tuple(spec.css),
        csl=spec.csl,
        fonts=spec.fonts,
        callouts=tuple(spec.callouts.items()),
        crossref=tuple(spec.crossref.items()),
        abbreviations=spec.front_matter.abbreviations,
        glossary=spec.front_matter.glossary,
        colophon=tuple((row.key, row.label) for row in spec.colophon),
        geometry=PrintGeometry(
            column_width=page.column_width,
            page_width=page.page_width,
            text_height=page.text_height,
            figure_max_height=page.figure_max_height,
            table_regular=font.regular,
            table_bold=font.bold,
            table_size=font.size,
            table_min_size=font.min_size,
        ),
    )


def builtin_theme(name: str) -> Theme:
    folder = THEMES_DIR / name
    if "/" in name or not (folder / THEME_FILE).is_file():
        known = ", ".join(builtin_themes())
        raise ConfigError(f"unknown theme '{name}' (built-in themes: {known})")
    return load_theme(folder, Path("quartowrap/themes") / name)


def theme_from_metadata(root: Path, data: dict[str, Any], where: SourceLocation) -> Theme:
    """The theme a project's merged metadata selects (`quartowrap: theme|theme-dir`)."""
    options = data.get("quartowrap") or {}
    if not isinstance(options, dict):
        raise ConfigError("quartowrap: must be a mapping (theme: …)", where)
    name, folder = options.get("theme"), options.get("theme-dir")
    if name and folder:
        raise ConfigError("quartowrap: give either theme or theme-dir, not both", where)
    if folder:
        path = (root / str(folder)).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ConfigError(f"quartowrap.theme-dir must be inside the project: {folder}", where)
        if not (path / THEME_FILE).is_file():
            raise ConfigError(f"quartowrap.theme-dir: no {THEME_FILE} in {folder}", where)
        return load_theme(path, Path(str(folder)))
    try:
        return builtin_theme(str(name or DEFAULT_THEME))
    except ConfigError as exc:
        raise ConfigError(exc.message, exc.location or where) from None


def theme_of(config: BookConfig) -> Theme:
    """The book's theme; a BookConfig built in code without one gets kce when it carries a
    `kce:` block (the metadata that theme reads), else the default theme."""
    if config.theme is not None:
        return config.theme
    return builtin_theme("kce" if config.kce else DEFAULT_THEME)


def caption_delimiter(config: BookConfig) -> str:
    """What follows "Figure 1" in a caption, in HTML and the PDF alike: the book's
    `crossref: title-delim`, else its theme's default (kce: " –"), else Quarto's ":"."""
    crossref = config.crossref or {}
    if crossref.get("title-delim") is not None:
        return str(crossref["title-delim"])
    return dict(theme_of(config).crossref).get("title-delim", ":")


def house_metadata(config: BookConfig) -> dict[str, Any]:
    """The theme's metadata block merged over the theme's defaults ({} for a plain book)."""
    theme = theme_of(config)
    if not theme.metadata_key or not config.kce:
        return {}
    return {**theme.metadata_defaults, **config.kce}
