"""`render --params-table FILE.csv`: one edition of the book per row, published as one release.

Each edition is a complete release of its own (HTML, PDF, tables, figures, manifest with its
parameter values, SHA256SUMS) in `_output/<version>/editions/<edition>/`, with an index page
listing them all.  Editions never share freeze entries or figures: each set of parameter
values has its own freeze store (`execute.freeze.params_store`).

Speed comes from warm state.  A worker process renders several editions in sequence and
keeps, between them, its imported modules and one kernel fork server whose imports of the
chapters' third-party modules (pandas, matplotlib, …) are paid once, instead of a cold
`quartowrap render -P` process per edition.  Workers are local processes (`--workers N`)
or the workers of a Dask cluster (`--scheduler ADDRESS`), which send each edition back as a
tar archive; the publishing machine writes the release either way.

A failed edition is reported by name with its `file:line` error; the others still render,
nothing is published and the exit code is non-zero.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from quartowrap.errors import BuildError, ConfigError
from quartowrap.execute.kernels import KernelPool
from quartowrap.model import BookConfig, OutputFormat, RenderOptions
from quartowrap.progress import Progress
from quartowrap.project.params_table import book_declarations, read_params_table
from quartowrap.publish.editions import pack, publish_editions, unpack, write_index
from quartowrap.publish.release import (
    GitState,
    build_epoch,
    remembered_git_states,
    resolve_version,
    staging_directory,
)

# On a Dask worker the checkout may live elsewhere than on the publishing machine.
WORKER_PROJECT_ENV = "QUARTOWRAP_EDITIONS_PROJECT"


@dataclass(frozen=True)
class EditionJob:
    """Everything a worker needs to render one edition (plain data: it is pickled)."""

    root: str
    name: str
    params: dict[str, Any]
    version: str
    to: tuple[OutputFormat, ...] = ("html", "pdf")
    data_dir: str | None = None  # relative to the root when inside it
    strict: bool = False
    use_freeze: bool = True
    jobs: int = 1
    target: str | None = None  # write here (same machine); None: send back an archive


@dataclass
class EditionResult:
    name: str
    seconds: float
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    archive: bytes | None = None
    worker: int = 0  # the process that rendered it

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class EditionsResult:
    """What `render_editions` did: the published folder (None when an edition failed)."""

    version: str
    editions_dir: Path | None
    results: list[EditionResult]
    seconds: float

    @property
    def failed(self) -> list[EditionResult]:
        return [r for r in self.results if not r.ok]


# --------------------------------------------------------------------------------------
# In a worker: render one edition with warm state
# --------------------------------------------------------------------------------------

_POOLS: dict[tuple[str, str, int], KernelPool] = {}
_ONE_AT_A_TIME = threading.Lock()
_CONFIGS: dict[str, tuple[float, BookConfig]] = {}
_GIT_STATES: dict[str, GitState] = {}  # the checkout's commit, read once per run


def _warm_pool(config: BookConfig, data_dir: Path | None, jobs: int) -> KernelPool:
    """This process's kernel fork server for the book, started once and reused."""
    from quartowrap.execute.import_scan import preload_candidates
    from quartowrap.execute.kernels import kernel_environment
    from quartowrap.project.config import directory_metadata
    from quartowrap.project.qmd import parse_qmd

    key = (str(config.root), str(data_dir), jobs)
    pool = _POOLS.get(key)
    if pool is None or pool.closed:
        needs: list[str] = []
        for ref in config.chapters:
            doc = parse_qmd(ref.source, config.root, directory_metadata(config, ref.source))
            needs += preload_candidates([c.code for c in doc.cells], config.root)
        pool = KernelPool(
            root=config.root,
            env=kernel_environment(config.root, data_dir),
            preload=tuple(dict.fromkeys(needs)),
            prestart=jobs,
            learns=True,  # every edition forks the same chapters
        ).start()
        _POOLS[key] = pool
    return pool


def close_warm_state() -> None:
    """Stop this process's fork servers and kernels (end of a run, or the worker's exit)."""
    while _POOLS:
        _, pool = _POOLS.popitem()
        pool.close()
    _CONFIGS.clear()
    _GIT_STATES.clear()


def _book(root: Path, data_dir: Path | None = None) -> BookConfig:
    """The book's configuration (with `data_dir`, as a single render sets it: the front
    matter reads its glossary there), read again only when `_quarto.yml` changed.

    The same object for every edition: the writers memoise work per configuration, and a
    fresh copy per edition made each one ~2x slower."""
    from quartowrap.project.config import load_book_config

    project_file = root / "_quarto.yml"
    if not project_file.is_file():
        return load_book_config(root)  # its error names what is missing
    stamp = project_file.stat().st_mtime
    key = f"{root}\0{data_dir or ''}"
    cached = _CONFIGS.get(key)
    if cached is None or cached[0] != stamp:
        config = load_book_config(root)
        if data_dir is not None:
            config = replace(config, data_dir=data_dir)
        cached = (stamp, config)
        _CONFIGS[key] = cached
    return cached[1]


def render_edition(job: EditionJob) -> EditionResult:
    """Render one edition into `job.target` (or an archive); errors are returned, not raised.

    Editions given to one process in several threads (a Dask worker with `--nthreads 2`)
    take turns: the warm fork server and the writers are shared by the whole process.
    """
    with _ONE_AT_A_TIME, remembered_git_states(_GIT_STATES):
        return _render_edition(job)


def _render_edition(job: EditionJob) -> EditionResult:
    started = time.perf_counter()
    worker = os.getpid()
    root = Path(os.environ.get(WORKER_PROJECT_ENV) or job.root).resolve()
    scratch: Path | None = None
    try:
        if job.target is not None:
            final = Path(job.target)
            out = final.with_name(f".{final.name}.partial")
        else:
            scratch = Path(tempfile.mkdtemp(prefix="quartowrap-edition-"))
            out = scratch / job.name
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        warnings = _render_into(root, job, out)
        archive = None
        if job.target is not None:
            out.rename(Path(job.target))
        else:
            archive = pack(out)
        seconds = time.perf_counter() - started
        return EditionResult(job.name, seconds, None, warnings, archive, worker)
    except BuildError as error:
        return EditionResult(job.name, time.perf_counter() - started, str(error), worker=worker)
    except Exception as error:  # a crash in one edition must not stop the others
        tail = "".join(traceback.format_exception(error)[-3:]).rstrip()
        return EditionResult(
            job.name,
            time.perf_counter() - started,
            f"{type(error).__name__}: {error}\n{tail}",
            worker=worker,
        )
    finally:
        if job.target is not None:
            partial = Path(job.target).with_name(f".{Path(job.target).name}.partial")
            shutil.rmtree(partial, ignore_errors=True)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _render_into(root: Path, job: EditionJob, out: Path) -> list[str]:
    """The stages of `render_project` for one edition, writing the release into `out`."""
    import json

    from quartowrap.commands import render as single
    from quartowrap.execute.engine import execute_chapters
    from quartowrap.publish.release import normalise_mtimes, write_checksums

    data_dir = (root / job.data_dir).resolve() if job.data_dir else None
    if data_dir is not None and not data_dir.is_dir():
        raise BuildError(f"--data-dir {job.data_dir}: no such directory on this worker")
    config = _book(root, data_dir)
    options = RenderOptions(
        to=job.to,
        strict=job.strict,
        data_dir=data_dir,
        use_freeze=job.use_freeze,
        version=job.version,
        jobs=job.jobs,
        params=dict(job.params),
    )
    quiet = Progress(io.StringIO(), plain=True, quiet=True)
    executed = execute_chapters(
        config,
        config.chapters,
        data_dir=data_dir,
        use_freeze=job.use_freeze,
        jobs=job.jobs,
        params=options.params,
        kernels=_warm_pool(config, data_dir, job.jobs),
        figure_fonts=single._figure_fonts(config),
    )
    # Each edition's PDF carries its edition's name (a reader keeps several side by side),
    # and its site links to it by that name.
    pdf_name = f"{single.book_slug(config)}-{job.name}-{job.version}.pdf"
    book = single._render_embedded(
        config, options, out, job.version, executed, quiet, pdf_name=pdf_name
    )
    single._write_manifest(
        root, config, out, job.version, "embedded", executed, book, data_dir, options.params
    )
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["edition"] = job.name
    manifest_path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    write_checksums(out)
    normalise_mtimes(out, build_epoch(root))
    return list(book.warnings)


# --------------------------------------------------------------------------------------
# On the publishing machine
# --------------------------------------------------------------------------------------


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class EditionProgress:
    """One line per finished edition: its time, a bar with N/M and the time left."""

    WIDTH = 20

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0
        self.started = time.perf_counter()

    def finished(self, result: EditionResult) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.done * (self.total - self.done)
        filled = round(self.WIDTH * self.done / self.total)
        bar = "█" * filled + "░" * (self.WIDTH - filled)
        status = "ok" if result.ok else "FAILED"
        line = (
            f"{bar} {self.done}/{self.total}  {result.name}: {status} in {result.seconds:.1f} s"
            f"  (elapsed {_clock(elapsed)}, about {_clock(left)} left)"
        )
        self.progress.line(line, "green" if result.ok else "bold red")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _run_in_process(jobs: list[EditionJob]) -> Iterator[EditionResult]:
    """`--workers 1`: this process renders every edition, its fork server kept warm."""
    try:
        for job in jobs:
            yield render_edition(job)
    finally:
        close_warm_state()


def _worker_started() -> None:
    """A worker process closes its warm state when the pool shuts it down."""
    from multiprocessing import util

    util.Finalize(None, close_warm_state, exitpriority=10)


def _run_in_processes(jobs: list[EditionJob], workers: int) -> Iterator[EditionResult]:
    """`--workers N`: N long-lived processes, each taking the next edition when free."""
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=get_context("spawn"), initializer=_worker_started
    ) as pool:
        futures = {pool.submit(render_edition, job): job.name for job in jobs}
        try:
            for future in as_completed(futures):
                yield _result_of(future, futures[future])
        finally:
            for future in futures:
                future.cancel()


def _result_of(future: Any, name: str) -> EditionResult:
    """The edition's result, or its failure when the worker process itself died."""
    try:
        return future.result()
    except Exception as error:  # a killed worker, a lost connection
        return EditionResult(name, 0.0, f"the worker rendering it failed: {error!r}")


def _run_on_dask(jobs: list[EditionJob], scheduler: Any) -> Iterator[EditionResult]:
    """`--scheduler ADDRESS`: editions go to a Dask cluster and come back as archives."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - the extra is not installed
        raise BuildError(
            "--scheduler needs dask.distributed: pip install 'quartowrap[editions]'"
        ) from None
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    run = uuid.uuid4().hex[:8]  # two runs on one cluster never share a task key
    try:
        futures = {
            client.submit(render_edition, job, key=f"edition-{run}-{job.name}", pure=False): (
                job.name
            )
            for job in jobs
        }
        for future in dask_completed(list(futures)):
            yield _result_of(future, futures[future])
    finally:
        client.run(close_warm_state)
        if client is not scheduler:
            client.close()


def render_editions(
    root: Path,
    table: Path,
    options: RenderOptions | None = None,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    progress: Progress | None = None,
) -> EditionsResult:
    """Render one edition per row of `table`; publish them as one release if all succeed.

    `scheduler` is a Dask scheduler address (or a `distributed.Client`); otherwise
    `workers` local processes (default: one per core; 1 renders in this process).
    """
    from quartowrap.commands.render import resolve_engine

    options = options or RenderOptions()
    progress = progress or Progress.for_environment()
    started = time.perf_counter()
    root = root.resolve()
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: give at least 1")
    if options.chapter is not None:
        raise ConfigError("--params-table renders whole books; it cannot be used with --chapter")
    config = _book(root)
    if resolve_engine(options.engine or "embedded", "embedded") != "embedded":
        raise ConfigError("--params-table renders with the embedded engine (--engine embedded)")
    editions = read_params_table(
        table, book_declarations(config), options.params, shown_as=_shown(table)
    )
    version = options.version or resolve_version(root, config.version)
    output_root = options.output_root or (root / config.output_dir)
    data_dir = _data_dir_for_workers(root, options.data_dir)
    workers = max(1, workers or default_workers())
    local = scheduler is None
    if local:
        workers = min(workers, len(editions))
    jobs_per_edition = max(1, default_workers() // workers) if local else 1
    where = f"Dask scheduler {_address(scheduler)}" if not local else f"{workers} worker(s)"
    progress.start(f"Rendering {len(editions)} editions of {config.title} {version} on {where}")
    results: list[EditionResult] = []
    with staging_directory(output_root) as staging:
        jobs = [
            EditionJob(
                root=str(root),
                name=edition.name,
                params=edition.params,
                version=version,
                to=options.to,
                data_dir=data_dir,
                strict=options.strict,
                use_freeze=options.use_freeze,
                jobs=jobs_per_edition,
                target=str(staging / edition.name) if local else None,
            )
            for edition in editions
        ]
        runner = _runner(jobs, workers, scheduler)
        bar = EditionProgress(progress, len(jobs))
        for result in runner:
            if result.archive is not None:
                unpack(result.archive, staging / result.name)
                result.archive = None
            results.append(result)
            bar.finished(result)
            if result.error:
                progress.error(f"edition {result.name} failed: {result.error}")
        order = {edition.name: i for i, edition in enumerate(editions)}
        results.sort(key=lambda r: order[r.name])
        for result in results:
            for warning in result.warnings:
                progress.warn(f"[{result.name}] {warning}")
        if any(not r.ok for r in results):
            return EditionsResult(version, None, results, time.perf_counter() - started)
        write_index(
            staging,
            title=config.title,
            version=version,
            editions=[(e.name, e.params) for e in editions],
        )
        published = publish_editions(staging, output_root, version, build_epoch(root))
    seconds = time.perf_counter() - started
    count = f"{len(editions)} edition" + ("" if len(editions) == 1 else "s")
    progress.done(f"{count} written to {published} in {seconds:.1f} s")
    return EditionsResult(version, published, results, seconds)


def _runner(jobs: list[EditionJob], workers: int, scheduler: Any) -> Iterable[EditionResult]:
    if scheduler is not None:
        return _run_on_dask(jobs, scheduler)
    if workers == 1:
        return _run_in_process(jobs)
    return _run_in_processes(jobs, workers)


def _address(scheduler: Any) -> str:
    return scheduler if isinstance(scheduler, str) else type(scheduler).__name__


def _shown(table: Path) -> Path:
    """The table as the user named it: relative to the working directory when inside it."""
    try:
        return table.resolve().relative_to(Path.cwd())
    except ValueError:
        return table


def _data_dir_for_workers(root: Path, data_dir: Path | None) -> str | None:
    """Relative to the project when inside it, so a worker's own checkout finds it."""
    if data_dir is None:
        return None
    resolved = data_dir.resolve()
    if not resolved.is_dir():
        raise BuildError(f"--data-dir {data_dir}: no such directory")
    if resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    return str(resolved)
