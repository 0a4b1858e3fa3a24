"""Quarto's `{{< embed notebook.ipynb#label >}}`: a notebook cell's stored outputs in prose.

Quarto shows the outputs of the cell whose label (`#| label: x`) or id is `x`, as that
notebook rendered them.  The notebook is not executed here: the outputs saved in the file
are shown (text as code output, images as inline data, a `fig-` label with its `fig-cap`
as a numbered figure).  The notebook must lie inside the project (`confine.py`); a missing
notebook or cell is an error naming the shortcode's file and line.  Notebook outputs are
data: HTML and markdown outputs are shown through their plain-text form, never as markup.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation
from quartowrap.project.confine import confine

_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
_IMAGES = ("image/svg+xml", "image/png", "image/jpeg")


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _options(cell: dict[str, Any]) -> dict[str, str]:
    """The cell's `#|` options (the leading comment lines of its source)."""
    found: dict[str, str] = {}
    for line in _text(cell.get("source")).splitlines():
        match = _OPTION.match(line)
        if not match:
            break
        found[match[1]] = match[2].strip("\"'")
    return found


def _fence(text: str, kind: str) -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = text.rstrip("\n").split("\n")
    return [f":::: {{.cell-output .{kind}}}", "", ticks, *body, ticks, "", "::::", ""]


def _image(data: dict[str, Any], label: str, options: dict[str, str]) -> list[str]:
    import base64

    mime = next(m for m in _IMAGES if m in data)
    payload = _text(data[mime])
    if mime == "image/svg+xml":
        payload = base64.b64encode(payload.encode("utf-8")).decode("ascii")
    else:
        payload = payload.replace("\n", "")
    caption = options.get("fig-cap", "").replace("<", "\\<")
    attrs = []
    if label.startswith("fig-"):
        attrs.append(f"#{label}")
    alt = options.get("fig-alt")
    if alt:
        attrs.append('fig-alt="' + alt.replace('"', '\\"') + '"')
    suffix = "{" + " ".join(attrs) + "}" if attrs else ""
    return [f"![{caption}](data:{mime};base64,{payload}){suffix}", ""]


def embed_lines(target: str, root: Path, document: Path, at: SourceLocation) -> list[str]:
    """The markdown that stands for `{{< embed target >}}` in `document` (relative to
    `root`): the labelled cell's outputs in Quarto's `div.cell` structure."""
    path_text, _, label = target.partition("#")
    if not path_text.endswith(".ipynb") or not label:
        raise ConfigError(
            f"embed: give a notebook and a cell label, as notebook.ipynb#label (got {target!r})",
            at,
        )
    notebook = confine((root / document).parent / path_text, (root,), "embedded notebook", at)
    if not notebook.is_file():
        raise ConfigError(f"embed: notebook not found: {path_text}", at)
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise ConfigError(f"embed: {path_text} is not a notebook ({exc})", at) from None
    cell = next(
        (
            c
            for c in cells
            if c.get("cell_type") == "code"
            and (_options(c).get("label") == label or c.get("id") == label)
        ),
        None,
    )
    if cell is None:
        raise ConfigError(f"embed: no cell labelled '{label}' in {path_text}", at)
    options = _options(cell)
    lines = [f"::::: {{.cell .quarto-embed-nb-cell notebook={json.dumps(path_text)}}}", ""]
    figure_done = False
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            name = "cell-output-stderr" if out.get("name") == "stderr" else "cell-output-stdout"
            lines += _fence(_text(out.get("text")), name)
        elif kind == "error":
            lines += _fence(f"{out.get('ename')}: {out.get('evalue')}", "cell-output-error")
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            if any(m in data for m in _IMAGES):
                shown = _image(data, "" if figure_done else label, options)
                figure_done = figure_done or label.startswith("fig-")
                lines += [":::: {.cell-output .cell-output-display}", "", *shown, "::::", ""]
            elif "text/plain" in data:
                lines += _fence(_text(data["text/plain"]), "cell-output-display")
    return [*lines, ":::::"]
