"""Caches verified by content: a damaged entry is discarded, named in a warning, and rebuilt.

Why: a cache entry cut short by a full disk or a killed build, or edited by hand, must never
be published (half an HTML page, a truncated SVG) nor stop every later build with a
traceback.  So each cache file is written with the SHA-256 of its content and checked when
it is read: pandoc ASTs (`.quartowrap/pandoc/`), HTML fragments (`.quartowrap/html/`) and,
through `execute/freeze.py`, the freeze store.  A file without the seal (written by an older
version) is simply not reused; a sealed file whose content no longer matches is reported.

Warnings are collected here (the caches sit deep inside stages that return data, not
messages) and the render command prints them with the build's other warnings; the engine
uses the same channel for the other notes it must not lose (a cell's output cut to its
limit, the data loader's notices about BOMs and `;` separators).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path

SEAL = "quartowrap-sha256"
_WARNINGS: list[str] = []
_LOCK = threading.Lock()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    return sha256_bytes(text.encode("utf-8"))


def damaged(path: Path, what: str, why: str, *, name: str | None = None) -> None:
    """Record (and delete) a damaged cache entry: it is rebuilt, the user is told.

    `name` is how the warning shows the file (e.g. relative to the project)."""
    with contextlib.suppress(OSError):
        Path(path).unlink()
    with _LOCK:
        _WARNINGS.append(f"{name or path}: damaged {what} ({why}): discarded and rebuilt")


def note(message: str) -> None:
    """Record a warning about damage that is repaired by rebuilding (e.g. a release file)."""
    with _LOCK:
        _WARNINGS.append(message)


def drain_warnings() -> list[str]:
    """The damage reports since the last call (each once)."""
    with _LOCK:
        out = list(_WARNINGS)
        _WARNINGS.clear()
    return out


def write_sealed(path: Path, text: str) -> None:
    """Write `text` atomically with its hash on a first line of its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(f"{SEAL} {sha256_text(text)}\n{text}", encoding="utf-8")
    tmp.replace(path)


def read_sealed(path: Path, what: str) -> str | None:
    """The content of a sealed cache file, or None when absent, unsealed or damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        damaged(path, what, exc.strerror or str(exc))
        return None
    head, sep, body = raw.partition(b"\n")
    parts = head.decode("ascii", "replace").split(" ")
    if len(parts) != 2 or parts[0] != SEAL:
        return None  # an older cache format: not trusted, rebuilt silently
    if not sep or sha256_bytes(body) != parts[1]:
        damaged(path, what, "content does not match its checksum")
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        damaged(path, what, "not UTF-8")
        return None


__all__ = [
    "damaged",
    "drain_warnings",
    "note",
    "read_sealed",
    "sha256_bytes",
    "sha256_text",
    "write_sealed",
]
