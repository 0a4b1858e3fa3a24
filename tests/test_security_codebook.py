"""Issue 11, case 1: a `--data-dir` wave whose codebook `source:` holds markup.

Chapter 3 inserts the codebook's `source:` text into its prose (synthetic-data notices).
A wave whose `source:` holds a `<script>` and a raw typst `#read` of a file outside the
project is rendered (HTML and PDF): the page shows the text and runs nothing, the PDF
prints the text and holds nothing of the file.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from quartowrap.commands.render import RenderOptions, render_project
from quartowrap.progress import Progress

from analysis.synthetic import write_data_dir

ROOT = Path(__file__).resolve().parents[1]
SECRET = "CODEBOOK-SECRET-5be01c"
pytestmark = pytest.mark.slow


@cache
def _data_dir_module():
    """The chapter-3 book builder of test_data_dir.py (tests are not importable)."""
    path = Path(__file__).with_name("test_data_dir.py")
    spec = importlib.util.spec_from_file_location("_data_dir_fixtures", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_codebook_source_is_text_in_html_and_pdf(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    data = write_data_dir(tmp_path / "wave", professionals=120, patients=200, seed=5)
    payload = f'<script>window.__pwned=1</script> `#read("{secret}")`{{=typst}} *x*'
    codebook_path = data / "codebook.yaml"
    codebook = yaml.safe_load(codebook_path.read_text(encoding="utf-8"))
    for relpath in ("survey/professionals.csv", "survey/patients.csv"):
        codebook["files"][relpath]["source"] = payload
    codebook_path.write_text(yaml.safe_dump(codebook, sort_keys=False), encoding="utf-8")
    book = _data_dir_module()._book(tmp_path / "book")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", str(ROOT))
        result = render_project(
            book,
            RenderOptions(data_dir=data, use_freeze=False, version="0.0.0+hostile", jobs=1),
            progress=Progress(plain=True, quiet=True),
        )
    [page] = (result.release_dir / "html").rglob("03-surveys.html")
    html = page.read_text(encoding="utf-8")
    main = html[html.index("<main") :]
    assert "window.__pwned=1" in main  # the text is shown ...
    assert not re.search(r"<script\b", main)  # ... and never runs
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in main
    assert "*x*" in main  # markdown in data stays literal too
    [pdf] = result.release_dir.glob("*.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "#read(" in text and SECRET not in text
