"""Weave a chapter's raw outputs and its current prose into pandoc markdown (no kernel needed).

A caption or prose edit re-weaves stored outputs; see the stage contract in docs/architecture.md.
"""

import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

from quartowrap.authoring.protocol import TABLE_MIME
from quartowrap.execute.table_csv import _has_markdown_table, table_csv
from quartowrap.execute.untrusted import mark_block, mark_inline
from quartowrap.model import (
    BookConfig,
    ExecuteOptions,
    FigureOutput,
    TableOutput,
)
from quartowrap.project.config import (
    directory_metadata,
    document_execute_options,
    document_metadata,
    execute_options,
)
from quartowrap.project.qmd import CodeCell, MarkdownBlock, QmdDocument, parse_qmd

# --------------------------------------------------------------------------------------
# Weaving outputs into markdown
# --------------------------------------------------------------------------------------

_DEFAULT_REPR = re.compile(r"^<[^\n]* at 0x[0-9a-fA-F]+>$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CELL_FILE_TAIL = re.compile(r"ipykernel_\d+[/\\]\d+\.py")


def _cell_options(doc_options: ExecuteOptions, cell: CodeCell) -> ExecuteOptions:
    return execute_options(cell.options, doc_options)


def cell_markdown(
    cell: CodeCell,
    doc_options: ExecuteOptions,
    outputs: list[dict[str, Any]],
    figures: Path,
    *,
    echo: bool = False,
) -> str:
    """One cell woven alone (an embedded cell, `execute/embeds.py`): its outputs in
    Quarto's `div.cell`, its code only with `echo`."""
    options = dataclasses.replace(_cell_options(doc_options, cell), echo=echo, include=True)
    chunk, _tables, _figures = _render_cell(cell, options, outputs, figures)
    return chunk


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _hide_cell_file(text: str) -> str:
    """`<cell>` for the kernel's temporary cell file names (not reproducible), in linear
    time: a `[^\\s:]*` prefix regex over a megabyte-long line backtracks for minutes."""
    if "ipykernel_" not in text:
        return text
    out, last = [], 0
    for match in _CELL_FILE_TAIL.finditer(text):
        start = match.start()
        while start > last and not text[start - 1].isspace() and text[start - 1] != ":":
            start -= 1
        out += [text[last:start], "<cell>"]
        last = match.end()
    return "".join([*out, text[last:]])


def weave(
    doc: QmdDocument,
    raw: dict[str, Any],
    options: ExecuteOptions,
    figures: Path,
    code_display: dict[str, Any] | None = None,
) -> tuple[str, tuple[TableOutput, ...], tuple[FigureOutput, ...]]:
    """The chapter's markdown with every cell replaced by its outputs (stage contract).

    `code_display` holds the document's `code-fold`/`code-summary` defaults (a cell's own
    options win)."""
    inline_values = iter(raw.get("inline", []))
    cells = raw.get("cells", {})
    parts: list[str] = []
    tables: list[TableOutput] = []
    figs: list[FigureOutput] = []
    for block in doc.blocks:
        if isinstance(block, MarkdownBlock):
            values = [next(inline_values, None) for _ in block.inline] if doc.executable else []
            parts.append(_substitute_inline(block, values))
        else:
            opts = _cell_options(options, block)
            outputs = cells.get(str(block.index), {}).get("outputs", [])
            chunk, cell_tables, cell_figs = _render_cell(
                block, opts, outputs, figures, code_display or {}
            )
            tables += cell_tables
            figs += cell_figs
            parts.append(f"\n{chunk}\n" if chunk else "")
    markdown = "\n".join(parts)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip("\n") + "\n"
    return markdown, tuple(tables), tuple(figs)


def _substitute_inline(block: MarkdownBlock, values: list[dict[str, Any] | None]) -> str:
    text = block.text
    for expr, value in reversed(list(zip(block.inline, values, strict=False))):
        if value is None:
            replacement = f"`{expr.code}`"
        elif value.get("markdown"):  # markdown from a cell: raw HTML/typst in it stays text
            replacement = mark_inline(str(value.get("text", "")))
        else:
            replacement = str(value.get("text", ""))
        text = text[: expr.start] + replacement + text[expr.end :]
    return text


def _fence(content: str, attrs: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    head = f"{ticks}{{{attrs}}}" if attrs else ticks
    return f"{head}\n{content.rstrip(chr(10))}\n{ticks}"


def _caption(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _md_caption(caption: str) -> str:
    """A caption as markdown: `<` is text, so a `<script>` neither runs nor splits the caption
    from its table (pandoc reads a block-level HTML tag as the end of the caption)."""
    return caption.replace("<", "\\<")


def _attr_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _code_display(config: BookConfig, source: Path, front_matter: dict[str, Any]) -> dict[str, Any]:
    """The document's `code-fold`/`code-summary` (top level, or under `format: html:`, from
    the project down to the front matter), as Quarto reads these HTML format options."""
    meta = document_metadata(config, source, front_matter)
    html = (meta.get("format") or {}).get("html") if isinstance(meta.get("format"), dict) else None
    found: dict[str, Any] = {}
    for scope in (html if isinstance(html, dict) else {}, meta):
        for key in ("code-fold", "code-summary"):
            if key in scope and key not in found:
                found[key] = scope[key]
    return found


def _code_attributes(cell: CodeCell, *, fenced: bool) -> str:
    """The echoed code block's attributes as Quarto's Jupyter engine writes them: the
    language (none for `echo: fenced`, whose block shows the cell's own fence), `cell-code`,
    `code-overflow-wrap|scroll` from `code-overflow`, and a listing's `lst-label` as its id
    with `lst-cap` (the crossref filter numbers it "Listing N")."""
    parts = []
    label = cell.options.get("lst-label")
    if isinstance(label, str) and re.fullmatch(r"#?lst-[\w\-.:]+", label):
        parts.append("#" + label.lstrip("#"))
    if not fenced:
        parts.append(f".{cell.language}")
    parts.append(".cell-code")
    if cell.options.get("code-overflow") in ("wrap", "scroll"):
        parts.append(f".code-overflow-{cell.options['code-overflow']}")
    if parts[0].startswith("#") and cell.options.get("lst-cap") is not None:
        parts.append(f'lst-cap="{_attr_value(str(cell.options["lst-cap"]))}"')
    return " ".join(parts)


def _echoed(cell: CodeCell) -> str:
    """The cell's code as the fenced block a reader sees (`echo: true` or `fenced`)."""
    fenced = cell.options.get("echo", None) == "fenced"
    shown = f"```{{{cell.language}}}\n{cell.source}\n```" if fenced else cell.code
    return _fence(shown, _code_attributes(cell, fenced=fenced))


def echoed_code(config: BookConfig) -> list[str]:
    """The fenced code blocks the book's chapters will show, read from their sources
    before anything executes (as weave writes them): a writer can prepare them while the
    kernels start (writers/typst/highlighting.py). Best effort: an unreadable chapter is
    left out, the build itself reports it."""
    blocks: list[str] = []
    for ref in config.chapters:
        try:
            doc = parse_qmd(ref.source, config.root, directory_metadata(config, ref.source))
        except Exception:  # reported by the build, not here
            continue
        options = document_execute_options(config, ref.source, doc.front_matter)
        for cell in doc.cells:
            opts = _cell_options(options, cell)
            if opts.include and opts.echo:
                blocks.append(_echoed(cell))
    return blocks


def _fold_code(fenced: str, cell: CodeCell, code_display: dict[str, Any]) -> str:
    """Quarto's `code-fold: true|show`: the echoed code inside an HTML <details> (closed for
    true, open for show) whose summary is `code-summary` ("Code"); raw HTML, so the PDF,
    like Quarto's, shows the code as usual."""
    fold = cell.options.get("code-fold", code_display.get("code-fold", False))
    if fold not in (True, "true", "show"):
        return fenced
    summary = str(cell.options.get("code-summary", code_display.get("code-summary", "Code")))
    opened = " open" if fold == "show" else ""
    head = f'<details class="code-fold"{opened}>\n<summary>{html.escape(summary)}</summary>'
    return f"{_fence(head, '=html')}\n\n{fenced}\n\n{_fence('</details>', '=html')}"


def _render_cell(
    cell: CodeCell,
    opts: ExecuteOptions,
    outputs: list[dict[str, Any]],
    figures: Path,
    code_display: dict[str, Any] | None = None,
) -> tuple[str, list[TableOutput], list[FigureOutput]]:
    if not opts.include:
        return "", [], []
    label = cell.label or ""
    asis = cell.options.get("output") == "asis"
    pieces: list[str] = []
    tables: list[TableOutput] = []
    figs: list[FigureOutput] = []
    if opts.echo:
        pieces.append(_fold_code(_echoed(cell), cell, code_display or {}))
    show_output = opts.output and cell.options.get("output", True) is not False
    images = [out["image"] for out in outputs if out.get("type") == "display" and "image" in out]
    # Quarto: a list of `fig-cap`s (and no `fig-subcap`) makes each plot a figure of its own,
    # `<label>-1`, `<label>-2` ..., captioned in order; otherwise several plots are a panel
    caps = cell.options.get("fig-cap")
    separate = (
        label.startswith("fig-")
        and isinstance(caps, list)
        and len(images) >= 2
        and "fig-subcap" not in cell.options
    )
    panel = images if label.startswith("fig-") and _is_panel(cell, len(images)) else []
    panel = [] if separate else panel
    nth_image = 0
    table_parts = [o for o in outputs if _table_markdown(o) is not None]
    table_panel = label.startswith("tbl-") and (
        len(table_parts) >= 2 or (bool(table_parts) and "tbl-subcap" in cell.options)
    )
    if show_output and opts.eval:
        table_done = False
        figure_done = False
        for out in _merge_streams(outputs):
            kind = out["type"]
            if kind == "stream":
                if out["name"] == "stderr" and not opts.warning:
                    continue
                text = _hide_cell_file(_collapse_cr(_strip_ansi(out["text"])))
                if not text.strip():
                    continue
                cls = "cell-output-stderr" if out["name"] == "stderr" else "cell-output-stdout"
                pieces.append(
                    mark_block(text.strip("\n")) if asis else _output(_fence(text, ""), cls)
                )
            elif kind == "error":
                text = "\n".join(out.get("traceback") or [f"{out['ename']}: {out['evalue']}"])
                pieces.append(_output(_fence(text, ""), "cell-output-error"))
            elif "image" in out and panel:
                if not figure_done:  # the panel stands where the cell's first image was
                    chunk, panel_figs = _figure_panel(cell, label, panel, figures)
                    pieces.append(_output(mark_block(chunk), asis=asis))
                    figs += panel_figs
                    figure_done = True
            elif "image" in out and separate:
                nth_image += 1
                ident = f"{label}-{nth_image}"
                cap = str(caps[nth_image - 1]) if nth_image <= len(caps) else ""
                alt = cell.options.get("fig-alt")
                attrs = f"#{ident}" + (f' fig-alt="{_attr_value(str(alt))}"' if alt else "")
                path = (figures / out["image"]).resolve()
                image_md = f"![{_md_caption(cap)}]({_image_target(path)}){{{attrs}}}"
                pieces.append(_output(mark_block(image_md), asis=asis))
                figs.append(FigureOutput(ident, cap, str(alt) if alt else None, path))
            elif "image" in out:
                path = (figures / out["image"]).resolve()
                target = _image_target(path)
                if label.startswith("fig-") and not figure_done:
                    cap = _caption(cell.options.get("fig-cap"))
                    alt = cell.options.get("fig-alt")
                    attrs = f"#{label}" + (f' fig-alt="{_attr_value(str(alt))}"' if alt else "")
                    image_md = f"![{_md_caption(cap)}]({target}){{{attrs}}}"
                    pieces.append(_output(mark_block(image_md), asis=asis))
                    figs.append(FigureOutput(label, cap, str(alt) if alt else None, path))
                    figure_done = True
                else:
                    alt = cell.options.get("fig-alt")
                    extra = f'{{fig-alt="{_attr_value(str(alt))}"}}' if alt else ""
                    cap = _md_caption(_caption(cell.options.get("fig-cap")))
                    pieces.append(_output(mark_block(f"![{cap}]({target}){extra}"), asis=asis))
            else:
                data = out.get("data", {})
                md = data.get("text/markdown")
                if md is not None:
                    md = str(md).strip("\n")
                    is_table = TABLE_MIME in data or _has_markdown_table(md)
                    if table_panel and is_table:
                        if not table_done:  # the panel stands where the first table was
                            chunk, panel_tables = _table_panel(cell, label, table_parts)
                            pieces.append(_output(mark_block(chunk), asis=asis))
                            tables += panel_tables
                            table_done = True
                    elif label.startswith("tbl-") and not table_done and is_table:
                        cap = _caption(cell.options.get("tbl-cap"))
                        payload = data.get(TABLE_MIME)
                        csv_text = (
                            payload.get("csv") if isinstance(payload, dict) else None
                        ) or table_csv(md)
                        widths = cell.options.get("tbl-colwidths")
                        extra = (
                            f' tbl-colwidths="{_attr_value(json.dumps(widths))}"'
                            if isinstance(widths, list)
                            else ""
                        )
                        table_md = f"{md}\n\n: {_md_caption(cap)} {{#{label}{extra}}}"
                        pieces.append(_output(mark_block(table_md), asis=asis))
                        model = payload.get("model") if isinstance(payload, dict) else None
                        tables.append(TableOutput(label, cap, csv_text, model))
                        table_done = True
                    else:
                        pieces.append(_output(mark_block(md), asis=asis))
                elif "text/html" in data and _DEFAULT_REPR.match(str(data.get("text/plain", ""))):
                    # only HTML to show (e.g. a pandas Styler): a cell's HTML is not trusted,
                    # so it is shown as its source (untrusted.py), never run in the page
                    shown_html = _fence(str(data["text/html"]), "=html")
                    pieces.append(_output(mark_block(shown_html), asis=asis))
                elif "text/plain" in data:
                    text = _strip_ansi(str(data["text/plain"]))
                    pieces.append(mark_block(text) if asis else _output(_fence(text, "")))
    body = "\n\n".join(p for p in pieces if p)
    column = cell.options.get("column")
    if body and (column or "wide" in cell.classes):
        cls = f"column-{column}" if column else "column-page"
        body = f"::: {{.{cls}}}\n\n{body}\n\n:::"
    if body and not asis:
        # Quarto's cell: div.cell (id `cell-<label>`) around the code and its outputs; an
        # `asis` cell's output is plain markdown, as in Quarto (its headings stay sections)
        ident = f"#cell-{label} " if label else ""
        body = f"::::: {{{ident}.cell}}\n\n{body}\n\n:::::"
    return body, tables, figs


def _output(markdown: str, kind: str = "cell-output-display", asis: bool = False) -> str:
    """One output in Quarto's `div.cell-output.cell-output-<kind>` (stdout, stderr, error,
    display); an `asis` cell's output stays bare markdown."""
    if asis or not markdown:
        return markdown
    return f":::: {{.cell-output .{kind}}}\n\n{markdown}\n\n::::"


def _image_target(path: Path) -> str:
    return f"<{path.as_posix()}>" if " " in str(path) else path.as_posix()


_LAYOUT_KEYS = ("layout-ncol", "layout-nrow", "layout")


def _is_panel(cell: CodeCell, n_images: int) -> bool:
    """Quarto makes sub-figures of a `fig-` cell's plots when there are several of them, or
    when the cell asks for a layout or sub-captions."""
    asked = any(k in cell.options for k in (*_LAYOUT_KEYS, "fig-subcap"))
    return n_images >= 2 or (n_images == 1 and asked)


def _subcaptions(cell: CodeCell, count: int) -> list[str]:
    """`fig-subcap` as one caption per part: a list is taken in order (missing ones empty),
    `true` or absent gives empty captions (the parts are still labelled (a), (b)...)."""
    value = cell.options.get("fig-subcap")
    if isinstance(value, list):
        caps = [str(v) for v in value]
    elif isinstance(value, str):
        caps = [value]
    else:
        caps = []
    return (caps + [""] * count)[:count]


def _figure_panel(
    cell: CodeCell, label: str, images: list[str], figures: Path
) -> tuple[str, list[FigureOutput]]:
    """A `fig-` cell with several plots as Quarto writes it: a figure div whose parts are
    `![subcap](img){#<label>-<n>}` and whose last paragraph is the caption.

    Each part is a `FigureOutput` of its own (`<label>-<n>`, its SVG exported as
    figures/<label>-<n>.svg, the cell's `fig-alt` as its alt text); the parent figure has no
    single image and so no `FigureOutput` - crossref.lua numbers it and labels the parts.
    """
    alt = cell.options.get("fig-alt")
    alt_attr = f' fig-alt="{_attr_value(str(alt))}"' if alt else ""
    layout = [
        f'{key}="{_attr_value(str(cell.options[key]))}"'
        for key in (*_LAYOUT_KEYS, "layout-valign")
        if key in cell.options
    ]
    parts: list[str] = []
    figs: list[FigureOutput] = []
    for n, (image, subcap) in enumerate(
        zip(images, _subcaptions(cell, len(images)), strict=True), start=1
    ):
        path = (figures / image).resolve()
        ident = f"{label}-{n}"
        parts.append(f"![{_md_caption(subcap)}]({_image_target(path)}){{#{ident}{alt_attr}}}")
        figs.append(FigureOutput(ident, subcap, str(alt) if alt else None, path))
    head = " ".join([f"#{label}", *layout])
    caption = _md_caption(_caption(cell.options.get("fig-cap")))
    body = "\n\n".join([*parts, caption] if caption else parts)
    return f"::: {{{head}}}\n\n{body}\n\n:::", figs


def _table_markdown(out: dict[str, Any]) -> str | None:
    """A display output's markdown when it is a table (a payload, or a pipe/grid table)."""
    if out.get("type") != "display" or "image" in out:
        return None
    data = out.get("data", {})
    md = data.get("text/markdown")
    if md is None:
        return None
    md = str(md).strip("\n")
    return md if TABLE_MIME in data or _has_markdown_table(md) else None


def _table_panel(
    cell: CodeCell, label: str, outputs: list[dict[str, Any]]
) -> tuple[str, list[TableOutput]]:
    """A `tbl-` cell with several tables (or `tbl-subcap`) as Quarto writes it: a table div
    whose parts are `: subcap {#<label>-<n>}` tables and whose last paragraph is `tbl-cap`;
    each part is a `TableOutput` of its own (its CSV `tables/<label>-<n>.csv`)."""
    value = cell.options.get("tbl-subcap")
    subcaps = [str(v) for v in value] if isinstance(value, list) else []
    subcaps = (subcaps + [""] * len(outputs))[: len(outputs)]
    layout = [
        f'{key}="{_attr_value(str(cell.options[key]))}"'
        for key in (*_LAYOUT_KEYS, "layout-valign")
        if key in cell.options
    ]
    parts: list[str] = []
    tables: list[TableOutput] = []
    for n, (out, subcap) in enumerate(zip(outputs, subcaps, strict=True), start=1):
        md = _table_markdown(out) or ""
        payload = out.get("data", {}).get(TABLE_MIME)
        csv_text = (payload.get("csv") if isinstance(payload, dict) else None) or table_csv(md)
        model = payload.get("model") if isinstance(payload, dict) else None
        ident = f"{label}-{n}"
        parts.append(f"{md}\n\n: {_md_caption(subcap)} {{#{ident}}}")
        tables.append(TableOutput(ident, subcap, csv_text, model))
    head = " ".join([f"#{label}", *layout])
    caption = _md_caption(_caption(cell.options.get("tbl-cap")))
    body = "\n\n".join([*parts, caption] if caption else parts)
    return f"::: {{{head}}}\n\n{body}\n\n:::", tables


def _merge_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (
            out["type"] == "stream"
            and prev is not None
            and prev["type"] == "stream"
            and prev["name"] == out["name"]
        ):
            merged[-1] = {**prev, "text": prev["text"] + out["text"]}
        else:
            merged.append(out)
    return merged


def _collapse_cr(text: str) -> str:
    """Keep what a terminal would show after carriage returns (progress bars)."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
