"""HTML writer: an `AssembledBook` becomes a static, offline, multi-page site.

One page per chapter (`<slug>.html`, `index.qmd` -> `index.html`) plus front-matter pages,
each a pandoc HTML5 fragment wrapped in a Jinja2 template with the sidebar table of
contents, previous/next links, a version banner and a footer with version and commit.

Why the work is split the way it is:
* The chapter ASTs are adjusted in Python (numbers, captions, cross-page links, figure
  paths, callouts) so that pandoc only has to *write* HTML; all pages go through a single
  `pandoc lua` process (`templates/html/fragments.lua`), because starting pandoc once per
  page would dominate a rebuild.  Fragments are memoised by content hash (in memory and,
  with `cache_dir`, on disk), so a rebuild converts only the pages that changed.
* Every link is made page-relative here (`<page>.html#<id>`), because pandoc cannot know
  which page an id ends up on.
* Nothing here reads a clock or iterates an unordered collection: the same book gives
  byte-identical files.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from quartowrap.assemble.conditional import resolve_conditions
from quartowrap.model import AssembledBook
from quartowrap.project.theme import house_metadata, theme_of
from quartowrap.writers.frontmatter import FrontMatter, build_front_matter, report_label
from quartowrap.writers.html.fragments import _scope_header_cells, render_fragments
from quartowrap.writers.html.pages import (
    Page,
    _Context,
    _page_file,
    _transform_chapter,
    _with_byline,
)
from quartowrap.writers.html.pandoc_ast import _ids_in
from quartowrap.writers.html.search_index import SearchDoc, docs_from_html, write_search_data
from quartowrap.writers.html.svg_fonts import embed_fonts, theme_faces

__all__ = ["last_warnings", "render_fragments", "write_html_site"]

_WRITER_DIR = Path(__file__).resolve().parent
_TEMPLATES = _WRITER_DIR / "templates"
_ASSETS = _WRITER_DIR / "assets"
# Asset folders copied into every site (fonts for the PDF live elsewhere and stay out).
_ASSET_DIRS = ("html", "vendor")


# --------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _short_commit(commit: str | None) -> str | None:
    return commit[:12] if commit else None


def _is_dev(version: str) -> bool:
    return "dev" in version or "+" in version


# --------------------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------------------
def write_html_site(
    book: AssembledBook,
    out_dir: Path,
    *,
    version: str,
    commit: str | None = None,
    front_matter: FrontMatter | None = None,
    cache_dir: Path | None = None,
    standalone: bool = False,
    pdf: str | None = None,
    changed: Collection[Path] | None = None,
) -> list[Path]:
    """Write the HTML site into `out_dir`; return every file written, sorted.

    `front_matter` defaults to `frontmatter.build_front_matter(book, …)` when the book has
    its theme's metadata block, e.g. `kce:` (as the PDF does, so both show the same cover,
    colophon and lists); a book without one gets no cover/colophon pages.  Files whose
    bytes would not change are left alone, so a preview server watching the output sees
    only what changed.
    `cache_dir` (optional, e.g. `_freeze/_html`) keeps pandoc's page fragments between
    builds, so a rebuild in a new process only converts the pages that changed.
    `standalone` writes a lone document: its page only (no lists of figures or tables, no
    version banner), as Quarto renders a document outside a book.
    `pdf` names the book's PDF, which the caller places inside `out_dir`: every page links
    to it.  The site is self-contained — the CSV/SVG downloads are written inside `out_dir`
    too — so serving `out_dir` alone works.
    `changed` (preview) names the only chapters (sources) whose content changed since the last
    whole write of this book in this process: the other pages keep the bodies converted
    then (every page is wrapped again, so a new title reaches every sidebar, and the search
    index is rebuilt); assets and theme files are not copied again.
    """
    remembered = _PAGES.get(book.config.root) if changed is not None else None
    if remembered is not None and [p.filename for p in remembered[0]] != [
        _page_file(c) for c in book.chapters
    ]:
        remembered = None  # chapters added, removed or moved: write it all
    redo = {
        _page_file(c)
        for c in book.chapters
        if remembered is None or changed is None or c.ref.source in changed
    }
    # Quarto's `.content-visible when-format=…` (metadata conditions were resolved earlier).
    book = replace(
        book,
        chapters=tuple(
            replace(c, ast={**c.ast, "blocks": resolve_conditions(c.ast["blocks"], fmt="html")})
            if _page_file(c) in redo
            else c
            for c in book.chapters
        ),
    )
    if front_matter is None and remembered is not None:
        front_matter = remembered[3]  # its pages are reused as well
    elif front_matter is None and house_metadata(book.config):
        front_matter = build_front_matter(book, version=version, commit=commit)
    out_dir = Path(out_dir)
    ctx = _Context(
        book=book,
        out_dir=out_dir,
        id_pages={},
        tables={t.label: t for t in book.tables},
        figures={f.label: f for f in book.figures},
    )
    ctx.svg_outputs = {str(f.svg): f for f in book.figures}
    chapter_ids = [
        _ids_in(chapter.ast.get("blocks", []))
        if remembered is None or _page_file(chapter) in redo
        else remembered[2][index]
        for index, chapter in enumerate(book.chapters)
    ]
    for chapter, ids in zip(book.chapters, chapter_ids, strict=True):
        for ident in ids:
            ctx.id_pages.setdefault(ident, _page_file(chapter))

    # 1. Chapter ASTs -> blocks ready for pandoc.
    chapter_pages: list[Page] = []
    jobs: list[tuple[str, Any]] = []
    bylines = house_metadata(book.config).get("chapter-authors") or {}
    for index, (chapter, ids) in enumerate(zip(book.chapters, chapter_ids, strict=True)):
        if remembered is not None and _page_file(chapter) not in redo:
            kept = remembered[0][index]
            chapter_pages.append(replace(kept, title=chapter.title, number=chapter.number))
            continue
        blocks, sections = _transform_chapter(ctx, chapter, ids)
        byline = bylines.get(chapter.ref.source.as_posix())
        if byline:
            blocks = _with_byline(blocks, str(byline))
        doc = {**{k: v for k, v in chapter.ast.items() if k != "blocks"}, "blocks": blocks}
        doc["meta"] = {}
        jobs.append(("json", doc))
        group = "Appendices" if chapter.ref.appendix else chapter.ref.part
        chapter_pages.append(
            Page(
                filename=_page_file(chapter),
                title=chapter.title,
                number=chapter.number,
                group=group,
                sections=[s for s in sections if s.level in (2, 3)],
            )
        )

    # 2. Front matter: its markdown (foreword, key messages) joins the same pandoc batch.
    fm = front_matter
    markdown = []
    if fm is not None and remembered is None:
        markdown = [*([fm.foreword_md] if fm.foreword_md else []), *fm.key_messages_md]
        jobs.extend(("markdown", text) for text in markdown)

    fragments = render_fragments(jobs, cache_dir=cache_dir)
    converted = [page for page in chapter_pages if page.filename in redo]
    for page, html in zip(converted, fragments, strict=False):
        page.body = _scope_header_cells(html)
    if remembered is not None:
        front_pages = [replace(page) for page in remembered[1]]
        # the pages converted now are what a later `changed` write must keep
        _PAGES[book.config.root] = (
            [replace(page) for page in chapter_pages],
            remembered[1],
            chapter_ids,
            remembered[3],
        )
    else:
        md_html = [Markup(h) for h in fragments[len(converted) :]]
        foreword = md_html[0] if fm is not None and fm.foreword_md else None
        key_messages = md_html[1:] if foreword is not None else md_html
        front_pages = [] if standalone else _front_pages(ctx, fm, foreword, key_messages)
        _PAGES[book.config.root] = (
            [replace(page) for page in chapter_pages],
            [replace(page) for page in front_pages],
            chapter_ids,
            fm,
        )
    pages = _reading_order(chapter_pages, front_pages)

    # 3. Wrap every page in the template.
    files: dict[Path, bytes] = {}
    nav = _nav_groups(pages)
    site = _site_info(book, version, commit, {p.filename for p in pages})
    site["cover"] = _cover(book, fm, version)
    site["document"] = standalone
    site["pdf"] = pdf
    template = _env().get_template("page.html.j2")
    for i, page in enumerate(pages):
        prev_page = pages[i - 1] if i > 0 else None
        next_page = pages[i + 1] if i + 1 < len(pages) else None
        html = template.render(
            site=site,
            page=page,
            body=Markup(page.body),
            nav=nav,
            prev=prev_page,
            next=next_page,
        )
        files[out_dir / page.filename] = html.encode("utf-8")

    # 4. Search data, assets, figures.
    docs = _search_docs(pages, book)
    files[out_dir / "search-data.js"] = write_search_data(docs)
    for sub in _ASSET_DIRS if remembered is None else ():
        for src in sorted((_ASSETS / sub).rglob("*")):
            if src.is_file():
                rel = src.relative_to(_ASSETS)
                files[out_dir / "assets" / rel] = src.read_bytes()
    if remembered is None:
        files.update(_theme_files(book, out_dir))
    files.update(_downloads(book, out_dir))
    theme = theme_of(book.config)  # the faces of the theme's stylesheets (none: default)
    faces = tuple(f for css in theme.css for f in theme_faces(theme.path(f"html/{css}")))
    for dest, src in sorted(ctx.copies.items()):  # after the downloads: a shown figure is the
        data = src.read_bytes()  # same file as its download, with the fonts embedded
        if dest.suffix == ".svg" and dest.parent == out_dir / "figures":
            data = embed_fonts(data, faces)  # an <img> SVG cannot use the page's fonts
        files[dest] = data

    for path, data in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.is_file() and path.read_bytes() == data):
            path.write_bytes(data)
    _last_warnings[:] = ctx.warnings
    return sorted(files)


_last_warnings: list[str] = []
# book root -> (chapter pages, front pages, ids per chapter, front matter) of its last write in
# this process: what a preview's `changed` write reuses
_PAGES: dict[Path, tuple[list[Page], list[Page], list[list[str]], FrontMatter | None]] = {}


def _downloads(book: AssembledBook, out_dir: Path) -> dict[Path, bytes]:
    """The data behind each table and figure, inside the site (`tables/`, `figures/`)."""
    files = {out_dir / "tables" / f"{t.label}.csv": t.csv.encode("utf-8") for t in book.tables}
    for figure in book.figures:
        if figure.svg.is_file():
            files[out_dir / "figures" / f"{figure.label}.svg"] = figure.svg.read_bytes()
        if figure.csv is not None:
            files[out_dir / "figures" / f"{figure.label}.csv"] = figure.csv.encode("utf-8")
    return files


def last_warnings() -> list[str]:
    """Problems noticed by the last `write_html_site` call (links/images not found)."""
    return list(_last_warnings)


def _site_info(book: AssembledBook, version: str, commit: str | None, files: set[str]) -> dict:
    cfg = book.config
    meta = house_metadata(cfg)
    return {
        "title": cfg.title,
        "subtitle": cfg.subtitle,
        "short_title": meta.get("short-title") or cfg.title,
        "report": report_label(cfg),
        "series": meta.get("series"),
        "stylesheets": _stylesheets(book),
        "lang": cfg.metadata.get("lang", "en") if isinstance(cfg.metadata, Mapping) else "en",
        "version": version,
        "dev": _is_dev(version),
        "commit": commit,
        "short_commit": _short_commit(commit),
        "history": "version-history.html" if "version-history.html" in files else None,
    }


def _book_css(book: AssembledBook) -> list[tuple[str, Path]]:
    """The book's own stylesheets (Quarto's `css:`): (path in the site, source file)."""
    root = book.config.root
    return [(path.relative_to(root).as_posix(), path) for path in book.config.css]


def _stylesheets(book: AssembledBook) -> list[str]:
    """Linked in this order: the writer's site.css, the theme's, the book's (last wins)."""
    theme = theme_of(book.config)
    return [
        "assets/html/site.css",
        *(f"assets/theme/{name}" for name in theme.css),
        *(href for href, _ in _book_css(book)),
    ]


def _theme_files(book: AssembledBook, out_dir: Path) -> dict[Path, bytes]:
    """The theme's `html/` folder (stylesheets, web fonts) and the book's stylesheets."""
    theme = theme_of(book.config)
    files: dict[Path, bytes] = {}
    folder = theme.path("html")
    for src in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if src.is_file():
            files[out_dir / "assets" / "theme" / src.relative_to(folder)] = src.read_bytes()
    for href, src in _book_css(book):
        files[out_dir / href] = src.read_bytes()
    return files


def _reading_order(chapter_pages: list[Page], front_pages: list[Page]) -> list[Page]:
    """Cover/index first, then the front matter, then the report."""
    if chapter_pages and chapter_pages[0].filename == "index.html":
        chapter_pages[0].kind = "cover"
        return [chapter_pages[0], *front_pages, *chapter_pages[1:]]
    return [*front_pages, *chapter_pages]


def _nav_groups(pages: list[Page]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for page in pages:
        if not groups or groups[-1]["title"] != page.group:
            groups.append({"title": page.group, "pages": []})
        groups[-1]["pages"].append(page)
    return groups


def _front_pages(
    ctx: _Context,
    fm: FrontMatter | None,
    foreword: Markup | None,
    key_messages: list[Markup],
) -> list[Page]:
    """Colophon, foreword, key messages, lists of figures/tables, abbreviations, glossary."""
    env = _env()
    pages: list[Page] = []

    def add(filename: str, title: str, template: str, **data: Any) -> None:
        body = env.get_template(f"front/{template}").render(title=title, **data)
        pages.append(
            Page(filename=filename, title=title, group="Front matter", body=body, kind="front")
        )

    if fm is not None and fm.colophon:
        add("colophon.html", "Colophon", "colophon.html.j2", fields=fm.colophon)
    # A foreword or key messages written as a section of the book (e.g. in index.qmd) is
    # already a page of the site, with its cross-references resolved: no second copy.
    lifted = set(fm.lifted_sections) if fm is not None else set()
    if foreword is not None and "foreword" not in lifted:
        add(
            "foreword.html",
            "Foreword",
            "prose.html.j2",
            parts=[foreword],
            numbered=False,
            signatories=fm.foreword_signatories if fm else (),
        )
    if key_messages and "key-messages" not in lifted:
        add(
            "key-messages.html",
            "Key messages",
            "prose.html.j2",
            parts=key_messages,
            numbered=len(key_messages) > 1,
            signatories=(),
        )

    for kind, title, filename in (
        ("fig", "List of figures", "list-of-figures.html"),
        ("tbl", "List of tables", "list-of-tables.html"),
    ):
        if fm is not None:
            fm_list = fm.figures if kind == "fig" else fm.tables
            listed = [(e.id, e.label, e.caption, e.chapter) for e in fm_list]
        else:
            listed = [
                (e.id, e.label, e.caption, e.chapter)
                for e in ctx.book.xrefs.values()
                if e.kind == kind
            ]
        entries = [
            {
                "label": label,
                "caption": caption,
                "href": f"{ctx.id_pages.get(ident, chapter + '.html')}#{ident}",
            }
            for ident, label, caption, chapter in listed
        ]
        if entries:
            add(filename, title, "list.html.j2", entries=entries)

    if fm is not None and fm.abbreviations:
        rows = [(a.abbreviation, a.expansion) for a in fm.abbreviations]
        add(
            "abbreviations.html",
            "List of abbreviations",
            "terms.html.j2",
            rows=rows,
            heads=("Abbreviation", "Definition"),
        )
    if fm is not None and fm.glossary:
        rows = [(g.term, g.definition) for g in fm.glossary]
        add("glossary.html", "Glossary", "terms.html.j2", rows=rows, heads=("Term", "Definition"))
    return pages


def _cover(book: AssembledBook, fm: FrontMatter | None, version: str) -> dict[str, Any]:
    """What the cover block on index.html shows (book metadata for a plain book)."""
    cfg = book.config
    if fm is None:
        return {
            "series": None,
            "report": None,
            "title": cfg.title,
            "subtitle": cfg.subtitle,
            "authors": list(cfg.authors),
            "year": cfg.date,
            "version": version,
        }
    c = fm.cover
    return {
        "series": c.series,
        "report": c.report_label,
        "title": c.title,
        "subtitle": c.subtitle,
        "authors": list(c.authors),
        "year": c.year,
        "version": version,
    }


def _search_docs(pages: list[Page], book: AssembledBook) -> list[SearchDoc]:
    docs: list[SearchDoc] = []
    for page in pages:
        label = f"{page.number} {page.title}" if page.number else page.title
        docs.extend(docs_from_html(page.filename, label, page.body))
    return docs
