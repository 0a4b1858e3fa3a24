"""preview: serves the site, re-renders an edited chapter (its page alone first, then the
whole book), pushes the reload, survives a broken cell."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from quartowrap.commands.preview import EVENTS_PATH, STATUS_PATH, Previewer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mini-book"
pytestmark = pytest.mark.slow


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def _wait_for(predicate, seconds: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[tuple[Previewer, str, Path]]:
    project = tmp_path / "book"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("_output", "_freeze"))
    previewer = Previewer(project, quiet=True)
    assert previewer.build(), previewer.state.error
    server = previewer.serve(port=0)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    stop = threading.Event()
    watching = threading.Thread(target=previewer.watch, args=(stop,), daemon=True)
    watching.start()
    time.sleep(0.5)  # let the watcher start before files change
    try:
        yield previewer, f"http://127.0.0.1:{server.server_address[1]}", project
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        watching.join(timeout=10)


def test_edit_rerenders_and_a_broken_cell_is_shown_not_fatal(
    preview: tuple[Previewer, str, Path],
) -> None:
    previewer, url, project = preview
    page = _get(f"{url}/02-results.html")
    assert EVENTS_PATH in page, "pages carry the reload script"
    status = json.loads(_get(url + STATUS_PATH))
    assert status == {"builds": 1, "error": None, "rendering": False}

    chapter = project / "chapters" / "02-results.qmd"
    original = chapter.read_text()
    chapter.write_text(original.replace("\n\n", "\n\nA freshly added sentence.\n\n", 1))
    _wait_for(lambda: previewer.state.builds == 2)
    assert "A freshly added sentence." in _get(f"{url}/02-results.html")

    lines = original.splitlines()
    cell = next(i for i, line in enumerate(lines) if line.startswith("```{python}"))
    lines.insert(cell + 1, "def broken(:")
    chapter.write_text("\n".join(lines) + "\n")
    _wait_for(lambda: previewer.state.error is not None)
    status = json.loads(_get(url + STATUS_PATH))
    assert status["error"].startswith(f"chapters/02-results.qmd:{cell + 2}: SyntaxError")
    assert status["builds"] == 2
    assert "A freshly added sentence." in _get(f"{url}/02-results.html"), "last good site"

    chapter.write_text(original)
    _wait_for(lambda: previewer.state.builds == 3 and previewer.state.error is None)


def test_reload_is_pushed_to_the_page_as_an_event(preview: tuple[Previewer, str, Path]) -> None:
    previewer, url, _project = preview
    with urllib.request.urlopen(url + EVENTS_PATH, timeout=10) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        first = json.loads(stream.readline().decode().removeprefix("data: "))
        assert first["builds"] == previewer.state.builds
        stream.readline()  # the blank line that ends an event
        started = time.monotonic()
        previewer.state.update(builds=first["builds"] + 1)
        second = json.loads(stream.readline().decode().removeprefix("data: "))
        assert second["builds"] == first["builds"] + 1
        assert time.monotonic() - started < 1, "pushed at once, not polled"


def _numeric_book(tmp_path: Path) -> Path:
    """The fixture with a numeric citation style: numbers follow the book's citation order."""
    import quartowrap

    project = tmp_path / "book"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("_output", "_freeze"))
    csl = Path(quartowrap.__file__).parent / "themes" / "kce" / "csl" / "vancouver-kce.csl"
    shutil.copyfile(csl, project / "numeric.csl")
    config = project / "_quarto.yml"
    config.write_text(config.read_text() + "\ncsl: numeric.csl\n")
    return project


def test_an_edited_chapter_page_is_the_whole_books_page(tmp_path: Path) -> None:
    """The quick page (the chapter alone, numbered from the last whole-book pass) is the
    page the whole-book render writes: numbers, cross-references into other chapters,
    citation numbers in book order; so the follow-up render reloads nothing."""
    project = _numeric_book(tmp_path)
    previewer = Previewer(project, quiet=True)
    assert previewer.build(), previewer.state.error
    results = previewer.site / "02-results.html"
    assert 'href="references.html#ref-cleveland1984graphical">2</a>' in results.read_text(), (
        "chapter 1 cites another work first"
    )
    # the first keeps its citations (their text reused), the second cites anew (citeproc)
    edits = (("02-results", "Edited in preview."), ("03-discussion", "See also [@tukey1977eda]."))
    for name, words in edits:
        source = project / "chapters" / f"{name}.qmd"
        source.write_text(source.read_text().replace("\n\n", f"\n\n{words}\n\n", 1))
        builds = previewer.state.builds
        assert previewer.quick({source})
        assert previewer.state.builds == builds + 1 and previewer.state.error is None
        page = previewer.site / f"{name}.html"
        quick = page.read_text()
        assert words.split(" [")[0] in quick
        assert previewer.build()
        assert page.read_text() == quick, f"{name}: the whole book gives the same page"
        assert previewer.state.builds == builds + 1, "…so the page is not reloaded again"
    # two chapters saved one after the other, before the whole book is rendered again
    first, second = (project / "chapters" / f"{n}.qmd" for n in ("02-results", "03-discussion"))
    first.write_text(first.read_text().replace("Edited in preview.", "Edited once more."))
    assert previewer.quick({first})
    second.write_text(second.read_text() + "\nA last sentence.\n")
    assert previewer.quick({second})
    assert "Edited once more." in (previewer.site / "02-results.html").read_text(), "kept"
    assert "A last sentence." in (previewer.site / "03-discussion.html").read_text()
    discussion = (previewer.site / "03-discussion.html").read_text()
    assert 'href="references.html#ref-tukey1977eda">1</a>' in discussion, "first cited in ch. 1"
    assert re.search(r'href="02-results.html#fig-bars"[^>]*>Figure&nbsp;1<', discussion)


def test_other_changes_render_the_whole_book(tmp_path: Path) -> None:
    project = _numeric_book(tmp_path)
    previewer = Previewer(project, quiet=True)
    assert not previewer.quick({project / "chapters" / "02-results.qmd"}), "nothing built yet"
    assert previewer.build(), previewer.state.error
    chapters = project / "chapters"
    for changed in (
        {project / "_quarto.yml"},
        {project / "references.bib"},
        {chapters / "_limitations.qmd"},  # included: its chapter is not known here
        {chapters / "01-data.qmd", chapters / "02-results.qmd"},
        {project / "references.qmd"},  # prints the bibliography: the whole book's
    ):
        assert not previewer.quick(changed), changed
    previewer.quick_updates = False  # `preview --whole-book`
    assert not previewer.quick({chapters / "02-results.qmd"})


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="/usr/bin/chromium not found")
def test_a_saved_edit_reloads_the_open_page_in_a_browser(
    preview: tuple[Previewer, str, Path],
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    _previewer, url, project = preview
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(f"{url}/02-results.html", wait_until="load")
        time.sleep(0.5)  # the page's event stream is open
        chapter = project / "chapters" / "02-results.qmd"
        edited = chapter.read_text().replace("\n\n", "\n\nSeen in the browser.\n\n", 1)
        with page.expect_event("load", timeout=60_000):  # the page reloads itself
            chapter.write_text(edited)
        assert "Seen in the browser." in page.inner_text("main")
        browser.close()
