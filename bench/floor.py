"""The floor a renderer cannot beat: every cell in one Python process, then pandoc + typst.

Imports are paid once, no kernels, no caching: what is left is the cells' own work and the
document converters.  Cells are found with a plain regex so the floor does not depend on
the renderer being measured.

The floor makes the same document as the book asks for: a cell's code is shown before its
output (Quarto's default `echo: true`, unless the book or the cell says `echo: false`), and
it is highlighted as Quarto 1.9 highlights it in both formats (pandoc's skylighting).
`show_code=False` gives the older floor without the code (kept in the results, so the two
definitions can be compared).
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

import pypandoc
import typst

CELL = re.compile(r"^```\{python\}\n(.*?)^```", re.DOTALL | re.MULTILINE)
INCLUDE = re.compile(r"^\{\{< include (\S+) >\}\}$", re.MULTILINE)


def _chapter_files(book: Path) -> list[Path]:
    """The book's chapters in reading order, from `_quarto.yml` (parts and appendices too)."""
    import yaml

    config = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))["book"]

    def flatten(entries: list) -> list[str]:  # type: ignore[type-arg]
        out: list[str] = []
        for entry in entries or []:
            if isinstance(entry, dict):
                out += flatten(entry.get("chapters", []))
            else:
                out.append(entry)
        return out

    names = flatten(config.get("chapters", [])) + flatten(config.get("appendices", []))
    return [book / name for name in names]


def _expand_includes(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: _expand_includes(path.parent / m.group(1)), text)


ECHO_OFF = re.compile(r"^#\|\s*echo:\s*false\s*$", re.MULTILINE)
OPTION_LINE = re.compile(r"^#\|.*\n?", re.MULTILINE)


def _book_echoes(book: Path) -> bool:
    """Whether the book shows its code by default (`execute: echo:`, Quarto's default true)."""
    import yaml

    config = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8")) or {}
    return (config.get("execute") or {}).get("echo", True) is not False


def _run_chapter(source: str, figures: Path, stem: str, show_code: bool = True) -> str:
    """Execute a chapter's cells in one namespace; return markdown with their code (unless
    `show_code` is off or the cell says `echo: false`) and their outputs."""
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    namespace: dict[str, object] = {"__name__": "__main__"}
    pieces: list[str] = []
    last = 0
    for number, match in enumerate(CELL.finditer(source)):
        pieces.append(source[last : match.start()])
        last = match.end()
        code = match.group(1)
        if show_code and not ECHO_OFF.search(code):
            pieces.append("\n```python\n" + OPTION_LINE.sub("", code).strip("\n") + "\n```\n\n")
        tree = ast.parse(code)
        tail = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            exec(compile(tree, f"{stem}-{number}", "exec"), namespace)
            value = None
            if isinstance(tail, ast.Expr):
                expression = ast.Expression(tail.value)
                value = eval(compile(expression, f"{stem}-{number}", "eval"), namespace)
        pieces.append(buffer.getvalue())
        if value is not None and hasattr(value, "_repr_markdown_"):
            pieces.append(value._repr_markdown_())
        if plt.get_fignums():
            path = figures / f"{stem}-{number}.svg"
            plt.gcf().savefig(path)
            plt.close("all")
            pieces.append(f"![]({path})")
    pieces.append(source[last:])
    return "".join(pieces)


def measure_floor(book: Path, *, show_code: bool = True) -> float:
    """Seconds for cells + pandoc → HTML + pandoc → typst + typst → PDF of `book`.

    Runs in the book's directory (as the renderer's kernels do) so relative data paths work.
    """
    import os
    import sys

    previous = Path.cwd()
    os.chdir(book)
    sys.path.insert(0, str(book))
    try:
        return _measure(book, show_code=show_code and _book_echoes(book))
    finally:
        sys.path.remove(str(book))
        os.chdir(previous)


def _measure(book: Path, show_code: bool) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        chapters = _chapter_files(book)
        markdown = "\n\n".join(
            _run_chapter(_expand_includes(path), work, path.stem, show_code) for path in chapters
        )
        source = work / "book.md"
        source.write_text(markdown, encoding="utf-8")
        pandoc = pypandoc.get_pandoc_path()
        common = [pandoc, str(source), "--citeproc", "--standalone"]
        common += ["--syntax-highlighting=pygments"]  # skylighting, as Quarto 1.9 in both
        for bib in sorted(book.rglob("*.bib")):
            if "tests" not in bib.parts and "_output" not in bib.parts:
                common += ["--bibliography", str(bib)]
        subprocess.run([*common, "-o", str(work / "book.html")], check=True, capture_output=True)
        subprocess.run(
            [*common, "-t", "typst", "-o", str(work / "book.typ")], check=True, capture_output=True
        )
        typst.compile(str(work / "book.typ"), output=str(work / "book.pdf"), root="/")
    return round(time.perf_counter() - started, 2)
