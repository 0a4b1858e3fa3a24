"""preview: serves the site, re-renders an edited chapter, survives a broken cell."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from quartowrap.commands.preview import STATUS_PATH, Previewer

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
    assert STATUS_PATH in page, "pages carry the reload script"
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
