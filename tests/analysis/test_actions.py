"""analysis.actions and data/actions: the published counts of KCE Report 359, chapter 4.

Every expected number below is typed from the report (tables 35-50), never taken from the
program's output.  Columns are (Brussels, Flanders, Wallonia).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from quartowrap.authoring.data import DataValidationError

from analysis.actions import (
    REGIONS,
    check_consistency,
    counts_by,
    dimension_times_discussed,
    examples_table,
    facilitators_barriers_table,
    load_action_data,
    participants_table,
    priority_totals,
    priority_weights,
    subcluster_table,
    vsm_table,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

DATA = PROJECT_ROOT / "data"


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return load_action_data(DATA)


def as_dict(table: pd.DataFrame, key: str | list[str]) -> dict:
    return {
        (k if isinstance(k, str) else tuple(k)): tuple(int(v) for v in row)
        for k, row in zip(
            table[key].itertuples(index=False, name=None) if isinstance(key, list) else table[key],
            table[list(REGIONS)].itertuples(index=False, name=None),
            strict=True,
        )
    }


# Table 35: number of times each dimension was discussed.
TABLE_35 = {
    "breadth_of_ambition": (1, 2, 2),
    "population_approach": (1, 2, 2),
    "citizen_empowerment": (1, 2, 2),
    "structure_governance": (1, 1, 2),
    "digital_infrastructure": (1, 2, 1),
    "process_coordination": (1, 2, 2),
    "finance_funding": (1, 2, 2),
    "readiness_to_change": (1, 1, 1),
    "removal_of_inhibitors": (1, 1, 1),
    "evaluation_methods": (1, 1, 1),
    "innovation_management": (1, 1, 1),
    "capacity_building": (1, 1, 1),
}


def test_table_35_times_each_dimension_was_discussed(data) -> None:  # type: ignore[no-untyped-def]
    table = dimension_times_discussed(data.groups)
    assert as_dict(table, "dimension") == TABLE_35
    assert table["Total"].tolist() == [5, 5, 5, 4, 4, 5, 5, 3, 3, 3, 3, 3]
    assert data.groups.groupby("region").size().to_dict() == {
        "Brussels": 4,
        "Flanders": 6,
        "Wallonia": 6,
    }


def test_table_36_participants(data) -> None:  # type: ignore[no-untyped-def]
    table = participants_table(data.participants)
    # The report prints Flanders, Brussels, Wallonia; typed here in that order, blanks = 0.
    printed = {
        "Public services, public institutions": (7, 9, 12),
        "Patient representatives": (4, 2, 0),
        "Physicians": (1, 1, 2),
        "Pilot projects integrated care": (5, 0, 3),
        "Home nursing and family care": (6, 6, 12),
        "Primary care (zones and platforms)": (6, 0, 2),
        "Mental health care": (3, 3, 1),
        "Elderly care": (4, 0, 1),
        "Hospital": (5, 0, 2),
        "Pharmacist": (2, 1, 2),
        "Revalidation": (1, 0, 0),
        "Social care (social assistant)": (1, 0, 1),
        "Researcher": (5, 2, 4),
        "Sickness funds": (2, 5, 0),
        "Community health centre": (0, 4, 3),
        "Prevention": (0, 2, 3),
        "Paramedics": (0, 1, 3),
        "Palliative care": (0, 0, 1),
    }
    expected = {k: (b, f, w) for k, (f, b, w) in printed.items()}
    assert as_dict(table, "sector") == expected
    assert table["Total"].sum() == 140  # "A total of 140 stakeholders"
    # Group sizes in groups.csv are constructed but must add up to the same regional totals.
    sizes = data.groups.groupby("region")["participants"].sum().to_dict()
    assert sizes == {"Brussels": 36, "Flanders": 52, "Wallonia": 52}


def test_table_37_facilitators_and_barriers(data) -> None:  # type: ignore[no-untyped-def]
    table = facilitators_barriers_table(data.facilitators_barriers)
    printed = {  # B fac, B bar, F fac, F bar, W fac, W bar, total fac, total bar
        "breadth_of_ambition": (5, 9, 37, 39, 20, 27, 62, 75),
        "population_approach": (17, 21, 14, 16, 9, 8, 40, 45),
        "citizen_empowerment": (33, 30, 44, 48, 31, 30, 108, 108),
        "structure_governance": (21, 30, 16, 47, 11, 18, 48, 95),
        "digital_infrastructure": (7, 10, 10, 15, 5, 10, 22, 34),
        "process_coordination": (16, 12, 25, 55, 11, 34, 52, 101),
        "finance_funding": (6, 5, 19, 29, 11, 8, 36, 42),
        "readiness_to_change": (20, 30, 42, 52, 12, 21, 74, 103),
        "removal_of_inhibitors": (22, 20, 53, 65, 18, 32, 93, 117),
        "evaluation_methods": (28, 19, 13, 13, 6, 14, 47, 46),
        "innovation_management": (4, 14, 5, 13, 22, 15, 31, 42),
        "capacity_building": (16, 14, 22, 28, 30, 33, 68, 75),
    }
    for dimension, values in printed.items():
        row = tuple(int(v) for v in table.loc[dimension])
        if dimension == "digital_infrastructure":
            # The printed row does not add up: 10 + 15 + 10 = 35 barriers, total printed 34.
            assert row[:7] == values[:7] and row[7] == 35
        else:
            assert row == values, dimension
    totals = table.sum()
    assert totals[("Brussels", "facilitator")] == 195 and totals[("Brussels", "barrier")] == 214
    assert totals[("Flanders", "facilitator")] == 300
    assert totals[("Wallonia", "facilitator")] == 186 and totals[("Wallonia", "barrier")] == 250
    assert totals[("Total", "facilitator")] == 681
    # Printed n = 419 and 883: one more than the printed cells give (see data/README.md).
    assert totals[("Flanders", "barrier")] == 419 + 1
    assert totals[("Total", "barrier")] == 883 + 1


TABLE_39 = {
    "breadth_of_ambition": (7, 15, 9),
    "population_approach": (11, 25, 32),
    "citizen_empowerment": (13, 16, 12),
    "structure_governance": (6, 11, 20),
    "digital_infrastructure": (6, 18, 8),
    "process_coordination": (11, 20, 26),
    "finance_funding": (5, 23, 18),
    "readiness_to_change": (8, 9, 8),
    "removal_of_inhibitors": (3, 3, 7),
    "evaluation_methods": (4, 8, 5),
    "innovation_management": (4, 8, 7),
    "capacity_building": (8, 11, 8),
    "multiple": (28, 65, 49),
}


def test_table_39_actions_by_dimension(data) -> None:  # type: ignore[no-untyped-def]
    table = counts_by(data.actions, "dimension")
    assert as_dict(table, "dimension") == TABLE_39
    assert table[list(REGIONS)].sum().tolist() == [114, 232, 209]
    assert table["Total"].sum() == 555
    totals = dict(zip(table["dimension"], table["Total"], strict=True))
    assert totals["population_approach"] == 68 and totals["multiple"] == 142


TABLE_40 = {
    "Activate the patient as driver of integrated care": (16, 23, 18),
    "Build skills and capacity for integrated care": (12, 20, 24),
    "Define and consolidate governance, roles and responsibilities for integrated care": (
        6,
        16,
        14,
    ),
    "Develop a population-based approach": (5, 8, 6),
    "Develop a vision for IC, build a platform for change": (11, 12, 16),
    "Facilitate interprofessional and intersectoral collaboration at micro/meso level": (
        21,
        48,
        55,
    ),
    "Improve access to/exchange of data, structure communication": (7, 23, 17),
    "Improve, streamline macro-level decision-making": (7, 12, 8),
    "Feed a culture of evaluation and quality-orientation": (5, 6, 8),
    "Restructure funding for integrated care": (11, 28, 21),
    "Strengthen the platform for learning and innovation": (4, 24, 14),
    "Unclustered": (9, 12, 8),
}


def test_table_40_actions_by_super_cluster(data) -> None:  # type: ignore[no-untyped-def]
    table = counts_by(data.actions, "super_cluster")
    assert as_dict(table, "super_cluster") == TABLE_40
    assert table.set_index("super_cluster").at["Unclustered", "Total"] == 29


# Tables 41-50, sub-cluster rows (where only clusters are published, the cluster row).
SUB_CLUSTERS = {
    # table 41
    "Define and support case management": (2, 2, 3),
    "Expand access to patient info/digital tools for all health care and welfare professionals": (
        1,
        3,
        3,
    ),
    "Facilitate multidisciplinary consultation at micro level": (1, 3, 12),
    "Formalise care and support pools": (1, 1, 0),
    "Leverage coordination centres (centre de coordination d'aide et de soins à domicile)": (
        0,
        0,
        2,
    ),
    "Create one access point for patients, citizens": (0, 2, 0),
    "Define territories": (0, 1, 6),
    "Integrate health care and welfare": (6, 4, 1),
    "Strengthen primary care zones": (0, 3, 0),
    "Structure and strengthen first line care": (0, 4, 2),
    "Create care pathways for integrated care": (0, 5, 0),
    "Improve coordination of transition points in the care process": (2, 3, 2),
    "Integrate first and second line": (1, 1, 5),
    "Implement a neighbourhood care approach": (1, 3, 0),
    "Map available assets and actors": (3, 1, 3),
    "Partner with local authorities": (3, 8, 10),
    "Stimulate, support regional collaboration": (0, 4, 6),
    # table 42
    "Expand/restructure basic training of professionals": (5, 8, 9),
    "Broaden access to existing training offer": (1, 0, 3),
    "Deepen skills in multidisciplinary collaboration": (2, 3, 3),
    "Deepen skills in population approach": (1, 4, 1),
    "Develop skills in change management": (0, 0, 2),
    "Develop skills in goal-oriented care": (0, 2, 0),
    "Increase data/digital literacy of professionals": (1, 0, 2),
    "Stimulate continuous professional development": (1, 0, 2),
    "Strengthen peer learning/Build community of practices": (1, 3, 2),
    # table 43
    "Actions to develop a population-based approach": (4, 5, 5),
    "Actions to develop a proactive approach towards population": (1, 3, 1),
    # table 44
    "Assure equity and affordability for all patients": (3, 2, 0),
    "Provide digital access to patients /minimise impact of digital gap": (4, 4, 5),
    "Involve experts by experience": (1, 4, 1),
    "Involve patients in detecting personal and collective needs": (1, 2, 2),
    "Involve patients in strategic conversations": (1, 1, 6),
    "Promote goal-oriented care": (2, 5, 0),
    "Strengthen patient self-management": (1, 2, 0),
    "Develop health literacy": (2, 1, 3),
    "Strengthen organisational health literacy": (1, 2, 1),
    # table 45
    "Define finality of care": (1, 1, 3),
    "Define mandates and objectives": (2, 6, 5),
    "Design and define new roles": (0, 0, 3),
    "Develop a clear implementation plan": (1, 3, 1),
    "Reduce administrative burden, enhance efficiency": (1, 2, 1),
    "Standardise integrated care approaches": (1, 4, 1),
    # table 46
    "Develop new policies with stakeholders": (1, 2, 2),
    "Increase efficiency of macro level decision making": (2, 0, 1),
    "Provide feedback to policy makers": (0, 1, 3),
    "Streamline macro institutional landscape (and division of powers)": (1, 3, 1),
    "Strengthen alignment between inter-federal entities": (3, 6, 1),
    # table 47
    "Develop long-term funding approach": (1, 2, 3),
    "Improve coherence of federal and regional funding": (2, 0, 1),
    "Reallocate existing funding": (0, 3, 0),
    "Finance coordination activities": (3, 5, 8),
    "Develop financial incentives for integration": (2, 2, 2),
    "Diversify funding mechanisms": (2, 14, 3),
    "Provide adequate funding": (1, 2, 4),
    # table 48 (sub-cluster rows; two printed "Sum" rows disagree with them, see README)
    "Leverage available data": (2, 6, 2),
    "Provide platforms for data exchange": (1, 0, 4),
    "Create framework for secure data sharing": (1, 2, 3),
    "Develop one digital patient record": (0, 11, 4),
    "Ensure interoperability of digital tools": (1, 4, 1),
    "Structure communication between providers and between providers and patients": (2, 0, 3),
    # table 49
    "Scale/consolidate successful innovations": (1, 7, 3),
    "Strengthen practices that work": (1, 5, 6),
    "Support learning networks/system": (0, 7, 1),
    "Create room for innovation": (2, 3, 2),
    "Initiate pilot projects": (0, 2, 2),
    # table 50
    "Create awareness and buy-in for IC": (8, 4, 9),
    "Develop and communicate a shared vision for IC": (3, 7, 0),
    "Support integration through change management": (0, 1, 7),
}
UNPUBLISHED = {"Feed a culture of evaluation and quality-orientation", "Unclustered"}


def test_tables_41_to_50_sub_clusters(data) -> None:  # type: ignore[no-untyped-def]
    published = data.actions[~data.actions["super_cluster"].isin(UNPUBLISHED)]
    table = counts_by(published, "sub_cluster")
    found = as_dict(table, "sub_cluster")
    # Sub-clusters absent from a region have no row in the data, hence the zero fill.
    assert found == SUB_CLUSTERS


def test_subcluster_table_sums_clusters(data) -> None:  # type: ignore[no-untyped-def]
    table = subcluster_table(
        data.actions,
        "Facilitate interprofessional and intersectoral collaboration at micro/meso level",
    )
    sums = table[table["level"] == "cluster"]
    assert sorted(map(tuple, sums[list(REGIONS)].to_numpy().tolist())) == sorted(
        [(5, 9, 20), (6, 14, 9), (3, 9, 7), (7, 16, 19)]  # the printed "Sum" rows
    )
    data_table = subcluster_table(
        data.actions, "Improve access to/exchange of data, structure communication"
    )
    data_sums = data_table[data_table["level"] == "cluster"]["Total"].tolist()
    assert data_sums == [15, 32]  # printed 12 and 35: the Wallonia sums were misprinted


def test_every_action_comes_from_a_group_that_discussed_its_dimension(data) -> None:  # type: ignore[no-untyped-def]
    check_consistency(data.actions, data.groups, data.vsm)  # raises on any problem
    assert data.actions["text"].str.strip().ne("").all()
    assert data.actions["text"].str.lower().is_unique


def test_vsm_tables_51_to_53(data) -> None:  # type: ignore[no-untyped-def]
    micro = vsm_table(data.vsm, data.actions, "micro")
    assert set(micro["vsm_system"]) == {"S1", "S3"}  # table 51: operations + management
    assert (
        micro.loc[micro["sub_cluster"] == "Finance coordination activities", "n_actions"].item()
        == 16
    )
    macro = vsm_table(data.vsm, data.actions, "macro")
    assert set(macro["vsm_system"]) == {"S1", "S2", "S3", "S3*", "S4", "S5"}
    assert (macro["n_actions"] > 0).all()


# ----------------------------------------------------------------------------- priorities


def test_priority_weights_by_hand() -> None:
    actions = pd.DataFrame(
        {
            "group_id": ["G1", "G1", "G1", "G2", "G2"],
            "region": ["Brussels"] * 3 + ["Flanders"] * 2,
            "super_cluster": ["A", "B", "B", "A", "B"],
            "p1": [2, 0, 0, 0, 0],
            "p2": [0, 1, 0, 0, 0],
            "p3": [1, 1, 0, 0, 0],
        }
    )
    # G1: 2*3 + 1*1 = 7; 1*2 + 1*1 = 3; 0 → total 10.  G2 placed no sticker: not rated.
    weights = priority_weights(actions)
    np.testing.assert_allclose(weights[:3], [0.7, 0.3, 0.0])
    assert weights[3:].isna().all()
    totals = priority_totals(actions)
    assert totals.to_dict("records") == [
        {"super_cluster": "A", "region": "Brussels", "weight": pytest.approx(0.7), "n_rated": 1},
        {"super_cluster": "B", "region": "Brussels", "weight": pytest.approx(0.3), "n_rated": 2},
    ]


def test_shipped_priorities_follow_the_sticker_rules(data) -> None:  # type: ignore[no-untyped-def]
    actions, groups = data.actions, data.groups.set_index("group_id")
    placed = actions.groupby("group_id")[["p1", "p2", "p3"]].sum()
    voters = groups["priority_voters"].reindex(placed.index)
    # Each voter places exactly one sticker of each priority.
    for column in ("p1", "p2", "p3"):
        assert (placed[column] == voters).all()
    assert (voters <= groups["participants"].reindex(placed.index)).all()
    weights = priority_weights(actions).groupby(actions["group_id"]).sum(min_count=1)
    rated = voters[voters > 0].index
    np.testing.assert_allclose(weights[rated], 1.0)
    assert weights.drop(rated).isna().all()


# -------------------------------------------------------------------------- bad input


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    (target / "actions").mkdir(parents=True)
    shutil.copy(DATA / "codebook.yaml", target / "codebook.yaml")
    for name in (
        "actions.csv",
        "groups.csv",
        "facilitators_barriers.csv",
        "participants.csv",
        "vsm.csv",
    ):
        shutil.copy(DATA / "actions" / name, target / "actions" / name)
    return target


def _edit_actions(target: Path, row: int, column: str, value: str) -> None:
    path = target / "actions" / "actions.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False, lineterminator="\n")


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        (4, "text", "   ", "actions.csv:6:text:"),
        (9, "region", "Luxembourg", "actions.csv:11:region: Luxembourg: not an allowed code"),
        (2, "action_id", "A001", "actions.csv:4:action_id: A001: duplicate key (first at row 2)"),
        (0, "p1", "-1", "actions.csv:2:p1: -1: outside the range"),
    ],
)
def test_bad_actions_are_reported_with_file_row_and_column(
    tmp_path: Path, row: int, column: str, value: str, message: str
) -> None:
    target = _copy_data(tmp_path)
    _edit_actions(target, row, column, value)
    with pytest.raises(DataValidationError) as error:
        load_action_data(target)
    assert message in str(error.value)


def test_action_under_a_dimension_its_group_did_not_discuss(tmp_path: Path) -> None:
    target = _copy_data(tmp_path)
    actions = pd.read_csv(target / "actions" / "actions.csv")
    group = actions.at[0, "group_id"]
    groups = pd.read_csv(target / "actions" / "groups.csv").set_index("group_id")
    discussed = set(groups.loc[group, ["dimension_1", "dimension_2", "dimension_3"]])
    other = next(d for d in TABLE_35 if d not in discussed)
    _edit_actions(target, 0, "dimension", other)
    with pytest.raises(
        DataValidationError, match=rf"actions.csv:2:dimension: {other}: not discussed"
    ):
        load_action_data(target)


# ------------------------------------------------------------------------------ builder


def _builder():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "build_actions", PROJECT_ROOT / "data" / "reconstruct" / "actions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builder_reproduces_the_shipped_files_byte_for_byte() -> None:
    builder = _builder()
    actions, _groups = builder.build()
    shipped = (DATA / "actions" / "actions.csv").read_text("utf-8")
    assert actions.to_csv(index=False, lineterminator="\n") == shipped
    assert builder.main(["--check"]) == 0


def test_display_layout_names_each_cluster_once(data) -> None:  # type: ignore[no-untyped-def]
    from analysis.actions import display_subclusters

    skills = display_subclusters(
        subcluster_table(data.actions, "Build skills and capacity for integrated care")
    )
    assert list(skills.columns) == ["Cluster", "Sub-cluster", *REGIONS, "Total"]
    assert (skills["Cluster"] != "").sum() == 3  # three clusters in table 42
    governance = display_subclusters(
        subcluster_table(
            data.actions,
            "Define and consolidate governance, roles and responsibilities for integrated care",
        )
    )
    assert list(governance.columns) == ["Cluster", *REGIONS, "Total"]  # clusters only
    assert governance["Total"].tolist() == [5, 13, 3, 5, 4, 6]  # table 45


def test_network_figure_colours_the_largest_communities_from_the_house_palette() -> None:
    import networkx as nx
    from matplotlib.colors import to_hex

    from analysis.actions import network_figure
    from analysis.figures import CATEGORICAL_COLOURS, KCE_TEAL, OTHER_COLOUR

    graph = nx.path_graph(4)
    labels = np.array([0, 1, 2, 2])  # communities 0 and 1 coloured, 2 beyond top=2
    fig = network_figure(graph, labels, top=2)
    nodes = next(c for c in fig.axes[0].collections if len(c.get_offsets()) == 4)
    drawn = [to_hex(c) for c in nodes.get_facecolors()]
    assert drawn == [KCE_TEAL, CATEGORICAL_COLOURS[1], OTHER_COLOUR, OTHER_COLOUR]
    (legend,) = fig.legends  # under the drawing, for the whole figure
    assert [to_hex(h.get_color()) for h in legend.legend_handles] == [
        KCE_TEAL,
        CATEGORICAL_COLOURS[1],
    ]


def test_network_figure_across_the_page_keeps_its_legend_beside_the_drawing() -> None:
    """Drawn for the page width (figure 15 floats across the page), the network is wider
    than tall with its legend in one column to the right of the drawing, so neither the
    drawing nor the legend has to shrink to fit the page beside another float."""
    import matplotlib as mpl
    import networkx as nx
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from analysis.actions import network_figure

    graph = nx.path_graph(6)
    labels = np.array([0, 0, 1, 1, 2, 2])
    with mpl.rc_context({"figure.figsize": (10.28, 4.8)}):
        fig = network_figure(graph, labels, top=3)
    width, height = fig.get_size_inches()
    assert width == 10.28 and height < 0.5 * width
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    (legend,) = fig.legends
    assert legend.get_window_extent(renderer).x0 >= fig.axes[0].get_window_extent(renderer).x1
    assert all(t.get_fontsize() >= 7 for t in legend.get_texts())


def test_examples_table_orders_dimensions_and_keeps_kinds_apart() -> None:
    """Table 38: dimensions in SCIROCCO order, examples in file order, kinds not mixed."""
    frame = pd.DataFrame(
        {
            "dimension": ["capacity_building", "breadth_of_ambition", "breadth_of_ambition"],
            "kind": ["barrier", "barrier", "facilitator"],
            "example": ["c-b", "b-b", "b-f"],
        }
    )
    table = examples_table(frame)
    assert table["dimension"].tolist() == ["breadth_of_ambition", "capacity_building"]
    assert table["facilitator"].tolist() == [["b-f"], []]
    assert table["barrier"].tolist() == [["b-b"], ["c-b"]]


def test_shipped_examples_cover_every_dimension_with_both_kinds() -> None:
    from quartowrap.authoring.data import load_table

    table = examples_table(load_table("actions/fb_examples.csv", DATA))
    assert len(table) == 12
    assert (table["facilitator"].map(len) >= 3).all() and (table["barrier"].map(len) >= 3).all()
