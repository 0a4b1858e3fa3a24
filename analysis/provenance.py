"""An inventory of the data a build reads, for the report's data-provenance appendix.

Reviewers should see, inside the report, which inputs are original, which were
reconstructed or constructed for this rebuild, and the exact bytes (SHA-256) that went
into the numbers they read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import pandas as pd
from quartowrap.authoring.data import FileSpec, load_codebook, load_table
from quartowrap.authoring.paths import data_dir as default_data_dir

INVENTORY_COLUMNS = ["file", "rows", "columns", "status", "source", "sha256"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


Status = Literal["published", "reconstructed", "synthetic"]


def file_status(spec: FileSpec) -> Status:
    """Where a file's rows come from, as the codebook states it.

    "synthetic": random data in the schema (analysis.synthetic.write_data_dir marks their
    codebook descriptions SYNTHETIC); "reconstructed": generated or written for this
    rebuild to reproduce what the report publishes; "published": transcribed from it.
    """
    if (spec.description or "").lstrip().upper().startswith("SYNTHETIC"):
        return "synthetic"
    return "reconstructed" if spec.reconstructed else "published"


def data_inventory(data_dir: Path | None = None) -> pd.DataFrame:
    """One row per file described in the codebook: size, status, source and content hash.

    `status` is `file_status` of the file's codebook entry.
    Every file is loaded through `load_table`, so an invalid file fails here too.
    """
    base = data_dir or default_data_dir()
    codebook = load_codebook(base)
    rows = []
    for relpath, spec in sorted(codebook.files.items()):
        frame = load_table(relpath, base)
        rows.append(
            {
                "file": relpath,
                "rows": len(frame),
                "columns": frame.shape[1],
                "status": file_status(spec),
                "source": spec.source,
                "sha256": _sha256(base / relpath),
            }
        )
    return pd.DataFrame(rows, columns=INVENTORY_COLUMNS)
