"""Cutting a versioned release: `nox -s release -- 1.1.0`.

Authors describe what changed for readers under `## Unreleased` at the top of
`CHANGELOG.md` ("Keep a Changelog"); that file is the book's "Version history" appendix.
A release moves the entry under `## <version> – <date>`, writes the version into
`_quarto.yml`, commits, tags `v<version>` and renders the book with `--strict` into
`_output/<version>/`.  Commit subjects are written for developers, not readers, so they
never go into the changelog.  A dirty tree or an empty `Unreleased` entry is refused, so the
release is exactly what the tag points to; a failed render removes the tag and the commit.
`--dry-run` prints what would happen and changes nothing.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from quartowrap.errors import BuildError

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
# `## Unreleased` or Keep a Changelog's linked form `## [Unreleased]`.
_UNRELEASED = re.compile(r"^##\s+\[?unreleased\]?\s*$", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HOW_TO = (
    "add a `## Unreleased` section at the top of CHANGELOG.md and describe, for readers, "
    "what changed in this version (e.g. `- Table 17 uses the corrected 2023 data.`)"
)


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


def set_book_version(quarto_yml: Path, version: str) -> None:
    """Write `version:` under `book:` keeping the file's comments and layout."""
    quarto_yml.write_text(with_book_version(quarto_yml, version), encoding="utf-8")


def with_book_version(quarto_yml: Path, version: str) -> str:
    """The text of `_quarto.yml` with `book: version:` set (the file is not written)."""
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
    return "".join(lines)


@dataclass(frozen=True)
class ChangelogRelease:
    """What a release does to CHANGELOG.md: the entry it publishes and the new file text."""

    entry: str
    heading: str
    text: str


def _has_content(body: str) -> bool:
    """An entry counts when something other than comments and headings is written in it."""
    lines = _COMMENT.sub("", body).splitlines()
    return any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def release_changelog(changelog: Path, version: str, date: str) -> ChangelogRelease:
    """Move the `## Unreleased` entry of `changelog` under `## <version> – <date>`.

    Raises BuildError naming the file and line when there is no entry or it is empty, so a
    release always says something to its readers.
    """
    name = changelog.name
    if not changelog.is_file():
        raise BuildError(f"{name}: no such file; {HOW_TO}")
    lines = changelog.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if _UNRELEASED.match(line)), None)
    if start is None:
        raise BuildError(f"{name}:1: no `## Unreleased` entry to release; {HOW_TO}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    body = "\n".join(lines[start + 1 : end]).strip("\n")
    if not _has_content(body):
        raise BuildError(
            f"{name}:{start + 1}: the `## Unreleased` entry is empty; describe, for readers, "
            "what changed in this version before releasing it"
        )
    if any(re.match(rf"^##\s+\[?{re.escape(version)}\]?(\s|$)", line) for line in lines):
        raise BuildError(f"{name}: version {version} is listed already")
    heading = f"## {version} – {date}"
    entry = f"{heading}\n\n{body.strip()}\n"
    head = "\n".join(lines[:start]).rstrip()
    rest = "\n".join(lines[end:]).strip()
    text = "\n\n".join(part for part in (head, entry.rstrip(), rest) if part) + "\n"
    return ChangelogRelease(entry=entry, heading=heading, text=text)


@dataclass(frozen=True)
class ReleasePlan:
    """Everything `release` will do, worked out before anything is changed."""

    root: Path
    version: str
    tag: str
    date: str
    changelog: ChangelogRelease
    quarto_yml: str

    def describe(self) -> str:
        """What `release --dry-run` prints."""
        entry = "\n".join(f"    {line}".rstrip() for line in self.changelog.entry.splitlines())
        return "\n".join(
            [
                f"Release {self.version} would:",
                f'  1. set `version: "{self.version}"` under `book:` in _quarto.yml',
                f"  2. move the `## Unreleased` entry of CHANGELOG.md to:\n\n{entry}\n",
                f"  3. commit both files as 'Release {self.version}' and tag {self.tag}",
                f"  4. render the book with --strict into _output/{self.version}/",
                "Nothing has been changed (dry run).",
            ]
        )


def plan_release(root: Path, version: str, *, date: str | None = None) -> ReleasePlan:
    """Check that `version` can be released from `root` now; change nothing."""
    root = root.resolve()
    if not SEMVER.match(version):
        raise BuildError(f"release version {version!r} is not a semantic version like 1.1.0")
    ensure_clean_tree(root)
    tag = f"v{version}"
    if _git(root, "tag", "--list", tag):
        raise BuildError(f"release {version} exists already (tag {tag})")
    day = date or datetime.now(tz=UTC).strftime("%Y-%m-%d")
    changelog = release_changelog(root / "CHANGELOG.md", version, day)
    quarto_yml = with_book_version(root / "_quarto.yml", version)
    return ReleasePlan(root, version, tag, day, changelog, quarto_yml)


def make_release(root: Path, version: str, *, date: str | None = None) -> Path:
    """Commit, tag and render release `version`; return its release directory."""
    from quartowrap.commands.render import RenderOptions, render_project

    plan = plan_release(root, version, date=date)
    root = plan.root
    (root / "_quarto.yml").write_text(plan.quarto_yml, encoding="utf-8")
    (root / "CHANGELOG.md").write_text(plan.changelog.text, encoding="utf-8")
    _git(root, "add", "_quarto.yml", "CHANGELOG.md")
    _git(root, "commit", "-q", "-m", f"Release {version}")
    _git(root, "tag", "-a", plan.tag, "-m", f"Release {version}")
    try:
        result = render_project(root, RenderOptions(strict=True, version=version))
    except BaseException:
        _git(root, "tag", "-d", plan.tag, check=False)
        _git(root, "reset", "-q", "--hard", "HEAD~1", check=False)
        raise
    return result.release_dir
