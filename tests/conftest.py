"""Shared test helpers: checking a rendered HTML site the way a reader's clicks would."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest


class _Anchors(HTMLParser):
    """Ids, link targets and image sources of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))


def broken_links(site: Path) -> tuple[list[str], int]:
    """(problems, links checked): every internal `page#id` link and image must resolve."""
    pages: dict[str, _Anchors] = {}
    for page in site.glob("*.html"):
        parser = _Anchors()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.name] = parser
    problems: list[str] = []
    checked = 0
    for name, parsed in sorted(pages.items()):
        for href in parsed.hrefs:
            if href.startswith(("http:", "https:", "mailto:")) or "#" not in href:
                continue
            target, _, anchor = href.partition("#")
            target_page = target or name
            if not target_page.endswith(".html") or not anchor:
                continue
            checked += 1
            if target_page not in pages:
                problems.append(f"{name}: link to missing page {href}")
            elif anchor not in pages[target_page].ids:
                problems.append(f"{name}: link to missing id {href}")
        problems += [
            f"{name}: missing image {src}" for src in parsed.images if not (site / src).is_file()
        ]
    return problems, checked


@pytest.fixture()
def check_links() -> Callable[[Path], tuple[list[str], int]]:
    return broken_links
