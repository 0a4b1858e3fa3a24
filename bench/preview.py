"""Preview: the time from saving a chapter to the browser showing the edited text.

A real `quartowrap preview --no-browser` serves a fresh copy of the flagship; Chromium
(playwright, /usr/bin/chromium) holds chapter 7's page open.  Each edit adds a sentence
with a unique word to the chapter's first paragraph; the clock runs from the write to the
`load` event of the reloaded page that contains the word.  The baseline is the same
measurement with `--whole-book` (every save renders the whole book's HTML, as preview did
before quick page updates), in the same run, on the same copy.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.run import _fresh_copy

CHAPTER = Path("chapters") / "07-time-to-move.qmd"
PAGE = "07-time-to-move.html"
CHROMIUM = "/usr/bin/chromium"


class _Server:
    """`quartowrap preview` in a subprocess; its URL read from what it prints."""

    def __init__(self, project: Path, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quartowrap", "preview", "--no-browser", "--port", "0", *extra],
            cwd=project,
            env={**os.environ, "CI": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        self.log: list[str] = []
        for line in self.process.stderr:
            self.log.append(line)
            found = re.search(r"Preview at (http://\S+?)/? \(", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise SystemExit("preview stopped before serving")
        # keep reading what it prints, or a full pipe would stop the server
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def update_seconds(self) -> list[float]:
        """The server's own time for each quick page update so far."""
        return [float(m) for m in re.findall(r"page updated in ([\d.]+) s", "".join(self.log))]

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/__preview__/status", timeout=10) as r:
            return json.loads(r.read())

    def settle(self, quiet: float = 3.0, limit: float = 120.0) -> None:
        """Wait until no render has run for `quiet` seconds (the whole-book follow-up)."""
        deadline = time.monotonic() + limit
        calm_since = time.monotonic()
        while time.monotonic() < deadline:
            if self.status()["rendering"]:
                calm_since = time.monotonic()
            elif time.monotonic() - calm_since >= quiet:
                return
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _edit_to_page(
    project: Path, extra: tuple[str, ...], edits: int, server_side: list[float]
) -> list[float]:
    from playwright.sync_api import sync_playwright

    source = project / CHAPTER
    original = source.read_text(encoding="utf-8")
    server = _Server(project, *extra)
    seconds: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            page.goto(f"{server.url}/{PAGE}", wait_until="load")
            server.settle()
            for n in range(edits):
                word = f"Benchmarkword{n}x{int(time.time())}"
                head, _, tail = original.partition("\n\n")
                started = time.perf_counter()
                source.write_text(f"{head}\n\n{word} added.\n\n{tail}", encoding="utf-8")
                while True:
                    page.wait_for_event("load", timeout=120_000)
                    if word in page.content():
                        break
                seconds.append(round(time.perf_counter() - started, 3))
                server.settle()
            browser.close()
        server_side.extend(server.update_seconds())
    finally:
        server.stop()
        source.write_text(original, encoding="utf-8")
    return seconds


def bench_preview(root: Path, work: Path, edits: int = 5) -> dict[str, Any]:
    project = _fresh_copy(root, work, keep_freeze=True)
    # the freeze and the caches warm, as an author's working copy is
    subprocess.run(
        [sys.executable, "-m", "quartowrap", "render", "--to", "html", "--quiet"],
        cwd=project,
        env={**os.environ, "CI": "1"},
        check=True,
        capture_output=True,
    )
    updates: list[float] = []
    quick = _edit_to_page(project, (), edits, updates)
    whole = _edit_to_page(project, ("--whole-book",), edits, [])
    result = {
        "preview_edit_to_page_s": statistics.median(quick),
        "runs_s": quick,
        "server_page_update_s": updates,  # of which the server's re-render of the page
        "baseline_whole_book_s": statistics.median(whole),
        "baseline_runs_s": whole,
        "targets": {"preview_edit_to_page_s": "<= 1 s"},
    }
    result["speedup_vs_baseline"] = round(
        result["baseline_whole_book_s"] / result["preview_edit_to_page_s"], 2
    )
    result["met"] = {"preview_edit_to_page_s": result["preview_edit_to_page_s"] <= 1.0}
    return result


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    print(json.dumps(bench_preview(here.parent, here / "work" / "preview"), indent=2))
