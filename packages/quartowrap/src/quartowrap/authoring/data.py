"""Read the report's raw inputs and check them against `data/codebook.yaml`.

This is the only module of `analysis/` that touches files.  A CSV is read as text,
validated column by column against its codebook entry, and only then converted to typed
columns; every problem in the file is collected first and raised together in one
`DataValidationError`, so a data manager fixes a new survey wave in one pass instead of
one error per build.  The input file is only ever opened for reading.

Typed output (one column per codebook column, in file order):

* ``integer`` → pandas ``Int64`` (nullable), ``number`` → ``Float64``,
  ``boolean`` → ``boolean``, ``string`` → ``string``;
* ``code`` → ``pd.Categorical`` whose categories are the codebook's codes in codebook
  order, followed by the non-empty special codes of ``missing`` (e.g. ``DK``, ``NA``).
  An empty cell (no answer) is the pandas missing value.  So ``s == "DK"`` counts
  don't-knows, ``s.isna()`` counts non-response, ``s.isin(valid_codes(spec))`` counts
  substantive answers: all three stay distinguishable, as the distribution tables need.
  With ``ordered: true`` the categorical is ordered; special codes sort after the valid
  codes, so order comparisons belong to substantive answers only (see `scores`).

Spreadsheet exports are accepted but never silently: a UTF-8 byte-order mark or a ``;``
separator is reported as a `DataNotice` warning and recorded in ``frame.attrs["notices"]``.

CLI: ``python -m quartowrap.authoring.data check [--data-dir PATH]`` validates every file of the
codebook and exits with status 1 when any has a problem.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from quartowrap.authoring.paths import data_dir as default_data_dir

CODEBOOK = "codebook.yaml"
BOM = b"\xef\xbb\xbf"
MAX_LISTED_PROBLEMS = 500

__all__ = [
    "CODEBOOK",
    "Codebook",
    "ColumnSpec",
    "DataNotice",
    "DataProblem",
    "DataValidationError",
    "FileSpec",
    "StrictRecord",
    "check_all",
    "files_read",
    "load_codebook",
    "load_table",
    "load_validated_yaml",
    "load_yaml",
    "main",
    "scores",
    "valid_codes",
]


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class DataProblem:
    """One violation, located as precisely as the file allows (row = line in the file)."""

    file: str
    row: int
    column: str
    value: str
    problem: str

    def __str__(self) -> str:
        shown = self.value if self.value != "" else "(empty)"
        column = self.column or "-"
        return f"{self.file}:{self.row}:{column}: {shown}: {self.problem}"


class DataValidationError(ValueError):
    """A data file does not match its codebook entry; `problems` lists every violation."""

    def __init__(self, problems: Sequence[DataProblem], path: Path | None = None) -> None:
        self.problems: list[DataProblem] = list(problems)
        self.path = path
        lines = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"… and {hidden} more problem(s)")
        header = f"{len(self.problems)} problem(s) in data"
        super().__init__(header + ":\n" + "\n".join(lines))


class DataNotice(UserWarning):
    """The file was readable but not in the canonical form (BOM, ';' separator)."""


# ------------------------------------------------------------------------- codebook

ColumnType = Literal["integer", "number", "string", "code", "boolean"]


class ColumnSpec(BaseModel):
    """What one column may contain; see the format notes at the top of codebook.yaml."""

    model_config = ConfigDict(extra="forbid")

    type: ColumnType
    label: str = ""
    description: str = ""
    codes: dict[str, str] | None = None
    ordered: bool = False
    range: tuple[float, float] | None = None
    missing: dict[str, str] = Field(default_factory=dict)
    required: bool = False
    pattern: str | None = None  # regular expression a string value must match fully

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_as_strings(cls, value: Any) -> Any:
        # YAML reads `0: not started` with an integer key; the file holds text.
        return _code_mapping(value, lambda code: code)

    @field_validator("missing", mode="before")
    @classmethod
    def _missing_as_mapping(cls, value: Any) -> Any:
        return {} if value is None else _code_mapping(value, _default_missing_label)

    def check_consistency(self) -> list[str]:
        """Contradictions inside one spec (reported with the codebook path)."""
        problems = []
        if self.type == "code" and not self.codes:
            problems.append("type code needs `codes`")
        if self.type != "code" and self.codes:
            problems.append("`codes` only applies to type code")
        if self.range is not None and self.type not in ("integer", "number"):
            problems.append("`range` only applies to integer/number")
        if self.codes and set(self.codes) & set(self.missing):
            problems.append("a code is both valid and missing")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                problems.append(f"bad pattern: {exc}")
        return problems


class PatternColumnSpec(ColumnSpec):
    """A family of columns (e.g. every `aim_<dimension>_<k>`) sharing one spec."""

    match: str

    def check_consistency(self) -> list[str]:
        problems = super().check_consistency()
        try:
            re.compile(self.match)
        except re.error as exc:
            problems.append(f"bad match pattern: {exc}")
        return problems


class FileSpec(BaseModel):
    """A file's codebook entry."""

    model_config = ConfigDict(extra="forbid")

    description: str
    reconstructed: bool = False
    source: str = ""
    key: list[str] = Field(default_factory=list)
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    pattern_columns: list[PatternColumnSpec] = Field(default_factory=list)
    extra_columns: Literal["error", "allow"] = "error"

    @field_validator("key", mode="before")
    @classmethod
    def _key_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def spec_for(self, column: str) -> ColumnSpec | None:
        """The spec governing `column`: an explicit entry first, then the first pattern."""
        if column in self.columns:
            return self.columns[column]
        for family in self.pattern_columns:
            if re.fullmatch(family.match, column):
                return family
        return None


class Codebook(BaseModel):
    """The whole codebook: one entry per raw file, keyed by path relative to data/."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, FileSpec] = Field(default_factory=dict)


def _code_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _code_mapping(value: Any, label_of: Callable[[str], str]) -> Any:
    """Codes as written in the codebook (a mapping or a bare list) as `{code text: label}`;
    a listed code is labelled `label_of(code)`.  Anything else is left for pydantic to reject."""
    if isinstance(value, dict):
        return {_code_text(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return {_code_text(k): label_of(_code_text(k)) for k in value}
    return value


def _default_missing_label(code: str) -> str:
    return {"": "no answer", "DK": "don't know", "NA": "not applicable"}.get(code, code)


def valid_codes(spec: ColumnSpec) -> list[str]:
    """The substantive codes of a code column, in codebook order."""
    return list(spec.codes or {})


def scores(series: pd.Series) -> pd.Series:
    """Numeric value of an ordinal code column; special codes and no answer become NaN.

    Codes that do not read as numbers (DK, NA, …) are not scores, whatever their order.
    """
    values = series.astype("string") if isinstance(series.dtype, pd.CategoricalDtype) else series
    return pd.to_numeric(values, errors="coerce").astype("float64")


def load_codebook(data_dir: Path | None = None) -> Codebook:
    """Parse and check `<data_dir>/codebook.yaml`; errors name the codebook and the entry."""
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    raw = load_yaml(CODEBOOK, base)
    if raw is None:
        raw = {}
    shown = _shown_path(base / CODEBOOK)
    try:
        book = Codebook.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{shown}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]
        raise DataValidationError(
            [DataProblem(shown, 0, "", "", line.split(": ", 1)[1]) for line in lines],
            base / CODEBOOK,
        ) from None
    problems = []
    for name, entry in book.files.items():
        specs: list[tuple[str, ColumnSpec]] = list(entry.columns.items())
        specs += [(f"pattern_columns[{i}]", p) for i, p in enumerate(entry.pattern_columns)]
        for column, spec in specs:
            for issue in spec.check_consistency():
                problems.append(DataProblem(shown, 0, f"{name}.{column}", "", issue))
        for key in entry.key:
            if entry.spec_for(key) is None:
                problems.append(DataProblem(shown, 0, f"{name}.key", key, "key column undefined"))
    if problems:
        raise DataValidationError(problems, base / CODEBOOK)
    return book


# ---------------------------------------------------------------------------- reads

_READ_LOG: list[Path] = []
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def files_read() -> list[Path]:
    """Every file this process loaded through this module (for provenance and freezing)."""
    return list(dict.fromkeys(_READ_LOG))


def _shown_path(path: Path) -> str:
    """A path as people read it in a message: relative to the working directory if inside."""
    try:
        return (
            os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
        )
    except (ValueError, RuntimeError, OSError):  # another drive on Windows; a symlink loop
        return str(path)


def load_yaml(relpath: str | Path, data_dir: Path | None = None) -> Any:
    """Read a YAML input; a syntax error names the file, line and column."""
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    path = base / relpath
    shown = _shown_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataValidationError([DataProblem(shown, 0, "", "", "file not found")], path) from None
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            [DataProblem(shown, 0, "", "", f"not valid UTF-8 ({exc.reason})")], path
        ) from None
    _READ_LOG.append(path)
    try:
        # libyaml's loader when PyYAML has it: the same safe types, ~10x faster on a codebook
        # that every chapter (and every edition of a factsheet) reads again.
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 0
        column = str(mark.column + 1) if mark is not None else ""
        raise DataValidationError(
            [DataProblem(shown, line, column, "", f"YAML syntax: {exc.problem}")], path
        ) from None


class StrictRecord(BaseModel):
    """Base of the schemas of structured YAML inputs: an unknown or misspelt field is an
    error rather than silently ignored, and a loaded record cannot be changed afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


def _location(raw: Any, loc: Sequence[int | str]) -> str:
    """`models[4] (bpci).risk_sharing`: a pydantic error path with each record's id or key,
    so the author finds the record without counting list items."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            try:
                node = node[step]
            except (IndexError, KeyError, TypeError):
                node = None
            if isinstance(node, dict):
                ident = node.get("id", node.get("key"))
                if ident is not None:
                    label += f" ({ident})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)


def load_validated_yaml(relpath: str, schema: type[M], data_dir: Path | None = None) -> M:
    """Read a YAML input with `load_yaml` and validate it against a pydantic `schema`.

    Every violation is reported together, each as `file:0:record.field: value: problem`
    (line 0: pydantic does not know YAML lines; the record path locates the problem).
    """
    raw = load_yaml(relpath, data_dir)
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            value = err.get("input")
            shown = "" if isinstance(value, dict | list) else str(value)
            problems.append(DataProblem(relpath, 0, _location(raw, err["loc"]), shown, err["msg"]))
        raise DataValidationError(problems) from None


def _decode(raw: bytes, shown: str, path: Path) -> tuple[str, list[str]]:
    notices = []
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
        notices.append(f"{shown}: UTF-8 byte-order mark (spreadsheet export) ignored")
    try:
        return raw.decode("utf-8"), notices
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        value = raw[exc.start : exc.end].hex()
        problem = DataProblem(shown, line, "", f"0x{value}", "not valid UTF-8 (save as UTF-8)")
        raise DataValidationError([problem], path) from None


def _separator(text: str) -> str:
    """`,` unless the header splits into more fields on `;` (a European spreadsheet export)."""
    header = text.split("\n", 1)[0]
    by_comma = next(csv.reader([header], delimiter=","), [])
    by_semicolon = next(csv.reader([header], delimiter=";"), [])
    return ";" if len(by_semicolon) > len(by_comma) else ","


def _records(text: str, sep: str) -> tuple[np.ndarray, np.ndarray]:
    """First line in the file and field count of every non-blank CSV record.

    The csv module follows records across quoted line breaks, so a row's line number stays
    right even when a free-text cell spans several lines.
    """
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    starts: list[int] = []
    counts: list[int] = []
    previous = 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if record:  # pandas skips blank lines too
            starts.append(start)
            counts.append(len(record))
    return np.asarray(starts, dtype=np.int64), np.asarray(counts, dtype=np.int64)


def _problems_where(
    mask: pd.Series | np.ndarray,
    frame: pd.DataFrame,
    lines: np.ndarray,
    column: str,
    shown: str,
    problem: str,
) -> list[DataProblem]:
    positions = np.flatnonzero(np.asarray(mask))
    values = frame[column].to_numpy()
    return [DataProblem(shown, int(lines[i]), column, str(values[i]), problem) for i in positions]


_INTEGER = r"[+-]?\d+"
_NUMBER = r"[+-]?(\d+([.]\d*)?|[.]\d+)([eE][+-]?\d+)?"
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _check_column(
    frame: pd.DataFrame,
    column: str,
    spec: ColumnSpec,
    lines: np.ndarray,
    shown: str,
    decimal_comma: bool,
) -> list[DataProblem]:
    values = frame[column]
    empty = values == ""
    special = values.isin([m for m in spec.missing if m != ""])
    problems: list[DataProblem] = []
    if spec.required:
        problems += _problems_where(empty, frame, lines, column, shown, "required value missing")
    present = ~empty & ~special
    if spec.type == "code":
        allowed = valid_codes(spec)
        bad = present & ~values.isin(allowed)
        listed = ", ".join(allowed + [m for m in spec.missing if m])
        listed += ", or empty" if "" in spec.missing or not spec.required else ""
        problems += _problems_where(
            bad, frame, lines, column, shown, f"not an allowed code ({listed})"
        )
    elif spec.type in ("integer", "number"):
        text = values.str.replace(",", ".", regex=False) if decimal_comma else values
        pattern = _INTEGER if spec.type == "integer" else _NUMBER
        malformed = present & ~text.str.fullmatch(pattern)
        problems += _problems_where(
            malformed,
            frame,
            lines,
            column,
            shown,
            f"not a{'n' * (spec.type == 'integer')} {spec.type}",
        )
        if spec.range is not None:
            numbers = pd.to_numeric(text.where(present & ~malformed), errors="coerce")
            low, high = spec.range
            out = (numbers < low) | (numbers > high)
            problems += _problems_where(
                out.fillna(False),
                frame,
                lines,
                column,
                shown,
                f"outside the range {_fmt(low)}–{_fmt(high)}",
            )
    elif spec.type == "boolean":
        bad = present & ~values.str.lower().isin(_TRUE | _FALSE)
        problems += _problems_where(bad, frame, lines, column, shown, "not a boolean (0/1)")
    elif spec.type == "string" and spec.pattern is not None:
        bad = present & ~values.str.fullmatch(spec.pattern)
        problems += _problems_where(
            bad, frame, lines, column, shown, f"does not match {spec.pattern!r}"
        )
    return problems


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _typed(values: pd.Series, spec: ColumnSpec, decimal_comma: bool) -> pd.Series:
    empty = values == ""
    if spec.type == "code":
        categories = valid_codes(spec) + [m for m in spec.missing if m != ""]
        return pd.Series(
            pd.Categorical(values.where(~empty), categories=categories, ordered=spec.ordered),
            index=values.index,
            name=values.name,
        )
    special = values.isin([m for m in spec.missing if m != ""])
    usable = values.where(~empty & ~special)
    if spec.type == "integer":
        return pd.to_numeric(usable).astype("Int64")
    if spec.type == "number":
        text = usable.str.replace(",", ".", regex=False) if decimal_comma else usable
        return pd.to_numeric(text).astype("Float64")
    if spec.type == "boolean":
        lowered = usable.str.lower()
        return lowered.map(lambda v: v in _TRUE if isinstance(v, str) else pd.NA).astype("boolean")
    return usable.astype("string")


def load_table(relpath: str | Path, data_dir: Path | None = None) -> pd.DataFrame:
    """Read `<data_dir>/<relpath>`, validate it against its codebook entry, return it typed.

    Raises `DataValidationError` listing every problem (`file:row:column: value: problem`,
    row = line in the file with the header as line 1).  BOM and `;` exports are accepted
    and reported as `DataNotice` warnings.
    """
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    relpath = Path(relpath).as_posix()
    path = base / relpath
    shown = _shown_path(path)
    book = load_codebook(base)
    entry = book.files.get(relpath)
    if entry is None:
        problem = DataProblem(shown, 0, "", "", f"no entry for {relpath!r} in {CODEBOOK}")
        raise DataValidationError([problem], path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataValidationError([DataProblem(shown, 0, "", "", "file not found")], path) from None
    except OSError as exc:  # a symlink loop, a folder, no permission: named, no traceback
        problem = DataProblem(shown, 0, "", "", f"cannot read: {exc.strerror or exc}")
        raise DataValidationError([problem], path) from None
    _READ_LOG.append(path)
    text, notices = _decode(raw, shown, path)
    if not text.strip():
        raise DataValidationError([DataProblem(shown, 1, "", "", "file is empty")], path)
    sep = _separator(text)
    if sep == ";":
        notices.append(f"{shown}: ';'-separated export read (canonical form is ',')")
    for notice in notices:
        warnings.warn(notice, DataNotice, stacklevel=2)

    starts, counts = _records(text, sep)
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")], delimiter=sep))
    problems = _header_problems(header, entry, shown)
    if len(starts) <= 1:  # a chapter would fail on an empty frame far from the cause
        problems.append(
            DataProblem(shown, 2, "", "", "no data rows (the file holds only a header)")
        )
    width = len(header)
    for line, count in zip(starts[1:], counts[1:], strict=True):
        if count != width:
            problems.append(
                DataProblem(
                    shown, int(line), "", f"{count} fields", f"expected {width} (as the header)"
                )
            )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            on_bad_lines="skip",  # rows with too many fields: reported above
        )
    except pd.errors.ParserError as exc:
        problems.append(DataProblem(shown, 0, "", "", f"cannot parse CSV: {exc}"))
        raise DataValidationError(problems, path) from None
    frame.columns = header if len(header) == frame.shape[1] else frame.columns
    data_counts = counts[1:]
    lines = starts[1:][data_counts <= width]
    if len(lines) != len(frame):  # the two parsers disagree: do not guess line numbers
        problems.append(DataProblem(shown, 0, "", "", "cannot align CSV records to lines"))
        raise DataValidationError(problems, path)
    complete = data_counts[data_counts <= width] == width
    frame = frame.loc[complete].reset_index(drop=True)
    lines = lines[complete]

    decimal_comma = sep == ";"
    checked: dict[str, ColumnSpec] = {}
    for column in dict.fromkeys(frame.columns):
        spec = entry.spec_for(column)
        if spec is not None and header.count(column) == 1:
            checked[column] = spec
            problems += _check_column(frame, column, spec, lines, shown, decimal_comma)
    problems += _key_problems(frame, entry, lines, shown)
    if problems:
        problems.sort(key=lambda p: (p.row, header.index(p.column) if p.column in header else -1))
        raise DataValidationError(problems, path)

    typed = pd.DataFrame(
        {c: _typed(frame[c], checked[c], decimal_comma) for c in frame.columns if c in checked},
        index=pd.RangeIndex(len(frame)),
    )
    extra = [c for c in frame.columns if c not in checked]
    for column in extra:  # only reachable with extra_columns: allow
        typed[column] = frame[column].astype("string")
    typed = typed[list(frame.columns)]
    typed.attrs["source"] = str(path)
    typed.attrs["notices"] = notices
    return typed


def _header_problems(header: list[str], entry: FileSpec, shown: str) -> list[DataProblem]:
    problems = []
    for column in entry.columns:
        if column not in header:
            problems.append(DataProblem(shown, 1, column, "", "missing column"))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            problems.append(DataProblem(shown, 1, column, column, "duplicate column name"))
        seen.add(column)
        if entry.spec_for(column) is None and entry.extra_columns == "error":
            problems.append(DataProblem(shown, 1, column, column, "column not in the codebook"))
    return problems


def _key_problems(
    frame: pd.DataFrame, entry: FileSpec, lines: np.ndarray, shown: str
) -> list[DataProblem]:
    key = [k for k in entry.key if k in frame.columns]
    if not key or len(key) != len(entry.key):
        return []
    duplicated = frame.duplicated(subset=key, keep="first").to_numpy()
    if not duplicated.any():
        return []
    first_line = (
        pd.Series(lines, index=frame.index).groupby([frame[k] for k in key]).transform("first")
    ).to_numpy()
    problems = []
    for i in np.flatnonzero(duplicated):
        value = "/".join(str(frame[k].iat[i]) for k in key)
        problems.append(
            DataProblem(
                shown,
                int(lines[i]),
                "+".join(key),
                value,
                f"duplicate key (first at row {int(first_line[i])})",
            )
        )
    return problems


# ------------------------------------------------------------------------------ CLI


def check_all(data_dir: Path | None = None) -> tuple[list[DataProblem], list[str]]:
    """Validate every file listed in the codebook: (problems, notices)."""
    base = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        book = load_codebook(base)
    except DataValidationError as exc:
        return exc.problems, []
    problems: list[DataProblem] = []
    notices: list[str] = []
    for relpath in book.files:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataNotice)
            try:
                load_table(relpath, base)
            except DataValidationError as exc:
                problems += exc.problems
        notices += [str(w.message) for w in caught if issubclass(w.category, DataNotice)]
    return problems, notices


def main(argv: Iterable[str] | None = None) -> int:
    """`python -m quartowrap.authoring.data check [--data-dir PATH]`: 0 when every file is valid."""
    parser = argparse.ArgumentParser(prog="python -m quartowrap.authoring.data")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate every file listed in the codebook")
    check.add_argument("--data-dir", type=Path, default=None, help="data directory to check")
    args = parser.parse_args(list(argv) if argv is not None else None)
    base = args.data_dir if args.data_dir is not None else default_data_dir()
    problems, notices = check_all(base)
    for notice in notices:
        print(f"notice: {notice}", file=sys.stderr)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found in {base}", file=sys.stderr)
        return 1
    count = len(load_codebook(base).files)
    print(f"{count} file(s) in {base} match {CODEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
