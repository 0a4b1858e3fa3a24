"""The floor a renderer cannot beat: every cell in one Python process, then pandoc + typst.

Imports are paid once, no kernels, no caching: what is left is the cells' own work and the
document converters.  Cells are found with a plain regex so the floor does not depend on
the renderer being measured.
"""

from __future__ import annotations

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


def _run_chapter(source: str, figures: Path, stem: str) -> str:
    """Execute a chapter's cells in one namespace; return markdown with their outputs."""
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
        lines = code.rstrip().splitlines()
        body, tail = "\n".join(lines[:-1]), lines[-1] if lines else ""
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            exec(compile(body, f"{stem}-{number}", "exec"), namespace)
            value = None
            try:
                value = eval(compile(tail, f"{stem}-{number}", "eval"), namespace)
            except SyntaxError:
                exec(compile(tail, f"{stem}-{number}", "exec"), namespace)
        if value is not None and hasattr(value, "_repr_markdown_"):
            pieces.append(value._repr_markdown_())
        if plt.get_fignums():
            path = figures / f"{stem}-{number}.svg"
            plt.gcf().savefig(path)
            plt.close("all")
            pieces.append(f"![]({path})")
    pieces.append(source[last:])
    return "".join(pieces)


def measure_floor(book: Path) -> float:
    """Seconds for cells + pandoc → HTML + pandoc → typst + typst → PDF of `book`."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        chapters = sorted(book.glob("*.qmd"))
        markdown = "\n\n".join(
            _run_chapter(path.read_text(encoding="utf-8"), work, path.stem) for path in chapters
        )
        source = work / "book.md"
        source.write_text(markdown, encoding="utf-8")
        pandoc = pypandoc.get_pandoc_path()
        bib = str(book / "references.bib")
        common = [pandoc, str(source), "--citeproc", "--bibliography", bib, "--standalone"]
        subprocess.run([*common, "-o", str(work / "book.html")], check=True, capture_output=True)
        subprocess.run(
            [*common, "-t", "typst", "-o", str(work / "book.typ")], check=True, capture_output=True
        )
        typst.compile(str(work / "book.typ"), output=str(work / "book.pdf"), root="/")
    return round(time.perf_counter() - started, 2)
