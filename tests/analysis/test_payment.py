"""Payment literature (chapter 5): the data reproduce KCE Report 359 tables 54–58.

Expected values are typed from the report (tables 56–58 and the prose of section 5.3.2.2)
or counted by hand from it; none is copied from this program's output.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from quartowrap.authoring.data import DataValidationError

from analysis import payment as pay

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ table 56 (typed)

# Rows of table 56: utilisation, volume, expenditure control, efficiency, quality, admin ease.
TABLE_56 = {
    "Fee-for-service (FFS)": ["+", "+", "-", "-", "unclear", "+"],
    "Case rate": ["+", "+", "-", "+", "unclear", "-"],
    "Payment per condition (DRG)": ["+", "-", "unclear", "+", "unclear", "-"],
    "Capitation": ["-", "-", "+", "+", "unclear", "+"],
    "Global budget or salary": ["-", "-", "+", "unclear", "unclear", "+"],
}
PROPERTIES = [
    "utilisation",
    "volume",
    "expenditure_control",
    "efficiency",
    "quality",
    "administrative_ease",
]


def test_table_56_every_mechanism_and_property() -> None:
    effects = pay.mechanism_effects()
    assert list(dict.fromkeys(effects["mechanism_label"])) == list(TABLE_56)
    assert list(dict.fromkeys(effects["property"])) == PROPERTIES
    for mechanism, expected in TABLE_56.items():
        got = effects.loc[effects["mechanism_label"] == mechanism, "effect"].tolist()
        assert got == expected, mechanism
    # Bundling runs from FFS (least) to global budget (most), as the report's arrows show.
    ranks = effects.drop_duplicates("mechanism").set_index("mechanism")["bundling_rank"]
    assert ranks["ffs"] == 1 and ranks["global_budget"] == 5


def test_table_56_rendered_shows_every_row_and_column() -> None:
    table = pay.table_incentives()
    for mechanism in ["Fee", "Case rate", "Capitation", "Global budget", "DRG"]:
        assert mechanism in table.markdown
    for label in ["Expenditure", "Technical", "Quality of", "administration"]:
        assert label in table.markdown
    tidy = pd.read_csv(pd.io.common.StringIO(table.csv))
    assert len(tidy) == len(TABLE_56) * len(PROPERTIES)


# ------------------------------------------------------------------ table 57 (typed)

# Model, year, country, risk adjustment ("yes"/"no"/"not_reported" for NA, N/A, not clear),
# one- or two-sided risk — all as printed in table 57 of the report.
TABLE_57 = [
    ("Healthy Kinzigtal", 2006, "DE", "yes", "one_sided"),
    ("Care groups", 2010, "NL", "yes", "not_applicable"),
    ("Quality and Outcomes Framework", 2004, "UK", "no", "not_applicable"),
    ("Canterbury District Health Board", 2007, "NZ", "no", "two_sided"),
    ("Bundled Payments for Care Improvement", 2013, "US", "no", "not_applicable"),
    ("Comprehensive Primary Care", 2012, "US", "not_reported", "one_sided"),
    ("Alzira", 1999, "ES", "not_reported", "two_sided"),
    ("Pioneer Accountable Care Organizations", 2012, "US", "yes", "two_sided"),
    ("Medicare Shared Savings Program", 2012, "US", "yes", "choice"),
    ("Next Generation ACO", 2016, "US", "yes", "two_sided"),
    ("Northwest London ICP", 2011, "UK", "not_reported", "one_sided"),
    ("Acute Care Episode Demonstration", 2009, "US", "no", "not_applicable"),
    ("Better Together", 2014, "UK", "not_reported", "two_sided"),
    ("Hospital Value-Based Purchasing", 2013, "US", "yes", "not_applicable"),
]
# Reference numbers in the "Articles" column of table 57.
TABLE_57_REFS = {
    "Healthy Kinzigtal": [215, 216, 217, 218, 219],
    "Care groups": [220, 221, 222],
    "Quality and Outcomes Framework": [223, 224],
    "Canterbury District Health Board": [225, 226, 227, 228, 229],
    "Bundled Payments for Care Improvement": [230, 231, 232],
    "Comprehensive Primary Care": [233, 234],
    "Alzira": [235, 236],
    "Pioneer Accountable Care Organizations": [237, 238, 239],
    "Medicare Shared Savings Program": [237, 240, 241, 242, 243, 244, 215],
    "Next Generation ACO": [245],
    "Northwest London ICP": [246, 247, 248, 249, 250],
    "Acute Care Episode Demonstration": [251, 252],
    "Better Together": [253, 254, 255, 256],
    "Hospital Value-Based Purchasing": [223, 257, 258, 259],
}


def _model(models: pd.DataFrame, name: str) -> pd.Series:
    hit = models[models["name"].str.startswith(name)]
    assert len(hit) == 1, f"{name!r} matches {len(hit)} models"
    return hit.iloc[0]


def test_table_57_every_model_with_year_country_and_risk() -> None:
    models = pay.apm_models()
    assert len(models) == len(TABLE_57)
    for name, year, country, adjustment, sharing in TABLE_57:
        row = _model(models, name)
        assert (row["year"], row["country"]) == (year, country), name
        assert row["risk_adjustment"] == adjustment, name
        assert row["risk_sharing"] == sharing, name
        assert [int(v) for v in row["kce_refs"].split("; ")] == TABLE_57_REFS[name], name


def test_table_57_every_model_has_all_properties_filled() -> None:
    models = pay.apm_models()
    for column in [
        "clinical_focus",
        "providers",
        "setting",
        "payment_mechanism",
        "quality_incentives",
        "geography",
    ]:
        assert models[column].str.len().gt(0).all(), column
    assert (models["n_outcomes"] >= 1).all()


def test_table_57_key_figures_of_outcomes() -> None:
    outcomes = pay.apm_outcomes()
    text = " ".join(outcomes["text"])
    # Figures printed in the outcomes column of table 57.
    for figure in ["38.2", "288", "1,166", "3.9%", "34%", "27%", "116.90", "18.20", "319", "122%"]:
        assert figure in text, figure


def test_table_57_rendered_contains_every_model() -> None:
    table = pay.table_apm()
    flat = re.sub(r"\s+", " ", table.markdown.replace("|", " ").replace("\\", ""))
    for name, year, *_ in TABLE_57:
        first_word = name.split()[0]
        assert first_word in flat, name
        assert str(year) in flat, name
    for group in ["Pay for performance", "accountable care", "Bundled payment"]:
        assert group in flat


# ------------------------------------------------------------------ syntheses vs hand counts


def test_counts_match_the_report_prose() -> None:
    """Section 5.3.2.2 of the report: USA 7, UK 3, one each GE/NL/SP/NZ; 5 regional;
    12 public, 1 private, 1 public-private; 2 P4P, 8 ACOs, 1 multipayer, 3 bundled;
    3 upside only, 5 two-sided, 1 choice; quality: 3 bonus+shared, 3 shared only, 8 bonus."""
    models = pay.apm_models()

    def counts(field: str) -> dict[str, int]:
        frame = pay.apm_counts(models, field)
        return dict(zip(frame["code"], frame["n"], strict=True))

    assert counts("country") == {"US": 7, "UK": 3, "DE": 1, "NL": 1, "ES": 1, "NZ": 1}
    assert counts("scope")["regional"] == 5
    assert counts("initiator") == {"public": 12, "private": 1, "public_private": 1}
    assert counts("apm_type") == {"aco": 8, "bundled": 3, "p4p": 2, "multipayer": 1}
    sharing = counts("risk_sharing")
    assert (sharing["one_sided"], sharing["two_sided"], sharing["choice"]) == (3, 5, 1)
    assert counts("quality_modality") == {"bonus_only": 8, "bonus_and_shared": 3, "shared_only": 3}
    # Table 57 marks six models as risk adjusted (the prose adds BPCI, the table says no).
    assert counts("risk_adjustment")["yes"] == 6
    # Payment basis (prose): virtual Kinzigtal+MSSP; real Alzira, Canterbury, Pioneer, NWL, BT.
    basis = counts("payment_basis")
    assert (basis["virtual_target"], basis["real_global"], basis["virtual_and_real"]) == (2, 5, 1)


def test_apm_counts_order_and_names() -> None:
    models = pd.DataFrame(
        {
            "name": ["A", "B", "C", "D"],
            "country": ["UK", "US", "US", "NZ"],
        }
    )
    frame = pay.apm_counts(models, "country")
    assert frame["code"].tolist() == ["US", "UK", "NZ"]  # most first, ties in label order
    assert frame["n"].tolist() == [2, 1, 1]
    assert frame.loc[0, "models"] == "B; C"


def test_outcome_synthesis_against_hand_coding() -> None:
    outcomes = pay.apm_outcomes()
    # Only the Dutch care groups reported higher spending (report, 5.3.2.2).
    assert pay.models_where(outcomes, "spending", "worsened") == ["Care groups"]
    # CPC: no savings to Medicare; NWL ICP: no change in costs.
    flat = pay.models_where(outcomes, "spending", "no_change")
    assert {pay.short_name(n) for n in flat} == {"CPC", "Northwest London ICP"}
    # Spending fell for 9 models: Kinzigtal, Canterbury, BPCI, Alzira, Pioneer, MSSP, NGACO,
    # ACE, Better Together (counted by hand from table 57).
    assert len(pay.models_where(outcomes, "spending", "improved")) == 9
    profile = pay.outcome_profile(outcomes)
    assert profile.loc["Care groups", "spending"] == "worsened"
    assert profile.loc["Healthy Kinzigtal", "quality"] == "no change"
    assert profile.loc["Hospital Value-Based Purchasing (HVBP)", "spending"] == ""


def test_join_names() -> None:
    assert pay.join_names([]) == ""
    assert pay.join_names(["A"]) == "A"
    assert pay.join_names(["A", "B"]) == "A and B"
    assert pay.join_names(["A", "B", "C"]) == "A, B and C"


# ------------------------------------------------------------------ tables 54, 55, 58


def test_table_54_search_terms() -> None:
    terms = pay.search_terms()
    by_domain = terms.groupby("domain")["term"].apply(list)
    assert len(by_domain["Provider payment"]) == 11
    assert len(by_domain["Integrated care"]) == 13
    assert "quintuple aim" in by_domain["Integrated care"]
    assert "pay-for-performance" in by_domain["Provider payment"]


def test_table_55_and_flows() -> None:
    criteria = pay.selection_criteria()
    assert list(dict.fromkeys(criteria["criterion"])) == [
        "Scope",
        "Design",
        "Language",
        "Period",
        "Setting",
    ]
    flows = pay.review_flows()
    assert (flows.loc["mechanisms", "identified"], flows.loc["mechanisms", "retained"]) == (823, 99)
    assert flows.loc["transition_scholar", "identified"] == 214
    assert flows.loc["transition_pubmed", "identified"] == 180
    assert flows.loc["transition", "retained"] == 31


def test_exclusion_list_with_commas_stays_one_rule() -> None:
    """The care-role exclusion lists roles with commas: it is one criterion, not five."""
    criteria = pay.selection_criteria()
    scope = criteria[(criteria["criterion"] == "Scope") & (criteria["decision"] == "exclude")]
    assert len(scope) == 3
    roles = [r for r in scope["rule"] if "case manager" in r]
    assert len(roles) == 1 and roles[0].startswith("reforms centred on one care role (")
    rendered = pay.table_selection_criteria().markdown
    assert rendered.count("case manager") == 1


def test_unquoted_rule_split_at_commas_is_rejected(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    path = data_dir / "literature/payment/review.yaml"
    text = path.read_text(encoding="utf-8")
    quoted = '"reforms centred on one care role (care coordinator, case manager, nurse'
    assert quoted in text
    text = text.replace(quoted, quoted[1:]).replace('and similar)",', "and similar),", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError) as caught:
        pay.load_review(data_dir)
    assert "review.yaml" in str(caught.value) and "unbalanced brackets" in str(caught.value)


def test_rule_continuing_a_split_one_is_rejected(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    path = data_dir / "literature/payment/review.yaml"
    text = path.read_text(encoding="utf-8")
    quoted = '["published before 2018, except key earlier documents cited by 2018-2022 papers"]'
    assert quoted in text
    path.write_text(text.replace(quoted, quoted.replace('"', "")), encoding="utf-8")
    with pytest.raises(DataValidationError, match="continues a previous rule"):
        pay.load_review(data_dir)


def test_period_criteria_are_single_rules() -> None:
    criteria = pay.selection_criteria()
    period = criteria[criteria["criterion"] == "Period"]
    assert period["rule"].tolist() == [
        "published 2018-2022, or cited by a paper published in that period",
        "published before 2018, except key earlier documents cited by 2018-2022 papers",
    ]


def test_table_58_spot_checks() -> None:
    steps = pay.reform_steps()
    assert steps["step_id"].nunique() == 8
    refs = steps.groupby("step_id")["kce_ref"].apply(list)
    assert refs["macro_support"] == [115, 284, 276, 280, 279]
    assert refs["trusting_network"] == [263, 277, 274, 273]
    assert refs["shared_savings"] == [263, 278, 274, 279]
    assert refs["payment_mix"] == [282]
    parts = steps.drop_duplicates("step_id").groupby("part")["step_id"].count()
    assert parts.to_dict() == {
        "Conditions for a financing reform": 4,
        "Incremental financing reform": 4,
    }
    markdown = pay.table_reform_steps().markdown
    assert "**Incremental financing reform\\: first steps**" in markdown
    assert "Vermont \\(USA\\), case study" in markdown and "284" in markdown


def test_belgian_context() -> None:
    facts = pay.belgian_context()
    assert facts["clinical_biology_mixed_since"] == 1988
    assert facts["medical_imaging_mixed_since"] == 1991
    assert facts["low_variability_stay_groups"] == 57


# ------------------------------------------------------------------ validation errors


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "literature", target / "literature")
    return target


def test_bad_input_names_file_record_and_field(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    path = data_dir / "literature/payment/apm_models.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(
        original.replace("risk_sharing: two_sided", "risk_sharing: three_sided", 1),
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as caught:
        pay.load_apm(data_dir)
    message = str(caught.value)
    assert "apm_models.yaml" in message
    assert "(canterbury).risk_sharing" in message
    assert "three_sided" in message
    # The shipped input itself is never modified.
    assert (PROJECT_ROOT / "data/literature/payment/apm_models.yaml").read_text(
        encoding="utf-8"
    ) == original


def test_incomplete_incentive_matrix_is_rejected(tmp_path: Path) -> None:
    data_dir = _copy_data(tmp_path)
    path = data_dir / "literature/payment/mechanisms.yaml"
    text = path.read_text(encoding="utf-8").replace(' administrative_ease: "+"}', "}", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError, match="effects missing"):
        pay.load_mechanisms(data_dir)
