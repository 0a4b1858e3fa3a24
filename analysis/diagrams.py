"""The report's conceptual diagrams and flow charts, drawn from data in `data/figures/`.

KCE Report 359 prints its models (Quintuple Aim, Rainbow Model, SCIROCCO dimensions,
stakeholder matrix, Viable System Model) and flow charts (recruitment, data collection,
literature selection, incremental reform) as pictures.  Here each is a small structured
definition (YAML, or the project data it summarises) turned into a matplotlib figure:

* `grid_diagram` places boxes on a grid (column, row, span) and joins them with arrows;
  every flow chart and layered model is one, so layout rules live in one place;
* `flow_counts` fills the counts of a flow chart, computed by the caller from data;
* `ring_diagram` puts items around a centre (Quintuple Aim, SCIROCCO dimensions).

The axes are measured in inches, so a font size here is the size it prints at (never
under 8 pt); text stays text in the SVG (`svg.fonttype: none`, set by the house style).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Wedge

from analysis.figures import (
    KCE_DARK,
    KCE_GREEN,
    KCE_GREY,
    KCE_ORANGE,
    KCE_TEAL,
    figure_width,
    use_style,
)

#: Box styles of the house palette: face colour, edge colour, text colour.
STYLES: dict[str, tuple[str, str, str]] = {
    "main": ("#e6f1f2", KCE_TEAL, KCE_DARK),
    "strong": (KCE_TEAL, KCE_TEAL, "white"),
    "accent": ("#f2f8e6", KCE_GREEN, KCE_DARK),
    "side": ("#f4f4f4", KCE_GREY, "#333333"),
    "highlight": ("#fdf0e0", KCE_ORANGE, KCE_DARK),
    "plain": ("white", "white", KCE_DARK),
    "band": ("#d9e8ea", "#d9e8ea", KCE_DARK),
}
FONT_SIZE = 8.5
MIN_FONT_SIZE = 8.0
_CHAR_WIDTH = 0.58  # average glyph width of the book's sans-serif, in ems
_LINE = 1.25  # line height, in ems


@dataclass
class Node:
    """One box: its text, grid place (column, row from the top, spans) and style."""

    key: str
    text: str
    col: float
    row: float
    colspan: float = 1.0
    rowspan: float = 1.0
    style: str = "main"
    bold: bool = False
    size: float = FONT_SIZE


@dataclass
class Diagram:
    """Boxes on a grid and the arrows between them (``from``, ``to``, optional label)."""

    nodes: list[Node]
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    columns: int = 1
    row_height: float = 0.62  # inches per grid row
    alt: str = ""
    margin_left: float = 0.0  # inches kept free for axis captions (a matrix)
    margin_bottom: float = 0.0

    @classmethod
    def from_mapping(
        cls, raw: Mapping[str, Any], counts: Mapping[str, int] | None = None
    ) -> Diagram:
        """From a `data/figures/*.yaml` definition; ``{name}`` in a text is a count."""
        counts = dict(counts or {})
        nodes = []
        for item in raw["nodes"]:
            text = str(item["text"])
            try:
                text = text.format(
                    **{k: f"{v:,}".replace(",", "\u202f") for k, v in counts.items()}
                )
            except KeyError as exc:
                raise ValueError(
                    f"diagram node {item['key']!r}: no count named {exc.args[0]!r}"
                ) from None
            nodes.append(
                Node(
                    key=str(item["key"]),
                    text=text,
                    col=float(item["col"]),
                    row=float(item["row"]),
                    colspan=float(item.get("colspan", 1)),
                    rowspan=float(item.get("rowspan", 1)),
                    style=str(item.get("style", "main")),
                    bold=bool(item.get("bold", False)),
                    size=max(MIN_FONT_SIZE, float(item.get("size", FONT_SIZE))),
                )
            )
        keys = {n.key for n in nodes}
        edges = []
        for edge in raw.get("edges", []):
            a, b = str(edge["from"]), str(edge["to"])
            for end in (a, b):
                if end not in keys:
                    raise ValueError(f"diagram edge {a!r} -> {b!r}: no node {end!r}")
            edges.append((a, b, str(edge.get("label", ""))))
        columns = int(raw.get("columns", max(math.ceil(n.col + n.colspan) for n in nodes)))
        return cls(
            nodes,
            edges,
            columns,
            float(raw.get("row_height", 0.62)),
            str(raw.get("alt", "")),
            float(raw.get("margin_left", 0.0)),
            float(raw.get("margin_bottom", 0.0)),
        )


def _wrap(text: str, width_in: float, size: float) -> str:
    """Wrap `text` to the box width (inches) at `size` points; explicit newlines kept."""
    chars = max(8, int(width_in * 72 / (size * _CHAR_WIDTH)))
    return "\n".join(textwrap.fill(part, chars) for part in text.split("\n"))


def _box(ax: Any, x: float, y: float, w: float, h: float, node: Node) -> None:
    face, edge, ink = STYLES.get(node.style, STYLES["main"])
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.06",
            facecolor=face,
            edgecolor=edge,
            linewidth=0.9,
        )
    )
    ax.text(
        x + w / 2,
        y + h / 2,
        _wrap(node.text, w - 0.14, node.size),
        ha="center",
        va="center",
        fontsize=node.size,
        fontweight="bold" if node.bold else "normal",
        color=ink,
        linespacing=1.15,
    )


def _edge_point(
    box: tuple[float, float, float, float], towards: tuple[float, float]
) -> tuple[float, float]:
    """Where the line from the centre of `box` to `towards` leaves the box."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    dx, dy = towards[0] - cx, towards[1] - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def grid_diagram(diagram: Diagram, width: float | None = None) -> Figure:
    """Draw `diagram`: grid cells of equal width, boxes inset by a gutter, arrows between them."""
    use_style()
    width = figure_width(width)
    rows = max(n.row + n.rowspan for n in diagram.nodes)
    height = rows * diagram.row_height + diagram.margin_bottom
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    cell = (width - diagram.margin_left) / diagram.columns
    gutter_x, gutter_y = 0.09, 0.09
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for node in diagram.nodes:
        x = diagram.margin_left + node.col * cell + gutter_x
        w = node.colspan * cell - 2 * gutter_x
        top = height - node.row * diagram.row_height
        h = node.rowspan * diagram.row_height - 2 * gutter_y
        boxes[node.key] = (x, top - gutter_y - h, w, h)
        _box(ax, *boxes[node.key], node)
    for a, b, label in diagram.edges:
        ba, bb = boxes[a], boxes[b]
        ca = (ba[0] + ba[2] / 2, ba[1] + ba[3] / 2)
        cb = (bb[0] + bb[2] / 2, bb[1] + bb[3] / 2)
        # straight down (or across) when the boxes overlap in that direction
        if max(ba[0], bb[0]) < min(ba[0] + ba[2], bb[0] + bb[2]):
            mid = (max(ba[0], bb[0]) + min(ba[0] + ba[2], bb[0] + bb[2])) / 2
            ca, cb = (mid, ca[1]), (mid, cb[1])
        elif max(ba[1], bb[1]) < min(ba[1] + ba[3], bb[1] + bb[3]):
            mid = (max(ba[1], bb[1]) + min(ba[1] + ba[3], bb[1] + bb[3])) / 2
            ca, cb = (ca[0], mid), (cb[0], mid)
        start = _edge_point(ba, cb) if ca != cb else ca
        end = _edge_point(bb, ca)
        start = (ca[0], start[1]) if ca[0] == cb[0] else start
        end = (cb[0], end[1]) if ca[0] == cb[0] else end
        ax.add_patch(
            FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=9, color=KCE_DARK, linewidth=0.9
            )
        )
        if label:
            ax.text(
                (start[0] + end[0]) / 2 + 0.06,
                (start[1] + end[1]) / 2,
                label,
                fontsize=MIN_FONT_SIZE,
                color=KCE_DARK,
                ha="left",
                va="center",
            )
    return fig


def ring_diagram(
    centre: str,
    items: Sequence[tuple[str, str]],
    colours: Mapping[str, str],
    legend: Sequence[tuple[str, str]] = (),
    width: float | None = None,
    box_width: float = 1.9,
) -> Figure:
    """`items` (text, colour key) in boxes evenly around a centre disc, the first at the top.

    `legend` lists (colour key, text) pairs printed under the ring.
    """
    use_style()
    width = figure_width(width)
    n = len(items)
    radius = 1.45 if n <= 6 else 2.2
    height = 2 * radius + 1.0 + 0.28 * len(legend)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    cx, cy = width / 2, height - radius - 0.5
    rx = min(radius * 1.45, width / 2 - box_width / 2 - 0.05)  # horizontal radius
    offset = math.pi / n if n > 8 else 0.0  # many items: none at the very top
    disc = 0.62 if n <= 6 else 0.85
    ax.add_patch(Wedge((cx, cy), disc, 0, 360, facecolor=KCE_TEAL, edgecolor="white"))
    ax.text(
        cx,
        cy,
        _wrap(centre, 2 * disc - 0.1, 9.0),
        ha="center",
        va="center",
        fontsize=9.0,
        fontweight="bold",
        color="white",
        linespacing=1.1,
    )
    box_h = 0.5
    for k, (text, key) in enumerate(items):
        angle = math.pi / 2 - offset - 2 * math.pi * k / n
        x, y = cx + rx * math.cos(angle), cy + radius * math.sin(angle)
        ax.plot(
            [cx + disc * math.cos(angle), x - 0.0],
            [cy + disc * math.sin(angle), y],
            color=colours.get(key, KCE_GREY),
            linewidth=1.0,
            zorder=0,
        )
        node = Node(key=str(k), text=text, col=0, row=0, style="plain", size=FONT_SIZE)
        face = colours.get(key, KCE_GREY)
        ax.add_patch(
            FancyBboxPatch(
                (x - box_width / 2, y - box_h / 2),
                box_width,
                box_h,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor="white",
                edgecolor=face,
                linewidth=1.4,
            )
        )
        ax.text(
            x,
            y,
            _wrap(node.text, box_width - 0.12, FONT_SIZE),
            ha="center",
            va="center",
            fontsize=FONT_SIZE,
            color=KCE_DARK,
            linespacing=1.1,
        )
    for k, (key, text) in enumerate(legend):
        y = 0.25 + 0.28 * (len(legend) - 1 - k)
        x = 0.35
        ax.add_patch(
            FancyBboxPatch(
                (x, y - 0.07),
                0.22,
                0.14,
                boxstyle="square,pad=0",
                facecolor="white",
                edgecolor=colours.get(key, KCE_GREY),
                linewidth=1.4,
            )
        )
        ax.text(x + 0.32, y, text, ha="left", va="center", fontsize=FONT_SIZE, color=KCE_DARK)
    return fig


def axis_labels(fig: Figure, x_label: str, y_label: str) -> Figure:
    """Arrowed axis captions along the bottom and left edges of a grid diagram (a matrix)."""
    ax = fig.axes[0]
    width, height = fig.get_size_inches()
    ax.add_patch(
        FancyArrowPatch(
            (0.55, 0.12),
            (width - 0.1, 0.12),
            arrowstyle="-|>",
            mutation_scale=9,
            color=KCE_DARK,
            linewidth=0.9,
        )
    )
    ax.text(
        (width + 0.45) / 2,
        0.2,
        x_label,
        ha="center",
        va="bottom",
        fontsize=FONT_SIZE,
        color=KCE_DARK,
    )
    ax.add_patch(
        FancyArrowPatch(
            (0.12, 0.35),
            (0.12, height - 0.1),
            arrowstyle="-|>",
            mutation_scale=9,
            color=KCE_DARK,
            linewidth=0.9,
        )
    )
    ax.text(
        0.2,
        height / 2,
        y_label,
        ha="left",
        va="center",
        rotation=90,
        fontsize=FONT_SIZE,
        color=KCE_DARK,
    )
    return fig


def text_of(fig: Figure) -> list[str]:
    """Every text drawn on `fig` (for tests and alt-text checks)."""
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def smallest_font(fig: Figure) -> float:
    """The smallest font size (points) used on `fig`."""
    return min(t.get_fontsize() for ax in fig.axes for t in ax.texts)


# --------------------------------------------------------------------- the figures


def quintuple_aim(spec: Mapping[str, Any], width: float | None = None) -> Figure:
    """Figure 1: the aims around integrated care, coloured by the formulation that added them."""
    colours = dict(
        zip([s["key"] for s in spec["stages"]], (KCE_TEAL, KCE_GREEN, KCE_ORANGE), strict=False)
    )
    known = set(colours)
    for aim in spec["aims"]:
        if aim["stage"] not in known:
            raise ValueError(
                f"quintuple_aim.yaml: aim {aim['key']!r} has unknown stage {aim['stage']!r}"
            )
    items = [(str(a["label"]), str(a["stage"])) for a in spec["aims"]]
    legend = [(str(s["key"]), f"{s['label']} ({s['year']})") for s in spec["stages"]]
    return ring_diagram(str(spec["centre"]), items, colours, legend, width, box_width=1.6)


def scirocco_dimensions(
    labels: Sequence[str], score_min: int, score_max: int, width: float | None = None
) -> Figure:
    """Figure 5: the SCIROCCO dimensions around the maturity they score together."""
    items = [(f"{k}. {label}", "dimension") for k, label in enumerate(labels, start=1)]
    centre = f"Maturity of integrated care, each dimension scored {score_min}\u2013{score_max}"
    return ring_diagram(centre, items, {"dimension": KCE_TEAL}, (), width, box_width=1.45)


def stakeholder_matrix(
    spec: Mapping[str, Any], counts: Mapping[str, int], width: float | None = None
) -> Figure:
    """Figure 6: the expertise x influence matrix that chose whom to invite."""
    fig = grid_diagram(Diagram.from_mapping(spec, counts), width)
    return axis_labels(fig, str(spec["x_label"]), str(spec["y_label"]))


def survey_flow_counts(spec: Mapping[str, Any], analysed: int, scored_all: int) -> dict[str, int]:
    """Figure 8's counts: the report's counts before the file, the file's own after it.

    `analysed` and `scored_all` come from the respondent file; every other count that
    follows from them is subtracted, and the Dutch and French questionnaires must add up
    to those opened.
    """
    counts = {k: int(v) for k, v in spec["counts"].items()}
    if counts["opened_nl"] + counts["opened_fr"] != counts["opened"]:
        raise ValueError("survey_data_flow.yaml: Dutch + French questionnaires != opened")
    consented = counts["opened"] - counts["no_consent"] - counts["consent_unanswered"]
    complete = consented - counts["profile_incomplete"]
    if analysed > complete or scored_all > analysed:
        raise ValueError(
            f"survey_data_flow.yaml: {analysed} respondents analysed but only {complete} "
            "complete profiles by its counts; give the counts of this survey wave"
        )
    return counts | {
        "consented": consented,
        "profile_complete": complete,
        "analysed": analysed,
        "scored_none": complete - analysed,
        "scored_all": scored_all,
    }


def incremental_reform(reform: Any, goal: str, width: float | None = None) -> Figure:
    """Figure 14: conditions and financing reform advance together, stage by stage, to the goal.

    `reform` is `analysis.payment.load_reform()` (table 58): parts (conditions, the
    financing reform), each in stages of steps with a `short` label; stage k of every part
    shares column k, each column a step higher than the one before (a staircase).
    """
    parts = reform.parts
    n_stages = max(len(p.stages) for p in parts)
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    per_part = 2.0
    for k in range(n_stages):
        top = (n_stages - 1 - k) * 0.9
        nodes.append(
            {
                "key": f"head{k}",
                "text": parts[0].stages[k].label,
                "col": k,
                "row": top,
                "rowspan": 0.6,
                "style": "plain",
                "bold": True,
            }
        )
        for p, part in enumerate(parts):
            if k >= len(part.stages):
                continue
            bullets = "\n".join(f"\u2022 {s.short or s.action}" for s in part.stages[k].steps)
            nodes.append(
                {
                    "key": f"{part.key}{k}",
                    "text": f"{part.label}:\n{bullets}",
                    "col": k,
                    "row": top + 0.6 + p * per_part,
                    "rowspan": per_part,
                    "style": "accent" if p == 0 else "main",
                    "size": 8.0,
                }
            )
            if k:
                edges.append({"from": f"{part.key}{k - 1}", "to": f"{part.key}{k}"})
    nodes.append(
        {
            "key": "goal",
            "text": goal,
            "col": n_stages,
            "row": 0.0,
            "rowspan": 0.6 + per_part * len(parts) - 0.9,
            "style": "strong",
            "bold": True,
        }
    )
    for part in parts:
        edges.append({"from": f"{part.key}{len(part.stages) - 1}", "to": "goal"})
    diagram = Diagram.from_mapping(
        {"columns": n_stages + 1, "row_height": 0.62, "nodes": nodes, "edges": edges}
    )
    return grid_diagram(diagram, width)


def literature_flow(flows: Sequence[Mapping[str, Any]], width: float | None = None) -> Figure:
    """Figure 13: the two literature searches of the payment review, from records to studies.

    `flows` is `analysis.payment.load_review().flows`: a search with both ``identified``
    and ``retained`` is one column; searches with only ``identified`` feed the search that
    has only ``retained``.  Excluded records are the difference, computed here.
    """
    fmt = lambda n: f"{int(n):,}".replace(",", "\u202f")  # noqa: E731
    flows = [{k: v for k, v in f.model_dump().items() if v is not None} for f in flows]
    whole = [f for f in flows if "identified" in f and "retained" in f]
    sources = [f for f in flows if "identified" in f and "retained" not in f]
    merged = [f for f in flows if "retained" in f and "identified" not in f]
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    col = 0
    for f in whole:
        nodes += [
            {
                "key": f"{f['search']}_in",
                "text": f"{f['source']}: {fmt(f['identified'])} records identified",
                "col": col,
                "row": 0,
                "rowspan": 1.8,
            },
            {
                "key": f"{f['search']}_out",
                "text": f"{fmt(f['retained'])} documents retained",
                "col": col,
                "row": 2.6,
                "style": "strong",
                "bold": True,
            },
        ]
        edges.append(
            {
                "from": f"{f['search']}_in",
                "to": f"{f['search']}_out",
                "label": f"{fmt(int(f['identified']) - int(f['retained']))} excluded",
            }
        )
        col += 1
    for f in merged:
        start = col
        for s in sources:
            nodes.append(
                {
                    "key": s["search"],
                    "text": f"{s['source']}, 2018\u20132022: {fmt(s['identified'])} records",
                    "col": col,
                    "row": 0,
                    "rowspan": 1.8,
                }
            )
            edges.append({"from": s["search"], "to": f["search"]})
            col += 1
        nodes.append(
            {
                "key": f["search"],
                "text": f"{fmt(f['retained'])} retained after screening and snowballing",
                "col": start,
                "colspan": max(1, col - start),
                "row": 2.6,
                "style": "strong",
                "bold": True,
            }
        )
    diagram = Diagram.from_mapping(
        {"columns": col, "row_height": 0.62, "nodes": nodes, "edges": edges}
    )
    return grid_diagram(diagram, width)


def vsm_mapping(
    vsm: Any, systems: Mapping[str, str], short: Mapping[str, str], width: float | None = None
) -> Figure:
    """Figure 12: super-clusters on the Viable System Model, by system and level.

    `vsm` is `data/actions/vsm.csv` (level, system, super-cluster, cluster, sub-cluster);
    each cell lists the super-clusters of a system at a level with their number of
    sub-clusters, so the figure is the table's shape, not a drawing to keep in step.
    """
    levels = ["micro", "meso", "macro"]
    order = ["S5", "S4", "S3", "S3*", "S2", "S1"]
    counts = vsm.groupby(["vsm_system", "level", "super_cluster"]).size()
    nodes: list[dict[str, Any]] = [
        {
            "key": f"h_{lv}",
            "text": f"{lv.capitalize()} level",
            "col": 1 + k,
            "row": 0,
            "rowspan": 0.6,
            "style": "plain",
            "bold": True,
        }
        for k, lv in enumerate(levels)
    ]
    row = 0.6
    for system in order:
        present = [lv for lv in levels if (system, lv) in counts.index.droplevel(2)]
        if not present:
            continue
        height = max(len(counts.loc[(system, lv)]) for lv in present)
        rowspan = 0.55 + 0.45 * height
        nodes.append(
            {
                "key": system,
                "text": f"{system} {systems.get(system, '')}".strip(),
                "col": 0,
                "row": row,
                "rowspan": rowspan,
                "style": "strong",
                "bold": True,
            }
        )
        for k, lv in enumerate(levels):
            if lv not in present:
                continue
            cell = counts.loc[(system, lv)]
            text = "\n".join(f"{short.get(sc, sc)} ({n})" for sc, n in cell.items())
            nodes.append(
                {
                    "key": f"{system}_{lv}",
                    "text": text,
                    "col": 1 + k,
                    "row": row,
                    "rowspan": rowspan,
                    "style": "main" if system == "S1" else "accent",
                    "size": 8.0,
                }
            )
        row += rowspan
    diagram = Diagram.from_mapping({"columns": 4, "row_height": 0.62, "nodes": nodes})
    return grid_diagram(diagram, width)
