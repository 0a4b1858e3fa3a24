"""Rebuild a RECONSTRUCTED respondent-level file of the patients' survey of KCE Report 359.

The microdata are not public.  This seeded generator writes `data/survey/patients.csv`
(schema: design.md section 6, codebook entry `survey/patients.csv`) so that the published
marginal tables come out exactly: table 25 (age, gender, type of care network per
region; EQ-VAS mean and SD per region), table 26 (medical providers), table 27 (informal
carers), tables 28-32 (every PACIC item per region, including not applicable and no
answer), and the selection flow 1 810 -> 1 373 -> 1 298 -> 1 221.

The joint structure is not published, so it is modelled:

* a latent health h per respondent (worse with multiple problems, informal or social
  care, older age) drives the five EQ-5D-5L dimensions and the EQ-VAS; the VAS is then
  nudged by whole points until each region's mean and SD equal table 25;
* a latent PACIC propensity z = covariates · gamma + N(0, 1) (gender, informal and social
  care, several provider types, language, health problems, HRQoL); each item's answers
  are handed out within a region by rank of z + tau · N(0, 1), best answers to the highest
  ranks, so every item's printed distribution is kept exactly while respondents who
  score high on one item tend to score high on the others;
* who skips or marks an item not applicable is assigned by a Gale-Ryser construction
  that keeps each item's counts and puts exactly 1 221 respondents at >= 15 valid items.

`gamma`, `tau` and the seed were tuned so that the patient-level results are close to
the published ones (overall mean 2.68, SD 0.89; men 2.84 vs women 2.59; table 34's signs
and stars); `calibration(frame)` measures them and `python -m data.reconstruct.patients
--search N` repeats the seed search.  See data/README.md.

Usage: python data/reconstruct/patients.py [--seed S] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from analysis.eq5d import DIMENSIONS, ValueSet, index_values  # noqa: E402
from analysis.pacic import ITEMS  # noqa: E402
from data.reconstruct.patients_fit import (  # noqa: E402
    apply_exchanges,
    compose_exchanges,
    fit_index,
    polish_exchanges,
    search_exchanges,
)

TARGETS = Path(__file__).with_name("patients_targets.yaml")
VALUE_SET = ROOT / "data" / "eq5d" / "belgium_5l.yaml"
OUT = ROOT / "data" / "survey" / "patients.csv"
# exchanges found by `--refit` (patients_fit.search_exchanges), applied by `generate`
EXCHANGES = Path(__file__).with_name("patients_exchanges.csv")
FIT_SEED = 2  # seed of the index fit and of the exchange search
POLISH_STEPS = (300_000, 300_000, 300_000, 0)  # --polish: structure, digits, ratchet
LIFT_STEPS = 600_000  # --lift: the correlation phase alone
REGIONS = ("Flanders", "Wallonia", "Brussels")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
CATEGORIES = ("1", "2", "3", "4", "5", "NA", "")
PROVIDER_COLUMNS = (
    "care_gp",
    "care_specialist",
    "care_home_nurse",
    "care_pharmacist",
    "care_other",
)
INFORMAL_COLUMNS = ("informal_household", "informal_family", "informal_other")
DEFAULT_SEED = 359
DEFAULT_PACIC_SEED = 42  # first PACIC seed from 0 matching table 34 (see data/README.md)


@dataclass(frozen=True)
class Params:
    """Tuned structure of the unpublished joint distribution (see module docstring)."""

    # PACIC propensity: effects on z (z's residual SD is 1)
    gamma: dict[str, float] = field(
        default_factory=lambda: {
            "male": 0.29,
            "no_informal_care": -0.468,
            "no_social_care": -0.321,
            "several_care_types": -0.186,
            "french": -0.10,
            "multiple_problems": 0.0,
            "age_55_plus": 0.0,
            "hrqol": 0.243,
        }
    )
    tau: float = 0.9  # item-specific noise added to z before ranking
    # latent health: effects on h (residual SD 1)
    health: dict[str, float] = field(
        default_factory=lambda: {
            "multiple_problems": -0.45,
            "informal_care": -0.45,
            "social_care": -0.35,
            "age_55_plus": -0.15,
            "brussels": 0.45,
            "wallonia": -0.05,
        }
    )
    health_shift: float = 0.3  # overall level of h (moves the EQ-5D index)
    vas_health_corr: float = 0.85
    # EQ-VAS points added for older respondents and for those with informal care: the VAS
    # reflects these conditions less than the EQ-5D-5L profile does, which is what makes
    # the two HRQoL models of table 34 differ (age changes sign; informal care is stronger
    # in the index model)
    vas_shift: dict[str, float] = field(
        default_factory=lambda: {"age_55_plus": 8.0, "informal_care": 6.0}
    )
    low_responder_z: float = 2.0  # respondents below 15 items drawn with weight exp(-this * z)


# ----------------------------------------------------------------------------- targets


def load_targets(path: Path = TARGETS) -> dict[str, Any]:
    """The published figures the generator reproduces."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def counts_from_percentages(pcts: list[float], n: int, where: str = "") -> np.ndarray:
    """Integer counts whose shares round to the printed percentages and sum to n.

    A cell no count can match (a misprint or truncation) is given the remainder of the row.
    """
    counts: list[int | None] = []
    for pct in pcts:
        hits = [k for k in range(n + 1) if round(100 * k / n + 1e-9, 2) == round(pct, 2)]
        if len(hits) > 1:
            hits = [min(hits, key=lambda k: abs(100 * k / n - pct))]
        counts.append(hits[0] if hits else None)
    missing = [i for i, c in enumerate(counts) if c is None]
    if len(missing) > 1:
        raise ValueError(f"{where}: {len(missing)} percentages match no count of {n}")
    known = sum(c for c in counts if c is not None)
    if missing:
        counts[missing[0]] = n - known
    if sum(counts) != n:  # type: ignore[arg-type]
        raise ValueError(f"{where}: counts sum to {sum(counts)} not {n}")  # type: ignore[arg-type]
    return np.asarray(counts, dtype=int)


def count_for(pct: float, n: int) -> int:
    """The count whose share of n rounds to `pct`; else the nearest (pct printed coarser)."""
    hits = [k for k in range(n + 1) if round(100 * k / n + 1e-9, 2) == round(pct, 2)]
    return hits[0] if hits else round(pct * n / 100)


def pacic_counts(targets: dict[str, Any]) -> dict[tuple[str, str], np.ndarray]:
    """Counts per (item, region) of the seven answer categories, corrections applied."""
    sizes = targets["regions"]
    out: dict[tuple[str, str], np.ndarray] = {}
    for number, rows in targets["pacic"].items():
        item = f"pacic_{int(number):02d}"
        for region in REGIONS:
            printed = rows[region].split("|")[0]
            key = f"pacic_{int(number):02d}_{region.lower()}"
            printed = targets.get("corrections", {}).get(key, printed)
            pcts = [float(x) for x in printed.split()]
            out[(item, region)] = counts_from_percentages(pcts, sizes[region], key)
    return out


# ------------------------------------------------------------------------ construction


def exact_labels(counts: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """A shuffled array holding each label exactly `counts[label]` times."""
    labels = np.concatenate([np.repeat(np.array([k], dtype=object), v) for k, v in counts.items()])
    return rng.permutation(labels)


def binary_matrix(
    row_sums: np.ndarray, col_sums: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """0/1 matrix with the given margins (Gale-Ryser greedy, random tie-breaks).

    Columns are filled largest first, each from the rows with most still to place; the
    greedy succeeds whenever any matrix with these margins exists.
    """
    remaining = row_sums.astype(float).copy()
    matrix = np.zeros((len(row_sums), len(col_sums)), dtype=np.int8)
    for j in np.argsort(-col_sums, kind="stable"):
        need = int(col_sums[j])
        order = np.lexsort((rng.random(len(remaining)), -remaining))
        chosen = order[:need]
        if need and remaining[chosen].min() <= 0:
            raise ValueError("margins admit no 0/1 matrix")
        matrix[chosen, j] = 1
        remaining[chosen] -= 1
    if remaining.any():
        raise ValueError("row margins not exhausted")
    return matrix


def spread(total: int, caps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random non-negative integers <= caps summing to `total`."""
    out = np.zeros(len(caps), dtype=int)
    left = total
    while left > 0:
        room = np.flatnonzero(out < caps)
        if len(room) == 0:
            raise ValueError("not enough room")
        pick = rng.choice(room, size=min(left, len(room)), replace=False)
        out[pick] += 1
        left -= len(pick)
    return out


def _region_counts(
    pcts_by_category: dict[str, list[float]], region_index: int, n: int, where: str
) -> dict[str, int]:
    cats = list(pcts_by_category)
    counts = counts_from_percentages([pcts_by_category[c][region_index] for c in cats], n, where)
    return dict(zip(cats, counts.tolist(), strict=True))


def _included_block(targets: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """The 1 298 analysed respondents: region, age, gender, care network, providers."""
    t25 = targets["table25"]
    parts = []
    for r, region in enumerate(REGIONS):
        n = targets["regions"][region]
        block = pd.DataFrame({"region": region}, index=range(n))
        block["age_band"] = exact_labels(_region_counts(t25["age_band"], r, n, region), rng)
        block["gender"] = exact_labels(_region_counts(t25["gender"], r, n, region), rng)
        block["care_type"] = exact_labels(_region_counts(t25["care_type"], r, n, region), rng)
        parts.append(block)
    frame = pd.concat(parts, ignore_index=True)
    frame["informal_care"] = np.where(
        frame["care_type"].isin(["health_informal", "all_three"]), "yes", "no"
    )
    frame["social_care"] = np.where(
        frame["care_type"].isin(["health_social", "all_three"]), "yes", "no"
    )
    frame["health_problem"] = np.where(rng.random(len(frame)) < 0.62, "multiple", "one")
    frame["language"] = np.select(
        [frame["region"] == "Flanders", frame["region"] == "Wallonia"],
        ["nl", "fr"],
        default=np.where(rng.random(len(frame)) < 0.2, "nl", "fr"),
    )
    _providers(frame, targets, rng)
    _informal_types(frame, targets, rng)
    return frame


def _providers(frame: pd.DataFrame, targets: dict[str, Any], rng: np.random.Generator) -> None:
    """Medical providers with table 26's column totals and 89.91 % consulting >= 3."""
    n = len(frame)
    t26 = targets["table26"]
    col = np.array([count_for(t26[c], n) for c in PROVIDER_COLUMNS])
    three_plus = count_for(t26["three_or_more"], n)
    few = n - three_plus
    # rows with one provider must have informal/social care (network rule); 20 of them
    only = (frame["care_type"] == "health_only").to_numpy()
    rows = np.full(n, 3)
    small = rng.permutation(n)[:few]
    ones = [i for i in small if not only[i]][:20]
    rows[small] = 2
    rows[ones] = 1
    big = np.flatnonzero(rows == 3)
    extra = int(col.sum() - rows.sum())
    rows[big] += spread(extra, np.full(len(big), 2), rng)  # 3-5 providers
    matrix = binary_matrix(rows, col, rng)
    for j, column in enumerate(PROVIDER_COLUMNS):
        frame[column] = matrix[:, j]


def _informal_types(frame: pd.DataFrame, targets: dict[str, Any], rng: np.random.Generator) -> None:
    """Who gives informal care: table 27's totals, every carer type >= 1 per respondent."""
    informal = np.flatnonzero(frame["informal_care"].to_numpy() == "yes")
    n = len(informal)
    t27 = targets["table27"]
    col = np.array([count_for(t27[c], n) for c in INFORMAL_COLUMNS])
    rows = np.ones(n, dtype=int) + spread(int(col.sum()) - n, np.full(n, 2), rng)
    matrix = binary_matrix(rows, col, rng)
    for j, column in enumerate(INFORMAL_COLUMNS):
        values = np.zeros(len(frame), dtype=int)
        values[informal] = matrix[:, j]
        frame[column] = values


def _excluded_block(targets: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    """The 512 respondents outside the analysis sample (no problem / no network / no PACIC)."""
    flow = targets["flow"]
    n_health, n_network, n_pacic = (
        flow["no_health_problem"],
        flow["no_care_network"],
        flow["all_pacic_invalid"],
    )
    n_out = n_health + n_network
    wal = round(flow["excluded_wallonia_share"] * n_out / 100)
    regions = exact_labels(
        {
            "Wallonia": wal,
            "Flanders": round((n_out - wal) * 0.85),
            "Brussels": n_out - wal - round((n_out - wal) * 0.85),
        },
        rng,
    )
    young = np.array([0.05, 0.13, 0.2, 0.22, 0.2, 0.14, 0.06])
    sample_like = np.array([0.014, 0.053, 0.118, 0.176, 0.242, 0.259, 0.138])
    n = n_out + n_pacic
    frame = pd.DataFrame(
        {
            "region": np.concatenate([regions, rng.choice(REGIONS, n_pacic, p=[0.62, 0.33, 0.05])]),
            "age_band": np.concatenate(
                [
                    rng.choice(AGE_BANDS, n_out, p=young),
                    rng.choice(AGE_BANDS, n_pacic, p=sample_like),
                ]
            ),
            "gender": rng.choice(["male", "female"], n, p=[0.37, 0.63]),
        }
    )
    kind = np.array(["none"] * n_health + ["nonetwork"] * n_network + ["nopacic"] * n_pacic)
    frame["_kind"] = kind
    frame["health_problem"] = np.where(
        kind == "none", "none", np.where(rng.random(n) < 0.45, "multiple", "one")
    )
    frame["language"] = np.select(
        [frame["region"] == "Flanders", frame["region"] == "Wallonia"],
        ["nl", "fr"],
        default=np.where(rng.random(n) < 0.2, "nl", "fr"),
    )
    n_prov = np.where(kind == "nonetwork", rng.integers(0, 2, n), rng.integers(1, 5, n))
    prob = np.array([0.9, 0.7, 0.15, 0.4, 0.5])
    for column in PROVIDER_COLUMNS:
        frame[column] = 0
    for i in range(n):
        picks = rng.choice(5, size=n_prov[i], replace=False, p=prob / prob.sum())
        for j in picks:
            frame.loc[i, PROVIDER_COLUMNS[j]] = 1
    has_two = frame[list(PROVIDER_COLUMNS)].sum(axis=1).to_numpy() >= 2
    frame["informal_care"] = np.where((kind != "nonetwork") & (rng.random(n) < 0.4), "yes", "no")
    frame["social_care"] = np.where((kind != "nonetwork") & (rng.random(n) < 0.3), "yes", "no")
    # the 75 keep a network: at least two providers or informal/social care
    fix = (kind == "nopacic") & ~has_two & (frame["informal_care"] == "no")
    frame.loc[fix, "social_care"] = "yes"
    frame.loc[fix & (frame[list(PROVIDER_COLUMNS)].sum(axis=1) == 0), "care_gp"] = 1
    frame.loc[kind == "none", "informal_care"] = np.where(
        rng.random(int((kind == "none").sum())) < 0.05, "no_answer", "no"
    )
    frame["care_type"] = np.select(
        [
            (frame["informal_care"] == "yes") & (frame["social_care"] == "yes"),
            frame["informal_care"] == "yes",
            frame["social_care"] == "yes",
        ],
        ["all_three", "health_informal", "health_social"],
        default="health_only",
    )
    informal = frame["informal_care"] == "yes"
    for column in INFORMAL_COLUMNS:
        frame[column] = 0
    frame.loc[informal, "informal_household"] = 1
    frame.loc[informal & (rng.random(n) < 0.3), "informal_family"] = 1
    return frame


# ---------------------------------------------------------------------------- EQ-5D-5L

_EQ_SLOPES = np.array([1.0, 0.85, 1.0, 0.9, 0.75])
_EQ_CUTS = np.array(
    [  # latent cut points between levels 1|2, 2|3, 3|4, 4|5
        [-0.4, 0.35, 1.35, 2.4],
        [0.6, 1.3, 2.1, 2.9],
        [-0.55, 0.35, 1.35, 2.4],
        [-1.35, -0.25, 1.1, 2.25],
        [-0.75, 0.25, 1.3, 2.3],
    ]
)


def _health(frame: pd.DataFrame, params: Params, rng: np.random.Generator) -> np.ndarray:
    eff = params.health
    older = frame["age_band"].isin(["55-64", "65-74", "75+"]).to_numpy()
    h = (
        eff["multiple_problems"] * (frame["health_problem"] == "multiple").to_numpy()
        + eff["informal_care"] * (frame["informal_care"] == "yes").to_numpy()
        + eff["social_care"] * (frame["social_care"] == "yes").to_numpy()
        + eff["age_55_plus"] * older
        + eff["brussels"] * (frame["region"] == "Brussels").to_numpy()
        + eff["wallonia"] * (frame["region"] == "Wallonia").to_numpy()
        + params.health_shift
        + rng.standard_normal(len(frame))
    )
    # those outside the sample are healthier (report: better HRQoL, younger)
    if "_kind" in frame:
        h = h + np.where(frame["_kind"].isin(["none", "nonetwork"]), 0.9, 0.0)
    return h


def _eq_dimensions(h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    severity = -h[:, None] * _EQ_SLOPES[None, :] + 0.8 * rng.standard_normal((len(h), 5))
    return 1 + (severity[:, :, None] > _EQ_CUTS[None, :, :]).sum(axis=2)


def _fit_vas(values: np.ndarray, total: int, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Nudge integer VAS values (0-100) to an exact sum and an SD within 0.001 of `sd`."""
    x = values.astype(int).copy()
    n = len(x)
    for _ in range(200000):
        gap = int(x.sum()) - total
        if gap:
            step = -1 if gap > 0 else 1
            ok = np.flatnonzero((x + step >= 0) & (x + step <= 100))
            x[rng.choice(ok, size=min(abs(gap), len(ok)), replace=False)] += step
            continue
        m, s = x.mean(), x.std(ddof=1)
        if abs(s - sd) < 0.001:
            return x
        # widen or narrow the spread, keeping the sum: move a high and a low value
        hi = np.flatnonzero((x > m) & (x < 100) & (x > 0))
        lo = np.flatnonzero((x < m) & (x > 0) & (x < 100))
        i, j = rng.choice(hi), rng.choice(lo)
        step = 1 if s < sd else -1
        x[i] += step
        x[j] -= step
    raise RuntimeError(f"EQ-VAS did not converge to sum {total}, SD {sd} for n={n}")


def vas_plan(targets: dict[str, Any]) -> dict[str, tuple[int, float]]:
    """Exact VAS sum and SD per region such that regions AND Belgium round as printed.

    The printed regional means leave a few possible integer sums each; only some
    combinations also give the printed Belgian mean (for report 359 only one).  The SDs
    are then picked inside each region's rounding window so that the pooled SD rounds to
    the printed Belgian SD with the widest margin.
    """
    printed = dict(zip([*REGIONS, "Belgium"], targets["table25"]["eq_vas_mean_sd"], strict=True))
    sizes = targets["regions"]
    big_n = sum(sizes.values())
    sums = {
        r: [k for k in range(101 * sizes[r]) if round(k / sizes[r] + 1e-12, 2) == printed[r][0]]
        for r in REGIONS
    }
    combos = [
        c
        for c in np.array(np.meshgrid(*sums.values())).T.reshape(-1, 3)
        if round(c.sum() / big_n + 1e-12, 2) == printed["Belgium"][0]
    ]
    if not combos:
        raise ValueError("no integer VAS sums reproduce table 25's means")
    centre = [printed[r][0] * sizes[r] for r in REGIONS]
    chosen = min(combos, key=lambda c: float(np.abs(c - centre).sum()))
    grid = np.round(np.arange(-0.004, 0.0041, 0.001), 3)
    best, best_margin = None, -1.0
    for deltas in np.array(np.meshgrid(grid, grid, grid)).T.reshape(-1, 3):
        sds = [printed[r][1] + d for r, d in zip(REGIONS, deltas, strict=True)]
        ss = sum(
            (sizes[r] - 1) * sd**2 + k**2 / sizes[r]
            for r, sd, k in zip(REGIONS, sds, chosen, strict=True)
        )
        pooled = np.sqrt((ss - chosen.sum() ** 2 / big_n) / (big_n - 1))
        margin = 0.005 - abs(pooled - printed["Belgium"][1])
        if margin > best_margin:
            best, best_margin = sds, margin
    if best is None or best_margin < 0.0015:
        raise ValueError("no regional VAS SDs reproduce table 25's pooled SD")
    return {r: (int(k), float(sd)) for r, k, sd in zip(REGIONS, chosen, best, strict=True)}


# ------------------------------------------------------------------------------- PACIC


def _design(frame: pd.DataFrame, index: np.ndarray) -> dict[str, np.ndarray]:
    vas = frame["eq_vas"].to_numpy(float)
    return {
        "male": (frame["gender"] == "male").to_numpy(float),
        "no_informal_care": (frame["informal_care"] == "no").to_numpy(float),
        "no_social_care": (frame["social_care"] == "no").to_numpy(float),
        "several_care_types": (frame["care_type"] != "health_only").to_numpy(float),
        "french": (frame["language"] == "fr").to_numpy(float),
        "multiple_problems": (frame["health_problem"] == "multiple").to_numpy(float),
        "age_55_plus": frame["age_band"].isin(["55-64", "65-74", "75+"]).to_numpy(float),
        # HRQoL: average of standardised VAS and index, so both models see it
        "hrqol": 0.5 * ((vas - vas.mean()) / vas.std() + (index - index.mean()) / index.std()),
    }


def _pacic_block(
    frame: pd.DataFrame,
    counts: dict[tuple[str, str], np.ndarray],
    n15: int,
    z: np.ndarray,
    params: Params,
    rng: np.random.Generator,
) -> np.ndarray:
    """Answer codes (object array, n x 20) with every item x region count exact."""
    answers = np.empty((len(frame), len(ITEMS)), dtype=object)
    regions = frame["region"].to_numpy()
    sizes = {r: int((regions == r).sum()) for r in REGIONS}
    # respondents below 15 valid items, split over regions in proportion to size
    low_total = len(frame) - n15
    low_n = {r: round(low_total * sizes[r] / len(frame)) for r in REGIONS}
    low_n["Flanders"] += low_total - sum(low_n.values())
    for region in REGIONS:
        rows = np.flatnonzero(regions == region)
        c = np.array([counts[(item, region)] for item in ITEMS])  # 20 x 7
        invalid = c[:, 5] + c[:, 6]
        w = np.exp(-params.low_responder_z * z[rows])
        low = rng.choice(len(rows), size=low_n[region], replace=False, p=w / w.sum())
        quota = np.zeros(len(rows), dtype=int)
        quota[low] = rng.integers(6, 20, size=len(low))  # 6-19 invalid: 1-14 valid
        rest = np.setdiff1d(np.arange(len(rows)), low)
        caps = np.zeros(len(rows), dtype=int)
        caps[rest] = 5
        quota += spread(int(invalid.sum() - quota.sum()), caps, rng)
        skip = binary_matrix(quota, invalid, rng).astype(bool)
        weight = np.where(np.isin(np.arange(len(rows)), low), 3.0, 1.0)
        for j in range(len(ITEMS)):
            cells = np.flatnonzero(skip[:, j])
            p = weight[cells] / weight[cells].sum()
            blank = rng.choice(cells, size=c[j, 6], replace=False, p=p)
            col = np.full(len(rows), "", dtype=object)
            col[cells] = "NA"
            col[blank] = ""
            valid = np.flatnonzero(~skip[:, j])
            key = z[rows[valid]] + params.tau * rng.standard_normal(len(valid))
            order = valid[np.argsort(-key, kind="stable")]
            scores = np.repeat(np.array(["5", "4", "3", "2", "1"], dtype=object), c[j, 4::-1][:5])
            col[order] = scores
            answers[rows, j] = col
    return answers


# -------------------------------------------------------------------------------- main


def base_frame(seed: int, params: Params, targets: dict[str, Any]) -> pd.DataFrame:
    """Everything but the PACIC answers: covariates, EQ-5D-5L, EQ-VAS (seeded by `seed`)."""
    rng = np.random.default_rng(seed)
    included = _included_block(targets, rng)
    excluded = _excluded_block(targets, rng)
    frame = pd.concat([included.assign(_kind="included"), excluded], ignore_index=True)
    h = _health(frame, params, rng)
    eq = _eq_dimensions(h, rng)
    for j, column in enumerate(DIMENSIONS):
        frame[column] = eq[:, j]
    hz = (h - h.mean()) / h.std()
    rho = params.vas_health_corr
    raw = 56.66 + 20.67 * (rho * hz + np.sqrt(1 - rho**2) * rng.standard_normal(len(h)))
    raw = (
        raw
        + params.vas_shift["age_55_plus"]
        * frame["age_band"].isin(["55-64", "65-74", "75+"]).to_numpy()
    )
    raw = raw + params.vas_shift["informal_care"] * (frame["informal_care"] == "yes").to_numpy()
    vas = np.clip(np.rint(raw), 0, 100).astype(int)
    inc = (frame["_kind"] == "included").to_numpy()
    for region, (total, sd) in vas_plan(targets).items():
        rows = np.flatnonzero(inc & (frame["region"] == region).to_numpy())
        vas[rows] = _fit_vas(vas[rows], total, sd, rng)
    frame["eq_vas"] = vas
    return frame


def add_pacic(
    base: pd.DataFrame, pacic_seed: int, params: Params, targets: dict[str, Any], shuffle_seed: int
) -> pd.DataFrame:
    """Add the 20 PACIC answers (seeded by `pacic_seed`) and put the file in its final form."""
    rng = np.random.default_rng(pacic_seed)
    frame = base.copy()
    value_set = ValueSet.from_mapping(yaml.safe_load(VALUE_SET.read_text(encoding="utf-8")))
    index = index_values(frame, value_set).to_numpy()
    inc = (frame["_kind"] == "included").to_numpy()
    design = _design(frame, index)
    z = sum(params.gamma[k] * design[k] for k in params.gamma) + rng.standard_normal(len(frame))
    answers = np.full((len(frame), len(ITEMS)), "", dtype=object)
    rows_in = np.flatnonzero(inc)
    answers[rows_in] = _pacic_block(
        frame.iloc[rows_in].reset_index(drop=True),
        pacic_counts(targets),
        targets["flow"]["fifteen_valid"],
        z[rows_in],
        params,
        rng,
    )
    nopacic = frame["_kind"].eq("nopacic").to_numpy()
    answers[nopacic] = np.where(rng.random((int(nopacic.sum()), len(ITEMS))) < 0.5, "NA", "")
    others = np.flatnonzero(frame["_kind"].isin(["none", "nonetwork"]).to_numpy())
    answers[others] = _free_answers(z[others], rng)
    for j, item in enumerate(ITEMS):
        frame[item] = answers[:, j]
    frame = frame.drop(columns=["_kind", "care_type"])
    order = np.random.default_rng(shuffle_seed).permutation(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "respondent_id", [f"P{k:04d}" for k in range(1, len(frame) + 1)])
    columns = [
        "respondent_id",
        "language",
        "region",
        "age_band",
        "gender",
        "health_problem",
        *PROVIDER_COLUMNS,
        "informal_care",
        "social_care",
        *INFORMAL_COLUMNS,
        *DIMENSIONS,
        "eq_vas",
        *ITEMS,
    ]
    return frame[columns]


def generate(
    seed: int = DEFAULT_SEED,
    params: Params | None = None,
    targets: dict[str, Any] | None = None,
    pacic_seed: int = DEFAULT_PACIC_SEED,
) -> pd.DataFrame:
    """The whole reconstructed file (1 810 rows), deterministic for the two seeds."""
    params = params or Params()
    targets = targets or load_targets()
    frame = add_pacic(base_frame(seed, params, targets), pacic_seed, params, targets, seed)
    return fit_joint(frame, targets, exchanges=_stored_exchanges())


def _value_set() -> ValueSet:
    return ValueSet.from_mapping(yaml.safe_load(VALUE_SET.read_text(encoding="utf-8")))


def _stored_exchanges() -> pd.DataFrame | None:
    if not EXCHANGES.exists():
        return None
    return pd.read_csv(EXCHANGES, dtype=str, keep_default_na=False)


def fit_joint(
    frame: pd.DataFrame,
    targets: dict[str, Any],
    exchanges: pd.DataFrame | None = None,
    steps: int = 300000,
) -> pd.DataFrame:
    """Fit the unpublished joint structure to table 25's index and table 34 (patients_fit).

    The index fit runs every time (seconds).  The exchange search for table 34 takes
    minutes, so its result is stored in `patients_exchanges.csv` and applied; without a
    stored list (`exchanges` None) the search runs.
    """
    value_set = _value_set()
    frame = fit_index(frame, targets, value_set, np.random.default_rng(FIT_SEED))
    if exchanges is None:
        exchanges = search_exchanges(
            frame, targets, value_set, np.random.default_rng(FIT_SEED), steps=steps
        )
    return apply_exchanges(frame, exchanges)


def _free_answers(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """PACIC answers of respondents outside the sample (not published): ~12 % invalid."""
    n = len(z)
    out = np.empty((n, len(ITEMS)), dtype=object)
    for j in range(len(ITEMS)):
        key = z + rng.standard_normal(n)
        q = (key - key.mean()) / key.std()
        score = np.clip(np.rint(2.7 + 1.2 * q), 1, 5).astype(int).astype(str)
        u = rng.random(n)
        out[:, j] = np.where(u < 0.06, "NA", np.where(u < 0.12, "", score))
    return out


def calibration(frame: pd.DataFrame) -> dict[str, Any]:
    """Patient-level results the published text reports, measured on `frame`."""
    from analysis.pacic import analysis_sample, individual_scores
    from analysis.regression import model_table

    value_set = ValueSet.from_mapping(yaml.safe_load(VALUE_SET.read_text(encoding="utf-8")))
    sample = analysis_sample(frame)
    score = individual_scores(sample)
    gender = sample["gender"]
    table = model_table(sample, value_set)
    index = index_values(sample, value_set)
    return {
        "n15": int(score.notna().sum()),
        "mean": float(score.mean()),
        "sd": float(score.std(ddof=1)),
        "male": float(score[gender == "male"].mean()),
        "female": float(score[gender == "female"].mean()),
        "region": {r: float(score[sample["region"] == r].mean()) for r in REGIONS},
        "table34": table,
        "index_mean": float(index.mean()),
        "index_median": float(index.median()),
        "vas_index_r": float(np.corrcoef(index, sample["eq_vas"].astype(float))[0, 1]),
    }


def matches_table34(table: pd.DataFrame, targets: dict[str, Any]) -> bool:
    """Same sign and same stars as table 34 for every term of both models."""
    published = targets["calibration"]["table34"]
    for model, (b_col, s_col) in (("EQ-VAS", (0, 1)), ("EQ-5D-5L index", (2, 3))):
        part = table[table["model"] == model].set_index("term")
        for term, row in published.items():
            if term in ("r2", "adj_r2"):
                continue
            if np.sign(part.loc[term, "beta"]) != np.sign(row[b_col]):
                return False
            if part.loc[term, "stars"] != row[s_col]:
                return False
    return True


def search(
    pacic_seeds: range,
    seed: int = DEFAULT_SEED,
    params: Params | None = None,
) -> list[int]:
    """PACIC seeds whose file matches table 34's signs and stars (the tuning criterion)."""
    params = params or Params()
    targets = load_targets()
    base = base_frame(seed, params, targets)
    found = []
    for pacic_seed in pacic_seeds:
        frame = add_pacic(base, pacic_seed, params, targets, seed)
        if matches_table34(calibration(frame)["table34"], targets):
            found.append(pacic_seed)
    return found


def write(frame: pd.DataFrame, path: Path = OUT) -> None:
    """CSV as the codebook expects: UTF-8, comma, LF, empty cell for no answer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--pacic-seed", type=int, default=DEFAULT_PACIC_SEED)
    parser.add_argument(
        "--refit",
        action="store_true",
        help=f"search the table-34 exchanges again (minutes) and store them in {EXCHANGES.name}",
    )
    parser.add_argument(
        "--resume",
        type=int,
        default=0,
        help="with --refit: continue from the stored exchanges (search seed offset N > 0)",
    )
    parser.add_argument(
        "--polish",
        type=int,
        default=0,
        help="continue from the stored exchanges with patients_fit.polish_exchanges (seed offset"
        " N > 0), keeping every table-34 cell already exact; stores the composed list",
    )
    parser.add_argument(
        "--lift",
        type=int,
        default=0,
        help="continue from the stored exchanges, pulling the EQ-VAS/index correlation towards"
        " the text while every table-34 cell exact stays exact (seed offset N > 0)",
    )
    parser.add_argument(
        "--search",
        type=int,
        default=0,
        help="try PACIC seeds 0..N-1 and list those matching table 34",
    )
    args = parser.parse_args(argv)
    if args.search:
        print(search(range(args.search), args.seed))
        return 0
    if args.polish or args.lift:
        params, targets = Params(), load_targets()
        frame = add_pacic(
            base_frame(args.seed, params, targets), args.pacic_seed, params, targets, args.seed
        )
        fitted = fit_index(frame, targets, _value_set(), np.random.default_rng(FIT_SEED))
        stored = _stored_exchanges()
        if stored is None:
            parser.error(f"--polish continues from {EXCHANGES.name}; run --refit first")
        # --lift runs only the search's last phase (the correlation)
        more = polish_exchanges(
            apply_exchanges(fitted, stored),
            targets,
            _value_set(),
            np.random.default_rng(FIT_SEED + (args.polish or args.lift)),
            steps=(0, 0, 0, LIFT_STEPS) if args.lift else POLISH_STEPS,
            log=print,
        )
        compose_exchanges(stored, more).to_csv(EXCHANGES, index=False, lineterminator="\n")
        print(f"wrote {EXCHANGES} ({len(more)} more exchanged answers)")
    elif args.refit:
        params, targets = Params(), load_targets()
        frame = add_pacic(
            base_frame(args.seed, params, targets), args.pacic_seed, params, targets, args.seed
        )
        fitted = fit_index(frame, targets, _value_set(), np.random.default_rng(FIT_SEED))
        stored = _stored_exchanges() if args.resume else None
        start = fitted if stored is None else apply_exchanges(fitted, stored)
        exchanges = search_exchanges(
            start,
            targets,
            _value_set(),
            np.random.default_rng(FIT_SEED + args.resume),
            keep_exact=stored is not None,
        )
        if stored is not None:
            exchanges = compose_exchanges(stored, exchanges)
        exchanges.to_csv(EXCHANGES, index=False, lineterminator="\n")
        print(f"wrote {EXCHANGES} ({len(exchanges)} exchanged answers)")
    write(generate(args.seed, pacic_seed=args.pacic_seed), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
