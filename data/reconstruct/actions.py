"""Rebuild data/actions/actions.csv and groups.csv (CONSTRUCTED data) from published counts.

KCE Report 359 publishes how its 555 action points were classified, never the texts.  This
script turns the texts written for this project (data/actions/texts.yaml, one per published
count of a sub-cluster and region) into a table whose cross-tabulations reproduce the report:

* super-cluster / cluster / sub-cluster x region (tables 40-50) come from texts.yaml itself;
* dimension x region (table 39) is met exactly by a minimum-cost assignment, within each
  region, of actions to "dimension slots", the cost expressing how naturally a super-cluster
  belongs to a SCIROCCO dimension (figure 11 is only published as a picture, so the joint
  dimension x super-cluster distribution is CONSTRUCTED, guided by the report's remarks that
  process coordination, finance and citizen empowerment line up with one super-cluster each);
* discussion groups: 4 in Brussels, 6 in Flanders and 6 in Wallonia, each discussing three
  dimensions so that table 35 holds; an action on a dimension goes to a group of its region
  that discussed that dimension, transversal actions ("multiple") to the least busy group;
* priority stickers p1/p2/p3 are NOT published.  They come from a seeded model: in a few
  groups the exercise was not done; elsewhere between 3 and all participants voted, each
  placing one priority-1, one priority-2 and one priority-3 sticker on three different
  actions of their group, drawn with probabilities proportional to a gamma-distributed
  "appeal" of each action (a few popular actions, many with none).

Run from the project root:  python data/reconstruct/actions.py [--check]
The output is byte-identical on every run (fixed seed, sorted inputs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import linear_sum_assignment

HERE = Path(__file__).resolve().parent
ACTIONS_DIR = HERE.parent / "actions"
SEED = 359
REGIONS = ("Brussels", "Flanders", "Wallonia")

BA, PA, CE = "breadth_of_ambition", "population_approach", "citizen_empowerment"
SG, DI, PC = "structure_governance", "digital_infrastructure", "process_coordination"
FF, RC, RI = "finance_funding", "readiness_to_change", "removal_of_inhibitors"
EM, IM, CB = "evaluation_methods", "innovation_management", "capacity_building"
MULTIPLE = "multiple"

# Table 39: actions by dimension and region (Brussels, Flanders, Wallonia).
DIMENSION_COUNTS: dict[str, tuple[int, int, int]] = {
    BA: (7, 15, 9),
    PA: (11, 25, 32),
    CE: (13, 16, 12),
    SG: (6, 11, 20),
    DI: (6, 18, 8),
    PC: (11, 20, 26),
    FF: (5, 23, 18),
    RC: (8, 9, 8),
    RI: (3, 3, 7),
    EM: (4, 8, 5),
    IM: (4, 8, 7),
    CB: (8, 11, 8),
    MULTIPLE: (28, 65, 49),
}

# Discussion groups: three dimensions each, so that table 35 holds (Brussels once per
# dimension; Flanders and Wallonia twice for their priority dimensions).  The report does
# not say which group discussed which dimensions: the combinations are CONSTRUCTED, as are
# the group sizes (only the regional totals 36/52/52 follow from table 36).
GROUPS: dict[str, tuple[str, tuple[str, str, str], int]] = {
    "B01": ("Brussels", (BA, SG, RC), 9),
    "B02": ("Brussels", (PA, DI, EM), 9),
    "B03": ("Brussels", (CE, CB, RI), 9),
    "B04": ("Brussels", (PC, FF, IM), 9),
    "F01": ("Flanders", (BA, PC, RC), 9),
    "F02": ("Flanders", (PA, DI, EM), 9),
    "F03": ("Flanders", (CE, FF, RI), 9),
    "F04": ("Flanders", (BA, SG, FF), 9),
    "F05": ("Flanders", (PA, PC, IM), 8),
    "F06": ("Flanders", (CE, DI, CB), 8),
    "W01": ("Wallonia", (BA, PC, CB), 9),
    "W02": ("Wallonia", (PA, SG, EM), 8),
    "W03": ("Wallonia", (CE, FF, RC), 9),
    "W04": ("Wallonia", (BA, SG, DI), 9),
    "W05": ("Wallonia", (PA, PC, IM), 9),
    "W06": ("Wallonia", (CE, FF, RI), 8),
}

# How likely a super-cluster's actions are to have been written under a dimension (relative
# weights; anything not listed has DEFAULT_WEIGHT, "multiple" MULTIPLE_WEIGHT).  The report
# notes that process coordination, finance & funding and citizen empowerment each line up
# with one super-cluster and that the other dimensions spread widely (figure 11).
DEFAULT_WEIGHT = 0.03
MULTIPLE_WEIGHT = 0.3
AFFINITY: dict[str, dict[str, float]] = {
    "Facilitate interprofessional and intersectoral collaboration at micro/meso level": {
        PC: 1.0,
        BA: 0.5,
        PA: 0.3,
        SG: 0.2,
        RI: 0.15,
    },
    "Build skills and capacity for integrated care": {CB: 1.0, RC: 0.4, RI: 0.3, IM: 0.15},
    "Develop a population-based approach": {PA: 1.0, EM: 0.2, BA: 0.3},
    "Activate the patient as driver of integrated care": {CE: 1.0, BA: 0.2, PA: 0.15},
    "Define and consolidate governance, roles and responsibilities for integrated care": {
        SG: 1.0,
        RI: 0.4,
        BA: 0.3,
        PC: 0.2,
        RC: 0.2,
    },
    "Improve, streamline macro-level decision-making": {SG: 1.0, RI: 0.5, BA: 0.3},
    "Restructure funding for integrated care": {FF: 1.0, RI: 0.15, PA: 0.1},
    "Improve access to/exchange of data, structure communication": {
        DI: 1.0,
        PA: 0.6,
        EM: 0.3,
        PC: 0.2,
    },
    "Feed a culture of evaluation and quality-orientation": {EM: 1.0, IM: 0.3, PA: 0.2},
    "Strengthen the platform for learning and innovation": {
        IM: 1.0,
        EM: 0.4,
        RC: 0.3,
        BA: 0.2,
    },
    "Develop a vision for IC, build a platform for change": {
        RC: 1.0,
        BA: 0.6,
        SG: 0.3,
        IM: 0.2,
    },
    "Unclustered": {MULTIPLE: 1.0, RI: 0.1, RC: 0.1},
}


# Priority sticker model (CONSTRUCTED).
GROUPS_WITHOUT_PRIORITIES = 2
APPEAL_SHAPE = 0.6


def load_texts(path: Path) -> pd.DataFrame:
    """Flatten texts.yaml into one row per action, in file order."""
    source = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = []
    for sc in source["super_clusters"]:
        for cl in sc["clusters"]:
            for sub in cl["sub_clusters"]:
                for region in REGIONS:
                    for text in sub[region]:
                        rows.append(
                            {
                                "region": region,
                                "text": text,
                                "super_cluster": sc["name"],
                                "cluster": cl["name"],
                                "sub_cluster": sub["name"],
                            }
                        )
    return pd.DataFrame(rows)


def assign_dimensions(actions: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Give every action a dimension so that table 39 holds exactly, region by region."""
    dims = list(DIMENSION_COUNTS)
    result = pd.Series("", index=actions.index, dtype=object)
    for r, region in enumerate(REGIONS):
        part = actions[actions["region"] == region]
        slots = [d for d in dims for _ in range(DIMENSION_COUNTS[d][r])]
        if len(slots) != len(part):
            raise ValueError(f"{region}: {len(part)} texts but {len(slots)} dimension slots")
        # Gumbel-perturbed log weights: the optimal assignment then behaves like a draw
        # proportional to the weights, constrained to the published margins.  One draw per
        # (action, dimension) pair keeps the slots of a dimension interchangeable.
        log_w = np.array(
            [
                [
                    np.log(
                        AFFINITY[sc].get(d, MULTIPLE_WEIGHT if d == MULTIPLE else DEFAULT_WEIGHT)
                    )
                    for d in dims
                ]
                for sc in part["super_cluster"]
            ]
        )
        score = log_w + rng.gumbel(size=log_w.shape)
        cost = -score[:, [dims.index(d) for d in slots]]
        rows, cols = linear_sum_assignment(cost)
        result.loc[part.index[rows]] = [slots[c] for c in cols]
    return result


def assign_groups(actions: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    """Send each action to a group of its region that discussed its dimension."""
    group_of = pd.Series("", index=actions.index, dtype=object)
    load = dict.fromkeys(GROUPS, 0)
    order = rng.permutation(len(actions))
    # Dimension-specific actions first (they have few options), transversal ones last.
    ranked = sorted(order, key=lambda i: actions["dimension"].iat[i] == MULTIPLE)
    for i in ranked:
        region, dim = actions["region"].iat[i], actions["dimension"].iat[i]
        options = [
            g
            for g, (reg, ds, _) in GROUPS.items()
            if reg == region and (dim == MULTIPLE or dim in ds)
        ]
        chosen = min(options, key=lambda g: (load[g], g))
        load[chosen] += 1
        group_of.iat[i] = chosen
    return group_of


def draw_priorities(
    actions: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Seeded sticker model: returns p1/p2/p3 counts per action and voters per group."""
    stickers = pd.DataFrame(0, index=actions.index, columns=["p1", "p2", "p3"])
    skipped = set(rng.choice(sorted(GROUPS), size=GROUPS_WITHOUT_PRIORITIES, replace=False))
    voters: dict[str, int] = {}
    for group in sorted(GROUPS):
        members = actions.index[actions["group_id"] == group]
        participants = GROUPS[group][2]
        if group in skipped or len(members) < 3:
            voters[group] = 0
            continue
        voters[group] = int(rng.integers(3, participants + 1))
        appeal = rng.gamma(APPEAL_SHAPE, 1.0, size=len(members))
        weights = appeal / appeal.sum()
        for _ in range(voters[group]):
            picks = rng.choice(len(members), size=3, replace=False, p=weights)
            for rank, pick in enumerate(picks):
                stickers.loc[members[pick], f"p{rank + 1}"] += 1
    return stickers, voters


def build(texts_path: Path = ACTIONS_DIR / "texts.yaml") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (actions, groups) exactly as they are written to CSV."""
    rng = np.random.default_rng(SEED)
    actions = load_texts(texts_path)
    actions["dimension"] = assign_dimensions(actions, rng)
    actions["group_id"] = assign_groups(actions, rng)
    # Row order: by group, then shuffled within the group (as if read off each board).
    actions["_key"] = rng.permutation(len(actions))
    actions = actions.sort_values(["group_id", "_key"]).drop(columns="_key")
    actions = actions.reset_index(drop=True)
    stickers, voters = draw_priorities(actions, rng)
    actions = pd.concat([actions, stickers], axis=1)
    actions.insert(0, "action_id", [f"A{i + 1:03d}" for i in range(len(actions))])
    actions = actions[
        [
            "action_id",
            "region",
            "group_id",
            "dimension",
            "text",
            "super_cluster",
            "cluster",
            "sub_cluster",
            "p1",
            "p2",
            "p3",
        ]
    ]
    groups = pd.DataFrame(
        [
            {
                "group_id": g,
                "region": reg,
                "dimension_1": ds[0],
                "dimension_2": ds[1],
                "dimension_3": ds[2],
                "participants": n,
                "priority_voters": voters[g],
            }
            for g, (reg, ds, n) in GROUPS.items()
        ]
    )
    return actions, groups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the CSVs are stale")
    args = parser.parse_args(argv)
    actions, groups = build()
    outputs = {
        ACTIONS_DIR / "actions.csv": actions.to_csv(index=False, lineterminator="\n"),
        ACTIONS_DIR / "groups.csv": groups.to_csv(index=False, lineterminator="\n"),
    }
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text("utf-8") != text]
    if args.check:
        for p in stale:
            print(f"{p}: differs from what data/reconstruct/actions.py builds", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
