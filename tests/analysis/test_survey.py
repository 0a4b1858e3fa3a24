"""analysis.survey against KCE Report 359 (tables 15-24) and against hand computations.

The published tables below are pasted from the report's text (PDF extraction: two items
side by side per line, '-' = 0, decimal commas in some tables).  They are the only place
where the report's numbers appear in the code base.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from quartowrap.authoring.data import load_table
from quartowrap.authoring.paths import data_dir

from analysis import survey
from analysis.synthetic import synthetic_professionals

REGIONS = ["Brussels", "Flanders", "Wallonia", "Federal", "Total"]
REGION_N = [137, 392, 331, 5, 865]

# Table 17, first page: left column = breadth of ambition, population approach, citizen
# empowerment; right column = structure & governance, digital infrastructure, process
# coordination (the labels follow the numbers in the extraction).
TABLE_17A = """\
Don't know (n) 14 20 27 0 61 Don't know (n) 7 20 29 0 56
Missing (n) 29 120 106 0 255 Missing (n) 33 120 108 0 261
Scores (n) 94 252 198 5 549 Scores (n) 97 252 194 5 548
0 (%) 31.91 10.71 38.89 0.00 24.41 0 (%) 31.96 23.81 30.41 20.00 27.55
1 (%) 44.68 58.33 14.65 100.00 40.62 1 (%) 23.71 23.41 27.32 40.00 25
2 (%) 13.83 13.49 18.69 0.00 15.30 2 (%) 28.87 30.95 31.96 40.00 31.02
3 (%) 2.13 5.95 16.16 0.00 8.93 3 (%) 11.34 13.89 6.70 0.00 10.77
4 (%) 6.38 11.11 7.58 0.00 8.93 4 (%) 2.06 7.14 2.58 0.00 4.56
5 (%) 1.06 0.40 4.04 0.00 1.82 5 (%) 2.06 0.79 1.03 0.00 1.09
Don't know (n) 16 44 41 0 101 Don't know (n) 8 29 29 0 66
Missing (n) 26 112 95 0 233 Missing (n) 33 106 106 0 245
Scores (n) 95 236 195 5 531 Scores (n) 96 257 196 5 554
0 (%) 16.84 22.88 16.92 20.00 19.59 0 (%) 9.38 7.00 11.22 0.00 8.84
1 (%) 23.16 16.53 19.49 0.00 18.64 1 (%) 46.88 54.86 34.69 40.00 46.21
2 (%) 32.63 34.75 25.64 60.00 31.26 2 (%) 18.75 15.56 13.78 60.00 15.88
3 (%) 20.00 13.14 24.10 20.00 18.46 3 (%) 18.75 12.06 26.02 0.00 18.05
4 (%) 7.37 12.29 12.31 0.00 11.30 4 (%) 5.21 10.51 11.73 0.00 9.93
5 (%) 0.00 0.42 1.54 0.00 0.75 5 (%) 1.04 0.00 2.55 0.00 1.08
Don't know (n) 8 17 19 0 44 Don't know (n) 7 38 21 0 66
Missing (n) 40 107 123 0 270 Missing (n) 36 108 103 0 247
Scores (n) 89 268 189 5 551 Scores (n) 94 246 207 5 552
0 (%) 10.11 2.61 10.58 0.00 6.53 0 (%) 10.64 10.16 14.01 0.00 11.59
1 (%) 53.93 51.49 41.80 40.00 48.46 1 (%) 36.17 28.86 28.50 0.00 29.71
2 (%) 28.09 20.15 33.33 20.00 25.95 2 (%) 41.49 44.31 29.47 80.00 38.59
3 (%) 4.49 19.40 9.52 20.00 13.61 3 (%) 9.57 11.79 18.84 20.00 14.13
4 (%) 3.37 4.85 3.70 20.00 4.36 4 (%) 0.00 4.47 7.73 0.00 4.89
5 (%) 0.00 1.49 1.06 0.00 1.09 5 (%) 2.13 0.41 1.45 0.00 1.09
"""
TABLE_17A_ITEMS = [
    ("sc_breadth_of_ambition", "sc_structure_governance"),
    ("sc_population_approach", "sc_digital_infrastructure"),
    ("sc_citizen_empowerment", "sc_process_coordination"),
]
# Table 17, second page: labels printed above each pair.
TABLE_17B = """\
Don't know (n) 12 34 47 - 93 Don't know (n) 14 49 28 - 91
Missing (n) 29 113 95 - 237 Missing (n) 39 102 128 - 269
Scores (n) 96 245 189 5 535 Scores (n) 84 241 175 5 505
0 (%) 6.25 24.08 14.29 - 17.20 0 (%) 33.33 34.44 21.71 20.00 29.70
1 (%) 73.96 57.55 54.50 80.00 59.63 1 (%) 16.67 13.28 15.43 - 14.46
2 (%) 12.50 7.76 15.87 - 11.40 2 (%) 32.14 28.22 24.00 60.00 27.72
3 (%) 2.08 2.86 7.41 - 4.30 3 (%) 14.29 18.67 23.43 20.00 19.60
4 (%) 1.04 4.49 3.70 20.00 3.74 4 (%) 3.57 4.56 6.86 - 5.15
5 (%) 4.17 3.27 4.23 - 3.74 5 (%) - 0.83 8.57 - 3.37
Don't know (n) 2 17 20 - 39 Don't know (n) 6 18 19 - 43
Missing (n) 33 95 83 - 211 Missing (n) 30 113 97 - 240
Scores (n) 102 280 228 5 615 Scores (n) 101 261 215 5 582
0 (%) 6.86 5.36 3.95 - 5.04 0 (%) 10.89 7.28 11.16 - 9.28
1 (%) 49.02 43.57 52.63 40.00 47.80 1 (%) 55.45 51.72 42.79 20.00 48.80
2 (%) 38.24 36.43 32.89 20.00 35.28 2 (%) 28.71 27.97 35.35 40.00 30.93
3 (%) 3.92 10.71 6.58 40.00 8.29 3 (%) 3.96 9.58 8.84 40.00 8.59
4 (%) 0.98 2.50 2.63 - 2.28 4 (%) 0.99 2.68 1.40 - 1.89
5 (%) 0.98 1.43 1.32 - 1.30 5 (%) - 0.77 0.47 - 0.52
Don't know (n) 8 23 36 - 67 Don't know (n) 12 23 17 - 52
Missing (n) 31 111 93 - 235 Missing (n) 34 114 100 - 248
Scores (n) 98 258 202 5 563 Scores (n) 91 255 214 5 565
0 (%) 10.20 7.75 11.39 - 9.41 0 (%) 8.79 7.84 16.36 - 11.15
1 (%) 74.49 78.68 65.35 100.00 73.36 1 (%) 50.55 32.55 47.20 40.00 41.06
2 (%) 7.14 7.36 8.42 - 7.64 2 (%) 20.88 27.45 14.49 - 21.24
3 (%) 7.14 4.65 11.39 - 7.46 3 (%) 15.38 28.63 17.76 60.00 22.65
4 (%) 1.02 1.55 2.48 - 1.78 4 (%) 1.10 2.75 1.40 - 1.95
5 (%) - - 0.99 - 0.36 5 (%) 3.30 0.78 2.80 - 1.95
"""
TABLE_17B_ITEMS = [
    ("sc_finance_funding", "sc_evaluation_methods"),
    ("sc_readiness_to_change", "sc_innovation_management"),
    ("sc_removal_of_inhibitors", "sc_capacity_building"),
]
TABLE_24 = """\
Breadth of ambition (%) 2.92 1.53 3.93 - 2.66
Capacity building (%) 7.30 1.79 2.11 - 2.77
Citizen empowerment (%) 6.57 6.38 6.95 - 6.59
Digital infrastructure (%) 2.92 8.42 2.42 20.00 5.32
Evaluation methods (%) 0.73 - - - 0.12
Finance & Funding (%) 11.68 15.56 12.08 - 13.53
Innovation management (%) - 1.02 - 20.00 0.58
Population approach (%) 7.30 5.10 4.23 20.00 5.20
Process coordination (%) 7.30 7.40 10.27 - 8.44
Readiness to change (%) 6.57 5.87 6.34 - 6.13
Removal of inhibitors (%) 2.92 2.55 4.23 - 3.24
Structure & Governance (%) 11.68 5.61 5.44 20.00 6.59
NA (%) 32.12 38.78 41.99 20.00 38.84
"""
TABLE_24_KEYS = {
    "Breadth of ambition": "breadth_of_ambition",
    "Capacity building": "capacity_building",
    "Citizen empowerment": "citizen_empowerment",
    "Digital infrastructure": "digital_infrastructure",
    "Evaluation methods": "evaluation_methods",
    "Finance & Funding": "finance_funding",
    "Innovation management": "innovation_management",
    "Population approach": "population_approach",
    "Process coordination": "process_coordination",
    "Readiness to change": "readiness_to_change",
    "Removal of inhibitors": "removal_of_inhibitors",
    "Structure & Governance": "structure_governance",
    "NA": survey.MISSING,
}
# Tables 20 and 21 as printed (20 with decimal commas).  Left column: aims 1-3, right: 4-5.
TABLE_20 = """\
Don't know/understand (n) 5 11 5 0 21 Don't know/understand (n) 7 14 12 0 33
Missing (n) 36 104 101 0 241 Missing (n) 37 113 104 0 254
Scores (n) 96 277 225 5 603 Scores (n) 93 265 215 5 578
0 (%) 9,38 8,30 17,33 0,00 11,77 0 (%) 13,98 6,79 14,88 0,00 10,90
1 (%) 43,75 32,85 21,33 0,00 30,02 1 (%) 36,56 28,30 24,65 20,00 28,20
2 (%) 32,29 35,38 26,67 80,00 32,01 2 (%) 26,88 31,70 24,65 60,00 28,55
3 (%) 11,46 21,30 24,00 20,00 20,73 3 (%) 10,75 27,17 20,93 20,00 22,15
4 (%) 3,12 2,17 10,67 0,00 5,47 4 (%) 11,83 6,04 14,88 0,00 10,21
Don't know/understand (n) 8 16 11 0 35 Don't know/understand (n) 6 20 9 0 35
Missing (n) 37 107 105 0 249 Missing (n) 37 108 101 0 246
Scores (n) 92 269 215 5 581 Scores (n) 94 264 221 5 584
0 (%) 16,30 7,43 13,02 0,00 10,84 0 (%) 14,89 8,71 19,00 0,00 13,53
1 (%) 44,57 35,69 29,30 20,00 34,60 1 (%) 47,87 32,58 27,60 60,00 33,39
2 (%) 26,09 32,34 23,26 40,00 28,06 2 (%) 25,53 36,74 25,79 20,00 30,65
3 (%) 9,78 18,96 20,93 40,00 18,42 3 (%) 8,51 17,42 20,81 20,00 17,29
4 (%) 3,26 5,58 13,49 0,00 8,09 4 (%) 3,19 4,55 6,79 0,00 5,14
Don't know/understand (n) 8 37 38 0 83
Missing (n) 41 119 106 0 266
Scores (n) 88 236 187 5 516
0 (%) 20,45 20,34 20,86 20,00 20,54
1 (%) 40,91 39,41 31,55 40,00 36,82
2 (%) 29,55 22,88 28,34 40,00 26,16
3 (%) 5,68 12,29 13,37 0,00 11,43
4 (%) 3,41 5,08 5,88 0,00 5,04
"""
TABLE_21 = """\
Don't know/understand (n) 5 11 5 0 21 Don't know/understand (n) 7 14 12 0 33
Missing (n) 36 104 101 0 241 Missing (n) 37 113 104 0 254
Scores (n) 96 277 225 5 603 Scores (n) 93 265 215 5 578
0 (%) 9.38 8.30 17.33 0.00 11.77 0 (%) 13.98 6.79 14.88 0.00 10.90
1 (%) 43.75 32.85 21.33 0.00 30.02 1 (%) 36.56 28.30 24.65 20.00 28.20
2 (%) 32.29 35.38 26.67 80.00 32.01 2 (%) 26.88 31.70 24.65 60.00 28.55
3 (%) 11.46 21.30 24.00 20.00 20.73 3 (%) 10.75 27.17 20.93 20.00 22.15
4 (%) 3.12 2.17 10.67 0.00 5.47 4 (%) 11.83 6.04 14.88 0.00 10.21
Don't know/understand (n) 8 16 11 0 35 Don't know/understand (n) 6 20 9 0 35
Missing (n) 37 107 105 0 249 Missing (n) 37 108 101 0 246
Scores (n) 92 269 215 5 581 Scores (n) 94 264 221 5 584
0 (%) 16.30 7.43 13.02 0.00 10.84 0 (%) 14.89 8.71 19.00 0.00 13.53
1 (%) 44.57 35.69 29.30 20.00 34.60 1 (%) 47.87 32.58 27.60 60.00 33.39
2 (%) 26.09 32.34 23.26 40.00 28.06 2 (%) 25.53 36.74 25.79 20.00 30.65
3 (%) 9.78 18.96 20.93 40.00 18.42 3 (%) 8.51 17.42 20.81 20.00 17.29
4 (%) 3.26 5.58 13.49 0.00 8.09 4 (%) 3.19 4.55 6.79 0.00 5.14
Don't know/understand (n) 8 37 38 0 83
Missing (n) 41 119 106 0 266
Scores (n) 88 236 187 5 516
0 (%) 20.45 20.34 20.86 20.00 20.54
1 (%) 40.91 39.41 31.55 40.00 36.82
2 (%) 29.55 22.88 28.34 40.00 26.16
3 (%) 5.68 12.29 13.37 0.00 11.43
4 (%) 3.41 5.08 5.88 0.00 5.04
"""
TABLE_21_ITEMS = [
    ("aim_process_coordination_1", "aim_process_coordination_4"),
    ("aim_process_coordination_2", "aim_process_coordination_5"),
    ("aim_process_coordination_3", None),
]

# Table 15 (counts: Brussels, Flanders, Wallonia, Federal, Total).
TABLE_15 = {
    ("experience", "0-2"): [10, 21, 19, 0, 50],
    ("experience", "3-5"): [13, 31, 30, 0, 74],
    ("experience", "6-10"): [28, 44, 51, 1, 124],
    ("experience", ">10"): [86, 296, 231, 4, 617],
    ("category", "executive"): [42, 120, 58, 0, 220],
    ("category", "coordinator"): [10, 23, 15, 0, 48],
    ("category", "healthcare_provider"): [48, 150, 187, 0, 385],
    ("category", "case_manager"): [2, 5, 8, 0, 15],
    ("category", "social_care"): [15, 73, 54, 0, 142],
    ("category", "patient_representative"): [3, 7, 2, 0, 12],
    ("category", "researcher"): [9, 5, 4, 0, 18],
    ("category", "policy_maker"): [8, 9, 3, 5, 25],
    ("level", "macro"): [40, 34, 32, 5, 111],
    ("level", "meso"): [19, 81, 48, 0, 148],
    ("level", "micro"): [78, 277, 251, 0, 606],
}
# Table 16 (Brussels, Flanders, Wallonia, printed total; '/' = 0).
TABLE_16 = {
    "caw": [6, 18, 0, 24],
    "home_help_coordination": [2, 0, 25, 27],
    "community_health_centre": [18, 25, 71, 114],
    "family_planning_centre": [1, 0, 7, 8],
    "hospital": [12, 53, 18, 83],
    "gp_circle": [5, 0, 16, 21],
    "health_insurance_fund": [12, 41, 9, 62],
    "health_promotion": [4, 3, 3, 10],
    "health_social_relay": [1, 0, 2, 3],
    "home_nursing": [6, 15, 24, 45],
    "childrens_home": [0, 1, 0, 1],
    "independent_practice": [9, 89, 40, 139],
    "integrated_care_project": [1, 14, 7, 22],
    "knowledge_institution": [12, 6, 5, 22],
    "local_multidisciplinary_network": [4, 0, 5, 8],
    "local_service_centre": [0, 2, 0, 2],
    "palliative_support_team": [1, 2, 6, 9],
    "municipality": [0, 9, 0, 9],
    "mental_health_organisation": [15, 10, 30, 55],
    "palliative_care_network": [0, 1, 3, 5],
    "patient_association": [2, 9, 3, 15],
    "mental_health_platform": [4, 5, 3, 12],
    "professional_association": [6, 16, 19, 41],
    "psychiatric_hospital": [5, 6, 6, 16],
    "public_institution": [9, 5, 3, 17],
    "public_welfare_centre": [0, 31, 15, 46],
    "residential_care": [1, 25, 6, 32],
    "revalidation_centre": [1, 5, 5, 10],
}
# Printed totals of table 16 that are not the sum of the regional columns (data/README.md).
TABLE_16_MISPRINTED_TOTALS = {
    "independent_practice",
    "knowledge_institution",
    "local_multidisciplinary_network",
    "palliative_care_network",
    "patient_association",
    "psychiatric_hospital",
    "revalidation_centre",
}

_ROW = re.compile(
    r"(Don't know(?:/understand)? \(n\)|Missing \(n\)|Scores \(n\)|\d \(%\))"
    r"((?:\s+(?:-|\d+(?:[.,]\d+)?)){5})"
)


def _number(token: str) -> float:
    return 0.0 if token == "-" else float(token.replace(",", "."))


def parse_pairs(text: str, items: list[tuple[str, str | None]]) -> dict[str, dict[str, list]]:
    """{item: {row label: [5 values]}} from printed lines holding one or two items each."""
    rows_per_item = None
    lines = [line for line in text.splitlines() if line.strip()]
    labels = [m.group(1) for m in _ROW.finditer(lines[0])]
    assert labels
    rows_per_item = next(i for i, line in enumerate(lines[1:], 1) if line.startswith("Don't"))
    out: dict[str, dict[str, list]] = {}
    for block, (left, right) in enumerate(items):
        for line in lines[block * rows_per_item : (block + 1) * rows_per_item]:
            found = _ROW.findall(line)
            for (label, values), item in zip(found, (left, right), strict=False):
                if item is not None:
                    key = "DK" if label.startswith("Don't") else label
                    out.setdefault(item, {})[key] = [_number(v) for v in values.split()]
    return out


@pytest.fixture(scope="module")
def professionals() -> pd.DataFrame:
    return load_table("survey/professionals.csv")


def _wide(dist: pd.DataFrame, item: str) -> dict[str, list[float]]:
    """The computed table for one item in the printed row labels, rounded to 2 decimals."""
    rows = dist[dist["item"] == item]
    out = {}
    by_response = {r: g.set_index("group") for r, g in rows.groupby("response", sort=False)}
    out["DK"] = [float(by_response["DK"].at[g, "count"]) for g in REGIONS]
    out["Missing (n)"] = [float(by_response[survey.MISSING].at[g, "count"]) for g in REGIONS]
    first = next(iter(by_response.values()))
    out["Scores (n)"] = [float(first.at[g, "scored"]) for g in REGIONS]
    for response, frame in by_response.items():
        if frame["kind"].iat[0] == "score":
            out[f"{response} (%)"] = [round(float(frame.at[g, "percent"]), 2) for g in REGIONS]
    return out


def test_table_15_every_cell(professionals: pd.DataFrame) -> None:
    profile = survey.profile_counts(professionals, ["experience", "category", "level"])
    sizes = survey.group_sizes(professionals).set_index("group")["n"]
    assert [int(sizes[g]) for g in REGIONS] == REGION_N
    for (variable, value), expected in TABLE_15.items():
        rows = profile[(profile["variable"] == variable) & (profile["value"] == value)]
        assert rows.set_index("group")["count"].reindex(REGIONS).tolist() == expected, value


def test_table_16_regional_cells_and_total_decision(professionals: pd.DataFrame) -> None:
    three = ["Brussels", "Flanders", "Wallonia"]
    profile = survey.profile_counts(professionals, ["structure"], groups=three)
    table = profile.pivot_table(index="value", columns="group", values="count", aggfunc="sum")
    for structure, (b, f, w, printed_total) in TABLE_16.items():
        assert table.loc[structure, three].tolist() == [b, f, w], structure
        total = int(table.at[structure, "Total"])
        assert total == b + f + w
        if structure in TABLE_16_MISPRINTED_TOTALS:
            assert abs(printed_total - total) == 1
        else:
            assert printed_total == total
    assert int(table.at[survey.MISSING, "Flanders"]) == 1  # 392 respondents, 391 listed
    assert int(table.at[survey.MISSING, "Total"]) == 1


@pytest.mark.parametrize(
    ("text", "items"), [(TABLE_17A, TABLE_17A_ITEMS), (TABLE_17B, TABLE_17B_ITEMS)]
)
def test_table_17_every_cell(professionals: pd.DataFrame, text: str, items: list) -> None:
    published = parse_pairs(text, items)
    dist = survey.item_distribution(
        professionals, survey.scirocco_items(professionals), scale=survey.SCIROCCO_SCALE
    )
    assert len(published) == 6
    for item, rows in published.items():
        assert _wide(dist, item) == rows, item


def test_table_24_every_cell(professionals: pd.DataFrame) -> None:
    priorities = survey.priority_distribution(professionals)
    seen = 0
    for line in TABLE_24.splitlines():
        match = re.match(r"(.+?) \(%\)((?:\s+(?:-|\d+\.\d+)){5})\s*$", line.strip())
        if not match:
            continue
        key = TABLE_24_KEYS[match.group(1)]
        expected = [_number(v) for v in match.group(2).split()]
        rows = priorities[priorities["response"] == key].set_index("group")
        assert [round(float(rows.at[g, "percent"]), 2) for g in REGIONS] == expected, key
        seen += 1
    assert seen == 13


def test_tables_20_and_21_identical_and_21_reproduced(professionals: pd.DataFrame) -> None:
    """Decision (data/README.md): table 20 reprints table 21; the data follow table 21."""
    assert parse_pairs(TABLE_20, TABLE_21_ITEMS) == parse_pairs(TABLE_21, TABLE_21_ITEMS)
    assert not [c for c in professionals if c.startswith("aim_structure_governance")]
    dist = survey.item_distribution(
        professionals,
        survey.aim_items(professionals, "process_coordination"),
        scale=survey.AIM_SCALE,
    )
    for item, rows in parse_pairs(TABLE_21, TABLE_21_ITEMS).items():
        assert _wide(dist, item) == rows, item


# Spot checks of tables 18, 19, 22, 23: (item, row, region, published value).
SPOT_CHECKS = [
    ("aim_breadth_of_ambition_1", "0 (%)", "Wallonia", 31.36),
    ("aim_breadth_of_ambition_2", "Missing (n)", "Total", 257),
    ("aim_breadth_of_ambition_3", "4 (%)", "Federal", 20.00),
    ("aim_breadth_of_ambition_4", "Scores (n)", "Total", 583),
    ("aim_breadth_of_ambition_5", "DK", "Wallonia", 21),
    ("aim_citizen_empowerment_2", "2 (%)", "Flanders", 32.72),
    ("aim_citizen_empowerment_5", "0 (%)", "Total", 32.57),
    ("aim_citizen_empowerment_6", "4 (%)", "Flanders", 8.00),
    ("aim_innovation_management_1", "3 (%)", "Brussels", 20.83),
    ("aim_innovation_management_2", "Missing (n)", "Federal", 1),
    ("aim_innovation_management_2", "1 (%)", "Federal", 75.00),
    ("aim_capacity_building_3", "2 (%)", "Federal", 50.00),
    ("aim_capacity_building_5", "0 (%)", "Total", 34.33),
    ("aim_capacity_building_4", "DK", "Flanders", 30),
    ("aim_capacity_building_2", "DK", "Flanders", 13),
]


def test_tables_18_to_23_spot_checks(professionals: pd.DataFrame) -> None:
    dist = survey.item_distribution(
        professionals, survey.aim_items(professionals), scale=survey.AIM_SCALE
    )
    for item, row, region, value in SPOT_CHECKS:
        assert _wide(dist, item)[row][REGIONS.index(region)] == value, (item, row, region)


def test_aims_over_30_percent_zero(professionals: pd.DataFrame) -> None:
    dist = survey.item_distribution(
        professionals, survey.aim_items(professionals), scale=survey.AIM_SCALE
    )
    found = survey.aims_scored_zero(dist)
    # the two published ones outside structure & governance, highest first (34.33, 32.57)
    assert found["item"].tolist() == ["aim_capacity_building_5", "aim_citizen_empowerment_5"]


def test_medians_and_iqr_as_stated_in_report(professionals: pd.DataFrame) -> None:
    summary = survey.score_summary(professionals, survey.scirocco_items(professionals))
    medians = summary.set_index("item")["median"]
    two = {"sc_population_approach", "sc_process_coordination", "sc_evaluation_methods"}
    assert {i for i, m in medians.items() if m == 2} == two
    assert (medians.drop(list(two)) == 1).all()  # 9 of 12 dimensions
    iqr = summary.set_index("item")["iqr"]
    assert iqr["sc_finance_funding"] == 0 and iqr["sc_removal_of_inhibitors"] == 0


# --------------------------------------------------------------- hand-made frames


def _frame(values: list[str], groups: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"x": values, "g": groups})


def test_distribution_by_hand() -> None:
    frame = _frame(
        ["0", "1", "1", "DK", "", "2", "2", "2"], ["a", "a", "a", "a", "a", "b", "b", "b"]
    )
    dist = survey.item_distribution(frame, ["x"], scale=["0", "1", "2"], by="g")
    a = dist[dist["group"] == "a"].set_index("response")
    assert a.at["DK", "count"] == 1 and a.at[survey.MISSING, "count"] == 1
    assert a["scored"].iat[0] == 3 and a["n"].iat[0] == 5
    assert a.at["1", "percent"] == pytest.approx(200 / 3)
    total = dist[dist["group"] == "Total"].set_index("response")
    assert total.at["2", "count"] == 3 and total.at["2", "percent"] == pytest.approx(50.0)
    assert np.isnan(total.at["DK", "percent"])


def test_distribution_table_names_each_item_once() -> None:
    frame = pd.DataFrame(
        {"x": ["0", "1", "DK", "1"], "y": ["2", "", "2", "0"], "g": ["a", "a", "b", "b"]}
    )
    dist = survey.item_distribution(frame, ["x", "y"], scale=["0", "1", "2"], by="g")
    table = survey.distribution_table(dist, {"x": "Item ex", "y": "Item why"})
    lines = table.markdown.splitlines()
    # One bold heading row per item, and the label nowhere else.
    assert [ln for ln in lines if "Item ex" in ln] == [ln for ln in lines if "**Item ex**" in ln]
    assert sum("**Item ex**" in ln for ln in lines) == 1
    assert sum("**Item why**" in ln for ln in lines) == 1
    # a: x = 0, 1 → 50 % each; the row "1 (%)" of x reads 50.00 for a (first group column).
    x_block = lines[next(k for k, ln in enumerate(lines) if "**Item ex**" in ln) :]
    row = next(ln for ln in x_block if ln.replace("\\", "").startswith("| 1 (%)"))
    assert row.split("|")[2].strip().replace("\\", "") == "50.00"
    # The CSV is the tidy distribution, untouched.
    assert table.csv == dist.to_csv(index=False, lineterminator="\n")


def test_profile_table_names_each_characteristic_once() -> None:
    frame = pd.DataFrame({"sex": ["f", "m", "f"], "age": ["<50", "<50", ">=50"], "region": "R"})
    profile = survey.profile_counts(frame, ["sex", "age"], groups=["R"])
    table = survey.profile_table(profile, variable_labels={"sex": "Sex", "age": "Age group"})
    lines = table.markdown.splitlines()
    assert sum("Sex" in ln for ln in lines) == 1 and sum("**Age group**" in ln for ln in lines) == 1
    row = next(ln for ln in lines if ln.startswith("| f "))
    assert row.split("|")[2].strip() == "2"  # two women in group R


def test_unknown_code_raises() -> None:
    with pytest.raises(ValueError, match="values outside"):
        survey.item_distribution(_frame(["0", "9"], ["a", "a"]), ["x"], scale=["0", "1"], by="g")


def test_quantiles_and_whiskers_by_hand() -> None:
    # scores 0,1,1,1,2,5: P25 = 1, median = 1, P75 = 1.75 (type 7), mean 10/6
    frame = _frame(["0", "1", "1", "1", "2", "5", "DK"], ["a"] * 7)
    row = survey.score_summary(frame, ["x"], by=None).iloc[0]
    assert (row["p25"], row["median"], row["p75"]) == (1.0, 1.0, 1.75)
    assert row["mean"] == pytest.approx(10 / 6)
    # fences: 1 - 1.125 = -0.125, 1.75 + 1.125 = 2.875 → whiskers 0 and 2; 5 is a flier
    assert (row["whislo"], row["whishi"], row["max"]) == (0.0, 2.0, 5.0)


def test_priorities_and_ties_by_hand() -> None:
    frame = pd.DataFrame({"priority": ["a", "b", "b", "a", "", "c"], "region": ["R"] * 6})
    pr = survey.priority_distribution(frame, categories=["a", "b", "c"])
    r = pr[pr["group"] == "R"].set_index("response")
    assert r.at["a", "percent"] == pytest.approx(100 * 2 / 6)
    assert r.at[survey.MISSING, "count"] == 1
    top = survey.top_priorities(pr[pr["group"] == "R"], k=1)
    assert top["response"].tolist() == ["a", "b"] and top["rank"].tolist() == [1, 1]


def test_dont_know_share_by_hand() -> None:
    frame = _frame(["DK", "DK", "1", "2", "", ""], ["a"] * 6)
    dist = survey.item_distribution(frame, ["x"], scale=["0", "1", "2"], by=None)
    share = survey.dont_know_shares(dist).iloc[0]
    assert (share["count"], share["answered"], share["percent"]) == (2, 4, 50.0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["0", "1", "2", "3", "DK", "NA", ""]), st.sampled_from("pqr")),
        min_size=1,
        max_size=60,
    )
)
def test_distribution_sums_to_n_and_quantiles_match_numpy(rows: list[tuple[str, str]]) -> None:
    frame = _frame([v for v, _ in rows], [g for _, g in rows])
    dist = survey.item_distribution(
        frame, ["x"], scale=["0", "1", "2", "3"], by="g", special=("DK", "NA")
    )
    for group, part in dist.groupby("group"):
        expected_n = len(frame) if group == "Total" else int((frame["g"] == group).sum())
        assert part["count"].sum() == part["n"].iat[0] == expected_n
        scored = part[part["kind"] == "score"]
        assert scored["count"].sum() == part["scored"].iat[0]
        if part["scored"].iat[0] > 0:
            assert scored["percent"].sum() == pytest.approx(100.0)
    summary = survey.score_summary(
        frame, ["x"], scale=["0", "1", "2", "3"], by="g", special=("DK", "NA")
    ).set_index("group")
    for group in summary.index:
        values = pd.to_numeric(
            frame["x"] if group == "Total" else frame.loc[frame["g"] == group, "x"], errors="coerce"
        ).dropna()
        if len(values):
            assert summary.at[group, "p25"] == pytest.approx(np.quantile(values, 0.25))
            assert summary.at[group, "median"] == pytest.approx(np.median(values))
            assert summary.at[group, "p75"] == pytest.approx(np.quantile(values, 0.75))


def test_another_data_set_gives_its_own_numbers(tmp_path: Path) -> None:
    """A new wave in the same schema, loaded via data_dir, yields its own tables."""
    frame = synthetic_professionals(300, seed=7)
    text = frame.astype("string").fillna("")
    text["respondent_id"] = [f"P{i:04d}" for i in range(1, 301)]
    (tmp_path / "survey").mkdir()
    text.to_csv(tmp_path / "survey/professionals.csv", index=False, lineterminator="\n")
    book = yaml.safe_load((data_dir() / "codebook.yaml").read_text(encoding="utf-8"))
    entry = {"files": {"survey/professionals.csv": book["files"]["survey/professionals.csv"]}}
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(entry), encoding="utf-8")
    loaded = load_table("survey/professionals.csv", tmp_path)
    assert len(loaded) == 300
    dist = survey.item_distribution(loaded, ["sc_finance_funding"], scale=survey.SCIROCCO_SCALE)
    raw = pd.read_csv(tmp_path / "survey/professionals.csv", dtype=str, keep_default_na=False)
    for region, part in raw.groupby("region"):
        counts = part["sc_finance_funding"].value_counts()
        got = dist[dist["group"] == region].set_index("response")["count"]
        assert got["DK"] == counts.get("DK", 0)
        assert got[survey.MISSING] == counts.get("", 0)
        for score in survey.SCIROCCO_SCALE:
            assert got[score] == counts.get(score, 0)
