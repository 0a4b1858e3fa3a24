"""Render a book project into a release: the one function the CLI, nox and tests call.

Stages (each in its own module): config → execute (with freeze) → assemble → HTML / PDF
writers → release.  With the `quarto` engine the project is handed to `quarto render`
and only the release step is shared.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import quartowrap.publish.buildcache as buildcache
from quartowrap import __version__, integrity
from quartowrap.errors import BuildError, UnresolvedReferenceError
from quartowrap.model import (
    AssembledBook,
    BookConfig,
    ChapterRef,
    EngineName,
    ExecutedChapter,
    RenderOptions,
)
from quartowrap.progress import Progress
from quartowrap.project.confine import resolved
from quartowrap.publish.csv_safety import neutralise_formulas
from quartowrap.publish.release import (
    build_epoch,
    git_state,
    iso_date,
    normalise_mtimes,
    publish,
    resolve_version,
    sha256_file,
    staging_directory,
    write_checksums,
    write_manifest,
)


@dataclass
class RenderResult:
    release_dir: Path
    version: str
    engine: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    chapters: list[ExecutedChapter] = field(default_factory=list)


def resolve_engine(requested: EngineName | None, configured: EngineName) -> str:
    """`auto` means the real Quarto CLI when it is on PATH, else the embedded engine."""
    engine = requested or configured or "auto"
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "embedded"
    if engine == "quarto" and not shutil.which("quarto"):
        raise BuildError(
            "engine 'quarto' was requested but no `quarto` binary is on PATH; "
            "use --engine embedded (the default when Quarto is absent)"
        )
    return engine


def book_slug(config: BookConfig) -> str:
    """File-name stem of the PDF: `kce.slug`, else `kce-report-<number>`, else the title."""
    if config.kce.get("slug"):
        return str(config.kce["slug"])
    number = config.kce.get("report-number")
    if number:
        return f"kce-report-{number}"
    return re.sub(r"[^a-z0-9]+", "-", config.title.lower()).strip("-") or "book"


def _select_chapters(config: BookConfig, chapter: Path | None) -> tuple[ChapterRef, ...]:
    if chapter is None:
        return config.chapters
    wanted = (config.root / chapter).resolve() if not chapter.is_absolute() else chapter
    for ref in config.chapters:
        if (config.root / ref.source).resolve() == wanted:
            return (ref,)
    known = ", ".join(ref.source.as_posix() for ref in config.chapters)
    raise BuildError(f"--chapter {chapter}: not a chapter of this book (chapters: {known})")


def render_project(
    root: Path,
    options: RenderOptions | None = None,
    *,
    progress: Progress | None = None,
) -> RenderResult:
    """Render the project at `root`; raise BuildError (nothing published) on failure."""
    from quartowrap.project.config import load_book_config

    options = options or RenderOptions()
    progress = progress or Progress.for_environment()
    started = time.perf_counter()
    root = root.resolve()
    config = load_book_config(root)
    engine = resolve_engine(options.engine, config.engine)
    version = options.version or resolve_version(root, config.version)
    output_root = options.output_root or (root / config.output_dir)
    data_dir = resolved(options.data_dir) if options.data_dir else None  # loops: ConfigError
    if data_dir is not None and not data_dir.is_dir():
        raise BuildError(f"--data-dir {options.data_dir}: no such directory")
    progress.start(f"Rendering {config.title} {version} ({engine} engine)")
    integrity.drain_warnings()  # nothing left over from an earlier build in this process
    executed: list[ExecutedChapter] = []
    build_print: str | None = None
    if engine == "embedded":
        executed = _execute(config, options, data_dir, progress)
        build_print = buildcache.fingerprint(
            config,
            executed,
            options={
                "to": options.to,
                "strict": options.strict,
                "chapter": options.chapter,
                "data_dir": data_dir,
                "params": options.params,
            },
            version=version,
            commit=git_state(root).commit,
            epoch=build_epoch(root),
        )
        previous = buildcache.reusable(root, output_root / version, build_print)
        if previous is not None:
            seconds = time.perf_counter() - started
            progress.done(
                f"Release {version} is up to date ({output_root / version}, {seconds:.1f} s)"
            )
            previous = [*previous, *integrity.drain_warnings()]
            for warning in previous:
                progress.warn(warning)
            return RenderResult(output_root / version, version, engine, previous, seconds, executed)

    with staging_directory(output_root) as staging:
        if engine == "quarto":
            from quartowrap.handoff.quarto_cli import render_with_quarto

            pdf_name = f"{book_slug(config)}-{version}.pdf"
            render_with_quarto(root, staging, options, data_dir=data_dir, pdf_name=pdf_name)
            warnings: list[str] = []
            book: AssembledBook | None = None
        else:
            book = _render_embedded(config, options, staging, version, executed, progress)
            warnings = list(book.warnings)
        _write_manifest(
            root, config, staging, version, engine, executed, book, data_dir, options.params
        )
        normalise_mtimes(staging, build_epoch(root))
        release_dir = publish(
            staging, output_root, version, link_latest=options.version != "preview"
        )
    if build_print is not None:
        buildcache.remember(root, release_dir, build_print, warnings)
    # damaged cache entries were rebuilt: said once, not remembered for later builds
    warnings += integrity.drain_warnings()

    seconds = time.perf_counter() - started
    progress.done(f"Release {version} written to {release_dir} in {seconds:.1f} s")
    for warning in warnings:
        progress.warn(warning)
    return RenderResult(release_dir, version, engine, warnings, seconds, executed)


def _figure_fonts() -> tuple[Path, ...]:
    """The PDF writer's font files: figures set their text in them, so it matches the page."""
    from quartowrap.writers.typst.pdf import FONT_DIR

    return tuple(sorted(p for p in FONT_DIR.iterdir() if p.suffix.lower() in {".otf", ".ttf"}))


def _execute(
    config: BookConfig, options: RenderOptions, data_dir: Path | None, progress: Progress
) -> list[ExecutedChapter]:
    """Execute the book's chapters (or reuse them from freeze), in reading order.

    With `--chapter`, as with `quarto render chapter.qmd` in a book, that chapter always
    executes and the others are taken from their stored results whenever these exist
    (freeze: true), so the whole book is assembled with its book-wide numbering.
    """
    from quartowrap.execute.engine import execute_chapters

    def run(
        book: BookConfig, refs: tuple[ChapterRef, ...], use_freeze: bool
    ) -> list[ExecutedChapter]:
        return execute_chapters(
            book,
            refs,
            data_dir=data_dir,
            use_freeze=use_freeze,
            jobs=options.jobs,
            on_progress=progress.chapter,
            params=options.params,
            figure_fonts=_figure_fonts(),
        )

    if options.chapter is None:
        return run(config, config.chapters, options.use_freeze)
    [selected] = _select_chapters(config, options.chapter)
    others = tuple(ref for ref in config.chapters if ref != selected)
    execute = {**(config.metadata.get("execute") or {}), "freeze": True}
    stored = replace(
        config,
        execute=replace(config.execute, freeze=True),
        metadata={**config.metadata, "execute": execute},
    )
    results = {ref: chapter for ref, chapter in zip(others, run(stored, others, True), strict=True)}
    results[selected] = run(config, (selected,), False)[0]
    return [results[ref] for ref in config.chapters]


def _render_embedded(
    config: BookConfig,
    options: RenderOptions,
    staging: Path,
    version: str,
    executed: list[ExecutedChapter],
    progress: Progress,
) -> AssembledBook:
    from quartowrap.assemble.book import assemble_book

    stage = progress.stage("Assembling (pandoc, cross-references, citations)")
    cache = config.root / ".quartowrap" / "pandoc"
    book = assemble_book(config, executed, strict=options.strict, cache_dir=cache)
    stage.finish()
    commit = git_state(config.root).commit
    book = _check_alt_text(book, strict=options.strict)
    writers: dict[str, Callable[[], None]] = {}
    if "html" in options.to:
        from quartowrap.writers.html.site import write_html_site

        html_cache = config.root / ".quartowrap" / "html"
        writers["HTML"] = lambda: write_html_site(
            book, staging / "html", version=version, commit=commit, cache_dir=html_cache
        )
    if "pdf" in options.to and options.chapter is None:
        from quartowrap.writers.typst.pdf import write_pdf

        pdf_path = staging / f"{book_slug(config)}-{version}.pdf"
        roots = (options.data_dir.resolve(),) if options.data_dir else ()
        writers["PDF (typst)"] = lambda: write_pdf(
            book, pdf_path, version=version, commit=commit, roots=roots
        )
    # The two writers share nothing but the (immutable) book and spend their time in pandoc
    # and typst, so they run side by side.
    stage = progress.stage("Writing " + " and ".join(writers))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(write) for name, write in writers.items()}
        results = {name: future.result() for name, future in futures.items()}
    stage.finish()
    writer_warnings = list(results.get("PDF (typst)") or [])  # e.g. why it is not PDF/UA-1
    book = replace(book, warnings=(*book.warnings, *writer_warnings))
    if "HTML" in writers:
        from quartowrap.writers.html.site import last_warnings

        written = last_warnings()
        if written and options.strict:  # images or link targets not found
            raise UnresolvedReferenceError(
                f"{len(written)} problem(s) found while writing HTML", detail="\n".join(written)
            )
        book = replace(book, warnings=(*book.warnings, *written))
    _export_tables_and_figures(book, staging)
    return book


def _check_alt_text(book: AssembledBook, *, strict: bool) -> AssembledBook:
    """Every figure needs alt text for screen readers: a warning, an error with --strict."""
    missing = [
        f"{_figure_line(book, figure.label)}: figure @{figure.label} has no alt text "
        "(add `#| fig-alt: …` to its cell)"
        for figure in book.figures
        if not (figure.alt or "").strip()
    ]
    if missing and strict:
        raise UnresolvedReferenceError("figures without alt text", detail="\n".join(missing))
    return replace(book, warnings=(*book.warnings, *missing)) if missing else book


def _figure_line(book: AssembledBook, label: str) -> str:
    """`file:line` of the figure's label (`#| label: fig-x` or `{#fig-x}`), else the file."""
    source = _figure_source(book, label)
    if source == "?":
        return source
    pattern = re.compile(rf"(label:\s*|#){re.escape(label)}(?![\w-])")
    try:
        text = (book.config.root / source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return source
    parent = re.sub(r"-\d+$", "", label)  # a panel's part: the parent cell's label
    for wanted in (pattern, re.compile(rf"(label:\s*|#){re.escape(parent)}(?![\w-])")):
        for number, line in enumerate(text.splitlines(), start=1):
            if wanted.search(line):
                return f"{source}:{number}"
    return source


def _figure_source(book: AssembledBook, label: str) -> str:
    xref = book.xrefs.get(label)
    for chapter in book.chapters:
        if xref is not None and chapter.ref.slug == xref.chapter:
            return chapter.ref.source.as_posix()
    return "?"


def _export_tables_and_figures(book: AssembledBook, staging: Path) -> None:
    """The data behind every labelled table and figure, next to the report (formula-looking
    text cells made text: see publish/csv_safety.py)."""
    if book.tables:
        (staging / "tables").mkdir(exist_ok=True)
    for table in book.tables:
        (staging / "tables" / f"{table.label}.csv").write_text(
            neutralise_formulas(table.csv), encoding="utf-8"
        )
    if book.figures:
        (staging / "figures").mkdir(exist_ok=True)
    for figure in book.figures:
        shutil.copyfile(figure.svg, staging / "figures" / f"{figure.label}.svg")
        if figure.csv is not None:
            (staging / "figures" / f"{figure.label}.csv").write_text(
                neutralise_formulas(figure.csv), encoding="utf-8"
            )


def _relative(path: Path, root: Path, data_dir: Path | None) -> str:
    for base, prefix in ((root, ""), (data_dir, "<data-dir>/")):
        if base is not None:
            try:
                return prefix + path.resolve().relative_to(base).as_posix()
            except ValueError:
                continue
    return path.as_posix()


def _write_manifest(
    root: Path,
    config: BookConfig,
    staging: Path,
    version: str,
    engine: str,
    executed: list[ExecutedChapter],
    book: AssembledBook | None,
    data_dir: Path | None,
    params: dict[str, Any] | None = None,
) -> None:
    epoch = build_epoch(root)
    state = git_state(root)
    data_files: dict[str, str] = {}
    for chapter in executed:
        for name, digest in chapter.dependencies.data_files.items():
            data_files[_relative(Path(name), root, data_dir)] = digest
    chapters = {
        ref.source.as_posix(): sha256_file(root / ref.source)
        for ref in config.chapters
        if (root / ref.source).is_file()
    }
    tables = [
        {"label": t.label, "caption": t.caption, "csv": f"tables/{t.label}.csv"}
        for t in (book.tables if book else ())
    ]
    figures = [
        {"label": f.label, "caption": f.caption, "alt": f.alt, "svg": f"figures/{f.label}.svg"}
        for f in (book.figures if book else ())
    ]
    if book is not None:
        for entry in tables + figures:
            xref = book.xrefs.get(str(entry["label"]))
            entry["number"] = xref.label if xref else None
    write_manifest(
        staging,
        {
            "title": config.title,
            "version": version,
            "git_commit": state.commit,
            "git_dirty": state.dirty,
            "build_date": iso_date(epoch),
            "source_date_epoch": epoch,
            "engine": engine,
            "quartowrap": __version__,
            "data_dir": "data" if data_dir is None else _relative(data_dir, root, None),
            "params": dict(sorted((params or {}).items())),
            "chapters": chapters,
            "data_files": dict(sorted(data_files.items())),
            "tables": tables,
            "figures": figures,
            "report_number": config.kce.get("report-number"),
        },
    )
    write_checksums(staging)


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


ProgressCallback = Callable[[str], None]
