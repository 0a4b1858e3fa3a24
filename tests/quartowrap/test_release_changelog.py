"""release: the changelog is what authors write under `## Unreleased`, never the git log."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from quartowrap.cli import main
from quartowrap.commands.release import make_release, release_changelog
from quartowrap.errors import BuildError

INTRO = "<!-- Write what changed for readers under ## Unreleased. -->\n\n"
ENTRY = "### Fixed\n\n- Table 17 uses the corrected *2023* data.\n"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _project(tmp_path: Path, changelog: str) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: T\n")
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "kernels: retry a kernel start with fresh ports")
    return tmp_path


def test_the_unreleased_entry_moves_under_the_version_and_date(tmp_path: Path) -> None:
    log = tmp_path / "CHANGELOG.md"
    log.write_text(f"{INTRO}## Unreleased\n\n{ENTRY}\n## 1.0.0 – 2026-01-01\n\n- First.\n")
    result = release_changelog(log, "1.1.0", "2026-02-01")
    assert result.text == (
        f"{INTRO}## 1.1.0 – 2026-02-01\n\n{ENTRY}\n## 1.0.0 – 2026-01-01\n\n- First.\n"
    )
    assert "\n## Unreleased" not in result.text
    assert result.entry == f"## 1.1.0 – 2026-02-01\n\n{ENTRY}"
    assert log.read_text().startswith(f"{INTRO}## Unreleased"), "planning writes nothing"


def test_keep_a_changelog_bracket_form_is_accepted(tmp_path: Path) -> None:
    log = tmp_path / "CHANGELOG.md"
    log.write_text("## [Unreleased]\n- New appendix.\n")
    assert release_changelog(log, "0.2.0", "2026-03-01").text == (
        "## 0.2.0 – 2026-03-01\n\n- New appendix.\n"
    )


@pytest.mark.parametrize(
    ("changelog", "message"),
    [
        ("## 1.0.0 – 2026-01-01\n\n- First.\n", r"CHANGELOG.md:1: no `## Unreleased` entry"),
        (
            f"{INTRO}## Unreleased\n\n### Added\n\n<!-- nothing yet -->\n\n## 1.0.0 – 2026-01-01\n",
            r"CHANGELOG.md:3: the `## Unreleased` entry is empty",
        ),
    ],
)
def test_release_is_refused_without_an_entry(tmp_path: Path, changelog: str, message: str) -> None:
    project = _project(tmp_path, changelog)
    head = _git(project, "rev-parse", "HEAD")
    with pytest.raises(BuildError, match=message):
        make_release(project, "1.1.0")
    assert _git(project, "tag", "--list") == ""
    assert _git(project, "rev-parse", "HEAD") == head
    assert (project / "CHANGELOG.md").read_text() == changelog
    assert _git(project, "status", "--porcelain") == ""


def test_the_cli_explains_a_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, "")
    assert main(["release", "1.0.0", "--project", str(project)]) == 1
    err = capsys.readouterr().err
    assert "no `## Unreleased` entry" in err and "describe, for readers" in err


def test_dry_run_shows_the_plan_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changelog = f"{INTRO}## Unreleased\n\n{ENTRY}"
    project = _project(tmp_path, changelog)
    head = _git(project, "rev-parse", "HEAD")
    quarto_yml = (project / "_quarto.yml").read_text()
    assert main(["release", "1.0.0", "--dry-run", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "## 1.0.0 – " in out and "Table 17 uses the corrected *2023* data." in out
    assert "tag v1.0.0" in out and "Nothing has been changed" in out
    assert "retry a kernel start" not in out
    assert (project / "CHANGELOG.md").read_text() == changelog
    assert (project / "_quarto.yml").read_text() == quarto_yml
    assert _git(project, "rev-parse", "HEAD") == head
    assert _git(project, "tag", "--list") == "" and _git(project, "status", "--porcelain") == ""
    assert not (project / "_output").exists()
