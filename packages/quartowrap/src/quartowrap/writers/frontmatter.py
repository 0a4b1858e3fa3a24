"""Front matter (cover, colophon, foreword, key messages, lists, abbreviations, glossary).

Built once from the theme's metadata block of `_quarto.yml` (`kce:` for the KCE theme; see
`project/theme.py`), the assembled book's cross-reference index and the theme's glossary
CSVs in the data directory, as plain dataclasses of strings, so the HTML site and the typst
PDF render the same content and cannot disagree about it.  What is house style — the
colophon rows and their labels, the report label ("KCE Report 359"), the series line of the
citation, the publisher — comes from the theme's `theme.yml`, not from this module.

Where the pieces come from (decision):
* cover and colophon: the metadata block (plus the book's title, subtitle, authors and date);
* foreword and key messages: `kce: foreword:` (markdown text) and `kce: key-messages:`
  (a list of markdown items); when those keys are absent, from a section of the book whose
  heading has the id `foreword` / `key-messages` (e.g. `## Key messages {.unnumbered}` in
  an include of index.qmd, so its numbers can be computed).  Key messages are the items of
  that section's first list.  Such sections are named in `FrontMatter.lifted_sections`;
  the PDF moves them into the front matter instead of printing them twice;
* lists of figures and tables: the book's cross-reference index (`AssembledBook.xrefs`);
* abbreviations and glossary: CSV files named by the theme, in the data directory (`--data-dir`,
  else `data/`); `abbreviations:` / `glossary:` in the metadata name other project files.

Fields holding markdown say so (`*_md`); every other string is plain text that writers must
print literally.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quartowrap.assemble.book import run_pandoc
from quartowrap.errors import ConfigError
from quartowrap.model import AssembledBook, BookConfig, SourceLocation, Theme
from quartowrap.project.theme import house_metadata, theme_of

# --- the theme's metadata block (`kce:`) -------------------------------------------------------


class Person(BaseModel):
    """A named contributor; a plain string in YAML is read as `name`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    given: str | None = None
    family: str | None = None
    affiliation: str | None = None

    def display(self) -> str:
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name

    def citation_name(self) -> str:
        """Vancouver form `Family GI` ("Koen Van den Heede" → "Van den Heede K").

        A name already written that way ("Lambert A-S", "Op de Beeck S") is kept as is.
        """
        if not self.family and CITATION_FORM.match(self.name.strip()):
            return self.name.strip()
        if self.family:
            family, given = self.family, self.given or ""
        else:
            first, _, rest = self.name.strip().partition(" ")
            family, given = (rest, first) if rest else (first, "")
        initials = "".join(part[0] for part in re.split(r"[\s\-.]+", given) if part)
        return f"{family} {initials}".strip()


# "Family I", "Family A-S", "Family JP": a name already in Vancouver form.
CITATION_FORM = re.compile(r"^\S.*\s[A-Z]{1,3}(-[A-Z]{1,2})*$")

PEOPLE_FIELDS = (
    "authors",
    "project_facilitator",
    "senior_supervisor",
    "reviewers",
    "external_experts",
    "external_validators",
)


def _people(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str | dict):
        value = [value]
    return [{"name": v} if isinstance(v, str) else v for v in value]  # type: ignore[union-attr]


class ReportMetadata(BaseModel):
    """Schema of a theme's metadata block, e.g. `kce:` (YAML keys in kebab-case).

    The keys a report series needs (number, series, colophon people and fields); a theme
    chooses which of them it shows (`colophon:` in theme.yml) and their defaults."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    report_number: str = Field(alias="report-number")
    series: str
    short_title: str = Field(alias="short-title")
    series_abbreviation: str | None = Field(None, alias="series-abbreviation")
    year: str | None = None
    authors: list[Person] = Field(default_factory=list)
    project_facilitator: list[Person] = Field(default_factory=list, alias="project-facilitator")
    senior_supervisor: list[Person] = Field(default_factory=list, alias="senior-supervisor")
    reviewers: list[Person] = Field(default_factory=list)
    external_experts: list[Person] = Field(default_factory=list, alias="external-experts")
    external_validators: list[Person] = Field(default_factory=list, alias="external-validators")
    acknowledgements: str | None = None
    reported_interests: str | None = Field(None, alias="reported-interests")
    layout: str | None = None
    disclaimer: list[str] = Field(default_factory=list)
    publication_date: str | None = Field(None, alias="publication-date")
    domain: str | None = None
    mesh: list[str] = Field(default_factory=list)
    nlm_classification: str | None = Field(None, alias="nlm-classification")
    language: str | None = None
    format: str | None = None
    legal_depot: str | None = Field(None, alias="legal-depot")
    copyright: str | None = None
    licence: str | None = None
    slug: str | None = None  # file name stem of the release PDF (render.py)
    chapter_authors: dict[str, str] = Field(default_factory=dict, alias="chapter-authors")
    publisher: str | None = None  # default from the theme (`metadata-defaults:`)
    publisher_place: str | None = Field(None, alias="publisher-place")
    foreword: str | None = None
    foreword_signatories: list[str] = Field(default_factory=list, alias="foreword-signatories")
    key_messages: list[str] = Field(default_factory=list, alias="key-messages")
    abbreviations: str | None = None  # path relative to the project root
    glossary: str | None = None

    @field_validator(*PEOPLE_FIELDS, mode="before")
    @classmethod
    def _as_people(cls, value: object) -> object:
        return _people(value)

    @field_validator("report_number", "year", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("disclaimer", "mesh", "key_messages", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value


KceMetadata = ReportMetadata  # the name of the schema when KCE was the only house style


def _field_alias(name: str) -> str:
    field = ReportMetadata.model_fields.get(name)
    return field.alias if field and field.alias else name


def validate_kce(
    data: object, source: Path = Path("_quarto.yml"), key: str = "kce"
) -> ReportMetadata:
    """Validate a theme's metadata block; every problem names its key (`kce.report-number`)."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{key}: must be a mapping of house-style metadata", SourceLocation(source, 1)
        )
    try:
        return ReportMetadata.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            if loc:
                loc[0] = _field_alias(loc[0])
            name = ".".join([key, *loc])
            reason = "required key is missing" if err["type"] == "missing" else err["msg"]
            problems.append(f"{name}: {reason}")
        raise ConfigError(
            f"invalid {key} metadata in {source.as_posix()}: " + "; ".join(problems)
        ) from None


# --- the format-neutral result ------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    series: str
    report_label: str  # "KCE Report 359"
    report_number: str
    title: str
    subtitle: str | None
    authors: tuple[str, ...]
    year: str
    version: str | None


@dataclass(frozen=True)
class ColophonField:
    """One colophon row; `kind` says whether `value` is a list (joined by commas) or paragraphs."""

    key: str  # kebab-case metadata key, stable for tests and CSS classes
    label: str
    value: tuple[str, ...]
    kind: Literal["list", "text"] = "list"


@dataclass(frozen=True)
class ListEntry:
    """A line of the list of figures/tables."""

    id: str
    label: str  # "Table 17"
    caption: str
    chapter: str  # slug of the chapter that holds it


@dataclass(frozen=True)
class Abbreviation:
    abbreviation: str
    expansion: str


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    definition: str


@dataclass(frozen=True)
class FrontMatter:
    cover: Cover
    short_title: str
    running_header: str  # "KCE Report 359"
    colophon: tuple[ColophonField, ...]
    how_to_cite: str
    foreword_md: str | None
    foreword_signatories: tuple[str, ...]
    key_messages_md: tuple[str, ...]
    figures: tuple[ListEntry, ...]
    tables: tuple[ListEntry, ...]
    abbreviations: tuple[Abbreviation, ...]
    glossary: tuple[GlossaryEntry, ...]
    # ids of book sections (`## Key messages {#key-messages}`) whose content was moved into
    # the front matter: writers leave them out of the body so they are not printed twice
    lifted_sections: tuple[str, ...] = ()
    # (chapter source path, "Authors: …" line printed under the chapter title), from
    # `kce: chapter-authors:` — KCE chapters name their own authors
    chapter_authors: tuple[tuple[str, str], ...] = ()


# --- building ----------------------------------------------------------------------------------


def _read_csv(path: Path, display: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Read a UTF-8 CSV with the given columns; problems name the file, row and column."""
    if not path.is_file():
        raise ConfigError(f"file not found: {display.as_posix()}")
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(
            f"missing column(s) {', '.join(missing)} (found {', '.join(reader.fieldnames or [])})",
            SourceLocation(display, 1),
        )
    rows = []
    for row in reader:
        for column in columns:
            if not (row.get(column) or "").strip():
                raise ConfigError(
                    f"column {column!r} is empty", SourceLocation(display, reader.line_num)
                )
        rows.append({c: row[c].strip() for c in columns})
    return rows


def load_abbreviations(root: Path, relpath: Path) -> tuple[Abbreviation, ...]:
    rows = _read_csv(root / relpath, relpath, ("abbreviation", "expansion"))
    items = [Abbreviation(r["abbreviation"], r["expansion"]) for r in rows]
    return tuple(sorted(items, key=lambda a: (a.abbreviation.casefold(), a.abbreviation)))


def load_glossary(root: Path, relpath: Path) -> tuple[GlossaryEntry, ...]:
    rows = _read_csv(root / relpath, relpath, ("term", "definition"))
    items = [GlossaryEntry(r["term"], r["definition"]) for r in rows]
    return tuple(sorted(items, key=lambda g: g.term.casefold()))


def _plain_year(config: BookConfig) -> str:
    match = re.search(r"\d{4}", config.date or "")
    return match.group(0) if match else ""


def _year(config: BookConfig, kce: ReportMetadata, key: str = "kce") -> str:
    if kce.year:
        return kce.year
    match = re.search(r"\d{4}", config.date or "")
    if not match:
        raise ConfigError(f"{key}.year: required key is missing (and book.date has no year)")
    return match.group(0)


def fill(template: str | None, meta: ReportMetadata) -> str:
    """A theme text such as "KCE Report {report-number}" filled from the metadata."""
    if not meta.report_number:
        return ""
    values = {
        (f.alias or name): getattr(meta, name)
        for name, f in ReportMetadata.model_fields.items()
        if isinstance(getattr(meta, name), str)
    }
    return fill_text(template, values)


def fill_text(template: str | None, values: dict[str, Any]) -> str:
    """`{key}` in a theme text replaced by the metadata value ("" when the key is absent)."""
    if not template:
        return ""
    return re.sub(r"\{([\w-]+)\}", lambda m: str(values.get(m.group(1)) or ""), template)


def report_label(config: BookConfig) -> str | None:
    """The theme's report label for this book ("KCE Report 359"), None for a plain book."""
    meta = house_metadata(config)
    if not meta.get("report-number"):
        return None
    return fill_text(theme_of(config).report_label, meta) or None


def how_to_cite(
    config: BookConfig,
    kce: ReportMetadata,
    authors: Sequence[Person],
    year: str,
    theme: Theme,
) -> str:
    """The "How to refer to this document" line, Vancouver style, from the metadata."""
    names = ", ".join(p.citation_name() for p in authors)
    title = config.title + (f": {config.subtitle}" if config.subtitle else "")
    series = kce.series + (f" ({kce.series_abbreviation})" if kce.series_abbreviation else "")
    if not kce.report_number:  # a plain Quarto book: no KCE series line
        return " ".join(
            p
            for p in (
                f"{names}." if names else "",
                f"{title.rstrip('.')}.",
                f"{year}." if year else "",
            )
            if p
        )
    publisher = ": ".join(p for p in (kce.publisher_place, kce.publisher) if p)
    citation_series = fill(theme.citation_series, kce)
    parts = [
        f"{names}." if names else "",
        f"{title.rstrip('.')}.",
        f"{series}.",
        f"{publisher}. {year}." if publisher else f"{year}.",
        f"{citation_series}." if citation_series else "",
        f"{kce.legal_depot}." if kce.legal_depot else "",
    ]
    return " ".join(p for p in parts if p)


def _people_value(people: Sequence[Person]) -> tuple[str, ...]:
    return tuple(p.display() for p in people)


def _metadata_value(meta: ReportMetadata, key: str) -> tuple[tuple[str, ...], bool]:
    """(values, is_list) of a metadata key for a colophon row; unknown keys are empty."""
    name = key.replace("-", "_")
    value = getattr(meta, name, None) if name in ReportMetadata.model_fields else None
    if value is None:
        return (), False
    if isinstance(value, list):
        items = [v.display() if isinstance(v, Person) else str(v) for v in value]
        return tuple(items), name not in {"disclaimer"}
    return (str(value),), False


def _colophon(
    config: BookConfig,
    kce: ReportMetadata,
    authors: Sequence[Person],
    citation: str,
    version: str | None,
    commit: str | None,
    rows_wanted: Sequence[tuple[str, str]],
) -> tuple[ColophonField, ...]:
    """Colophon rows in the theme's order (`colophon:` in theme.yml); empty rows left out."""
    title = config.title + (f" – {config.subtitle}" if config.subtitle else "")
    version_text = version or config.version
    if version_text and commit:
        version_text = f"{version_text} (build {commit[:12]})"
    computed: dict[str, tuple[tuple[str, ...], Literal["list", "text"]]] = {
        "title": ((title,), "text"),
        "authors": (_people_value(authors), "list"),
        "how-to-cite": ((citation,), "text"),
        "version": ((version_text or "",), "text"),
    }
    rows: list[ColophonField] = []
    for key, label in rows_wanted:
        if key in computed:
            value, kind = computed[key]
        else:
            value, is_list = _metadata_value(kce, key)
            kind = "list" if is_list else "text"
        value = tuple(v for v in value if v)
        if value:
            rows.append(ColophonField(key, label, value, kind))
    return tuple(rows)


LIFTABLE = ("foreword", "key-messages")
_SPLIT = "<!-- quartowrap-split -->"


def section_span(blocks: Sequence[dict[str, Any]], ident: str) -> tuple[int, int] | None:
    """[start, end) of the top-level section whose heading has id `ident`."""
    for start, block in enumerate(blocks):
        if block["t"] == "Header" and block["c"][1][0] == ident:
            level = block["c"][0]
            end = start + 1
            while end < len(blocks) and not (
                blocks[end]["t"] == "Header" and blocks[end]["c"][0] <= level
            ):
                end += 1
            return start, end
    return None


def _find_section(book: AssembledBook, ident: str) -> list[dict[str, Any]] | None:
    for chapter in book.chapters:
        span = section_span(chapter.ast["blocks"], ident)
        if span:
            return chapter.ast["blocks"][span[0] + 1 : span[1]]
    return None


def _pieces(blocks: list[dict[str, Any]], split_list: bool) -> list[list[dict[str, Any]]]:
    """The items of the section's first bullet/numbered list, or the whole section."""
    if split_list:
        for block in blocks:
            if block["t"] == "BulletList":
                return block["c"]
            if block["t"] == "OrderedList":
                return block["c"][1]
    return [blocks]


def _to_markdown(pieces: list[list[dict[str, Any]]], api: list[int]) -> list[str]:
    """Pandoc blocks → markdown strings (rendered citations kept as text), one pandoc call."""
    if not pieces:
        return []
    blocks: list[dict[str, Any]] = []
    for piece in pieces:
        blocks += [*piece, {"t": "RawBlock", "c": ["markdown", _SPLIT]}]
    doc = {"pandoc-api-version": api, "meta": {}, "blocks": blocks}
    text = run_pandoc(
        ["-f", "json", "-t", "markdown-citations", "--wrap=none"],
        json.dumps(doc),
        "converting front-matter sections",
    )
    return [part.strip() for part in text.split(_SPLIT)][: len(pieces)]


def _lift(
    book: AssembledBook, kce: ReportMetadata
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """Foreword and key messages: from `kce:` when given, else from sections of the book."""
    foreword, messages = kce.foreword, tuple(kce.key_messages)
    wanted: list[tuple[str, list[dict[str, Any]]]] = []
    if foreword is None and (found := _find_section(book, "foreword")) is not None:
        wanted.append(("foreword", found))
    if not messages and (found := _find_section(book, "key-messages")) is not None:
        wanted.append(("key-messages", found))
    if not wanted:
        return foreword, messages, ()
    api = book.chapters[0].ast["pandoc-api-version"]
    pieces = [_pieces(blocks, ident == "key-messages") for ident, blocks in wanted]
    markdown = _to_markdown([p for group in pieces for p in group], api)
    lifted = []
    for (ident, _), group in zip(wanted, pieces, strict=True):
        texts, markdown = markdown[: len(group)], markdown[len(group) :]
        if ident == "foreword":
            foreword = texts[0]
        else:
            messages = tuple(texts)
        lifted.append(ident)
    return foreword, messages, tuple(lifted)


def _entries(book: AssembledBook, kind: str) -> tuple[ListEntry, ...]:
    return tuple(
        ListEntry(e.id, e.label, e.caption, e.chapter)
        for e in book.xrefs.values()
        if e.kind == kind
    )


def data_directory(config: BookConfig) -> Path:
    """The build's data directory: `--data-dir`, else the project's `data/`."""
    return config.data_dir or config.root / "data"


def _lists(
    config: BookConfig, kce: ReportMetadata, theme: Theme
) -> tuple[tuple[Abbreviation, ...], tuple[GlossaryEntry, ...]]:
    """Abbreviations and glossary: a file the metadata names must exist (project-relative);
    the theme's default files (in the data directory) are optional — no list without them."""
    data = data_directory(config)
    abbreviations: tuple[Abbreviation, ...] = ()
    if kce.abbreviations:
        abbreviations = load_abbreviations(config.root, Path(kce.abbreviations))
    elif theme.abbreviations and (data / theme.abbreviations).is_file():
        abbreviations = load_abbreviations(data, Path(theme.abbreviations))
    glossary: tuple[GlossaryEntry, ...] = ()
    if kce.glossary:
        glossary = load_glossary(config.root, Path(kce.glossary))
    elif theme.glossary and (data / theme.glossary).is_file():
        glossary = load_glossary(data, Path(theme.glossary))
    return abbreviations, glossary


def front_matter_files(config: BookConfig) -> list[Path]:
    """Every file the front matter may read (for the build fingerprint)."""
    theme = theme_of(config)
    meta = house_metadata(config)
    data = data_directory(config)
    files = []
    for key, default in (("abbreviations", theme.abbreviations), ("glossary", theme.glossary)):
        if meta.get(key):
            files.append(config.root / str(meta[key]))
        elif default:
            files.append(data / default)
    return files


def build_front_matter(
    book: AssembledBook, *, version: str | None = None, commit: str | None = None
) -> FrontMatter:
    """Front matter for `book`; invalid theme metadata raises ConfigError.

    A plain Quarto book (default theme, or no metadata block) gets a neutral cover and
    colophon built from `book:` alone, so any valid Quarto book renders.
    """
    config = book.config
    theme = theme_of(config)
    data = house_metadata(config)
    plain = not data
    kce = validate_kce(
        {"report-number": "", "series": "", "short-title": config.title} if plain else data,
        key=theme.metadata_key or "kce",
    )
    authors = kce.authors or [Person(name=a) for a in config.authors]
    year = _year(config, kce, theme.metadata_key or "kce") if not plain else _plain_year(config)
    citation = how_to_cite(config, kce, authors, year, theme)
    report_label = fill(theme.report_label, kce)
    cover = Cover(
        series=kce.series,
        report_label=report_label,
        report_number=kce.report_number,
        title=config.title,
        subtitle=config.subtitle,
        authors=tuple(p.name for p in authors),
        year=year,
        version=version or config.version,
    )
    abbreviations, glossary = _lists(config, kce, theme)
    foreword, key_messages, lifted = _lift(book, kce)
    return FrontMatter(
        cover=cover,
        short_title=kce.short_title,
        running_header=report_label,
        colophon=_colophon(config, kce, authors, citation, version, commit, theme.colophon),
        how_to_cite=citation,
        foreword_md=foreword,
        foreword_signatories=tuple(kce.foreword_signatories),
        key_messages_md=key_messages,
        figures=_entries(book, "fig"),
        tables=_entries(book, "tbl"),
        abbreviations=abbreviations,
        glossary=glossary,
        lifted_sections=lifted,
        chapter_authors=tuple(sorted(kce.chapter_authors.items())),
    )
