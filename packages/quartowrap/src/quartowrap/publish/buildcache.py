"""Skip a build whose every input is unchanged since the release it would replace.

After execution (itself mostly reused from freeze), everything a release contains follows
from: the executed chapters (markdown, tables, figure files), the configuration and the
files it names (bibliography, CSL, glossary), the renderer's own code and templates, the
options, the version and the commit.  Their hash is the build's fingerprint; when the
release directory of this version was built from the same fingerprint and is still
intact, rendering again would write the same bytes, so it is not done.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from quartowrap.integrity import note, sha256_bytes
from quartowrap.model import BookConfig, ExecutedChapter
from quartowrap.project.theme import theme_of
from quartowrap.writers.frontmatter import front_matter_files

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the whole renderer package
RECORDS = Path(".quartowrap") / "builds"
_PACKAGE_HASH: str | None = None


def _hash_files(paths: Iterable[Path], digest: Any) -> None:
    for path in paths:
        digest.update(path.as_posix().encode())
        if path.is_file():
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        else:
            digest.update(b"<missing>")


def package_hash() -> str:
    """Hash of the renderer itself: code, filters, templates, assets and fonts."""
    global _PACKAGE_HASH
    if _PACKAGE_HASH is None:
        digest = hashlib.sha256()
        files = sorted(
            p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
        for path in files:
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        _PACKAGE_HASH = digest.hexdigest()
    return _PACKAGE_HASH


def _config_files(config: BookConfig) -> list[Path]:
    root = config.root
    named = [root / "_quarto.yml", root / "_metadata.yml", *config.bibliography]
    if config.csl:
        named.append(config.csl)
    named += front_matter_files(config)
    named += list(config.css)
    theme = theme_of(config)
    if not theme.root.is_relative_to(PACKAGE_DIR):  # a theme-dir: its files are inputs
        named += sorted(p for p in theme.root.rglob("*") if p.is_file())
    partials = (config.formats.get("typst") or {}).get("template-partials") or []
    named += [root / str(p) for p in ([partials] if isinstance(partials, str) else partials)]
    return named


def fingerprint(
    config: BookConfig,
    chapters: Sequence[ExecutedChapter],
    *,
    options: dict[str, Any],
    version: str,
    commit: str | None,
    epoch: int,
) -> str:
    """The hash of everything a release is made from (see the module docstring)."""
    digest = hashlib.sha256()
    head = {
        "package": package_hash(),
        "options": options,
        "version": version,
        "commit": commit,
        "epoch": epoch,
        "config": repr(config),
        "env": {k: os.environ.get(k) for k in ("SOURCE_DATE_EPOCH", "QUARTOWRAP_DATA_DIR")},
    }
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    _hash_files(_config_files(config), digest)
    for chapter in chapters:
        record = asdict(chapter)
        record.pop("seconds", None)
        record.pop("from_freeze", None)
        digest.update(json.dumps(record, sort_keys=True, default=str).encode())
        _hash_files((figure.svg for figure in chapter.figures), digest)
    return digest.hexdigest()


def _record_path(root: Path, release_dir: Path) -> Path:
    """One record per release directory (a version may be built into several output roots)."""
    name = hashlib.sha256(str(release_dir.resolve()).encode()).hexdigest()[:20]
    return root / RECORDS / f"{name}.json"


def _release_intact(release_dir: Path) -> bool:
    """Every file listed in SHA256SUMS is there with that content (as `sha256sum -c`).

    A release damaged since it was written (a truncated PDF, an edited page) is never
    called up to date: the build writes it again and says which file it found damaged."""
    sums = release_dir / "SHA256SUMS"
    if not sums.is_file():
        return False
    try:
        lines = sums.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    for line in lines:
        expected, _, name = line.partition("  ")
        path = release_dir / name
        try:
            actual = sha256_bytes(path.read_bytes()) if path.is_file() else None
        except OSError:
            actual = None
        if actual != expected:
            what = "missing" if actual is None else "does not match SHA256SUMS"
            note(f"{path}: {what}; the release is written again")
            return False
    return True


def reusable(root: Path, release_dir: Path, print_: str) -> list[str] | None:
    """The warnings of the previous identical build, or None when it must be built again."""
    path = _record_path(root, release_dir)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if record.get("fingerprint") != print_ or record.get("release") != str(release_dir):
        return None
    if not _release_intact(release_dir):  # last: it reads every file of the release
        return None
    return list(record.get("warnings", []))


def remember(root: Path, release_dir: Path, print_: str, warnings: list[str]) -> None:
    path = _record_path(root, release_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": print_, "release": str(release_dir), "warnings": warnings}
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def forget(root: Path, release_dir: Path) -> None:
    """Drop the record of `release_dir`: its next build is made, never reused (a preview
    starts with a real build, which leaves the book in memory for quick page updates)."""
    _record_path(root, release_dir).unlink(missing_ok=True)
