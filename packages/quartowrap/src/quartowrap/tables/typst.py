"""Print the table model as typst: the table frame as raw typst, the cells as pandoc inlines.

The frame (`#figure(table(columns, align, table.header(...), ...))`) is written here as
`RawInline` typst holding only numbers, keywords and escaped strings; every cell's text stays
a pandoc inline between the raw pieces, so pandoc's typst writer escapes it (`#`, `$`, `*`,
`<`, `@`). Group rows are level-2 table headers (typst keeps them with their first row);
number cells never wrap (no-break spaces); a numbered table's header starts with the
"Table N (continued)" row of the template (`qw-continued`).
"""

from __future__ import annotations

import re

from quartowrap.tables.html import _notes, cell_blocks
from quartowrap.tables.layout import Layout
from quartowrap.tables.model import Cell, Row, Table
from quartowrap.tables.pandoc import NBSP, Node, stringify, text_inlines

TABLE_END = "// end of table"  # a RawBlock after every table: notes that follow go with it


def typst_string(text: str) -> str:
    """A typst string literal (for raw typst code)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _raw(text: str) -> Node:
    return {"t": "RawInline", "c": ["typst", text]}


def _no_break(inlines: list[Node]) -> list[Node]:
    """A number cell's spaces as no-break spaces: "12 (4 %)" stays on one line."""
    return [{"t": "Str", "c": NBSP} if el.get("t") == "Space" else el for el in inlines]


def _list_call(fn: str, items: list[list[Node]]) -> list[Node]:
    out = [_raw(f"#{fn}(")]
    for k, item in enumerate(items):
        out += [_raw(", [" if k else "["), *_blocks_inlines(item), _raw("]")]
    out.append(_raw(")"))
    return out


def _blocks_inlines(blocks: list[Node]) -> list[Node]:
    """Cell blocks as one run of inlines: paragraphs apart, lists as `#list(...)` calls
    (pandoc's own list markup breaks inside a table cell)."""
    out: list[Node] = []
    for block in blocks:
        t = block.get("t")
        if out:
            out.append(_raw("\n\n"))
        if t in {"Plain", "Para"}:
            out += block["c"]
        elif t == "BulletList":
            out += _list_call("list", block["c"])
        elif t == "OrderedList":
            out += _list_call("enum", block["c"][1])
        elif t == "LineBlock":
            for k, line in enumerate(block["c"]):
                out += ([_raw(" \\ ")] if k else []) + line
        elif t == "Div":
            out += _blocks_inlines(block["c"][1])
        else:  # anything else in a cell prints as its text
            out += text_inlines(stringify(block))
    return out


def _cell_inlines(cell: Cell, layout: Layout, width_pt: float) -> list[Node]:
    inlines = _blocks_inlines(cell_blocks(cell))
    if cell.kind == "number" and layout.fits(width_pt):
        return _no_break(inlines)
    return inlines


def _cell(
    cell: Cell,
    layout: Layout,
    width_pt: float,
    *,
    group: bool = False,
    strong: bool = False,
    marker: list[Node] | None = None,
    extra: int = 0,
) -> list[Node]:
    """One cell; `extra`: it also spans that many (zero-width) columns to its right."""
    body = [*(marker or []), *_cell_inlines(cell, layout, width_pt)]
    if strong and body:  # header rows under the first (the template styles that one)
        body = [{"t": "Strong", "c": body}]
    span = cell.colspan + extra
    if group:
        return [_raw(f"table.cell(align: left, colspan: {span})["), *body, _raw("]")]
    if cell.colspan > 1:  # a spanner over the columns it groups
        align = f"align: {layout.spanner_align}, "
        return [_raw(f"table.cell({align}colspan: {span})["), *body, _raw("]")]
    if extra:
        return [_raw(f"table.cell(colspan: {span})["), *body, _raw("]")]
    return [_raw("["), *body, _raw("]")]


def _row(
    row: Row,
    layout: Layout,
    width_pt: float,
    *,
    strong: bool = False,
    marker: list[Node] | None = None,
    span: int = 1,
    skip_first: bool = False,
    widen_last: bool = False,
    pad: str = "",
) -> list[Node]:
    """One row's cells; `span` > 1: the first cell heads that many rows and never breaks
    from them (`rowspan`, `breakable: false`); `skip_first`: that cell is above;
    `widen_last`: the last cell also covers the zero-width pairing column; `pad`: the
    pairing column's cell (see `to_blocks`)."""
    out: list[Node] = []
    last = len(row.cells) - 1
    for k, cell in enumerate(row.cells):
        if k == 0 and skip_first:
            continue
        first = marker if k == 0 else None
        extra = 1 if widen_last and k == last else 0
        cell_nodes = _cell(
            cell, layout, width_pt, group=row.group, strong=strong, marker=first, extra=extra
        )
        if k == 0 and span > 1 and not row.group:
            cell_nodes = [
                _raw(f"table.cell(rowspan: {span}, breakable: false)"),
                *cell_nodes,
            ]
        out += [*cell_nodes, _raw(", ")]
    if pad:
        out.append(_raw(pad))
    return out


def row_pairs(table: Table, start: int, end: int) -> dict[int, int]:
    """Body rows bound together (first row → rows) so that no column or page holds a single
    row of the table: runs of single rows between group rows and row-label groups (which
    hold together already) in twos, the last three together when a run is odd. Bindings
    never overlap a row-label group: overlapping ones would chain the table into one block
    that cannot break at all."""
    labels = row_label_groups(table)
    pairs: dict[int, int] = {}
    k = start
    while k < end:
        if table.body[k].group or k in labels:
            k += labels.get(k, 1)
            continue
        run_end = k
        while run_end < end and not table.body[run_end].group and run_end not in labels:
            run_end += 1
        left = run_end - k
        while left >= 2:
            size = 3 if left == 3 else 2
            pairs[k] = size
            k, left = k + size, left - size
        k = run_end
    return pairs


def row_label_groups(table: Table, limit: int = 6) -> dict[int, int]:
    """Rows that head a group by their first cell (start row → rows in the group): the rows
    under it leave their first cell empty, so the label spans them and they stay together.
    A longer group (more than `limit` rows: a hierarchy's top level) is no group: its rows
    may break across columns and pages as any others."""
    spans: dict[int, int] = {}
    body = table.body
    k = 0
    while k < len(body):
        row = body[k]
        end = k + 1
        if not row.group and row.cells and row.cells[0].text.strip() and row.cells[0].colspan == 1:
            while (
                end < len(body)
                and not body[end].group
                and body[end].cells
                and body[end].cells[0].colspan == 1
                and not body[end].cells[0].text.strip()
                and body[end].cells[0].blocks in (None, [])
            ):
                end += 1
        if 1 < end - k <= limit:
            spans[k] = end - k
        k = end
    return spans


def _paired(pairs: dict[int, int], k: int) -> bool:
    """Whether body row `k` lies under a pairing cell (its own or one above)."""
    return any(a <= k < a + n for a, n in pairs.items())


LABEL = re.compile(r"[\w\-.:]+")  # what a typst <label> can hold as written


def delimiter_inlines(delim: str) -> list[Node]:
    """The caption delimiter after "Table N" as inlines: ":" sits against the number,
    " –" (kce) keeps its leading space; a space follows either."""
    word = delim.strip()
    lead: list[Node] = [{"t": "Space"}] if delim[:1].isspace() else []
    return [*lead, *([{"t": "Str", "c": word}] if word else []), {"t": "Space"}]


def to_blocks(
    table: Table,
    layout: Layout,
    *,
    width_pt: float,
    ident: str = "",
    xref_label: str | None = None,
    caption: list[Node] | None = None,
    size: float | None = None,
    continued: bool = False,
    rows: tuple[int, int] | None = None,
    notes: bool = True,
    pair_rows: bool = False,
    delim: str = ":",
    colwidths: list[float] | None = None,
) -> list[Node]:
    """The table as pandoc blocks for pandoc's typst writer (one Plain of raw + cell inlines).

    `size`: the text size when it is not the theme's table size (a table shrunk to fit);
    `continued`: a later part of a table cut into parts (column groups, page parts): no
    caption or label of its own, "Table N (continued)" above it wherever it lands;
    `rows`: the body rows (start, end) this part prints; `notes`: print the notes under it;
    `pair_rows`: a table that flows across columns and pages never leaves a single row
    on either side of a break (rows bound in pairs by a zero-width column); `delim`: what
    follows "Table N" in the caption (`project.theme.caption_delimiter`); `colwidths`: the
    author's relative widths (`tbl-colwidths`), used instead of the measured ones.
    """
    fractions = colwidths if colwidths else layout.widths(width_pt)
    widths = ", ".join(f"{w * 100:.2f}%" for w in fractions)
    aligns = "".join(f"{c.align}," for c in layout.columns)
    start, end = rows or (0, len(table.body))
    # a zero-width last column whose unbreakable cells bind rows in pairs (`row_pairs`)
    pairs = row_pairs(table, start, end) if pair_rows else {}
    extra = 1 if pairs else 0
    if pairs:
        widths += ", 0pt"
        aligns += "left,"
    labelled = bool(ident and LABEL.fullmatch(ident)) and not continued
    numbered = bool(xref_label and ident and LABEL.fullmatch(ident))
    shrink = f"#show table: set text(size: {size:g}pt)\n" if size else ""
    out: list[Node] = [
        _raw(
            f"#figure(\n  align(left)[{shrink}#table(\n    columns: ({widths}),\n"
            f"    align: ({aligns}),\n"
        )
    ]
    # row 0: "Table N (continued)" where the table goes on (empty where it starts)
    out.append(_raw(f"    table.header(table.cell(colspan: {table.ncols + extra})["))
    marker: list[Node] | None = None
    if numbered:
        always = ", always: true" if continued else ""
        out.append(
            _raw(f"#qw-continued({typst_string(xref_label or '')}, {typst_string(ident)}{always})")
        )
        if not continued:
            marker = [_raw(f"#qw-table-start({typst_string(ident)});")]
    out.append(_raw("], "))
    for k, row in enumerate(table.head):
        out += _row(row, layout, width_pt, strong=k > 0, widen_last=bool(extra))
    out.append(_raw("),\n    table.hline(),\n"))
    spans = row_label_groups(table)
    covered = 0  # rows still under a row label that spans them
    for k in range(start, end):
        row = table.body[k]
        skip, span = covered > 0, 1
        if skip:
            covered -= 1
        else:
            span = min(spans.get(k, 1), end - k)
            covered = span - 1
        pad = ""
        if k in pairs:
            pad = f"table.cell(rowspan: {pairs[k]}, breakable: false, inset: 0pt)[], "
        cells = _row(
            row,
            layout,
            width_pt,
            marker=marker if k == start else None,
            span=span,
            skip_first=skip,
            widen_last=bool(extra) and (row.group or not _paired(pairs, k)),
            pad=pad,
        )
        if row.group:  # a level-2 header never stays at a column's foot without its row
            out += [_raw("    table.header(level: 2, repeat: false, "), *cells, _raw("),\n")]
        else:
            out += [_raw("    "), *cells, _raw("\n")]
    for note in _notes(table) if notes else []:  # under the last row only
        cell = Cell(note, colspan=table.ncols + extra)
        out += [
            _raw("    table.footer(repeat: false, "),
            *_cell(cell, layout, width_pt, group=True),
        ]
        out.append(_raw("),\n"))
    out.append(_raw("  )]\n"))
    if (caption or xref_label) and not continued:
        caption = caption or []
        prefix = [*text_inlines(xref_label), *delimiter_inlines(delim)] if xref_label else []
        out += [_raw("  , caption: ["), *prefix, *caption, _raw("]\n")]
    out.append(_raw("  , kind: table\n  )"))
    if labelled:
        out.append(_raw(f"\n<{ident}>"))
    return [{"t": "Plain", "c": out}, {"t": "RawBlock", "c": ["typst", TABLE_END]}]
