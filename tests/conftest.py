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


def _marks(char: dict[str, Any]) -> bool:
    """Whether a glyph is punctuation (kerned close to its neighbours on purpose)."""
    import unicodedata

    return unicodedata.category(char["text"][:1] or " ")[0] in {"P", "Z"}


def overlapping_glyphs(pdf: Path, share: float = 0.4) -> list[tuple[int, str]]:
    """(page, "ab") for every pair of glyphs on one line that overlap by more than `share`
    of the narrower one: text printed over other text (punctuation left out)."""
    import pdfplumber

    found: list[tuple[int, str]] = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            lines: dict[float, list[dict[str, Any]]] = {}
            for char in page.chars:
                if char["text"].strip() and not _marks(char):
                    lines.setdefault(round(char["bottom"], 1), []).append(char)
            for row in lines.values():
                row.sort(key=lambda c: c["x0"])
                for i, a in enumerate(row):
                    for b in row[i + 1 :]:
                        if b["x0"] >= a["x1"]:
                            break
                        narrow = min(a["x1"] - a["x0"], b["x1"] - b["x0"])
                        if narrow > 0 and min(a["x1"], b["x1"]) - b["x0"] > share * narrow:
                            found.append((number, a["text"] + b["text"]))
    return found


def continued_parts(pdf: Path) -> list[tuple[int, str, int]]:
    """(page, "Table N", body rows) of every part of a table under "Table N (continued)": the
    rows are told by the rules under each row, anywhere across the table's width."""
    import pdfplumber

    found: list[tuple[int, str, int]] = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            words = page.extract_words()
            rules = [
                r for r in page.lines if abs(r["top"] - r["bottom"]) < 1.5 and r["x1"] - r["x0"] > 8
            ]
            starts = [  # "Table" of every caption and every "(continued)" line
                (w, words[k + 1]["text"], words[k + 2]["text"])
                for k, w in enumerate(words[:-2])
                if w["text"] == "Table" and words[k + 1]["text"].isdigit()
            ]
            for word, label, after in starts:
                if after != "(continued)":
                    continue
                x0 = word["x0"]
                right = max((r["x1"] for r in rules if abs(r["x0"] - x0) < 3), default=x0)
                below = [w["top"] for w, _l, _a in starts if abs(w["x0"] - x0) < 3]
                stop = min([t for t in below if t > word["top"] + 1], default=page.height)
                tops = {
                    round(r["top"])
                    for r in rules
                    if x0 - 3 <= r["x0"] and r["x1"] <= right + 3 and word["top"] < r["top"] < stop
                }
                found.append((number, f"Table {label}", max(0, len(tops) - 2)))
    return found


def glyphs_off_the_page(pdf: Path, edge: float = 12.0) -> list[tuple[int, str]]:
    """(page, glyph) of every visible glyph printed within `edge` pt of a page's edge or
    beyond it: a float that did not fit its page and ran off it (the cover, which bleeds on
    purpose, left out)."""
    import pdfplumber

    found: list[tuple[int, str]] = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages[1:], start=2):
            for char in page.chars:
                if char["text"].strip() and (
                    char["top"] < edge
                    or char["bottom"] > page.height - edge
                    or char["x0"] < edge
                    or char["x1"] > page.width - edge
                ):
                    found.append((number, char["text"]))
    return found


@pytest.fixture()
def pdf_checks() -> dict[str, Callable[..., Any]]:
    return {
        "overlaps": overlapping_glyphs,
        "continued": continued_parts,
        "underfilled": underfilled_pages,
        "off_page": glyphs_off_the_page,
    }


def _covered(spans: list[tuple[float, float]]) -> float:
    total, start, end = 0.0, None, 0.0
    for a, b in sorted(spans):
        if start is None or a > end:
            total += (end - start) if start is not None else 0.0
            start, end = a, b
        else:
            end = max(end, b)
    return total + ((end - start) if start is not None else 0.0)


def underfilled_pages(pdf: Path, limit: float = 0.4) -> list[tuple[str, float]]:
    """(page label, share filled) of every body page (arabic page label) less than `limit`
    filled that does not end a chapter (the next page opens one with a title of 18 pt or
    more). Filled: the height of the text area, column by column, that text, rules and
    figures cover (running header and footer left out)."""
    import pdfplumber
    from pypdf import PdfReader

    labels = PdfReader(pdf).page_labels
    found: list[tuple[str, float]] = []
    with pdfplumber.open(pdf) as document:
        pages = document.pages
        opens = [
            any(c["size"] >= 18 and c["top"] < page.height / 4 for c in page.chars)
            for page in pages
        ]
        for k, page in enumerate(pages[:-1]):
            if not labels[k].isdigit() or opens[k + 1]:
                continue
            top, bottom = page.height * 0.11, page.height * 0.92
            mid = page.width / 2
            columns: list[list[tuple[float, float]]] = [[], []]
            for kind in ("chars", "rects", "lines", "curves", "images"):
                for obj in getattr(page, kind):
                    if obj["top"] < top or obj["bottom"] > bottom:
                        continue
                    span = (obj["top"] - 3, obj["bottom"] + 3)
                    if obj["x1"] - obj["x0"] > mid * 0.9:
                        columns[0].append(span)
                        columns[1].append(span)
                    else:
                        columns[0 if obj["x0"] + obj["x1"] < page.width else 1].append(span)
            share = sum(min(1.0, _covered(c) / (bottom - top)) for c in columns) / 2
            if share < limit:
                found.append((labels[k], round(share, 2)))
    return found


def _tracked_copy(target: Path) -> Path:
    """The committed project as a fresh clone would have it (no _freeze, no _output)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        relative = Path(name.decode())
        if relative.parts[0] in {"tests", "bench", "_freeze"}:  # executed here, cold
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


MINI_BOOK = ROOT / "tests" / "fixtures" / "mini-book"


def wide_table_markdown(caption: str) -> str:
    """A pipe table no text column can hold: 12 columns with long labels, a long stub."""
    labels = [f"Share of respondents answering option {k} (%)" for k in range(1, 12)]
    rows = [
        f"| {k}. A statement about coordinated care number {k} | "
        + " | ".join(f"{(k * 7 + j * 3) % 100}.{j}" for j in range(len(labels)))
        + " |"
        for k in range(1, 9)
    ]
    header = ["| Item | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    return "\n".join([*header, *rows, "", f": {caption}", ""])


@pytest.fixture(scope="session")
def wide_table() -> Callable[[str], str]:
    return wide_table_markdown


def mini_book_with_chapter(target: Path, name: str, text: str) -> Path:
    """A committed copy of the mini fixture book with chapter `chapters/<name>` added last
    (before the references): the small book the end-to-end tests render."""
    shutil.copytree(MINI_BOOK, target, ignore=shutil.ignore_patterns("_output", "_freeze"))
    (target / "chapters" / name).write_text(text, encoding="utf-8")
    config = target / "_quarto.yml"
    listed = config.read_text(encoding="utf-8").replace(
        "    - chapters/03-discussion.qmd\n",
        f"    - chapters/03-discussion.qmd\n    - chapters/{name}\n",
    )
    config.write_text(listed, encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=T"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "fixture"]):
        subprocess.run([*git, *args], cwd=target, check=True, capture_output=True)
    return target


@pytest.fixture(scope="session")
def mini_book() -> Callable[[Path, str, str], Path]:
    return mini_book_with_chapter
