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

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pypandoc
from markupsafe import Markup

from quartowrap.errors import BuildError
from quartowrap.model import AssembledBook, AssembledChapter, FigureOutput, TableOutput
from quartowrap.writers.frontmatter import FrontMatter, build_front_matter
from quartowrap.writers.html.search_index import SearchDoc, docs_from_html, write_search_data

__all__ = ["last_warnings", "render_fragments", "write_html_site"]

_WRITER_DIR = Path(__file__).resolve().parent
_TEMPLATES = _WRITER_DIR / "templates"
_ASSETS = _WRITER_DIR / "assets"
# Asset folders copied into every site (fonts for the PDF live elsewhere and stay out).
_ASSET_DIRS = ("html", "vendor")

Node = dict[str, Any]

# Attributes the filters use to talk to the writers; not written into the HTML.
_INTERNAL_KV = ("number", "xref-label")

CALLOUT_TITLES = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "key-findings": "Key findings",
}


# --------------------------------------------------------------------------------------
# Pandoc JSON helpers
# --------------------------------------------------------------------------------------
def _str(text: str) -> Node:
    return {"t": "Str", "c": text}


def _span(classes: list[str], inlines: list[Node]) -> Node:
    return {"t": "Span", "c": [["", classes, []], inlines]}


def _raw_html(html: str) -> Node:
    return {"t": "RawBlock", "c": ["html", html]}


def _attr_of(node: Node) -> list[Any] | None:
    """The `[id, classes, key-values]` of an element, or None if it has none."""
    t = node.get("t")
    if t == "Header":
        return node["c"][1]
    if t in {"Div", "Span", "Table", "Figure", "CodeBlock", "Code", "Link", "Image"}:
        return node["c"][0]
    return None


def _kv(attr: list[Any], key: str) -> str | None:
    for k, v in attr[2]:
        if k == key:
            return v
    return None


def _without_kv(attr: list[Any], *keys: str) -> list[Any]:
    return [attr[0], attr[1], [[k, v] for k, v in attr[2] if k not in keys]]


def plain_text(value: Any) -> str:
    """Readable text of any pandoc JSON fragment (for titles, search and alt text)."""
    parts: list[str] = []

    def visit(v: Any) -> None:
        if isinstance(v, list):
            for item in v:
                visit(item)
        elif isinstance(v, dict):
            t = v.get("t")
            if t == "Str":
                parts.append(v["c"])
            elif t in {"Space", "SoftBreak", "LineBreak"}:
                parts.append(" ")
            elif t in {"Code", "Math"}:
                parts.append(v["c"][1])
            elif t == "CodeBlock":
                parts.append(" " + v["c"][1] + " ")
            elif t in {"RawInline", "RawBlock", "Note"}:
                return
            elif t == "Image":
                visit(v["c"][1])
            elif "c" in v:
                if t in _BLOCK_TYPES:
                    parts.append(" ")
                visit(v["c"])
                if t in _BLOCK_TYPES:
                    parts.append(" ")

    visit(value)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


_BLOCK_TYPES = {
    "Para",
    "Plain",
    "Header",
    "Div",
    "BlockQuote",
    "BulletList",
    "OrderedList",
    "DefinitionList",
    "Table",
    "Figure",
    "LineBlock",
    "Cell",
    "Row",
}


# Elements that never hold anything the writer changes: the walkers do not descend.
_LEAVES = frozenset(
    {"Str", "Space", "SoftBreak", "LineBreak", "Math", "RawInline", "RawBlock", "HorizontalRule"}
)
_WALK_SKIP = _LEAVES | {"Code", "CodeBlock"}


def _walk(value: Any, fn: Callable[[Node], Node | list[Node]]) -> Any:
    """Bottom-up copy of a pandoc JSON tree; `fn` may return a list to splice blocks.

    Only rebuilt containers are new objects; untouched leaves are shared with the input,
    which is never modified.
    """
    if type(value) is list:
        out: list[Any] = []
        for item in value:
            if type(item) is dict:
                t = item.get("t")
                if t in _WALK_SKIP:
                    out.append(item)
                    continue
                new = _walk(item, fn)
                if t is not None and type(new) is list:
                    out.extend(new)
                else:
                    out.append(new)
            elif type(item) is list:
                out.append(_walk(item, fn))
            else:
                out.append(item)
        return out
    if type(value) is dict:
        if "c" in value:
            value = {**value, "c": _walk(value["c"], fn)}
        return fn(value) if "t" in value else value
    return value


def _ids_in(blocks: Any) -> list[str]:
    """Every element id in a tree, in document order (iterative: trees can be large)."""
    ids: list[str] = []
    stack = [blocks]
    while stack:
        v = stack.pop()
        if type(v) is list:
            stack.extend(reversed(v))
        elif type(v) is dict:
            t = v.get("t")
            if t is None or t in _LEAVES:
                continue
            attr = _attr_of(v)
            if attr and attr[0]:
                ids.append(attr[0])
            if t not in {"Code", "CodeBlock"} and "c" in v:
                stack.append(v["c"])
    return ids


# --------------------------------------------------------------------------------------
# Pandoc: many documents, one process
# --------------------------------------------------------------------------------------
_FRAGMENT_CACHE: dict[str, str] = {}
_FRAGMENT_CACHE_MAX = 2048


def render_fragments(
    jobs: Sequence[tuple[str, Any]], *, cache_dir: Path | None = None
) -> list[str]:
    """HTML5 fragments for `(reader, payload)` jobs: ("json", pandoc AST) or ("markdown", text).

    Markdown jobs are read with raw HTML switched off: they carry text from metadata,
    which must show as text.  Results are memoised by content hash (the pandoc version is
    part of the key) in memory and, with `cache_dir`, on disk between builds, so a rebuild
    runs pandoc only for the pages that changed.
    """
    lines = []
    for reader, payload in jobs:
        if reader not in {"json", "markdown"}:
            raise ValueError(f"unknown reader {reader!r}")
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        lines.append(f"{reader}\t{text}")
    salt = _pandoc_salt()
    keys = [hashlib.sha256((salt + line).encode("utf-8")).hexdigest() for line in lines]
    todo: dict[str, str] = {}
    for key, line in zip(keys, lines, strict=True):
        if key in _FRAGMENT_CACHE or key in todo:
            continue
        cached = cache_dir / f"{key}.html" if cache_dir is not None else None
        if cached is not None and cached.is_file():
            _remember(key, cached.read_text(encoding="utf-8"))
        else:
            todo[key] = line
    if todo:
        missing = sorted(todo.items())
        stdin = "\n".join(line for _, line in missing) + "\n"
        cmd = [pypandoc.get_pandoc_path(), "lua", str(_TEMPLATES / "fragments.lua")]
        proc = subprocess.run(cmd, input=stdin.encode("utf-8"), capture_output=True, check=False)
        if proc.returncode != 0:
            raise BuildError(
                "pandoc could not write the HTML pages",
                detail=proc.stderr.decode("utf-8", "replace").strip(),
            )
        outputs = json.loads(proc.stdout.decode("utf-8"))
        for (key, _), html in zip(missing, outputs, strict=True):
            _remember(key, html)
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                tmp = cache_dir / f"{key}.tmp"
                tmp.write_text(html, encoding="utf-8")
                tmp.replace(cache_dir / f"{key}.html")
    return [_FRAGMENT_CACHE[k] for k in keys]


def _remember(key: str, html: str) -> None:
    if len(_FRAGMENT_CACHE) >= _FRAGMENT_CACHE_MAX:
        _FRAGMENT_CACHE.clear()
    _FRAGMENT_CACHE[key] = html


@lru_cache(maxsize=1)
def _pandoc_salt() -> str:
    """Cache key part: the pandoc binary and the batch script (a new version re-renders)."""
    script = (_TEMPLATES / "fragments.lua").read_bytes()
    binary = Path(pypandoc.get_pandoc_path())
    stat = binary.stat()
    return hashlib.sha256(
        script + f"{binary}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    ).hexdigest()


_THEAD_RE = re.compile(r"<thead>.*?</thead>", re.S)
_TBODY_RE = re.compile(r"<tbody>.*?</tbody>", re.S)
_TH_RE = re.compile(r"<th(?=[\s>])(?![^>]*\bscope=)")


def _scope_header_cells(html: str) -> str:
    """Give every header cell its scope: pandoc writes bare `<th>` (WCAG H63)."""
    html = _THEAD_RE.sub(lambda m: _TH_RE.sub('<th scope="col"', m.group(0)), html)
    return _TBODY_RE.sub(lambda m: _TH_RE.sub('<th scope="row"', m.group(0)), html)


# --------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    """A heading listed in the sidebar under the current page."""

    level: int
    id: str
    number: str | None
    title: str


@dataclass
class Page:
    """One HTML file of the site, in reading order."""

    filename: str
    title: str
    number: str | None = None
    group: str | None = None  # sidebar heading (a part, "Front matter", "Appendices")
    sections: list[Section] = field(default_factory=list)
    body: str = ""
    kind: str = "chapter"  # chapter | cover | front


@dataclass
class _Context:
    """Book-wide lookups shared by every chapter transformation."""

    book: AssembledBook
    out_dir: Path
    id_pages: dict[str, str]  # element id -> page file holding it
    tables: dict[str, TableOutput]
    figures: dict[str, FigureOutput]
    svg_outputs: dict[str, FigureOutput] = field(default_factory=dict)  # svg path -> figure
    copies: dict[Path, Path] = field(default_factory=dict)  # out file -> source file
    warnings: list[str] = field(default_factory=list)


def _page_file(chapter: AssembledChapter) -> str:
    return f"{chapter.ref.slug}.html"


def _label_for(ctx: _Context, attr: list[Any], kind: str) -> str | None:
    """Caption label ("Table 17"): the filter's `xref-label`, else built from the number."""
    ident, number = attr[0], _kv(attr, "number")
    if _kv(attr, "xref-label"):
        return _kv(attr, "xref-label")
    entry = ctx.book.xrefs.get(ident)
    if entry is not None and entry.label:
        return entry.label
    if entry is not None:
        number = number or entry.number
    if not number:
        return None
    default = {"tbl": "Table", "fig": "Figure"}[kind]
    prefix = ctx.book.config.crossref.get(f"{kind}-prefix", default)
    return f"{prefix} {number}"


def _prefix_caption(blocks: list[Node], label: str) -> list[Node]:
    """Put "Table N – " in front of a caption unless the assembler already did."""
    if plain_text(blocks).startswith(label):
        return blocks
    head = [_span(["caption-label"], [_str(label)])]
    if not blocks:
        return [{"t": "Plain", "c": head}]
    first = blocks[0]
    if first["t"] in {"Plain", "Para"}:
        return [{"t": first["t"], "c": [*head, _str(" – "), *first["c"]]}, *blocks[1:]]
    return [{"t": "Plain", "c": head}, *blocks]


def _download_links(links: list[tuple[str, str]]) -> Node:
    items = "".join(
        f'<a class="download" href="{Markup.escape(href)}">{Markup.escape(text)}</a>'
        for href, text in links
    )
    return _raw_html(f'<p class="downloads">{items}</p>')


def _callout(node: Node) -> Node | None:
    """Quarto callout Div -> titled box (`callout-key-findings` is the KCE box)."""
    attr, blocks = node["c"]
    if "callout" in attr[1] and _kv(attr, "callout-type"):
        # already shaped by filters/callouts.lua: announce it to screen readers, fold it
        if _kv(attr, "role"):
            return None
        return _collapsible(
            {"t": "Div", "c": [[attr[0], attr[1], [*attr[2], ["role", "note"]]], blocks]}
        )
    kinds = [
        c[len("callout-") :]
        for c in attr[1]
        if c.startswith("callout-") and c not in {"callout-title", "callout-body"}
    ]
    if not kinds:
        return None
    kind = kinds[0]
    title_attr = _kv(attr, "title")
    titled = True
    if title_attr:
        title: list[Node] = [_str(title_attr)]
    elif blocks and blocks[0]["t"] == "Header":
        title, blocks = blocks[0]["c"][2], blocks[1:]
    else:
        titled = False
        title = [_str(CALLOUT_TITLES.get(kind, kind.replace("-", " ").capitalize()))]
    appearance = _kv(attr, "appearance") or "default"
    if appearance not in CALLOUT_APPEARANCES:
        appearance = "default"
    classes = ["callout", *[c for c in attr[1] if c != "callout"], f"callout-style-{appearance}"]
    classes += ["callout-titled"] if titled else []
    kv = [[k, v] for k, v in attr[2] if k not in {"title", "appearance", "icon"}]
    return _collapsible(
        {
            "t": "Div",
            "c": [
                [attr[0], classes, [*kv, ["role", "note"]]],
                [
                    {"t": "Div", "c": [["", ["callout-title"], []], [{"t": "Plain", "c": title}]]},
                    {"t": "Div", "c": [["", ["callout-body"], []], blocks]},
                ],
            ],
        }
    )


CALLOUT_APPEARANCES = ("default", "simple", "minimal")


def _collapsible(callout: Node) -> Node:
    """`collapse="true|false"`: the title becomes the <summary> of a <details> holding the
    body (closed when true), so it folds without JavaScript; print CSS opens it again."""
    attr, blocks = callout["c"]
    collapse = (_kv(attr, "collapse") or "").lower()
    if collapse not in ("true", "false") or len(blocks) != 2:
        return callout
    title, body = blocks
    opened = "" if collapse == "true" else " open"
    folded = [
        _raw_html(f'<details class="callout-collapse"{opened}>'),
        _raw_html('<summary class="callout-title">'),
        *title["c"][1],
        _raw_html("</summary>"),
        body,
        _raw_html("</details>"),
    ]
    return {"t": "Div", "c": [[attr[0], [*attr[1], "callout-collapsible"], attr[2]], folded]}


def _tabset(node: Node, index: int) -> Node | None:
    """A tabset shaped by filters/tabsets.lua -> WAI-ARIA tabs.

    The static page holds every panel, each under its own title, so it reads fully
    without JavaScript (and prints whole); site.js hides the titles, shows the tab
    list and one panel at a time.  Ids are the tab headings' own or numbered per page,
    so rebuilds are byte-identical.
    """
    attr, blocks = node["c"]
    if "panel-tabset" not in attr[1] or _kv(attr, "tabset-shaped") != "true":
        return None
    base = attr[0] or f"tabset-{index}"
    buttons: list[str] = []
    out: list[Node] = []
    for block in blocks:
        battr = _attr_of(block) if block["t"] == "Div" else None
        if battr is None or "tab-pane" not in battr[1]:
            out.append(block)
            continue
        number = len(buttons) + 1
        pane_id = battr[0] or f"{base}-{number}"
        title = Markup.escape(_kv(battr, "tab-title") or f"Tab {number}")
        first = not buttons
        buttons.append(
            f'<button type="button" role="tab" id="{pane_id}-tab" aria-controls="{pane_id}" '
            f'aria-selected="{"true" if first else "false"}" tabindex="{0 if first else -1}">'
            f"{title}</button>"
        )
        heading, *body = block["c"][1]
        out.append(
            {
                "t": "Div",
                "c": [
                    [
                        pane_id,
                        ["tab-panel"],
                        [["role", "tabpanel"], ["aria-labelledby", f"{pane_id}-tab"]],
                    ],
                    [{"t": "Div", "c": [["", ["tab-title"], []], [heading]]}, *body],
                ],
            }
        )
    if not buttons:
        return None
    tablist = _raw_html(f'<div class="tab-list" role="tablist">{"".join(buttons)}</div>')
    return {
        "t": "Div",
        "c": [[base, attr[1], _without_kv(attr, "tabset-shaped")[2]], [tablist, *out]],
    }


def _local_source(target: str, chapter: AssembledChapter, root: Path) -> Path | None:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("#"):
        return None  # URL or data: URI
    path = Path(target)
    candidates = (
        [path]
        if path.is_absolute()
        else [
            root / chapter.ref.source.parent / path,
            root / path,
        ]
    )
    return next((c for c in candidates if c.is_file()), None)


def _transform_chapter(
    ctx: _Context, chapter: AssembledChapter, ids: list[str]
) -> tuple[list[Node], list[Section]]:
    """The chapter's blocks as they should be written, plus its sidebar sections.

    One bottom-up pass does everything (this is the hot loop of a rebuild).
    """
    page = _page_file(chapter)
    sections: list[Section] = []
    used_ids = set(ids)
    tabsets = 0

    def fix(node: Node) -> Node | list[Node]:
        nonlocal tabsets
        t = node["t"]
        if t == "Link":
            attr, inlines, (url, title) = node["c"]
            if url.startswith("#") and len(url) > 1:
                url = _resolve_fragment(ctx, url[1:], page, chapter)
            return {"t": "Link", "c": [attr, inlines, [url, title]]}
        if t == "Header":
            level, attr, inlines = node["c"]
            if not attr[0]:
                attr = [_unique_id(plain_text(inlines), used_ids), attr[1], attr[2]]
            number = _kv(attr, "number")
            title = plain_text(inlines)
            if number and "unnumbered" not in attr[1]:
                inlines = [_span(["header-section-number"], [_str(number)]), _str(" "), *inlines]
            else:
                number = None
            if "unlisted" not in attr[1]:  # e.g. headings inside a tab (tabsets.lua)
                sections.append(Section(level, attr[0], number, title))
            return {"t": "Header", "c": [level, _without_kv(attr, *_INTERNAL_KV), inlines]}
        if t == "Image":
            return _fix_image(ctx, node, chapter)
        if t == "Table":
            return _fix_table(ctx, node)
        if t == "Figure":
            return _fix_figure(ctx, node)
        if t == "Div":
            tabset = _tabset(node, tabsets + 1)
            if tabset is not None:
                tabsets += 1
                return tabset
            callout = _callout(node)
            if callout is not None:
                title_ids = {b["c"][1][0] for b in node["c"][1][:1] if b["t"] == "Header"}
                sections[:] = [s for s in sections if s.id not in title_ids]
                return callout
        return node

    return _walk(chapter.ast.get("blocks", []), fix), sections


def _with_byline(blocks: list[Node], byline: str) -> list[Node]:
    """Chapter authors (`kce: chapter-authors:`) right under the chapter title, as in KCE."""
    para = {
        "t": "Para",
        "c": [{"t": "Strong", "c": [_str("Authors:")]}, {"t": "Space"}, _str(byline)],
    }
    div = {"t": "Div", "c": [["", ["byline"], []], [para]]}
    for i, block in enumerate(blocks):
        if block["t"] == "Header" and block["c"][0] == 1:
            return [*blocks[: i + 1], div, *blocks[i + 1 :]]
    return [div, *blocks]


def _unique_id(title: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "section"
    ident, n = base, 1
    while ident in used:
        n += 1
        ident = f"{base}-{n}"
    used.add(ident)
    return ident


def _resolve_fragment(ctx: _Context, ident: str, page: str, chapter: AssembledChapter) -> str:
    target = ctx.id_pages.get(ident)
    if target is None:
        entry = ctx.book.xrefs.get(ident)
        target = f"{entry.chapter}.html" if entry else None
    if target is None:
        ctx.warnings.append(f"{chapter.ref.source.as_posix()}: link to unknown id #{ident}")
        return f"#{ident}"
    return f"#{ident}" if target == page else f"{target}#{ident}"


# Table presentation (the PDF does the same in filters/typst.lua): number columns are
# right-aligned, column widths are left to the browser (pipe/grid widths only echo the
# markdown source), "n = 137" and "know (n)" keep together, group rows read from the left.
_NEUTRAL_CELLS = frozenset({"", "-", "\u2013", "\u2014", "NA", "n/a", "\u2026", "."})
_NUMBER_RE = re.compile(
    r"[pP]?[\d\s.,%()\[\];:<>=+\-*/\u2212\u2013\u2014\u00b1\u2009\u202f\u2264\u2265]*"
)
_NBSP = "\u00a0"
_SHORT_CELL = 16


def is_number_cell(text: str) -> bool:
    """A table cell that holds a quantity ("12.5", "3 (4 %)", "< 0.001", "−1.2 [−2; 0]").

    "2, 3, 7" (a list of document numbers) reads as text and stays left-aligned.
    """
    text = text.replace(_NBSP, " ").strip()
    if text in _NEUTRAL_CELLS or not re.search(r"\d", text) or re.search(r"\d, \d", text):
        return False
    return _NUMBER_RE.fullmatch(text) is not None


def _glue(inlines: list[Node]) -> list[Node]:
    """No-break spaces around "=" and before a short "(n)" / "(%)" unit."""
    out: list[Node] = []
    for i, el in enumerate(inlines):
        if el.get("t") == "Space":
            nxt = inlines[i + 1] if i + 1 < len(inlines) else {}
            prev = inlines[i - 1] if i > 0 else {}
            nxt_text = nxt.get("c") if nxt.get("t") == "Str" else ""
            if (
                nxt_text == "="
                or re.fullmatch(r"\(.{1,3}\)[.,;:]?", nxt_text or "")
                or (prev.get("t") == "Str" and prev.get("c") == "=")
            ):
                out.append(_str(_NBSP))
                continue
        out.append(el)
    return out


def _glue_all(value: Any) -> Any:
    """`_glue` applied to every inline list (Para/Plain content) under `value`."""
    if isinstance(value, list):
        return [_glue_all(v) for v in value]
    if isinstance(value, dict):
        if value.get("t") in {"Para", "Plain"}:
            return {"t": value["t"], "c": _glue(value["c"])}
        if "c" in value and value.get("t") not in _WALK_SKIP:
            return {**value, "c": _glue_all(value["c"])}
    return value


def _layout_table(rest: list[Any]) -> list[Any]:
    """colspecs, head, bodies, foot of a pandoc Table with the presentation rules applied."""
    colspecs, head, bodies, foot = rest
    n = len(colspecs)
    numbers, texts = [0] * n, [0] * n
    for body in bodies:
        for row in body[3]:
            col = 0
            for cell in row[1]:
                span = cell[3]
                text = plain_text(cell[4])
                if span == 1 and col < n and text not in _NEUTRAL_CELLS:
                    if is_number_cell(text):
                        numbers[col] += 1
                    else:
                        texts[col] += 1
                col += span
    specs = []
    for k, (align, _width) in enumerate(colspecs):
        if numbers[k] and not texts[k] and align["t"] != "AlignCenter":
            align = {"t": "AlignRight"}
        specs.append([align, {"t": "ColWidthDefault"}])

    def spans_left(rows: list[Any]) -> list[Any]:
        return [
            [
                row[0],
                [
                    [c[0], {"t": "AlignLeft"}, *c[2:]]
                    if c[3] > 1 and c[1]["t"] == "AlignDefault"
                    else c
                    for c in row[1]
                ],
            ]
            for row in rows
        ]

    def short_nowrap(rows: list[Any]) -> list[Any]:
        # a short cell ("Don't know (n)", "< 0.001") never wraps: without this the browser
        # squeezes label columns to give the slack to wide number headers
        out = []
        for row in rows:
            cells = []
            for c in row[1]:
                if c[3] == 1 and len(plain_text(c[4])) <= _SHORT_CELL:
                    ident, classes, kvs = c[0]
                    c = [[ident, [*classes, "nowrap"], kvs], *c[1:]]
                cells.append(c)
            out.append([row[0], cells])
        return out

    bodies = [[b[0], b[1], spans_left(b[2]), short_nowrap(spans_left(b[3]))] for b in bodies]
    return [specs, *_glue_all([head, bodies, foot])]


def _fix_table(ctx: _Context, node: Node) -> Node | list[Node]:
    attr, (short, caption), *rest = node["c"]
    rest = _layout_table(rest)
    caption = _glue_all(caption)
    ident = attr[0]
    if not ident:
        return {"t": "Table", "c": [attr, [short, caption], *rest]}
    label = _label_for(ctx, attr, "tbl")
    if label:
        caption = _prefix_caption(caption, label)
    table = {"t": "Table", "c": [_without_kv(attr, *_INTERNAL_KV), [short, caption], *rest]}
    extra = []
    if ident in ctx.tables:
        extra.append(_download_links([(f"../tables/{ident}.csv", "Download CSV")]))
    return {"t": "Div", "c": [["", ["table-wrap"], []], [table, *extra]]}


def _fix_figure(ctx: _Context, node: Node) -> Node:
    attr, (short, caption), body = node["c"]
    ident = attr[0]
    output = ctx.figures.get(ident)
    sub = _kv(attr, "subfig-label")
    if sub:  # a part of a figure (crossref.lua): "(a) caption" under its image, as Quarto
        first = caption[0]["c"] if caption and caption[0]["t"] in {"Plain", "Para"} else []
        caption = [
            {"t": "Plain", "c": [_span(["subfig-label"], [_str(sub)]), _str(" "), *first]},
            *caption[1:],
        ]
    elif ident:
        label = _label_for(ctx, attr, "fig")
        if label:
            caption = _prefix_caption(caption, label)
    if output is not None:
        links = [(f"../figures/{ident}.svg", "Download SVG")]
        if output.csv:
            links.append((f"../figures/{ident}.csv", "Download CSV"))
        body = [*body, _download_links(links)]
    attr = _without_kv(attr, *_INTERNAL_KV, "subfig-label", "parent")
    if "quarto-layout-panel" not in attr[1]:
        return {"t": "Figure", "c": [attr, [short, caption], body]}
    # A panel of sub-figures: Quarto's div.quarto-layout-panel > figure > rows of cells.
    widths = _layout_widths(attr, sum(1 for b in body if b["t"] == "Figure"))
    rows = _layout_rows(body, widths)
    kept = [kv for kv in attr[2] if kv[0] not in _LAYOUT_KEYS]
    figure = {"t": "Figure", "c": [[ident, [], kept], [short, caption], rows]}
    return {"t": "Div", "c": [["", ["quarto-layout-panel"], []], [figure]]}


_LAYOUT_KEYS = ("layout-ncol", "layout-nrow", "layout")


def _layout_widths(attr: list[Any], parts: int) -> list[list[float]]:
    """Rows of relative cell widths from Quarto's `layout-ncol`, `layout-nrow` or `layout`
    (`[[1,1],[1]]`, or `[1,1]` for one row; a negative width is empty space, kept as
    room here).  Without any, each part gets a row of its own, as in Quarto."""
    layout = _kv(attr, "layout")
    if layout:
        try:
            value = json.loads(layout)
        except ValueError:
            value = None
        if isinstance(value, list) and value and all(isinstance(v, int | float) for v in value):
            value = [value]
        if isinstance(value, list) and all(
            isinstance(row, list) and row and all(isinstance(v, int | float) for v in row)
            for row in value
        ):
            return [[abs(float(v)) for v in row] for row in value]
    ncol = 1
    try:
        if _kv(attr, "layout-ncol"):
            ncol = int(str(_kv(attr, "layout-ncol")))
        elif _kv(attr, "layout-nrow"):
            ncol = -(-parts // int(str(_kv(attr, "layout-nrow"))))
    except ValueError:
        ncol = 1
    ncol = max(1, ncol)
    return [[1.0] * ncol for _ in range(max(1, -(-parts // ncol)))]


def _layout_rows(body: list[Node], widths: list[list[float]]) -> list[Node]:
    """The sub-figures in `div.quarto-layout-row`s of `div.quarto-layout-cell`s whose width
    is their share of the row; blocks that are not sub-figures stay after the rows."""
    parts = [b for b in body if b["t"] == "Figure"]
    rest = [b for b in body if b["t"] != "Figure"]
    rows: list[Node] = []
    i = 0
    row_specs = list(widths)
    while i < len(parts):
        spec = row_specs.pop(0) if row_specs else widths[-1]
        total = sum(spec) or 1.0
        cells = []
        for width in spec:
            if i >= len(parts):
                break
            style = f"flex-basis: {100 * width / total:.4g}%;"
            cells.append(
                {"t": "Div", "c": [["", ["quarto-layout-cell"], [["style", style]]], [parts[i]]]}
            )
            i += 1
        rows.append({"t": "Div", "c": [["", ["quarto-layout-row"], []], cells]})
    return [*rows, *rest]


def _fix_image(ctx: _Context, node: Node, chapter: AssembledChapter) -> Node:
    """Copy the image into the site; a cell figure's SVG goes to figures/<label>.svg."""
    attr, inlines, (src, title) = node["c"]
    output = ctx.svg_outputs.get(src)
    if output is not None and output.svg.is_file():
        dest = Path("figures") / f"{output.label}.svg"
        ctx.copies[ctx.out_dir / dest] = output.svg
        src = dest.as_posix()
    else:
        source = _local_source(src, chapter, ctx.book.config.root)
        if source is not None:
            digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
            dest = Path("media") / f"{digest}-{source.name}"
            ctx.copies[ctx.out_dir / dest] = source
            src = dest.as_posix()
        elif not src.startswith("data:"):
            ctx.warnings.append(f"{chapter.ref.source.as_posix()}: image not found: {src}")
    alt = _kv(attr, "fig-alt") or (output.alt if output else None)
    if alt:
        inlines = [_str(alt)]
    attr = _without_kv(attr, "fig-alt")
    return {"t": "Image", "c": [attr, inlines, [src, title]]}


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
) -> list[Path]:
    """Write the HTML site into `out_dir`; return every file written, sorted.

    `front_matter` defaults to `frontmatter.build_front_matter(book, …)` when the book has
    a `kce:` block (as the PDF does, so both show the same cover, colophon and lists); a
    book without one gets no cover/colophon pages.  Files whose bytes would not change
    are left alone, so a preview server watching the output sees only what changed.
    `cache_dir` (optional, e.g. `_freeze/_html`) keeps pandoc's page fragments between
    builds, so a rebuild in a new process only converts the pages that changed.
    """
    if front_matter is None and book.config.kce:
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
    chapter_ids = [_ids_in(chapter.ast.get("blocks", [])) for chapter in book.chapters]
    for chapter, ids in zip(book.chapters, chapter_ids, strict=True):
        for ident in ids:
            ctx.id_pages.setdefault(ident, _page_file(chapter))

    # 1. Chapter ASTs -> blocks ready for pandoc.
    chapter_pages: list[Page] = []
    jobs: list[tuple[str, Any]] = []
    kce = book.config.kce or {}
    bylines = kce.get("chapter-authors") or {}
    for chapter, ids in zip(book.chapters, chapter_ids, strict=True):
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
    if fm is not None:
        markdown = [*([fm.foreword_md] if fm.foreword_md else []), *fm.key_messages_md]
        jobs.extend(("markdown", text) for text in markdown)

    fragments = render_fragments(jobs, cache_dir=cache_dir)
    for page, html in zip(chapter_pages, fragments, strict=False):
        page.body = _scope_header_cells(html)
    md_html = [Markup(h) for h in fragments[len(chapter_pages) :]]
    foreword = md_html[0] if fm is not None and fm.foreword_md else None
    key_messages = md_html[1:] if foreword is not None else md_html

    front_pages = _front_pages(ctx, fm, foreword, key_messages)
    pages = _reading_order(chapter_pages, front_pages)

    # 3. Wrap every page in the template.
    files: dict[Path, bytes] = {}
    nav = _nav_groups(pages)
    site = _site_info(book, version, commit, {p.filename for p in pages})
    site["cover"] = _cover(book, fm, version)
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
    for sub in _ASSET_DIRS:
        for src in sorted((_ASSETS / sub).rglob("*")):
            if src.is_file():
                rel = src.relative_to(_ASSETS)
                files[out_dir / "assets" / rel] = src.read_bytes()
    for dest, src in sorted(ctx.copies.items()):
        files[dest] = src.read_bytes()

    for path, data in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        if not (path.is_file() and path.read_bytes() == data):
            path.write_bytes(data)
    _last_warnings[:] = ctx.warnings
    return sorted(files)


_last_warnings: list[str] = []


def last_warnings() -> list[str]:
    """Problems noticed by the last `write_html_site` call (links/images not found)."""
    return list(_last_warnings)


def _site_info(book: AssembledBook, version: str, commit: str | None, files: set[str]) -> dict:
    cfg = book.config
    kce = cfg.kce or {}
    number = kce.get("report-number")
    return {
        "title": cfg.title,
        "subtitle": cfg.subtitle,
        "short_title": kce.get("short-title") or cfg.title,
        "report": f"KCE Report {number}" if number else None,
        "series": kce.get("series"),
        "lang": cfg.metadata.get("lang", "en") if isinstance(cfg.metadata, Mapping) else "en",
        "version": version,
        "dev": _is_dev(version),
        "commit": commit,
        "short_commit": _short_commit(commit),
        "history": "version-history.html" if "version-history.html" in files else None,
    }


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
    """What the cover block on index.html shows (book metadata when there is no `kce:`)."""
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
