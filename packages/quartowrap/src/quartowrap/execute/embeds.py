"""`{{< embed doc.qmd#label >}}`: the labelled cell of another document, executed.

Quarto renders an embedded `.qmd` to a notebook and shows the cell's outputs.  Here the
document is executed by the same engine as the chapters, with their freeze (its results
are kept under `_freeze/` like a chapter's, so an unchanged document runs nothing), and the
cell is woven as a chapter's cell is, without its code unless the shortcode says
`echo=true`.  `project/embed.py` leaves a placeholder line in the chapter's prose; this
module swaps it for the cell's markdown before the chapter is woven.  The placeholder's
path is confined to the project again here, so prose cannot name a file elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from quartowrap.errors import ConfigError
from quartowrap.execute import freeze
from quartowrap.execute.weave import cell_markdown
from quartowrap.model import BookConfig
from quartowrap.project.config import document_execute_options
from quartowrap.project.confine import confine
from quartowrap.project.embed import PLACEHOLDER_RE
from quartowrap.project.qmd import MarkdownBlock, QmdDocument, parse_qmd


def _requests(doc: QmdDocument) -> list[tuple[MarkdownBlock, dict[str, object]]]:
    found = []
    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            for m in PLACEHOLDER_RE.finditer(block.text):
                found.append((block, json.loads(m[1])))
    return found


def targets(config: BookConfig, docs: Sequence[QmdDocument]) -> list[Path]:
    """The documents the chapters embed cells of (project-relative, confined), in order."""
    out: list[Path] = []
    for doc in docs:
        for block, request in _requests(doc):
            source = Path(str(request["source"]))
            confine(config.root / source, (config.root,), "embedded document", block.location)
            if source not in out:
                out.append(source)
    return out


def resolve(config: BookConfig, doc: QmdDocument) -> QmdDocument:
    """`doc` with each embed placeholder replaced by the cell's woven markdown; the
    embedded documents have been executed (their results are in the freeze store)."""
    if not _requests(doc):
        return doc
    blocks = []
    for block in doc.blocks:
        if isinstance(block, MarkdownBlock) and PLACEHOLDER_RE.search(block.text):
            block = _fill(config, block)
        blocks.append(block)
    return dataclasses.replace(doc, blocks=tuple(blocks))


def _fill(config: BookConfig, block: MarkdownBlock) -> MarkdownBlock:
    """The block's placeholders replaced; inline expressions after them keep pointing at
    their own text (their offsets move with it)."""
    text, inline, lines = block.text, list(block.inline), list(block.lines)
    for m in reversed(list(PLACEHOLDER_RE.finditer(block.text))):
        request = json.loads(m[1])
        markdown = _cell(config, request, block)
        delta = len(markdown) - (m.end() - m.start())
        text = text[: m.start()] + markdown + text[m.end() :]
        inline = [
            dataclasses.replace(e, start=e.start + delta, end=e.end + delta)
            if e.start >= m.end()
            else e
            for e in inline
        ]
        if lines:
            lines += [lines[0]] * markdown.count("\n")
    return dataclasses.replace(block, text=text, inline=tuple(inline), lines=tuple(lines))


def _cell(config: BookConfig, request: dict[str, object], block: MarkdownBlock) -> str:
    root = config.root
    source = Path(str(request["source"]))
    label = str(request["label"])
    confine(root / source, (root,), "embedded document", block.location)
    doc = parse_qmd(source, root)
    cell = next((c for c in doc.cells if c.label == label), None)
    if cell is None:
        raise ConfigError(f"embed: no cell labelled '{label}' in {source}", block.location)
    frozen = freeze.load(root, source)
    raw = frozen.outputs if frozen is not None else {}
    outputs = raw.get("cells", {}).get(str(cell.index), {}).get("outputs", [])
    options = document_execute_options(config, source, doc.front_matter)
    chunk = cell_markdown(
        cell, options, outputs, freeze.figure_dir(root, source), echo=bool(request.get("echo"))
    )
    notebook = json.dumps(source.as_posix())
    return f"\n:::::: {{.quarto-embed-nb-cell notebook={notebook}}}\n\n{chunk}\n\n::::::\n"
