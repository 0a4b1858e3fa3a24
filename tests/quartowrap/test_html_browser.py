"""The HTML site in headless Chromium: sidebar navigation, offline search, no network.

Uses Debian's chromium through Python playwright (never `playwright install`, which
downloads browsers).  Skips with a visible reason when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from quartowrap.writers.html.site import write_html_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)",
    ),
]


@functools.cache
def _fixtures():
    """The hand-made book of test_html_site.py (loaded by path: tests are not importable)."""
    path = Path(__file__).with_name("test_html_site.py")
    spec = importlib.util.spec_from_file_location("_html_site_fixtures", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A release folder as release.py lays it out: html/ beside tables/ and figures/."""
    fx = _fixtures()
    base = tmp_path_factory.mktemp("browser")
    book = fx.make_book(base / "project")
    out = base / "release"
    write_html_site(
        book, out / "html", version="1.0.0", commit="c0ffee", front_matter=fx.make_front_matter()
    )
    (out / "tables").mkdir()
    for t in book.tables:
        (out / "tables" / f"{t.label}.csv").write_text(t.csv, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def server(release: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(release))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.requests = []  # type: ignore[attr-defined]
    p.errors = []  # type: ignore[attr-defined]
    p.on("request", lambda r: p.requests.append(r.url))
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    p.on("console", lambda m: p.errors.append(m.text) if m.type == "error" else None)
    p.on("response", lambda r: p.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield p
    context.close()


def _only_local(urls: list[str]) -> list[str]:
    """Requests that left 127.0.0.1 (file:, data: and about: stay on the machine)."""
    bad = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in {"file", "data", "about", "blob"}:
            continue
        if parts.hostname != "127.0.0.1":
            bad.append(url)
    return bad


def test_sidebar_navigates_and_search_finds_chapter_3(page, server):
    fx = _fixtures()
    page.goto(f"{server}/html/index.html")
    assert "Preface" in page.locator("main h1").first.inner_text()

    page.locator("#sidebar a[href='02-methods.html']").click()
    page.wait_for_url("**/02-methods.html")
    assert page.locator("main h1").first.inner_text().startswith("2")
    assert "Methods" in page.locator("main h1").first.inner_text()
    # the current chapter's sections are listed and lead to their headings
    page.locator("#sidebar a[href='#sec-data']").click()
    page.wait_for_url("**/02-methods.html#sec-data")

    page.locator("#sidebar a[href='03-surveys.html']").click()
    page.wait_for_url("**/03-surveys.html")
    page.locator(".page-nav-prev").click()
    page.wait_for_url("**/02-methods.html")

    page.locator("#search-input").fill(fx.UNIQUE_WORD)
    first = page.locator("#search-results a").first
    first.wait_for(state="visible", timeout=10_000)
    assert first.get_attribute("href") == "03-surveys.html#sec-maturity"
    assert fx.UNIQUE_WORD in page.locator("#search-results").inner_text()
    assert page.locator("#search-results a").count() == 1
    first.click()
    page.wait_for_url("**/03-surveys.html#sec-maturity")

    # the CSV link of a table leads to the release's tables/ folder
    page.goto(f"{server}/html/02-methods.html")
    with page.expect_response("**/tables/tbl-costs.csv") as resp:
        page.evaluate("fetch(document.querySelector('a.download').href)")
    assert resp.value.status == 200

    assert page.errors == []
    assert len(page.requests) > 10
    assert _only_local(page.requests) == []


def test_search_works_from_file_urls(page, release):
    fx = _fixtures()
    page.goto((release / "html" / "01-intro.html").as_uri())
    page.locator("#search-input").fill(fx.UNIQUE_WORD)
    first = page.locator("#search-results a").first
    first.wait_for(state="visible", timeout=10_000)
    first.click()
    page.wait_for_url("**/03-surveys.html#sec-maturity")
    assert page.errors == []
    assert _only_local(page.requests) == []


def test_figure_image_loads_and_escaped_text_is_shown(page, server):
    fx = _fixtures()
    page.goto(f"{server}/html/03-surveys.html")
    width = page.locator("figure img").evaluate("img => img.naturalWidth")
    assert width == 200
    page.goto(f"{server}/html/02-methods.html")
    assert fx.PAYLOAD in page.locator("table").first.inner_text()  # shown as text, not run
    assert page.evaluate("document.querySelectorAll('main script').length") == 0


def test_small_screen_drawer(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server}/html/01-intro.html")
        sidebar = page.locator("#sidebar")
        assert not sidebar.is_visible()
        page.locator(".nav-toggle").click()
        assert sidebar.is_visible()
        assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"
        page.locator("#sidebar a[href='03-surveys.html']").click()
        page.wait_for_url("**/03-surveys.html")
        assert not page.locator("#sidebar").is_visible()
    finally:
        context.close()


@pytest.fixture(scope="module")
def wide_site(tmp_path_factory, wide_table) -> Path:
    """The hand-made book with a deliberately wide table at the end of chapter 3."""
    import dataclasses

    fx = _fixtures()
    base = tmp_path_factory.mktemp("wide")
    book = fx.make_book(base / "project")
    caption = (
        "Twelve columns with long labels, one of them a stub that has to stay in view while "
        "the others scroll {#tbl-wide}"
    )
    extra = fx.to_ast(wide_table(caption))["blocks"]
    for block in extra:
        if block["t"] == "Table":
            block["c"][0][2] += [["number", "3"], ["xref-label", "Table 3"]]
    chapters = tuple(
        dataclasses.replace(c, ast={**c.ast, "blocks": [*c.ast["blocks"], *extra]})
        if c.ref.source.name == "03-surveys.qmd"
        else c
        for c in book.chapters
    )
    book = dataclasses.replace(book, chapters=chapters)
    out = base / "html"
    write_html_site(book, out, version="1.0.0", commit="c0ffee")
    return out


_WIDE_STATE = """() => {
  const float = document.getElementById('tbl-wide');
  const box = float.querySelector('.table-wrap > .table-scroll');
  const caption = float.querySelector(':scope > figure > figcaption');
  const column = document.querySelector('.page-body').getBoundingClientRect();
  const first = box.querySelector('tbody tr').children[0];
  const b = box.getBoundingClientRect(), c = caption.getBoundingClientRect();
  return {
    vw: document.documentElement.clientWidth, columnWidth: column.width,
    boxLeft: b.left, boxRight: b.right, boxWidth: b.width,
    hidden: box.scrollWidth - box.clientWidth, role: box.getAttribute('role'),
    tabindex: box.getAttribute('tabindex'), captionInBox: box.contains(caption),
    captionRight: c.right, captionOverflow: caption.scrollWidth - caption.clientWidth,
    name: document.getElementById(box.getAttribute('aria-labelledby')).textContent.trim(),
    caption: caption.textContent.trim(), firstSticky: getComputedStyle(first).position,
  };
}"""


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_a_twelve_column_table_grows_then_scrolls_with_its_caption_whole(
    browser, wide_site: Path, size: tuple[int, int]
) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    try:
        page.goto((wide_site / "03-surveys.html").as_uri())
        page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
        s = page.evaluate(_WIDE_STATE)
        assert s["caption"].startswith("Table 3 – Twelve columns")
        assert not s["captionInBox"] and s["captionOverflow"] <= 0
        assert s["captionRight"] <= s["vw"]  # the caption wraps inside the window, whole
        assert s["boxRight"] <= s["vw"] + 0.5  # the box stays in the window ...
        assert s["hidden"] > 0  # ... and the table scrolls inside it
        assert (s["role"], s["tabindex"], s["name"]) == ("region", "0", s["caption"])
        assert s["firstSticky"] == "sticky"
        if size[0] == 1366:  # first it took the free room beside the text column
            assert s["boxWidth"] > s["columnWidth"] + 100
        else:
            assert abs(s["boxWidth"] - s["columnWidth"]) < 1
    finally:
        context.close()


COLUMN_PAGE = """---
title: Page column
---

Some text in the text column.

::: {.column-page}
| a | b | c |
|---|---|---|
| 1 | 2 | 3 |

: A table given the page's width {#tbl-page}
:::

| a | b |
|---|---|
| 1 | 2 |

: A table in the text column {#tbl-text}
"""


def test_column_page_takes_the_pages_free_width(browser, tmp_path: Path) -> None:
    """Quarto's `.column-page` spans the page beside the text column (issue 10's leftover:
    it had no effect in HTML); a table in the text column keeps the column's width."""
    from quartowrap.cli import main

    (tmp_path / "doc.qmd").write_text(COLUMN_PAGE, encoding="utf-8")
    assert main(["render", str(tmp_path / "doc.qmd"), "--quiet", "--to", "html"]) == 0
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto((tmp_path / "doc.html").as_uri())
        widths = page.evaluate(
            """() => ({
              column: document.querySelector('.page-body').getBoundingClientRect().width,
              page: document.querySelector('.column-page').getBoundingClientRect().width,
              pageTable: document.querySelector('#tbl-page table').getBoundingClientRect().width,
              textTable: document.querySelector('#tbl-text table').getBoundingClientRect().width,
              vw: document.documentElement.clientWidth,
              right: document.querySelector('.column-page').getBoundingClientRect().right,
            })"""
        )
        assert widths["page"] > widths["column"] + 100
        assert widths["pageTable"] > widths["column"] + 100
        assert widths["textTable"] <= widths["column"] + 0.5
        assert widths["right"] <= widths["vw"]
    finally:
        context.close()
