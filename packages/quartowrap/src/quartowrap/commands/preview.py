"""Live preview for authors: `nox -s preview` serves the HTML and re-renders on every save.

The server watches the chapters, the analysis code, the data and `_quarto.yml`; a change
re-renders the HTML with the freeze cache (so only chapters whose code, modules or data
changed execute again) into `_output/preview/`.  Pages get a small script that polls the
server and reloads when a build finishes; a failed build is shown over the page with its
`file:line` message, and the server keeps running.
"""

from __future__ import annotations

import errno
import functools
import http.server
import json
import threading
import time
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path

from quartowrap.errors import BuildError
from quartowrap.progress import Progress

PREVIEW_VERSION = "preview"
STATUS_PATH = "/__preview__/status"
WATCHED = ("chapters", "analysis", "data", "references", "_quarto.yml", "_metadata.yml")

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
  function poll() {
    fetch("__STATUS__", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (s) {
        if (seen !== null && s.builds !== seen && !s.error) { location.reload(); return; }
        seen = s.builds; show(s.error);
      }).catch(function () {}).finally(function () { setTimeout(poll, 800); });
  }
  poll();
})();
</script>
""".replace("__STATUS__", STATUS_PATH)


@dataclass
class PreviewState:
    """What the pages poll: a build counter and the last error (None when it rendered)."""

    builds: int = 0
    error: str | None = None
    rendering: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps(
                {"builds": self.builds, "error": self.error, "rendering": self.rendering}
            ).encode()


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


class Previewer:
    """Renders the HTML on demand and records the outcome in a PreviewState."""

    def __init__(self, root: Path, *, data_dir: Path | None = None, quiet: bool = False):
        self.root = root.resolve()
        self.data_dir = data_dir
        self.state = PreviewState()
        self.output_root = self.root / "_output"
        self.progress = Progress.for_environment()
        self.progress.quiet = quiet

    @property
    def site(self) -> Path:
        return self.output_root / PREVIEW_VERSION / "html"

    def build(self) -> bool:
        from quartowrap.commands.render import RenderOptions, render_project

        with self.state.lock:
            self.state.rendering = True
        error: str | None = None
        try:
            render_project(
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
        with self.state.lock:
            self.state.rendering = False
            self.state.error = error
            if error is None:
                self.state.builds += 1
        return error is None

    def watch_paths(self) -> list[Path]:
        paths = [self.root / name for name in WATCHED if (self.root / name).exists()]
        # Root-level chapters, bibliographies and citation styles (`bibliography: refs.bib`).
        for pattern in ("*.qmd", "*.bib", "*.csl"):
            paths += sorted(self.root.glob(pattern))
        return paths

    def watch(self, stop: threading.Event) -> None:
        """Re-render after each batch of file changes until `stop` is set."""
        from watchfiles import watch

        for _changes in watch(*self.watch_paths(), stop_event=stop, debounce=300):
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
    root: Path, *, port: int = 4848, data_dir: Path | None = None, browser: bool = True
) -> None:
    """Blocking: take a port, first build, then serve and watch until interrupted.

    The port is taken before the first build, so a busy one is known at once (the next free
    port is used and said so) instead of after a full render.
    """
    previewer = Previewer(root, data_dir=data_dir)
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
        server.server_close()
        time.sleep(0.1)
