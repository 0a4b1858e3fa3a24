"""Draw ```` ```{mermaid} ```` and ```` ```{dot} ```` cells as SVG figures, offline.

Quarto draws Mermaid in the browser (mermaid.js) and Graphviz with a bundled wasm build; we
draw both while parsing, with tools that install from PyPI and need neither Node, a browser
nor the network: `mermaidx` (Mermaid's own JavaScript run in an embedded QuickJS; MIT) and
`graphviz-pure` (a Rust port of Graphviz 16 with the `dot` command line; EPL-2.0). Both give
the same bytes for the same source, and text stays SVG text (Mermaid's HTML labels, which
typst cannot draw, are switched off). An SVG is cached by the hash of its source and tool, so
an unchanged diagram is drawn once. Without the tools (`pip install "quartowrap[diagrams]"`)
the cell's source is shown under a note, as before.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation

CACHE_DIR = Path(".quartowrap") / "diagrams"
MERMAID_CONFIG = {"htmlLabels": False, "flowchart": {"htmlLabels": False}}
_TIMEOUT = 120  # seconds for one diagram


def dot_command() -> str | None:
    """`graphviz-pure` from this environment, else a `dot` on PATH (Graphviz itself)."""
    here = Path(sys.executable).parent / "graphviz-pure"
    if here.is_file():
        return str(here)
    return shutil.which("graphviz-pure") or shutil.which("dot")


def available(lang: str) -> bool:
    """Whether this environment can draw `lang` diagrams."""
    if lang == "dot":
        return dot_command() is not None
    try:
        import mermaidx  # noqa: F401
    except ImportError:
        return False
    return True


def tool_version(lang: str) -> str:
    """Part of the cache key: a new tool version draws again."""
    if lang == "dot":
        from importlib import metadata

        try:
            return f"graphviz-pure {metadata.version('graphviz-pure')}"
        except metadata.PackageNotFoundError:
            return f"dot {dot_command()}"
    from importlib import metadata

    return f"mermaidx {metadata.version('mermaidx')}"


def draw(lang: str, source: str, root: Path, where: SourceLocation) -> Path:
    """The SVG of one diagram (cached under `<root>/.quartowrap/diagrams/`)."""
    key = hashlib.sha256(f"{lang}\0{tool_version(lang)}\0{source}".encode()).hexdigest()[:24]
    target = root / CACHE_DIR / f"{lang}-{key}.svg"
    if target.is_file() and target.stat().st_size > 0:
        return target
    svg = _draw_dot(source, where) if lang == "dot" else _draw_mermaid(source, where)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(svg, encoding="utf-8")
    partial.replace(target)
    return target


def _draw_dot(source: str, where: SourceLocation) -> str:
    command = dot_command()
    if command is None:
        raise ConfigError("no Graphviz to draw this diagram (install graphviz-pure)", where)
    try:
        result = subprocess.run(
            [command, "-Tsvg"],
            input=source,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(f"dot diagram took longer than {_TIMEOUT} s", where) from None
    if result.returncode != 0 or "<svg" not in result.stdout:
        message = (result.stderr or "no SVG produced").strip().splitlines()[-1]
        raise ConfigError(f"dot diagram: {message}", where)
    return result.stdout[result.stdout.index("<svg") :]  # drop the XML prolog and doctype


def _draw_mermaid(source: str, where: SourceLocation) -> str:
    import mermaidx

    try:
        svg = mermaidx.render(source, config=MERMAID_CONFIG).svg()
    except Exception as error:  # the JS engine reports syntax errors as exceptions
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise ConfigError(f"mermaid diagram: {message}", where) from None
    text = svg if isinstance(svg, str) else bytes(svg).decode("utf-8")
    if "<svg" not in text:
        raise ConfigError("mermaid diagram: no SVG produced", where)
    return text
