"""analysis.provenance: the inventory matches the codebook and the files' bytes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml

from analysis.provenance import data_inventory

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_inventory_of_a_small_data_dir(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "a.csv").write_text("id,x\n1,2\n2,3\n")
    (tmp_path / "codebook.yaml").write_text(
        yaml.safe_dump(
            {
                "files": {
                    "t/a.csv": {
                        "description": "hand-made",
                        "reconstructed": True,
                        "source": "test",
                        "key": "id",
                        "columns": {"id": {"type": "integer"}, "x": {"type": "integer"}},
                    }
                }
            }
        )
    )
    inventory = data_inventory(tmp_path)
    row = inventory.iloc[0]
    assert (row["file"], row["rows"], row["columns"], row["status"]) == (
        "t/a.csv",
        2,
        2,
        "reconstructed",
    )
    assert row["sha256"] == hashlib.sha256(b"id,x\n1,2\n2,3\n").hexdigest()


def test_inventory_of_the_shipped_data_lists_every_codebook_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    listed = set(yaml.safe_load((data / "codebook.yaml").read_text())["files"])
    inventory = data_inventory(data)
    assert set(inventory["file"]) == listed
    assert (
        inventory.loc[inventory["file"] == "survey/professionals.csv", "status"] == "reconstructed"
    ).all()


def test_status_of_synthetic_reconstructed_and_published_files() -> None:
    from quartowrap.authoring.data import FileSpec

    from analysis.provenance import file_status

    assert file_status(FileSpec(description="SYNTHETIC wave", reconstructed=True)) == "synthetic"
    assert file_status(FileSpec(description="Rebuilt", reconstructed=True)) == "reconstructed"
    assert file_status(FileSpec(description="Table 37 of the report")) == "published"
