"""release: atomic publish, checksums, manifest fields, versions derived from git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from quartowrap.publish.release import (
    is_development_version,
    publish,
    resolve_version,
    staging_directory,
    write_checksums,
    write_manifest,
)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=T", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_failed_build_leaves_previous_release_untouched(tmp_path: Path) -> None:
    out = tmp_path / "_output"
    with staging_directory(out) as staging:
        (staging / "index.html").write_text("first")
        publish(staging, out, "1.0.0")
    with pytest.raises(RuntimeError), staging_directory(out) as staging:
        (staging / "index.html").write_text("half-written")
        raise RuntimeError("cell failed")
    assert (out / "1.0.0" / "index.html").read_text() == "first"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_publish_replaces_an_older_build_of_the_same_version(tmp_path: Path) -> None:
    out = tmp_path / "_output"
    for text in ("old", "new"):
        with staging_directory(out) as staging:
            (staging / "page.html").write_text(text)
            publish(staging, out, "2.0.0")
    assert (out / "2.0.0" / "page.html").read_text() == "new"
    assert (out / "latest").resolve() == (out / "2.0.0").resolve()


def test_checksums_verify_with_sha256sum(tmp_path: Path) -> None:
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "tbl-a.csv").write_text("a,b\n1,2\n")
    write_manifest(tmp_path, {"version": "1.0.0"}, packages=["pandas"])
    write_checksums(tmp_path)
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum not available")
    result = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stdout
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0" and "pandas" in manifest["packages"]
    # the renderer's own tools are always recorded; nothing the book did not ask for is
    assert "quartowrap" in manifest["packages"] and "typst" in manifest["packages"]
    assert "scikit-learn" not in manifest["packages"] and "seaborn" not in manifest["packages"]


def test_versions_follow_release_tags(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-qm", "one")
    assert resolve_version(tmp_path, None).startswith("0.0.0+dev.1.g")
    _git(tmp_path, "tag", "v1.0.0")
    assert resolve_version(tmp_path, None) == "1.0.0"
    (tmp_path / "a.txt").write_text("b")
    assert resolve_version(tmp_path, None).endswith(".dirty")
    _git(tmp_path, "commit", "-qam", "two")
    version = resolve_version(tmp_path, None)
    assert version.startswith("1.0.0+dev.1.g") and not version.endswith(".dirty")


def test_published_files_follow_the_umask_not_mkdtemp(tmp_path: Path) -> None:
    out = tmp_path / "_output"
    previous = os.umask(0o022)
    try:
        with staging_directory(out) as staging:
            (staging / "html").mkdir()
            private = staging / "html" / "page.html"
            private.write_text("x")
            private.chmod(0o600)  # as a tool's private temporary file would be
            script = staging / "run.sh"
            script.write_text("#!/bin/sh\n")
            script.chmod(0o700)
            release = publish(staging, out, "1.0.0")
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in [release, *release.rglob("*")]}
    assert modes == {"1.0.0": 0o755, "html": 0o755, "page.html": 0o644, "run.sh": 0o755}


def test_development_versions_are_drafts() -> None:
    assert not is_development_version("1.0.0")
    assert not is_development_version("2.1.0-rc.1")
    for version in ("1.0.0+dev.3.gabc1234", "0.0.0+dev", "1.0.0+dev.0.gabc.dirty", "preview"):
        assert is_development_version(version), version
