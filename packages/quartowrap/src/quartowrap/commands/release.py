"""Cutting a versioned release: `nox -s release -- 1.1.0`.

A release is a commit of its own: the version goes into `_quarto.yml`, an entry listing the
changes since the previous release goes on top of `CHANGELOG.md` (shown in the book as the
"Version history" appendix), the commit is tagged `v<version>`, and the book is rendered
with `--strict` into `_output/<version>/`.  A dirty tree is refused, so the release is
exactly what the tag points to; a failed render removes the tag and the release commit.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from quartowrap.authoring.markdown import escape_markdown
from quartowrap.errors import BuildError

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
# CHANGELOG.md is included into the "Version history" appendix, so it has no title of its
# own: entries are second-level headings, newest first.
CHANGELOG_HEADER = ""


def _git(root: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise BuildError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def ensure_clean_tree(root: Path) -> None:
    """Refuse to release uncommitted work: the release must be what its tag points to."""
    status = _git(root, "status", "--porcelain")
    if status:
        shown = "\n".join(status.splitlines()[:10])
        raise BuildError(
            "the git tree has uncommitted changes; commit or stash them before a release",
            detail=shown,
        )


def previous_tag(root: Path) -> str | None:
    tag = _git(root, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", check=False)
    return tag or None


def changes_since(root: Path, tag: str | None) -> list[str]:
    """Commit subjects since the last release (all commits for the first release)."""
    span = f"{tag}..HEAD" if tag else "HEAD"
    log = _git(root, "log", "--no-merges", "--format=%s", span, check=False)
    return [line for line in log.splitlines() if line.strip()]


def set_book_version(quarto_yml: Path, version: str) -> None:
    """Write `version:` under `book:` keeping the file's comments and layout."""
    lines = quarto_yml.read_text(encoding="utf-8").splitlines(keepends=True)
    try:
        book = next(i for i, line in enumerate(lines) if re.match(r"^book:\s*$", line))
    except StopIteration as missing:
        raise BuildError(f"{quarto_yml.name}: no top-level `book:` key") from missing
    end = next((i for i in range(book + 1, len(lines)) if re.match(r"^\S", lines[i])), len(lines))
    for i in range(book + 1, end):
        if re.match(r"^  version:", lines[i]):
            lines[i] = f'  version: "{version}"\n'
            break
    else:
        lines.insert(book + 1, f'  version: "{version}"\n')
    quarto_yml.write_text("".join(lines), encoding="utf-8")


def add_changelog_entry(changelog: Path, version: str, changes: list[str], date: str) -> None:
    text = changelog.read_text(encoding="utf-8") if changelog.exists() else CHANGELOG_HEADER
    items = "\n".join(f"- {escape_markdown(c)}" for c in changes) or "- No recorded changes."
    entry = f"## Version {version} ({date})\n\n{items}\n\n"
    # Entries replace the placeholder text of a project that has not been released yet.
    text = text if "\n## " in f"\n{text}" else ""
    head, sep, rest = f"\n{text}".partition("\n## ")
    text = f"{head.strip()}\n\n{entry}## {rest}" if sep else entry
    changelog.write_text(text.rstrip() + "\n", encoding="utf-8")


def make_release(root: Path, version: str, *, date: str | None = None) -> Path:
    """Commit, tag and render release `version`; return its release directory."""
    from quartowrap.commands.render import RenderOptions, render_project

    root = root.resolve()
    if not SEMVER.match(version):
        raise BuildError(f"release version {version!r} is not a semantic version like 1.1.0")
    ensure_clean_tree(root)
    tag = f"v{version}"
    if _git(root, "tag", "--list", tag):
        raise BuildError(f"release {version} exists already (tag {tag})")
    changes = changes_since(root, previous_tag(root))
    day = date or datetime.now(tz=UTC).strftime("%Y-%m-%d")
    set_book_version(root / "_quarto.yml", version)
    add_changelog_entry(root / "CHANGELOG.md", version, changes, day)
    _git(root, "add", "_quarto.yml", "CHANGELOG.md")
    _git(root, "commit", "-q", "-m", f"Release {version}")
    _git(root, "tag", "-a", tag, "-m", f"Release {version}")
    try:
        result = render_project(root, RenderOptions(strict=True, version=version))
    except BaseException:
        _git(root, "tag", "-d", tag, check=False)
        _git(root, "reset", "-q", "--hard", "HEAD~1", check=False)
        raise
    return result.release_dir
