"""Code highlighting in the PDF: Quarto's `syntax-highlighting` option, as Quarto 1.9 reads it.

Since Quarto 1.9 typst output is highlighted by pandoc's skylighting, as every other format;
`idiomatic` asks for typst's own highlighter and `none` for plain code. Skylighting is also
the fast choice: typst's highlighter costs about 6 ms per short code block on every build
(half the compile time of a book that shows its code), pandoc's a fraction of that.

By default the token functions pandoc's output calls come from the theme's
`typst/highlighting.typ` (the default theme's when a theme has none), coloured like the HTML
site's code. A style name (`tango`, `github`, …) or a KDE `.theme` file inside the project
gets pandoc's own definitions of that style instead.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

from quartowrap.assemble.book import run_pandoc
from quartowrap.model import BookConfig, SourceLocation
from quartowrap.project.confine import confine
from quartowrap.project.theme import Theme, builtin_theme

HIGHLIGHTING_FILE = "highlighting.typ"
KEYS = ("syntax-highlighting", "highlight-style")  # Quarto 1.9's name, then the older one
THEME_STYLE = "default"  # the theme's highlighting.typ
BUILT_IN = {"default", "idiomatic", "none"}


def highlighting_choice(config: BookConfig) -> str:
    """`default` (the theme's colours), `idiomatic`, `none`, or a style name / `.theme` file.

    Read as Quarto does: under `format: typst:` (or `pdf:`) first, then at the top level; a
    light/dark pair gives its light style (paper is light)."""
    places: list[dict[str, Any]] = [
        config.formats.get("typst") or {},
        config.formats.get("pdf") or {},
        config.metadata if isinstance(config.metadata, dict) else {},
    ]
    for place in places:
        for key in KEYS:
            value = place.get(key)
            if isinstance(value, dict):
                value = value.get("light")
            if isinstance(value, str) and value.strip():
                return value.strip()
    return THEME_STYLE


def pandoc_option(choice: str, config: BookConfig) -> str:
    """The `--syntax-highlighting=` value for pandoc's typst writer. For typst pandoc's own
    `default` is typst's highlighter; any skylighting style makes it write token calls, and
    the theme's (highlighting.typ) colour them."""
    if choice == THEME_STYLE:
        return "pygments"
    if choice in BUILT_IN:
        return choice
    return str(_style_file(choice, config) or choice)


def _style_file(choice: str, config: BookConfig) -> Path | None:
    """A `.theme` file named by the book: inside the project, or a ConfigError."""
    if not choice.endswith(".theme"):
        return None
    return confine(config.root / choice, [config.root], "syntax-highlighting file", _where(config))


def _where(config: BookConfig) -> SourceLocation:
    """The `_quarto.yml` line that names the style (its first line if it is set elsewhere)."""
    config_file = config.root / "_quarto.yml"
    lines = config_file.read_text(encoding="utf-8").splitlines() if config_file.is_file() else []
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(tuple(f"{key}:" for key in KEYS)):
            return SourceLocation(Path("_quarto.yml"), number)
    return SourceLocation(Path("_quarto.yml"), 1)


_DEFINITIONS_TEMPLATE = "$highlighting-definitions$\n"


def _theme_file(theme: Theme) -> Path:
    """The theme's `typst/highlighting.typ`; a theme without one uses the default theme's."""
    for candidate in (theme, builtin_theme("default")):
        path = candidate.path(candidate.typst_template).parent / HIGHLIGHTING_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(HIGHLIGHTING_FILE)  # the package itself is incomplete


def write_highlighting(config: BookConfig, theme: Theme, directory: Path) -> None:
    """Write `highlighting.typ` (the token functions main.typ imports) into `directory`."""
    choice = highlighting_choice(config)
    target = directory / HIGHLIGHTING_FILE
    if choice in BUILT_IN:
        shutil.copyfile(_theme_file(theme), target)
        return
    with tempfile.TemporaryDirectory(prefix="quartowrap-hl-") as tmp:
        template = Path(tmp) / "definitions.typst"
        template.write_text(_DEFINITIONS_TEMPLATE, encoding="utf-8")
        definitions = run_pandoc(
            [
                "-f",
                "markdown",
                "-t",
                "typst",
                "-s",
                f"--template={template}",
                f"--syntax-highlighting={pandoc_option(choice, config)}",
            ],
            "```python\npass\n```\n",
            f"reading the highlighting style {choice!r}",
        )
    target.write_text(definitions, encoding="utf-8")


# --- code highlighted before the book is assembled -----------------------------------------
#
# pandoc's skylighting is a third of the typst writer's time on a book that shows its code.
# The code blocks are known from the chapters' sources before anything executes, so they are
# highlighted while the kernels start (one pandoc run, `prehighlight`), and `typst_source`
# hands pandoc the results as raw typst (`highlighted`). A block not seen in advance (an
# embedded cell's, one a filter changed) is highlighted by pandoc as before.

_SPLIT = "// quartowrap-highlighted-block "  # + a fresh nonce: no code can contain it
_HIGHLIGHTED: dict[tuple[str, str], str] = {}  # (pandoc option, CodeBlock JSON) -> typst
_HIGHLIGHTED_MAX = 4096
_SEEN: set[str] = set()  # the sets of fences already highlighted (option and text)


def _cache_option(option: str) -> str:
    """The pandoc option as a cache key: a `.theme` file counts with its content (a preview
    server keeps the cache while the author edits the file)."""
    path = Path(option)
    if path.suffix == ".theme" and path.is_file():
        return f"{option}:{hashlib.sha256(path.read_bytes()).hexdigest()}"
    return option


def _key(block: dict[str, Any]) -> str:
    return json.dumps(block, sort_keys=True, ensure_ascii=False)


def prehighlight(config: BookConfig, fences: list[str]) -> None:
    """Highlight `fences` (fenced code blocks in markdown) for the book's PDF, in advance."""
    choice = highlighting_choice(config)
    if choice in ("idiomatic", "none") or not fences:
        return
    option = pandoc_option(choice, config)
    cached = _cache_option(option)
    text = "\n\n".join(fences)
    seen = hashlib.sha256(f"{cached}\0{text}".encode()).hexdigest()
    if seen in _SEEN:  # an edition of the same book, a second build in this process
        return
    parsed = json.loads(run_pandoc(["-f", "markdown", "-t", "json"], text, "reading code blocks"))
    blocks = [b for b in parsed["blocks"] if b.get("t") == "CodeBlock"]
    unique = {_key(b): b for b in blocks}
    todo = [b for key, b in unique.items() if (cached, key) not in _HIGHLIGHTED]
    if not todo:
        _SEEN.add(seen)
        return
    marker = _SPLIT + secrets.token_hex(16)
    split = {"t": "RawBlock", "c": ["typst", marker]}
    doc = {
        "pandoc-api-version": parsed["pandoc-api-version"],
        "meta": {},
        "blocks": [part for block in todo for part in (block, split)],
    }
    typst = run_pandoc(
        ["-f", "json", "-t", "typst", "--wrap=preserve", f"--syntax-highlighting={option}"],
        json.dumps(doc),
        "highlighting code",
    )
    pieces = typst.split(marker)
    if len(pieces) != len(todo) + 1:  # never guess which piece is which
        return
    if len(_HIGHLIGHTED) + len(todo) > _HIGHLIGHTED_MAX:
        _HIGHLIGHTED.clear()
        _SEEN.clear()
    for block, piece in zip(todo, pieces, strict=False):
        _HIGHLIGHTED[(cached, _key(block))] = piece.strip("\n")
    _SEEN.add(seen)


def highlighted(blocks: list[Any], config: BookConfig) -> list[Any]:
    """`blocks` with each code block highlighted in advance replaced by its typst (a listing's
    figure is left to the writer)."""
    choice = highlighting_choice(config)
    if choice in ("idiomatic", "none") or not _HIGHLIGHTED:
        return blocks
    cached = _cache_option(pandoc_option(choice, config))

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        kind = value.get("t")
        if kind == "CodeBlock":
            typst = _HIGHLIGHTED.get((cached, _key(value)))
            return value if typst is None else {"t": "RawBlock", "c": ["typst", typst]}
        if kind in ("Figure", "Str", "Space", "Para", "Plain", "Header", "Table"):
            return value
        return {k: walk(v) for k, v in value.items()} if "c" in value else value

    return walk(blocks)
