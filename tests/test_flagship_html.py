"""The flagship's HTML in Chromium as a reader sees it, on a laptop and on a phone.

Tables fit their column or the free room beside it, a table still wider scrolls in its own
box (a named region that takes keyboard focus, with a sticky first column and a cue at the
edge where columns hide), captions sit outside that box and are never cut, and axe-core
finds nothing of serious or critical impact.  Each page is loaded once per window size.

Uses Debian's chromium through playwright and the axe-core that the `axe-playwright-python`
test dependency ships (no download); skips with a reason when either is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SIZES = {"1366x768": (1366, 768), "390x844": (390, 844)}
# rules axe-core reported on the flagship before tables and the banner were reworked
FORMER_FINDINGS = {"region", "scrollable-region-focusable", "empty-table-header"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (apt-get install chromium)"
    ),
]

# What a reader would check with a ruler, for every table shown on the page.
MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const column = document.querySelector('.page-body').getBoundingClientRect();
  const clipping = (el) => {  // an ancestor that would cut what overflows it
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== 'visible') return a.className || a.tagName;
    }
    return null;
  };
  return [...document.querySelectorAll('.page-body table')].filter(t => t.offsetParent).map(t => {
    const wrap = t.closest('.table-wrap');
    const float = t.closest('div.quarto-float');  // a numbered table: Quarto's float
    const box = t.closest('.table-scroll');
    const caption = (wrap && wrap.querySelector(':scope > .table-caption'))
      || (float && float.querySelector(':scope > figure > figcaption'));
    const r = t.getBoundingClientRect();
    const out = {
      id: (float && float.id) || (wrap && wrap.id) || t.id, vw,
      columnLeft: column.left, columnRight: column.right,
      tableRight: r.right, inCaption: !!t.querySelector('caption'),
      boxScrolls: !!box && getComputedStyle(box).overflowX === 'auto',
    };
    if (box) {
      const b = box.getBoundingClientRect();
      Object.assign(out, {
        boxLeft: b.left, boxRight: b.right, boxWidth: b.width,
        scrollWidth: box.scrollWidth, clientWidth: box.clientWidth,
        role: box.getAttribute('role'), tabindex: box.getAttribute('tabindex'),
        name: (box.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
          .map(id => document.getElementById(id).textContent).join(' ').trim()
          || box.getAttribute('aria-label') || '',
      });
    }
    if (caption) {
      const c = caption.getBoundingClientRect();
      Object.assign(out, {
        caption: caption.textContent.trim(), captionInBox: !!box && box.contains(caption),
        captionLeft: c.left, captionRight: c.right, captionClipped: clipping(caption),
        captionOverflow: caption.scrollWidth - caption.clientWidth,
      });
    }
    return out;
  });
}"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    pw = sync_api.sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture(scope="module")
def axe() -> Any:
    module = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python not installed"
    )
    return module.Axe()


@pytest.fixture(scope="module")
def site(flagship_render: Any) -> Path:
    return flagship_render.release_dir / "html"


def _pages(site: Path) -> list[Path]:
    """Chapters and the appendix pages with tables (the cover and lists have none)."""
    return [p for p in sorted(site.glob("*.html")) if "table-wrap" in p.read_text("utf-8")]


@pytest.fixture(scope="module", params=list(SIZES))
def seen(request, browser, axe, site: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Each page with tables at one window size: its tables measured and axe-core's findings."""
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    tables: dict[str, list[dict[str, Any]]] = {}
    violations: list[tuple[str, str, str, int]] = []
    try:
        for path in _pages(site):
            page.goto(path.as_uri())
            page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
            tables[path.name] = page.evaluate(MEASURE)
            for v in axe.run(page).response["violations"]:
                violations.append((path.name, v["id"], v["impact"], len(v["nodes"])))
    finally:
        context.close()
    return {"size": request.param, "tables": tables, "violations": violations}


def _all(seen: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for tables in seen["tables"].values() for t in tables]


def test_every_page_with_tables_was_measured(seen: dict[str, Any]) -> None:
    assert len(seen["tables"]) >= 7  # seven chapters at least
    assert len(_all(seen)) > 60


def test_no_table_is_wider_than_its_box_unless_the_box_scrolls(seen: dict[str, Any]) -> None:
    bad = []
    for t in _all(seen):
        if not t["boxScrolls"]:
            bad.append(f"{t['id']}: not in a scroll box")
        elif t["boxRight"] > t["vw"] + 0.5:
            bad.append(f"{t['id']}: its box ends at {t['boxRight']:.0f} px, past the window")
        elif t["scrollWidth"] > t["clientWidth"] + 1 and t["boxLeft"] > t["columnLeft"] + 0.5:
            bad.append(f"{t['id']}: scrolls in a box that does not start at the column")
    assert bad == [], f"{seen['size']}: " + "; ".join(bad)


def test_at_1366_every_table_fits_its_column_or_the_free_room(seen: dict[str, Any]) -> None:
    if seen["size"] != "1366x768":
        pytest.skip("a phone has no free room beside the column")
    scrolling = [t["id"] for t in _all(seen) if t["scrollWidth"] > t["clientWidth"] + 1]
    assert scrolling == []
    # the five PACIC item tables and the payment-models table are wider than the text
    # column: they take the room to its right instead of scrolling
    grown = {t["id"] for t in _all(seen) if t["boxWidth"] > t["columnRight"] - t["columnLeft"] + 1}
    assert {"tbl-pacic-activation", "tbl-pacic-followup", "tbl-apm"} <= grown
    narrow = [t for t in _all(seen) if t["id"] not in grown]
    assert narrow and all(t["tableRight"] <= t["columnRight"] + 1 for t in narrow)


def test_captions_are_outside_the_scroll_box_and_never_cut(seen: dict[str, Any]) -> None:
    bad = []
    captioned = [t for t in _all(seen) if "caption" in t]
    for t in captioned:
        if t["inCaption"] or t["captionInBox"]:
            bad.append(f"{t['id']}: caption inside the scrolling table")
        if t["captionClipped"] or t["captionOverflow"] > 0 or t["captionRight"] > t["vw"] + 0.5:
            bad.append(f"{t['id']}: caption cut ({t['captionRight']:.0f} px of {t['vw']})")
    assert bad == [], f"{seen['size']}: " + "; ".join(bad)
    assert len(captioned) > 60


def test_scroll_boxes_are_named_regions_in_the_tab_order(seen: dict[str, Any]) -> None:
    bad = []
    scrolling = [t for t in _all(seen) if t["scrollWidth"] > t["clientWidth"] + 1]
    for t in scrolling:
        if t["role"] != "region" or t["tabindex"] != "0":
            bad.append(f"{t['id']}: role={t['role']} tabindex={t['tabindex']}")
        if "caption" in t and t["name"] != t["caption"]:
            bad.append(f"{t['id']}: named {t['name']!r}")
        elif not t["name"]:
            bad.append(f"{t['id']}: no name")
    # a box with nothing to scroll is no tab stop and no landmark
    still = [t["id"] for t in _all(seen) if t not in scrolling and t["tabindex"] is not None]
    assert bad == [] and still == [], f"{seen['size']}: {bad} {still}"
    if seen["size"] == "390x844":
        assert len(scrolling) > 10  # ten-column tables do not fit a phone


def test_axe_core_finds_nothing_serious_or_critical(seen: dict[str, Any]) -> None:
    serious = [v for v in seen["violations"] if v[2] in {"serious", "critical"}]
    former = [v for v in seen["violations"] if v[1] in FORMER_FINDINGS]
    assert serious == [] and former == [], f"{seen['size']}: {serious + former}"


def test_phone_scroll_keeps_the_first_column_and_shows_the_cue(browser, site: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto((site / "03-surveys.html").as_uri() + "#tbl-pacic-followup")
        page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
        box = page.locator("#tbl-pacic-followup .table-scroll")
        state = r"""(box) => {
          const row = box.querySelector('tbody tr');
          const [first, second] = row.children;
          const frame = () => new Promise(requestAnimationFrame);
          return frame().then(frame).then(() => ({
            scroll: box.scrollLeft, max: box.scrollWidth - box.clientWidth,
            boxLeft: box.getBoundingClientRect().left,
            firstLeft: first.getBoundingClientRect().left,
            secondLeft: second.getBoundingClientRect().left,
            // a shadow drawn: not "none", nor the transparent start of its animation
            shadow: !/^(none|rgba\(0, 0, 0, 0\) 0px 0px 0px 0px)$/.test(
              getComputedStyle(first).boxShadow),
            fade: parseFloat(getComputedStyle(box, '::after').opacity),
          }));
        }"""
        start = box.evaluate(state)
        assert start["max"] > 200
        assert start["fade"] > 0.9 and not start["shadow"]  # more to the right
        box.focus()  # the box takes focus and the arrow keys scroll it
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        moved = box.evaluate(state)
        assert moved["scroll"] > 0
        box.evaluate("(b) => { b.scrollLeft = 200; }")
        middle = box.evaluate(state)
        assert abs(middle["firstLeft"] - middle["boxLeft"]) < 1  # the stub stays put
        assert middle["secondLeft"] < start["secondLeft"] - 150  # the rest scrolls under it
        assert middle["shadow"] and middle["fade"] > 0.9
        box.evaluate("(b) => { b.scrollLeft = b.scrollWidth; }")
        end = box.evaluate(state)
        assert end["fade"] < 0.1  # nothing more to the right: no cue
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_link_to_a_table_shows_its_caption_after_tables_are_fitted(
    browser, site: Path, size: str
) -> None:  # type: ignore[no-untyped-def]
    """Fitting the tables above changes their height: the linked table stays in view."""
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto((site / "05-provider-payment.html").as_uri() + "#tbl-apm")
        page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
        page.wait_for_timeout(100)
        top = page.evaluate("document.querySelector('#tbl-apm figcaption').getBoundingClientRect()")
        header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect()")
        assert header["bottom"] <= top["top"] < height / 3, (size, top, header)
    finally:
        context.close()
