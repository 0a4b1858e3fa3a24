"""Quarto's built-in shortcodes `meta`, `var`, `env` and `pagebreak`, expanded in prose.

Quarto resolves these before pandoc reads the document; so do we, line by line, so every
expanded line keeps the file and line it came from (errors point at the shortcode).
`include` is handled earlier by `qmd.py`.  `{{{< name … >}}}` (triple braces) stays literal
as `{{< name … >}}`, and a code block whose attributes say `shortcodes=false` is left alone,
both as Quarto documents.  Values (a `_variables.yml` entry, a metadata key) are inserted as
markdown, so a variable may hold a link.

As Quarto, a missing key or an unset variable without a default prints `?meta:key` and an
unknown shortcode (`embed`, an extension's) prints as written; both are warnings naming the
file and line (assemble/shortcode_results.py), errors under `--strict`.  `meta` reads the
metadata as Quarto normalises it (`normalise_metadata`), so `{{< meta license.text >}}` works.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation
from quartowrap.project.embed import embed_lines
from quartowrap.project.shortcode_builtins import BUILTINS

VARIABLES_FILE = "_variables.yml"
SUPPORTED = ("meta", "var", "env", "pagebreak")

# `{{< … >}}`, optionally with a third brace on each side (the escape).
_SHORTCODE = re.compile(r"(?P<open>\{\{\{?)<(?P<body>[^\n]*?)>(?P<close>\}\}\}?)")
_ARG = re.compile(r'"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<bare>\S+)')

# Both writers get their own native page break; each drops the other's raw block.
PAGEBREAK_LINES = (
    "```{=html}",
    '<div class="page-break" aria-hidden="true"></div>',
    "```",
    "",
    "```{=typst}",
    "#pagebreak(weak: true)",
    "```",
)

Line = tuple[str, SourceLocation]


@dataclass
class ShortcodeContext:
    """What the value shortcodes read: document metadata, project variables, environment."""

    metadata: Mapping[str, Any]
    variables: Mapping[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    variables_file: str = VARIABLES_FILE
    root: Path | None = None  # the project, for `embed` (None: embed is not available)
    document: Path | None = None  # the document, relative to `root`


def load_variables(root: Path) -> dict[str, Any]:
    """The project's `_variables.yml` (empty when there is none)."""
    from quartowrap.project.config import read_yaml_file  # late: config imports nothing from here

    path = Path(root) / VARIABLES_FILE
    if not path.is_file():
        return {}
    data = read_yaml_file(path, Path(root)).data
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            "must be a mapping of names to values", SourceLocation(Path(VARIABLES_FILE), 1)
        )
    return dict(data)


def _arguments(body: str) -> list[str]:
    return [m.group("dq") or m.group("sq") or m.group("bare") or "" for m in _ARG.finditer(body)]


def _lookup(data: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """Quarto's dotted keys: `email.info`, a list item by 1-based index, `\\.` for a dot."""
    value: Any = data
    for part in re.split(r"(?<!\\)\.", key):
        part = part.replace("\\.", ".")
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and 1 <= int(part) <= len(value):
            value = value[int(part) - 1]
        else:
            return False, None
    return True, value


def _as_text(value: Any, what: str, at: SourceLocation) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_as_text(v, what, at) for v in value)
    name = value.get("name") if isinstance(value, Mapping) else None
    if isinstance(name, Mapping) and isinstance(name.get("literal"), str):
        return name["literal"]  # a normalised author prints as its name
    if isinstance(value, Mapping) and all(isinstance(v, str | int | float) for v in value.values()):
        return " ".join(str(v) for v in value.values())
    if value is None:
        return ""
    raise ConfigError(f"{what} is a {type(value).__name__}, not a value that prints", at)


def _value(name: str, args: list[str], ctx: ShortcodeContext, at: SourceLocation) -> str:
    if not args:
        raise ConfigError(f"shortcode '{name}' needs a key: {{{{< {name} KEY >}}}}", at)
    key = args[0]
    if name == "env":
        if key in ctx.environ:
            return ctx.environ[key]
        if len(args) > 1:
            return args[1]
        return unresolved_marker(name, key, at)
    source = ctx.metadata if name == "meta" else ctx.variables
    found, value = _lookup(source, key)
    if not found:
        return unresolved_marker(name, key, at)
    return _as_text(value, f"{{{{< {name} {key} >}}}}", at)


UNRESOLVED_CLASS = "quartowrap-unresolved-shortcode"


_CC_LICENSES = ("CC BY", "CC BY-SA", "CC BY-ND", "CC BY-NC", "CC BY-NC-SA", "CC BY-NC-ND")


def _license(value: Any) -> Any:
    """Quarto's `license`: a string becomes `{text: …}`; a Creative Commons name also gets
    its `type` and `url` (version 4.0)."""
    if not isinstance(value, str):
        return value
    name = " ".join(value.split())
    if name.upper() in _CC_LICENSES:
        code = name.upper()[3:].lower()
        return {
            "text": name,
            "type": "creative-commons",
            "url": f"https://creativecommons.org/licenses/{code}/4.0/",
        }
    return {"text": value}


def _author(value: Any) -> Any:
    """One author as Quarto's normalised object: `name.literal` (and `given`/`family` split
    at the last space) from a string or a `name:` string."""
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        return value
    name = value.get("name")
    if isinstance(name, str):
        given, _, family = name.strip().rpartition(" ")
        parts = {"literal": name, **({"given": given, "family": family} if given else {})}
        return {**value, "name": parts}
    return dict(value)


def normalise_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """`metadata` with the fields Quarto derives when it reads a document: `license` as an
    object (`license.text`), and `authors`/`by-author` as lists of author objects
    (`authors.1.name.literal`) from `author` or `authors`; what the author wrote under
    `author` stays as written (`{{< meta author >}}` prints it)."""
    out = dict(metadata)
    if "license" in out:
        value = out["license"]
        out["license"] = (
            [_license(v) for v in value] if isinstance(value, list) else _license(value)
        )
    people = out.get("authors", out.get("author"))
    if people is not None and not (isinstance(people, list) and not people):
        listed = people if isinstance(people, list) else [people]
        normalised = [_author(p) for p in listed]
        out["authors"] = normalised
        out.setdefault("by-author", normalised)
    return out


UNKNOWN_ATTR = "data-unknown"


def unknown_marker(name: str, written: str, at: SourceLocation) -> str:
    """Quarto prints a shortcode it does not know as written and warns; the span lets the
    assembler warn (or, under --strict, fail) naming the file and line.  Quotes, dots and
    dashes are escaped too, so pandoc's smart typography leaves the text as written."""
    text = re.sub(r"([\\`*_{}\[\]<>#+!|~^$@.'\"-])", r"\\\1", written)
    where = str(at).replace('"', "")
    safe = name.replace('"', "")
    return f'[{text}]{{.{UNRESOLVED_CLASS} data-source="{where}" {UNKNOWN_ATTR}="{safe}"}}'


def unresolved_marker(name: str, key: str, at: SourceLocation) -> str:
    """Quarto prints `?meta:key` in bold and goes on; the span lets the assembler warn (or,
    under --strict, fail) naming the file and line."""
    text = re.sub(r"([\\`*_{}\[\]<>#+!|~^$@-])", r"\\\1", f"?{name}:{key}")
    where = str(at).replace('"', "")
    return f'**[{text}]{{.{UNRESOLVED_CLASS} data-source="{where}"}}**'


def _expand_line(
    text: str, at: SourceLocation, ctx: ShortcodeContext, in_code: bool
) -> list[str] | None:
    """The line's replacement (possibly several lines), or None when it has no shortcode."""
    if "{{" not in text or _SHORTCODE.search(text) is None:
        return None
    pieces: list[str] = []
    last = 0
    block: list[str] | None = None
    for m in _SHORTCODE.finditer(text):
        opening, closing, body = m.group("open"), m.group("close"), m.group("body")
        pieces.append(text[last : m.start()])
        last = m.end()
        if len(opening) == 3 and len(closing) == 3:  # escaped: print it as written
            pieces.append("{{<" + body + ">}}")
            continue
        args = _arguments(body)
        name = args[0] if args else ""
        lead, trail = opening[2:], closing[2:]  # a lone extra brace is just text
        if name == "pagebreak":
            if in_code:  # no raw blocks inside a code block: leave it as written
                pieces.append(m.group(0))
                continue
            if text.strip() != m.group(0):
                raise ConfigError("{{< pagebreak >}} must stand on a line of its own", at)
            block = list(PAGEBREAK_LINES)
            continue
        if name in BUILTINS:
            result = BUILTINS[name](args[1:], at)
            if isinstance(result, str):
                pieces.append(lead + result + trail)
                continue
            if in_code:
                pieces.append(m.group(0))
                continue
            if text.strip() != m.group(0):
                raise ConfigError(f"{{{{< {name} … >}}}} must stand on a line of its own", at)
            block = result
            continue
        if name == "embed" and ctx.root is not None and ctx.document is not None and len(args) > 1:
            if in_code:
                pieces.append(m.group(0))
                continue
            if text.strip() != m.group(0):
                raise ConfigError("{{< embed … >}} must stand on a line of its own", at)
            echo = any(a.replace(" ", "") in ("echo=true", 'echo="true"') for a in args[2:])
            block = embed_lines(args[1], ctx.root, ctx.document, at, echo=echo)
            continue
        if name not in ("meta", "var", "env"):
            pieces.append(lead + unknown_marker(name, "{{<" + body + ">}}", at) + trail)
            continue
        pieces.append(lead + _value(name, args[1:], ctx, at) + trail)
    if block is not None:
        return block
    pieces.append(text[last:])
    return "".join(pieces).split("\n")


_OPEN = re.compile(r"\{\{\{?<(?![^\n]*>\}\})")
_MAX_SHORTCODE_LINES = 20


def _join_open_shortcodes(lines: list[Line]) -> list[Line]:
    """A shortcode spread over several lines becomes one line at its first line's location
    (Quarto reads `{{< video URL` + newline + `title="…" >}}` as one shortcode)."""
    out: list[Line] = []
    i = 0
    while i < len(lines):
        text, loc = lines[i]
        end = _shortcode_end(lines, i) if "{{" in text and _OPEN.search(text) else None
        if end is None:
            out.append((text, loc))
            i += 1
            continue
        out.append((" ".join([text, *(t.strip() for t, _ in lines[i + 1 : end + 1])]), loc))
        i = end + 1
    return out


def _shortcode_end(lines: list[Line], start: int) -> int | None:
    """The line that closes the shortcode opened on `start`, within the same paragraph."""
    for j in range(start + 1, min(len(lines), start + _MAX_SHORTCODE_LINES)):
        text = lines[j][0]
        if not text.strip() or _FENCE.match(text):
            return None
        if ">}}" in text:
            return j
    return None


_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_CELL = re.compile(r"^\{[A-Za-z]")
_NO_SHORTCODES = re.compile(r"shortcodes\s*=\s*[\"']?false")


def expand_shortcodes(lines: list[Line], ctx: ShortcodeContext) -> list[Line]:
    """`lines` with every shortcode replaced; added lines share the shortcode's location.

    Inside fenced code the value shortcodes expand too (as in Quarto) unless the fence's
    attributes hold `shortcodes=false`.  Executable cells (```{python}) are left as written.
    """
    out: list[Line] = []
    fence: str | None = None
    skip = False
    lines = _join_open_shortcodes(lines)
    for text, loc in lines:
        if fence is None:
            m = _FENCE.match(text)
            if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
                fence = m.group("fence")
                info = m.group("info").strip()
                # executable cells (```{python}) are code to run, not prose: left as written
                skip = bool(_CELL.match(info) or _NO_SHORTCODES.search(info))
                out.append((text, loc))
                continue
        elif text.strip() and set(text.strip()) == {fence[0]} and len(text.strip()) >= len(fence):
            fence = None
            out.append((text, loc))
            continue
        replaced = None if skip and fence else _expand_line(text, loc, ctx, fence is not None)
        if replaced is None:
            out.append((text, loc))
        else:
            out.extend((piece, loc) for piece in replaced)
    return out


__all__ = [
    "PAGEBREAK_LINES",
    "SUPPORTED",
    "ShortcodeContext",
    "expand_shortcodes",
    "load_variables",
]
