"""Hand the project to a real `quarto render` (engine `quarto`, or `auto` with Quarto on PATH).

The same `_quarto.yml` and chapters render with Quarto itself; its output is collected into
the staging directory so the release step (manifest, checksums, atomic publish) is shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from quartowrap.authoring.paths import DATA_DIR_ENV
from quartowrap.errors import BuildError

if TYPE_CHECKING:
    from quartowrap.model import RenderOptions

QUARTO_FORMATS = {"html": "html", "pdf": "typst"}


def quarto_command(root: Path, fmt: str, output_dir: Path) -> list[str]:
    """The `quarto render` call for one format (typst gives the PDF without LaTeX)."""
    quarto = shutil.which("quarto") or "quarto"
    return [quarto, "render", str(root), "--to", fmt, "--output-dir", str(output_dir)]


def render_with_quarto(
    root: Path, staging: Path, options: RenderOptions, *, data_dir: Path | None, pdf_name: str
) -> None:
    """`quarto render` once per format; the PDF is renamed as the embedded engine names it."""
    env = dict(os.environ)
    if data_dir is not None:
        env[DATA_DIR_ENV] = str(data_dir)
    for target in options.to:
        out = staging / ("html" if target == "html" else "pdf-build")
        command = quarto_command(root, QUARTO_FORMATS[target], out)
        if not options.use_freeze:
            command.append("--execute")
        for name, value in sorted(options.params.items()):
            command += ["-P", f"{name}:{json.dumps(value)}"]  # JSON is YAML, as quarto reads it
        result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).splitlines()[-20:])
            raise BuildError(f"quarto render --to {target} failed", detail=tail)
        warnings = [line for line in result.stderr.splitlines() if "WARN" in line]
        if options.strict and warnings:
            # Quarto only warns about unresolved cross-references and citations.
            raise BuildError(
                f"quarto render --to {target}: warnings in strict mode", detail="\n".join(warnings)
            )
        if target == "pdf":
            pdfs = sorted(out.rglob("*.pdf"))
            if not pdfs:
                raise BuildError("quarto render --to typst produced no PDF")
            shutil.move(pdfs[0], staging / pdf_name)
            shutil.rmtree(out, ignore_errors=True)
