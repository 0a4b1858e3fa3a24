"""Check that the book's citations and its bibliography agree, before pandoc has to.

citeproc only warns about an unknown key and prints "???" in the report; an entry nobody
cites silently bloats the reference list.  This check runs in CI and tells the author
exactly where to look:

* every key cited in a chapter (`[@key]`, `@key`, `[-@key]`, `@{key}`; cross-references
  `@fig-…`, `@tbl-…`, `@sec-…`, `@eq-…` and the other Quarto prefixes excluded; code
  blocks and inline code ignored) and every key in a data file's `refs` column (CSV
  columns and YAML keys named exactly `refs`, keys separated by `;`, `,` or spaces)
  exists in one of the bibliography files listed in `_quarto.yml`;
* every bibliography entry is used: cited somewhere, named in a `nocite` (front matter of
  a chapter or `_quarto.yml`), or marked as further reading with
  `keywords = {further-reading}` (the keyword may sit among others, comma-separated);
* each key is defined once, DOIs are bare and well formed (`10.NNNN/suffix`), and every
  entry parses.

Each problem names the file, the line and the key.  CLI: `python -m analysis.citations
[ROOT]` prints them and exits with status 1 when there is any.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "BibEntry",
    "Citation",
    "CitationProblem",
    "check_citations",
    "cited_in_data",
    "cited_in_markdown",
    "join_refs",
    "main",
    "parse_bibtex",
]

ProblemKind = Literal[
    "missing-bibliography",
    "parse-error",
    "duplicate-key",
    "undefined-key",
    "unused-entry",
    "bad-doi",
]

FURTHER_READING = "further-reading"
CROSSREF_PREFIXES = (
    "fig-", "tbl-", "sec-", "eq-", "lst-", "thm-", "lem-", "cor-", "prp-", "cnj-",
    "def-", "exm-", "exr-", "sol-", "rem-",
)  # fmt: skip
# Crossref's recommended DOI pattern (case-insensitive).
_DOI = re.compile(r"10\.\d{4,9}/[-._;()/:A-Za-z0-9<>\[\]]+")


@dataclass(frozen=True, order=True)
class CitationProblem:
    """One disagreement between the text/data and the bibliography."""

    file: str
    line: int
    kind: ProblemKind
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {self.kind}: {key}{self.message}"


@dataclass(frozen=True)
class Citation:
    """A key used somewhere, with where (file relative to the project, 1-based line)."""

    key: str
    file: str
    line: int


@dataclass
class BibEntry:
    """One parsed BibTeX entry; field names lower-cased, values with outer braces removed."""

    entry_type: str
    key: str
    file: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def keywords(self) -> set[str]:
        return {k.strip().lower() for k in re.split(r"[,;]", self.fields.get("keywords", ""))}


# ---------------------------------------------------------------------------- BibTeX


class _BibSyntaxError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _delimited(text: str, start: int, closing: str, unclosed: str) -> tuple[str, int]:
    """The value after the opening `{` or `"` at `start`, up to the first `closing` outside
    nested braces (a backslash escapes the next character), and the index after it.

    One scanner serves both BibTeX delimiters: a braced value ends at the brace that
    balances its opening one, a quoted value at the first quote outside braces.
    """
    depth, i = 0, start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == closing and depth == 0:
            return text[start + 1 : i], i + 1
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 1
    raise _BibSyntaxError(start, unclosed)


# Opening delimiter -> (closing delimiter, message when it never comes).
_CLOSERS = {"{": ("}", "unbalanced braces"), '"': ('"', "unterminated quoted value")}


def _value(text: str, i: int) -> tuple[str, int]:
    """A field value: pieces in braces, quotes or bare words joined by `#`."""
    parts = []
    while True:
        i = _skip_space(text, i)
        if i >= len(text):
            raise _BibSyntaxError(i, "missing field value")
        if text[i] in _CLOSERS:
            part, i = _delimited(text, i, *_CLOSERS[text[i]])
        else:
            match = re.compile(r"[^\s,#{}\"]+").match(text, i)
            if not match:
                raise _BibSyntaxError(i, "malformed field value")
            part, i = match.group(), match.end()
        parts.append(part)
        i = _skip_space(text, i)
        if i < len(text) and text[i] == "#":
            i += 1
            continue
        return "".join(parts), i


def _entry_body(text: str, i: int, entry: BibEntry, line_of: Any) -> int:
    """Parse `key, name = value, …}` from i (just after the opening brace)."""
    i = _skip_space(text, i)
    match = re.compile(r"[^\s,{}]+").match(text, i)
    if not match:
        raise _BibSyntaxError(i, "entry without a key")
    entry.key = match.group()
    i = _skip_space(text, match.end())
    while True:
        if i >= len(text):
            raise _BibSyntaxError(i, "entry not closed with '}'")
        if text[i] == "}":
            return i + 1
        if text[i] != ",":
            raise _BibSyntaxError(i, f"expected ',' or '}}', found {text[i]!r}")
        i = _skip_space(text, i + 1)
        if i < len(text) and text[i] == "}":
            return i + 1
        name = re.compile(r"[A-Za-z][\w\-:.+]*").match(text, i)
        if not name:
            raise _BibSyntaxError(i, "expected a field name")
        j = _skip_space(text, name.end())
        if j >= len(text) or text[j] != "=":
            raise _BibSyntaxError(j, f"expected '=' after field {name.group()!r}")
        value, i = _value(text, j + 1)
        field_name = name.group().lower()
        entry.fields[field_name] = " ".join(value.split())
        entry.field_lines[field_name] = line_of(name.start())


def parse_bibtex(text: str, file: str = "<bib>") -> tuple[list[BibEntry], list[CitationProblem]]:
    """Entries of a BibTeX file and the syntax problems found (parsing resumes after each).

    Text outside entries is a comment (as in BibTeX); `@comment`, `@preamble` and
    `@string` are skipped.
    """
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        lo, hi = 0, len(starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid
        return lo + 1

    entries: list[BibEntry] = []
    problems: list[CitationProblem] = []
    resume = 0  # an '@' inside an entry already parsed is text, not a new entry
    for match in re.finditer(r"@\s*([A-Za-z]+)\s*\{", text):
        if match.start() < resume:
            continue
        kind = match.group(1).lower()
        if kind in ("comment", "preamble", "string"):
            continue
        entry = BibEntry(kind, "", file, line_of(match.start()))
        try:
            resume = _entry_body(text, match.end(), entry, line_of)
        except _BibSyntaxError as exc:
            where = line_of(exc.offset)
            message = str(exc)
            if where != entry.line:
                message += f" (entry starts at line {entry.line})"
            problems.append(CitationProblem(file, where, "parse-error", entry.key, message))
            continue
        entries.append(entry)
    return entries, problems


# ----------------------------------------------------------------------- citations

_KEY = r"[A-Za-z0-9_](?:\w|[:.#$%&\-+?<>~/](?=\w))*"
_CITATION = re.compile(r"(?<![\w\\@])-?@(?:\{(?P<braced>[^{}\s]+)\}|(?P<bare>" + _KEY + "))")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    """Replace a span by spaces, keeping its line breaks (so line numbers stay right)."""
    return re.sub(r"[^\n]", " ", match.group())


def _front_matter(text: str) -> tuple[dict[str, Any], int]:
    """YAML front matter (if any) and the number of lines it occupies."""
    if not text.startswith("---"):
        return {}, 0
    lines = text.split("\n")
    for k in range(1, len(lines)):
        if lines[k].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:k])) or {}
            except yaml.YAMLError:
                meta = {}
            return (meta if isinstance(meta, dict) else {}), k + 1
    return {}, 0


def _nocite_keys(value: Any) -> list[str]:
    if not value:
        return []
    text = value if isinstance(value, str) else " ".join(map(str, value))
    return [m.group("braced") or m.group("bare") for m in _CITATION.finditer(text)]


def cited_in_markdown(text: str, file: str) -> tuple[list[Citation], list[Citation]]:
    """(citations, nocite entries) of a Quarto markdown document."""
    meta, skip = _front_matter(text)
    nocite = [Citation(k, file, 1) for k in _nocite_keys(meta.get("nocite"))]
    lines = text.split("\n")
    body_lines = [""] * skip + lines[skip:]
    fence: str | None = None
    for k, line in enumerate(body_lines):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0] * 3
            body_lines[k] = ""
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            body_lines[k] = ""
    body = _COMMENT.sub(_blank, "\n".join(body_lines))
    body = _INLINE_CODE.sub(_blank, body)
    citations = []
    for k, line in enumerate(body.split("\n"), start=1):
        for match in _CITATION.finditer(line):
            key = match.group("braced") or match.group("bare")
            if key.startswith(CROSSREF_PREFIXES):
                continue
            citations.append(Citation(key, file, k))
    return citations, nocite


def _split_refs(value: str) -> list[str]:
    return [part for part in re.split(r"[;,\s]+", value.strip()) if part]


def join_refs(keys: Iterable[str]) -> str:
    """A `refs` cell for a tidy table: keys joined by "; ", which `_split_refs` reads back.

    Kept next to the reader so writer and checker cannot drift apart.
    """
    return "; ".join(keys)


def _csv_refs(path: Path, shown: str) -> Iterator[Citation]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.readline()
        handle.seek(0)
        sep = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(handle, delimiter=sep)
        header = next(reader, [])
        columns = [k for k, name in enumerate(header) if name == "refs"]
        if not columns:
            return
        line = reader.line_num
        for record in reader:
            first, line = line + 1, reader.line_num
            for k in columns:
                if k < len(record):
                    for key in _split_refs(record[k]):
                        yield Citation(key, shown, first)


def _yaml_refs(path: Path, shown: str) -> Iterator[Citation]:
    try:
        nodes = list(yaml.compose_all(path.read_text(encoding="utf-8-sig")))
    except yaml.YAMLError:
        return  # quartowrap.authoring.data reports YAML syntax errors
    stack: list[yaml.Node] = [n for n in nodes if n is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == "refs":
                    scalars = (
                        [value_node]
                        if isinstance(value_node, yaml.ScalarNode)
                        else [
                            n
                            for n in getattr(value_node, "value", [])
                            if isinstance(n, yaml.ScalarNode)
                        ]
                    )
                    for scalar in scalars:
                        for key in _split_refs(str(scalar.value)):
                            yield Citation(key, shown, scalar.start_mark.line + 1)
                else:
                    stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def cited_in_data(data_dir: Path, root: Path) -> list[Citation]:
    """Keys in `refs` columns (CSV) and `refs` keys (YAML) of every file under data_dir."""
    citations: list[Citation] = []
    if not data_dir.is_dir():
        return citations
    for path in sorted(data_dir.rglob("*")):
        shown = _relative(path, root)
        if path.suffix == ".csv":
            citations.extend(_csv_refs(path, shown))
        elif path.suffix in (".yaml", ".yml") and path.name != "codebook.yaml":
            citations.extend(_yaml_refs(path, shown))
    return citations


# ------------------------------------------------------------------------- project


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _book_documents(root: Path, config: dict[str, Any]) -> list[Path]:
    """The .qmd files of the book: listed chapters/appendices, then any others in chapters/."""
    book = config.get("book") or {}
    listed: list[str] = []
    for part in ("chapters", "appendices"):
        for item in book.get(part) or []:
            if isinstance(item, dict):  # a part: {part: title, chapters: [...]}
                listed.extend(_as_list(item.get("chapters")))
                listed.extend(_as_list(item.get("href")))
            else:
                listed.append(str(item))
    paths = [root / item for item in listed if item.endswith((".qmd", ".md"))]
    chapters_dir = root / "chapters"
    if chapters_dir.is_dir():
        paths.extend(sorted(chapters_dir.rglob("*.qmd")))
    return list(dict.fromkeys(p for p in paths if p.exists()))


def check_citations(
    project_root: Path | str, *, data_dir: Path | str | None = None
) -> list[CitationProblem]:
    """Every disagreement between the book's citations, its data `refs` and its bibliography.

    `data_dir` defaults to `<project_root>/data`.  Problems come sorted by file and line.
    """
    root = Path(project_root)
    config_path = root / "_quarto.yml"
    try:
        config_text = config_path.read_text(encoding="utf-8")
        config = yaml.safe_load(config_text) or {}
    except FileNotFoundError:
        return [CitationProblem("_quarto.yml", 0, "missing-bibliography", "", "no _quarto.yml")]
    problems: list[CitationProblem] = []

    entries: dict[str, BibEntry] = {}
    bib_files = _as_list(config.get("bibliography"))
    if not bib_files:
        problems.append(
            CitationProblem("_quarto.yml", 0, "missing-bibliography", "", "no bibliography listed")
        )
    for name in bib_files:
        path = root / name
        if not path.exists():
            line = next((k for k, text in enumerate(config_text.split("\n"), 1) if name in text), 0)
            problems.append(
                CitationProblem(
                    "_quarto.yml", line, "missing-bibliography", "", f"{name} listed but not found"
                )
            )
            continue
        parsed, syntax = parse_bibtex(path.read_text(encoding="utf-8-sig"), name)
        problems.extend(syntax)
        for entry in parsed:
            first = entries.get(entry.key)
            if first is not None:
                problems.append(
                    CitationProblem(
                        name,
                        entry.line,
                        "duplicate-key",
                        entry.key,
                        f"already defined at {first.file}:{first.line}",
                    )
                )
                continue
            entries[entry.key] = entry
            problems.extend(_doi_problems(entry))

    citations: list[Citation] = []
    nocite: list[Citation] = _citations_from_nocite(config.get("nocite"), "_quarto.yml")
    for path in _book_documents(root, config):
        found, extra = cited_in_markdown(path.read_text(encoding="utf-8"), _relative(path, root))
        citations.extend(found)
        nocite.extend(extra)
    data = Path(data_dir) if data_dir is not None else root / "data"
    citations.extend(cited_in_data(data, root))

    cite_all = any(c.key == "*" for c in nocite)
    for citation in [*citations, *(c for c in nocite if c.key != "*")]:
        if citation.key not in entries:
            problems.append(
                CitationProblem(
                    citation.file,
                    citation.line,
                    "undefined-key",
                    citation.key,
                    f"not in the bibliography ({', '.join(bib_files) or 'none listed'})",
                )
            )
    used = {c.key for c in citations} | {c.key for c in nocite}
    if not cite_all:
        for entry in entries.values():
            if entry.key not in used and FURTHER_READING not in entry.keywords:
                problems.append(
                    CitationProblem(
                        entry.file,
                        entry.line,
                        "unused-entry",
                        entry.key,
                        f"never cited; cite it, delete it, or add keywords = {{{FURTHER_READING}}}",
                    )
                )
    return sorted(set(problems))


def _citations_from_nocite(value: Any, file: str) -> list[Citation]:
    return [Citation(k, file, 0) for k in _nocite_keys(value)]


def _doi_problems(entry: BibEntry) -> list[CitationProblem]:
    doi = entry.fields.get("doi")
    if doi is None:
        return []
    line = entry.field_lines.get("doi", entry.line)
    if re.match(r"(?i)(https?://(dx\.)?doi\.org/|doi:)", doi):
        return [
            CitationProblem(
                entry.file, line, "bad-doi", entry.key, f"write the bare DOI, not {doi!r}"
            )
        ]
    if not _DOI.fullmatch(doi):
        return [
            CitationProblem(
                entry.file, line, "bad-doi", entry.key, f"{doi!r} is not a DOI (10.NNNN/suffix)"
            )
        ]
    return []


def main(argv: Iterable[str] | None = None) -> int:
    """`python -m analysis.citations [ROOT]`: 0 when citations and bibliography agree."""
    args = list(argv) if argv is not None else sys.argv[1:]
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m analysis.citations [PROJECT_ROOT]", file=sys.stderr)
        return 2
    root = Path(args[0]) if args else Path.cwd()
    problems = check_citations(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} citation problem(s) in {root}", file=sys.stderr)
        return 1
    print(f"citations in {root}: every key resolves and every entry is used")
    return 0


if __name__ == "__main__":
    sys.exit(main())
