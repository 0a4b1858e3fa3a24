"""The reviewer's workflow end to end: release 1.0.0, change a data value, release 1.1.0,
and the diff between the two names exactly the table cells and sentences that changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from quartowrap.commands.diff import diff_releases, render_text
from quartowrap.commands.release import make_release

FIXTURE = Path(__file__).parent / "fixtures" / "mini-book"
pytestmark = pytest.mark.slow
GIT = ["git", "-c", "user.email=t@example.org", "-c", "user.name=T"]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_two_releases_and_their_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "book"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("_output", "_freeze"))
    (project / ".gitignore").write_text("_output/\n_freeze/\n.quartowrap/\n")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "First draft of the mini book")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "T")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "t@example.org")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "T")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "t@example.org")

    first = make_release(project, "1.0.0", date="2026-01-01")
    assert first == project / "_output" / "1.0.0"
    assert _git(project, "tag", "--list") == "v1.0.0"
    assert 'version: "1.0.0"' in (project / "_quarto.yml").read_text()
    assert "## Version 1.0.0 (2026-01-01)" in (project / "CHANGELOG.md").read_text()
    assert json.loads((first / "manifest.json").read_text())["version"] == "1.0.0"

    data = project / "data" / "small.csv"
    lines = data.read_text().splitlines()
    region, group, score = lines[1].split(",")
    lines[1] = f"{region},{group},{int(score) + 4}"
    data.write_text("\n".join(lines) + "\n")
    _git(project, "commit", "-qam", "Correct one score in the North")
    second = make_release(project, "1.1.0", date="2026-02-01")
    changelog = (project / "CHANGELOG.md").read_text()
    assert changelog.index("Version 1.1.0") < changelog.index("Version 1.0.0")
    assert "- Correct one score in the North" in changelog

    diff = diff_releases(project / "_output", "1.0.0", "1.1.0")
    changed = {t.label: t for t in diff.changed_tables}
    assert list(changed) == ["tbl-means"], render_text(diff)
    [cell] = changed["tbl-means"].cells
    assert (cell.row, cell.column) == (region, "mean_score")
    assert float(cell.new) - float(cell.old) == pytest.approx(
        4 / sum(1 for line in lines[1:] if line.startswith(f"{region},"))
    )
    pages = {c.page for c in diff.changed_chapters}
    assert "01-data.html" in pages and "03-discussion.html" not in pages, render_text(diff)
    assert second.is_dir() and first.is_dir(), "both releases stay side by side"
