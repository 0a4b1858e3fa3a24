"""Action points of the discussion groups (chapter 4): loading, checks, report tables, figures.

`analysis.clustering` knows nothing about the report; this module holds what is specific to
KCE Report 359's action points: the discussion groups, the SCIROCCO dimensions, the manual
super-clusters, the sticker-based priority weights and the Viable System Model mapping.
Every function takes data frames and returns tidy data frames (or a matplotlib figure);
files are read only through `quartowrap.authoring.data.load_table`.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from quartowrap.authoring.data import DataProblem, DataValidationError, load_table

from analysis.figures import CATEGORICAL_COLOURS, OTHER_COLOUR, figure_width, use_style

__all__ = [
    "DIMENSIONS",
    "REGIONS",
    "SUPER_CLUSTERS",
    "SUPER_CLUSTER_SHORT",
    "VSM_SYSTEMS",
    "ActionData",
    "check_consistency",
    "counts_by",
    "dimension_heatmap",
    "dimension_times_discussed",
    "display_subclusters",
    "facilitators_barriers_table",
    "load_action_data",
    "network_figure",
    "participants_table",
    "priority_totals",
    "priority_weights",
    "subcluster_table",
    "vsm_table",
]

REGIONS: tuple[str, ...] = ("Brussels", "Flanders", "Wallonia")

# Report order (tables 35, 37, 39) and labels of the SCIROCCO dimensions.
DIMENSIONS: dict[str, str] = {
    "breadth_of_ambition": "Breadth of ambition",
    "population_approach": "Population approach",
    "citizen_empowerment": "Citizen empowerment",
    "structure_governance": "Structure & Governance",
    "digital_infrastructure": "Digital infrastructure",
    "process_coordination": "Process coordination",
    "finance_funding": "Finance & Funding",
    "readiness_to_change": "Readiness to change",
    "removal_of_inhibitors": "Removal of inhibitors",
    "evaluation_methods": "Evaluation methods",
    "innovation_management": "Innovation management",
    "capacity_building": "Capacity building",
    "multiple": "Multiple dimensions",
}
DIMENSION_ABBREVIATIONS: dict[str, str] = {
    "breadth_of_ambition": "BA",
    "population_approach": "PA",
    "citizen_empowerment": "CE",
    "structure_governance": "SG",
    "digital_infrastructure": "DI",
    "process_coordination": "PC",
    "finance_funding": "FF",
    "readiness_to_change": "RC",
    "removal_of_inhibitors": "RI",
    "evaluation_methods": "EM",
    "innovation_management": "IM",
    "capacity_building": "CB",
    "multiple": "Multiple",
}

# Super-clusters in the order of table 40, with the VSM system each one serves.
SUPER_CLUSTERS: dict[str, str] = {
    "Activate the patient as driver of integrated care": "S1",
    "Build skills and capacity for integrated care": "S1",
    "Define and consolidate governance, roles and responsibilities for integrated care": "S2",
    "Develop a population-based approach": "S1",
    "Develop a vision for IC, build a platform for change": "S5",
    "Facilitate interprofessional and intersectoral collaboration at micro/meso level": "S1",
    "Improve access to/exchange of data, structure communication": "S3*",
    "Improve, streamline macro-level decision-making": "S2",
    "Feed a culture of evaluation and quality-orientation": "S3*",
    "Restructure funding for integrated care": "S3",
    "Strengthen the platform for learning and innovation": "S4",
    "Unclustered": "",
}
# Short names for figure axes and legends (same order as SUPER_CLUSTERS).
SUPER_CLUSTER_SHORT: dict[str, str] = {
    "Activate the patient as driver of integrated care": "Patient as driver",
    "Build skills and capacity for integrated care": "Skills and capacity",
    "Define and consolidate governance, roles and responsibilities for integrated care": (
        "Governance and roles"
    ),
    "Develop a population-based approach": "Population approach",
    "Develop a vision for IC, build a platform for change": "Vision and change",
    "Facilitate interprofessional and intersectoral collaboration at micro/meso level": (
        "Collaboration (micro/meso)"
    ),
    "Improve access to/exchange of data, structure communication": "Data and communication",
    "Improve, streamline macro-level decision-making": "Macro decision-making",
    "Feed a culture of evaluation and quality-orientation": "Evaluation culture",
    "Restructure funding for integrated care": "Funding",
    "Strengthen the platform for learning and innovation": "Learning and innovation",
    "Unclustered": "Unclustered",
}
VSM_SYSTEMS: dict[str, str] = {
    "S1": "Operations",
    "S2": "Coordination",
    "S3": "Management",
    "S3*": "Monitoring",
    "S4": "Innovation",
    "S5": "Identity",
}
LEVELS: dict[str, str] = {
    "micro": "Patient interaction",
    "meso": "Local health system",
    "macro": "Regional/federal policy framework",
}


class ActionData:
    """The five inputs of chapter 4, validated against the codebook and against each other."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.actions = _plain(load_table("actions/actions.csv", data_dir))
        self.groups = _plain(load_table("actions/groups.csv", data_dir))
        self.facilitators_barriers = _plain(
            load_table("actions/facilitators_barriers.csv", data_dir)
        )
        self.participants = _plain(load_table("actions/participants.csv", data_dir))
        self.vsm = _plain(load_table("actions/vsm.csv", data_dir))
        self.vsm[["cluster", "sub_cluster"]] = self.vsm[["cluster", "sub_cluster"]].fillna("")
        check_consistency(
            self.actions,
            self.groups,
            self.vsm,
            actions_file=self.actions.attrs.get("source", "actions/actions.csv"),
            vsm_file=self.vsm.attrs.get("source", "actions/vsm.csv"),
        )


def load_action_data(data_dir: Path | None = None) -> ActionData:
    """Load and cross-check every action-point file (errors name file, row and column)."""
    return ActionData(data_dir)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain strings and nullable integers as int: simpler group-bys."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
        elif pd.api.types.is_integer_dtype(dtype) and not out[column].isna().any():
            out[column] = out[column].astype("int64")
    out.attrs = dict(frame.attrs)
    return out


def check_consistency(
    actions: pd.DataFrame,
    groups: pd.DataFrame,
    vsm: pd.DataFrame | None = None,
    actions_file: str = "actions/actions.csv",
    vsm_file: str = "actions/vsm.csv",
) -> None:
    """Checks that span files: groups exist, dimensions were discussed, labels nest.

    Rows are reported as file lines (header = line 1), as `load_table` does.
    """
    problems: list[DataProblem] = []
    known = groups.set_index("group_id")
    discussed = {
        g: {row.dimension_1, row.dimension_2, row.dimension_3} for g, row in known.iterrows()
    }
    parent_of: dict[str, tuple[str, str]] = {}
    for i, row in enumerate(actions.itertuples(index=False)):
        line = i + 2
        if row.group_id not in known.index:
            problems.append(
                DataProblem(actions_file, line, "group_id", row.group_id, "unknown group")
            )
            continue
        if known.at[row.group_id, "region"] != row.region:
            problems.append(
                DataProblem(
                    actions_file,
                    line,
                    "region",
                    row.region,
                    f"group {row.group_id} met in {known.at[row.group_id, 'region']}",
                )
            )
        if row.dimension != "multiple" and row.dimension not in discussed[row.group_id]:
            problems.append(
                DataProblem(
                    actions_file,
                    line,
                    "dimension",
                    row.dimension,
                    f"not discussed in group {row.group_id}",
                )
            )
        key = row.sub_cluster
        parents = (row.super_cluster, row.cluster)
        if parent_of.setdefault(f"{row.super_cluster}|{row.cluster}|{key}", parents) != parents:
            problems.append(DataProblem(actions_file, line, "sub_cluster", key, "label clash"))
        if parent_of.setdefault(row.cluster, (row.super_cluster, "")) != (row.super_cluster, ""):
            problems.append(
                DataProblem(
                    actions_file,
                    line,
                    "cluster",
                    row.cluster,
                    "cluster appears under two super-clusters",
                )
            )
    if vsm is not None:
        labels = set(
            zip(actions["super_cluster"], actions["cluster"], actions["sub_cluster"], strict=True)
        )
        clusters = {(s, c) for s, c, _ in labels}
        supers = {s for s, _, _ in labels}
        for i, row in enumerate(vsm.itertuples(index=False)):
            cluster, sub = row.cluster or "", row.sub_cluster or ""
            ok = (
                (row.super_cluster, cluster, sub) in labels
                if sub
                else (row.super_cluster, cluster) in clusters
                if cluster
                else row.super_cluster in supers
            )
            if not ok:
                column = "sub_cluster" if sub else "cluster" if cluster else "super_cluster"
                value = sub or cluster or row.super_cluster
                problems.append(
                    DataProblem(vsm_file, i + 2, column, value, "no such label in actions.csv")
                )
    if problems:
        raise DataValidationError(problems)


# --------------------------------------------------------------------------- priorities


def priority_weights(actions: pd.DataFrame) -> pd.Series:
    """Each action's share of its group's priority points.

    Stickers are inverted (priority 1 → 3 points, 2 → 2, 3 → 1) and summed per action; the
    sum is divided by the total of the points placed in the action's group, so every group
    that did the exercise weighs 1 in total, whatever its number of voters.  Groups where
    nobody placed a sticker get no weight (NaN), not zero: their actions were not rated.
    """
    points = 3 * actions["p1"] + 2 * actions["p2"] + 1 * actions["p3"]
    group_total = points.groupby(actions["group_id"]).transform("sum")
    weights = points.astype(float) / group_total.where(group_total > 0)
    return weights.rename("priority_weight")


def priority_totals(actions: pd.DataFrame, by: str = "super_cluster") -> pd.DataFrame:
    """Sum of priority weights by `by` and region (tidy: by, region, weight, n_rated)."""
    frame = actions.assign(priority_weight=priority_weights(actions))
    rated = frame[frame["priority_weight"].notna()]
    table = (
        rated.groupby([by, "region"], observed=True)["priority_weight"]
        .agg(weight="sum", n_rated="size")
        .reset_index()
    )
    return table


# ------------------------------------------------------------------------ cross-tables


def counts_by(
    actions: pd.DataFrame, rows: str | list[str], order: list[str] | None = None
) -> pd.DataFrame:
    """Number of actions by `rows` and region, with a Total column (tables 39 and 40).

    `order` fixes the row order of a single `rows` column (labels absent from the data are
    dropped); otherwise rows sort by label.
    """
    keys = [rows] if isinstance(rows, str) else list(rows)
    table = (
        actions.groupby([*keys, "region"], observed=True)
        .size()
        .unstack("region")
        .reindex(columns=list(REGIONS))
        .fillna(0)
        .astype(int)
    )
    table.columns.name = None
    if order is not None and len(keys) == 1:
        table = table.reindex([o for o in order if o in table.index])
    table["Total"] = table.sum(axis=1)
    return table.reset_index()


def subcluster_table(actions: pd.DataFrame, super_cluster: str) -> pd.DataFrame:
    """Clusters and sub-clusters of one super-cluster by region (tables 41-50), tidy.

    Each cluster's sub-cluster rows are followed by its "Sum" row (`level` = "cluster").
    """
    part = actions[actions["super_cluster"] == super_cluster]
    if part.empty:
        raise KeyError(f"no actions in super-cluster {super_cluster!r}")
    subs = counts_by(part, ["cluster", "sub_cluster"]).assign(level="sub_cluster")
    sums = counts_by(part, "cluster").assign(sub_cluster="Sum", level="cluster")
    table = pd.concat([subs, sums], ignore_index=True)
    table["_sum_last"] = table["level"].eq("cluster")
    table = table.sort_values(["cluster", "_sum_last", "sub_cluster"], kind="stable")
    columns = ["cluster", "sub_cluster", "level", *REGIONS, "Total"]
    return table[columns].reset_index(drop=True)


def display_subclusters(table: pd.DataFrame) -> pd.DataFrame:
    """Reading layout of `subcluster_table`: cluster named once, "Sum" rows kept.

    When every cluster is its own single sub-cluster (the report publishes clusters only),
    the sub-cluster column and the sums are dropped.
    """
    subs = table[table["level"] == "sub_cluster"]
    if (subs["cluster"] == subs["sub_cluster"]).all():
        out = subs.drop(columns=["sub_cluster", "level"]).rename(columns={"cluster": "Cluster"})
        return out.reset_index(drop=True)
    out = table.drop(columns="level").rename(
        columns={"cluster": "Cluster", "sub_cluster": "Sub-cluster"}
    )
    out["Cluster"] = out["Cluster"].where(~out["Cluster"].duplicated(), "")
    return out.reset_index(drop=True)


def dimension_times_discussed(groups: pd.DataFrame) -> pd.DataFrame:
    """How many groups discussed each dimension, by region (table 35)."""
    long = groups.melt(
        id_vars=["group_id", "region"],
        value_vars=["dimension_1", "dimension_2", "dimension_3"],
        value_name="dimension",
    )
    order = [d for d in DIMENSIONS if d != "multiple"]
    return counts_by(long, "dimension", order)


def facilitators_barriers_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Facilitators and barriers by dimension, region and kind, with totals (table 37)."""
    wide = frame.pivot_table(
        index="dimension", columns=["region", "kind"], values="n", aggfunc="sum", fill_value=0
    )
    order = [d for d in DIMENSIONS if d in wide.index]
    wide = wide.reindex(order)
    for kind in ("facilitator", "barrier"):
        wide[("Total", kind)] = wide.xs(kind, axis=1, level="kind").sum(axis=1)
    columns = [(r, k) for r in (*REGIONS, "Total") for k in ("facilitator", "barrier")]
    return wide[columns]


def examples_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 38: per dimension (in SCIROCCO order), the example facilitators and barriers.

    One row per dimension with two list columns, in file order within each cell;
    a dimension without examples of one kind gets an empty list.
    """
    order = [d for d in DIMENSIONS if d in set(frame["dimension"].astype(str))]
    rows = []
    for dimension in order:
        part = frame[frame["dimension"].astype(str) == dimension]
        rows.append(
            {
                "dimension": dimension,
                **{
                    kind: part.loc[part["kind"].astype(str) == kind, "example"].astype(str).tolist()
                    for kind in ("facilitator", "barrier")
                },
            }
        )
    return pd.DataFrame(rows, columns=["dimension", "facilitator", "barrier"])


def participants_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Participants by professional sector and region with totals (table 36)."""
    order = list(dict.fromkeys(frame["sector"]))
    return counts_by(frame.loc[frame.index.repeat(frame["n"])], "sector", order)


def vsm_table(vsm: pd.DataFrame, actions: pd.DataFrame, level: str) -> pd.DataFrame:
    """One level of the VSM mapping (tables 51-53) with the number of actions behind each line."""
    part = vsm[vsm["level"] == level].copy()
    if part.empty:
        raise KeyError(f"no VSM entries for level {level!r}")

    def count(row: pd.Series) -> int:
        mask = actions["super_cluster"] == row["super_cluster"]
        if row["cluster"]:
            mask &= actions["cluster"] == row["cluster"]
        if row["sub_cluster"]:
            mask &= actions["sub_cluster"] == row["sub_cluster"]
        return int(mask.sum())

    part["n_actions"] = part.apply(count, axis=1)
    part["element"] = np.where(part["vsm_system"] == "S1", "Operation", "Metasystem")
    part["system"] = part["vsm_system"].map(VSM_SYSTEMS)
    columns = ["element", "vsm_system", "system", "super_cluster", "cluster", "sub_cluster"]
    return part[[*columns, "n_actions"]].reset_index(drop=True)


# ---------------------------------------------------------------------------- figures


def dimension_heatmap(
    actions: pd.DataFrame, short_names: dict[str, str] = SUPER_CLUSTER_SHORT
) -> Figure:
    """Actions by super-cluster (rows) and dimension (columns), as in figure 11, drawn at
    `figure_width()` (a text column): dimensions by their abbreviation, counts in the cells."""
    use_style()
    table = pd.crosstab(actions["super_cluster"], actions["dimension"])
    table = table.reindex(index=list(short_names), columns=list(DIMENSION_ABBREVIATIONS))
    table = table.fillna(0).astype(int)
    fig = Figure(figsize=(figure_width(), 0.26 * table.shape[0] + 1.5), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(table.to_numpy(), cmap="GnBu", aspect="auto")
    ax.set_xticks(range(table.shape[1]), [DIMENSION_ABBREVIATIONS[c] for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [short_names[s] for s in table.index])
    # Two-letter abbreviations fit a cell across; a longer one ("Multiple") is turned.
    for label in ax.get_xticklabels():
        if len(label.get_text()) > 3:
            label.set_rotation(90)
    ax.tick_params(axis="both", labelsize=8, length=0)
    top = table.to_numpy().max()
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        if value:
            colour = "white" if value > top / 2 else "black"
            ax.text(j, i, str(value), ha="center", va="center", fontsize=7.5, color=colour)
    ax.set_xlabel("SCIROCCO dimension under which the action was proposed")
    fig.colorbar(image, ax=ax, shrink=0.8, aspect=30, pad=0.02, label="Actions")
    return fig


def network_figure(graph: nx.Graph, labels: np.ndarray, seed: int = 359, top: int = 12) -> Figure:
    """Similarity network, nodes coloured by community (the `top` largest; others grey),
    drawn at `figure_width()`. A figure wider than tall (across a page) keeps its legend in
    one column beside the drawing, so the drawing is not squeezed into a strip; a narrow one
    keeps it in rows under the drawing. Either way the legend prints at the house size."""
    use_style()
    position = nx.spring_layout(graph, seed=seed, weight="weight", iterations=50)
    palette = CATEGORICAL_COLOURS
    colours = [palette[label % len(palette)] if label < top else OTHER_COLOUR for label in labels]
    width = figure_width()
    wide = width > 6.0  # inches: wider than one text column
    fig = Figure(figsize=(width, (0.42 if wide else 0.95) * width), layout="constrained")
    ax = fig.subplots()
    nx.draw_networkx_edges(graph, position, ax=ax, width=0.4, alpha=0.35, edge_color="#7f7f7f")
    nx.draw_networkx_nodes(graph, position, ax=ax, node_size=14, node_color=colours, linewidths=0.0)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=palette[i], label=f"Community {i + 1}")
        for i in range(min(top, int(labels.max()) + 1))
    ]
    fig.legend(
        handles=handles,
        loc="outside right center" if wide else "outside lower center",
        ncols=1 if wide else 4,
        frameon=False,
        handletextpad=0.2,
        columnspacing=1.0,
    )
    ax.set_axis_off()
    return fig
