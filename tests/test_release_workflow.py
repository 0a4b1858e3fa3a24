"""The reviewer's workflow end to end: release 1.0.0, change a data value, release 1.1.0,
and the diff between the two names exactly the table cells and sentences that changed.
Each release publishes the authors' `## Unreleased` changelog entry in the book's "Version
history" appendix — and never a commit subject.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from quartowrap.commands.diff import diff_releases, render_text
from quartowrap.commands.release import make_release

FIXTURE = Path(__file__).parent / "fixtures" / "mini-book"
pytestmark = pytest.mark.slow
GIT = ["git", "-c", "user.email=t@example.org", "-c", "user.name=T"]


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


HISTORY = """# Version history {.unnumbered}

{{< include ../CHANGELOG.md >}}
"""
COMMITS = ("First draft of the mini book", "Correct one score in the North")


def _release_text(release: Path) -> str:
    """Everything a reader of the release sees: its HTML pages and the PDF's text."""
    pages = [p.read_text(encoding="utf-8") for p in sorted((release / "html").glob("*.html"))]
    [pdf] = release.glob("*.pdf")
    return "\n".join([*pages, *(page.extract_text() for page in PdfReader(pdf).pages)])


def _add_history_appendix(project: Path) -> None:
    (project / "chapters" / "version-history.qmd").write_text(HISTORY)
    config = project / "_quarto.yml"
    config.write_text(
        config.read_text().replace(
            "    - references.qmd\n",
            "    - references.qmd\n  appendices:\n    - chapters/version-history.qmd\n",
        )
    )
    (project / "CHANGELOG.md").write_text(
        "<!-- What changed, for readers. -->\n\n## Unreleased\n\n"
        "- First edition, with regional mean scores.\n"
    )


def test_two_releases_and_their_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "book"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("_output", "_freeze"))
    (project / ".gitignore").write_text("_output/\n_freeze/\n.quartowrap/\n")
    _add_history_appendix(project)
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
    assert (project / "CHANGELOG.md").read_text() == (
        "<!-- What changed, for readers. -->\n\n## 1.0.0 – 2026-01-01\n\n"
        "- First edition, with regional mean scores.\n"
    )
    seen = _release_text(first)
    assert "First edition, with regional mean scores." in seen
    assert "1.0.0 – 2026-01-01" in seen and COMMITS[0] not in seen
    assert "not a published version" not in seen, "a tagged release is not marked as a draft"
    assert json.loads((first / "manifest.json").read_text())["version"] == "1.0.0"

    data = project / "data" / "small.csv"
    lines = data.read_text().splitlines()
    region, group, score = lines[1].split(",")
    lines[1] = f"{region},{group},{int(score) + 4}"
    data.write_text("\n".join(lines) + "\n")
    changelog = project / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "## 1.0.0", "## Unreleased\n\n### Fixed\n\n- One score in the North.\n\n## 1.0.0"
        )
    )
    _git(project, "commit", "-qam", "Correct one score in the North")
    second = make_release(project, "1.1.0", date="2026-02-01")
    text = changelog.read_text()
    assert text.index("## 1.1.0 – 2026-02-01\n\n### Fixed\n\n- One score") < text.index(
        "## 1.0.0 – 2026-01-01"
    )
    seen = _release_text(second)
    assert "One score in the North." in seen and "First edition" in seen
    for subject in COMMITS:
        assert subject not in text and subject not in seen

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
