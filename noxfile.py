"""Sessions for KCE Report Kit: `nox -s render`, `nox -s tests` and friends.

Every session installs what it needs from PyPI into its own virtual environment, so a
fresh machine with Python 3.11 and pip needs nothing else (no Quarto, no LaTeX).
Arguments after `--` pass through, e.g. `nox -s render -- --to html --strict`.
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["render", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "uv|virtualenv"

PYTHON = "3.11"


RENDERER = "packages/quartowrap"


def _install(session: nox.Session, extras: str = "") -> None:
    """The renderer (its own distribution) and the report that depends on it, in one resolve."""
    session.install("-e", RENDERER, "-e", f".[{extras}]" if extras else ".")


@nox.session(python=PYTHON)
def render(session: nox.Session) -> None:
    """Render the report (HTML + PDF) into _output/<version>/."""
    _install(session)
    session.run("python", "-m", "quartowrap", "render", *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite, end-to-end renders and browser checks included."""
    _install(session, "test")
    if os.environ.get("CI") and not shutil.which("chromium"):
        # CI runs as root on Debian: the browser tests need the distribution's Chromium.
        # Without it they skip with a visible reason rather than failing the whole run.
        try:
            session.run("apt-get", "update", "-qq", external=True)
            session.run(
                "apt-get", "install", "-y", "-qq", "chromium", "poppler-utils", external=True
            )
        except nox.command.CommandFailed:
            session.warn("could not install Chromium: the browser tests will be skipped")
    # Two workers (CI has 2 cores); a test file stays on one worker so that its module-scoped
    # fixtures (one render shared by many tests) are built once.
    session.run("pytest", "-n", "2", "--dist", "loadfile", *session.posargs)


@nox.session(python=PYTHON, default=False)
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")  # packages/quartowrap bans `import analysis` (TID251)
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Measure build speed and analysis scale against the targets; write bench/results.json."""
    _install(session)
    session.install("-e", f"{RENDERER}[editions]")  # the editions benchmark's LocalCluster
    session.run("python", "-m", "bench.run", *session.posargs)


@nox.session(python=PYTHON, default=False)
def factsheets(session: nox.Session) -> None:
    """One factsheet per region of the professionals' survey (factsheets/), rendered as
    editions into factsheets/_output/<version>/editions/; `-- --data-dir PATH` for another
    wave, `-- --params-table FILE.csv` for other territories (e.g. synthetic care zones)."""
    _install(session)
    args = list(session.posargs)
    if not any(a == "--data-dir" or a.startswith("--data-dir=") for a in args):
        args += ["--data-dir", "data"]
    if not any(a == "--params-table" or a.startswith("--params-table=") for a in args):
        args += ["--params-table", "factsheets/regions.csv"]
    # The factsheet's chapters import `analysis` from the repository root.
    pythonpath = os.pathsep.join(p for p in (os.getcwd(), os.environ.get("PYTHONPATH")) if p)
    session.run(
        "python",
        "-m",
        "quartowrap",
        "render",
        "--project",
        "factsheets",
        *args,
        env={"PYTHONPATH": pythonpath},
    )


@nox.session(python=PYTHON, default=False)
def release(session: nox.Session) -> None:
    """Cut a release: `nox -s release -- 1.1.0` (clean tree, changelog, tag, strict render)."""
    _install(session)
    session.run("python", "-m", "quartowrap", "release", *session.posargs)


@nox.session(python=PYTHON, default=False)
def diff(session: nox.Session) -> None:
    """Compare two releases: `nox -s diff -- 1.0.0 1.1.0` (terminal summary + HTML page)."""
    _install(session)
    session.run("python", "-m", "quartowrap", "diff", *session.posargs)


@nox.session(python=PYTHON, default=False)
def preview(session: nox.Session) -> None:
    """Serve the HTML on localhost and re-render changed chapters on every save."""
    _install(session)
    session.run("python", "-m", "quartowrap", "preview", *session.posargs)
