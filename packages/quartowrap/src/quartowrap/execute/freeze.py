"""Freeze: keep each chapter's execution results and reuse them while their inputs hold.

Layout follows Quarto: `_freeze/<dir>/<stem>/execute-results/kce-embedded.json` with the
chapter's figures in `_freeze/<dir>/<stem>/figure-svg/` (the file name differs from
Quarto's `html.json` so a real `quarto render` of the same project never reads ours).

With `freeze: auto` a chapter is reused only when all of these are unchanged:
  * its *code key* — the code of every cell, its `eval` option, and every inline expression,
    in order (included files count, they are expanded first), plus the data directory;
  * the engine version (`ENGINE_VERSION`);
  * the content of every project module the chapter imported and every data file it read
    (recorded in the kernel: `sys.modules` and an audit hook on `open`).
Prose is deliberately *not* part of the key: cells cannot see the prose around them, so a
prose-only edit re-executes nothing and the stored outputs are woven into the new prose.
(Quarto re-executes a chapter whenever any byte of it changes.)  Captions and display
options (`echo`, `fig-cap`, …) are applied when weaving, so editing them is free as well.
`freeze: true` reuses any stored result; `freeze: false` always executes.  Results are
written on every execution, so switching to `auto` later starts warm.

The store is meant to be committed (Quarto's advice), so a fresh clone — CI — executes only
what changed: every key is a content hash or a project-relative path (no absolute path,
user or host name), the engine is named by quartowrap, freeze schema and Python minor
version only, and an entry is written with sorted keys and no wall-clock data, so executing
unchanged code again gives the same bytes.  How long a chapter took (for ordering and the
time estimate) is machine-specific and lives in the git-ignored `.quartowrap/freeze-seconds/`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quartowrap import __version__
from quartowrap.integrity import damaged, sha256_bytes, sha256_text
from quartowrap.model import Dependencies
from quartowrap.project.qmd import CodeCell, QmdDocument

FREEZE_DIR = "_freeze"
RESULTS_NAME = "kce-embedded.json"
FIGURE_DIR = "figure-svg"
# 2: table payloads carry the table model (quartowrap.tables)
# 3: every entry carries checksums of its results and figure files
SCHEMA = 3
# Part of every freeze key: a new quartowrap release or Python minor version re-executes
# everything (a patch release of Python does not: a committed store must hold on every
# machine that builds the project).
PYTHON_VERSION = ".".join(platform.python_version_tuple()[:2])
ENGINE_VERSION = f"quartowrap {__version__} (freeze schema {SCHEMA}; Python {PYTHON_VERSION})"
SECONDS_DIR = Path(".quartowrap") / "freeze-seconds"  # per machine: not in the store
DATA_DIR_PREFIX = "$QUARTOWRAP_DATA_DIR/"  # dependency paths inside a data dir outside the root
MISSING = "missing"


PARAMS_DIR = "_params"  # stores of renders with parameter values: _freeze/_params/<hash>/…


def params_store(params: Mapping[str, Any] | None) -> str | None:
    """The store of a render with these parameter values (None: the default store).

    Editions of one book differ only in their values; each set of values gets a store of
    its own, so editions rendered side by side never overwrite each other's results or
    figures and the default build's store is never touched by an edition.
    """
    if not params:
        return None
    text = json.dumps(dict(params), sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def chapter_dir(root: Path, source: Path, store: str | None = None) -> Path:
    """`_freeze/chapters/03-surveys` for `chapters/03-surveys.qmd` (in the default store)."""
    base = Path(root) / FREEZE_DIR
    if store is not None:
        base = base / PARAMS_DIR / store
    return base / Path(source).with_suffix("")


def results_path(root: Path, source: Path, store: str | None = None) -> Path:
    return chapter_dir(root, source, store) / "execute-results" / RESULTS_NAME


def figure_dir(root: Path, source: Path, store: str | None = None) -> Path:
    return chapter_dir(root, source, store) / FIGURE_DIR


def code_key(
    doc: QmdDocument,
    data_dir: Path | None,
    evaluated: Sequence[bool],
    extra: str = "",
    root: Path | None = None,
) -> str:
    """Hash of everything that can change what the chapter's code computes (not its prose).

    `evaluated` says, per cell, whether it runs (the effective `eval` option); `extra` is
    any other setting the kernel is started with (e.g. the default figure size).
    """
    h = hashlib.sha256()
    h.update(f"extra={extra}\0".encode())
    # Root-relative when the data directory is inside the project, so a moved or freshly
    # cloned project keeps its freeze.
    where = ""
    if data_dir is not None:
        resolved = Path(data_dir).resolve()
        if root is not None and resolved.is_relative_to(Path(root).resolve()):
            where = resolved.relative_to(Path(root).resolve()).as_posix()
        else:
            where = str(resolved)
    h.update(f"data-dir={where}\0".encode())
    cells = iter(evaluated)
    for block in doc.blocks:
        if isinstance(block, CodeCell):
            h.update(f"cell eval={next(cells, True)}\0".encode() + block.code.encode() + b"\0")
        else:
            for expr in block.inline:
                h.update(b"inline\0" + expr.code.encode() + b"\0")
    return h.hexdigest()


def hash_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:  # absent, a folder, a symlink loop, unreadable: not a usable input
        return MISSING
    return h.hexdigest()


def resolve_dependency(name: str, root: Path, data_dir: Path | None) -> Path | None:
    if name.startswith(DATA_DIR_PREFIX):
        return None if data_dir is None else Path(data_dir) / name[len(DATA_DIR_PREFIX) :]
    return Path(root) / name


@dataclass
class FrozenResult:
    """What one execution of a chapter produced (JSON-serialisable)."""

    code_key: str
    engine: str
    source_hash: str
    modules: dict[str, str] = field(default_factory=dict)
    data_files: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)  # see execute.RawResults
    seconds: float = 0.0
    files_sha256: dict[str, str] = field(default_factory=dict)  # figure file -> sha256

    @property
    def dependencies(self) -> Dependencies:
        return Dependencies(modules=dict(self.modules), data_files=dict(self.data_files))


def _checksum(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256_text(canonical)


def load(root: Path, source: Path, store: str | None = None) -> FrozenResult | None:
    """Stored results, or None when absent, of an older schema, or damaged.

    The results file and every figure file are checked against the checksums stored with
    them: a damaged entry (a truncated SVG, a cut-off JSON) is discarded with a warning
    naming the file (integrity.py), and the chapter executes again."""
    path = results_path(root, source, store)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        _discard(root, source, path, str(exc), store)
        return None
    try:
        data = json.loads(text)
        stored = data.pop("checksum", None) if isinstance(data, dict) else None
        if stored is None:
            return None  # written by an older version: not reused
        if stored != _checksum(data):
            _discard(root, source, path, "content does not match its checksum", store)
            return None
        result = FrozenResult(**data)
        result.seconds = result.seconds or _load_seconds(root, source, store)
    except (ValueError, TypeError) as exc:
        _discard(root, source, path, f"unreadable: {type(exc).__name__}", store)
        return None
    figures = figure_dir(root, source, store)
    for name in result.outputs.get("files", []):
        file = figures / name
        if not file.is_file():
            return None
        expected = result.files_sha256.get(name)
        if expected is None or hash_file(file) != expected:
            _discard(root, source, file, "content does not match its checksum", store)
            return None
    return result


def _discard(root: Path, source: Path, path: Path, why: str, store: str | None = None) -> None:
    """Report a damaged freeze entry and remove all of it (it is rebuilt by executing)."""
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = str(path)
    damaged(path, "freeze entry", why, name=shown)
    clear(root, source, store)


def save(
    root: Path,
    source: Path,
    result: FrozenResult,
    files: dict[str, bytes],
    store: str | None = None,
) -> None:
    """Write results and figure files; the old figures are replaced only once all is written."""
    target = chapter_dir(root, source, store)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".figures-", dir=target))
    result.files_sha256 = {name: sha256_bytes(data) for name, data in sorted(files.items())}
    try:
        for name, data in sorted(files.items()):
            (staging / name).write_bytes(data)
        figures = figure_dir(root, source, store)
        if figures.exists():
            shutil.rmtree(figures)
        staging.rename(figures)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    out = results_path(root, source, store)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    data = asdict(result)
    _save_seconds(root, source, store, data.pop("seconds"))
    data["checksum"] = _checksum(data)
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, out)


def _seconds_path(root: Path, source: Path, store: str | None) -> Path:
    relative = chapter_dir(Path("."), source, store)
    return Path(root) / SECONDS_DIR / relative.with_name(relative.name + ".txt")


def _load_seconds(root: Path, source: Path, store: str | None) -> float:
    """How long the chapter took when this machine last executed it (0: unknown)."""
    try:
        return float(_seconds_path(root, source, store).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0.0


def _save_seconds(root: Path, source: Path, store: str | None, seconds: float) -> None:
    path = _seconds_path(root, source, store)
    with contextlib.suppress(OSError):  # only an estimate: never a reason to fail a build
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{seconds:.3f}\n", encoding="utf-8")


def stale_reason(
    frozen: FrozenResult | None,
    doc: QmdDocument,
    key: str,
    mode: bool | str,
    root: Path,
    data_dir: Path | None,
) -> str | None:
    """Why the chapter must execute, or None when the stored results can be reused."""
    if frozen is None:
        return "no stored results"
    if mode is False:
        return "freeze: false"
    if mode is True:
        return None
    if frozen.engine != ENGINE_VERSION:
        return f"engine changed ({frozen.engine} -> {ENGINE_VERSION})"
    if frozen.code_key != key:
        return "code changed"
    for kind, deps in (("module", frozen.modules), ("data file", frozen.data_files)):
        for name, digest in sorted(deps.items()):
            path = resolve_dependency(name, root, data_dir)
            current = hash_file(path) if path is not None else MISSING
            if current != digest:
                return f"{kind} changed: {name}"
    return None


def clear(root: Path, source: Path, store: str | None = None) -> None:
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(chapter_dir(root, source, store))
