"""Quarto's `{{< embed notebook.ipynb#label >}}` and `{{< embed doc.qmd#label >}}`.

Quarto shows the outputs of the cell whose label (`#| label: x`) or id is `x`, as that
notebook rendered them.  A notebook is not executed here: the outputs saved in the file
are shown (text as code output, images as inline data, a `fig-` label with its `fig-cap`
as a numbered figure).  A `.qmd` is executed as Quarto does (it renders it to a notebook
first), by the execute stage with the chapters' engine and freeze: here it only becomes a
placeholder line that `execute/embeds.py` replaces with the cell's woven outputs.  The
file must lie inside the project (`confine.py`); a missing file or cell is an error naming
the shortcode's file and line.  Notebook outputs are data: HTML and markdown outputs are
shown through their plain-text form, never as markup.
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


# The line a `.qmd` embed leaves for the execute stage (`execute/embeds.py`).
PLACEHOLDER = "<!-- quartowrap-embed {} -->"
PLACEHOLDER_RE = re.compile(r"^<!-- quartowrap-embed (\{.*\}) -->$", re.M)
_QMD_LABEL = re.compile(r"^#\|\s*label\s*:\s*['\"]?([^'\"\s]+)['\"]?\s*$")


def _qmd_placeholder(
    path_text: str, label: str, root: Path, document: Path, at: SourceLocation, echo: bool
) -> list[str]:
    """A `.qmd` target checked now (inside the project, exists, holds a cell labelled
    `label`) and left as a placeholder for the execute stage, which runs it."""
    target = confine((root / document).parent / path_text, (root,), "embedded document", at)
    if not target.is_file():
        raise ConfigError(f"embed: document not found: {path_text}", at)
    labels = []
    in_cell = False
    for line in target.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*```+\s*\{python\b", line):
            in_cell = True
        elif in_cell and (m := _QMD_LABEL.match(line.strip())):
            labels.append(m[1])
        elif in_cell and not line.strip().startswith("#|"):
            in_cell = False
    if label not in labels:
        raise ConfigError(f"embed: no cell labelled '{label}' in {path_text}", at)
    relative = target.relative_to(root.resolve()).as_posix()
    payload = json.dumps({"source": relative, "label": label, "echo": echo}, sort_keys=True)
    return ["", PLACEHOLDER.format(payload), ""]


def embed_lines(
    target: str, root: Path, document: Path, at: SourceLocation, echo: bool = False
) -> list[str]:
    """The markdown that stands for `{{< embed target >}}` in `document` (relative to
    `root`): the labelled cell's outputs in Quarto's `div.cell` structure (for a `.qmd`,
    a placeholder the execute stage fills; `echo`: show the cell's code too)."""
    path_text, _, label = target.partition("#")
    if path_text.endswith(".qmd") and label:
        return _qmd_placeholder(path_text, label, root, document, at, echo)
    if not path_text.endswith(".ipynb") or not label:
        raise ConfigError(
            "embed: give a notebook or document and a cell label, as notebook.ipynb#label "
            f"or document.qmd#label (got {target!r})",
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
