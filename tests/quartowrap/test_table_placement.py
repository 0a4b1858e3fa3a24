"""Column widths measured in the theme's table font, and where the PDF puts each table."""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont
from quartowrap.project.theme import builtin_theme
from quartowrap.tables.layout import INSET_PT, layout
from quartowrap.tables.model import Cell, Row, Table
from quartowrap.tables.typst import row_label_groups
from quartowrap.writers.typst.placement import place, row_parts, table_font, units

KCE = builtin_theme("kce")
PAGE = KCE.geometry
FONT = table_font(PAGE, KCE.root)


def _table(head: list[str], rows: list[list[str]]) -> Table:
    return Table([Row([Cell(h) for h in head])], [Row([Cell.of(t) for t in r]) for r in rows])


def _advance(text: str, face: str, size: float) -> float:
    """The printed width of `text` read straight from the font file (a second reading)."""
    font = TTFont(KCE.root / "fonts" / face)
    cmap, hmtx = font.getBestCmap(), font["hmtx"].metrics
    units_per_em = font["head"].unitsPerEm
    return sum(hmtx[cmap[ord(ch)]][0] for ch in text) / units_per_em * size


def test_the_font_measures_advance_widths_of_the_theme_font():
    assert FONT.regular and FONT.regular.name == "SourceSans3-Regular.otf"
    assert FONT.width("Wallonia") == pytest.approx(_advance("Wallonia", FONT.regular.name, 8.5))
    bold = FONT.width("Wallonia", bold=True)
    assert bold == pytest.approx(_advance("Wallonia", "SourceSans3-Bold.otf", 8.5))
    assert bold > FONT.width("Wallonia")
    # proportional, not a character count: "iiii" is far narrower than "MMMM"
    assert FONT.width("MMMM") > 2.5 * FONT.width("iiii")


def test_minimum_width_is_the_longest_word_a_number_or_a_whole_m_sd_cell():
    word = "multidisciplinary"
    table = _table(
        ["Aim", "Share (%)", "M (SD)"],
        [
            [f"A {word} team for every patient", "12.5", "2.56 (1.34)"],
            ["Short", "3.0", "3.10 (0.98)"],
        ],
    )
    aim, share, msd = layout(table, FONT).columns
    # text wraps between words only: its minimum is its widest word, its maximum one line
    assert aim.low == pytest.approx(FONT.width(word), abs=1)
    assert aim.high == pytest.approx(FONT.width(f"A {word} team for every patient"), abs=1)
    # a number column: the number whole, or its header's widest piece in bold if wider;
    # a unit stays with its word ("Share (%)" never breaks before "(%)")
    assert share.numeric and share.low >= FONT.width("12.5")
    assert share.low == pytest.approx(FONT.width("Share (%)", bold=True), abs=1)
    # "M (SD)" never wraps: the whole "2.56 (1.34)" is the minimum
    assert msd.numeric and msd.low >= FONT.width("2.56 (1.34)")
    assert msd.low == pytest.approx(FONT.width("2.56 (1.34)"), abs=1)


def test_widths_give_every_column_its_minimum_and_the_rest_to_text_that_wraps():
    table = _table(
        ["Item", "Belgium", "Flanders"],
        [["Asked for my ideas when making a treatment plan", "25.58", "26.43"]],
    )
    shape = layout(table, FONT)
    widths = shape.content_widths(200)
    assert all(w >= c.low - 0.01 for w, c in zip(widths, shape.columns, strict=True))
    assert sum(widths) + 3 * INSET_PT == pytest.approx(200)
    assert widths[0] > widths[1] + widths[2]


def test_a_narrow_table_stays_in_the_column():
    table = _table(["Region", "n", "%"], [["Flanders", "802", "61.8"], ["Wallonia", "431", "33.2"]])
    decision = place(table, PAGE, FONT)
    assert decision.where == "column" and decision.size == PAGE.table_size
    assert decision.groups == ((0, 1, 2),) and decision.parts == ((0, 2),)


def _pacic_like(columns: int) -> Table:
    labels = ["Never (%)", "Generally not (%)", "Sometimes (%)", "Most of the time (%)"]
    head = ["Item", "Region", *[labels[k % 4] for k in range(columns - 2)]]
    rows = []
    for item in range(3):
        for region in ("Belgium", "Flanders", "Wallonia", "Brussels"):
            first = (
                f"{item + 1}. Asked for my ideas when making a treatment plan"
                if region == "Belgium"
                else ""
            )
            rows.append([first, region, *["25.58"] * (columns - 3), "2.58 (1.34)"])
    return _table(head, rows)


def test_a_ten_column_table_goes_across_the_page_at_its_size():
    table = _pacic_like(10)
    assert not layout(table, FONT).fits(PAGE.column_width)
    decision = place(table, PAGE, FONT)
    assert decision.where == "page" and decision.size == PAGE.table_size
    assert decision.layout.fits(PAGE.page_width) and len(decision.groups) == 1


def test_a_wider_table_shrinks_before_it_is_split_and_never_under_the_smallest_size():
    table = _pacic_like(17)
    assert not layout(table, FONT).fits(PAGE.page_width)
    decision = place(table, PAGE, FONT)
    assert PAGE.table_min_size <= decision.size < PAGE.table_size
    assert decision.layout.fits(PAGE.page_width) and len(decision.groups) == 1


def test_a_very_wide_table_is_split_into_column_groups_repeating_the_stub():
    table = _pacic_like(40)
    decision = place(table, PAGE, FONT)
    assert decision.where == "page" and decision.size == PAGE.table_min_size
    assert len(decision.groups) >= 2
    assert all(group[0] == 0 for group in decision.groups)  # the row labels in every group
    printed = sorted({k for group in decision.groups for k in group[1:]})
    assert printed == list(range(1, 40))  # every other column exactly once
    for group in decision.groups:
        widths = [decision.layout.columns[k].low + INSET_PT for k in group]
        assert sum(widths) <= PAGE.page_width


def test_an_author_wide_table_goes_across_the_page_even_when_it_would_fit_the_column():
    table = _table(["A", "B"], [["1", "2"]])
    assert place(table, PAGE, FONT, wide=True).where == "page"


def test_row_label_groups_stay_together_and_no_part_holds_a_single_row():
    table = _pacic_like(10)
    assert row_label_groups(table) == {0: 4, 4: 4, 8: 4}
    assert units(table) == [(0, 4), (4, 8), (8, 12)]
    # three groups of four rows, room for two groups a part: parts end between groups
    parts = row_parts([10.0] * 12, 10.0, 95.0, units(table))
    assert all(a % 4 == 0 and b % 4 == 0 for a, b in parts)
    # one-row units: the last part takes a row from the one before rather than stand alone
    single = row_parts([10.0] * 9, 0.0, 80.0, [(k, k + 1) for k in range(9)])
    assert single[-1][1] - single[-1][0] >= 2 and single[-1][1] == 9
    assert [b for _a, b in single[:-1]] == [a for a, _b in single[1:]]  # rows in order, once


def test_a_group_row_stays_with_the_row_after_it():
    group = Row([Cell("Federal level", "text", "strong", colspan=2)], group=True)
    table = Table(
        [Row([Cell("No."), Cell("Title")])],
        [Row([Cell.of("1"), Cell.of("A")]), group, Row([Cell.of("2"), Cell.of("B")])],
    )
    assert units(table) == [(0, 1), (1, 3)]


def test_a_page_wide_table_taller_than_a_page_is_cut_into_parts_of_whole_rows():
    rows = [[f"{k}. A label long enough to wrap", "Belgium", "1.0", "2.0"] for k in range(120)]
    table = _table(["Item", "Region", "A", "B"], rows)
    decision = place(table, PAGE, FONT, wide=True)
    assert len(decision.parts) >= 2
    assert decision.parts[0][0] == 0 and decision.parts[-1][1] == 120
    room = 0.85 * PAGE.text_height
    heights = decision.layout.row_heights(table, decision.width)
    for a, b in decision.parts:
        assert b - a >= 2 and sum(heights[a + 1 : b + 1]) + heights[0] <= room


def test_a_title_with_its_gloss_below_is_estimated_as_tall_as_it_prints():
    """A cell of two paragraphs (a title and its gloss) prints 25.5 pt tall in the KCE PDF,
    one line 12.6 pt (measured with pdfplumber on the flagship's Table 18): the estimate
    that cuts long tables into page parts stays within a point or two of both."""
    para = [{"t": "Para", "c": [{"t": "Str", "c": "Title"}]}]
    gloss = [{"t": "Para", "c": [{"t": "Emph", "c": [{"t": "Str", "c": "Gloss"}]}]}]
    table = Table(
        [Row([Cell("No."), Cell("Title")])],
        [
            Row([Cell.of("1"), Cell("Title Gloss", blocks=para + gloss)]),
            Row([Cell.of("2"), Cell("T")]),
        ],
    )
    shape = layout(table, FONT)
    _head, two, one = shape.row_heights(table, PAGE.page_width)
    assert abs(two - 25.5) <= 2.0 and abs(one - 12.6) <= 1.0
