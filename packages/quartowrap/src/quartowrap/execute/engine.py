"""Execute chapters in Jupyter kernels and weave their outputs into pandoc markdown.

Execution and weaving are separate on purpose: a kernel run produces *raw outputs* (per
cell: streams, display data, errors; per inline expression: its formatted value), which
freeze stores; weaving turns raw outputs plus the chapter's current prose and cell options
into `ExecutedChapter.markdown` following the stage contract in docs/architecture.md.  So
a prose or caption edit re-weaves stored outputs without starting a kernel.

Chapters run in parallel (`jobs`), each in its own fresh kernel from `kernels.KernelPool`.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import queue
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import quartowrap.execute.freeze as freeze
from quartowrap import integrity
from quartowrap.authoring.protocol import DATA_DIR_ENV, TABLE_MIME
from quartowrap.errors import BuildError, CellError
from quartowrap.execute import embeds
from quartowrap.execute.cell_errors import cell_error
from quartowrap.execute.import_scan import preload_candidates
from quartowrap.execute.kernel_runtime import _inside_project as inside_project
from quartowrap.execute.kernels import (
    ERROR_EXPRESSION,
    REPORT_EXPRESSION,
    Kernel,
    KernelPool,
    figure_size_code,
    kernel_environment,
    rc_code,
    release_event_loop,
    setup_code,
)
from quartowrap.execute.weave import (
    _cell_options,
    _code_display,
    _strip_ansi,
    weave,
)
from quartowrap.model import (
    BookConfig,
    ChapterRef,
    Dependencies,
    ExecutedChapter,
    ExecuteOptions,
    SourceLocation,
)
from quartowrap.project.config import (
    directory_metadata,
    document_execute_options,
    document_metadata,
)
from quartowrap.project.params import (
    Declared,
    book_parameters,
    cell_assignments,
    check_values,
    declared_parameters,
    injection_code,
    parameters_cell,
)
from quartowrap.project.qmd import CodeCell, MarkdownBlock, QmdDocument, parse_qmd

IMAGE_MIMES = {"image/svg+xml": ".svg", "image/png": ".png", "image/jpeg": ".jpg"}
KEPT_MIMES = (TABLE_MIME, "text/markdown", "text/html", "text/plain")
TRACEBACK_TAIL = 12
# One cell's printed text kept in the page and the freeze store; the rest is summarised.
MAX_CELL_TEXT = 1_000_000
# A cell still running after this long is named in the progress output (and every so often).
SLOW_CELL_SECONDS = 30.0
_DATA_NOTICE = re.compile(r"DataNotice: (?P<text>[^\n]+)")


@dataclass(frozen=True)
class ChapterProgress:
    """A progress event: a chapter is `queued` to execute, `started`, reached a `cell`, was
    `executed`, or was reused (`frozen`); a chapter without code is `static`; `running`:
    one of its cells has been running for `seconds` (`reason` names its line).

    `reason` says why a chapter executed (e.g. "data file changed: data/x.csv"); `cell` is
    (n, of) for the n-th of the chapter's evaluated cells; `expected` is how long the
    chapter took last time (from its freeze), for an estimate of the time left.
    """

    source: Path
    status: Literal["queued", "started", "cell", "executed", "frozen", "static", "running"]
    seconds: float = 0.0
    reason: str | None = None
    cell: tuple[int, int] | None = None
    expected: float | None = None


ProgressCallback = Callable[[ChapterProgress], None]


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


@dataclass
class _Plan:
    ref: ChapterRef
    doc: QmdDocument
    options: ExecuteOptions
    evaluated: list[bool]
    key: str = ""
    reason: str | None = None  # why it must execute; None = static or reusable
    figure_size: tuple[float, float] | None = None
    figure_dpi: float | None = None  # Quarto's `fig-dpi`: resolution of raster parts
    cwd: Path | None = None  # the project root, or the chapter's directory (execute-dir: file)
    frozen: freeze.FrozenResult | None = None
    code_display: dict[str, Any] = field(default_factory=dict)  # code-fold / code-summary
    injected: dict[str, Any] = field(default_factory=dict)  # parameter values run in the kernel
    inject_after: int | None = None  # the parameters cell's index (None: before the first cell)
    fonts: tuple[Path, ...] = ()  # font files for figure text
    store: str | None = None  # freeze store of these parameter values (None: the default one)


def execute_chapters(
    config: BookConfig,
    chapters: Sequence[ChapterRef],
    *,
    data_dir: Path | None = None,
    use_freeze: bool = True,
    jobs: int = 2,
    on_progress: ProgressCallback | None = None,
    params: Mapping[str, Any] | None = None,
    figure_fonts: Sequence[Path] = (),
    kernels: KernelPool | None = None,
    on_executed: Callable[[ExecutedChapter], None] | None = None,
    _embedding: frozenset[Path] = frozenset(),
) -> list[ExecutedChapter]:
    """Execute (or reuse from freeze) every chapter; results in the order given.

    `params` override the documents' declared parameters (see `project.params`);
    `figure_fonts` are the font files figure text is set in (the PDF writer's fonts).
    `kernels` is a started pool kept warm by the caller across renders (editions of one
    book): its fork server has imported the modules once; it is closed here only when a
    chapter fails, so the caller starts a fresh one for the next render.
    `on_executed` is called (from a worker thread) with each chapter as soon as it has
    executed, while others still run: the caller may start on its later stages.
    Documents whose cells the chapters embed (`{{< embed doc.qmd#label >}}`) are executed
    (or reused from freeze) first, the same way, and their cells woven into the prose
    (`execute/embeds.py`); `_embedding` holds the documents already being executed, so
    documents that embed each other end.
    """
    root = config.root
    notify = on_progress or (lambda _p: None)
    if data_dir is None and os.environ.get(DATA_DIR_ENV):
        data_dir = Path(os.environ[DATA_DIR_ENV])  # kernels inherit it: freeze must know it
    plans: list[_Plan] = []
    docs = [
        (ref, parse_qmd(ref.source, root, directory_metadata(config, ref.source)))
        for ref in chapters
    ]
    running = _embedding | {ref.source for ref in chapters}
    wanted = [s for s in embeds.targets(config, [d for _r, d in docs]) if s not in running]
    if wanted:
        execute_chapters(
            config,
            [ChapterRef(source, numbered=False) for source in wanted],
            data_dir=data_dir,
            use_freeze=use_freeze,
            jobs=jobs,
            figure_fonts=figure_fonts,
            kernels=kernels,
            _embedding=running | set(wanted),
        )
    docs = [(ref, embeds.resolve(config, doc)) for ref, doc in docs]
    declarations = [
        declared_parameters(doc, document_metadata(config, ref.source, doc.front_matter))
        for ref, doc in docs
    ]
    if params:
        check_values(params, book_parameters(declarations))
    for (ref, doc), declared in zip(docs, declarations, strict=True):
        options = document_execute_options(config, ref.source, doc.front_matter)
        evaluated = [bool(_cell_options(options, c).eval) for c in doc.cells]
        plan = _Plan(ref, doc, options, evaluated)
        plan.injected, plan.inject_after = _injection(doc, declared, params or {})
        plan.store = freeze.params_store(params)
        plan.code_display = _code_display(config, ref.source, doc.front_matter)
        if doc.executable and doc.has_code:
            plan.figure_size = _figure_size(config, ref.source, doc.front_matter)
            plan.figure_dpi = _figure_dpi(config, ref.source, doc.front_matter)
            # Quarto's `project: execute-dir: file` runs a chapter in its own directory; the
            # default here is the project root (analysis code and data paths are root-relative).
            execute_dir = (config.metadata.get("project") or {}).get("execute-dir")
            plan.cwd = (root / ref.source).parent if execute_dir == "file" else root
            extra = repr((plan.figure_size, execute_dir == "file"))
            if plan.figure_dpi is not None:  # only then, so other freeze keys stay as they were
                extra += f" fig-dpi={plan.figure_dpi!r}"
            sizes = [
                (c.index, _cell_figure_size(c, plan.figure_size))
                for c in doc.cells
                if _cell_figure_size(c, plan.figure_size) is not None
            ]
            if sizes:  # only then, so chapters without cell sizes keep their freeze keys
                extra += f" cell-figure-sizes={sizes!r}"
            if plan.injected:  # likewise: a chapter without parameters keeps its key
                extra += f" params={sorted(plan.injected.items())!r}"
            if figure_fonts:
                extra += f" figure-fonts={sorted(Path(f).name for f in figure_fonts)!r}"
            plan.fonts = tuple(figure_fonts)
            plan.key = freeze.code_key(doc, data_dir, evaluated, extra=extra, root=root)
            plan.frozen = freeze.load(root, ref.source, plan.store)
            mode = options.freeze if use_freeze else False
            plan.reason = freeze.stale_reason(plan.frozen, doc, plan.key, mode, root, data_dir)
        plans.append(plan)

    results: dict[int, ExecutedChapter] = {}
    to_run = [i for i, p in enumerate(plans) if p.reason is not None]
    for i, plan in enumerate(plans):
        if plan.reason is None:
            results[i] = _from_store(config, plan)
            status = "frozen" if plan.frozen is not None else "static"
            notify(ChapterProgress(plan.ref.source, status, 0.0))
    for i in to_run:  # announced first, so progress can count them and estimate the time
        frozen = plans[i].frozen
        last = frozen.seconds if frozen is not None and frozen.seconds else None
        notify(
            ChapterProgress(plans[i].ref.source, "queued", reason=plans[i].reason, expected=last)
        )
    if to_run:
        results.update(
            _run_all(config, plans, to_run, data_dir, jobs, notify, kernels, on_executed)
        )
    return [results[i] for i in range(len(plans))]


def _from_store(config: BookConfig, plan: _Plan) -> ExecutedChapter:
    raw = plan.frozen.outputs if plan.frozen else {}
    for notice in raw.get("notices", []):  # the data loader's notices, said on every build
        integrity.note(notice)
    figures = freeze.figure_dir(config.root, plan.ref.source, plan.store)
    markdown, tables, figs = weave(plan.doc, raw, plan.options, figures, plan.code_display)
    return ExecutedChapter(
        source=plan.ref.source,
        front_matter=plan.doc.front_matter,
        markdown=markdown,
        tables=tables,
        figures=figs,
        dependencies=plan.frozen.dependencies if plan.frozen else Dependencies(),
        seconds=0.0,
        from_freeze=plan.frozen is not None,
    )


def _run_all(
    config: BookConfig,
    plans: list[_Plan],
    to_run: list[int],
    data_dir: Path | None,
    jobs: int,
    notify: ProgressCallback,
    shared: KernelPool | None = None,
    on_executed: Callable[[ExecutedChapter], None] | None = None,
) -> dict[int, ExecutedChapter]:
    root = config.root
    workers = max(1, min(jobs, len(to_run)))
    # Longest first when the last run's timings are known, so a long chapter never starts
    # last while the other worker sits idle.  Without timings keep the book's order: early
    # chapters (preface, introduction) are usually light and start while the fork server is
    # still importing what the heavy ones need.
    if all(plans[i].frozen is not None and plans[i].frozen.seconds > 0 for i in to_run):
        to_run = sorted(to_run, key=lambda i: -plans[i].frozen.seconds)  # type: ignore[union-attr]
    needs = [preload_candidates([c.code for c in plans[i].doc.cells], root) for i in to_run]
    pool = shared or KernelPool(
        root=root,
        env=kernel_environment(root, data_dir),
        preload=tuple(dict.fromkeys(n for need in needs for n in need)),
        plan=tuple(needs),
        prestart=workers,
    )
    done: dict[int, ExecutedChapter] = {}
    ex = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kce-chapter")
    succeeded = False
    try:
        if shared is None:
            pool.start(expected=len(to_run))
        # Progress events are queued by the workers and reported from this thread only, so
        # `on_progress` needs no locking.
        events: queue.Queue[ChapterProgress] = queue.Queue()
        futures: dict[Future[ExecutedChapter], int] = {
            ex.submit(_run_one, config, plans[i], pool, data_dir, events.put, on_executed): i
            for i in to_run
        }

        def report() -> None:
            while not events.empty():
                notify(events.get_nowait())

        while True:
            finished, pending = wait(futures, timeout=0.05, return_when=FIRST_EXCEPTION)
            report()
            if not pending or any(f.exception() is not None for f in finished):
                break
        failed = [f for f in finished if f.exception() is not None]
        if failed:
            first = min(failed, key=lambda f: futures[f])
            raise first.exception()  # type: ignore[misc]
        for f, i in futures.items():
            done[i] = f.result()
        succeeded = True
    finally:
        # Kill the kernels first: chapters still running in other threads then end at once
        # (also on KeyboardInterrupt), and only then wait for the threads.  A shared pool
        # outlives a successful render: that is what keeps the next edition warm.
        if shared is None or not succeeded:
            pool.close()
        ex.shutdown(wait=True, cancel_futures=True)
    return done


def _run_one(
    config: BookConfig,
    plan: _Plan,
    pool: KernelPool,
    data_dir: Path | None,
    notify: ProgressCallback,
    on_executed: Callable[[ExecutedChapter], None] | None = None,
) -> ExecutedChapter:
    root = config.root
    source = plan.ref.source
    expected = plan.frozen.seconds if plan.frozen is not None and plan.frozen.seconds else None
    notify(ChapterProgress(source, "started", 0.0, plan.reason, expected=expected))
    start = time.monotonic()
    kernel = pool.acquire()

    def on_cell(n: int, of: int) -> None:
        notify(ChapterProgress(source, "cell", time.monotonic() - start, plan.reason, (n, of)))

    try:
        raw, files, report = _execute(
            kernel,
            plan.doc,
            plan.options,
            root,
            plan.figure_size,
            plan.cwd,
            figure_dpi=plan.figure_dpi,
            injection=(plan.inject_after, injection_code(plan.injected)) if plan.injected else None,
            fonts=plan.fonts,
            on_cell=on_cell,
            notify=notify,
        )
    finally:
        kernel.close()
        release_event_loop()
    seconds = round(time.monotonic() - start, 3)
    pool.learn(report.get("modules", {}))
    deps = _dependencies(report, root, data_dir, config.output_dir)
    result = freeze.FrozenResult(
        code_key=plan.key,
        engine=freeze.ENGINE_VERSION,
        source_hash=plan.doc.source_hash,
        modules=deps.modules,
        data_files=deps.data_files,
        outputs=raw,
        seconds=seconds,
    )
    freeze.save(root, source, result, files, plan.store)
    markdown, tables, figs = weave(
        plan.doc, raw, plan.options, freeze.figure_dir(root, source, plan.store), plan.code_display
    )
    notify(ChapterProgress(source, "executed", seconds, plan.reason))
    chapter = ExecutedChapter(
        source=source,
        front_matter=plan.doc.front_matter,
        markdown=markdown,
        tables=tables,
        figures=figs,
        dependencies=deps,
        seconds=seconds,
        from_freeze=False,
    )
    if on_executed is not None:
        on_executed(chapter)
    return chapter


# --------------------------------------------------------------------------------------
# Talking to the kernel
# --------------------------------------------------------------------------------------


@dataclass
class _Reply:
    content: dict[str, Any]
    outputs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text_chars: int = 0  # characters of stream text the cell printed (kept or not)


class _CellTimeout(Exception):
    pass


def _keep_stream(outputs: list[tuple[str, dict[str, Any]]], content: dict[str, Any], room: int):
    """Append a stream message, cut to the `room` characters still allowed for the cell."""
    text = str(content.get("text", ""))
    if room <= 0:
        return
    outputs.append(("stream", {**content, "text": text[:room]}))


def _request(
    kernel: Kernel,
    code: str,
    *,
    silent: bool = False,
    user_expressions: dict[str, str] | None = None,
    timeout: float | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> _Reply:
    """Send one execute_request and collect its outputs until the kernel is idle again.

    `timeout` (seconds, None or <= 0: none) raises _CellTimeout; `on_wait(seconds)` is
    called while a request runs long (every SLOW_CELL_SECONDS), so progress can name it.
    Stream text beyond MAX_CELL_TEXT characters is dropped (counted in `text_chars`)."""
    client = kernel.client
    started = time.monotonic()
    deadline = started + timeout if timeout and timeout > 0 else None
    next_wait = started + SLOW_CELL_SECONDS
    text_chars = 0
    msg_id = client.execute(
        code,
        silent=silent,
        store_history=not silent,
        user_expressions=user_expressions or {},
        allow_stdin=False,
        stop_on_error=False,
    )
    outputs: list[tuple[str, dict[str, Any]]] = []
    while True:
        now = time.monotonic()
        if deadline is not None and now > deadline:
            raise _CellTimeout()
        if on_wait is not None and now > next_wait:
            on_wait(now - started)
            next_wait = now + SLOW_CELL_SECONDS
        try:
            msg = client.get_iopub_msg(timeout=1.0)
        except queue.Empty:
            if not kernel.alive():
                raise _KernelDied(kernel.log_tail()) from None
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content.get("execution_state") == "idle":
            break
        if kind == "stream":
            _keep_stream(outputs, content, MAX_CELL_TEXT - min(text_chars, MAX_CELL_TEXT))
            text_chars += len(str(content.get("text", "")))
        elif kind in ("display_data", "execute_result", "error"):
            outputs.append((kind, content))
        elif kind == "clear_output":
            outputs.clear()
            text_chars = 0
    while True:
        try:
            reply = client.get_shell_msg(timeout=5.0)
        except queue.Empty:
            if not kernel.alive():
                raise _KernelDied(kernel.log_tail()) from None
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return _Reply(reply["content"], outputs, text_chars)


class _KernelDied(Exception):
    pass


def _figure_size(
    config: BookConfig, source: Path, front_matter: dict[str, Any]
) -> tuple[float, float] | None:
    """Quarto's document-level `fig-width`/`fig-height` (inches) for matplotlib's default."""
    meta = document_metadata(config, source, front_matter)
    width, height = meta.get("fig-width"), meta.get("fig-height")
    if width is None and height is None:
        return None
    default_w, default_h = 6.4, 4.8  # matplotlib's own default
    return (float(width or default_w), float(height or default_h))


MATPLOTLIB_DEFAULT_SIZE = (6.4, 4.8)


def _figure_dpi(config: BookConfig, source: Path, front_matter: dict[str, Any]) -> float | None:
    """Quarto's `fig-dpi` (document, `format: html:` or project): the resolution matplotlib
    rasterises images at inside the SVG (an `imshow`, a rasterised scatter)."""
    meta = document_metadata(config, source, front_matter)
    value = meta.get("fig-dpi")
    formats = meta.get("format")
    if value is None and isinstance(formats, dict) and isinstance(formats.get("html"), dict):
        value = formats["html"].get("fig-dpi")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return None


def _cell_figure_size(
    cell: CodeCell, document: tuple[float, float] | None
) -> tuple[float, float] | None:
    """A cell's own `fig-width`/`fig-height` (inches), the other side from the document's
    size or matplotlib's default; None when the cell sets neither (Quarto's cell options)."""
    width, height = cell.options.get("fig-width"), cell.options.get("fig-height")
    if width is None and height is None:
        return None
    base_w, base_h = document or MATPLOTLIB_DEFAULT_SIZE
    return (float(base_w if width is None else width), float(base_h if height is None else height))


def _execute(
    kernel: Kernel,
    doc: QmdDocument,
    options: ExecuteOptions,
    root: Path,
    figure_size: tuple[float, float] | None = None,
    cwd: Path | None = None,
    injection: tuple[int | None, str] | None = None,
    fonts: Sequence[Path] = (),
    figure_dpi: float | None = None,
    on_cell: Callable[[int, int], None] | None = None,
    notify: Callable[[ChapterProgress], None] | None = None,
) -> tuple[dict[str, Any], dict[str, bytes], dict[str, Any]]:
    """Run a chapter's cells and inline expressions in document order.

    `injection` is (index of the parameters cell or None, code): the parameter values run
    right after that cell, or before the first cell.  `on_cell(n, of)` is told before the
    n-th evaluated cell starts (progress).  Each cell may run `timeout` seconds
    (`execute: timeout:`, default 600): then the build stops with `file:line: cell timed out
    after N s` (the kernel is killed by the caller).
    """
    reply = _request(kernel, setup_code(root, figure_size, cwd, fonts), silent=True)
    if reply.content.get("status") != "ok":
        raise BuildError(f"kernel setup failed: {reply.content.get('evalue')}")
    if figure_dpi is not None:
        _request(
            kernel, rc_code({"figure.dpi": figure_dpi, "savefig.dpi": figure_dpi}), silent=True
        )
    if injection is not None and injection[0] is None:
        _inject(kernel, injection[1], doc)
    cells: dict[str, Any] = {}
    inline: list[dict[str, Any] | None] = []
    files: dict[str, bytes] = {}
    counts: dict[int, CodeCell] = {}
    total = sum(1 for b in doc.blocks if isinstance(b, CodeCell) and _cell_options(options, b).eval)
    number = 0
    notices: list[str] = []
    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            inline.extend(_inline(kernel, block, options, counts))
            continue
        cell_opts = _cell_options(options, block)
        if not cell_opts.eval:
            continue
        number += 1
        if on_cell is not None:
            on_cell(number, total)
        cell_size = _cell_figure_size(block, figure_size)

        def waiting(seconds: float, at: SourceLocation = block.location) -> None:
            if notify is not None:
                notify(ChapterProgress(at.path, "running", seconds, f"cell at {at}"))

        try:
            if cell_size is not None:
                _request(kernel, figure_size_code(cell_size), silent=True)
            reply = _request(kernel, block.source, timeout=cell_opts.timeout, on_wait=waiting)
            if cell_size is not None:
                restore = figure_size or MATPLOTLIB_DEFAULT_SIZE
                _request(kernel, figure_size_code(restore), silent=True)
        except _KernelDied as died:
            raise CellError(
                "the kernel died while running this cell", block.location, str(died)
            ) from None
        except _CellTimeout:
            raise CellError(
                f"cell timed out after {cell_opts.timeout:g} s (set `execute: timeout:` "
                "or the cell's `#| timeout:` to allow longer)",
                block.location,
            ) from None
        count = reply.content.get("execution_count")
        if isinstance(count, int):
            counts[count] = block
        outputs = [_raw_output(kind, content, block, files) for kind, content in reply.outputs]
        if reply.text_chars > MAX_CELL_TEXT:
            dropped = reply.text_chars - MAX_CELL_TEXT
            summary = f"\n[... {dropped:,} more characters of output not shown]\n"
            outputs.append({"type": "stream", "name": "stdout", "text": summary})
            integrity.note(
                f"{block.location}: the cell printed {reply.text_chars:,} characters; only "
                f"the first {MAX_CELL_TEXT:,} are kept"
            )
        for out in outputs:
            if out["type"] == "stream" and out["name"] == "stderr":
                for found in _DATA_NOTICE.finditer(out["text"]):
                    if found["text"] not in notices:
                        notices.append(found["text"].strip())
                        integrity.note(found["text"].strip())
        if reply.content.get("status") == "error" and not _allows_error(block, options):
            raise cell_error(_real_error(reply), block, counts, _error_report(kernel), root)
        cells[str(block.index)] = {"outputs": outputs}
        if injection is not None and injection[0] == block.index:
            _inject(kernel, injection[1], doc)
    report_reply = _request(kernel, "", silent=True, user_expressions={"r": REPORT_EXPRESSION})
    report = _expression_text(report_reply.content.get("user_expressions", {}).get("r"))
    raw: dict[str, Any] = {"cells": cells, "inline": inline, "files": sorted(files)}
    if notices:
        raw["notices"] = notices
    return raw, files, json.loads(report) if report else {}


def _inject(kernel: Kernel, code: str, doc: QmdDocument) -> None:
    """Run the injected-parameters cell (silently; its values come from `-P`/params files)."""
    reply = _request(kernel, code, silent=True)
    if reply.content.get("status") != "ok":
        where = parameters_cell(doc)
        raise CellError(
            f"injected parameters failed: {reply.content.get('ename')}: "
            f"{reply.content.get('evalue')}",
            where.location if where else SourceLocation(doc.path, 1),
        )


def _injection(
    doc: QmdDocument, declared: Mapping[str, Declared], params: Mapping[str, Any]
) -> tuple[dict[str, Any], int | None]:
    """What to inject into one document, and after which cell (None: before the first).

    Overrides go right after the parameters cell, as papermill and Quarto do. Defaults
    declared only under `params:` (not assigned in a cell) are injected too, so the code can
    use every declared name; a document without a parameters cell gets all of it up front.
    """
    cell = parameters_cell(doc)
    in_cell = set(cell_assignments(cell)) if cell is not None else set()
    values = {name: spec.default for name, spec in declared.items() if name not in in_cell}
    values.update({name: params[name] for name in declared if name in params})
    if not values:
        return {}, None
    return values, (cell.index if cell is not None else None)


def _allows_error(cell: CodeCell, options: ExecuteOptions) -> bool:
    return bool(_cell_options(options, cell).error)


def _inline(
    kernel: Kernel, block: MarkdownBlock, options: ExecuteOptions, counts: dict[int, CodeCell]
) -> list[dict[str, Any] | None]:
    if not block.inline:
        return []
    if not options.eval:
        return [None] * len(block.inline)
    expressions = {
        f"e{i}": f"__kce_inline__(({expr.code}\n))" for i, expr in enumerate(block.inline)
    }
    try:
        reply = _request(
            kernel, "", silent=True, user_expressions=expressions, timeout=options.timeout
        )
    except _KernelDied as died:
        raise CellError("the kernel died", block.inline[0].location, str(died)) from None
    except _CellTimeout:
        raise CellError(
            f"inline expression timed out after {options.timeout:g} s", block.inline[0].location
        ) from None
    values = reply.content.get("user_expressions", {})
    out: list[dict[str, Any] | None] = []
    for i, expr in enumerate(block.inline):
        result = values.get(f"e{i}", {})
        if result.get("status") != "ok":
            ename = result.get("ename", "Error")
            evalue = result.get("evalue", "inline expression failed")
            tail = _traceback_tail(result.get("traceback", []))
            raise CellError(f"{ename}: {evalue}", expr.location, tail)
        out.append(json.loads(_expression_text(result) or "null"))
    return out


def _expression_text(result: dict[str, Any] | None) -> str | None:
    """The str returned by a user expression (its text/plain repr, evaluated back)."""
    if not result or result.get("status") != "ok":
        return None
    plain = result.get("data", {}).get("text/plain")
    if plain is None:
        return None
    value = ast.literal_eval(plain)
    return value if isinstance(value, str) else None


def _traceback_tail(lines: Sequence[str]) -> str:
    text = _strip_ansi("\n".join(lines))
    rows = [r for r in text.splitlines() if r.strip() and not set(r.strip()) <= {"-"}]
    return "\n".join(rows[-TRACEBACK_TAIL:])


def _error_report(kernel: Kernel) -> dict[str, Any] | None:
    """The kernel's account of the error that just happened (frames, missing column)."""
    try:
        reply = _request(kernel, "", silent=True, user_expressions={"e": ERROR_EXPRESSION})
        text = _expression_text(reply.content.get("user_expressions", {}).get("e"))
        return json.loads(text) if text else None
    except (_KernelDied, ValueError, SyntaxError):
        return None


def _real_error(reply: _Reply) -> dict[str, Any]:
    """The error to report: an exception raised while IPython displayed a value (a failing
    `_repr_html_`) leaves the reply saying `NoneType: None`; the error output has the truth."""
    content = reply.content
    if content.get("ename") not in (None, "", "NoneType"):
        return content
    errors = [c for kind, c in reply.outputs if kind == "error" and c.get("ename")]
    return errors[-1] if errors else content


def _raw_output(
    kind: str, content: dict[str, Any], cell: CodeCell, files: dict[str, bytes]
) -> dict[str, Any]:
    """A kernel message as a small JSON record; images go to `files`."""
    if kind == "stream":
        return {"type": "stream", "name": content.get("name", "stdout"), "text": content["text"]}
    if kind == "error":
        return {
            "type": "error",
            "ename": content.get("ename", ""),
            "evalue": content.get("evalue", ""),
            "traceback": [_strip_ansi(t) for t in content.get("traceback", [])],
        }
    data = content.get("data", {})
    record: dict[str, Any] = {"type": "display"}
    for mime, suffix in IMAGE_MIMES.items():
        if mime in data:
            name = f"cell-{cell.index + 1:03d}-{len(files) + 1:02d}{suffix}"
            payload = data[mime]
            files[name] = payload.encode() if mime == "image/svg+xml" else base64.b64decode(payload)
            record["image"] = name
            break
    kept = {m: data[m] for m in KEPT_MIMES if m in data}
    if "image" in record:
        kept.pop("text/plain", None)  # "<Figure size …>" is not output
    record["data"] = kept
    return record


_SOURCE_FILE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyd", ".so")
_IGNORED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints", ".quartowrap", freeze.FREEZE_DIR}
_PACKAGE_METADATA = (".egg-info", ".dist-info")  # read by importlib.metadata, not data


def _tracked(rel: Path, ignored: set[str]) -> bool:
    return not ignored.intersection(rel.parts) and not any(
        part.endswith(_PACKAGE_METADATA) for part in rel.parts
    )


def _dependencies(
    report: dict[str, Any], root: Path, data_dir: Path | None, output_dir: Path
) -> Dependencies:
    """Project modules imported and data files read, by content hash."""
    root = root.resolve()
    data = Path(data_dir).resolve() if data_dir else None
    ignored = _IGNORED_PARTS | {output_dir.parts[0] if output_dir.parts else "_output"}
    modules: dict[str, str] = {}
    for file in sorted(set(report.get("modules", {}).values())):
        path = Path(file)
        if path.suffix == ".pyc":
            continue
        if inside_project(str(path.resolve()), str(root)):
            rel = path.resolve().relative_to(root)
            if _tracked(rel, ignored):
                modules[rel.as_posix()] = freeze.hash_file(path)
    data_files: dict[str, str] = {}
    for file in report.get("files", []):
        path = Path(file).resolve()
        if path.suffix in _SOURCE_FILE_SUFFIXES or not path.is_file():
            continue
        name: str | None = None
        if data is not None and (path == data or data in path.parents):
            name = freeze.DATA_DIR_PREFIX + path.relative_to(data).as_posix()
            if inside_project(str(path), str(root)):
                name = path.relative_to(root).as_posix()
        elif inside_project(str(path), str(root)):
            rel = path.relative_to(root)
            if _tracked(rel, ignored):
                name = rel.as_posix()
        if name is not None:
            data_files[name] = freeze.hash_file(path)
    return Dependencies(modules=modules, data_files=dict(sorted(data_files.items())))
