"""versioning: a release refuses a dirty tree and records itself in the book."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from quartowrap.commands.release import make_release, set_book_version
from quartowrap.errors import BuildError


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_release_refuses_a_dirty_tree(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: T\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "start")
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: U\n")
    with pytest.raises(BuildError, match="uncommitted changes"):
        make_release(tmp_path, "1.0.0")
    assert _git(tmp_path, "tag", "--list") == ""


def test_release_rejects_a_version_that_is_not_semver(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="semantic version"):
        make_release(tmp_path, "v1")


def test_set_book_version_keeps_comments(tmp_path: Path) -> None:
    path = tmp_path / "_quarto.yml"
    path.write_text('# top comment\nbook:\n  title: T  # keep me\n  version: "0.9.0"\nformat: {}\n')
    set_book_version(path, "1.1.0")
    assert path.read_text() == (
        '# top comment\nbook:\n  title: T  # keep me\n  version: "1.1.0"\nformat: {}\n'
    )
    other = tmp_path / "b.yml"
    other.write_text("book:\n  title: T\n")
    set_book_version(other, "2.0.0")
    assert other.read_text() == 'book:\n  version: "2.0.0"\n  title: T\n'
