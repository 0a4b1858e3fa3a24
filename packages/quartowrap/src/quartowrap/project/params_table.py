"""A parameter table: one edition of the book per row (`render --params-table FILE.csv`).

Column `edition` names each edition (it becomes a folder name, so it must be a safe one and
unique); every other column is a declared parameter.  A cell is read as YAML, as `-P` reads a
value, unless the parameter's default is a string: then the cell is that string as written
(a zone code `007` stays `007`).  An empty cell keeps the declared default.  Every problem
names the table, its row and its column, before anything renders.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from quartowrap.errors import ConfigError
from quartowrap.model import BookConfig, SourceLocation
from quartowrap.project.params import Declared, check_values

EDITION_COLUMN = "edition"
# A folder name on every file system: letters, digits, `.`, `_`, `-`; not starting with `.`.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
_RESERVED = {"index.html", "manifest.json", "SHA256SUMS"}


@dataclass(frozen=True)
class CellLocation(SourceLocation):
    """`file:row:column` of a cell of a table (row 1 is the header)."""

    column: str = ""

    def __str__(self) -> str:
        return f"{self.path.as_posix()}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Edition:
    """One row of the parameter table: the edition's name and its parameter values."""

    name: str
    params: dict[str, Any]
    row: int


def book_declarations(config: BookConfig) -> dict[str, Declared]:
    """Every parameter the book's chapters declare (as the engine finds them)."""
    from quartowrap.project.config import directory_metadata, document_metadata
    from quartowrap.project.params import book_parameters, declared_parameters
    from quartowrap.project.qmd import parse_qmd

    declarations = []
    for ref in config.chapters:
        doc = parse_qmd(ref.source, config.root, directory_metadata(config, ref.source))
        metadata = document_metadata(config, ref.source, doc.front_matter)
        declarations.append(declared_parameters(doc, metadata))
    return book_parameters(declarations)


def _value(raw: str, spec: Declared, where: CellLocation) -> Any:
    if isinstance(spec.default, str):
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"{raw!r}: not a YAML value ({problem})", where) from None


def read_params_table(
    path: Path,
    declared: Mapping[str, Declared],
    base: Mapping[str, Any] | None = None,
    *,
    shown_as: Path | None = None,
) -> list[Edition]:
    """The editions of `path`, checked; `base` values (from `-P`) apply to every row.

    `shown_as` is how errors name the table (relative to where the user is).
    """
    name = shown_as or path
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ConfigError(
            f"cannot read the parameter table {name.as_posix()}: {error.strerror}"
        ) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ConfigError("the parameter table is empty", SourceLocation(name, 1))
    header = [cell.strip() for cell in rows[0]]
    if EDITION_COLUMN not in header:
        raise ConfigError(
            f"no `{EDITION_COLUMN}` column (it names each edition); columns: {', '.join(header)}",
            SourceLocation(name, 1),
        )
    for column in header:
        if not column:
            raise ConfigError("a column has no name", SourceLocation(name, 1))
        if header.count(column) > 1:
            raise ConfigError("column appears twice", CellLocation(name, 1, column))
        if column != EDITION_COLUMN and column not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(
                f"unknown parameter (the book declares: {known})", CellLocation(name, 1, column)
            )
    editions: list[Edition] = []
    seen_names: dict[str, int] = {}
    seen_values: dict[str, Edition] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise ConfigError(
                f"{len(cells)} cells, the header has {len(header)}", SourceLocation(name, number)
            )
        record = dict(zip(header, cells, strict=True))
        edition = record.pop(EDITION_COLUMN).strip()
        where = CellLocation(name, number, EDITION_COLUMN)
        if not _SAFE_NAME.fullmatch(edition) or edition in _RESERVED:
            raise ConfigError(
                f"{edition!r} is not a safe edition name (a folder name: letters, digits, "
                "`.`, `_`, `-`, at most 80, not starting with `.` or `-`)",
                where,
            )
        if edition.lower() in seen_names:  # case-insensitive file systems
            raise ConfigError(
                f"edition {edition!r} is already named on row {seen_names[edition.lower()]}",
                where,
            )
        seen_names[edition.lower()] = number
        values: dict[str, Any] = dict(base or {})
        for column, raw in record.items():
            if raw.strip() == "":
                continue  # the declared default (or the -P value)
            cell = CellLocation(name, number, column)
            value = _value(raw, declared[column], cell)
            try:
                check_values({column: value}, declared)
            except ConfigError as error:
                raise ConfigError(error.message, cell) from None
            values[column] = value
        key = json.dumps(values, sort_keys=True, default=repr)
        if key in seen_values:
            other = seen_values[key]
            raise ConfigError(
                f"the same parameter values as edition {other.name!r} (row {other.row})",
                SourceLocation(name, number),
            )
        editions.append(Edition(edition, values, number))
        seen_values[key] = editions[-1]
    if not editions:
        raise ConfigError("the parameter table has no editions", SourceLocation(name, 1))
    return editions
