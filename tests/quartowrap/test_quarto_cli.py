"""Engine selection and the hand-off to a real `quarto render` (a stand-in binary here).

The Quarto CLI cannot be installed on our machines, so a small script named `quarto` on
PATH records how it was called and writes what Quarto would; the release step after it
(manifest, checksums, atomic publish) is the shared one.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from quartowrap.commands.render import RenderOptions, render_project, resolve_engine
from quartowrap.errors import BuildError
from quartowrap.progress import Progress

FAKE_QUARTO = """#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
log = pathlib.Path(os.environ["FAKE_QUARTO_LOG"])
calls = json.loads(log.read_text()) if log.exists() else []
calls.append({{"args": args, "data_dir": os.environ.get("QUARTOWRAP_DATA_DIR")}})
log.write_text(json.dumps(calls))
out = pathlib.Path(args[args.index("--output-dir") + 1])
out.mkdir(parents=True, exist_ok=True)
if args[args.index("--to") + 1] == "html":
    (out / "index.html").write_text("<html><body><main>quarto</main></body></html>")
else:
    (out / "book.pdf").write_bytes(b"%PDF-1.7 fake")
if os.environ.get("FAKE_QUARTO_WARN"):
    print("WARN: Unable to resolve crossref @tbl-missing", file=sys.stderr)
"""


@pytest.fixture()
def fake_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(FAKE_QUARTO.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    log = tmp_path / "calls.json"
    monkeypatch.setenv("FAKE_QUARTO_LOG", str(log))
    return log


def _book(root: Path) -> Path:
    root.mkdir()
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Q\n  chapters: [index.qmd]\n"
    )
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n\nText.\n")
    return root


def test_auto_prefers_quarto_when_it_is_on_path(fake_quarto: Path) -> None:
    assert resolve_engine("auto", "auto") == "quarto"
    assert resolve_engine("embedded", "auto") == "embedded"


def test_quarto_engine_without_quarto_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert resolve_engine(None, "auto") == "embedded"
    with pytest.raises(BuildError, match="no `quarto` binary"):
        resolve_engine("quarto", "auto")


def test_quarto_renders_each_format_and_shares_the_release_step(
    fake_quarto: Path, tmp_path: Path
) -> None:
    project = _book(tmp_path / "book")
    data = tmp_path / "wave2"
    data.mkdir()
    result = render_project(
        project,
        RenderOptions(engine="quarto", data_dir=data, version="1.0.0"),
        progress=Progress(plain=True, quiet=True),
    )
    calls = json.loads(fake_quarto.read_text())
    assert [c["args"][c["args"].index("--to") + 1] for c in calls] == ["html", "typst"]
    assert all(c["data_dir"] == str(data.resolve()) for c in calls)
    release = result.release_dir
    assert (release / "html" / "index.html").is_file() and (release / "q-1.0.0.pdf").is_file()
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["engine"] == "quarto" and manifest["version"] == "1.0.0"
    assert "html/index.html" in (release / "SHA256SUMS").read_text()


def test_quarto_warnings_fail_a_strict_build(
    fake_quarto: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _book(tmp_path / "book")
    monkeypatch.setenv("FAKE_QUARTO_WARN", "1")
    with pytest.raises(BuildError, match="strict"):
        render_project(
            project,
            RenderOptions(engine="quarto", strict=True, to=("html",), version="1.0.0"),
            progress=Progress(plain=True, quiet=True),
        )
    assert not (project / "_output" / "1.0.0").exists()
