"""`quartowrap create`, `check` and `--version`, and the renderer installed alone."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import quartowrap.commands.check as check
import yaml
from quartowrap.cli import main
from quartowrap.commands.create import create_book
from quartowrap.commands.render import RenderOptions, imported_packages, render_project
from quartowrap.errors import BuildError
from quartowrap.model import Dependencies, ExecutedChapter
from quartowrap.progress import Progress
from quartowrap.project.config import load_book_config
from quartowrap.project.theme import builtin_theme

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "packages" / "quartowrap"
ANALYSIS_STACK = ("scipy", "statsmodels", "scikit-learn", "seaborn", "networkx")


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"quartowrap {metadata.version('quartowrap')}"


def test_check_passes_here(capsys):
    assert main(["check", "--project", str(REPO)]) == 0
    out = capsys.readouterr().out
    for name in ("Python", "pandoc", "typst", "ipykernel", "jupyter_client", "kernel"):
        assert f"[ok] {name}" in out, out
    assert "theme kce: fonts" in out and "theme default: typst template" in out
    assert "MISSING" not in out


def test_check_fails_when_a_theme_font_folder_is_missing(capsys, monkeypatch, tmp_path):
    broken = dataclasses.replace(builtin_theme("kce"), fonts=str(tmp_path / "no-fonts"))
    monkeypatch.setattr(check, "themes_to_check", lambda project: [broken])
    assert main(["check", "--project", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "[MISSING] theme kce: fonts" in out and "1 problem(s)" in out


def test_check_fails_when_a_theme_template_does_not_compile(tmp_path):
    theme = builtin_theme("default")
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "template.typ").write_text("#let qw-document(fm, body) = body\n")  # no qw-cover
    broken = dataclasses.replace(theme, root=tmp_path, typst_template="t/template.typ")
    [compiled] = [c for c in check.theme_checks(broken) if "template" in c.name]
    assert not compiled.ok and "does not compile" in compiled.found


def test_create_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(BuildError, match="not empty"):
        create_book(tmp_path, "kce")
    assert main(["create", "book", str(tmp_path)]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


@pytest.mark.parametrize("template", ["default", "kce"])
def test_create_writes_a_complete_starter_book(tmp_path, template):
    book = create_book(tmp_path / "new-report", template)
    files = sorted(p.relative_to(book).as_posix() for p in book.rglob("*") if p.is_file())
    for name in (
        "README.md",
        "noxfile.py",
        "_quarto.yml",
        "index.qmd",
        "chapters/01-data.qmd",
        "chapters/02-results.qmd",
        "data/visits.csv",
        "data/codebook.yaml",
        "references.bib",
        ".gitignore",
        "tests/test_data.py",
    ):
        assert name in files, (name, files)
    assert not any(f.endswith((".j2", ".tmpl")) for f in files)
    config = load_book_config(book)
    assert config.title == "New Report" and config.theme and config.theme.name == template
    assert ("data/glossary/abbreviations.csv" in files) == (template == "kce")
    assert bool(config.kce) == (template == "kce")
    readme = (book / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in readme if line.startswith("    ")]
    assert commands[:2] == [
        "pip install nox",
        "nox -s render        # HTML, PDF and tables/*.csv in _output/<version>/",
    ]
    nox = (book / "noxfile.py").read_text(encoding="utf-8")
    compile(nox, "noxfile.py", "exec")
    assert "def render(" in nox and "def tests(" in nox
    assert str(PACKAGE) in nox and '"pandas"' in nox and '"matplotlib"' in nox
    codebook = yaml.safe_load((book / "data" / "codebook.yaml").read_text(encoding="utf-8"))
    assert set(codebook["files"]) == {"visits.csv"}
    results = (book / "chapters" / "02-results.qmd").read_text(encoding="utf-8")
    assert "#| fig-alt:" in results and "show_table(" in results and "@tbl-visits" in results
    assert "load_table(" in (book / "chapters" / "01-data.qmd").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("template", ["default", "kce"])
def test_created_book_renders_at_once(tmp_path, template):
    book = create_book(tmp_path / "report", template)
    result = render_project(
        book,
        RenderOptions(use_freeze=False, version="0.1.0", jobs=1),
        progress=Progress(plain=True, quiet=True),
    )
    release = result.release_dir
    assert (release / "html" / "index.html").is_file()
    pdfs = list(release.glob("*.pdf"))
    assert [p.name for p in pdfs] == [
        "kce-report-NNN-0.1.0.pdf" if template == "kce" else "report-0.1.0.pdf"
    ]
    csv = (release / "tables" / "tbl-visits.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0] == "region,visits" and len(csv) == 4
    results = (release / "html" / "02-results.html").read_text(encoding="utf-8")
    assert "tbl-visits.csv" in results  # the table's CSV download link
    assert 'alt="Line chart of the number of visits per year in each region."' in results
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    assert "matplotlib" in manifest["packages"] and "quartowrap" in manifest["packages"]
    assert not set(ANALYSIS_STACK) & set(manifest["packages"])
    assert not result.warnings, result.warnings
    pytest.importorskip("pytest")  # the starter's own test: its data match the codebook
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=book,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
def test_renderer_installs_alone_into_a_fresh_virtualenv(tmp_path):
    """The issue's "done when": `pip install packages/quartowrap` in a new venv gives
    `quartowrap --version` and `quartowrap check`, without the analysis stack."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    source = tmp_path / "quartowrap"  # a copy: pip's in-tree build leaves the checkout alone
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if install.returncode != 0:
        reason = install.stderr + install.stdout
        if any(
            s in reason
            for s in ("No matching distribution", "Could not find a version", "NewConnectionError")
        ):
            pytest.skip(f"pip cannot reach a package index: {reason.strip()[-300:]}")
        pytest.fail(reason)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    binary = str(venv / "bin" / "quartowrap")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("quartowrap "), version
    checked = subprocess.run(
        [binary, "check"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    created = subprocess.run(
        [binary, "create", "book", "new", "--template", "kce"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    for name in (".gitignore", "_quarto.yml", "noxfile.py", "tests/test_data.py"):
        assert (tmp_path / "new" / name).is_file(), name  # templates are package data
    assert "quartowrap==" in (tmp_path / "new" / "noxfile.py").read_text()  # not a checkout
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True
    )
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert "quartowrap" in installed
    assert not installed & set(ANALYSIS_STACK), installed & set(ANALYSIS_STACK)


def test_manifest_packages_are_what_the_chapters_import(tmp_path):
    """Not a fixed list naming one report's stack: the chapters' own imports (through the
    project modules their kernels imported), without the standard library or the project."""
    book = create_book(tmp_path / "b", "default")
    (book / "helpers.py").write_text("import sklearn\nimport json\n", encoding="utf-8")
    chapter = book / "chapters" / "01-data.qmd"
    chapter.write_text(
        chapter.read_text(encoding="utf-8") + "\n```{python}\nimport helpers\nimport yaml\n```\n",
        encoding="utf-8",
    )
    config = load_book_config(book)
    assert imported_packages(config) == ["PyYAML", "matplotlib", "quartowrap"]
    ran = ExecutedChapter(
        Path("chapters/01-data.qmd"), {}, "", dependencies=Dependencies({"helpers.py": "x"})
    )
    assert "scikit-learn" in imported_packages(config, [ran])
    listed = dataclasses.replace(config, metadata={"quartowrap": {"manifest-packages": ["x-y"]}})
    assert "x-y" in imported_packages(listed)
