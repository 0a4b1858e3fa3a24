"""Render documents as Quarto does outside a book: `doc.qmd` → `doc.html` + `doc_files/`, `doc.pdf`.

Used for `quartowrap render doc.qmd` (a lone document, or one of a `default` project) and
for `default`/`website` projects, which Quarto renders file by file.  Each document goes
through the same stages as a book of one chapter; only the output differs: no versioned
release, the files land beside the source (or under the project's `output-dir`), and the
page's resources sit in `<stem>_files/`, Quarto's name for them.  Files are written to a
temporary folder first and moved into place only when every format succeeded.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from quartowrap.commands.render import _check_alt_text, _export_tables_and_figures
from quartowrap.errors import BuildError, UnresolvedReferenceError
from quartowrap.model import AssembledBook, BookConfig, RenderOptions
from quartowrap.progress import Progress
from quartowrap.project.config import ProjectFiles
from quartowrap.project.documents import document_config, project_documents


@dataclass
class DocumentResult:
    source: Path
    outputs: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


# Page-relative references the HTML writer makes to the site's own resources.
_RESOURCE = re.compile(
    r'(?P<attr>\b(?:href|src|data-search-data)=")(?P<up>\.\./)?'
    r'(?P<path>(?:assets|figures|media|tables)/[^"]*|search-data\.js)"'
)


def render_project_documents(
    files: ProjectFiles, options: RenderOptions, progress: Progress
) -> list[DocumentResult]:
    """Render every document of a `default`/`website` project, one after another."""
    documents = project_documents(files)
    if not documents:
        progress.warn(f"{files.root}: no documents to render (.qmd or .md)")
    return [render_document(files.root / rel, options, progress, files) for rel in documents]


def render_document(
    source: Path,
    options: RenderOptions,
    progress: Progress,
    files: ProjectFiles | None = None,
) -> DocumentResult:
    """Render one document; raise BuildError (nothing written) on failure."""
    started = time.perf_counter()
    if options.engine == "quarto":
        raise BuildError(
            f"{source.name}: --engine quarto renders books only; run `quarto render "
            f"{source.name}` for a lone document, or use the embedded engine"
        )
    config = document_config(source, files)
    [ref] = config.chapters
    out_dir = (config.root / config.output_dir / ref.source).parent
    progress.start(f"Rendering {ref.source.as_posix()}")
    book = _assemble(config, options, progress)
    stem = ref.source.stem
    outputs: list[Path] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{stem}-", dir=out_dir) as tmp:
        staging = Path(tmp)
        version = config.version or ""
        if "html" in options.to:
            from quartowrap.writers.html.site import last_warnings, write_html_site

            write_html_site(book.assembled, staging / "site", version=version, standalone=True)
            written = last_warnings()
            if written and options.strict:  # images or link targets not found
                raise UnresolvedReferenceError(
                    f"{len(written)} problem(s) found while writing HTML",
                    detail="\n".join(written),
                )
            book.warnings.extend(written)
            _export_tables_and_figures(book.assembled, staging / "site")
            page = (staging / "site" / f"{stem}.html").read_text(encoding="utf-8")
            resources = f"{stem}_files"
            page = _RESOURCE.sub(lambda m: f'{m["attr"]}{resources}/{m["path"]}"', page)
            page = page.replace('href="index.html"', f'href="{stem}.html"')
            (staging / "site" / f"{stem}.html").unlink()
            (staging / f"{stem}.html").write_text(page, encoding="utf-8")
            (staging / "site").rename(staging / resources)
        if "pdf" in options.to:
            from quartowrap.writers.typst.pdf import write_pdf

            book.warnings.extend(
                write_pdf(book.assembled, staging / f"{stem}.pdf", version=version, standalone=True)
                or []
            )
        for item in sorted(staging.iterdir()):
            target = out_dir / item.name
            if target.is_dir():
                shutil.rmtree(target)
            item.replace(target)
            if target.suffix in (".html", ".pdf"):
                outputs.append(target)
    if files is None and config.execute.freeze is False:
        _forget_results(config.root, ref.source)
        for embedded in _embedded_documents(config, ref.source):
            _forget_results(config.root, embedded)
    result = DocumentResult(
        config.root / ref.source, outputs, book.warnings, time.perf_counter() - started
    )
    names = ", ".join(p.name for p in outputs)
    progress.done(f"{ref.source.as_posix()} → {names} ({result.seconds:.1f} s)")
    for warning in result.warnings:
        progress.warn(warning)
    return result


def _embedded_documents(config: BookConfig, source: Path) -> list[Path]:
    """The documents whose cells `source` embeds (executed with it, results forgotten
    with its own)."""
    from quartowrap.execute import embeds
    from quartowrap.project.qmd import parse_qmd

    return embeds.targets(config, [parse_qmd(source, config.root)])


def _forget_results(root: Path, source: Path) -> None:
    """A lone document leaves only its outputs beside it, as Quarto: the executed results
    (kept under `_freeze/` while its files were written) go when freezing is off."""
    from quartowrap.execute.freeze import FREEZE_DIR, chapter_dir

    shutil.rmtree(chapter_dir(root, source), ignore_errors=True)
    folder = chapter_dir(root, source).parent
    while folder != root and folder.name and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        if folder.name == FREEZE_DIR:
            break
        folder = folder.parent


@dataclass
class _Built:
    """The assembled document and the warnings gathered on the way to its files."""

    assembled: AssembledBook
    warnings: list[str]


def _assemble(config: BookConfig, options: RenderOptions, progress: Progress) -> _Built:
    """Execute and assemble the document as a book of one chapter."""
    from quartowrap.assemble.book import assemble_book
    from quartowrap.execute.engine import execute_chapters

    data_dir = options.data_dir.resolve() if options.data_dir else None
    executed = execute_chapters(
        config,
        config.chapters,
        data_dir=data_dir,
        use_freeze=options.use_freeze,
        jobs=1,
        params=options.params,
        on_progress=progress.chapter,
    )
    book = assemble_book(config, executed, strict=options.strict)
    book = _check_alt_text(book, strict=options.strict)
    return _Built(book, list(book.warnings))


def render_path(target: Path, options: RenderOptions, progress: Progress) -> None:
    """`quartowrap render [PATH]`: a book, a `default` project or one document, as Quarto.

    A file inside a book renders as that chapter of the book (as `--chapter`); a file
    elsewhere renders on its own with its project's metadata, if it has a project.
    """
    from dataclasses import replace

    from quartowrap.commands.render import render_project
    from quartowrap.project.config import read_project
    from quartowrap.project.documents import DOCUMENT_SUFFIXES, find_project_root

    target = target.resolve()
    if target.is_file():
        if target.suffix not in DOCUMENT_SUFFIXES:
            raise BuildError(f"{target.name}: not a document (expected .qmd or .md)")
        root = find_project_root(target)
        files = read_project(root) if root is not None else None
        if files is not None and files.type == "book":
            render_project(files.root, replace(options, chapter=target), progress=progress)
        else:
            render_document(target, options, progress, files)
        return
    if not target.is_dir():
        raise BuildError(f"{target}: no such file or directory")
    files = read_project(target)
    if files.type == "book":
        render_project(target, options, progress=progress)
    else:
        render_project_documents(files, options, progress)
