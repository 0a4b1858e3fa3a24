"""Where the project's inputs live: one place, relative to the project root.

A build may point the whole report at another data directory (a new survey wave) with
`nox -s render -- --data-dir PATH`; the renderer passes it to the chapters' kernels as
the environment variable KCE_DATA_DIR.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "KCE_DATA_DIR"


def data_dir() -> Path:
    """The data directory of this build (KCE_DATA_DIR, else `<project>/data`)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).resolve() if override else PROJECT_ROOT / "data"
