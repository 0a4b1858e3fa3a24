"""preview: a busy port gives the next free one, said plainly, before any build."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest
from quartowrap.commands import preview as preview_module
from quartowrap.commands.preview import Previewer, run_preview


@pytest.fixture()
def busy_port() -> Iterator[int]:
    taken = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    yield taken.server_address[1]
    taken.server_close()


def test_a_busy_port_gives_the_next_free_one(tmp_path: Path, busy_port: int) -> None:
    server = Previewer(tmp_path).serve(port=busy_port)
    try:
        assert busy_port < server.server_address[1] < busy_port + 20
    finally:
        server.server_close()


def test_run_preview_says_so_and_opens_the_browser_unless_asked_not_to(
    tmp_path: Path,
    busy_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    builds: list[int] = []
    opened: list[str] = []

    def stop_serving(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Previewer, "build", lambda self: builds.append(1) or True)
    monkeypatch.setattr(Previewer, "watch", lambda self, stop: None)
    monkeypatch.setattr(http.server.ThreadingHTTPServer, "serve_forever", stop_serving)
    monkeypatch.setattr(preview_module.webbrowser, "open", opened.append)
    monkeypatch.setattr(preview_module.threading, "Thread", _InlineThread)

    run_preview(tmp_path, port=busy_port, browser=True)
    err = capsys.readouterr().err
    assert f"Port {busy_port} is in use" in err
    [url] = opened
    assert url != f"http://127.0.0.1:{busy_port}/" and url in err and builds == [1]

    opened.clear()
    run_preview(tmp_path, port=busy_port, browser=False)
    assert opened == []


def test_bibliographies_at_the_root_are_watched(tmp_path: Path) -> None:
    (tmp_path / "refs.bib").write_text("@book{a, title={A}}\n")
    (tmp_path / "style.csl").write_text("<style/>\n")
    (tmp_path / "_quarto.yml").write_text("project: {type: book}\n")
    watched = Previewer(tmp_path).watch_paths()
    assert {p.name for p in watched} >= {"refs.bib", "style.csl", "_quarto.yml"}


class _InlineThread:
    """Runs the target at start(), so the test sees the browser call at once."""

    def __init__(self, target, args=(), daemon=None):  # type: ignore[no-untyped-def]
        self.target, self.args = target, args

    def start(self) -> None:
        self.target(*self.args)

    def join(self, timeout: float | None = None) -> None:
        return None
