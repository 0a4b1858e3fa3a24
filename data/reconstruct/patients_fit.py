"""Fit the unpublished joint structure of the patients' file to tables 25 (index) and 34.

The generator in `patients.py` makes every published *marginal* exact (per region: age,
gender, care network, EQ-VAS mean and SD, every PACIC item's answers).  What the report
does not publish is who holds which answers; that freedom is what this module uses,
in two seeded, deterministic searches that never change a marginal:

1. **EQ-5D-5L index (table 25).**  The five-dimension profiles are not published, only
   the index's median, IQR, mean and SD per region.  One answer level of one respondent
   is moved up or down at a time, and the move is kept when it brings the sixteen
   printed index summaries (and the EQ-VAS/index correlation of the text) closer.
2. **Table 34.**  Inside a region, two respondents exchange their whole set of twenty
   PACIC answers, their EQ-VAS or their EQ-5D-5L profile.  An exchange inside a region
   keeps every table 25-32 cell and the index summaries, but moves the two OLS models of
   table 34; a simulated annealing keeps the exchanges that bring every printed β and
   95 % confidence bound closer to the print.

The OLS normal equations are updated row by row (two rows change per exchange), so a
search of a few hundred thousand exchanges takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.eq5d import DIMENSIONS, ValueSet
from analysis.pacic import ITEMS, analysis_sample
from analysis.regression import TERMS, design_frame

REGIONS = ("Flanders", "Wallonia", "Brussels")
COVARIATES = [t for t in TERMS if t != "hrqol"]


def decimals(text: str) -> int:
    """Printed number of decimals of a number written as text."""
    return len(text.split(".")[1]) if "." in text else 0


# ------------------------------------------------------------------ 1. index summaries


def _index_targets(targets: dict[str, Any]) -> np.ndarray:
    """(4 groups x 4 stats) median, IQR, mean, SD: Flanders, Wallonia, Brussels, Belgium."""
    t25 = targets["table25"]
    return np.array(
        [
            [*mi, *ms]
            for mi, ms in zip(t25["eq_index_median_iqr"], t25["eq_index_mean_sd"], strict=True)
        ]
    )


def _summaries(values: np.ndarray) -> np.ndarray:
    q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75])
    return np.array([q50, q75 - q25, values.mean(), values.std(ddof=1)])


def fit_index(
    frame: pd.DataFrame,
    targets: dict[str, Any],
    value_set: ValueSet,
    rng: np.random.Generator,
    steps: int = 60000,
) -> pd.DataFrame:
    """Move single EQ-5D-5L answer levels until table 25's index summaries round as printed.

    Only respondents of the analysis sample are touched (the table describes them); the
    EQ-VAS/index correlation of the text (0.69) is held as a soft target so that the
    index keeps measuring the same health as the VAS.
    """
    frame = frame.copy()
    rows = analysis_sample(frame).index.to_numpy()
    levels = frame.loc[rows, list(DIMENSIONS)].to_numpy(int).copy()
    region = frame.loc[rows, "region"].to_numpy()
    vas = pd.to_numeric(frame.loc[rows, "eq_vas"], errors="coerce").to_numpy(float).copy()
    weights = np.asarray(value_set.dimension_weights)
    lw = np.asarray(value_set.level_weights)

    def value(lv: np.ndarray) -> np.ndarray:
        v = 1.0 - value_set.intercept - (weights * lw[lv - 1]).sum(axis=-1)
        return np.where((lv == 1).all(axis=-1), 1.0, v)

    idx = value(levels)
    target = _index_targets(targets)
    r_target = float(targets["calibration"]["vas_index_correlation"])
    groups = [np.flatnonzero(region == r) for r in REGIONS] + [np.arange(len(rows))]

    def group_loss(g: int, values: np.ndarray) -> float:
        e = np.abs(_summaries(values[groups[g]]) - target[g]) / 0.005
        return float((np.maximum(e - 0.6, 0.0) ** 2).sum())

    def corr_loss(values: np.ndarray) -> float:
        r = np.corrcoef(values, vas)[0, 1]
        return float(max(abs(r - r_target) / 0.005 - 0.8, 0.0) ** 2)

    parts = [group_loss(g, idx) for g in range(4)]
    closs = corr_loss(idx)
    for _ in range(steps):
        if sum(parts) == 0.0:
            break
        i = int(rng.integers(len(rows)))
        d = int(rng.integers(5))
        new = levels[i, d] + (1 if rng.random() < 0.5 else -1)
        if not 1 <= new <= 5:
            continue
        old_level, old_value = levels[i, d], idx[i]
        levels[i, d] = new
        idx[i] = value(levels[i])
        g = REGIONS.index(region[i])
        trial = [group_loss(g, idx), group_loss(3, idx)]
        tc = corr_loss(idx)
        if trial[0] + trial[1] + tc <= parts[g] + parts[3] + closs:
            parts[g], parts[3], closs = trial[0], trial[1], tc
        else:
            levels[i, d], idx[i] = old_level, old_value
    for j, column in enumerate(DIMENSIONS):
        frame.loc[rows, column] = levels[:, j]
    return frame


# ------------------------------------------------------------------------- 2. table 34

#: Dummies whose joint distribution the report publishes (table 25's care network per
#: region): a term's confidence interval cannot be narrower than its regression on these.
_CARE_TERMS = ("no_informal_care", "no_social_care", "several_care_types")


@dataclass
class Printed:
    """Printed cells of one table-34 model, in `TERMS` order: value and rounding half-window."""

    beta: np.ndarray
    beta_hw: np.ndarray
    low: np.ndarray
    low_hw: np.ndarray
    high: np.ndarray
    high_hw: np.ndarray
    r2: float
    r2_hw: float


def printed_model(targets: dict[str, Any], model: int) -> Printed:
    """Model 0 (EQ-VAS) or 1 (index) of ``calibration.table34_printed`` and its R²."""
    rows = targets["calibration"]["table34_printed"]
    cells = [[rows[t][3 * model + k] for t in TERMS] for k in range(3)]
    values = [np.array([float(x) for x in c]) for c in cells]
    halves = [np.array([0.5 * 10.0 ** -decimals(x) for x in c]) for c in cells]
    r2 = str(targets["calibration"]["table34"]["r2"][model])
    return Printed(
        *[a for pair in zip(values, halves, strict=True) for a in pair],
        float(r2),
        0.5 * 10.0 ** -decimals(r2),
    )


def narrowest_ci(design: pd.DataFrame, r2: float, t: float) -> dict[str, float]:
    """Smallest 95 % CI half-width any file with these published margins can give a term.

    SE_j = sigma / sqrt(RSS_j), where RSS_j is the residual sum of squares of term j
    regressed on the other terms.  Dropping regressors can only raise RSS_j, so
    regressing a dummy on the constant alone (or, for the care-network dummies, on the
    constant and the two other care-network dummies, whose joint counts table 25
    publishes) bounds RSS_j from above and the half-width from below.  sigma follows
    from the sample's PACIC scores (their spread is fixed by tables 28-32) and the
    printed R².
    """
    data = design.dropna()
    y = data["pacic_score"].to_numpy(float)
    n, p = len(y), len(TERMS) + 1
    tss = float(((y - y.mean()) ** 2).sum())
    sigma = np.sqrt(tss * (1 - r2) / (n - p))
    out = {}
    for term in TERMS:
        if term == "hrqol":
            continue
        others = [c for c in _CARE_TERMS if c != term] if term in _CARE_TERMS else []
        x = np.column_stack([np.ones(n), data[others].to_numpy(float)])
        xj = data[term].to_numpy(float)
        resid = xj - x @ np.linalg.lstsq(x, xj, rcond=None)[0]
        out[term] = float(t * sigma / np.sqrt(resid @ resid))
    return out


class _Normal:
    """X'X, X'y and y'y of the complete cases, updated one row at a time."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y
        ok = self.ok = ~np.isnan(x).any(axis=1) & ~np.isnan(y)
        xs, ys = np.where(ok[:, None], x, 0.0), np.where(ok, y, 0.0)
        self.g = xs.T @ xs
        self.b = xs.T @ ys
        self.yy = float(ys @ ys)
        self.sy = float(ys.sum())
        self.n = int(ok.sum())

    def row(self, i: int, sign: float) -> None:
        if self.ok[i]:
            xi = self.x[i]
            self.g += sign * np.outer(xi, xi)
            self.b += sign * xi * self.y[i]
            self.yy += sign * self.y[i] ** 2
            self.sy += sign * self.y[i]
            self.n += int(sign)

    def refresh(self, i: int) -> None:
        self.ok[i] = not (np.isnan(self.x[i]).any() or np.isnan(self.y[i]))

    def fit(self, cols: list[int], t: float) -> tuple[np.ndarray, np.ndarray, float]:
        """β, 95 % half-widths and R² of the OLS on columns `cols` (column 0: constant)."""
        inv = np.linalg.inv(self.g[np.ix_(cols, cols)])
        b = self.b[cols]
        beta = inv @ b
        rss = self.yy - float(beta @ b)
        tss = self.yy - self.sy**2 / self.n
        sigma2 = rss / (self.n - len(cols))
        return beta, t * np.sqrt(np.maximum(sigma2 * np.diag(inv), 0.0)), 1 - rss / tss


def cell_errors(
    beta: np.ndarray, half: np.ndarray, r2: float, p: Printed, ci_mask: np.ndarray
) -> np.ndarray:
    """Distance of each fitted cell from its printed value, in rounding half-windows.

    Below 1 the cell rounds as printed.  Confidence bounds outside `ci_mask` (narrower
    than any file allows) are left out.
    """
    b = beta[1:]
    return np.concatenate(
        [
            np.abs(b - p.beta) / p.beta_hw,
            (np.abs(b - half[1:] - p.low) / p.low_hw)[ci_mask],
            (np.abs(b + half[1:] - p.high) / p.high_hw)[ci_mask],
            [abs(r2 - p.r2) / p.r2_hw],
        ]
    )


def search_exchanges(
    frame: pd.DataFrame,
    targets: dict[str, Any],
    value_set: ValueSet,
    rng: np.random.Generator,
    steps: int = 400000,
    slack: float = 0.8,
    temperature: float = 0.5,
    keep_exact: bool = False,
) -> pd.DataFrame:
    """Exchanges between two respondents of a region that bring table 34 to its print.

    Returns the exchanges as ``kind, respondent_id, from_id`` (the respondent whose
    answers of that kind `respondent_id` receives); `apply_exchanges` applies them.

    Exchanged: the whole set of PACIC answers, the EQ-VAS, the EQ-5D-5L profile, or one
    of the covariates whose cross-tabulations the report does not publish (gender, age
    band, one or several health problems).

    The loss is the sum of squared distances (in rounding half-windows, `cell_errors`)
    of every printed β, confidence bound and R² of both models and of the EQ-VAS/index
    correlation; bounds narrower than `narrowest_ci` allows are left out (no file can
    print them).  An exchange that lowers the loss is kept, a worse one with a small
    probability (`temperature`); the search stops when every cell lies within `slack`
    of its window, or after `steps` exchanges.  With `keep_exact` (a resumed search) no
    exchange may push a cell that already rounds as printed out of its window.
    """
    rows = analysis_sample(frame).index.to_numpy()
    sample = frame.loc[rows]
    region = sample["region"].to_numpy()
    vas_design = design_frame(sample, "eq_vas")
    idx_design = design_frame(sample, "eq_index", value_set)
    covariates = [t for t in TERMS if t != "hrqol"]
    x = np.column_stack(
        [
            np.ones(len(rows)),
            vas_design[covariates].to_numpy(float),
            vas_design["hrqol"].to_numpy(float),
            idx_design["hrqol"].to_numpy(float),
        ]
    )
    y = vas_design["pacic_score"].to_numpy(float).copy()
    normal = _Normal(x, y)
    t = float(stats.t.ppf(0.975, normal.n - len(TERMS) - 1))
    models = []
    for model, (design, hrqol_col) in enumerate(((vas_design, 8), (idx_design, 9))):
        printed = printed_model(targets, model)
        bound = narrowest_ci(design, printed.r2, t)
        half = (printed.high - printed.low) / 2
        ci_mask = np.array(
            [half[k] + printed.high_hw[k] >= bound.get(term, 0.0) for k, term in enumerate(TERMS)]
        )
        models.append(([0, hrqol_col, *range(1, 8)], printed, ci_mask))
    # what an exchange moves: its column of `x` (None: the outcome) and the data columns
    kinds: dict[str, tuple[int | None, list[str]]] = {
        "pacic": (None, list(ITEMS)),
        "vas": (8, ["eq_vas"]),
        "eq": (9, list(DIMENSIONS)),
        "gender": (1, ["gender"]),
        "age": (2, ["age_band"]),
        "problem": (4, ["health_problem"]),
    }
    names = list(kinds)
    perm = {k: np.arange(len(rows)) for k in kinds}
    by_region = [np.flatnonzero(region == r) for r in REGIONS]
    share = np.array([len(g) for g in by_region], dtype=float)
    share /= share.sum()

    r_target = float(targets["calibration"]["vas_index_correlation"])

    def errors() -> np.ndarray:
        parts = []
        for cols, printed, mask in models:
            beta, half, r2 = normal.fit(cols, t)
            parts.append(cell_errors(beta, half, r2, printed, mask))
        # the EQ-VAS/index correlation of the text (two decimals) is kept as well
        g, n = normal.g, normal.n
        cov = g[8, 9] - g[0, 8] * g[0, 9] / n
        r = cov / np.sqrt((g[8, 8] - g[0, 8] ** 2 / n) * (g[9, 9] - g[0, 9] ** 2 / n))
        parts.append([abs(r - r_target) / 0.005])
        return np.concatenate(parts)

    def exchange(i: int, j: int, kind: str) -> None:
        normal.row(i, -1.0)
        normal.row(j, -1.0)
        c = kinds[kind][0]
        if c is None:
            y[i], y[j] = y[j], y[i]
        else:
            x[i, c], x[j, c] = x[j, c], x[i, c]
        perm[kind][i], perm[kind][j] = perm[kind][j], perm[kind][i]
        normal.refresh(i)
        normal.refresh(j)
        normal.row(i, 1.0)
        normal.row(j, 1.0)

    err = errors()
    current = float((err**2).sum())
    # a resumed search never gives up a cell that already rounds as printed
    protected = err < 1.0 if keep_exact else np.zeros(len(err), dtype=bool)
    for _ in range(steps):
        if err.max() < slack:
            break
        group = by_region[int(rng.choice(3, p=share))]
        i, j = (int(k) for k in rng.choice(group, 2, replace=False))
        kind = names[int(rng.integers(len(names)))]
        exchange(i, j, kind)
        trial_err = errors()
        trial = float((trial_err**2).sum())
        if (trial_err[protected] >= 0.98).any():
            exchange(i, j, kind)
            continue
        if trial <= current or rng.random() < np.exp((current - trial) / temperature):
            current, err = trial, trial_err
        else:
            exchange(i, j, kind)
    ids = sample["respondent_id"].to_numpy()
    moved = [
        {"kind": kind, "respondent_id": ids[k], "from_id": ids[perm[kind][k]]}
        for kind in kinds
        for k in np.flatnonzero(perm[kind] != np.arange(len(rows)))
    ]
    return pd.DataFrame(moved, columns=["kind", "respondent_id", "from_id"])


#: Data columns each kind of exchange moves.
EXCHANGED: dict[str, list[str]] = {
    "pacic": list(ITEMS),
    "vas": ["eq_vas"],
    "eq": list(DIMENSIONS),
    "gender": ["gender"],
    "age": ["age_band"],
    "problem": ["health_problem"],
}


def apply_exchanges(frame: pd.DataFrame, exchanges: pd.DataFrame) -> pd.DataFrame:
    """Give each listed respondent the answers of `from_id` (one kind of exchange at a time).

    A stored exchange list must fit the file: every id must exist and each kind must be a
    permutation inside a region, or the list was made for another file.
    """
    frame = frame.copy()
    position = pd.Series(np.arange(len(frame)), index=frame["respondent_id"])
    for kind, part in exchanges.groupby("kind", sort=False):
        if kind not in EXCHANGED:
            raise ValueError(f"exchanges: unknown kind {kind!r}")
        missing = set(part["respondent_id"]) - set(position.index) | (
            set(part["from_id"]) - set(position.index)
        )
        if missing:
            raise ValueError(f"exchanges ({kind}): unknown respondents {sorted(missing)[:3]}")
        if sorted(part["respondent_id"]) != sorted(part["from_id"]):
            raise ValueError(f"exchanges ({kind}): not a permutation; re-run the search")
        to = position[part["respondent_id"]].to_numpy()
        src = position[part["from_id"]].to_numpy()
        regions = frame["region"].to_numpy()
        if (regions[to] != regions[src]).any():
            raise ValueError(f"exchanges ({kind}): an exchange crosses regions")
        columns = EXCHANGED[kind]
        values = frame[columns].to_numpy(copy=True)
        values[to] = frame[columns].to_numpy()[src]
        frame[columns] = values
    return frame


def compose_exchanges(first: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """One exchange list equal to applying `first`, then `then` (a resumed search).

    After `first`, respondent r holds the answers of first(r); `then` gives r what
    then(r) held, so r ends with the answers of first(then(r)).
    """
    rows = []
    for kind in EXCHANGED:
        a = dict(first.loc[first["kind"] == kind, ["respondent_id", "from_id"]].to_numpy())
        b = dict(then.loc[then["kind"] == kind, ["respondent_id", "from_id"]].to_numpy())
        for r in sorted(set(a) | set(b)):
            source = a.get(b.get(r, r), b.get(r, r))
            if source != r:
                rows.append({"kind": kind, "respondent_id": r, "from_id": source})
    return pd.DataFrame(rows, columns=["kind", "respondent_id", "from_id"])
