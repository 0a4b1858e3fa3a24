"""Render a book project into a release: the one function the CLI, nox and tests call.

Stages (each in its own module): config → execute (with freeze) → assemble → HTML / PDF
writers → release.  With the `quarto` engine the project is handed to `quarto render`
and only the release step is shared.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import quartowrap.publish.buildcache as buildcache
from quartowrap import __version__, integrity
from quartowrap.assemble.book import prepare_early
from quartowrap.errors import BuildError, UnresolvedReferenceError
from quartowrap.execute.kernels import close_early_fork_servers
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
from quartowrap.project.theme import house_metadata, theme_of
from quartowrap.publish.csv_safety import neutralise_formulas
from quartowrap.publish.release import (
    build_epoch,
    git_state,
    is_development_version,
    iso_date,
    normalise_mtimes,
    publish,
    resolve_version,
    sha256_file,
    staging_directory,
    update_latest_link,
    write_checksums,
    write_manifest,
)
from quartowrap.writers.frontmatter import fill_text


@dataclass
class RenderResult:
    release_dir: Path
    version: str
    engine: str
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    chapters: list[ExecutedChapter] = field(default_factory=list)
    book: AssembledBook | None = None  # None: reused as it was, or built by Quarto


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
    """File-name stem of the PDF: the metadata's `slug`, else the theme's (`kce-report-<number>`),
    else the title."""
    meta = house_metadata(config)
    if meta.get("slug"):
        return str(meta["slug"])
    if meta.get("report-number"):
        slug = fill_text(theme_of(config).slug, meta)
        if slug:
            return slug
    return re.sub(r"[^a-z0-9]+", "-", config.title.lower()).strip("-") or "book"


_IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+([A-Za-z_]\w*)", re.M)


def imported_packages(config: BookConfig, executed: Sequence[ExecutedChapter] = ()) -> list[str]:
    """Distributions the book's chapters import, plus `quartowrap: manifest-packages:` —
    what the release manifest records versions of.

    Import lines are read from the chapters and from the project modules their kernels
    imported (recorded by the engine), not parsed: this runs on every build and must cost
    milliseconds.  Standard-library and project modules are left out."""
    texts = [
        (config.root / ref.source).read_text(encoding="utf-8", errors="replace")
        for ref in config.chapters
        if (config.root / ref.source).is_file()
    ]
    for module in sorted({m for c in executed for m in c.dependencies.modules}):
        path = config.root / module
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    tops = {name for text in texts for name in _IMPORT.findall(text)}
    tops = {
        name
        for name in tops
        if name not in sys.stdlib_module_names
        and not (config.root / name).is_dir()
        and not (config.root / f"{name}.py").is_file()
    }
    options = config.metadata.get("quartowrap") or {}
    extra = (options.get("manifest-packages") or []) if isinstance(options, dict) else []
    return sorted(dict.fromkeys([*distributions_of(tops), *(str(name) for name in extra)]))


def distributions_of(modules: set[str]) -> list[str]:
    """The installed distributions that provide these top-level modules (unknown: left out).

    By name first (pandas, numpy), then `top_level.txt` (yaml → PyYAML), then, only for what
    is still missing, the file lists of distributions without one (sklearn → scikit-learn);
    `importlib.metadata.packages_distributions()` reads every file list and costs 0.5 s."""
    import importlib.util
    from importlib import metadata

    found: list[str] = []
    missing: set[str] = set()
    for module in sorted(modules):
        try:
            found.append(metadata.distribution(module).metadata["Name"])
        except metadata.PackageNotFoundError:
            with contextlib.suppress(ImportError, ValueError):
                if importlib.util.find_spec(module) is not None:  # installed, not by that name
                    missing.add(module)
    if not missing:
        return found
    without_list = []
    for dist in metadata.distributions():
        listed = dist.read_text("top_level.txt")
        if listed is None:
            without_list.append(dist)
        elif hits := missing & set(listed.split()):
            found.append(dist.metadata["Name"])
            missing -= hits
    for dist in without_list:
        if not missing:
            break
        record = dist.read_text("RECORD") or ""
        tops = {
            line.split("/", 1)[0].split(",", 1)[0].removesuffix(".py")
            for line in record.splitlines()
        }
        if hits := missing & tops:
            found.append(dist.metadata["Name"])
            missing -= hits
    return found


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
    if data_dir is not None:  # the front matter reads the theme's glossary from the data dir
        config = replace(config, data_dir=data_dir)
    progress.start(f"Rendering {config.title} {version} ({engine} engine)")
    integrity.drain_warnings()  # nothing left over from an earlier build in this process
    executed: list[ExecutedChapter] = []
    build_print: str | None = None
    if engine == "embedded":
        # Each chapter is parsed by pandoc and prepared as soon as it has executed, while the
        # others still run: assembling then finds it ready (assemble.book.prepare_early).
        parsing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="quartowrap-parse")
        parses: list[Future[Any]] = []
        cache = config.root / ".quartowrap" / "pandoc"

        def parse_early(chapter: ExecutedChapter) -> None:
            parses.append(parsing.submit(prepare_early, config, chapter, cache))

        # the writers' modules load while the kernels work, not after them
        parses.append(parsing.submit(_import_writers, options.to))
        highlighting: list[Future[Any]] = []

        def chapters_will_run() -> None:
            # the PDF's code is highlighted while the kernels start; a build that executes
            # nothing (the freeze serves every chapter) does not wait for it
            if not highlighting and "pdf" in options.to and options.chapter is None:
                highlighting.append(parsing.submit(_prehighlight, config))
                parses.append(highlighting[0])

        try:
            executed = _execute(
                config, options, data_dir, progress, parse_early, on_queued=chapters_will_run
            )
        finally:
            progress.idle()
            close_early_fork_servers()  # one started for a build that executed nothing
            wait(parses)  # a failed parse is run again, and reported, by assemble_book
            parsing.shutdown()
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
            if options.version != "preview":
                update_latest_link(output_root, version)
            seconds = time.perf_counter() - started
            previous = [*previous, *integrity.drain_warnings()]
            for warning in previous:
                progress.warn(warning)
            progress.done(
                f"Release {version} is up to date ({output_root / version}, {seconds:.1f} s)"
            )
            return RenderResult(output_root / version, version, engine, previous, seconds, executed)

    with staging_directory(output_root) as staging:
        if engine == "quarto":
            from quartowrap.handoff.quarto_cli import render_with_quarto

            pdf_name = f"{book_slug(config)}-{version}.pdf"
            render_with_quarto(root, staging, options, data_dir=data_dir, pdf_name=pdf_name)
            warnings: list[str] = []
            book: AssembledBook | None = None
        else:
            previous = output_root / version
            kept = _pdf_to_keep(config, options, previous, version, executed)
            kept_site = _html_to_keep(config, options, previous, executed)
            book = _render_embedded(
                config, options, staging, version, executed, progress, kept, kept_site
            )
            warnings = list(dict.fromkeys(book.warnings))  # each once
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
    for warning in warnings:
        progress.warn(warning)
    progress.done(f"Release {version} written to {release_dir} in {seconds:.1f} s")
    return RenderResult(release_dir, version, engine, warnings, seconds, executed, book)


def _import_writers(formats: Sequence[str]) -> None:
    """Load the writers this build will use (jinja2 and the HTML site's modules, typst)."""
    import importlib

    if "html" in formats:
        importlib.import_module("quartowrap.writers.html.site")
    if "pdf" in formats:
        importlib.import_module("quartowrap.writers.typst.pdf")


def _prehighlight(config: BookConfig) -> None:
    """The book's echoed code, highlighted for the PDF before it is needed (an optimisation:
    a failure here leaves the typst writer to highlight it)."""
    from quartowrap.execute.weave import echoed_code
    from quartowrap.writers.typst.highlighting import prehighlight

    with contextlib.suppress(Exception):
        prehighlight(config, echoed_code(config))


def _figure_fonts(config: BookConfig) -> tuple[Path, ...]:
    """The theme's font files (the PDF's): figures set their text in them, so it matches the
    page; a theme without fonts of its own leaves matplotlib's default."""
    theme = theme_of(config)
    if not theme.fonts:
        return ()
    folder = theme.path(theme.fonts)
    return tuple(sorted(p for p in folder.iterdir() if p.suffix.lower() in {".otf", ".ttf"}))


def _execute(
    config: BookConfig,
    options: RenderOptions,
    data_dir: Path | None,
    progress: Progress,
    on_executed: Callable[[ExecutedChapter], None] | None = None,
    on_queued: Callable[[], None] | None = None,
) -> list[ExecutedChapter]:
    """Execute the book's chapters (or reuse them from freeze), in reading order;
    `on_queued` is called when a chapter is queued to execute (before any kernel runs).

    With `--chapter` (`quarto render chapter.qmd` in a book) that chapter executes only
    when its code or inputs changed (the freeze decides, as for a whole-book render;
    `--no-freeze` forces it) and the others are taken from their stored results whenever
    these exist (freeze: true), so the whole book is assembled with its book-wide numbering.
    """
    from quartowrap.execute.engine import ChapterProgress, execute_chapters

    progress.plan(ref.source for ref in config.chapters)

    def notify(event: ChapterProgress) -> None:
        if event.status == "queued" and on_queued is not None:
            on_queued()
        progress.chapter(event)

    def run(
        book: BookConfig, refs: tuple[ChapterRef, ...], use_freeze: bool
    ) -> list[ExecutedChapter]:
        return execute_chapters(
            book,
            refs,
            data_dir=data_dir,
            use_freeze=use_freeze,
            jobs=options.jobs,
            on_progress=notify,
            params=options.params,
            figure_fonts=_figure_fonts(book),
            on_executed=on_executed,
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
    results[selected] = run(config, (selected,), options.use_freeze)[0]
    return [results[ref] for ref in config.chapters]


def _render_embedded(
    config: BookConfig,
    options: RenderOptions,
    staging: Path,
    version: str,
    executed: list[ExecutedChapter],
    progress: Progress,
    kept_pdf: KeptPdf | None = None,
    kept_site: KeptPdf | None = None,
    pdf_name: str | None = None,
) -> AssembledBook:
    """Assemble the executed chapters and write the formats asked for into `staging`; the
    PDF is `pdf_name` (default `<book>-<version>.pdf`), the name the site links to."""
    from quartowrap.assemble.book import assemble_book

    stage = progress.stage("Assembling (pandoc, cross-references, citations)")
    cache = config.root / ".quartowrap" / "pandoc"
    book = assemble_book(config, executed, strict=options.strict, cache_dir=cache)
    stage.finish()
    commit = git_state(config.root).commit
    book = _check_alt_text(book, strict=options.strict)
    writers: dict[str, Callable[[], None]] = {}
    pdf_path = staging / (pdf_name or f"{book_slug(config)}-{version}.pdf")
    with_pdf = "pdf" in options.to and options.chapter is None
    if "html" in options.to:
        from quartowrap.writers.html.site import write_html_site

        html_cache = config.root / ".quartowrap" / "html"
        writers["HTML"] = lambda: write_html_site(
            book,
            staging / "html",
            version=version,
            commit=commit,
            cache_dir=html_cache,
            pdf=pdf_path.name if with_pdf or kept_pdf else None,
        )
    if with_pdf:
        from quartowrap.writers.typst.pdf import write_pdf

        roots = (options.data_dir.resolve(),) if options.data_dir else ()
        writers["PDF (typst)"] = lambda: write_pdf(
            book,
            pdf_path,
            version=version,
            commit=commit,
            draft=is_development_version(version),
            roots=roots,
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
    if kept_pdf is not None and not with_pdf:
        _place_in_site(kept_pdf.path, pdf_path)
        if not kept_pdf.same_sources:
            book = replace(book, warnings=(*book.warnings, KEPT_PDF_WARNING))
    if kept_site is not None and "HTML" not in writers:
        _keep_site(kept_site.path, staging / "html", pdf_path.name)
        if not kept_site.same_sources:
            book = replace(book, warnings=(*book.warnings, KEPT_HTML_WARNING))
    if (staging / "html").is_dir() and pdf_path.is_file():
        _place_in_site(pdf_path, staging / "html" / pdf_path.name)
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


KEPT_PDF_WARNING = (
    "the PDF is kept from the previous build of this version, whose sources differ; "
    "`quartowrap render` (or `--to pdf`) brings it up to date"
)


KEPT_HTML_WARNING = (
    "the HTML site is kept from the previous build of this version, whose sources differ; "
    "`quartowrap render` (or `--to html`) brings it up to date"
)


@dataclass(frozen=True)
class KeptPdf:
    """The PDF (or the `html/` site) of the release being replaced, carried into a build
    that does not write that format itself."""

    path: Path
    same_sources: bool


def _pdf_to_keep(
    config: BookConfig,
    options: RenderOptions,
    previous: Path,
    version: str,
    executed: list[ExecutedChapter],
) -> KeptPdf | None:
    """An HTML-only or one-chapter build updates the release in place: the PDF already in
    it stays (and is linked from the pages) instead of being deleted with the old folder.
    `same_sources` tells whether it was built from the chapters and data of this build."""
    if "pdf" in options.to and options.chapter is None:
        return None  # this build writes the PDF itself
    pdf = previous / f"{book_slug(config)}-{version}.pdf"
    if not pdf.is_file():
        return None
    return KeptPdf(pdf, same_sources=_same_sources(config, options, previous, executed))


def _html_to_keep(
    config: BookConfig, options: RenderOptions, previous: Path, executed: list[ExecutedChapter]
) -> KeptPdf | None:
    """A `--to pdf` build keeps the release's `html/` site (as `--to html` keeps the PDF):
    one format is never deleted by building the other."""
    site = previous / "html"
    if "html" in options.to or not site.is_dir():
        return None
    return KeptPdf(site, same_sources=_same_sources(config, options, previous, executed))


def _same_sources(
    config: BookConfig, options: RenderOptions, previous: Path, executed: list[ExecutedChapter]
) -> bool:
    """Whether the release at `previous` was built from the commit, chapters, data files and
    parameter values of this build (its manifest says)."""
    try:
        manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    data_dir = options.data_dir.resolve() if options.data_dir else None
    return (
        manifest.get("git_commit") == git_state(config.root).commit
        and manifest.get("chapters") == _chapter_hashes(config.root, config)
        and manifest.get("data_files") == _data_files(config.root, executed, data_dir)
        and manifest.get("params", {})
        == json.loads(json.dumps(dict(sorted((options.params or {}).items())), default=str))
    )


def _keep_site(site: Path, target: Path, pdf_name: str) -> None:
    """The previous `html/` into the new build (hard links: no copy); its copy of the PDF
    is left out, the new PDF takes its place."""
    shutil.copytree(
        site,
        target,
        copy_function=_place_in_site,
        ignore=lambda _d, names: [n for n in names if n == pdf_name],
    )


def _place_in_site(source: Path, target: Path) -> None:
    """The PDF inside `html/` as well, so the site links to it (a hard link: no copy)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


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
    data_files = _data_files(root, executed, data_dir)
    chapters = _chapter_hashes(root, config)
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
            # plain text in the manifest: the no-break space is typography ("Table 1")
            entry["number"] = xref.label.replace("\u00a0", " ") if xref else None
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
            "data_files": data_files,
            "tables": tables,
            "figures": figures,
            "report_number": house_metadata(config).get("report-number"),
            "theme": theme_of(config).name,
        },
        packages=imported_packages(config, executed),
    )
    write_checksums(staging)


def _chapter_hashes(root: Path, config: BookConfig) -> dict[str, str]:
    return {
        ref.source.as_posix(): sha256_file(root / ref.source)
        for ref in config.chapters
        if (root / ref.source).is_file()
    }


def _data_files(
    root: Path, executed: list[ExecutedChapter], data_dir: Path | None
) -> dict[str, str]:
    """Every data file the chapters read, project-relative, with its SHA-256."""
    data_files: dict[str, str] = {}
    for chapter in executed:
        for name, digest in chapter.dependencies.data_files.items():
            data_files[_relative(Path(name), root, data_dir)] = digest
    return dict(sorted(data_files.items()))


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


ProgressCallback = Callable[[str], None]
