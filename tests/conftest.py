"""Shared test helpers: checking a rendered HTML site the way a reader's clicks would, and
the size at which a PDF prints its text."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


class _Anchors(HTMLParser):
    """Ids, link targets and image sources of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.images: list[str] = []
        self.resources: list[str] = []  # every href/src: links, stylesheets, scripts, images

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.resources += [str(values[key]) for key in ("href", "src") if values.get(key)]
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


def links_leaving_site(site: Path) -> tuple[list[str], int]:
    """(problems, links checked): every relative link of every page — pages, downloads,
    the PDF, stylesheets, scripts, images — must name a file inside `site`, so that serving
    the site's folder alone works."""
    root = site.resolve()
    problems: list[str] = []
    checked = 0
    for page in sorted(site.rglob("*.html")):
        parser = _Anchors()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.resources:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # external, mailto:, data: or a same-page #anchor
            checked += 1
            target = (page.parent / unquote(parts.path)).resolve()
            name = page.relative_to(site).as_posix()
            if not target.is_relative_to(root):
                problems.append(f"{name}: {link} leaves the site")
            elif not target.is_file():
                problems.append(f"{name}: {link} does not exist")
    return problems, checked


@pytest.fixture()
def check_links() -> Callable[[Path], tuple[list[str], int]]:
    return broken_links


@pytest.fixture()
def check_self_contained() -> Callable[[Path], tuple[list[str], int]]:
    return links_leaving_site


def printed_size(char: dict[str, Any]) -> float:
    """The size (pt) a pdfplumber glyph prints at, rotated text included.

    pdfplumber's `size` is the glyph box's height on the page, which for text turned 90°
    (an axis label) is the glyph's advance, not its size. The box is the glyph's advance by
    its font size in text space, turned and scaled by the text matrix, so the font size on
    the page follows from the box side that runs along the text's vertical.
    """
    a, b = char["matrix"][0], char["matrix"][1]
    scale = math.hypot(a, b) or 1.0
    cos, sin = abs(a) / scale, abs(b) / scale
    advance = char.get("adv", 0.0) * scale
    if cos >= sin:
        return (char["height"] - sin * advance) / cos
    return (char["width"] - cos * advance) / sin


def small_glyphs(pdf: Path, limit: float) -> list[tuple[int, str, float]]:
    """(page, glyph, size) of every visible glyph of `pdf` that prints under `limit` pt."""
    import pdfplumber

    found: list[tuple[int, str, float]] = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            for char in page.chars:
                if char["text"].strip() and (size := printed_size(char)) < limit:
                    found.append((number, char["text"], round(size, 2)))
    return found


@pytest.fixture()
def glyphs_under() -> Callable[[Path, float], list[tuple[int, str, float]]]:
    return small_glyphs


def _tracked_copy(target: Path) -> Path:
    """The committed project as a fresh clone would have it (no _freeze, no _output)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        relative = Path(name.decode())
        if relative.parts[0] in {"tests", "bench"}:
            continue
        source = ROOT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=T"]
    subprocess.run([*git, "init", "-q"], cwd=target, check=True)
    subprocess.run([*git, "add", "."], cwd=target, check=True)
    subprocess.run([*git, "commit", "-qm", "copy"], cwd=target, check=True)
    return target


@pytest.fixture(scope="session")
def flagship_render(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One cold, strict render of the flagship's tracked files per test session, shared by
    the PDF checks (test_flagship.py) and the browser checks (test_flagship_html.py)."""
    from quartowrap.commands.render import RenderOptions, render_project
    from quartowrap.progress import Progress

    project = _tracked_copy(tmp_path_factory.mktemp("flagship"))
    return render_project(project, RenderOptions(strict=True), progress=Progress(quiet=True))
