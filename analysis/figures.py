"""KCE house style for matplotlib figures, and the survey chapter's figure builders.

Every builder takes tidy frames from `analysis.survey` and returns a `Figure` made without
pyplot (no global figure registry, so a notebook kernel shows it exactly once, when the
cell returns it); nothing is shown or saved here (the renderer saves labelled figures).
The palette is sober teal/green with an orange accent, chosen for contrast on white and
for readers with red-green colour-vision deficiency (ordered scales run light→dark).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap, to_hex
from matplotlib.figure import Figure

KCE_TEAL = "#00727a"
KCE_GREEN = "#7ab800"
KCE_DARK = "#1d3c45"
KCE_ORANGE = "#e07b00"
KCE_GREY = "#8c8c8c"
GRID_COLOUR = "#e6e6e6"  # light reference lines behind the data
PALETTE: dict[str, str] = {
    "teal": KCE_TEAL,
    "green": KCE_GREEN,
    "dark": KCE_DARK,
    "orange": KCE_ORANGE,
    "grey": KCE_GREY,
}
# Nominal categories with many levels (e.g. the communities of a network), in the order
# they are handed out: the house teal, green and orange first, then further hues chosen to
# stay apart from them and from the light grey used for "other".
CATEGORICAL_COLOURS: tuple[str, ...] = (
    KCE_TEAL,
    KCE_GREEN,
    KCE_ORANGE,
    "#5b6bb5",
    "#c8417b",
    "#d9a400",
    "#3b9ec9",
    "#7a4f9e",
    "#4f8f5b",
    "#a8553a",
    "#6f7f8f",
    "#b5a642",
)
OTHER_COLOUR = "#c8c8c8"  # categories too small to get a colour of their own
# One colour per group, stable across figures (regions first).
GROUP_COLOURS: dict[str, str] = {
    "Brussels": "#4e9fa6",
    "Flanders": KCE_TEAL,
    "Wallonia": KCE_GREEN,
    "Federal": "#b3b3b3",
    "Total": KCE_DARK,
}
STYLE: dict[str, object] = {
    # The generic family: the renderer puts the book's own typeface first in its list, so
    # figure text prints in the PDF's font (DejaVu Sans, matplotlib's default, elsewhere).
    "font.family": "sans-serif",
    "font.size": 8.5,
    "axes.edgecolor": "#4d4d4d",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "svg.hashsalt": "kce-report-kit",  # stable SVG ids: byte-identical rebuilds
    "svg.fonttype": "none",
}

__all__ = [
    "CATEGORICAL_COLOURS",
    "GRID_COLOUR",
    "GROUP_COLOURS",
    "KCE_DARK",
    "KCE_GREEN",
    "KCE_GREY",
    "KCE_ORANGE",
    "KCE_TEAL",
    "OTHER_COLOUR",
    "PALETTE",
    "STYLE",
    "box_plots",
    "figure_width",
    "group_colour",
    "ordinal_colours",
    "spider_chart",
    "stacked_bars",
    "stacked_bars_overview",
    "use_style",
]


def figure_width(width: float | None = None) -> float:
    """The width (inches) a figure is drawn at: `width` if given, else matplotlib's default.

    A figure is drawn at the width it prints at, so its text prints at the size set here.
    The renderer sets the default from Quarto's `fig-width` (the PDF text column, in
    `_quarto.yml`) or a cell's own `fig-width` (page-wide figures, `column: page`); builders
    take it from here instead of fixing inches, and let their height follow their content.
    """
    return float(width if width is not None else mpl.rcParams["figure.figsize"][0])


def use_style() -> None:
    """Apply the house style globally (chapters call it once; builders also apply it)."""
    mpl.rcParams.update(STYLE)


def ordinal_colours(n: int) -> list[str]:
    """n colours from light to dark teal/green for an ordered scale (0 lightest)."""
    cmap = LinearSegmentedColormap.from_list("kce", ["#fbe3c2", KCE_GREEN, KCE_TEAL, KCE_DARK])
    return [to_hex(cmap(x)) for x in np.linspace(0, 1, n)]


def group_colour(group: str, index: int) -> str:
    """The colour of a named group (a region or level keeps its colour in every figure);
    other groups take the palette in turn by `index`."""
    fallback = [KCE_TEAL, KCE_GREEN, KCE_ORANGE, KCE_DARK, KCE_GREY]
    return GROUP_COLOURS.get(group, fallback[index % len(fallback)])


def _percent_table(
    scores: pd.DataFrame, index: str, rows: Sequence[str], scale: Sequence[str]
) -> pd.DataFrame:
    """Percent of scored answers with `rows` (`index` values) × `scale` columns, 0 where none."""
    return (
        scores.pivot_table(index=index, columns="response", values="percent", aggfunc="sum")
        .reindex(index=list(rows), columns=list(scale))
        .fillna(0.0)
    )


def _names(scale: Sequence[str], labels: Mapping[str, str] | None) -> list[str]:
    """The legend's names of the scale values (the value itself where none is given)."""
    return [(labels or {}).get(value, value) for value in scale]


def _stack(ax: Axes, table: pd.DataFrame, scale: Sequence[str], colours: Sequence[str]) -> None:
    """One horizontal bar per row of `table`, its `scale` columns stacked left to right
    (the legend takes one entry per scale value)."""
    left = np.zeros(len(table))
    for colour, score in zip(colours, scale, strict=True):
        ax.barh(
            range(len(table)),
            table[score].to_numpy(),
            left=left,
            color=colour,
            edgecolor="white",
            linewidth=0.4,
            label=score,
        )
        left += table[score].to_numpy()


def spider_chart(
    summary: pd.DataFrame,
    distribution: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    group: str = "Total",
    scale: Sequence[str] = ("0", "1", "2", "3", "4", "5"),
) -> Figure:
    """Median per item on a radar (line) with one bubble per answer category whose area is
    proportional to the number of answers (the report's figure 9)."""
    use_style()
    items = list(dict.fromkeys(summary["item"]))
    medians = summary[summary["group"] == group].set_index("item")["median"].reindex(items)
    counts = (
        distribution[(distribution["group"] == group) & (distribution["kind"] == "score")]
        .pivot_table(index="item", columns="response", values="count", aggfunc="sum")
        .reindex(index=items, columns=list(scale))
        .fillna(0)
    )
    angles = np.linspace(0, 2 * np.pi, len(items), endpoint=False)
    width = figure_width()
    fig = Figure(figsize=(width, 0.96 * width))
    ax = fig.add_subplot(projection="polar")
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    values = np.array([float(s) for s in scale])
    biggest = max(float(counts.to_numpy().max()), 1.0)
    theta = np.repeat(angles, len(values))
    radius = np.tile(values, len(items))
    sizes = 600.0 * counts.to_numpy().ravel() / biggest
    ax.scatter(
        theta,
        radius,
        s=sizes,
        color=KCE_ORANGE,
        alpha=0.45,
        linewidths=0,
        label="Answers per score (bubble area proportional to n)",
        zorder=2,
    )
    closed = np.append(angles, angles[0])
    ax.plot(
        closed,
        np.append(medians.to_numpy(), medians.iloc[0]),
        color=KCE_TEAL,
        linewidth=2,
        marker="o",
        markersize=4,
        label="Median",
        zorder=3,
    )
    outer = values.max() + 0.3
    ax.set_xticks(angles)
    ax.set_xticklabels([])
    # Dimension names sit outside the outer circle, wrapped, and anchored on the side that
    # faces away from the centre, so a long name never runs back over the chart.
    for angle, item in zip(angles, items, strict=True):
        east, north = np.sin(angle), np.cos(angle)
        ha = "left" if east > 0.1 else "right" if east < -0.1 else "center"
        ax.text(
            angle,
            outer + 0.45,
            textwrap.fill(labels.get(item, item), 16),
            ha=ha,
            multialignment=ha,
            va="bottom" if north > 0.1 else "top" if north < -0.1 else "center",
            fontsize=9,
            linespacing=1.0,
            clip_on=False,
        )
    ax.set_ylim(0, outer)
    ax.set_yticks(values)
    ax.set_yticklabels([f"{v:g}" for v in values], color=KCE_GREY, fontsize=8)
    ax.set_rlabel_position(180 / len(items))  # scale numbers between the first two axes
    ax.grid(color="#d9d9d9", linewidth=0.6)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2)
    return fig


def box_plots(
    summary: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    groups: Sequence[str] | None = None,
    scale_max: float = 5,
) -> Figure:
    """Box plots of scores per item, one box per group side by side (figure 10), drawn from
    precomputed quartiles and whiskers so they agree with the tables to the digit."""
    use_style()
    items = list(dict.fromkeys(summary["item"]))
    groups = list(groups or dict.fromkeys(summary["group"]))
    fig = Figure(figsize=(figure_width(), 0.3 * len(items) * max(1, len(groups) / 2.5) + 1))
    ax = fig.subplots()
    height = 0.8 / len(groups)
    for g_index, group in enumerate(groups):
        rows = summary[summary["group"] == group].set_index("item").reindex(items)
        stats = [
            {
                "med": r["median"],
                "q1": r["p25"],
                "q3": r["p75"],
                "whislo": r["whislo"],
                "whishi": r["whishi"],
                "label": labels.get(item, item),
            }
            for item, r in rows.iterrows()
            if r["scored"] > 0
        ]
        positions = [
            i - 0.4 + height * (g_index + 0.5)
            for i, (item, r) in enumerate(rows.iterrows())
            if r["scored"] > 0
        ]
        colour = group_colour(group, g_index)
        ax.bxp(
            stats,
            positions=positions,
            widths=height * 0.85,
            vert=False,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": colour, "edgecolor": KCE_DARK, "linewidth": 0.6},
            medianprops={"color": "white", "linewidth": 1.6},
            whiskerprops={"color": KCE_DARK, "linewidth": 0.6},
            capprops={"color": KCE_DARK, "linewidth": 0.6},
        )
        # A marker on the median keeps a zero-width box (P25 = P75) visible.
        ax.scatter(
            [st["med"] for st in stats],
            positions,
            marker="D",
            s=14,
            color=colour,
            edgecolors=KCE_DARK,
            linewidths=0.6,
            zorder=3,
        )
        ax.barh([np.nan], [np.nan], color=colour, label=group)  # legend handle
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels([labels.get(i, i) for i in items])
    ax.invert_yaxis()
    ax.set_xlim(-0.3, scale_max + 0.3)
    ax.set_xlabel("Maturity score (0 = lowest, 5 = highest)")
    ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.6)
    ax.legend(ncol=len(groups), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return fig


def stacked_bars(
    distribution: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    groups: Sequence[str] | None = None,
    scale: Sequence[str] = ("0", "1", "2", "3", "4"),
    wrap: int = 48,
    legend_title: str = "Score",
    xlabel: str = "% of scored answers",
    scale_labels: Mapping[str, str] | None = None,
) -> Figure:
    """100 % stacked horizontal bars of scores per item and group, one panel per item
    (tables 18–23 as bars); `scale_labels` names the answer categories in the legend."""

    use_style()
    scores = distribution[distribution["kind"] == "score"]
    items = list(dict.fromkeys(scores["item"]))
    groups = list(groups or dict.fromkeys(scores["group"]))
    colours = ordinal_colours(len(scale))
    fig = Figure(figsize=(figure_width(), 0.28 * len(groups) * len(items) + 0.5 * len(items) + 0.6))
    axes = fig.subplots(len(items), 1, sharex=True, squeeze=False)
    for ax, item in zip(axes[:, 0], items, strict=True):
        table = _percent_table(scores[scores["item"] == item], "group", groups, scale)
        _stack(ax, table, scale, colours)
        ax.set_yticks(range(len(groups)))
        ax.set_yticklabels(groups)
        ax.invert_yaxis()
        ax.set_title(textwrap.fill(labels.get(item, item), wrap), loc="left", fontsize=8)
        ax.set_xlim(0, 100)
    axes[-1, 0].set_xlabel(xlabel)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles,
        [(scale_labels or {}).get(name, name) for name in names],
        title=legend_title,
        ncol=len(scale),
        loc="upper center",
        bbox_to_anchor=(0.5, 1.02),
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig


def stacked_bars_overview(
    distribution: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    group: str = "Total",
    scale: Sequence[str] = ("0", "1", "2", "3", "4"),
    wrap: int = 95,
    legend_title: str | None = "Score",
    xlabel: str = "% of scored answers",
    width: float | None = None,
    scale_labels: Mapping[str, str] | None = None,
    legend_columns: int | None = None,
    row: float = 0.2,
) -> Figure:
    """One 100 % stacked bar per item for a single group, all items on one axis: many items
    stay readable in one compact chart where a panel per item would not.

    Item labels are shown in full, wrapped at `wrap` characters (a shortened policy aim
    cannot be matched to its table); `width` defaults to `figure_width()`; `scale_labels`
    names the answer categories in the legend (as the caption does); `row` is the height
    (inches) of one bar with a one-line label, smaller to fit a figure under wide floats.
    """

    use_style()
    scores = distribution[(distribution["kind"] == "score") & (distribution["group"] == group)]
    items = list(dict.fromkeys(scores["item"]))
    table = _percent_table(scores, "item", items, scale)
    colours = ordinal_colours(len(scale))
    wrapped = [textwrap.fill(labels.get(i, i), wrap) for i in items]
    lines = sum(label.count("\n") + 1 for label in wrapped)
    # 0.2 inch per bar keeps a page-wide figure of some twenty aims within a landscape page.
    extra = lines - len(items)
    fixed = 1.1 if legend_title else 0.95  # legend above, axis and its label below
    fig = Figure(
        figsize=(figure_width(width), row * len(items) + 0.13 * extra + fixed),
        layout="constrained",
    )
    ax = fig.subplots()
    _stack(ax, table.rename(columns=dict(scale_labels or {})), _names(scale, scale_labels), colours)
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels(wrapped, fontsize=8.5, linespacing=0.95)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_ylim(len(items) - 0.5, -0.5)
    ax.set_xlabel(xlabel)
    ax.legend(
        title=legend_title,
        ncol=legend_columns or len(scale),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        fontsize=8.5,
        title_fontsize=8.5,
    )
    return fig
