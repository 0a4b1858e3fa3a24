"""A committed `_freeze/`: a fresh clone elsewhere executes nothing, a changed chapter
executes again, and executing unchanged code again writes the same bytes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.progress import Progress

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mini-book"
pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _render(project: Path, **options: object) -> str:
    """The progress log of an HTML render."""
    out = io.StringIO()
    render_project(
        project, RenderOptions(to=("html",), **options), progress=Progress(out, plain=True)
    )
    return out.getvalue()


def test_a_fresh_clone_with_the_committed_freeze_executes_nothing(tmp_path: Path) -> None:
    origin = tmp_path / "author" / "book"
    shutil.copytree(FIXTURE, origin, ignore=shutil.ignore_patterns("_output", "_freeze"))
    (origin / ".gitignore").write_text("_output/\n.quartowrap/\n")
    log = _render(origin)
    assert "chapters/01-data.qmd: executed" in log
    _git(origin, "init", "-q")
    _git(origin, "add", ".")
    _git(origin, "commit", "-qm", "book and its freeze")

    stored = sorted(p for p in (origin / "_freeze").rglob("*") if p.is_file())
    assert stored and all(_git(origin, "ls-files", str(p)) for p in stored), "all committed"
    for path in stored:
        text = path.read_bytes().decode("utf-8", "replace")
        assert str(tmp_path) not in text, f"{path}: no absolute path of the author's machine"
        if path.suffix == ".json":
            assert "seconds" not in json.loads(text), "timings are per machine"

    clone = tmp_path / "ci" / "checkout"
    _git(tmp_path, "clone", "-q", str(origin), str(clone))
    log = _render(clone)
    assert "executed" not in log, log
    assert "chapters/01-data.qmd: reused (freeze)" in log
    assert "chapters/02-results.qmd: reused (freeze)" in log
    assert _git(clone, "status", "--porcelain") == "", "reuse leaves the store as committed"

    # executing the same code again (no freeze) writes the same bytes: the store is stable
    log = _render(clone, use_freeze=False)
    assert "chapters/01-data.qmd: executed" in log
    assert _git(clone, "status", "--porcelain", "_freeze") == ""

    # a stale committed entry is noticed: the changed chapter alone executes again
    chapter = clone / "chapters" / "02-results.qmd"
    chapter.write_text(chapter.read_text().replace('print("done:",', 'print("finished:",'))
    log = _render(clone)
    assert "chapters/02-results.qmd: executed" in log
    assert "chapters/01-data.qmd: reused (freeze)" in log


def test_a_rewritten_freeze_entry_does_not_make_the_build_dirty(tmp_path: Path) -> None:
    from quartowrap.publish.release import git_state, resolve_version

    (tmp_path / "_freeze" / "chapters" / "a").mkdir(parents=True)
    entry = tmp_path / "_freeze" / "chapters" / "a" / "kce-embedded.json"
    entry.write_text("{}\n")
    (tmp_path / "a.qmd").write_text("# A\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "start")
    entry.write_text('{"re-executed": true}\n')
    assert not git_state(tmp_path).dirty, "results of the same sources"
    assert not resolve_version(tmp_path, "1.0.0").endswith(".dirty")
    (tmp_path / "a.qmd").write_text("# A, edited\n")
    assert git_state(tmp_path).dirty
    assert resolve_version(tmp_path, "1.0.0").endswith(".dirty")
