"""Where a book's inputs live, as seen from a chapter's kernel (or a script in the project).

Paths come from the project and the build, never from where a package is installed: the
renderer tells each kernel its project root and data directory through two environment
variables (`--data-dir PATH` sets the second); run outside a build, the project root is the
nearest folder above the working directory that holds a `_quarto.yml`.
"""

from __future__ import annotations

import os
from pathlib import Path

from quartowrap.authoring.protocol import DATA_DIR_ENV, PROJECT_ROOT_ENV

__all__ = ["DATA_DIR_ENV", "PROJECT_ROOT_ENV", "data_dir", "project_root"]
PROJECT_FILES = ("_quarto.yml", "_quarto.yaml")


def project_root(start: Path | None = None) -> Path:
    """The book's root: the build's, else the nearest `_quarto.yml` above `start` (cwd)."""
    override = os.environ.get(PROJECT_ROOT_ENV)
    if override:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return folder
    return here


def data_dir() -> Path:
    """The data directory of this build (`--data-dir`, else `<project>/data`)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).resolve() if override else project_root() / "data"
