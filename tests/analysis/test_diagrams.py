"""analysis.diagrams: the report's models and flow charts drawn from data/figures/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import actions as act
from analysis import diagrams, payment

DATA = Path(__file__).resolve().parents[2] / "data"


def _yaml(name: str) -> dict:
    return yaml.safe_load((DATA / "figures" / name).read_text(encoding="utf-8"))


def _every_figure() -> dict[str, object]:
    flow = _yaml("survey_data_flow.yaml")
    recruitment = _yaml("survey_recruitment.yaml")
    dims = pd.read_csv(DATA / "literature" / "policy" / "dimensions.csv")
    return {
        "quintuple": diagrams.quintuple_aim(_yaml("quintuple_aim.yaml")),
        "rainbow": diagrams.grid_diagram(
            diagrams.Diagram.from_mapping(_yaml("rainbow_model.yaml"))
        ),
        "scirocco": diagrams.scirocco_dimensions(list(dims["label"]), 0, 5, 7.5),
        "matrix": diagrams.stakeholder_matrix(
            _yaml("stakeholder_matrix.yaml"), recruitment["counts"]
        ),
        "recruitment": diagrams.grid_diagram(
            diagrams.Diagram.from_mapping(recruitment, recruitment["counts"])
        ),
        "flow": diagrams.grid_diagram(
            diagrams.Diagram.from_mapping(flow, diagrams.survey_flow_counts(flow, 865, 509))
        ),
        "vsm": diagrams.vsm_mapping(
            pd.read_csv(DATA / "actions" / "vsm.csv"), act.VSM_SYSTEMS, act.SUPER_CLUSTER_SHORT, 7.5
        ),
        "literature": diagrams.literature_flow(payment.load_review(DATA).flows),
        "reform": diagrams.incremental_reform(payment.load_reform(DATA), "Goal", 7.5),
    }


def test_every_figure_prints_its_text_at_8_pt_or_more() -> None:
    """Figures are drawn at print size in inches, so a font size is the printed size."""
    for name, fig in _every_figure().items():
        assert diagrams.smallest_font(fig) >= 8.0, name
        assert all(t.strip() for t in diagrams.text_of(fig)), name


def test_survey_flow_counts_are_computed() -> None:
    flow = _yaml("survey_data_flow.yaml")
    counts = diagrams.survey_flow_counts(flow, analysed=865, scored_all=509)
    # typed from the report's text (section 3.1.3.1): 1 194 consented, 1 065 complete
    # profiles, 200 without any score
    assert (counts["consented"], counts["profile_complete"], counts["scored_none"]) == (
        1194,
        1065,
        200,
    )
    text = " ".join(
        diagrams.text_of(diagrams.grid_diagram(diagrams.Diagram.from_mapping(flow, counts)))
    ).replace("\n", " ")
    assert "1\u202f194" in text and "analysed): 865" in text


def test_survey_flow_rejects_inconsistent_counts() -> None:
    flow = _yaml("survey_data_flow.yaml")
    broken = {**flow, "counts": {**flow["counts"], "opened_nl": 579}}
    with pytest.raises(ValueError, match="Dutch \\+ French"):
        diagrams.survey_flow_counts(broken, 865, 509)
    with pytest.raises(ValueError, match=r"survey_data_flow\.yaml: 2000 respondents analysed"):
        diagrams.survey_flow_counts(flow, 2000, 509)


def test_literature_flow_computes_exclusions() -> None:
    fig = diagrams.literature_flow(payment.load_review(DATA).flows)
    texts = diagrams.text_of(fig)
    assert "724 excluded" in texts  # 823 identified - 99 retained, typed from the report


def test_vsm_cells_count_subclusters() -> None:
    vsm = pd.read_csv(DATA / "actions" / "vsm.csv")
    fig = diagrams.vsm_mapping(vsm, act.VSM_SYSTEMS, act.SUPER_CLUSTER_SHORT)
    meso_s1 = vsm[(vsm["vsm_system"] == "S1") & (vsm["level"] == "meso")]
    assert len(meso_s1) == 17  # the report's table 41 area: 17 meso sub-clusters in S1
    text = " ".join(diagrams.text_of(fig)).replace("\n", " ")
    for name, n in meso_s1.groupby("super_cluster").size().items():
        assert f"{act.SUPER_CLUSTER_SHORT[name]} ({n})" in text


def test_bad_definitions_are_named() -> None:
    raw = {"nodes": [{"key": "a", "text": "n = {missing}", "col": 0, "row": 0}]}
    with pytest.raises(ValueError, match="no count named 'missing'"):
        diagrams.Diagram.from_mapping(raw, {})
    raw = {
        "nodes": [{"key": "a", "text": "x", "col": 0, "row": 0}],
        "edges": [{"from": "a", "to": "b"}],
    }
    with pytest.raises(ValueError, match="no node 'b'"):
        diagrams.Diagram.from_mapping(raw)
