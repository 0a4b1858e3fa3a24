"""Figure layout checks that a reader would notice: glyphs the PDF font lacks, labels drawn
over the data or off the page.  Geometry is measured after drawing with the Agg renderer."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from quartowrap.project.theme import builtin_theme

from analysis import literature as lit
from analysis import survey
from analysis.figures import spider_chart, stacked_bars_overview

# The PDF body font (Source Sans 3) has no "∝"; such symbols must be spelt out.
MISSING_GLYPHS = "∝≈≤≥±×"


def _spider() -> tuple:
    frame = pd.DataFrame({"a": ["0", "1", "2", "5"], "b": ["3", "3", "4", "DK"]})
    items = ["a", "b"]
    summary = survey.score_summary(frame, items, by=None).assign(group="Total")
    dist = survey.item_distribution(frame, items, scale=survey.SCIROCCO_SCALE, by=None)
    fig = spider_chart(summary, dist, {"a": "A fairly long dimension name", "b": "Bee"})
    return fig, fig.axes[0]


def test_spider_legend_spells_out_proportional() -> None:
    _, ax = _spider()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("proportional to n" in t for t in texts)
    assert not any(ch in t for t in texts for ch in MISSING_GLYPHS)


def test_spider_dimension_labels_lie_outside_the_outer_circle() -> None:
    fig, ax = _spider()
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    outer = ax.get_ylim()[1]
    centre = ax.transData.transform((0, 0))
    rim = ax.transData.transform((0, outer))  # theta 0 is at the top (offset pi/2)
    radius_px = np.hypot(*(rim - centre))
    labels = [
        t
        for t in ax.texts
        if t.get_text().replace("\n", " ") in {"A fairly long dimension name", "Bee"}
    ]
    assert len(labels) == 2
    for text in labels:
        box = text.get_window_extent(renderer)
        # the point of the label box nearest to the centre is still outside the circle
        nearest_x = np.clip(centre[0], box.x0, box.x1)
        nearest_y = np.clip(centre[1], box.y0, box.y1)
        assert np.hypot(nearest_x - centre[0], nearest_y - centre[1]) > radius_px


PAGE_WIDTH = 10.28  # inches: the page-wide figure cell's fig-width (chapters/01-introduction.qmd)


def _as_in_the_book() -> dict[str, object]:
    """The rc the book's kernel draws in: its font first (registered here), page width."""
    families = []
    for path in sorted(builtin_theme("kce").path("fonts").glob("*.[ot]tf")):
        font_manager.fontManager.addfont(str(path))
        families.append(font_manager.FontProperties(fname=path).get_name())
    return {
        "font.sans-serif": [*dict.fromkeys(families), *mpl.rcParams["font.sans-serif"]],
        "figure.figsize": (PAGE_WIDTH, 4.8),
    }


def test_timeline_labels_stay_inside_the_years_shown() -> None:
    data = lit.load_policy_data()
    with mpl.rc_context(_as_in_the_book()):  # fonts resolve at drawing: measure inside
        fig = lit.timeline_figure(data)
        FigureCanvasAgg(fig).draw()
        renderer = fig.canvas.get_renderer()
        (ax,) = fig.axes
        x0, x1 = ax.get_xlim()
        left, right = ax.transData.transform([(x0, 0), (x1, 0)])[:, 0]
        assert len(ax.texts) == len(data.timeline)
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert all(left - 1 <= b.x0 and b.x1 <= right + 1 for b in boxes)
    # one row per event: no two labels overlap
    for k, a in enumerate(boxes):
        assert not any(a.overlaps(b) for b in boxes[k + 1 :])


def test_aims_overview_shows_each_label_in_full() -> None:
    long = "Self-management through tools the person can consult or complete at home"
    frame = pd.DataFrame({"a": ["0", "4", "2"], "b": ["1", "1", "3"]})
    dist = survey.item_distribution(frame, ["a", "b"], scale=survey.AIM_SCALE, by=None)
    fig = stacked_bars_overview(dist, {"a": long, "b": "Short"}, wrap=40)
    shown = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    assert shown == [long, "Short"]  # wrapped, never shortened with an ellipsis
