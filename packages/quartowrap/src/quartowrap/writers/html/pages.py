"""Chapter ASTs made ready for HTML: numbers and captions, callouts, tabsets, figures, links."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from quartowrap.model import AssembledBook, AssembledChapter, FigureOutput, TableOutput
from quartowrap.project.confine import confine, line_of
from quartowrap.project.theme import caption_delimiter, theme_of
from quartowrap.writers.html.pandoc_ast import (
    _INTERNAL_KV,
    Node,
    _attr_of,
    _kv,
    _raw_html,
    _span,
    _str,
    _walk,
    _without_kv,
    plain_text,
)
from quartowrap.writers.html.tables import framed, glue_all, with_layout

CALLOUT_TITLES = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
}


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
    return f"{prefix}\u00a0{number}"


def _title_delim(ctx: _Context) -> str:
    """What follows "Figure 1" in a caption: `crossref: title-delim`, else the theme's
    default, else Quarto's ":"."""
    return caption_delimiter(ctx.book.config)


def _prefix_caption(blocks: list[Node], label: str, delim: str = ":") -> list[Node]:
    """Put "Table N: " (delimiter from `_title_delim`) in front of a caption unless the
    assembler already did; an empty caption is the label alone, as Quarto prints it."""
    if plain_text(blocks).startswith(label):
        return blocks
    head = [_span(["caption-label"], [_str(label)])]
    if not plain_text(blocks).strip():
        return [{"t": "Plain", "c": head}]
    first = blocks[0]
    if first["t"] in {"Plain", "Para"}:
        lead = [*head, _str(delim), {"t": "Space"}]
        return [{"t": first["t"], "c": [*lead, *first["c"]]}, *blocks[1:]]
    return [{"t": "Plain", "c": head}, *blocks]


# Quarto suffixes caption ids with one fixed UUID so they never clash with an author's ids;
# the same suffix keeps scripts and styles written for Quarto's pages working here.
CAPTION_ID_SUFFIX = "caption-0ceaefa1-69ba-4598-a22c-09a6ac19f8ca"


def _float(
    ident: str,
    kind: str,
    attr: list[Any],
    content: list[Node],
    caption: list[Node],
    *,
    top: bool = False,
    sub: bool = False,
    after: list[Node] | None = None,
) -> Node:
    """A numbered float as Quarto 1.4+ prints it in HTML:
    `div#id.quarto-float.quarto-figure > figure.quarto-float.quarto-float-<kind>` holding
    the content in a div described by the `figcaption.quarto-float-caption` (above for
    tables, below for figures); `sub` makes it a part of a panel (`quarto-subfloat-…`)."""
    cap_id = f"{ident}-{CAPTION_ID_SUFFIX}"
    float_cls = f"quarto-subfloat-{kind}" if sub else f"quarto-float-{kind}"
    cap_cls = " ".join(
        [
            f"quarto-float-caption-{'top' if top else 'bottom'}",
            "quarto-subfloat-caption" if sub else "quarto-float-caption",
            float_cls,
        ]
    )
    inlines = [i for b in caption if b["t"] in {"Plain", "Para"} for i in b["c"]]
    figcaption = [
        _raw_html(f'<figcaption class="{cap_cls}" id="{Markup.escape(cap_id)}">'),
        {"t": "Plain", "c": inlines},
        *[b for b in caption if b["t"] not in {"Plain", "Para"}],
        _raw_html("</figcaption>"),
    ]
    described = {"t": "Div", "c": [["", [], [["aria-describedby", cap_id]]], content]}
    inner = [*figcaption, described] if top else [described, *figcaption]
    classes = ["quarto-float", "quarto-figure", "quarto-figure-center", "anchored"]
    classes += [c for c in attr[1] if c not in classes]
    return {
        "t": "Div",
        "c": [
            [ident, classes, attr[2]],
            [
                _raw_html(f'<figure class="quarto-float {float_cls} figure">'),
                *inner,
                *(after or []),
                _raw_html("</figure>"),
            ],
        ],
    }


def _with_figure_img(blocks: list[Node]) -> list[Node]:
    """Images inside a figure get Quarto's class `figure-img`."""

    def mark(node: Node) -> Node:
        if node["t"] == "Image" and "figure-img" not in node["c"][0][1]:
            attr = node["c"][0]
            return {
                "t": "Image",
                "c": [[attr[0], [*attr[1], "figure-img"], attr[2]], *node["c"][1:]],
            }
        return node

    return _walk(blocks, mark)


def _download_links(links: list[tuple[str, str]]) -> Node:
    items = "".join(
        f'<a class="download" href="{Markup.escape(href)}">{Markup.escape(text)}</a>'
        for href, text in links
    )
    return _raw_html(f'<p class="downloads">{items}</p>')


def _callout(node: Node, titles: dict[str, str] = CALLOUT_TITLES) -> Node | None:
    """Quarto callout Div -> titled box; `titles`: the kinds known (Quarto's and the theme's)."""
    attr, blocks = node["c"]
    if "callout" in attr[1] and _kv(attr, "callout-type"):
        # already shaped by filters/callouts.lua: announce it to screen readers, fold it
        if _kv(attr, "role"):
            return None
        return _collapsible(
            {"t": "Div", "c": [[attr[0], attr[1], [*attr[2], ["role", "note"]]], blocks]}
        )
    # Known kinds only: any other `callout-…` class is an ordinary Div (as in Quarto and in
    # the PDF, whose filter shapes the same kinds)
    kinds = [c[len("callout-") :] for c in attr[1] if c[len("callout-") :] in titles]
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
        title = [_str(titles[kind])]
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
_TITLE_CONTAINER = ["", ["callout-title-container"], []]


def _quarto_callout_parts(blocks: list[Node]) -> list[Node]:
    """The title and body Divs with Quarto's names beside ours: the title in
    `div.callout-header > div.callout-title-container`, the body `div.callout-body-container`
    (users' CSS and scripts written for Quarto's pages target these)."""
    if len(blocks) != 2 or any(b["t"] != "Div" for b in blocks):
        return blocks
    title, body = blocks
    if title["c"][0][1] != ["callout-title"] or body["c"][0][1] != ["callout-body"]:
        return blocks
    return [
        {
            "t": "Div",
            "c": [
                ["", ["callout-title", "callout-header"], []],
                [{"t": "Div", "c": [_TITLE_CONTAINER, title["c"][1]]}],
            ],
        },
        {"t": "Div", "c": [["", ["callout-body", "callout-body-container"], []], body["c"][1]]},
    ]


def _collapsible(callout: Node) -> Node:
    """`collapse="true|false"`: the title becomes the <summary> of a <details> holding the
    body (closed when true), so it folds without JavaScript; print CSS opens it again.
    Both get Quarto's class names (`_quarto_callout_parts`)."""
    attr, blocks = callout["c"]
    blocks = _quarto_callout_parts(blocks)
    callout = {"t": "Div", "c": [attr, blocks]}
    collapse = (_kv(attr, "collapse") or "").lower()
    if collapse not in ("true", "false") or len(blocks) != 2:
        return callout
    title, body = blocks
    opened = "" if collapse == "true" else " open"
    # a <summary> holds phrasing content: the title container is a span there
    container = title["c"][1][0]["c"][1] if title["c"][1] and title["c"][1][0]["t"] == "Div" else []
    inlines = [i for b in container if b["t"] in ("Plain", "Para") for i in b["c"]]
    folded = [
        _raw_html(f'<details class="callout-collapse"{opened}>'),
        _raw_html('<summary class="callout-title callout-header">'),
        {"t": "Plain", "c": [{"t": "Span", "c": [_TITLE_CONTAINER, inlines]}]},
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
    titles = {**CALLOUT_TITLES, **dict(theme_of(ctx.book.config).callouts)}

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
            callout = _callout(node, titles)
            if callout is not None:
                title_ids = {b["c"][1][0] for b in node["c"][1][:1] if b["t"] == "Header"}
                sections[:] = [s for s in sections if s.id not in title_ids]
                return callout
            return _layout_div(node)
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
        # A citation whose key is missing links to `#ref-<key>`: it is reported once, as an
        # unresolved citation, not a second time as a broken link.
        cited = ident.startswith("ref-") and any(
            w.endswith(f": unresolved citation @{ident[4:]}") for w in ctx.book.warnings
        )
        if not cited:
            ctx.warnings.append(f"{chapter.ref.source.as_posix()}: link to unknown id #{ident}")
        return f"#{ident}"
    return f"#{ident}" if target == page else f"{target}#{ident}"


def _fix_table(ctx: _Context, node: Node) -> Node | list[Node]:
    output = ctx.tables.get(node["c"][0][0])
    node = with_layout(node, output.model if output else None)
    attr, (short, caption), *rest = node["c"]
    caption = glue_all(caption)
    ident = attr[0]
    if not ident:
        return framed({"t": "Table", "c": [attr, [short, caption], *rest]})
    sub = _kv(attr, "subfig-label")
    if sub:  # a part of a table panel (crossref.lua): "(a) caption" above it, as Quarto
        first = caption[0]["c"] if caption and caption[0]["t"] in {"Plain", "Para"} else []
        caption = [{"t": "Plain", "c": [_span(["subfig-label"], [_str(sub)]), _str(" "), *first]}]
        table = {"t": "Table", "c": [["", [], []], [None, []], *rest]}
        links = [(f"tables/{ident}.csv", "Download CSV")] if ident in ctx.tables else []
        wrap = framed(
            table,
            [_download_links(links)] if links else [],
            labelled_by=f"{ident}-{CAPTION_ID_SUFFIX}",
        )
        attr = _without_kv(attr, *_INTERNAL_KV, "subfig-label", "parent")
        return _float(ident, "tbl", attr, [wrap], caption, top=True, sub=True)
    label = _label_for(ctx, attr, "tbl")
    if label:
        caption = _prefix_caption(caption, label, _title_delim(ctx))
    extra = []
    if ident in ctx.tables:
        extra.append(_download_links([(f"tables/{ident}.csv", "Download CSV")]))
    attr = _without_kv(attr, *_INTERNAL_KV)
    if not (label and ident.startswith("tbl-")):
        return framed({"t": "Table", "c": [attr, [short, caption], *rest]}, extra)
    # Quarto's table float: the caption above in a figcaption (outside the scroll box, so it
    # is never cut), the table itself bare in its frame, named by that figcaption
    table = {"t": "Table", "c": [["", [], []], [None, []], *rest]}
    wrap = framed(table, extra, labelled_by=f"{ident}-{CAPTION_ID_SUFFIX}")
    return _float(ident, "tbl", attr, [wrap], caption, top=True)


def _fix_figure(ctx: _Context, node: Node) -> Node:
    attr, (_short, caption), body = node["c"]
    ident = attr[0]
    output = ctx.figures.get(ident)
    sub = _kv(attr, "subfig-label")
    kind = "tbl" if ident.startswith("tbl-") else "fig"  # a `#tbl-` div of other content
    label = None
    if sub:  # a part of a figure (crossref.lua): "(a) caption" under its image, as Quarto
        first = caption[0]["c"] if caption and caption[0]["t"] in {"Plain", "Para"} else []
        caption = [
            {"t": "Plain", "c": [_span(["subfig-label"], [_str(sub)]), _str(" "), *first]},
            *caption[1:],
        ]
    elif ident:
        label = _label_for(ctx, attr, kind)
        if label:
            caption = _prefix_caption(caption, label, _title_delim(ctx))
    after: list[Node] = []
    if output is not None:
        links = [(f"figures/{ident}.svg", "Download SVG")]
        if output.csv:
            links.append((f"figures/{ident}.csv", "Download CSV"))
        after.append(_download_links(links))
    body = _with_figure_img(body)
    attr = _without_kv(attr, *_INTERNAL_KV, "subfig-label", "parent")
    if "quarto-layout-panel" in attr[1]:
        # A panel of sub-figures: the parent float holds div.quarto-layout-panel > rows of
        # cells, each cell a sub-float
        widths = _layout_widths(attr, sum(1 for b in body if _is_part(b)))
        rows = _layout_rows(body, widths, valign=_valign(attr))
        panel = {"t": "Div", "c": [["", ["quarto-layout-panel"], []], rows]}
        classes = [c for c in attr[1] if c != "quarto-layout-panel"]
        kept = [kv for kv in attr[2] if kv[0] not in (*_LAYOUT_KEYS, "layout-valign")]
        return _float(
            ident, kind, [ident, classes, kept], [panel], caption, top=kind == "tbl", after=after
        )
    if sub or label:
        return _float(
            ident, kind, attr, body, caption, top=kind == "tbl", sub=bool(sub), after=after
        )
    # an unnumbered figure (a captioned image): Quarto's div.quarto-figure > figure.figure
    inlines = [i for b in caption if b["t"] in {"Plain", "Para"} for i in b["c"]]
    return {
        "t": "Div",
        "c": [
            [ident, ["quarto-figure", "quarto-figure-center", *attr[1]], attr[2]],
            [
                _raw_html('<figure class="figure">'),
                *body,
                *after,
                _raw_html("<figcaption>"),
                {"t": "Plain", "c": inlines},
                _raw_html("</figcaption>"),
                _raw_html("</figure>"),
            ],
        ],
    }


def _layout_div(node: Node) -> Node:
    """A plain div with `layout-ncol`/`layout-nrow`/`layout` (not a float): Quarto's
    div.quarto-layout-panel whose cells are the div's blocks, in rows."""
    attr, blocks = node["c"]
    if not any(_kv(attr, key) for key in _LAYOUT_KEYS) or "quarto-layout-panel" in attr[1]:
        return node
    widths = _layout_widths(attr, len(blocks))
    kept = [kv for kv in attr[2] if kv[0] not in _LAYOUT_KEYS]
    rows = _layout_rows(blocks, widths, lambda _block: True, _valign(attr))
    kept = [kv for kv in kept if kv[0] != "layout-valign"]
    return {"t": "Div", "c": [[attr[0], ["quarto-layout-panel", *attr[1]], kept], rows]}


def _is_part(block: Node) -> bool:
    """A sub-figure of a panel, once `_fix_figure` has made it a sub-float."""
    return block["t"] == "Figure" or (block["t"] == "Div" and "quarto-float" in block["c"][0][1])


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


def _valign(attr: list[Any]) -> str:
    """Quarto's `layout-valign`: top (its default), center or bottom; another value is
    taken as the default, as Quarto does."""
    value = str(_kv(attr, "layout-valign") or "top")
    return value if value in ("top", "center", "bottom") else "top"


def _layout_rows(
    body: list[Node],
    widths: list[list[float]],
    is_part: Callable[[Node], bool] | None = None,
    valign: str = "top",
) -> list[Node]:
    """The sub-figures in `div.quarto-layout-row`s of `div.quarto-layout-cell`s whose width
    is their share of the row; blocks that are not sub-figures stay after the rows.  Each
    row carries Quarto's `quarto-layout-valign-<valign>` class (site.css aligns by it)."""
    is_part = is_part or _is_part
    parts = [b for b in body if is_part(b)]
    rest = [b for b in body if not is_part(b)]
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
                {
                    "t": "Div",
                    "c": [
                        [
                            "",
                            ["quarto-layout-cell-subref", "quarto-layout-cell"],
                            [["style", style]],
                        ],
                        [parts[i]],
                    ],
                }
            )
            i += 1
        row_classes = ["quarto-layout-row", f"quarto-layout-valign-{valign}"]
        rows.append({"t": "Div", "c": [["", row_classes, []], cells]})
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
            # never copy (publish) a file from outside the project into the site
            at = line_of(ctx.book.config.root, chapter.ref.source, src)
            source = confine(source, (ctx.book.config.root,), "image", at)
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
