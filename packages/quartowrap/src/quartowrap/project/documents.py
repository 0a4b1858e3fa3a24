"""Lone documents and `default`/`website` projects: what Quarto renders file by file.

A book is one publication of many chapters; a document is its own publication.  The engine
renders a document as a book of one unnumbered chapter (so every later stage is shared),
built here from the document's front matter merged over the project's metadata, if any.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from quartowrap.errors import ConfigError
from quartowrap.model import BookConfig, ChapterRef, SourceLocation
from quartowrap.project.config import (
    PROJECT_FILE,
    ProjectFiles,
    _as_list,
    _authors,
    _formats,
    check_front_matter,
    directory_metadata,
    execute_options,
    merge_metadata,
    parse_yaml,
    read_project,
)
from quartowrap.project.dates import format_date
from quartowrap.project.language import localised_crossref

# What Quarto renders in a project (notebooks and R Markdown need engines we do not have).
DOCUMENT_SUFFIXES = (".qmd", ".md")
# Files a `default` project never renders as pages (Quarto skips these too).
_NOT_DOCUMENTS = frozenset({"readme.md", "license.md", "changelog.md"})
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def find_project_root(path: Path) -> Path | None:
    """The nearest directory at or above `path` holding a `_quarto.yml`, as Quarto looks."""
    start = path.resolve()
    for directory in [start if start.is_dir() else start.parent, *start.parents]:
        if (directory / PROJECT_FILE).is_file():
            return directory
    return None


def project_documents(files: ProjectFiles) -> list[Path]:
    """Every document a `default` project renders, relative to its root, sorted.

    As Quarto: `project: render:` lists them when given; otherwise every `.qmd`/`.md` file
    except those whose name (or a folder's) starts with `_` or `.`, and README-like files,
    outside the output directory.
    """
    root = files.root
    listed = (files.merged.get("project") or {}).get("render")
    if listed:
        found: list[Path] = []
        for i, pattern in enumerate(listed):
            matches = sorted(p for p in root.glob(str(pattern)) if p.is_file())
            if not matches:
                raise ConfigError(
                    f"project.render: no file matches {pattern!r}",
                    files.where("project", "render", i),
                )
            found += [m.relative_to(root) for m in matches if m.relative_to(root) not in found]
        return found
    output_dir = (files.merged.get("project") or {}).get("output-dir")
    skip = {Path(str(output_dir)).parts[0]} if output_dir else set()
    documents = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix not in DOCUMENT_SUFFIXES or not path.is_file():
            continue
        if any(part.startswith(("_", ".")) for part in rel.parts) or rel.parts[0] in skip:
            continue
        if path.name.lower() in _NOT_DOCUMENTS or "site-packages" in rel.parts:
            continue
        documents.append(rel)
    return documents


def read_front_matter(source: Path, rel: Path) -> dict[str, Any]:
    """A document's front matter, validated (errors name the document and line)."""
    text = source.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match or not match.group(1):
        return {}
    doc = parse_yaml(match.group(1), rel, first_line=2)
    check_front_matter(doc)
    return doc.data


def document_config(source: Path, files: ProjectFiles | None = None) -> BookConfig:
    """The configuration of one document, rendered as a book of one chapter.

    `files` is the `default` project the document belongs to (its metadata applies), or
    None for a lone document (the document's own folder is then the root).
    """
    source = source.resolve()
    root = files.root if files is not None else source.parent
    rel = source.relative_to(root)
    if not source.is_file():
        raise ConfigError(f"no such document: {rel}")
    project_meta: dict[str, Any] = files.merged if files is not None else {}
    base = BookConfig(root=root, title=source.stem, metadata=project_meta)
    inherited = directory_metadata(base, rel) if files is not None else {}
    front = read_front_matter(source, rel)
    meta = merge_metadata(inherited, front)
    where = SourceLocation(rel, 1)
    bibliography = []
    for item in _as_list(meta.get("bibliography")):
        path = (source.parent / str(item)).resolve()
        if not path.is_file():
            path = (root / str(item)).resolve()
        if not path.is_file():
            raise ConfigError(f"file not found: {item}", where)
        bibliography.append(path)
    csl = meta.get("csl")
    csl_path = (source.parent / str(csl)).resolve() if csl else None
    if csl_path is not None and not csl_path.is_file():
        raise ConfigError(f"file not found: {csl}", where)
    formats = _formats(meta.get("format"))
    # A document is numbered only when asked (Quarto's default for documents is unnumbered).
    numbered = bool(
        meta.get("number-sections") or any(opts.get("number-sections") for opts in formats.values())
    )
    title = front.get("title") or project_meta.get("title") or rel.stem
    date = format_date(
        meta.get("date"), lang=meta.get("lang"), date_format=meta.get("date-format"), source=source
    )
    version = meta.get("version")
    return BookConfig(
        root=root,
        title=str(title),
        subtitle=meta.get("subtitle"),
        authors=_authors(meta.get("author") or meta.get("authors")),
        date=None if date is None else str(date),
        version=None if version is None else str(version),
        chapters=(ChapterRef(source=rel, numbered=numbered),),
        bibliography=tuple(bibliography),
        csl=csl_path,
        crossref=localised_crossref(meta),
        # Quarto freezes only in projects, and never by default.
        execute=execute_options({"freeze": False, **(meta.get("execute") or {})}),
        formats=formats,
        kce={},
        engine=(meta.get("quartowrap") or {}).get("engine") or "auto",
        output_dir=Path((project_meta.get("project") or {}).get("output-dir") or "."),
        # Quarto runs a document's code in the document's folder unless told otherwise.
        metadata={
            **project_meta,
            "project": {"execute-dir": "file", **(project_meta.get("project") or {})},
            "quartowrap-document": True,
        },
    )


__all__ = [
    "DOCUMENT_SUFFIXES",
    "document_config",
    "find_project_root",
    "project_documents",
    "read_front_matter",
    "read_project",
]
