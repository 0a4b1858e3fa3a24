"""Keep every file the engine reads on an author's behalf inside the project (and --data-dir).

Why: a chapter, a config key or a data file must never make the build read — and then
publish — a file elsewhere on the machine (`{{< include ../../../etc/passwd >}}`, an image
at `/home/ci/.ssh/id_rsa`, a bibliography in `/etc`).  Paths are resolved (symlinks
followed) before the check, so a link that points outside is refused as well; a symlink
loop is reported as such instead of a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def is_url(target: str) -> bool:
    """`https://…`, `data:…`, `mailto:…`: not a file on this machine."""
    return bool(_URL.match(target)) and not re.match(r"^[a-zA-Z]:[\\/]", target)


def resolved(path: Path, at: SourceLocation | None = None) -> Path:
    """`path` with symlinks followed; a symlink loop is a ConfigError naming `at`."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: "Symlink loop" (Python < 3.13)
        raise ConfigError(f"{path}: cannot resolve the path ({exc})", at) from None


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether `path` (resolved) lies in one of `roots` (resolved)."""
    real = resolved(path)
    return any(real.is_relative_to(resolved(root)) for root in roots)


def confine(path: Path, roots: Sequence[Path], what: str, at: SourceLocation | None = None) -> Path:
    """`path` resolved, or a ConfigError naming `at` when it leaves every allowed root."""
    real = resolved(path, at)
    if not any(real.is_relative_to(resolved(root)) for root in roots):
        allowed = " or ".join(str(r) for r in roots)
        raise ConfigError(
            f"{what} {path} is outside the project ({allowed}); the engine reads only files "
            "inside the project and --data-dir",
            at,
        )
    return real


def line_of(root: Path, source: Path, needle: str) -> SourceLocation:
    """Where `needle` is first written in the chapter `source` (line 1 when not found, e.g.
    when it comes from an included file), so writer errors can still name file:line."""
    try:
        text = (Path(root) / source).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return SourceLocation(Path(source), 1)
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return SourceLocation(Path(source), number)
    return SourceLocation(Path(source), 1)


__all__ = ["confine", "inside", "is_url", "line_of", "resolved"]
