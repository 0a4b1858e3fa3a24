"""Figures printed where their text can be read: across the page when the column is too narrow.

A figure's image is printed as wide as the text column.  An SVG drawn for a screen (a
matplotlib figure of 20 facets, say) then shrinks until its labels are a few points high.
Its text is text (`svg.fonttype: none`), so the smallest size it will print at can be read
from the file: font size × printed width / drawn width (the printed width also kept under
the template's tallest image, `typst.page.figure-max-height`).  A figure whose text would print
under the theme's smallest size in the column but not across the page is marked `wide`
(typst.lua floats it over both columns); one that is too small even there keeps its place
and gets a warning naming its chapter and line, so that the author draws it larger or in
several panels.  Figures with a width the author chose, panels of sub-figures and images
without text (PNG, outlined SVG text) are left as they are.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from quartowrap.model import AssembledBook, AssembledChapter, PrintGeometry
from quartowrap.project.confine import line_of

Node = dict[str, Any]

WIDE_CLASSES = {"wide", "column-page", "column-screen", "column-page-inset"}


def _spans(attr: list[Any]) -> bool:
    """Whether a Div or Figure goes across the page (as typst.lua's `is_wide` reads it)."""
    return bool(WIDE_CLASSES & set(attr[1])) or dict(attr[2]).get("column") == "page"


_LARGEST_SVG = 20 * 1024 * 1024  # bytes: a larger file is not parsed (and not judged)
_NUMBER = r"([0-9]*\.?[0-9]+)\s*(px|pt)?"
_STYLE_SIZE = re.compile(rf"font-size\s*:\s*{_NUMBER}")
_STYLE_FONT = re.compile(rf"(?:^|;)\s*font\s*:[^;]*?{_NUMBER}(?=[\s/])")
_SVG = "{http://www.w3.org/2000/svg}"


def _size(value: str | None) -> float | None:
    """A CSS font size in SVG user units (px; a pt is 4/3 px); None when not a plain size."""
    if not value:
        return None
    match = re.fullmatch(r"\s*" + _NUMBER + r"\s*", value)
    if not match:
        return None
    return float(match.group(1)) * (4 / 3 if match.group(2) == "pt" else 1.0)


def _own_size(element: ET.Element) -> float | None:
    style = element.get("style") or ""
    for pattern in (_STYLE_SIZE, _STYLE_FONT):
        found = pattern.search(style)
        if found:
            unit = 4 / 3 if found.group(2) == "pt" else 1.0
            return float(found.group(1)) * unit
    return _size(element.get("font-size"))


def smallest_text(svg: bytes) -> tuple[float, float, float] | None:
    """(smallest font size of any visible text, drawn width, drawn height), in the SVG's user
    units; None when the file has no text or cannot be read safely."""
    if len(svg) > _LARGEST_SVG or b"<!ENTITY" in svg:  # no entity expansion from any file
        return None
    try:
        root = ET.fromstring(svg)
    except ET.ParseError:
        return None
    view = (root.get("viewBox") or "").replace(",", " ").split()
    if len(view) == 4:
        width, height = float(view[2]), float(view[3])
    else:
        width, height = _size(root.get("width")) or 0.0, _size(root.get("height")) or 0.0
    if width <= 0 or height <= 0:
        return None
    sizes: list[float] = []

    def walk(element: ET.Element, inherited: float) -> None:
        size = _own_size(element) or inherited
        if element.tag in (f"{_SVG}text", "text") and "".join(element.itertext()).strip():
            sizes.append(size)
        for child in element:
            walk(child, size)

    walk(root, 16.0)  # the CSS default, as a browser would use
    return (min(sizes), width, height) if sizes else None


def _image(figure: Node) -> Node | None:
    """The figure's one image, if it is a single-image figure."""
    images: list[Node] = []
    for block in figure["c"][2]:
        if block.get("t") in {"Plain", "Para"}:
            images += [i for i in block["c"] if i.get("t") == "Image"]
        elif block.get("t") == "Figure":
            return None  # a panel of sub-figures: laid out by its own grid
    return images[0] if len(images) == 1 else None


def _printed_smallest(
    directory: Path, image: Node, width_pt: float, geometry: PrintGeometry
) -> float | None:
    """The smallest text size (pt) of `image` printed at most `width_pt` wide and at most
    the template's tallest image (`qw-image` keeps the aspect); None if not judged."""
    (_ident, _classes, kvs), _alt, (src, _title) = image["c"]
    if any(key in {"width", "height"} for key, _ in kvs) or not src.endswith(".svg"):
        return None
    path = (directory / src).resolve()
    if not path.is_relative_to(directory.resolve()) or not path.is_file():
        return None
    found = smallest_text(path.read_bytes())
    if found is None:
        return None
    size, drawn, tall = found
    printed = min(width_pt, geometry.figure_max_height * drawn / tall)
    return size * printed / drawn


def fit_figures(
    book: AssembledBook, directory: Path, geometry: PrintGeometry, warnings: list[str]
) -> AssembledBook:
    """`book` with each figure too small to read in the column marked `wide` (see above);
    images are read from `directory`, the typst build folder they were copied into."""
    smallest = geometry.table_min_size

    def fit(chapter: AssembledChapter, node: Any, wide: bool) -> Any:
        if isinstance(node, list):
            return [fit(chapter, item, wide) for item in node]
        if not isinstance(node, dict) or "t" not in node:
            return node
        if node["t"] == "Div":
            inside = wide or _spans(node["c"][0])
            return {**node, "c": [node["c"][0], fit(chapter, node["c"][1], inside)]}
        if node["t"] != "Figure":
            return node
        (ident, classes, kvs), caption, body = node["c"]
        image = _image(node)
        if image is None:
            return node
        spans = wide or _spans(node["c"][0])
        width = geometry.page_width if spans else geometry.column_width
        size = _printed_smallest(directory, image, width, geometry)
        if size is None or size >= smallest:
            return node
        across = _printed_smallest(directory, image, geometry.page_width, geometry) or size
        if not spans and across >= smallest:
            return {"t": "Figure", "c": [[ident, [*classes, "wide"], kvs], caption, body]}
        where = line_of(book.config.root, chapter.ref.source, ident) if ident else None
        name = f"figure @{ident}" if ident else "a figure"
        warnings.append(
            f"{where or chapter.ref.source.as_posix()}: {name} prints its smallest text at "
            f"{across:.1f} pt even across the page (under {smallest:g} pt): draw it larger, "
            "with fewer panels, or as several figures"
        )
        return node

    chapters = tuple(
        dataclasses.replace(
            chapter, ast={**chapter.ast, "blocks": fit(chapter, chapter.ast["blocks"], False)}
        )
        for chapter in book.chapters
    )
    return dataclasses.replace(book, chapters=chapters)
