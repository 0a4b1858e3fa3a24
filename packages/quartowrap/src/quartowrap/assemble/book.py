"""Assemble executed chapters into one book: pandoc AST, Lua filters, citeproc, split again.

Cross-references and citation numbers are book-wide (KCE reports number tables 1…N through
the whole report and the reference list is global), so the chapters must be processed as one
document.  Each chapter is parsed on its own (cacheable: the parse depends only on its
markdown), wrapped in a marker Div, merged, run once through the filters and citeproc, and
split back into per-chapter ASTs for the HTML pages; the typst writer re-merges them.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pypandoc

from quartowrap.assemble.conditional import resolve_conditions
from quartowrap.assemble.shortcode_results import move_contents, unresolved_shortcodes
from quartowrap.errors import BuildError, UnresolvedReferenceError
from quartowrap.execute.untrusted import neutralise_raw
from quartowrap.integrity import damaged, read_sealed, write_sealed
from quartowrap.model import (
    AssembledBook,
    AssembledChapter,
    BookConfig,
    ChapterRef,
    ExecutedChapter,
    FigureOutput,
    SourceLocation,
    TableOutput,
    XrefEntry,
)
from quartowrap.project.config import document_metadata
from quartowrap.project.theme import theme_of

STAGE_DIR = Path(__file__).resolve().parent
FILTER_DIR = STAGE_DIR / "filters"
# Book-wide filters in the order they must run, all before citeproc (so that `@fig-x` is
# a link before citeproc looks for bibliography keys): callouts first, because a heading
# that opens a callout is its title and never a numbered section (as in Quarto).
BOOK_FILTERS = ("callouts.lua", "crossref.lua")
READER = "markdown"
CHAPTER_CLASS = "quartowrap-chapter"
INTERNAL_META = (
    "quartowrap-xrefs",
    "quartowrap-unresolved",
    "quartowrap-citekeys",
    "quartowrap-duplicates",
    "quartowrap-numbering",
)

_PARSE_CACHE: dict[str, str] = {}
_PREPARED: dict[str, str] = {}  # prepared chapters of this process, by `_prepared`'s key
_PREPARED_MAX = 256


@cache
def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (never a system pandoc)."""
    return str(pypandoc.get_pandoc_path())


def run_pandoc(args: Sequence[str], stdin: str, what: str) -> str:
    """Run pandoc with `args`, feeding `stdin`; a failure is a BuildError naming `what`."""
    proc = subprocess.run(
        [pandoc_path(), *args],
        input=stdin.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(
            f"pandoc failed while {what} (exit {proc.returncode})",
            detail=proc.stderr.decode("utf-8", "replace").strip(),
        )
    return proc.stdout.decode("utf-8")


def parse_markdown(markdown: str, *, cache_dir: Path | None = None) -> dict[str, Any]:
    """Parse pandoc markdown to a pandoc JSON AST; cached by content (memory, then disk).

    Disk entries carry their checksum (integrity.py): a damaged one is reported and parsed
    again, never a JSONDecodeError on this and every later build."""
    key = hashlib.sha256(f"{pandoc_path()}\0{READER}\0{markdown}".encode()).hexdigest()
    text = _PARSE_CACHE.get(key)
    cached_file = cache_dir / f"{key}.json" if cache_dir else None
    if text is None and cached_file is not None:
        text = read_sealed(cached_file, "pandoc cache entry")
        if text is not None:
            try:
                ast = json.loads(text)
            except ValueError:
                damaged(cached_file, "pandoc cache entry", "not JSON")
                text = None
            else:
                _PARSE_CACHE[key] = text
                return ast
    if text is None:
        text = run_pandoc(["-f", READER, "-t", "json"], markdown, "parsing markdown")
        if cached_file is not None:
            write_sealed(cached_file, text)
    _PARSE_CACHE[key] = text
    return json.loads(text)


# --- small pandoc-JSON helpers -------------------------------------------------------------


def stringify(node: Any) -> str:
    """Plain text of a pandoc JSON inline/block list (like pandoc.utils.stringify)."""
    if isinstance(node, list):
        return "".join(stringify(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind, content = node.get("t"), node.get("c")
    if kind == "Str":
        return content
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind in ("Code", "Math", "RawInline"):
        return content[-1] if kind != "RawInline" else ""
    if kind in ("Span", "Link", "Image", "Quoted", "Cite"):
        return stringify(content[1])  # [attr|quote type|citations, inlines, ...]
    if kind == "Note":
        return ""
    return stringify(content) if isinstance(content, list) else ""


def _attr(ident: str = "", classes: Sequence[str] = (), attrs: dict[str, str] | None = None):
    return [ident, list(classes), [[k, v] for k, v in (attrs or {}).items()]]


def _attr_value(attr: list[Any], name: str) -> str | None:
    for key, value in attr[2]:
        if key == name:
            return value
    return None


def _meta_string(value: str) -> dict[str, Any]:
    return {"t": "MetaString", "c": value}


def _meta_text(meta: dict[str, Any], key: str) -> str:
    node = meta.get(key)
    if node is None:
        return ""
    if node["t"] == "MetaString":
        return node["c"]
    return stringify(node["c"])


# --- assembling ------------------------------------------------------------------------------


def _chapter_ref(config: BookConfig, source: Path) -> ChapterRef:
    for ref in config.chapters:
        if ref.source == source:
            return ref
    return ChapterRef(source=source, numbered=source.stem != "index")


def _title_block(config: BookConfig, chapter: ExecutedChapter) -> list[dict[str, Any]]:
    """What Quarto prints under a title: a chapter's `subtitle`; for a lone document also
    its authors and date (`date: today` already resolved in the configuration)."""
    front = chapter.front_matter
    lines: list[str] = []
    subtitle = front.get("subtitle")
    if isinstance(subtitle, str) and subtitle.strip():
        lines += ["::: {.subtitle}", subtitle.strip(), ":::", ""]
    if config.metadata.get("quartowrap-document"):
        meta = [", ".join(config.authors)] if config.authors else []
        meta += [config.date] if config.date else []
        if meta:
            # escaped: names and dates are text, never markup
            text = " · ".join(re.sub(r"([\\`*_{}\[\]<>#+!|~^$@-])", r"\\\1", m) for m in meta)
            lines += ["::: {.quarto-title-meta}", text, ":::"]
    return parse_markdown("\n".join(lines))["blocks"] if lines else []


def _chapter_div(
    ref: ChapterRef,
    chapter: ExecutedChapter,
    ast: dict[str, Any],
    title_block: list[dict[str, Any]] | None = None,
    *,
    document: bool = False,
) -> dict:
    """Wrap a chapter's blocks in the marker Div the filters and the splitter rely on."""
    blocks = list(ast["blocks"])
    title = chapter.front_matter.get("title")
    first = blocks[0] if blocks else None
    if title and not (first and first["t"] == "Header" and first["c"][0] == 1):
        heading = parse_markdown(f"# {title}")["blocks"]
        if document and heading and heading[0]["t"] == "Header":
            heading[0]["c"][1][1].append("document-title")  # never a numbered section
        blocks = heading + blocks
    if title_block and blocks and blocks[0]["t"] == "Header":
        blocks = [blocks[0], *title_block, *blocks[1:]]
    attrs = {
        "slug": ref.slug,
        "source": ref.source.as_posix(),
        "numbered": "true" if ref.numbered else "false",
        "appendix": "true" if ref.appendix else "false",
    }
    if document:
        attrs["document"] = "true"
    if ref.part:
        attrs["part"] = ref.part
    return {
        "t": "Div",
        "c": [_attr(f"quartowrap-chapter-{ref.slug}", [CHAPTER_CLASS], attrs), blocks],
    }


def _book_meta(config: BookConfig) -> dict[str, Any]:
    theme = theme_of(config)
    # the book's `csl:`, else the theme's, else pandoc's default (Chicago author-date, as Quarto)
    csl = config.csl or (theme.path(theme.csl) if theme.csl else None)
    meta: dict[str, Any] = {
        "quartowrap-crossref": _meta_string(json.dumps(config.crossref or {}, default=str)),
        "quartowrap-callouts": _meta_string(json.dumps(dict(theme.callouts))),
        "link-citations": {"t": "MetaBool", "c": True},
    }
    if csl is not None:
        meta["csl"] = _meta_string(str(csl))
    if config.bibliography:
        meta["bibliography"] = {
            "t": "MetaList",
            "c": [_meta_string(str(p)) for p in config.bibliography],
        }
    lang = config.metadata.get("lang") if isinstance(config.metadata, dict) else None
    if isinstance(lang, str):
        meta["lang"] = _meta_string(lang)
    nocite = config.metadata.get("nocite") if isinstance(config.metadata, dict) else None
    if isinstance(nocite, str) and nocite.strip():
        # `nocite: "@a, @b"` (or "@*") lists entries without citing them in the text;
        # pandoc reads the citations out of the markdown value, so let it parse them.
        parsed = parse_markdown(f"---\nnocite: {json.dumps(nocite)}\n---\n")
        meta["nocite"] = parsed["meta"]["nocite"]
    return meta


def _run_book_filters(
    doc: dict[str, Any], *, citeproc: bool = True
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run the Lua filters and citeproc on the whole book; return AST and pandoc's log."""
    with tempfile.TemporaryDirectory(prefix="quartowrap-") as tmp:
        log = Path(tmp) / "log.json"
        args = ["-f", "json", "-t", "json"]
        for name in BOOK_FILTERS:
            args += ["--lua-filter", str(FILTER_DIR / name)]
        args += [*(["--citeproc"] if citeproc else []), f"--log={log}"]
        out = run_pandoc(args, json.dumps(doc), "running cross-reference filters and citeproc")
        messages = json.loads(log.read_text(encoding="utf-8")) if log.is_file() else []
    return json.loads(out), messages


def _json_list(meta: dict[str, Any], key: str) -> list[dict[str, Any]]:
    text = _meta_text(meta, key)
    value = json.loads(text) if text else []
    return value if isinstance(value, list) else []


def _source_lines(
    config: BookConfig, chapter: ExecutedChapter | None, pattern: re.Pattern[str]
) -> list[int]:
    """Lines of the author's source matching `pattern` (falling back to the markdown)."""
    texts: list[str] = []
    if chapter is not None:
        path = config.root / chapter.source
        if path.is_file():
            texts.append(path.read_text(encoding="utf-8"))
        texts.append(chapter.markdown)
    for text in texts:
        lines = [i for i, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
        if lines:
            return lines
    return [1]


def _use_pattern(key: str) -> re.Pattern[str]:
    """Where `@key` is used (not followed by more key characters)."""
    return re.compile(rf"@{re.escape(key)}(?![\w-]|[.:/][\w])")


def _definition_pattern(key: str) -> re.Pattern[str]:
    """Where a label is defined: `{#key}` in markdown or `#| label: key` in a cell."""
    return re.compile(rf"(#|label:\s*){re.escape(key)}(?![\w-])")


def _locate(
    config: BookConfig,
    by_slug: dict[str, ExecutedChapter],
    items: list[dict[str, Any]],
    message: str,
    pattern_for: Callable[[str], re.Pattern[str]] = _use_pattern,
) -> list[str]:
    """`file:line: message @key` for each distinct (chapter, key, line)."""
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        slug, key = item.get("chapter", ""), item["key"]
        if (slug, key) in seen:
            continue
        seen.add((slug, key))
        chapter = by_slug.get(slug)
        source = chapter.source if chapter else Path(f"{slug}.qmd")
        for line in _source_lines(config, chapter, pattern_for(key)):
            out.append(f"{SourceLocation(source, line)}: {message} @{key}")
    return out


def _split(
    doc: dict[str, Any], refs: list[ChapterRef]
) -> list[tuple[ChapterRef, list[dict[str, Any]]]]:
    """Undo the merge: the blocks of each chapter Div, in order."""
    by_slug = {r.slug: r for r in refs}
    parts: list[tuple[ChapterRef, list[dict[str, Any]]]] = []
    for block in doc["blocks"]:
        if block["t"] == "Div" and CHAPTER_CLASS in block["c"][0][1]:
            slug = _attr_value(block["c"][0], "slug") or ""
            parts.append((by_slug[slug], block["c"][1]))
        elif parts:  # e.g. a bibliography citeproc appended because no #refs div exists
            parts[-1][1].append(block)
    return parts


def _chapter_title(blocks: list[dict[str, Any]], ref: ChapterRef) -> tuple[str, str | None]:
    for block in blocks:
        if block["t"] == "Header" and block["c"][0] == 1:
            return stringify(block["c"][2]), _attr_value(block["c"][1], "number")
    return ref.slug, None


def _ordered_outputs(
    chapters: Sequence[ExecutedChapter], xrefs: dict[str, XrefEntry]
) -> tuple[tuple[TableOutput, ...], tuple[FigureOutput, ...]]:
    """Cell tables/figures in book order (by their cross-reference number when they have one)."""

    def order(label: str, position: int) -> tuple[int, int]:
        entry = xrefs.get(label)
        return (int(entry.number), position) if entry else (10**9, position)

    tables = [t for c in chapters for t in c.tables]
    figures = [f for c in chapters for f in c.figures]
    tables_sorted = sorted(enumerate(tables), key=lambda p: order(p[1].label, p[0]))
    figures_sorted = sorted(enumerate(figures), key=lambda p: order(p[1].label, p[0]))
    return tuple(t for _, t in tables_sorted), tuple(f for _, f in figures_sorted)


def assemble_book(
    config: BookConfig,
    chapters: Sequence[ExecutedChapter],
    *,
    strict: bool = False,
    cache_dir: Path | None = None,
) -> AssembledBook:
    """Resolve cross-references, callouts and citations across `chapters` (in reading order).

    Unresolved cross-references and citation keys are returned as `file:line: …` warnings;
    with `strict=True` they raise UnresolvedReferenceError listing all of them.
    `cache_dir` (optional) keeps parsed chapter ASTs on disk between builds.
    """
    if not chapters:
        raise BuildError("no chapters to assemble")
    refs = [_chapter_ref(config, c.source) for c in chapters]
    with ThreadPoolExecutor(max_workers=min(4, len(chapters))) as pool:
        prepared = list(pool.map(lambda c: _prepared(config, c, cache_dir), chapters))
    asts = [ast for ast, _warned in prepared]
    shortcode_warnings = [w for _ast, warned in prepared for w in warned]
    doc = {
        "pandoc-api-version": asts[0]["pandoc-api-version"],
        "meta": _book_meta(config),
        "blocks": [
            _chapter_div(
                r,
                c,
                a,
                _title_block(config, c),
                document=bool(config.metadata.get("quartowrap-document")),
            )
            for r, c, a in zip(refs, chapters, asts, strict=True)
        ],
    }
    result, log = _run_book_filters(doc)
    return _collect(config, refs, chapters, result, log, shortcode_warnings, strict=strict)


@cache
def _prepare_fingerprint() -> str:
    """The code `_prepare` runs: a cached result is only as good as the code that made it."""
    from quartowrap.assemble import conditional, shortcode_results
    from quartowrap.execute import untrusted

    digest = hashlib.sha256()
    for module in (conditional, shortcode_results, untrusted):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _prepared(
    config: BookConfig, chapter: ExecutedChapter, cache_dir: Path | None
) -> tuple[dict[str, Any], list[str]]:
    """`_prepare` of the chapter's parsed markdown, kept on disk beside the parse cache.

    The three walks over a chapter's AST cost about 30 ms each on a long chapter; a build
    after a prose edit would pay them for every chapter of the book.  The key holds the
    woven markdown, the chapter's metadata, its path and the code that prepares it."""
    if cache_dir is None:
        return _prepare(config, chapter, parse_markdown(chapter.markdown))
    meta = document_metadata(config, chapter.source, chapter.front_matter)
    key = hashlib.sha256(
        "\0".join(
            [
                _prepare_fingerprint(),
                pandoc_path(),
                chapter.source.as_posix(),
                json.dumps(meta, sort_keys=True, default=str),
                chapter.markdown,
            ]
        ).encode()
    ).hexdigest()
    cached_file = cache_dir / f"prepared-{key}.json"
    text = _PREPARED.get(key) or read_sealed(cached_file, "pandoc cache entry")
    if text is not None:
        try:
            entry = json.loads(text)
            return entry["ast"], list(entry["warnings"])
        except (ValueError, KeyError, TypeError):
            damaged(cached_file, "pandoc cache entry", "not a prepared chapter")
    ast, warnings = _prepare(config, chapter, parse_markdown(chapter.markdown, cache_dir=cache_dir))
    text = json.dumps({"ast": ast, "warnings": warnings})
    write_sealed(cached_file, text)
    if len(_PREPARED) >= _PREPARED_MAX:  # a preview server or an editions pool runs long
        _PREPARED.clear()
    _PREPARED[key] = text  # text, not the AST: the caller may change what it gets
    return ast, warnings


def prepare_early(config: BookConfig, chapter: ExecutedChapter, cache_dir: Path) -> None:
    """Parse and prepare a chapter as soon as it has executed, while the others still run:
    assembling then finds it ready (kept in memory and on disk, see `_prepared`)."""
    _prepared(config, chapter, cache_dir)


def _prepare(
    config: BookConfig, chapter: ExecutedChapter, ast: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """A chapter's parsed AST made ready for the book filters; its shortcode warnings."""
    # raw HTML/typst that came out of a cell (not the chapter's source) becomes text: first,
    # while the output markers still stand where weave put them
    ast = neutralise_raw(ast)
    # `when-meta`/`unless-meta` are the same for every output: resolved before numbering.
    meta = document_metadata(config, chapter.source, chapter.front_matter)
    blocks = resolve_conditions(ast["blocks"], meta=meta)
    blocks, missing = move_contents(blocks)
    blocks, unresolved = unresolved_shortcodes(blocks)
    source = chapter.source.as_posix()
    warnings = [
        *unresolved,
        *(f"{source}: {{{{< contents {m} >}}}}: no element #{m}" for m in missing),
    ]
    return {**ast, "blocks": blocks}, warnings


def _collect(
    config: BookConfig,
    refs: list[ChapterRef],
    chapters: Sequence[ExecutedChapter],
    result: dict[str, Any],
    log: list[dict[str, Any]],
    shortcode_warnings: list[str],
    *,
    strict: bool,
) -> AssembledBook:
    """The filters' output split into chapters, with the cross-reference table and the
    `file:line` warnings of what they could not resolve."""
    meta = result["meta"]
    xrefs = {
        e["id"]: XrefEntry(
            id=e["id"],
            kind=e["kind"],
            number=e["number"],
            chapter=e["chapter"],
            caption=e["caption"],
            label=e["label"],
        )
        for e in _json_list(meta, "quartowrap-xrefs")
    }
    by_slug = {r.slug: c for r, c in zip(refs, chapters, strict=True)}
    missing = {
        m["message"].removeprefix("citation ").removesuffix(" not found")
        for m in log
        if m.get("type") == "CiteprocWarning" and m.get("message", "").endswith(" not found")
    }
    citations = [c for c in _json_list(meta, "quartowrap-citekeys") if c["key"] in missing]
    warnings = [
        *shortcode_warnings,
        *_locate(
            config, by_slug, _json_list(meta, "quartowrap-unresolved"), "unresolved reference"
        ),
        *_locate(config, by_slug, citations, "unresolved citation"),
        *_locate(
            config,
            by_slug,
            _json_list(meta, "quartowrap-duplicates"),
            "duplicate label",
            _definition_pattern,
        ),
    ]
    if strict and warnings:
        raise UnresolvedReferenceError(
            f"{len(warnings)} unresolved reference(s), shortcode key(s) or duplicate label(s)",
            detail="\n".join(warnings),
        )

    chapter_meta = {k: v for k, v in meta.items() if k not in INTERNAL_META}
    assembled = []
    for ref, blocks in _split(result, refs):
        title, number = _chapter_title(blocks, ref)
        ast = {
            "pandoc-api-version": result["pandoc-api-version"],
            "meta": chapter_meta,
            "blocks": blocks,
        }
        assembled.append(AssembledChapter(ref=ref, title=title, number=number, ast=ast))
    tables, figures = _ordered_outputs(chapters, xrefs)
    numbering = _meta_text(meta, "quartowrap-numbering")
    return AssembledBook(
        config=config,
        chapters=tuple(assembled),
        xrefs=xrefs,
        tables=tables,
        figures=figures,
        warnings=tuple(warnings),
        numbering={
            "chapters": json.loads(numbering) if numbering else {},
            "xrefs": _json_list(meta, "quartowrap-xrefs"),
            "citekeys": _json_list(meta, "quartowrap-citekeys"),
        },
    )


def reassemble_chapter(
    previous: AssembledBook,
    chapters: Sequence[ExecutedChapter],
    index: int,
    *,
    cache_dir: Path | None = None,
) -> AssembledBook | None:
    """`previous` with chapter `index` alone parsed, numbered and cited again (preview).

    The whole-book pass costs a pandoc run over every chapter (a second or more on a long
    book); an edit to one chapter's prose changes nothing outside it, so its page is
    remade from the counters, cross-reference entries, header ids and citation order the
    last whole-book pass recorded.  The caller renders the whole book again afterwards (a
    new label, a moved table or a first citation may renumber later chapters).  None when
    `previous` holds no such record or the chapter prints the bibliography.
    """
    config = previous.config
    chapter = chapters[index]
    ref = _chapter_ref(config, chapter.source)
    numbering = previous.numbering.get("chapters") or {}
    if ref.slug not in numbering or "#refs" in chapter.markdown:
        return None
    before = [_chapter_ref(config, c.source).slug for c in chapters[:index]]
    ids = [i for slug in before for i in (numbering.get(slug) or {}).get("ids") or []]
    seed = {
        "state": numbering[ref.slug]["state"],
        "xrefs": [e for e in previous.numbering.get("xrefs", []) if e.get("chapter") != ref.slug],
        "ids": ids,
    }
    cited = list(
        dict.fromkeys(
            e["key"] for e in previous.numbering.get("citekeys", []) if e.get("chapter") in before
        )
    )
    ast, warnings = _prepare(config, chapter, parse_markdown(chapter.markdown, cache_dir=cache_dir))
    meta = {
        **_book_meta(config),
        "quartowrap-seed": _meta_string(json.dumps(seed)),
    }
    document = bool(config.metadata.get("quartowrap-document"))
    blocks = [_chapter_div(ref, chapter, ast, _title_block(config, chapter), document=document)]
    if cited:  # cited earlier in the book: numbered first, as in the whole book, then dropped
        blocks.insert(0, {"t": "Para", "c": [_cite(key) for key in cited]})
    doc = {"pandoc-api-version": ast["pandoc-api-version"], "meta": meta, "blocks": blocks}
    result, log = _run_book_filters({**doc, "blocks": blocks[-1:]}, citeproc=False)
    if not _reuse_citations(config, previous, index, ref.slug, cited, result):
        result, log = _run_book_filters(doc)  # new citations: citeproc decides
    # the bibliography citeproc appends (so citations link to it) is the references page's
    result["blocks"] = [b for b in result["blocks"] if CHAPTER_CLASS in _classes(b)]
    alone = _collect(config, [ref], [chapter], result, log, warnings, strict=False)
    [assembled] = alone.chapters
    xrefs = {k: v for k, v in previous.xrefs.items() if v.chapter != ref.slug}
    xrefs.update(alone.xrefs)
    merged = [*chapters]
    tables, figures = _ordered_outputs(merged, xrefs)
    return replace(
        previous,
        chapters=tuple(assembled if i == index else c for i, c in enumerate(previous.chapters)),
        xrefs=xrefs,
        tables=tables,
        figures=figures,
        warnings=alone.warnings,
    )


def _reuse_citations(
    config: BookConfig,
    previous: AssembledBook,
    index: int,
    slug: str,
    cited_before: list[str],
    result: dict[str, Any],
) -> bool:
    """Fill the chapter's citations with their text from the last whole-book pass, when
    that text still holds: an in-text style (a note style numbers by position), every
    citation already rendered there, and the works first cited in this chapter first
    cited in the same order (numeric styles number them so).  False: run citeproc."""
    if not _in_text_style(config):
        return False
    cites = list(_cites(result["blocks"]))
    if not cites:
        return True
    known = {_citation_key(c): c["c"][1] for c in _cites(previous.chapters[index].ast["blocks"])}
    if any(_citation_key(c) not in known for c in cites):
        return False

    def firsts(keys: list[str]) -> list[str]:
        return [k for k in dict.fromkeys(keys) if k not in set(cited_before)]

    before = [e["key"] for e in previous.numbering.get("citekeys", []) if e["chapter"] == slug]
    now = [e["key"] for e in _json_list(result["meta"], "quartowrap-citekeys")]
    if firsts(now) != firsts(before):
        return False
    for cite in cites:
        cite["c"][1] = known[_citation_key(cite)]
    return True


def _cites(node: Any) -> Any:
    """Every Cite node under `node`, in document order."""
    if isinstance(node, list):
        for item in node:
            yield from _cites(item)
    elif isinstance(node, dict):
        if node.get("t") == "Cite":
            yield node
        else:
            yield from _cites(node.get("c"))


def _citation_key(cite: dict[str, Any]) -> str:
    return json.dumps(
        [
            [c["citationId"], c["citationMode"], c["citationPrefix"], c["citationSuffix"]]
            for c in cite["c"][0]
        ],
        sort_keys=True,
    )


def _in_text_style(config: BookConfig) -> bool:
    theme = theme_of(config)
    csl = config.csl or (theme.path(theme.csl) if theme.csl else None)
    return csl is None or _csl_in_text(str(csl))  # pandoc's default: Chicago author-date


@cache
def _csl_in_text(path: str) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"<style\b[^>]*\bclass=\"in-text\"", text) is not None


def _classes(block: dict[str, Any]) -> list[str]:
    return block["c"][0][1] if block["t"] == "Div" else []


def _cite(key: str) -> dict[str, Any]:
    citation = {
        "citationId": key,
        "citationPrefix": [],
        "citationSuffix": [],
        "citationMode": {"t": "NormalCitation"},
        "citationNoteNum": 0,
        "citationHash": 0,
    }
    return {"t": "Cite", "c": [[citation], []]}
