"""`quartowrap create book DIR --template kce|default`: a new book that renders at once.

The starter book (`commands/templates/book/`) has two chapters, a CSV with its codebook
entry, a table published with its CSV, a figure with alt text, a citation, a README whose
first lines are the two set-up commands and a noxfile.  The theme adds what its house style
needs from `themes/<name>/template/`: `metadata.yml` (its metadata block, appended to
`_quarto.yml`) and any other files (the KCE glossary lists).  Files ending in `.j2` are
Jinja templates; `.tmpl` only hides a file from the package's own tools (tests, ruff).
"""

from __future__ import annotations

import datetime as _dt
import re
from importlib import metadata
from pathlib import Path

import jinja2

from quartowrap.errors import BuildError
from quartowrap.project.theme import THEMES_DIR, builtin_theme

STARTER = Path(__file__).resolve().parent / "templates" / "book"
THEME_TEMPLATE = "template"
THEME_METADATA = "metadata.yml"
PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # packages/quartowrap, in a source tree


def install_spec() -> tuple[str, str]:
    """What the new book's noxfile installs: this source folder when quartowrap runs from
    one (a checkout), else the PyPI name pinned to the running version."""
    if (PACKAGE_ROOT / "pyproject.toml").is_file() and (PACKAGE_ROOT / "src").is_dir():
        return str(PACKAGE_ROOT), "installed from the folder this book was created from"
    version = metadata.version("quartowrap")
    return f"quartowrap=={version}", "from PyPI, the version this book was created with"


def _title_from(directory: Path) -> str:
    words = re.split(r"[-_\s]+", directory.name.strip())
    return " ".join(w.capitalize() for w in words if w) or "New report"


def _files(source: Path) -> list[Path]:
    return sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _target_name(rel: Path) -> Path:
    name = rel.name
    if name == "gitignore.tmpl":
        name = ".gitignore"
    for suffix in (".j2", ".tmpl"):
        name = name.removesuffix(suffix)
    return rel.with_name(name)


def create_book(directory: Path, template: str = "default", title: str | None = None) -> Path:
    """Write the starter book into `directory` (which must be absent or empty)."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BuildError(
            f"{directory}: the folder is not empty; `quartowrap create book` only writes "
            "into a new or empty folder, so nothing of yours is overwritten"
        )
    theme = builtin_theme(template)
    install, install_note = install_spec()
    context = {
        "title": title or _title_from(directory.resolve()),
        "year": str(_dt.date.today().year),
        "theme": theme.name,
        "install": install,
        "install_note": install_note,
    }
    env = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    extra = THEMES_DIR / template / THEME_TEMPLATE
    meta_file = extra / THEME_METADATA
    context["metadata"] = (
        env.from_string(meta_file.read_text(encoding="utf-8")).render(context).strip()
        if meta_file.is_file()
        else ""
    )
    plan: dict[Path, bytes] = {}
    for source in (STARTER, extra):
        for path in _files(source) if source.is_dir() else []:
            rel = path.relative_to(source)
            if source == extra and rel == Path(THEME_METADATA):
                continue
            if path.suffix == ".j2":
                text = env.from_string(path.read_text(encoding="utf-8")).render(context)
                plan[_target_name(rel)] = text.encode("utf-8")
            else:
                plan[_target_name(rel)] = path.read_bytes()
    for rel, data in sorted(plan.items()):
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return directory
