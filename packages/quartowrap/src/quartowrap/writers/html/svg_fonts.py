"""The book's typeface inside each figure SVG of the HTML site.

A page shows a figure as `<img src="….svg">`, and an SVG loaded as an image cannot use the
page's fonts, so its text (real text, in the PDF's typeface) would fall back to a system
font. Each figure SVG therefore carries the theme's own WOFF2 files as data-URI
`@font-face` rules: only the faces (style and weight) its text uses, and only the subsets
(latin, latin-ext) that hold its characters, read from the theme's stylesheet so the HTML
and its figures never disagree. A figure with regular latin text grows by about 21 kB.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_FACE = re.compile(r"@font-face\s*\{(?P<body>[^}]*)\}", re.S)
_TEXT = re.compile(r"<text\b(?P<attrs>[^>]*)>(?P<body>.*?)</text>", re.S)


@dataclass(frozen=True)
class FontFace:
    """One `@font-face` of the theme: family, style, weight, file and the code points."""

    family: str
    style: str
    weight: str
    file: Path
    ranges: tuple[tuple[int, int], ...]

    def covers(self, chars: set[str]) -> bool:
        return any(lo <= ord(c) <= hi for c in chars for lo, hi in self.ranges)

    def rule(self) -> str:
        data = base64.b64encode(self.file.read_bytes()).decode("ascii")
        spans = ", ".join(f"U+{lo:04X}-{hi:04X}" for lo, hi in self.ranges)
        return (
            f'@font-face {{ font-family: "{self.family}"; font-style: {self.style}; '
            f"font-weight: {self.weight}; "
            f'src: url("data:font/woff2;base64,{data}") format("woff2"); '
            f"unicode-range: {spans}; }}"
        )


def _declaration(body: str, name: str) -> str:
    match = re.search(rf"{name}\s*:\s*([^;]+)", body)
    return match.group(1).strip().strip("\"'") if match else ""


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    spans = []
    for part in text.split(","):
        lo, _, hi = part.strip().removeprefix("U+").partition("-")
        if lo:
            spans.append((int(lo, 16), int(hi or lo, 16)))
    return tuple(spans)


@lru_cache(maxsize=4)
def theme_faces(stylesheet: Path) -> tuple[FontFace, ...]:
    """The `@font-face` rules of a theme stylesheet whose files exist (url relative to it)."""
    faces = []
    for match in _FACE.finditer(stylesheet.read_text(encoding="utf-8")):
        body = match.group("body")
        url = re.search(r"url\(\s*[\"']?([^\"')]+)", body)
        if url is None:
            continue
        file = (stylesheet.parent / url.group(1)).resolve()
        if not file.is_file():
            continue
        faces.append(
            FontFace(
                family=_declaration(body, "font-family"),
                style=_declaration(body, "font-style") or "normal",
                weight=_declaration(body, "font-weight") or "400",
                file=file,
                ranges=_ranges(_declaration(body, "unicode-range") or "0-10FFFF"),
            )
        )
    return tuple(faces)


_WEIGHTS = {"normal": "400", "bold": "700"}


def embed_fonts(svg: bytes, faces: tuple[FontFace, ...]) -> bytes:
    """`svg` with the faces its text uses embedded (unchanged when it uses none of them)."""
    source = svg.decode("utf-8")
    used: dict[tuple[str, str, str], set[str]] = {}
    for match in _TEXT.finditer(source):
        attrs = match.group("attrs")
        chars = set(html.unescape(re.sub(r"<[^>]+>", "", match.group("body"))))
        for face in faces:
            if f"'{face.family}'" not in attrs and f'"{face.family}"' not in attrs:
                continue
            style = _declaration(attrs, "font-style") or "normal"
            weight = _declaration(attrs, "font-weight") or "400"
            key = (face.family, style, _WEIGHTS.get(weight, weight))
            used.setdefault(key, set()).update(chars)
            break
    rules = [
        face.rule()
        for face in faces
        if (face.family, face.style, face.weight) in used
        and face.covers(used[(face.family, face.style, face.weight)])
    ]
    if not rules:
        return svg
    opening = re.search(r"<svg\b[^>]*>", source)
    if opening is None:
        return svg
    style = "<defs><style>" + "\n".join(rules) + "</style></defs>"
    return (source[: opening.end()] + style + source[opening.end() :]).encode("utf-8")
