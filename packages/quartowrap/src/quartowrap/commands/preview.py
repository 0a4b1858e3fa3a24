"""Live preview for authors: `nox -s preview` serves the HTML and re-renders on every save.

The server watches the chapters, the analysis code, the data, the bibliographies and
`_quarto.yml`.  A saved chapter is re-rendered alone first (its freeze reused unless its
code changed; its page numbered from the last whole-book pass, see
`assemble.book.reassemble_chapter`) and the page is written in place, so the edit reaches
the browser in well under a second; once the files are quiet the whole book is rendered
again (HTML only, with the freeze, into `_output/preview/`), and the page reloads again
only if that changed it.  Any other change renders the whole book at once.  Pages get a
small script that listens for server-sent events and reloads; a failed build is shown over
the page with its `file:line` message, and the server keeps running.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import http.server
import json
import threading
import time
import webbrowser
from dataclasses import dataclass, field, replace
from pathlib import Path

from quartowrap.errors import BuildError
from quartowrap.model import AssembledBook, ExecutedChapter
from quartowrap.progress import Progress

PREVIEW_VERSION = "preview"
STATUS_PATH = "/__preview__/status"
EVENTS_PATH = "/__preview__/events"
WATCHED = ("chapters", "analysis", "data", "references", "_quarto.yml", "_metadata.yml")
# Quiet time after a quick page update before the whole book is rendered again.
FULL_AFTER_MS = 1000

RELOAD_SCRIPT = """
<script>
(function () {
  var seen = null;
  function show(error) {
    var box = document.getElementById("preview-error");
    if (!error) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "preview-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:1rem;right:1rem;bottom:1rem;max-height:50vh;" +
        "overflow:auto;background:#fff4f4;color:#7a1010;border:2px solid #b42318;" +
        "padding:1rem;z-index:9999;white-space:pre-wrap;font-size:14px";
      document.body.appendChild(box);
    }
    box.textContent = "Render failed:\\n" + error;
  }
  var events = new EventSource("__EVENTS__");
  events.onmessage = function (message) {
    var s = JSON.parse(message.data);
    if (seen !== null && s.builds !== seen && !s.error) {
      events.close();
      sessionStorage.setItem("quartowrap-preview-scroll", String(window.scrollY));
      location.reload();
      return;
    }
    seen = s.builds; show(s.error);
  };
  var y = sessionStorage.getItem("quartowrap-preview-scroll");
  if (y !== null) {
    sessionStorage.removeItem("quartowrap-preview-scroll");
    window.addEventListener("load", function () { window.scrollTo(0, Number(y)); });
  }
})();
</script>
""".replace("__EVENTS__", EVENTS_PATH)


@dataclass
class PreviewState:
    """What the pages poll: a build counter and the last error (None when it rendered)."""

    builds: int = 0
    error: str | None = None
    rendering: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    changed: threading.Condition = field(init=False)
    closed: bool = False

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def as_json(self) -> bytes:
        with self.lock:
            return self._json()

    def _json(self) -> bytes:
        return json.dumps(
            {"builds": self.builds, "error": self.error, "rendering": self.rendering}
        ).encode()

    def update(self, **values: object) -> None:
        """Set fields and wake every page listening for events."""
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)
            self.changed.notify_all()

    def wait_change(self, last: bytes | None, timeout: float) -> bytes:
        """The status once it differs from `last` (or after `timeout`, unchanged)."""
        with self.lock:
            self.changed.wait_for(lambda: self.closed or self._json() != last, timeout)
            return self._json()


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Static files from the preview site, the status endpoint, the reload script."""

    state: PreviewState
    site: Path

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == STATUS_PATH:
            self._send(self.state.as_json(), "application/json")
            return
        if self.path.split("?")[0] == EVENTS_PATH:
            self._events()
            return
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            text = path.read_text(encoding="utf-8")
            marker = "</body>"
            text = (
                text.replace(marker, RELOAD_SCRIPT + marker)
                if marker in text
                else text + RELOAD_SCRIPT
            )
            self._send(text.encode("utf-8"), "text/html; charset=utf-8")
            return
        super().do_GET()

    def _events(self) -> None:
        """Server-sent events: the status now and at every change (a comment every 15 s
        keeps the connection and notices a closed page)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        last: bytes | None = None
        try:
            while not self.state.closed:
                status = self.state.wait_change(last, timeout=15)
                if status == last:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(b"data: " + status + b"\n\n")
                    last = status
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


@dataclass
class _Snapshot:
    """The last book rendered in this process: what a quick page update starts from."""

    book: AssembledBook
    executed: list[ExecutedChapter]
    commit: str | None


class Previewer:
    """Renders the HTML on demand and records the outcome in a PreviewState."""

    def __init__(
        self,
        root: Path,
        *,
        data_dir: Path | None = None,
        quiet: bool = False,
        quick: bool = True,
    ):
        self.root = root.resolve()
        self.quick_updates = quick  # False: every change renders the whole book
        self.data_dir = data_dir
        self.state = PreviewState()
        self.output_root = self.root / "_output"
        self.progress = Progress.for_environment()
        self.progress.quiet = quiet
        self.last: _Snapshot | None = None
        self.served: str | None = None  # digest of the pages after the last quick update

    @property
    def site(self) -> Path:
        return self.output_root / PREVIEW_VERSION / "html"

    def build(self) -> bool:
        """Render the whole book (HTML, freeze reused); True when it rendered.

        After a quick page update the pages reload again only if this build changed them.
        """
        from quartowrap.commands.render import RenderOptions, render_project
        from quartowrap.publish import buildcache
        from quartowrap.publish.release import git_state

        self.state.update(rendering=True)
        if self.last is None:  # a real first build, which leaves the book in memory
            buildcache.forget(self.root, self.output_root / PREVIEW_VERSION)
        error: str | None = None
        try:
            result = render_project(
                self.root,
                RenderOptions(to=("html",), version=PREVIEW_VERSION, data_dir=self.data_dir),
                progress=self.progress,
            )
        except BuildError as failure:
            error = str(failure)
            self.progress.error(error)
        except Exception as failure:  # the server must survive any author mistake
            error = f"{type(failure).__name__}: {failure}"
            self.progress.error(error)
        else:
            if result.book is not None:
                commit = git_state(self.root).commit
                self.last = _Snapshot(result.book, list(result.chapters), commit)
        same = error is None and self.served is not None and self.served == self._digest()
        self.served = None
        with self.state.lock:
            builds = self.state.builds + (0 if error is not None or same else 1)
        self.state.update(rendering=False, error=error, builds=builds)
        return error is None

    def quick(self, paths: set[Path]) -> bool:
        """Re-render one saved chapter's page in place; False when the change is not a
        single chapter of the book (the caller renders the whole book)."""
        last = self.last
        if last is None or len(paths) != 1 or not self.quick_updates:
            return False
        [path] = paths
        try:
            source = path.resolve().relative_to(self.root)
        except ValueError:
            return False
        config = last.book.config
        index = next((i for i, c in enumerate(last.executed) if c.source == source), None)
        if index is None or len(config.chapters) != len(last.executed):
            return False
        from quartowrap.assemble.book import reassemble_chapter
        from quartowrap.commands.render import _figure_fonts
        from quartowrap.execute.engine import execute_chapters
        from quartowrap.writers.html.site import write_html_site

        started = time.perf_counter()
        self.state.update(rendering=True)
        try:
            [chapter] = execute_chapters(
                config,
                (config.chapters[index],),
                data_dir=config.data_dir,
                jobs=1,
                on_progress=self.progress.chapter,
                figure_fonts=_figure_fonts(config),
            )
            self.progress.idle()
            executed = [*last.executed]
            executed[index] = chapter
            cache = self.root / ".quartowrap"
            book = reassemble_chapter(last.book, executed, index, cache_dir=cache / "pandoc")
            if book is None:
                self.state.update(rendering=False)
                return False
            write_html_site(
                book,
                self.site,
                version=PREVIEW_VERSION,
                commit=last.commit,
                cache_dir=cache / "html",
                changed={source},
            )
        except BuildError as failure:
            self.progress.idle()
            self.progress.error(str(failure))
            self.state.update(rendering=False, error=str(failure))
            return True  # shown over the page; the whole book would fail the same way
        except Exception as failure:  # anything unforeseen: the whole book decides
            self.progress.idle()
            self.state.update(rendering=False)
            self.progress.line(f"quick update failed ({type(failure).__name__}); full render")
            return False
        self.last = replace(last, book=book, executed=executed)
        with self.state.lock:
            builds = self.state.builds + 1
        self.state.update(rendering=False, error=None, builds=builds)  # the page reloads
        seconds = time.perf_counter() - started
        self.progress.line(f"{source.as_posix()}: page updated in {seconds:.2f} s")
        self.served = self._digest()  # what the whole-book render is compared with
        return True

    def _digest(self) -> str:
        """What a reader sees of the site: its pages and search index."""
        digest = hashlib.sha256()
        for path in sorted([*self.site.glob("*.html"), self.site / "search-data.js"]):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def watch_paths(self) -> list[Path]:
        paths = [self.root / name for name in WATCHED if (self.root / name).exists()]
        # Root-level chapters, bibliographies and citation styles (`bibliography: refs.bib`).
        for pattern in ("*.qmd", "*.bib", "*.csl"):
            paths += sorted(self.root.glob(pattern))
        # and the bibliography files `_quarto.yml` names, wherever they are in the project
        with contextlib.suppress(Exception):
            from quartowrap.project.config import load_book_config

            for bib in load_book_config(self.root).bibliography:
                path = Path(bib) if Path(bib).is_absolute() else self.root / bib
                if path.exists() and not any(path.is_relative_to(p) for p in paths):
                    paths.append(path)
        return paths

    def watch(self, stop: threading.Event) -> None:
        """Until `stop` is set: a saved chapter gets a quick page update, and the whole book
        is rendered once the files have been quiet for FULL_AFTER_MS; any other change
        renders the whole book at once."""
        from watchfiles import watch

        pending = False
        for changes in watch(
            *self.watch_paths(),
            stop_event=stop,
            debounce=300,
            step=20,
            rust_timeout=FULL_AFTER_MS,
            yield_on_timeout=True,
        ):
            if not changes:
                if pending:
                    pending = False
                    self.build()
                continue
            # an editor's temporary files are gone by now: the saved file is what is left
            paths = {Path(p) for _, p in changes}
            kept = {p for p in paths if p.exists()} or paths
            if self.quick(kept):
                pending = self.state.error is None  # a failed cell fails the book as well
            else:
                pending = False
                self.build()

    def serve(
        self, host: str = "127.0.0.1", port: int = 4848, *, tries: int = 20
    ) -> http.server.ThreadingHTTPServer:
        """A server on `port`, or on the next free one when it is busy (another preview)."""
        self.site.mkdir(parents=True, exist_ok=True)
        handler = type(
            "BoundPreviewHandler", (PreviewHandler,), {"state": self.state, "site": self.site}
        )
        factory = functools.partial(handler, directory=str(self.site))
        for candidate in range(port, port + tries) if port else [0]:
            try:
                return http.server.ThreadingHTTPServer((host, candidate), factory)
            except OSError as busy:
                if busy.errno != errno.EADDRINUSE:
                    raise
        raise BuildError(
            f"ports {port}–{port + tries - 1} are all in use; choose another with --port"
        )


def run_preview(
    root: Path,
    *,
    port: int = 4848,
    data_dir: Path | None = None,
    browser: bool = True,
    quick: bool = True,
) -> None:
    """Blocking: take a port, first build, then serve and watch until interrupted.

    The port is taken before the first build, so a busy one is known at once (the next free
    port is used and said so) instead of after a full render.
    """
    previewer = Previewer(root, data_dir=data_dir, quick=quick)
    server = previewer.serve(port=port)
    actual = server.server_address[1]
    if port and actual != port:
        previewer.progress.line(f"Port {port} is in use (another preview?); using {actual}.")
    previewer.build()
    stop = threading.Event()
    watcher = threading.Thread(target=previewer.watch, args=(stop,), daemon=True)
    watcher.start()
    url = f"http://127.0.0.1:{actual}/"
    previewer.progress.done(f"Preview at {url} (Ctrl+C to stop)")
    if browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        previewer.state.update(closed=True)
        server.server_close()
        time.sleep(0.1)
