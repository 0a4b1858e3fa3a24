"""Staging folders left by killed builds are removed at the next build.

Why: a build killed with SIGKILL (or a power cut) cannot run its cleanup, and each leftover
`_output/.staging-*` holds a whole half-written release.  The staging folder's name carries
the pid of its build, so a later build removes exactly those whose build is gone, never one
a build running beside it is still writing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

PREFIX = ".staging-"
# A staging folder of the old naming (no pid) is taken as abandoned after this long.
ABANDONED_AFTER = 3600.0


def staging_prefix() -> str:
    """`.staging-<pid>-`: the prefix of this process's staging folders."""
    return f"{PREFIX}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(folder: Path) -> bool:
    pid_text = folder.name[len(PREFIX) :].split("-", 1)[0]
    if pid_text.isdigit() and "-" in folder.name[len(PREFIX) :]:
        return int(pid_text) != os.getpid() and not _alive(int(pid_text))
    try:
        return time.time() - folder.stat().st_mtime > ABANDONED_AFTER
    except OSError:
        return False


def remove_stale_staging(output_root: Path) -> list[Path]:
    """Remove the staging folders of builds that no longer run; return what was removed."""
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for folder in sorted(Path(output_root).glob(PREFIX + "*")):
            if folder.is_dir() and not folder.is_symlink() and _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


__all__ = ["remove_stale_staging", "staging_prefix"]
