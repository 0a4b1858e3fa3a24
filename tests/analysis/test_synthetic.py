"""analysis.synthetic: generated survey waves are valid, differ from the shipped data as
asked, and leave every other input byte-identical; the chapter-3 analyses cope with them."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from quartowrap.authoring.data import check_all, load_codebook, load_table
from quartowrap.authoring.paths import data_dir

from analysis import pacic, regression
from analysis.synthetic import synthetic_patients, write_data_dir


@pytest.fixture(scope="module")
def wave(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_data_dir(tmp_path_factory.mktemp("wave") / "data", professionals=150, patients=260)


def test_wave_passes_the_codebook_check(wave: Path) -> None:
    problems, _ = check_all(wave)
    assert problems == []


def test_wave_has_the_requested_gaps_and_sizes(wave: Path) -> None:
    pros = pd.read_csv(wave / "survey/professionals.csv", dtype=str, keep_default_na=False)
    patients = pd.read_csv(wave / "survey/patients.csv", dtype=str, keep_default_na=False)
    assert len(pros) == 150 and len(patients) == 260
    assert "Federal" not in set(pros["region"])
    assert "other" not in set(patients["gender"])
    assert 0 < (pros["region"] == "Brussels").sum() < 0.1 * len(pros)  # a tiny region
    shipped = data_dir() / "survey"
    for name in ("professionals.csv", "patients.csv"):  # same header, in the same order
        assert (wave / "survey" / name).read_text().splitlines()[0] == (
            (shipped / name).read_text(encoding="utf-8-sig").splitlines()[0]
        )


def test_non_survey_inputs_are_copied_unchanged(wave: Path) -> None:
    source = data_dir()
    for relpath in load_codebook(source).files:
        if relpath.startswith("survey/"):
            continue
        assert filecmp.cmp(source / relpath, wave / relpath, shallow=False), relpath
    assert filecmp.cmp(
        source / "eq5d/belgium_5l.yaml", wave / "eq5d/belgium_5l.yaml", shallow=False
    )
    assert not (wave / "reconstruct").exists()


def test_codebook_marks_the_survey_files_synthetic(wave: Path) -> None:
    book = load_codebook(wave)
    for relpath in ("survey/professionals.csv", "survey/patients.csv"):
        assert book.files[relpath].description.startswith("SYNTHETIC")
    assert not book.files["actions/actions.csv"].description.startswith("SYNTHETIC")


def test_never_overwrites(wave: Path) -> None:
    with pytest.raises(FileExistsError):
        write_data_dir(wave)


def test_patients_are_reproducible_and_weights_are_honoured() -> None:
    a = synthetic_patients(
        300, seed=3, region_weights={"Wallonia": 1}, gender_weights={"female": 1}
    )
    b = synthetic_patients(
        300, seed=3, region_weights={"Wallonia": 1}, gender_weights={"female": 1}
    )
    pd.testing.assert_frame_equal(a, b)
    assert set(a["region"].dropna()) == {"Wallonia"} and set(a["gender"].dropna()) == {"female"}
    with pytest.raises(ValueError, match="unknown categories"):
        synthetic_patients(10, region_weights={"Atlantis": 1})


def test_model_reports_a_constant_term_as_not_estimable(tmp_path: Path) -> None:
    """One gender only: 'male' cannot be estimated; the other terms still are."""
    data = write_data_dir(tmp_path / "d", professionals=20, patients=400, genders={"female": 1})
    patients = load_table("survey/patients.csv", data)
    table = regression.model_table(pacic.analysis_sample(patients)).set_index("term")
    assert np.isnan(table.at["male", "beta"]) and table.at["male", "stars"] == ""
    assert np.isfinite(table.at["hrqol", "beta"])
    # the fitted coefficients equal a direct least-squares fit without the constant term
    design = regression.design_frame(pacic.analysis_sample(patients), "eq_vas").dropna()
    terms = [t for t in regression.TERMS if t != "male"]
    x = np.column_stack([np.ones(len(design)), design[terms].to_numpy()])
    coef, *_ = np.linalg.lstsq(x, design["pacic_score"].to_numpy(), rcond=None)
    assert table.loc[terms, "beta"].to_numpy() == pytest.approx(coef[1:])
