"""Figure SVGs in the HTML carry the theme's font faces they use, and only those."""

from __future__ import annotations

import base64
import re

from quartowrap.project.theme import builtin_theme
from quartowrap.writers.html.svg_fonts import embed_fonts, theme_faces

STYLESHEET = builtin_theme("kce").path("html/theme.css")
VENDOR = STYLESHEET.parent / "source-sans-3"
FAMILY = "font-family: 'Source Sans 3', 'DejaVu Sans', sans-serif"


def _svg(*texts: tuple[str, str]) -> bytes:
    body = "".join(f'<text style="{FAMILY}{extra}">{t}</text>' for t, extra in texts)
    return f'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>'.encode()


def _embedded(svg: bytes) -> list[bytes]:
    """The font files embedded in `svg`, decoded."""
    found = re.findall(rb"data:font/woff2;base64,([A-Za-z0-9+/=]+)", svg)
    return [base64.b64decode(data) for data in found]


def test_regular_latin_text_gets_the_regular_latin_face_only() -> None:
    out = embed_fonts(_svg(("Never – always", "")), theme_faces(STYLESHEET))
    assert _embedded(out) == [(VENDOR / "source-sans-3-latin-400-normal.woff2").read_bytes()]
    assert out.index(b"<style>") < out.index(b"<text")  # in <defs>, before the text


def test_bold_and_latin_ext_text_get_their_faces() -> None:
    out = embed_fonts(_svg(("Title", "; font-weight: 700"), ("Łódź", "")), theme_faces(STYLESHEET))
    files = {(VENDOR / name).read_bytes(): name for name in (p.name for p in VENDOR.iterdir())}
    assert sorted(files[data] for data in _embedded(out)) == [
        "source-sans-3-latin-400-normal.woff2",  # "ó" is latin
        "source-sans-3-latin-700-normal.woff2",
        "source-sans-3-latin-ext-400-normal.woff2",  # "Ł", "ź"
    ]


def test_svg_without_the_book_font_is_left_alone() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><text style="font-family: serif">x</text></svg>'
    assert embed_fonts(svg, theme_faces(STYLESHEET)) == svg
