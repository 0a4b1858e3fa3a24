"""Parse a Quarto markdown chapter into prose blocks, executable cells and inline expressions.

Everything keeps its origin: `{{< include >}}` shortcodes are expanded first, and every
expanded line remembers the file and line it came from, so an error in a cell that lives in
an included file names that file.  Cells keep their `#|` option lines in `source` (they are
Python comments) so that a line number reported by the kernel maps straight back to the
`.qmd`.  `.md` chapters are parsed the same way but never execute anything, as in Quarto.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation
from quartowrap.project import diagrams
from quartowrap.project.config import YamlDocument, check_front_matter, merge_metadata, parse_yaml
from quartowrap.project.confine import confine
from quartowrap.project.shortcodes import (
    ShortcodeContext,
    expand_shortcodes,
    load_variables,
    normalise_metadata,
)

EXECUTABLE_LANGUAGES = frozenset({"python"})

_FENCE_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>.*?)[ \t]*$")
_CELL_INFO = re.compile(r"^\{(?P<lang>[A-Za-z][\w+-]*)(?P<attrs>[^{}]*)\}$")
_ESCAPED_CELL_INFO = re.compile(r"^\{\{(?P<lang>[A-Za-z][\w+-]*)[^{}]*\}\}$")
_INCLUDE = re.compile(
    r"^[ \t]*\{\{<[ \t]*include[ \t]+(?P<path>\"[^\"]+\"|'[^']+'|\S+)[ \t]*>\}\}[ \t]*$"
)
_OPTION_LINE = re.compile(r"^#\|[ \t]?(?P<yaml>.*)$")
_INLINE = re.compile(
    r"(?<!`)(?P<ticks>`+)\{python\}[ \t]+(?P<code>[^`\n](?:.*?[^`\n])?)[ \t]*(?P=ticks)(?!`)"
)
_ATTR = re.compile(
    r"""(?P<key>[\w-]+)=(?P<value>"[^"]*"|'[^']*'|\S+)|(?P<cls>\.[\w-]+)|(?P<id>#[\w-]+)"""
)


class CellOptions(BaseModel):
    """Types of the Quarto cell options this engine acts on; other options pass through."""

    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)

    label: str | None = None
    echo: bool | Literal["fenced"] | None = None
    eval: bool | None = None
    output: bool | Literal["asis"] | None = None
    include: bool | None = None
    warning: bool | None = None
    error: bool | None = None
    fig_cap: str | list[str] | None = Field(None, alias="fig-cap")
    fig_alt: str | None = Field(None, alias="fig-alt")
    tbl_cap: str | list[str] | None = Field(None, alias="tbl-cap")
    column: str | None = None
    fig_width: int | float | None = Field(None, alias="fig-width")
    fig_height: int | float | None = Field(None, alias="fig-height")
    classes: str | list[str] | None = None
    code_fold: bool | Literal["show"] | None = Field(None, alias="code-fold")
    code_summary: str | None = Field(None, alias="code-summary")


@dataclass(frozen=True)
class InlineExpr:
    """An inline `` `{python} expr` ``; `start`/`end` are offsets in its block's text."""

    code: str
    location: SourceLocation
    start: int
    end: int


@dataclass(frozen=True)
class MarkdownBlock:
    """Prose between cells, exactly as written (after include expansion)."""

    text: str
    lines: tuple[SourceLocation, ...]
    inline: tuple[InlineExpr, ...] = ()

    @property
    def location(self) -> SourceLocation | None:
        return self.lines[0] if self.lines else None


@dataclass(frozen=True)
class CodeCell:
    """One executable ```` ```{python} ```` cell."""

    index: int  # position among the document's cells (0-based)
    language: str
    source: str  # body as written, `#|` lines included
    code: str  # body without the option lines (what `echo` shows)
    options: dict[str, Any]
    location: SourceLocation  # the opening fence
    lines: tuple[SourceLocation, ...]  # origin of each line of `source`
    classes: tuple[str, ...] = ()  # from the fence attributes, e.g. `.wide`

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return str(label) if label is not None else None

    def location_of(self, line: int) -> SourceLocation:
        """Where line `line` (1-based) of `source` is in the author's files."""
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1]
        return self.location


Block = MarkdownBlock | CodeCell


@dataclass(frozen=True)
class QmdDocument:
    """A parsed chapter."""

    path: Path  # relative to the project root
    front_matter: dict[str, Any]
    blocks: tuple[Block, ...]
    includes: tuple[Path, ...] = ()  # included files, relative to the root, in order
    executable: bool = True  # False for `.md` chapters
    source_hash: str = ""  # sha256 over the chapter and every included file
    front_matter_yaml: YamlDocument | None = field(default=None, compare=False)

    @property
    def cells(self) -> tuple[CodeCell, ...]:
        return tuple(b for b in self.blocks if isinstance(b, CodeCell))

    @property
    def inline(self) -> tuple[InlineExpr, ...]:
        return tuple(e for b in self.blocks if isinstance(b, MarkdownBlock) for e in b.inline)

    @property
    def has_code(self) -> bool:
        return bool(self.cells or self.inline)


# --------------------------------------------------------------------------------------
# Include expansion
# --------------------------------------------------------------------------------------

Line = tuple[str, SourceLocation]


@dataclass
class _Expansion:
    root: Path
    main_dir: Path
    lines: list[Line] = field(default_factory=list)
    includes: list[Path] = field(default_factory=list)
    hasher: Any = field(default_factory=hashlib.sha256)
    included_meta: dict[str, Any] = field(default_factory=dict)


def _rel(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


def _read(path: Path, rel: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"file not found: {rel.as_posix()}") from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError("not UTF-8 text", SourceLocation(rel, line)) from None


def _split_front_matter(text: str) -> tuple[str | None, int, list[str]]:
    """(YAML text or None, number of lines it occupied, remaining lines)."""
    lines = text.split("\n")
    if lines and lines[0].rstrip() == "---":
        for i in range(1, len(lines)):
            if lines[i].rstrip() in ("---", "..."):
                return "\n".join(lines[1:i]), i + 1, lines[i + 1 :]
    return None, 0, lines


def _expand(
    exp: _Expansion, path: Path, stack: tuple[Path, ...], at: SourceLocation | None
) -> None:
    rel = _rel(path, exp.root)
    if path.resolve() in stack:
        chain = " -> ".join(_rel(p, exp.root).as_posix() for p in (*stack, path.resolve()))
        raise ConfigError(f"include cycle: {chain}", at)
    try:
        text = _read(path, rel)
    except ConfigError as err:
        if at is not None and err.location is None:
            raise ConfigError(err.message, at) from None
        raise
    exp.hasher.update(rel.as_posix().encode() + b"\0" + text.encode() + b"\0")
    first = 1
    lines = text.split("\n")
    if stack:  # an included file's metadata block applies to the including document (Quarto)
        meta_text, used, lines = _split_front_matter(text)
        if meta_text is not None:
            meta = parse_yaml(meta_text, rel, first_line=2)
            exp.included_meta = merge_metadata(meta.data, exp.included_meta)
            first = used + 1
    if lines and lines[-1] == "":
        lines.pop()
    fence: str | None = None
    for offset, line in enumerate(lines):
        loc = SourceLocation(rel, first + offset)
        if fence is None:
            m = _open_fence(line)
            if m:
                fence = m.group("fence")
            else:
                inc = _INCLUDE.match(line)
                if inc:
                    target = _resolve_include(inc.group("path").strip("\"'"), exp, path, loc)
                    exp.includes.append(_rel(target, exp.root))
                    _expand(exp, target, (*stack, path.resolve()), loc)
                    continue
        elif _closes(line, fence):
            fence = None
        exp.lines.append((line, loc))


def _resolve_include(target: str, exp: _Expansion, including: Path, at: SourceLocation) -> Path:
    """Quarto resolves include paths against the main document's directory (`/` = project
    root); for convenience a path relative to the including file is accepted as well."""
    if target.startswith("/"):
        candidates = [exp.root / target.lstrip("/")]
    else:
        candidates = [exp.main_dir / target, including.parent / target]
    for candidate in candidates:
        if candidate.is_file():
            # never read (and publish) a file outside the project, even through a symlink
            confine(candidate, (exp.root,), "included file", at)
            return candidate
    raise ConfigError(f"included file not found: {target}", at)


def _open_fence(line: str) -> re.Match[str] | None:
    m = _FENCE_OPEN.match(line)
    if m and m.group("fence")[0] == "`" and "`" in m.group("info"):
        return None  # CommonMark: a backtick fence's info string has no backticks
    return m


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
    )


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def parse_qmd(path: Path, root: Path, metadata: Mapping[str, Any] | None = None) -> QmdDocument:
    """Parse the chapter at `path` (absolute, or relative to `root`).

    `metadata` is what the document inherits (project and directory metadata); its front
    matter is merged over it for `{{< meta >}}`.  Shortcodes are expanded here so that every
    later stage, and freeze, sees the text the author meant.
    """
    root = Path(root).resolve()
    path = path if path.is_absolute() else root / path
    rel = _rel(path, root)
    if path.suffix not in (".qmd", ".md", ".markdown"):
        raise ConfigError(
            f"unsupported chapter type '{path.suffix}' (use .qmd or .md)", SourceLocation(rel, 1)
        )
    executable = path.suffix == ".qmd"
    exp = _Expansion(root=root, main_dir=path.parent)
    _expand(exp, path, (), None)
    lines = exp.lines

    front_matter: dict[str, Any] = {}
    fm_doc: YamlDocument | None = None
    start = 0
    if lines and lines[0][0].rstrip() == "---":
        for i in range(1, len(lines)):
            if lines[i][0].rstrip() in ("---", "..."):
                fm_doc = parse_yaml("\n".join(t for t, _ in lines[1:i]), rel, first_line=2)
                check_front_matter(fm_doc)
                front_matter = fm_doc.data
                start = i + 1
                break
    if exp.included_meta:
        front_matter = merge_metadata(exp.included_meta, front_matter)

    context = ShortcodeContext(
        metadata=normalise_metadata(merge_metadata(dict(metadata or {}), front_matter)),
        variables=load_variables(root),
        root=root,
        document=rel,
    )
    blocks = _blocks(expand_shortcodes(lines[start:], context), executable, root)
    return QmdDocument(
        path=rel,
        front_matter=front_matter,
        blocks=tuple(blocks),
        includes=tuple(exp.includes),
        executable=executable,
        source_hash=exp.hasher.hexdigest(),
        front_matter_yaml=fm_doc,
    )


def _blocks(lines: list[Line], executable: bool, root: Path | None = None) -> list[Block]:
    blocks: list[Block] = []
    prose: list[Line] = []
    i = 0
    n_cells = 0

    def flush() -> None:
        if prose:
            blocks.append(_markdown_block(prose, executable))
            prose.clear()

    while i < len(lines):
        text, loc = lines[i]
        m = _open_fence(text)
        if not m:
            prose.append((text, loc))
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info")
        end = i + 1
        while end < len(lines) and not _closes(lines[end][0], fence):
            end += 1
        if end >= len(lines):
            raise ConfigError(f"code block opened with {fence} is never closed", loc)
        cell = _CELL_INFO.match(info)
        if executable and cell and cell.group("lang") in EXECUTABLE_LANGUAGES:
            flush()
            blocks.append(
                _cell(n_cells, cell.group("lang"), cell.group("attrs"), lines[i : end + 1])
            )
            n_cells += 1
        elif cell and cell.group("lang") in DIAGRAM_LANGUAGES:
            lang, indent = cell.group("lang"), m.group("indent")
            if root is not None and diagrams.available(lang):
                prose.extend(_diagram_figure(lang, indent, lines[i : end + 1], root))
            else:
                prose.extend(_diagram_source(lang, indent, lines[i : end + 1]))
        else:
            escaped = _ESCAPED_CELL_INFO.match(info)
            if escaped:  # ```{{python}} shows a cell verbatim (Quarto); pandoc needs a class
                text = f"{m.group('indent')}{fence}{escaped.group('lang')}"
            prose.append((text, loc))
            prose.extend(lines[i + 1 : end + 1])
        i = end + 1
    flush()
    return blocks


DIAGRAM_LANGUAGES = frozenset({"mermaid", "dot"})
DIAGRAM_NOTE = (
    "Diagram source ({lang}). This environment cannot draw {lang} diagrams (install "
    "`quartowrap[diagrams]`); the source is shown instead."
)
_DIAGRAM_OPTION = re.compile(r"^\s*(%%|//)\|[ \t]?(?P<yaml>.*)$")


def _diagram_figure(lang: str, indent: str, lines: list[Line], root: Path) -> list[Line]:
    """A diagram cell drawn to SVG and written as a Quarto figure: `![cap](svg){#fig-x}`.

    Options come from `%%|` (mermaid) or `//|` (dot) lines, as in Quarto: `label`,
    `fig-cap`, `fig-alt`, `fig-width` (inches or any CSS length).
    """
    loc = lines[0][1]
    body = lines[1:-1]
    option_lines = [(m.group("yaml"), at) for t, at in body if (m := _DIAGRAM_OPTION.match(t))]
    options: dict[str, Any] = {}
    if option_lines:
        first = option_lines[0][1]
        doc = parse_yaml("\n".join(t for t, _ in option_lines), first.path, first_line=first.line)
        options = dict(doc.data or {})
    source = "\n".join(t for t, _ in body if not _DIAGRAM_OPTION.match(t))
    svg = diagrams.draw(lang, source, root, loc)
    label = str(options.get("label") or "")
    caption = str(options.get("fig-cap") or "")
    alt = str(options.get("fig-alt") or caption or f"{lang} diagram")
    attrs = [f"#{label}"] if label else []
    attrs.append(f'fig-alt="{_attr_text(alt)}"')
    width = options.get("fig-width")
    if width is not None:
        attrs.append(
            f'width="{_attr_text(str(width) + ("in" if isinstance(width, int | float) else ""))}"'
        )
    line = f"{indent}![{caption}]({svg.as_posix()}){{{' '.join(attrs)}}}"
    return [("", loc), (line, loc), ("", lines[-1][1])]


def _attr_text(text: str) -> str:
    """A value for a pandoc attribute in double quotes (no newline, quotes escaped)."""
    return " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')


def _diagram_source(lang: str, indent: str, lines: list[Line]) -> list[Line]:
    """A ```{mermaid}/```{dot} cell as a readable code block under a note, inside a
    `.diagram-source` div.  Pandoc would otherwise read `{mermaid}` as an inline code span
    and run the lines together.  Its `%%|`/`//|` option lines are dropped."""
    fence_line, loc = lines[0]
    fence = _FENCE_OPEN.match(fence_line)
    ticks = fence.group("fence") if fence else "```"
    body = [
        (t, at)
        for t, at in lines[1:-1]
        if not re.match(r"^\s*(%%|//)\|", t)  # Quarto's diagram cell options
    ]
    note = DIAGRAM_NOTE.format(lang=lang)
    return [
        (f"{indent}::: {{.diagram-source .diagram-{lang}}}", loc),
        (f"{indent}{note}", loc),
        ("", loc),
        (f"{indent}{ticks}{{.{lang}}}", loc),
        *body,
        (lines[-1][0], lines[-1][1]),
        ("", lines[-1][1]),
        (f"{indent}:::", lines[-1][1]),
    ]


def _markdown_block(lines: list[Line], executable: bool) -> MarkdownBlock:
    text = "\n".join(t for t, _ in lines)
    locations = tuple(loc for _, loc in lines)
    inline: list[InlineExpr] = []
    if executable:
        starts = [0]
        for t, _ in lines:
            starts.append(starts[-1] + len(t) + 1)
        fence: str | None = None
        for idx, (t, _) in enumerate(lines):
            # Inline code inside a literal code block is text, not an expression.
            if fence is None:
                m = _open_fence(t)
                if m:
                    fence = m.group("fence")
                    continue
            else:
                if _closes(t, fence):
                    fence = None
                continue
            for m in _INLINE.finditer(t):
                inline.append(
                    InlineExpr(
                        code=m.group("code").strip(),
                        location=locations[idx],
                        start=starts[idx] + m.start(),
                        end=starts[idx] + m.end(),
                    )
                )
    return MarkdownBlock(text=text, lines=locations, inline=tuple(inline))


def _fence_attributes(attrs: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`{python echo=false .wide #fig-x}` → options and classes (knitr-style attributes)."""
    options: dict[str, Any] = {}
    classes: list[str] = []
    for m in _ATTR.finditer(attrs):
        if m.group("cls"):
            classes.append(m.group("cls")[1:])
        elif m.group("id"):
            options["label"] = m.group("id")[1:]
        else:
            raw = m.group("value").strip("\"'")
            lowered = raw.lower()
            value: Any = {"true": True, "false": False}.get(lowered, raw)
            options[m.group("key")] = value
    return options, tuple(classes)


def _cell(index: int, lang: str, attrs: str, lines: list[Line]) -> CodeCell:
    fence_loc = lines[0][1]
    body = lines[1:-1]
    options, classes = _fence_attributes(attrs)
    option_lines: list[Line] = []
    for text, loc in body:
        m = _OPTION_LINE.match(text)
        if not m:
            break
        option_lines.append((m.group("yaml"), loc))
    if option_lines:
        first = option_lines[0][1]
        doc = parse_yaml("\n".join(t for t, _ in option_lines), first.path, first_line=first.line)
        try:
            CellOptions.model_validate(doc.data)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = str(err["loc"][0]) if err["loc"] else ""
            raise ConfigError(
                f"invalid cell option '{key}': {err['msg']} (got {err.get('input')!r})",
                doc.location(err["loc"][:1]),
            ) from None
        options.update(doc.data)
    extra = options.get("classes")
    if extra:
        classes = (*classes, *(extra.split() if isinstance(extra, str) else extra))
    source = "\n".join(t for t, _ in body)
    code = "\n".join(t for t, _ in body[len(option_lines) :])
    return CodeCell(
        index=index,
        language=lang,
        source=source,
        code=code,
        options=options,
        location=fence_loc,
        lines=tuple(loc for _, loc in body),
        classes=classes,
    )
