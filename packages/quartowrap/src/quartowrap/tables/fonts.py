"""Text widths in the fonts a table prints in, from the font files' advance widths.

A column's width has to be decided before typst sets the table, so it is measured here the
way the PDF will print it: the advance width of every glyph (fontTools reads the theme's
font files once; kerning is left out, it changes a cell by well under a point). A theme
without font files (typst's own fonts) is measured with an average advance instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

AVERAGE_EM = 0.46  # average advance of running text in a sans font, in em (the fallback)


@lru_cache(maxsize=16)
def _advances(path: str) -> tuple[dict[int, float], float]:
    """(advance in em by code point, the fallback advance) of one font file."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    per_em = float(font["head"].unitsPerEm)
    metrics = font["hmtx"].metrics
    cmap = font.getBestCmap() or {}
    advances = {code: metrics[glyph][0] / per_em for code, glyph in cmap.items()}
    fallback = advances.get(ord("n"), AVERAGE_EM)
    font.close()
    return advances, fallback


@dataclass(frozen=True)
class TableFont:
    """The faces and size a table's text prints in (`regular`/`bold`: font files or None)."""

    size: float = 8.5
    regular: Path | None = None
    bold: Path | None = None

    def width(self, text: str, *, bold: bool = False, size: float | None = None) -> float:
        """Points `text` takes on one line at `size` (default: the table's size)."""
        path = (self.bold if bold else None) or self.regular
        pt = self.size if size is None else size
        if path is None:
            return len(text) * AVERAGE_EM * pt * (1.07 if bold else 1.0)
        advances, fallback = _advances(str(path))
        space = advances.get(32, fallback)
        em = sum(space if ch == "\u00a0" else advances.get(ord(ch), fallback) for ch in text)
        return em * pt

    def scaled(self, size: float) -> TableFont:
        """The same faces at another size."""
        return TableFont(size, self.regular, self.bold)


# The measure used when a writer does not say which font it prints in (the HTML side, tests):
# the average advance of a sans font at 8.5 pt, as the widths were estimated before.
ESTIMATE = TableFont()
