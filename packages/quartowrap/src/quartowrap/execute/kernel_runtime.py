"""Code that runs outside the build process: in the fork server and inside each chapter's kernel.

Loaded there by path under its own module name (see `kernels.RUNTIME_MODULE`), so a book's own
folders on `sys.path` cannot decide which engine code runs. It installs the audit hook that
records the files a chapter opens and reports the project modules it imported.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import Any

SVG_HASHSALT = "quartowrap"  # stable SVG ids: rebuilds are byte-identical


# --------------------------------------------------------------------------------------
# Inside the zygote
# --------------------------------------------------------------------------------------


def _is_project_module(name: str, root: str) -> bool:
    """True when the top-level package of `name` lives in the book (not a venv inside it)."""
    import importlib.machinery

    top = name.partition(".")[0]
    if top in sys.builtin_module_names:
        return False
    spec = importlib.machinery.PathFinder.find_spec(top, [root, *sys.path[1:]])
    if spec is None:
        return True  # unknown: do not risk importing it early
    origins = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
    return any(origin and _inside_project(os.path.realpath(origin), root) for origin in origins)


_ENV_MARKERS = ("site-packages", "dist-packages", ".venv", "venv", ".nox", ".tox", "__pypackages__")


def _inside_project(path: str, root: str) -> bool:
    """Under the root and not in an environment directory or the interpreter's prefix."""
    root = os.path.realpath(root)
    if not (path == root or path.startswith(root + os.sep)):
        return False
    parts = path[len(root) :].split(os.sep)
    if any(p in _ENV_MARKERS for p in parts):
        return False
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        prefix = os.path.realpath(prefix)
        if path.startswith(prefix + os.sep):
            return False
    return True


@contextlib.contextmanager
def _without_debugpy() -> Iterator[None]:
    """Load ipykernel with its Jupyter debugger switched off.

    `ipykernel.debugger` imports debugpy (about 150 modules) when it can; every forked kernel
    would then import it again, since it is loaded lazily at kernel start.  A render never
    attaches a debugger, so while the kernel machinery is preloaded `import debugpy` fails
    (ipykernel then marks the debugger unavailable); afterwards a chapter may still import
    debugpy itself.
    """
    blocked = "debugpy" not in sys.modules
    if blocked:
        sys.modules["debugpy"] = None  # type: ignore[assignment]  # import fails: ImportError
    try:
        yield
    finally:
        if blocked and sys.modules.get("debugpy", False) is None:
            del sys.modules["debugpy"]


def _zygote_main() -> None:
    """Fork server loop: preload modules, then fork one kernel per request.

    Garbage collection is off here and the heap is frozen before each fork (as the `gc`
    docs advise for a fork server): imports run ~10 % faster without collections, and a
    kernel's collections then skip the inherited objects instead of walking (and so
    copying, page by page) the whole preloaded heap — which made a kernel's start-up
    cost 0.17 s of CPU instead of 0.07 s."""
    import importlib

    gc.disable()

    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints during imports must not corrupt the protocol
    hello = json.loads(requests.readline())
    root = hello["root"]
    sys.path.insert(0, root)
    tried: set[str] = set()

    def preload(names: Iterable[str]) -> None:
        for name in names:
            if name in sys.modules or name in tried:
                continue
            tried.add(name)
            try:
                if not _is_project_module(name, root):
                    importlib.import_module(name)
            except BaseException:  # preloading is an optimisation only
                continue

    with _without_debugpy():
        preload(hello["preload"])
    children: set[int] = set()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    replies.write(json.dumps({"ready": True}).encode() + b"\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        if request.get("cmd") != "fork":
            continue
        preload(request.get("preload", ()))
        # What earlier kernels imported lazily (pandas' reshape, matplotlib's SVG backend):
        # only parts of packages imported here already, so nothing new is brought in.
        preload(n for n in request.get("learned", ()) if n.partition(".")[0] in sys.modules)
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            replies.close()
            _kernel_child(request, root)  # never returns
        children.add(pid)
        replies.write(json.dumps({"pid": pid}).encode() + b"\n")
        replies.flush()
    # The build went away (stdin closed): take every kernel down with us, and exit without
    # tearing down the preloaded modules (that only costs time).
    for pid in children:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    os._exit(0)


def _kernel_child(request: dict[str, Any], root: str) -> None:
    """Become an IPython kernel listening on `request['connection_file']`."""
    code = 1
    try:
        gc.enable()  # the chapter's own objects are collected as anywhere else
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # chapters may run subprocesses
        os.setsid()
        _die_with_parent()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(root)
        sys.argv = ["kce-kernel"]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        app.initialize(
            [
                "-f",
                request["connection_file"],
                "--HistoryManager.enabled=False",
                "--IPKernelApp.quiet=True",
                f"--IPKernelApp.parent_handle={os.getppid()}",
            ]
        )
        app.start()
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: SIGKILL this kernel if the fork server dies (no orphans after a crash)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


# --------------------------------------------------------------------------------------
# Inside a chapter's kernel
# --------------------------------------------------------------------------------------

_KERNEL_STATE: dict[str, Any] = {}


def _kernel_figure_size(size: tuple[float, float]) -> None:
    """Set the size in the inline backend's rc (applied if pyplot is imported later) and in
    matplotlib's rcParams (if it is imported already)."""
    from IPython import get_ipython

    cfg = get_ipython().config
    rc = dict(cfg.InlineBackend.get("rc") or {})
    rc["figure.figsize"] = size
    cfg.InlineBackend.rc = rc
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].rcParams["figure.figsize"] = size


def _kernel_rc(values: dict[str, Any]) -> None:
    """Set matplotlib rc values in the inline backend's rc and, if imported, rcParams."""
    from IPython import get_ipython

    cfg = get_ipython().config
    rc = dict(cfg.InlineBackend.get("rc") or {})
    rc.update(values)
    cfg.InlineBackend.rc = rc
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].rcParams.update(values)


def _kernel_setup(
    root: str,
    figure_size: tuple[float, float] | None = None,
    cwd: str | None = None,
    fonts: tuple[str, ...] = (),
) -> None:
    """Install dependency tracking and deterministic figure output in this kernel."""
    from IPython import get_ipython

    ip = get_ipython()
    _KERNEL_STATE["root"] = root
    if root not in sys.path:
        sys.path.insert(0, root)
    os.chdir(cwd or root)
    opened: set[str] = set()
    _KERNEL_STATE["opened"] = opened
    _KERNEL_STATE["modules_before"] = set(sys.modules)
    write_flags = os.O_WRONLY | os.O_RDWR

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if event != "open":
            return
        path, mode, flags = args
        if isinstance(path, int):
            return
        if mode is None:
            if isinstance(flags, int) and flags & write_flags:
                return
        elif isinstance(mode, str) and ("w" in mode or "a" in mode or "x" in mode):
            return
        with contextlib.suppress(Exception):
            opened.add(os.path.abspath(os.fsdecode(path)))

    sys.addaudithook(audit)

    # Figures: SVG, with stable ids and no creation date, so rebuilds are byte-identical; text
    # stays text (searchable, accessible, measurable) in the book's own font.
    _KERNEL_STATE["fonts"] = tuple(fonts)
    _KERNEL_STATE["font_rc"] = {}
    _use_book_fonts()
    ip.events.register("pre_run_cell", lambda *_: _use_book_fonts())
    ip.events.register("post_execute", _use_book_fonts)  # before the inline backend's flush
    cfg = ip.config
    cfg.InlineBackend.figure_formats = {"svg"}
    rc: dict[str, Any] = {**_SVG_RC, **_KERNEL_STATE["font_rc"]}
    if figure_size is not None:
        rc["figure.figsize"] = figure_size
    cfg.InlineBackend.rc = rc
    if "matplotlib" in sys.modules:  # preloaded: the rc file was read before this setup
        sys.modules["matplotlib"].rcParams.update(rc)
    cfg.InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "metadata": {"Date": None}}
    if "matplotlib.pyplot" in sys.modules:
        ip.run_line_magic("matplotlib", "inline")
    # A matplotlib Figure left as a cell's value (or displayed) is an SVG even when pyplot,
    # and with it the inline backend, was never imported.
    svg = ip.display_formatter.formatters["image/svg+xml"]
    svg.for_type_by_name("matplotlib.figure", "Figure", _figure_svg)
    # A DataFrame, pandas Styler or great_tables GT left as a cell's value becomes a table
    # with its model (quartowrap.tables), like `show_table`; registered by type name, so
    # nothing is imported that the chapter does not use.
    bundles = ip.display_formatter.mimebundle_formatter
    for module, name, builder in _TABLE_TYPES:
        bundles.for_type_by_name(module, name, _table_bundle(builder))


_TABLE_TYPES = (
    ("pandas", "DataFrame", "from_frame"),  # pandas 3 reports "pandas"
    ("pandas.core.frame", "DataFrame", "from_frame"),
    ("pandas.io.formats.style", "Styler", "from_styler"),
    ("great_tables.gt", "GT", "from_gt"),
)
_MAX_CELLS = (500, 50)  # larger frames print as text, as a notebook would cut them


def _table_bundle(builder: str) -> Any:
    """A display formatter: the object's table model and its markdown (None: not a table)."""

    def bundle(obj: Any) -> dict[str, Any] | None:
        frame = getattr(obj, "data", obj) if builder == "from_styler" else obj
        shape = getattr(frame, "shape", (0, 0))
        if shape[0] > _MAX_CELLS[0] or shape[1] > _MAX_CELLS[1]:
            return None
        try:
            from quartowrap.authoring.protocol import TABLE_MIME
            from quartowrap.tables import build, markdown

            table = getattr(build, builder)(obj)
        except Exception:  # an object we cannot read shows as the library shows it
            return None
        payload = {"csv": table.csv, "model": {**table.to_json(), "csv": None}}  # CSV once
        return {"text/markdown": markdown.to_pipe(table), TABLE_MIME: payload}

    return bundle


_SVG_RC = {"svg.hashsalt": SVG_HASHSALT, "svg.fonttype": "none"}


def _use_book_fonts() -> None:
    """Register the book's fonts with matplotlib once it is imported, and draw text in them.

    The PDF writer has the same font files, so a figure's text prints in the book's typeface
    and stays text in the SVG. Runs at setup and around every cell (matplotlib may be
    imported by any cell); a chapter's own `font.family` choices are left alone.
    """
    fonts = _KERNEL_STATE.get("fonts") or ()
    if not fonts or "matplotlib" not in sys.modules or _KERNEL_STATE.get("fonts_registered"):
        return
    _KERNEL_STATE["fonts_registered"] = True
    from matplotlib import font_manager, rcParams

    families: list[str] = []
    for path in fonts:
        with contextlib.suppress(Exception):
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
            if name not in families:
                families.append(name)
    if families:
        font_rc = {"font.sans-serif": [*families, *rcParams["font.sans-serif"]]}
        _KERNEL_STATE["font_rc"] = font_rc
        rcParams.update(font_rc)
        with contextlib.suppress(Exception):
            from IPython import get_ipython

            cfg = get_ipython().config
            cfg.InlineBackend.rc = {**dict(cfg.InlineBackend.get("rc") or {}), **font_rc}


def _figure_svg(figure: Any) -> str:
    import matplotlib
    from IPython.core.pylabtools import print_figure

    _use_book_fonts()
    with matplotlib.rc_context({**_SVG_RC, **_KERNEL_STATE.get("font_rc", {})}):
        return print_figure(figure, "svg", bbox_inches="tight", metadata={"Date": None})


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>$@#|~^"})


def _kernel_inline(value: Any) -> str:
    """Format an inline expression's value: Markdown objects as markdown, the rest as text."""
    md = getattr(value, "_repr_markdown_", None)
    if callable(md) and not isinstance(value, type):
        text = md()
        if isinstance(text, tuple):
            text = text[0]
        if text is not None:
            return json.dumps({"markdown": True, "text": str(text)})
    return json.dumps({"markdown": False, "text": str(value).translate(_MD_SPECIAL)})


def _kernel_report() -> str:
    """Files opened for reading and modules imported since setup (the chapter's inputs)."""
    before = _KERNEL_STATE.get("modules_before", set())
    modules = {}
    for name, module in list(sys.modules.items()):
        if name in before:
            continue
        file = getattr(module, "__file__", None)
        if file:
            modules[name] = os.path.abspath(file)
    return json.dumps({"files": sorted(_KERNEL_STATE.get("opened", ())), "modules": modules})


# --------------------------------------------------------------------------------------
# A failed cell, described for its author
# --------------------------------------------------------------------------------------

_RENDERER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _kernel_error_report() -> str:
    """The last error (IPython keeps it in `sys.last_value`) as JSON: every frame with its
    position and whether it is the author's (a cell or a project module) or library code,
    plus the closest column names when a data frame was asked for a column it lacks."""
    from IPython import get_ipython

    value = getattr(sys, "last_value", None)
    tb = getattr(sys, "last_traceback", None)
    if value is None or tb is None:
        return json.dumps(None)
    import traceback

    root = _KERNEL_STATE.get("root") or os.getcwd()
    cells = dict(getattr(get_ipython().compile, "_filename_map", {}))
    frames = []
    for summary in traceback.extract_tb(tb):
        path = os.path.realpath(summary.filename)
        cell = cells.get(summary.filename)
        author = cell is not None or (
            _inside_project(path, root) and not path.startswith(_RENDERER_DIR + os.sep)
        )
        frames.append(
            {
                "file": os.path.relpath(path, root) if author and cell is None else path,
                "name": summary.name,
                "line": summary.lineno,
                "end_line": getattr(summary, "end_lineno", None),
                "col": getattr(summary, "colno", None),
                "end_col": getattr(summary, "end_colno", None),
                "code": summary.line or "",
                "cell": cell,
                "author": author,
            }
        )
    syntax = None
    if isinstance(value, SyntaxError):  # raised compiling the cell: no frame of the author's
        syntax = {
            "msg": value.msg,
            "line": value.lineno,
            "offset": value.offset,
            "end_offset": getattr(value, "end_offset", None),
            "text": value.text,
        }
    return json.dumps({"frames": frames, "columns": _missing_column(value, tb), "syntax": syntax})


def _missing_column(value: BaseException, tb: Any) -> dict[str, Any] | None:
    """For `frame["experiance"]`: the key and the frame's closest column names (difflib)."""
    if not isinstance(value, KeyError) or len(value.args) != 1:
        return None
    key = value.args[0]
    if not isinstance(key, str):
        return None
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if type(owner).__module__.startswith("pandas") and hasattr(owner, "columns"):
            import difflib

            names = [str(name) for name in owner.columns]
            lowered = {name.lower(): name for name in reversed(names)}
            close = difflib.get_close_matches(key.lower(), list(lowered), n=3, cutoff=0.6)
            return {"key": key, "close": [lowered[c] for c in close], "names": names[:30]}
        tb = tb.tb_next
    return None
