"""End-to-end: chapter 3 rendered with another data directory shows that directory's numbers.

A synthetic survey wave (`analysis.synthetic.write_data_dir`: tiny Brussels group, no
federal professionals, no patient of another gender) is written to a temporary directory;
a small book holding only the preface, chapter 3 (with its include) and the references is
rendered with `data_dir=` as `--data-dir` does.  Expected numbers are recomputed here with
plain pandas from the generated CSV files, never taken from the analysis code.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from quartowrap.commands.render import RenderOptions, RenderResult, render_project
from quartowrap.progress import Progress

from analysis.synthetic import write_data_dir

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "survey"
pytestmark = pytest.mark.slow


@dataclass
class Rendered:
    data: Path
    result: RenderResult

    @property
    def page_text(self) -> str:
        """Visible text of chapter 3's page, whitespace collapsed."""
        [page] = (self.result.release_dir / "html").rglob("03-surveys.html")
        raw = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text("utf-8"), flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", raw))
        return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))

    def table(self, label: str) -> pd.DataFrame:
        return pd.read_csv(
            self.result.release_dir / "tables" / f"{label}.csv", dtype={"value": str}
        )


def _book(target: Path) -> Path:
    """Preface + a copy of chapter 3 and its include + references, bibliography copied."""
    (target / "chapters").mkdir(parents=True)
    for name in ("03-surveys.qmd", "_03-patients.qmd"):
        shutil.copy(ROOT / "chapters" / name, target / "chapters" / name)
    shutil.copy(ROOT / "references.qmd", target / "references.qmd")
    shutil.copytree(ROOT / "references", target / "references")
    # The front matter reads the glossary from the project, not from the data directory.
    shutil.copytree(ROOT / "data" / "glossary", target / "data" / "glossary")
    (target / "index.qmd").write_text(
        "# Preface {.unnumbered}\n\nChapter 3 alone, rendered with a synthetic data set.\n",
        encoding="utf-8",
    )
    real = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    config = {
        "project": {"type": "book", "output-dir": "_output"},
        "book": {
            "title": "Chapter 3 on another data set",
            "date": "2024",
            "chapters": ["index.qmd", "chapters/03-surveys.qmd", "references.qmd"],
        },
        "bibliography": real["bibliography"],
        "crossref": real["crossref"],
        "execute": {"echo": False, "warning": False, "freeze": False},
        "format": {"html": {"toc": True, "number-sections": True}},
        "kce": {"report-number": 359, "series": "Test", "short-title": "Chapter 3"},
    }
    (target / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    return target


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    tmp = tmp_path_factory.mktemp("data-dir")
    data = write_data_dir(tmp / "wave", professionals=240, patients=420, seed=11)
    book = _book(tmp / "book")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", str(ROOT))  # the real analysis/ package, importable
        result = render_project(
            book,
            RenderOptions(
                to=("html",), data_dir=data, use_freeze=False, version="0.0.0+datadir", jobs=1
            ),
            progress=Progress(plain=True, quiet=True),
        )
    return Rendered(data, result)


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_page_shows_the_new_respondent_counts(rendered: Rendered) -> None:
    pros = _csv(rendered.data / "survey" / "professionals.csv")
    patients = _csv(rendered.data / "survey" / "patients.csv")
    shipped_pros = len(_csv(SHIPPED / "professionals.csv"))
    shipped_patients = len(_csv(SHIPPED / "patients.csv"))
    assert len(pros) != shipped_pros and len(patients) != shipped_patients
    text = rendered.page_text
    assert f"The sample holds {len(pros)} professionals" in text
    assert f"The sample holds {shipped_pros} professionals" not in text
    assert f"Of {len(patients)} people who completed it" in text
    assert f"Of {shipped_patients:,} people".replace(",", " ") not in text
    by_region = pros["region"].value_counts()
    assert f"{by_region['Brussels']} from Brussels" in text
    assert "nobody answered who works at the federal level" in text
    assert "synthetic" in text and "reconstructed from the published tables" not in text
    assert "Synthetic data The patients" in text and "Reconstructed data" not in text
    assert not re.search(r"\bnan\b", text), "a statistic of an absent group leaked as 'nan'"


def test_respondents_table_matches_counts_from_the_csv(rendered: Rendered) -> None:
    pros = _csv(rendered.data / "survey" / "professionals.csv")
    table = rendered.table("tbl-respondents")
    regions = [
        r for r in ("Brussels", "Flanders", "Wallonia", "Federal") if (pros["region"] == r).any()
    ]
    assert "Federal" not in regions  # the wave has no federal respondent ...
    assert set(table["group"]) == {*regions, "Total"}  # ... and so no federal column
    for variable in ("experience", "category", "level"):
        expected = pd.crosstab(pros[variable], pros["region"])
        expected["Total"] = expected.sum(axis=1)
        got = table[table["variable"] == variable].pivot(
            index="value", columns="group", values="count"
        )
        for value in expected.index:
            for group in [*regions, "Total"]:
                assert got.at[value, group] == expected.at[value, group], (variable, value, group)
        assert got.fillna(0).to_numpy().sum() == 2 * len(pros)  # every respondent once + total
    sizes = table.drop_duplicates("group").set_index("group")["n"]
    assert sizes["Total"] == len(pros)


def test_patient_characteristics_follow_the_new_sample(rendered: Rendered) -> None:
    """Region columns of table 25 are the regions present; no patient of another gender."""
    table = rendered.table("tbl-patient-characteristics")
    gender = table[(table["variable"] == "Gender") & (table["category"] == "other")]
    assert (gender["n"] == 0).all()
    patients = _csv(rendered.data / "survey" / "patients.csv")
    assert set(table["group"]) == {*patients["region"].unique(), "Belgium"}
