"""Publishing a build as a versioned, verifiable release.

A build is written into a staging directory next to the release directory and moved into
`_output/<version>/` only when every step succeeded, so a failed build never leaves a
half-written release behind and never touches the previous one.  The release carries a
`manifest.json` (what went in) and `SHA256SUMS` (what came out); two builds of the same
commit give byte-identical files because nothing in them depends on the wall clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from quartowrap.errors import BuildError
from quartowrap.publish.stale import remove_stale_staging, staging_prefix

# The renderer's own tools; the packages a book's chapters import are added per build
# (commands/render.py), as are those the book lists under `quartowrap: manifest-packages:`.
MANIFEST_PACKAGES = (
    "quartowrap",
    "ipykernel",
    "jupyter_client",
    "pypandoc-binary",
    "typst",
)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")
SEMVER_PLAIN = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


@dataclass(frozen=True)
class GitState:
    """The commit a build comes from; all None outside a git checkout."""

    commit: str | None
    short: str | None
    dirty: bool
    commit_epoch: int | None


_REMEMBERED: dict[str, GitState] | None = None


@contextmanager
def remembered_git_states(store: dict[str, GitState]) -> Iterator[None]:
    """Inside the block `git_state` reads each checkout once and answers from `store`.

    An editions worker renders dozens of editions of one checkout, each asking for the
    commit several times (three git processes a time); one run is one commit anyway."""
    global _REMEMBERED
    outer, _REMEMBERED = _REMEMBERED, store
    try:
        yield
    finally:
        _REMEMBERED = outer


def git_state(root: Path) -> GitState:
    """The commit and whether the tree differs from it (read once per run under
    `remembered_git_states`)."""
    if _REMEMBERED is not None:
        key = str(Path(root).resolve())
        if key not in _REMEMBERED:
            _REMEMBERED[key] = _read_git_state(root)
        return _REMEMBERED[key]
    return _read_git_state(root)


def _read_git_state(root: Path) -> GitState:
    """The commit and whether the tree differs from it.

    The committed freeze store (`_freeze/`) does not count: it holds results computed from
    the sources, and a build that executes a chapter rewrites its entry — the sources are
    still those of the commit, so the build is not named `….dirty` for it.
    """
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return GitState(None, None, False, None)
    status = _git(root, "status", "--porcelain", "--untracked-files=no") or ""
    freeze = (_git(root, "rev-parse", "--show-prefix") or "") + "_freeze/"
    # `XY path` lines (the first one's leading blank is stripped with the output)
    paths = [line[2:].strip().strip('"') for line in status.splitlines()]
    changed = [path for path in paths if not path.startswith(freeze)]
    epoch = _git(root, "log", "-1", "--format=%ct")
    return GitState(commit, commit[:7], bool(changed), int(epoch) if epoch else None)


def resolve_version(root: Path, configured: str | None) -> str:
    """The version of this build.

    A commit tagged `v<version>` (or whose `_quarto.yml` version has a matching tag) with a
    clean tree builds as `<version>`; anything else is `<last version>+dev.<n>.g<sha>`,
    where n counts the commits since the last release tag (or since the start).
    """
    described = _git(root, "describe", "--tags", "--match", "v[0-9]*", "--long")
    state = git_state(root)
    if described:
        match = re.match(r"^v(.+)-(\d+)-g([0-9a-f]+)$", described)
        if match:
            last, distance, sha = match.group(1), int(match.group(2)), match.group(3)
            if distance == 0 and not state.dirty:
                return last
            return f"{last}+dev.{distance}.g{sha}" + (".dirty" if state.dirty else "")
    base = configured if configured and _SEMVER.match(configured) else "0.0.0"
    if state.commit is None:
        return f"{base}+dev"
    count = _git(root, "rev-list", "--count", "HEAD") or "0"
    return f"{base}+dev.{count}.g{state.short}" + (".dirty" if state.dirty else "")


def is_development_version(version: str) -> bool:
    """A build that is not a tagged release (`+dev…`, `….dirty`, no tag): a draft.

    `resolve_version` gives a plain `X.Y.Z` (or a pre-release `X.Y.Z-rc.1`) only to a clean
    tree at a release tag; everything else carries build metadata after a `+`.
    """
    return not SEMVER_PLAIN.match(version) or "dev" in version or "dirty" in version


def build_epoch(root: Path) -> int:
    """SOURCE_DATE_EPOCH if set, else the commit time: never the wall clock."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env and env.isdigit():
        return int(env)
    return git_state(root).commit_epoch or 0


def package_versions(names: Iterable[str] = MANIFEST_PACKAGES) -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def write_manifest(release_dir: Path, fields: dict[str, Any], packages: Iterable[str] = ()) -> Path:
    """Write manifest.json: what this release was built from, sorted for stable bytes.

    `packages`: distributions the book used, recorded with the renderer's own."""
    manifest = {
        **fields,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "packages": package_versions(dict.fromkeys([*MANIFEST_PACKAGES, *packages])),
    }
    path = release_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def iter_release_files(release_dir: Path) -> Iterator[Path]:
    for path in sorted(release_dir.rglob("*")):
        if path.is_file() and path.name != "SHA256SUMS":
            yield path


def write_checksums(release_dir: Path) -> Path:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    lines = [
        f"{sha256_file(path)}  {path.relative_to(release_dir).as_posix()}"
        for path in iter_release_files(release_dir)
    ]
    target = release_dir / "SHA256SUMS"
    target.write_text("\n".join(lines) + "\n")
    return target


def normalise_mtimes(release_dir: Path, epoch: int) -> None:
    """Give every file the build epoch as mtime, so archives of two builds are identical."""
    for path in release_dir.rglob("*"):
        os.utime(path, (epoch, epoch), follow_symlinks=False)
    os.utime(release_dir, (epoch, epoch))


@contextmanager
def staging_directory(output_root: Path) -> Iterator[Path]:
    """A scratch directory on the same file system as the releases (so moves are atomic).

    It is removed whatever happens; `publish` moves its content out first on success.
    """
    output_root.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(output_root)  # what killed builds left behind
    staging = Path(tempfile.mkdtemp(prefix=staging_prefix(), dir=output_root))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def current_umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(release_dir: Path, umask: int | None = None) -> None:
    """Give a build the permissions of ordinary files: 0644/0755 under umask 022.

    The staging directory comes from `mkdtemp` (drwx------) and some tools write private
    temporary files, so without this a web server running as another user cannot read a
    release.  Files keep an executable bit only when they had one.
    """
    mask = current_umask() if umask is None else umask
    for path in [release_dir, *release_dir.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o777 & ~mask)
        else:
            executable = path.stat().st_mode & 0o100
            path.chmod((0o777 if executable else 0o666) & ~mask)


# Folders of a release that another command writes (`render --params-table`: the editions
# of that version); a build of the book itself carries them into the release it publishes.
EDITIONS_DIR = "editions"
CARRIED_OVER = (EDITIONS_DIR,)


def publish(staging: Path, output_root: Path, version: str, *, link_latest: bool = True) -> Path:
    """Move a finished build into `<output_root>/<version>/`, replacing an older build of it.

    The old release is renamed aside before the new one takes its place and removed only
    afterwards, so at every moment one complete release of that version exists on disk.
    Its `editions/` (written by `render --params-table`) come along unchanged.
    """
    if not version or "/" in version or version.startswith("."):
        raise BuildError(f"invalid release version {version!r}")
    target = output_root / version
    apply_umask(staging)
    carry_over(target, staging)
    swap_into_place(staging, target, output_root / f".previous-{version}-{os.getpid()}")
    if link_latest:
        update_latest_link(output_root, version)
    return target


def carry_over(previous: Path, staging: Path) -> None:
    """Hard-link the previous release's `CARRIED_OVER` folders into the new build.

    Links, not moves: until the swap the previous release stays complete, and after it the
    new one is; no file is copied (a copy only where the file system has no hard links).
    """
    for name in CARRIED_OVER:
        source = previous / name
        if not source.is_dir() or source.is_symlink() or (staging / name).exists():
            continue
        try:
            shutil.copytree(source, staging / name, symlinks=True, copy_function=os.link)
        except (OSError, shutil.Error):
            shutil.rmtree(staging / name, ignore_errors=True)
            shutil.copytree(source, staging / name, symlinks=True)


def update_latest_link(output_root: Path, version: str) -> None:
    """`_output/latest` points at the newest successful build of the current tree.

    Called on every successful build, including one that reuses an intact release, so
    that after a dirty build and a revert `latest` leaves the `….dirty` build.
    """
    link = output_root / "latest"
    temp = output_root / f".latest-{os.getpid()}"
    try:
        if temp.is_symlink() or temp.exists():
            temp.unlink()
        temp.symlink_to(version, target_is_directory=True)
        temp.replace(link)
    except OSError:
        return


def iso_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def swap_into_place(staging: Path, target: Path, aside: Path) -> None:
    """Replace `target` by `staging` so that one complete copy exists at every moment.

    The old `target` is renamed to `aside` first and removed only once `staging` has taken
    its place; if that rename fails, the old one is put back.
    """
    moved = False
    if target.exists():
        if aside.exists():
            shutil.rmtree(aside)
        target.rename(aside)
        moved = True
    try:
        staging.rename(target)
    except OSError:
        if moved:
            aside.rename(target)
        raise
    if moved:
        shutil.rmtree(aside, ignore_errors=True)
