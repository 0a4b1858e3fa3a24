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
    where = SourceLocation(Path("_quarto.yml"), 1)
    return confine(config.root / choice, [config.root], "syntax-highlighting file", where)


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
