"""Synthetic respondents in the survey schemas, for benchmarks, tests and "new wave" builds.

SYNTHETIC: random draws, no relation to the report's results.  The frames have the dtypes
`quartowrap.authoring.load_table` returns (categoricals in codebook order, ``DK``/``NA`` categories
of their own, no answer = <NA>), built straight from integer codes with
`pd.Categorical.from_codes`, so five million professionals cost a few hundred MB and a few
seconds.  The frame functions write nothing; `write_data_dir` is the one function that
writes: a complete data directory (shipped non-survey inputs + generated survey files)
that a build can read with `--data-dir`, to check that every chapter follows its data.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from quartowrap.authoring.paths import data_dir as default_data_dir

from analysis.survey import AIM_SCALE, DIMENSIONS, DONT_KNOW, REGIONS, SCIROCCO_SCALE

AIMS_PER_DIMENSION = {
    "breadth_of_ambition": 5,
    "citizen_empowerment": 6,
    "process_coordination": 5,
    "innovation_management": 2,
    "capacity_building": 5,
}
LEVELS = ("macro", "meso", "micro")
EXPERIENCE = ("0-2", "3-5", "6-10", ">10")
CATEGORIES = (
    "executive",
    "coordinator",
    "healthcare_provider",
    "case_manager",
    "social_care",
    "patient_representative",
    "researcher",
    "policy_maker",
)


def _categorical(
    rng: np.random.Generator,
    n: int,
    categories: tuple[str, ...],
    p_missing: float = 0.0,
    weights: Mapping[str, float] | None = None,
) -> pd.Categorical:
    """Uniform draws over `categories`, or draws with relative `weights` (absent = 0)."""
    if weights is None:
        codes = rng.integers(0, len(categories), n, dtype=np.int8)
    else:
        codes = rng.choice(len(categories), n, p=_probabilities(categories, weights))
        codes = codes.astype(np.int8)
    if p_missing:
        codes[rng.random(n, dtype=np.float32) < p_missing] = -1
    return pd.Categorical.from_codes(codes, categories=list(categories))


def _answers(
    rng: np.random.Generator, n: int, scale: tuple[str, ...], p_dk: float, p_missing: float
) -> pd.Categorical:
    """Scores skewed towards the low end (as in the survey), plus DK and no answer."""
    weights = np.linspace(2.0, 0.5, len(scale))
    # A 1000-slot lookup table turns uniform integers into the skewed scale quickly.
    table = np.repeat(
        np.arange(len(scale), dtype=np.int8), np.round(1000 * weights / weights.sum()).astype(int)
    )
    codes = table[rng.integers(0, len(table), n)]
    u = rng.random(n, dtype=np.float32)
    codes[u < p_dk + p_missing] = len(scale)  # DK
    codes[u < p_missing] = -1
    return pd.Categorical.from_codes(codes, categories=[*scale, DONT_KNOW], ordered=True)


def _probabilities(categories: tuple[str, ...], weights: Mapping[str, float]) -> np.ndarray:
    unknown = set(weights) - set(categories)
    if unknown:
        raise ValueError(f"weights for unknown categories {sorted(unknown)}; known: {categories}")
    p = np.array([float(weights.get(c, 0.0)) for c in categories])
    if (p < 0).any() or p.sum() <= 0:
        raise ValueError(f"weights must be >= 0 and not all zero: {dict(weights)}")
    return p / p.sum()


def synthetic_professionals(
    n: int,
    seed: int = 0,
    p_dk: float = 0.08,
    p_missing: float = 0.28,
    *,
    region_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """`n` synthetic respondents with every column of `survey/professionals.csv`.

    `region_weights` (relative, a region left out gets nobody) lets a test wave lack a
    region or have a very small one; by default regions are equally likely.
    """
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {
        "respondent_id": "S" + pd.Series(np.arange(1, n + 1)).astype("string"),
        "language": _categorical(rng, n, ("nl", "fr", "de")),
        "region": _categorical(rng, n, REGIONS, weights=region_weights),
        "experience": _categorical(rng, n, EXPERIENCE),
        "category": _categorical(rng, n, CATEGORIES),
        "level": _categorical(rng, n, LEVELS),
        "structure": _categorical(rng, n, ("hospital", "independent_practice", "municipality")),
    }
    for dimension in DIMENSIONS:
        columns[f"sc_{dimension}"] = _answers(rng, n, SCIROCCO_SCALE, p_dk, p_missing)
    for dimension, count in AIMS_PER_DIMENSION.items():
        for k in range(1, count + 1):
            columns[f"aim_{dimension}_{k}"] = _answers(rng, n, AIM_SCALE, p_dk, p_missing)
    columns["priority"] = _categorical(rng, n, tuple(DIMENSIONS), p_missing=0.39)
    return pd.DataFrame(columns)


# ------------------------------------------------------------------------- patients

PATIENT_REGIONS = ("Flanders", "Wallonia", "Brussels")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
GENDERS = ("male", "female", "other")
HEALTH_PROBLEMS = ("one", "multiple", "none", "no_answer")
YES_NO = ("yes", "no", "no_answer")
BINARY = ("0", "1")
EQ_DIMENSIONS = ("eq_mobility", "eq_selfcare", "eq_activities", "eq_pain", "eq_anxiety")
PACIC_ITEMS = tuple(f"pacic_{k:02d}" for k in range(1, 21))
#: Share of respondents with each kind of medical provider (care_gp … care_other).
PROVIDER_RATES = {
    "care_gp": 0.8,
    "care_specialist": 0.6,
    "care_home_nurse": 0.2,
    "care_pharmacist": 0.5,
    "care_other": 0.4,
}


def _binary(flags: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(flags.astype(np.int8), categories=list(BINARY))


def _ordinal(latent: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """0-based level of each latent value given increasing cut points."""
    return np.searchsorted(cuts, latent).astype(np.int8)


def synthetic_patients(
    n: int,
    seed: int = 0,
    *,
    region_weights: Mapping[str, float] | None = None,
    gender_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """`n` synthetic respondents with every column of `survey/patients.csv`.

    A little joint structure is built in so that every analysis of chapter 3 has
    something to estimate: a latent health value drives the EQ-5D-5L levels and the
    EQ-VAS; a PACIC propensity (higher for men, with informal and social care and with
    better health) drives the 20 items; some respondents mark many items not applicable
    or skip them, so the 15-valid-items rule bites.  Nobody should read these
    associations as findings.  Weights are relative; a category left out gets nobody.
    """
    rng = np.random.default_rng(seed)
    region = _categorical(
        rng,
        n,
        PATIENT_REGIONS,
        weights=region_weights or {"Flanders": 5, "Wallonia": 4, "Brussels": 1},
    )
    region_code = np.asarray(region.codes)
    # Flanders Dutch, Wallonia French (a few German), Brussels mostly French.
    u = rng.random(n)
    language_code = np.select(
        [region_code == 0, region_code == 1],
        [0, np.where(u < 0.02, 2, 1)],
        default=np.where(u < 0.25, 0, 1),
    ).astype(np.int8)
    age = rng.choice(len(AGE_BANDS), n, p=[0.03, 0.08, 0.14, 0.19, 0.23, 0.21, 0.12])
    gender = _categorical(
        rng, n, GENDERS, weights=gender_weights or {"male": 40, "female": 59, "other": 1}
    )
    male = np.asarray(gender.codes) == 0
    health = rng.choice(len(HEALTH_PROBLEMS), n, p=[0.36, 0.5, 0.11, 0.03])
    providers = {c: rng.random(n) < p for c, p in PROVIDER_RATES.items()}
    informal = rng.choice(len(YES_NO), n, p=[0.35, 0.63, 0.02])
    social = rng.choice(2, n, p=[0.3, 0.7])  # the shipped file has no "no_answer" here
    carers = rng.random((n, 3)) < 0.5
    carers[:, 0] |= ~carers.any(axis=1)  # whoever receives informal care has a carer
    carers &= (informal == 0)[:, None]

    old = age >= 4
    latent_health = rng.normal(size=n) - 0.5 * (health == 1) - 0.3 * old - 0.3 * (social == 0)
    eq_cuts = np.array([-0.3, 0.5, 1.3, 2.1])
    columns: dict[str, object] = {
        "respondent_id": pd.array([f"P{k:05d}" for k in range(1, n + 1)], dtype="string"),
        "language": pd.Categorical.from_codes(language_code, categories=["nl", "fr", "de"]),
        "region": region,
        "age_band": pd.Categorical.from_codes(age, categories=list(AGE_BANDS), ordered=True),
        "gender": gender,
        "health_problem": pd.Categorical.from_codes(health, categories=list(HEALTH_PROBLEMS)),
        **{c: _binary(flags) for c, flags in providers.items()},
        "informal_care": pd.Categorical.from_codes(informal, categories=list(YES_NO)),
        "social_care": pd.Categorical.from_codes(social, categories=list(YES_NO)),
        "informal_household": _binary(carers[:, 0]),
        "informal_family": _binary(carers[:, 1]),
        "informal_other": _binary(carers[:, 2]),
    }
    eq_levels = [str(k) for k in range(1, 6)]
    for column in EQ_DIMENSIONS:
        codes = _ordinal(-latent_health + rng.normal(scale=0.8, size=n), eq_cuts)
        codes[rng.random(n) < 0.01] = -1  # a few unanswered
        columns[column] = pd.Categorical.from_codes(codes, categories=eq_levels, ordered=True)
    vas = np.clip(np.round(62 + 14 * latent_health + rng.normal(scale=8, size=n)), 0, 100)
    columns["eq_vas"] = pd.array(
        np.where(rng.random(n) < 0.01, pd.NA, vas.astype(np.int64)), dtype="Int64"
    )

    propensity = (
        0.3 * male
        + 0.3 * (informal == 0)
        + 0.2 * (social == 0)
        + 0.25 * latent_health
        + rng.normal(size=n)
    )
    invalid_rate = np.where(rng.random(n) < 0.1, rng.uniform(0.4, 1.0, n), rng.uniform(0, 0.15, n))
    pacic_cuts = np.array([-0.6, 0.2, 1.0, 1.9])
    offsets = rng.normal(scale=0.4, size=len(PACIC_ITEMS))
    for item, offset in zip(PACIC_ITEMS, offsets, strict=True):
        codes = _ordinal(propensity + offset + rng.normal(size=n), pacic_cuts)
        invalid = rng.random(n) < invalid_rate
        codes[invalid] = np.where(rng.random(int(invalid.sum())) < 0.6, 5, -1)  # 5 = "NA"
        columns[item] = pd.Categorical.from_codes(
            codes, categories=[*(str(k) for k in range(1, 6)), "NA"], ordered=True
        )
    return pd.DataFrame(columns)


# --------------------------------------------------------------- a whole data directory

SURVEY_FILES = ("survey/professionals.csv", "survey/patients.csv")
#: A wave unlike the shipped one: Brussels tiny, no federal respondents.
WAVE_PROFESSIONAL_REGIONS: dict[str, float] = {"Brussels": 0.03, "Flanders": 0.37, "Wallonia": 0.6}
#: Wallonia the largest region, Brussels tiny.
WAVE_PATIENT_REGIONS: dict[str, float] = {"Flanders": 0.3, "Wallonia": 0.66, "Brussels": 0.04}
#: Nobody of another gender.
WAVE_GENDERS: dict[str, float] = {"male": 0.55, "female": 0.45}
SYNTHETIC_MARK = "SYNTHETIC"


def _survey_header(source: Path, relpath: str) -> list[str]:
    with (source / relpath).open(encoding="utf-8-sig") as handle:
        return handle.readline().strip().split(",")


def _synthetic_codebook(raw: dict, seed: int) -> dict:
    """The shipped codebook with the survey entries relabelled as synthetic."""
    for relpath in SURVEY_FILES:
        entry = raw["files"][relpath]
        entry["description"] = (
            f"{SYNTHETIC_MARK} {relpath.split('/')[-1]} written by "
            f"analysis.synthetic.write_data_dir (seed {seed}): random respondents in the "
            "schema of the survey, not answers of real people and not the report's data."
        )
        entry["reconstructed"] = True
        entry["source"] = f"analysis.synthetic.write_data_dir, seed {seed}"
    return raw


def write_data_dir(
    target: Path | str,
    *,
    professionals: int = 300,
    patients: int = 500,
    seed: int = 0,
    professional_regions: Mapping[str, float] | None = WAVE_PROFESSIONAL_REGIONS,
    patient_regions: Mapping[str, float] | None = WAVE_PATIENT_REGIONS,
    genders: Mapping[str, float] | None = WAVE_GENDERS,
    source: Path | str | None = None,
) -> Path:
    """Write a complete data directory: shipped non-survey inputs + synthetic survey files.

    Everything under `source` (default: the build's data directory) is copied except the
    survey files and `reconstruct/`; the two survey files are generated with the given
    sizes and weights (defaults: a wave with a tiny Brussels group, no federal
    professionals and no patient of another gender), and their codebook entries say
    SYNTHETIC.  The result passes `python -m quartowrap.authoring.data check --data-dir TARGET`.
    `target` must not exist or be empty: nothing is ever overwritten.
    """
    source = Path(source) if source is not None else default_data_dir()
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target}: not empty; write_data_dir never overwrites files")
    if target.resolve() == source.resolve():
        raise ValueError(f"{target}: the target is the source data directory")

    def skipped(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).resolve()
        skip = {"__pycache__"}
        if here == source.resolve():
            skip |= {"reconstruct", "README.md"}  # the README describes the shipped data
        if here == (source / "survey").resolve():
            skip |= {Path(f).name for f in SURVEY_FILES}
        return skip & set(names)

    shutil.copytree(source, target, dirs_exist_ok=True, ignore=skipped)
    codebook = yaml.safe_load((source / "codebook.yaml").read_text(encoding="utf-8"))
    (target / "codebook.yaml").write_text(
        "# Codebook of a SYNTHETIC data directory written by analysis.synthetic.write_data_dir.\n"
        + yaml.safe_dump(_synthetic_codebook(codebook, seed), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    frames = {
        "survey/professionals.csv": synthetic_professionals(
            professionals, seed, region_weights=professional_regions
        ).assign(respondent_id=[f"P{k:05d}" for k in range(1, professionals + 1)]),
        "survey/patients.csv": synthetic_patients(
            patients, seed + 1, region_weights=patient_regions, gender_weights=genders
        ),
    }
    (target / "survey").mkdir(parents=True, exist_ok=True)
    for relpath, frame in frames.items():
        header = _survey_header(source, relpath)
        frame[header].to_csv(target / relpath, index=False, lineterminator="\n")
    (target / "README.md").write_text(
        f"# Data directory with {SYNTHETIC_MARK} survey files\n\n"
        f"Written by `analysis.synthetic.write_data_dir` (seed {seed}). `survey/` holds "
        f"{professionals} professionals and {patients} patients drawn at random in the schema "
        "of `codebook.yaml`: not survey answers and not the data of KCE Report 359. They "
        "exist to check that the report follows whatever data it is given. Every other file "
        f"is a copy of `{source}`.\n",
        encoding="utf-8",
    )
    return target


# ------------------------------------------------------------------- care-zone wave

ZONE_COLUMN = "care_zone"


def zone_codes(zones: int) -> list[str]:
    """`Z01` … `Z60`: codes of synthetic care zones (not the real Flemish zones)."""
    width = max(2, len(str(zones)))
    return [f"Z{k:0{width}d}" for k in range(1, zones + 1)]


def write_zone_wave(
    target: Path | str,
    table: Path | str,
    *,
    zones: int = 60,
    professionals: int = 6000,
    patients: int = 500,
    seed: int = 0,
    source: Path | str | None = None,
) -> tuple[Path, Path]:
    """A SYNTHETIC wave whose Flemish professionals work in `zones` care zones + its table.

    Flanders counts some sixty primary care zones; this wave gives each Flemish respondent
    one of `zones` made-up zones (column `care_zone`, codes `Z01`…, labelled synthetic) and
    writes the parameter table (`edition,zone`) that renders one factsheet per zone.
    Both files are new: nothing is ever overwritten.
    """
    table = Path(table)
    if table.exists():
        raise FileExistsError(f"{table}: exists; write_zone_wave never overwrites files")
    target = write_data_dir(
        target,
        professionals=professionals,
        patients=patients,
        seed=seed,
        professional_regions=None,
        source=source,
    )
    codes = zone_codes(zones)
    path = target / "survey" / "professionals.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed + 2)
    flemish = (frame["region"] == "Flanders").to_numpy()
    drawn = np.asarray(codes, dtype=object)[rng.integers(0, zones, size=len(frame))]
    frame[ZONE_COLUMN] = np.where(flemish, drawn, "")
    frame.to_csv(path, index=False, lineterminator="\n")
    codebook_path = target / "codebook.yaml"
    header, _, body = codebook_path.read_text(encoding="utf-8").partition("\n")
    codebook = yaml.safe_load(body)
    entry = codebook["files"]["survey/professionals.csv"]
    entry["columns"][ZONE_COLUMN] = {
        "type": "code",
        "label": f"Care zone ({SYNTHETIC_MARK}: made-up zones, Flemish respondents only)",
        "codes": {code: f"Care zone {k} (synthetic)" for k, code in enumerate(codes, 1)},
        "required": False,
    }
    entry["description"] += f" {zones} made-up care zones for the Flemish respondents."
    codebook_path.write_text(
        header + "\n" + yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    table.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"zone-{code[1:]},{code}" for code in codes]
    table.write_text("edition,zone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return target, table


def main(argv: list[str] | None = None) -> int:
    """`python -m analysis.synthetic zones --out DIR --table FILE.csv [--zones 60]`."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m analysis.synthetic", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    zones = sub.add_parser("zones", help="a SYNTHETIC wave with care zones + its parameter table")
    zones.add_argument("--out", type=Path, required=True, help="new data directory")
    zones.add_argument("--table", type=Path, required=True, help="new parameter table (CSV)")
    zones.add_argument("--zones", type=int, default=60)
    zones.add_argument("--professionals", type=int, default=6000)
    zones.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out, table = write_zone_wave(
        args.out, args.table, zones=args.zones, professionals=args.professionals, seed=args.seed
    )
    print(f"wrote {out} and {table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
