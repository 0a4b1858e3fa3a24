"""Build the table model from whatever a cell returns or the prose holds.

* `from_payload`: the `TABLE_MIME` payload of `show_table`/`grid_table` (model + CSV);
* `from_frame`: a pandas DataFrame (index → stub, MultiIndex columns → spanners);
* `from_styler`: a pandas `Styler` (its formatted display values, hidden index/columns);
* `from_gt`: a great_tables `GT` (stub, row groups, spanners, formatted values, notes);
* `from_pandoc`: a pandoc Table (pipe or grid table in prose, or any cell's markdown table).

Nothing here imports pandas or great_tables: objects are read through their attributes, so
the renderer needs neither and a kernel loads only what the chapter uses.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from quartowrap.tables.model import Align, Cell, Kind, Row, Table, classify
from quartowrap.tables.pandoc import stringify

# ----------------------------------------------------------------------------- payloads


def from_payload(payload: Any) -> Table | None:
    """The model carried by a table payload, or None when it carries none (older freeze)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("model"), dict):
        return None
    table = Table.from_json(payload["model"])
    if table.csv is None and isinstance(payload.get("csv"), str):
        table.csv = payload["csv"]
    return table


# ----------------------------------------------------------------------------- frames


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT, pd.NA (raises: ambiguous)
    except (TypeError, ValueError):
        return False


def _display(value: Any, floatfmt: str) -> tuple[str, Kind]:
    """A data value as shown, and what it is: numbers by type, other values by their text."""
    if _is_missing(value):
        return "", "empty"
    if isinstance(value, bool):
        return str(value), "text"
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return format(float(value), floatfmt), "number"
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        return str(value), "number"
    text = str(value)
    return text, classify(text)


def _label(value: Any) -> str:
    return "" if _is_missing(value) else str(value)


def _header(columns: Sequence[tuple[str, ...]], stub_names: Sequence[str]) -> list[Row]:
    """Spanner rows (equal neighbouring labels under the same parent merge) and the labels."""
    depth = max((len(c) for c in columns), default=1)
    columns = [("",) * (depth - len(c)) + tuple(c) for c in columns]
    rows: list[Row] = []
    for level in range(depth - 1):
        cells: list[Cell] = [Cell("", "empty", colspan=len(stub_names))] if stub_names else []
        previous: tuple[str, ...] | None = None
        for column in columns:
            key = column[: level + 1]
            if key == previous and cells:
                cells[-1].colspan += 1
            else:
                cells.append(Cell(column[level], "text"))
            previous = key
        rows.append(Row(cells))
    leaf = [Cell(name, "text") for name in stub_names]
    leaf += [Cell(column[-1], "text") for column in columns]
    rows.append(Row(leaf))
    return rows


def _shows_index(frame: Any) -> bool:
    """Whether the index carries information (named, or anything but 0, 1, 2, …)."""
    index = frame.index
    if any(name is not None for name in index.names):
        return True
    return type(index).__name__ != "RangeIndex" or index.start != 0 or index.step != 1


def _column_labels(columns: Any) -> list[tuple[str, ...]]:
    return [tuple(_label(x) for x in c) if isinstance(c, tuple) else (_label(c),) for c in columns]


def from_frame(
    frame: Any,
    *,
    floatfmt: str = "g",
    index: bool | None = None,
    group: str | None = None,
    csv: str | None = None,
) -> Table:
    """A DataFrame as a table: its index as the stub (as a notebook shows it; `index=False`
    hides it), MultiIndex columns as spanners, numbers known by type; `group` (a column)
    opens a group row at each change. The tidy CSV is the frame itself, its index included
    when it says something (named, or not 0, 1, 2, …), unless `csv` is given."""
    shows_index = True if index is None else index
    names = [_label(n) for n in frame.index.names] if shows_index else []
    shown = [k for k, c in enumerate(frame.columns) if c != group]
    head = _header([_column_labels(frame.columns)[k] for k in shown], names)
    groups = list(frame[group]) if group is not None else [None] * len(frame)
    body: list[Row] = []
    ncols = len(names) + len(shown)
    current: Any = object()
    for i, (key, values) in enumerate(zip(frame.index, frame.itertuples(index=False), strict=True)):
        if group is not None and groups[i] != current:
            current = groups[i]
            if _label(current):
                body.append(Row([Cell(_label(current), "text", "strong", ncols)], group=True))
        keys = key if isinstance(key, tuple) else (key,)
        cells = [Cell(_label(k), "text") for k in keys] if shows_index else []
        for k in shown:
            text, kind = _display(values[k], floatfmt)
            cells.append(Cell(text, kind))
        body.append(Row(cells))
    if csv is None:
        csv = frame.to_csv(index=shows_index and _shows_index(frame), lineterminator="\n")
    return Table(head, body, stub=len(names), csv=csv)


# ----------------------------------------------------------------------------- Styler


def from_styler(styler: Any) -> Table:
    """A pandas Styler as shown: formatted display values, hidden index and columns left out.

    pandas has no public accessor for display values; `_translate` is what `to_html` uses.
    """
    data = styler.data
    ctx = styler._translate(False, False)
    hidden_cols = set(getattr(styler, "hidden_columns", ()) or ())
    visible = [k for k in range(data.shape[1]) if k not in hidden_cols]
    index_levels = [not h for h in (getattr(styler, "hide_index_", None) or [])]
    names = [_label(n) for n, show in zip(data.index.names, index_levels, strict=False) if show]
    head = _header([_column_labels(data.columns)[k] for k in visible], names)
    body: list[Row] = []
    for row in ctx["body"]:
        tds = [c for c in row if c.get("type") == "td"]
        if tds and not any(c.get("is_visible", True) for c in tds):
            continue  # a hidden row
        cells: list[Cell] = []
        for c in row:
            if not c.get("is_visible", True):
                continue
            text = html.unescape(str(c.get("display_value", ""))).replace("\u00a0", " ").strip()
            if c.get("type") == "th":
                cells.append(Cell(text, "text"))
            else:
                value = c.get("value")
                kind = _display(value, "g")[1] if _is_number(value) else classify(text)
                cells.append(Cell(text, "empty" if not text else kind))
        body.append(Row(cells))
    caption = getattr(styler, "caption", None)
    csv = data.iloc[:, visible].to_csv(index=bool(names), lineterminator="\n")
    return Table(head, body, stub=len(names), caption=caption and str(caption), csv=csv)


def _is_number(value: Any) -> bool:
    return _display(value, "g")[1] == "number" and not isinstance(value, str)


# ----------------------------------------------------------------------------- great_tables


def _gt_text(value: Any) -> str:
    """A GT label or formatted value as plain text (GT's HTML escapes undone: it is text)."""
    text = getattr(value, "text", value)
    return html.unescape(_label(text)).replace("\u00a0", " ").strip()


def from_gt(gt: Any) -> Table:
    """A great_tables `GT` as built for display: stub, row groups, spanners, formatted
    values, source notes, and its title as the caption. Reads GT's built data (`_build_data`),
    as its own renderers do."""
    built = gt._build_data(context="html")
    boxhead = [c for c in built._boxhead if c.visible]
    kinds = {c.var: getattr(c.type, "name", str(c.type)) for c in boxhead}
    stub = [c for c in boxhead if kinds[c.var] == "stub"]
    columns = [c for c in boxhead if kinds[c.var] == "default"]
    spanners = sorted(built._spanners, key=lambda s: -s.spanner_level)
    labels: list[tuple[str, ...]] = []
    for column in columns:
        path = [
            _gt_text(s.spanner_label) if column.var in s.vars else "" for s in spanners
        ]  # outermost level first
        labels.append((*path, _gt_text(column.column_label)))
    stub_names = [_gt_text(c.column_label) for c in stub]
    head = _header(labels, stub_names)
    if not any(c.text for c in head[-1].cells[: len(stub_names)]):
        stubhead = getattr(built, "_stubhead", None)
        if stubhead and stub_names:
            head[-1].cells[0].text = _gt_text(stubhead)
    frame = built._body.body
    source = built._tbl_data
    numeric = {c.var: getattr(c, "column_align", None) == "right" for c in columns}
    ncols = len(stub) + len(columns)
    body: list[Row] = []
    current: Any = object()
    for index, group in built._stub.group_indices_map():
        if group is not None and getattr(group, "group_id", None) != current:
            current = group.group_id
            label = _gt_text(group.group_label or group.group_id)
            if label:
                body.append(Row([Cell(label, "text", "strong", ncols)], group=True))
        cells = [Cell(_gt_text(frame[c.var].iloc[int(index)]), "text") for c in stub]
        for c in columns:
            text = _gt_text(frame[c.var].iloc[int(index)])
            raw = source[c.var].iloc[int(index)]
            if not text:
                kind: Kind = "empty"
            elif numeric[c.var] and _is_number(raw):
                kind = "number"
            else:
                kind = classify(text)
            cells.append(Cell(text, kind))
        body.append(Row(cells))
    notes = [_gt_text(n) for n in built._source_notes]
    title = getattr(built._heading, "title", None)
    csv = source.to_csv(index=False, lineterminator="\n")
    return Table(
        head,
        body,
        stub=len(stub),
        notes=notes,
        caption=_gt_text(title) if title else None,
        csv=csv,
    )


# ----------------------------------------------------------------------------- pandoc

_ALIGN: dict[str, Align | None] = {
    "AlignRight": "right",
    "AlignCenter": "center",
    "AlignLeft": None,  # tabulate writes `:---` for every column: not a decision to keep
    "AlignDefault": None,
}


def _pandoc_row(row: list[Any], ncols: int, body: bool) -> Row:
    cells = []
    for _attr, _align, _rowspan, colspan, blocks in row[1]:
        text = stringify(blocks)
        kind = classify(text) if body else ("empty" if not text else "text")
        cells.append(Cell(text, kind, colspan=int(colspan), blocks=blocks))
    group = body and ncols > 1 and len(cells) == 1 and cells[0].colspan == ncols
    if group:
        cells[0].kind = "text"
    return Row(cells, group=group)


def from_pandoc(node: dict[str, Any]) -> Table:
    """A pandoc Table (JSON) as the model; each cell keeps its parsed blocks (citations,
    cross-references, lists written by the author) and its text for measuring."""
    attr, caption, colspecs, head, bodies, foot = node["c"]
    ncols = len(colspecs)
    head_rows = [_pandoc_row(r, ncols, False) for r in head[1]]
    body_rows: list[Row] = []
    stub = 0
    for body in bodies:
        stub = max(stub, int(body[1]))
        body_rows += [_pandoc_row(r, ncols, True) for r in [*body[2], *body[3]]]
    body_rows += [_pandoc_row(r, ncols, True) for r in foot[1]]
    return Table(
        head_rows,
        body_rows,
        stub=stub,
        align=[_ALIGN.get(spec[0]["t"]) for spec in colspecs],
        caption=stringify(caption[1]) or None,
        label=attr[0] or None,
    )


def merge(kernel: Table, prose: Table) -> Table:
    """The cell's model with the content pandoc parsed from its markdown.

    The kernel knows the structure markdown cannot say (spanners, stub, value types); pandoc
    knows the rich content (cross-references resolved, citations). When the two disagree in
    shape (the markdown was edited by hand), the parsed table wins whole.
    """
    if kernel.ncols != prose.ncols or len(kernel.body) != len(prose.body) or not prose.head:
        return prose
    pairs = [(m, t) for m, t in zip(kernel.body, prose.body, strict=True) if not m.group]
    if any(len(mine.cells) != len(theirs.cells) for mine, theirs in pairs):
        return prose
    for mine, theirs in pairs:  # a group row keeps its text (markdown has no such row)
        for cell, parsed in zip(mine.cells, theirs.cells, strict=True):
            cell.blocks, cell.text = parsed.blocks, parsed.text  # as printed ("Chapter 2")
    leaf, parsed_leaf = kernel.head[-1], prose.head[-1]
    if len(leaf.cells) == len(parsed_leaf.cells):
        for cell, parsed in zip(leaf.cells, parsed_leaf.cells, strict=True):
            cell.blocks, cell.text = parsed.blocks, parsed.text
    explicit = kernel.align or [None] * kernel.ncols
    parsed = prose.align or [None] * kernel.ncols
    kernel.align = [a if a is not None else b for a, b in zip(explicit, parsed, strict=False)]
    kernel.caption = prose.caption or kernel.caption
    kernel.label = prose.label or kernel.label
    return kernel
