"""`quartowrap check`: is this machine ready to render? (as `quarto check` is for Quarto).

Reports the versions of Python, pandoc, typst, the Jupyter kernel packages and the engine,
whether every theme's files and fonts are in place (and its typst template compiles), and
whether a Python kernel starts.  Any missing piece makes the command exit non-zero, so CI
can run it before a render and a new user learns what to install before a long build.
"""

from __future__ import annotations

import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from quartowrap import __version__
from quartowrap.model import Theme
from quartowrap.project.theme import THEMES_DIR, builtin_themes, load_theme

FONT_SUFFIXES = (".otf", ".ttf", ".ttc", ".otc")


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, whether it is fine."""

    name: str
    found: str
    ok: bool = True


def _version(distribution: str) -> Check:
    try:
        return Check(distribution, metadata.version(distribution))
    except metadata.PackageNotFoundError:
        return Check(distribution, "not installed", ok=False)


def _pandoc() -> Check:
    try:
        import pypandoc

        return Check("pandoc", f"{pypandoc.get_pandoc_version()} ({pypandoc.get_pandoc_path()})")
    except Exception as exc:  # pypandoc raises OSError or RuntimeError when pandoc is absent
        return Check("pandoc", f"not found: {exc}", ok=False)


def _typst() -> Check:
    try:
        import typst  # noqa: F401
    except ImportError as exc:
        return Check("typst", f"not importable: {exc}", ok=False)
    return _version("typst")


def _quarto_cli() -> Check:
    """The Quarto CLI is optional (the embedded engine renders without it)."""
    path = shutil.which("quarto")
    return Check("quarto CLI (optional)", path or "not on PATH: the embedded engine is used")


def theme_checks(theme: Theme) -> list[Check]:
    """The theme's files are all there, its fonts are font files, and its template compiles."""
    checks: list[Check] = []
    label = f"theme {theme.name}"
    if theme.fonts:
        folder = theme.path(theme.fonts)
        fonts = sorted(p.name for p in folder.glob("*") if p.suffix.lower() in FONT_SUFFIXES)
        if fonts:
            checks.append(Check(f"{label}: fonts", f"{len(fonts)} font files in {folder}"))
        else:
            checks.append(Check(f"{label}: fonts", f"no font files in {folder}", ok=False))
    else:
        checks.append(Check(f"{label}: fonts", "typst's built-in fonts"))
    checks.append(_compile_template(theme, label))
    return checks


def _compile_template(theme: Theme, label: str) -> Check:
    """Compile a one-page document with the theme's template: proves the template works."""
    import json

    import typst

    source = theme.path(theme.typst_template).parent
    fm = {
        "cover": {
            "title": "Check",
            "subtitle": None,
            "authors": ["A"],
            "year": "2024",
            "version": None,
            "series": "",
            "report_label": "",
            "report_number": "",
        },
        "short_title": "Check",
        "running_header": "",
        "colophon": [],
        "foreword_signatories": [],
        "figures": [],
        "tables": [],
        "abbreviations": [],
        "glossary": [],
    }
    template = Path(theme.typst_template).name
    main = (
        f'#import "{template}": *\n#let fm = json("frontmatter.json")\n'
        "#show: qw-document.with(fm)\n#qw-cover(fm)\n#qw-colophon(fm)\n"
        '#qw-front(fm, foreword: none, key-messages: ())\n= #qw-num("1")Heading\n\nText.\n'
    )
    try:
        with tempfile.TemporaryDirectory(prefix="quartowrap-check-") as tmp:
            directory = Path(tmp)
            shutil.copytree(source, directory, dirs_exist_ok=True)
            (directory / "frontmatter.json").write_text(json.dumps(fm), encoding="utf-8")
            (directory / "main.typ").write_text(main, encoding="utf-8")
            fonts = [str(theme.path(theme.fonts))] if theme.fonts else []
            typst.compile(str(directory / "main.typ"), font_paths=fonts, ignore_system_fonts=True)
    except Exception as exc:  # typst reports template errors as TypstError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check(f"{label}: typst template", f"does not compile: {first}", ok=False)
    return Check(f"{label}: typst template", f"{theme.typst_template} compiles")


def _kernel() -> Check:
    """Start a Python kernel the way the engine does (spawned ipykernel) and stop it."""
    from quartowrap.execute.kernels import KernelPool, kernel_environment

    root = Path.cwd()
    try:
        with KernelPool(
            root=root, env=kernel_environment(root, None), mode="spawn", startup_timeout=60
        ) as pool:
            pool.start(expected=1)
            kernel = pool.acquire()
            return Check("kernel", f"python3 kernel started ({sys.executable})", kernel.alive())
    except Exception as exc:  # any failure to start is what the check is for
        return Check("kernel", f"does not start: {exc}", ok=False)


def themes_to_check(project: Path) -> list[Theme]:
    """The built-in themes, and the project's own theme folder (`theme-dir:`) if it has one."""
    themes = [load_theme(THEMES_DIR / name) for name in builtin_themes()]
    if (project / "_quarto.yml").is_file():
        from quartowrap.project.config import load_book_config

        theme = load_book_config(project).theme
        if theme is not None and all(t.root != theme.root for t in themes):
            themes.append(theme)
    return themes


def run_checks(themes: list[Theme] | None = None) -> list[Check]:
    """Everything `quartowrap check` reports, in order."""
    checks = [
        Check("Python", f"{platform.python_version()} ({sys.executable})"),
        Check("quartowrap (embedded engine)", __version__),
        _pandoc(),
        _typst(),
        _version("ipykernel"),
        _version("jupyter_client"),
        _quarto_cli(),
    ]
    if themes is None:
        themes = themes_to_check(Path.cwd())
    for theme in themes:
        checks.extend(theme_checks(theme))
    checks.append(_kernel())
    return checks


def report(checks: list[Check], write: Callable[[str], None] = print) -> int:
    """Print one line per check; return the exit status (1 when anything is missing)."""
    width = max(len(c.name) for c in checks)
    for c in checks:
        write(f"[{'ok' if c.ok else 'MISSING'}] {c.name.ljust(width)}  {c.found}")
    failed = [c.name for c in checks if not c.ok]
    if failed:
        write(f"\n{len(failed)} problem(s): {', '.join(failed)}")
        return 1
    write("\nEverything needed to render is in place.")
    return 0
