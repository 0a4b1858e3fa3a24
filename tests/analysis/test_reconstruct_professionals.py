"""data/reconstruct/professionals.py: reproducible, exact, and faithful to the report's text."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


SCRIPT = PROJECT_ROOT / "data" / "reconstruct" / "professionals.py"
SHIPPED = PROJECT_ROOT / "data" / "survey" / "professionals.csv"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("professionals_generator", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_seed_rebuilds_the_shipped_bytes(generator: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "professionals.csv"
    assert generator.main(["--out", str(out)]) == 0
    assert out.read_bytes() == SHIPPED.read_bytes()


def test_shipped_file_meets_every_target(generator: ModuleType) -> None:
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    assert generator.check(frame, generator.load_targets()) == []


def test_check_detects_a_changed_answer(generator: ModuleType) -> None:
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    row = frame.index[frame["sc_finance_funding"] == "1"][0]
    frame.loc[row, "sc_finance_funding"] = "2"
    assert any("sc_finance_funding" in p for p in generator.check(frame, generator.load_targets()))


def test_509_complete_respondents_and_nobody_empty() -> None:
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    items = [c for c in frame if c.startswith(("sc_", "aim_"))]
    answered = frame[items] != ""
    assert int(answered.all(axis=1).sum()) == 509  # section 3.1.3.1
    assert bool(answered.any(axis=1).all())  # everyone scored at least one item (or DK)


def test_other_seed_keeps_marginals(generator: ModuleType) -> None:
    targets = generator.load_targets()
    frame = generator.build(targets, seed=1)
    problems = [p for p in generator.check(frame, targets) if "medians by level" not in p]
    assert problems == []


def test_language_model(generator: ModuleType) -> None:
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    assert set(frame.loc[frame["region"] == "Flanders", "language"]) == {"nl"}
    assert set(frame.loc[frame["region"] != "Flanders", "language"]) == {"fr"}
