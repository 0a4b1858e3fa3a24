"""Fit the unpublished joint structure of the patients' file to tables 25 (index) and 34.

The generator in `patients.py` makes every published *marginal* exact (per region: age,
gender, care network, EQ-VAS mean and SD, every PACIC item's answers).  What the report
does not publish is who holds which answers; that freedom is what this module uses,
in seeded, deterministic searches that never change a marginal:

1. **EQ-5D-5L index (table 25).**  The five-dimension profiles are not published, only
   the index's median, IQR, mean and SD per region.  One answer level of one respondent
   is moved up or down at a time, and the move is kept when it brings the sixteen
   printed index summaries (and the EQ-VAS/index correlation of the text) closer.
2. **Table 34.**  Inside a region, two respondents exchange their whole set of twenty
   PACIC answers, their EQ-VAS or their EQ-5D-5L profile.  An exchange inside a region
   keeps every table 25-32 cell and the index summaries, but moves the two OLS models of
   table 34; a simulated annealing keeps the exchanges that bring every printed β and
   95 % confidence bound closer to the print.

3. **Polishing table 34.**  A resumed search (`polish_exchanges`) that widens standard
   errors at fixed βs in phases and keeps its result only if every cell exact before
   still is.

The OLS normal equations are updated row by row (two rows change per exchange), so a
search of a few hundred thousand exchanges takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from analysis.eq5d import DIMENSIONS, ValueSet
from analysis.pacic import ITEMS, analysis_sample, individual_scores
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


def cell_deviations(
    beta: np.ndarray, half: np.ndarray, r2: float, p: Printed, ci_mask: np.ndarray
) -> np.ndarray:
    """Signed distance of each fitted cell from its printed value, in rounding half-windows.

    Between -1 and 1 the cell rounds as printed.  Confidence bounds outside `ci_mask`
    (narrower than any file allows) are left out.
    """
    b = beta[1:]
    return np.concatenate(
        [
            (b - p.beta) / p.beta_hw,
            ((b - half[1:] - p.low) / p.low_hw)[ci_mask],
            ((b + half[1:] - p.high) / p.high_hw)[ci_mask],
            [(r2 - p.r2) / p.r2_hw],
        ]
    )


def cell_errors(
    beta: np.ndarray, half: np.ndarray, r2: float, p: Printed, ci_mask: np.ndarray
) -> np.ndarray:
    """Unsigned `cell_deviations`: below 1 the cell rounds as printed."""
    return np.abs(cell_deviations(beta, half, r2, p, ci_mask))


class _Table34:
    """Both table-34 models of a sample under exchanges, kept as updatable normal equations.

    Column 0 of `x` is the constant, 1-7 the covariates in `TERMS` order, 8 the EQ-VAS and
    9 the EQ-5D-5L index; `y` is the PACIC score.  `perm[kind][k]` is the respondent whose
    answers of that kind respondent `k` holds now.
    """

    #: what an exchange moves: its column of `x` (None: the outcome)
    KINDS: ClassVar[dict[str, int | None]] = {
        "pacic": None,
        "vas": 8,
        "eq": 9,
        "gender": 1,
        "age": 2,
        "problem": 4,
    }

    def __init__(self, frame: pd.DataFrame, targets: dict[str, Any], value_set: ValueSet) -> None:
        rows = analysis_sample(frame).index.to_numpy()
        self.sample = frame.loc[rows]
        self.region = self.sample["region"].to_numpy()
        vas_design = design_frame(self.sample, "eq_vas")
        idx_design = design_frame(self.sample, "eq_index", value_set)
        self.x = np.column_stack(
            [
                np.ones(len(rows)),
                vas_design[COVARIATES].to_numpy(float),
                vas_design["hrqol"].to_numpy(float),
                idx_design["hrqol"].to_numpy(float),
            ]
        )
        self.y = vas_design["pacic_score"].to_numpy(float).copy()
        self.normal = _Normal(self.x, self.y)
        self.t = float(stats.t.ppf(0.975, self.normal.n - len(TERMS) - 1))
        self.models = []
        for model, (design, hrqol_col) in enumerate(((vas_design, 8), (idx_design, 9))):
            printed = printed_model(targets, model)
            bound = narrowest_ci(design, printed.r2, self.t)
            half = (printed.high - printed.low) / 2
            ci_mask = np.array(
                [
                    half[k] + printed.high_hw[k] >= bound.get(term, 0.0)
                    for k, term in enumerate(TERMS)
                ]
            )
            self.models.append(([0, hrqol_col, *range(1, 8)], printed, ci_mask))
        self.perm = {k: np.arange(len(rows)) for k in self.KINDS}
        self.by_region = [np.flatnonzero(self.region == r) for r in REGIONS]
        share = np.array([len(g) for g in self.by_region], dtype=float)
        self.share = share / share.sum()
        self.r_target = float(targets["calibration"]["vas_index_correlation"])
        # EQ-VAS x index over the whole sample (the text's correlation), kept up to date
        both = ~np.isnan(self.x[:, 8]) & ~np.isnan(self.x[:, 9])
        self._both = both
        self._s89 = float((self.x[both, 8] * self.x[both, 9]).sum())

    def correlation(self) -> float:
        """EQ-VAS/index correlation of the complete cases."""
        g, n = self.normal.g, self.normal.n
        cov = g[8, 9] - g[0, 8] * g[0, 9] / n
        return float(cov / np.sqrt((g[8, 8] - g[0, 8] ** 2 / n) * (g[9, 9] - g[0, 9] ** 2 / n)))

    def sample_correlation(self) -> float:
        """EQ-VAS/index correlation over the whole analysis sample, as the text reports it."""
        v, q = self.x[self._both, 8], self.x[self._both, 9]
        n = len(v)
        cov = self._s89 - v.sum() * q.sum() / n
        return float(cov / np.sqrt((v @ v - v.sum() ** 2 / n) * (q @ q - q.sum() ** 2 / n)))

    def deviations(self) -> np.ndarray:
        """`cell_deviations` of both models (the printed cells and the two R²)."""
        parts = []
        for cols, printed, mask in self.models:
            beta, half, r2 = self.normal.fit(cols, self.t)
            parts.append(cell_deviations(beta, half, r2, printed, mask))
        return np.concatenate(parts)

    def errors(self) -> np.ndarray:
        """`cell_errors` of both models, then the correlation's distance from the text."""
        parts = []
        for cols, printed, mask in self.models:
            beta, half, r2 = self.normal.fit(cols, self.t)
            parts.append(cell_errors(beta, half, r2, printed, mask))
        # the EQ-VAS/index correlation of the text (two decimals) is kept as well
        parts.append([abs(self.correlation() - self.r_target) / 0.005])
        return np.concatenate(parts)

    def exchange(self, i: int, j: int, kind: str) -> None:
        """Swap the answers of `kind` between respondents i and j (its own inverse)."""
        normal, x, y = self.normal, self.x, self.y
        normal.row(i, -1.0)
        normal.row(j, -1.0)
        c = self.KINDS[kind]
        if c is None:
            y[i], y[j] = y[j], y[i]
        else:
            if c in (8, 9) and self._both[i] and self._both[j]:
                before = x[i, 8] * x[i, 9] + x[j, 8] * x[j, 9]
                x[i, c], x[j, c] = x[j, c], x[i, c]
                self._s89 += x[i, 8] * x[i, 9] + x[j, 8] * x[j, 9] - before
            else:
                x[i, c], x[j, c] = x[j, c], x[i, c]
        perm = self.perm[kind]
        perm[i], perm[j] = perm[j], perm[i]
        normal.refresh(i)
        normal.refresh(j)
        normal.row(i, 1.0)
        normal.row(j, 1.0)

    def exchanges(self, perms: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """The exchanges made so far (or those of `perms`) as ``kind, respondent_id, from_id``."""
        ids = self.sample["respondent_id"].to_numpy()
        moved = [
            {"kind": kind, "respondent_id": ids[k], "from_id": ids[perm[k]]}
            for kind, perm in (perms or self.perm).items()
            for k in np.flatnonzero(perm != np.arange(len(perm)))
        ]
        return pd.DataFrame(moved, columns=["kind", "respondent_id", "from_id"])


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
    fit = _Table34(frame, targets, value_set)
    names = list(fit.KINDS)
    err = fit.errors()
    current = float((err**2).sum())
    # a resumed search never gives up a cell that already rounds as printed
    protected = err < 1.0 if keep_exact else np.zeros(len(err), dtype=bool)
    for _ in range(steps):
        if err.max() < slack:
            break
        group = fit.by_region[int(rng.choice(3, p=fit.share))]
        i, j = (int(k) for k in rng.choice(group, 2, replace=False))
        kind = names[int(rng.integers(len(names)))]
        fit.exchange(i, j, kind)
        trial_err = fit.errors()
        trial = float((trial_err**2).sum())
        if (trial_err[protected] >= 0.98).any():
            fit.exchange(i, j, kind)
            continue
        if trial <= current or rng.random() < np.exp((current - trial) / temperature):
            current, err = trial, trial_err
        else:
            fit.exchange(i, j, kind)
    return fit.exchanges()


def table34_deviations(
    frame: pd.DataFrame, targets: dict[str, Any], value_set: ValueSet
) -> np.ndarray:
    """`cell_deviations` of both models of `frame`: the cells the searches aim at."""
    return _Table34(frame, targets, value_set).deviations()


def vas_index_correlation(frame: pd.DataFrame, value_set: ValueSet) -> float:
    """EQ-VAS/index correlation of the analysis sample, the figure the text gives (0.69)."""
    sample = analysis_sample(frame)
    index = design_frame(sample, "eq_index", value_set)["hrqol"].to_numpy(float)
    vas = design_frame(sample, "eq_vas")["hrqol"].to_numpy(float)
    return float(np.corrcoef(vas, index)[0, 1])


def gender_means(frame: pd.DataFrame) -> tuple[float, float]:
    """Mean PACIC score of men and of women in the analysis sample (text of 3.2.3)."""
    sample = analysis_sample(frame)
    score = individual_scores(sample)
    gender = sample["gender"]
    return float(score[gender == "male"].mean()), float(score[gender == "female"].mean())


def polish_exchanges(
    frame: pd.DataFrame,
    targets: dict[str, Any],
    value_set: ValueSet,
    rng: np.random.Generator,
    steps: tuple[int, int, int, int] = (300_000, 300_000, 300_000, 0),
    near: float = 0.6,
    coarse: float = 0.0005,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Further exchanges that bring more table-34 cells inside their rounding window.

    A resumed search that may only gain: it returns the best file it reached in which
    every cell that rounded as printed at the start (β, bound or R² of either model)
    still does and more cells do (or, in phase 4, the same cells with the correlation
    closer to the text) -- or no exchange at all.  Every file it passes through
    keeps the EQ-VAS/index correlation at least at its starting value and the mean score
    of men and of women within 0.045 of the text (2.84 and 2.59).

    What the last cells need are standard errors one to five per cent wider at βs fixed
    to four decimals.  A standard error depends only on how the regressors go together,
    so it moves only when a covariate, the EQ-VAS or the index changes hands between
    respondents who differ in their other regressors -- and every such exchange moves
    the βs by many of their narrow windows.  Hence phases, each a simulated annealing
    over exchanges inside a region (the loss counts, for every cell, its distance beyond
    0.6 of its half-window, squared, so a cell inside costs nothing):

    1. *Structure*: βs and R² are measured in windows of at least `coarse` (they may
       drift a little), the two-decimal confidence bounds in their own windows, until
       every bound that can be printed is inside or ``steps[0]`` exchanges are tried.
    2. *Digits*: every cell in its own window again; a bound inside may not leave it,
       and the βs and R² are brought back by exchanges of PACIC answers, EQ-VAS and
       index between respondents close in what they exchange, ``steps[1]`` at most.
    3. *Ratchet*: as 2, but every cell inside its window stays there, and the cells
       exact at the start weigh ten times the others, ``steps[2]`` at most.
    4. *Correlation* (``steps[3]``, if the ratchet ended on its best file): every cell
       inside stays inside while the EQ-VAS/index correlation is pulled towards the text.

    With probability `near` the second respondent is drawn among the ten of the region
    nearest to the first in what is exchanged (the score for PACIC answers and for a 0/1
    covariate, among those holding the other value; the value for EQ-VAS and index).
    """
    fit = _Table34(frame, targets, value_set)
    names = list(fit.KINDS)
    male = fit.x[:, 1]  # 1 male, 0 female, NaN otherwise; moves with gender exchanges
    gender_target = targets["calibration"]["pacic_gender_mean_sd"]
    centre = np.array([gender_target["male"][0], gender_target["female"][0]])
    windows = np.concatenate(
        [
            np.concatenate(
                [printed.beta_hw, printed.low_hw[mask], printed.high_hw[mask], [printed.r2_hw]]
            )
            for _, printed, mask in fit.models
        ]
    )
    bound = windows >= 0.005  # the two-decimal confidence bounds
    r_start = fit.sample_correlation()

    def allowed() -> bool:
        if fit.sample_correlation() < r_start:
            return False
        ok = ~np.isnan(fit.y) & ~np.isnan(male)
        means = [fit.y[ok & (male == 1.0)].mean(), fit.y[ok & (male == 0.0)].mean()]
        return bool((np.abs(np.array(means) - centre) < 0.045).all())

    def partner(i: int, group: np.ndarray, kind: str) -> int:
        if rng.random() >= near:
            return int(rng.choice(group))
        c = fit.KINDS[kind]
        key = fit.y if c in (None, 1, 2, 4) else fit.x[:, c]
        pool = group
        if c in (1, 2, 4):  # a 0/1 covariate: only the other value changes anything
            pool = group[fit.x[group, c] == 1.0 - fit.x[i, c]]
        pool = pool[~np.isnan(key[pool])]
        if len(pool) == 0 or np.isnan(key[i]):
            return int(rng.choice(group))
        return int(rng.choice(pool[np.argsort(np.abs(key[pool] - key[i]), kind="stable")[:10]]))

    dev = fit.deviations()
    protected = np.abs(dev) < 1.0
    best_count = int(protected.sum())
    best_perm: dict[str, np.ndarray] | None = None

    def anneal(
        count: int,
        scale: np.ndarray,
        kinds: list[str],
        hold: np.ndarray,
        done: Callable[[], bool],
        weight: np.ndarray | None = None,
        ratchet: bool = False,
        pull: float = 0.0,
    ) -> None:
        nonlocal dev, best_count, best_perm
        temperature = np.geomspace(0.3, 0.003, count)
        w = np.ones(len(dev)) if weight is None else weight

        def loss(d: np.ndarray) -> float:
            cells = float((w * np.maximum(np.abs(d * scale) - 0.6, 0.0) ** 2).sum())
            if not pull:
                return cells
            return cells + pull * ((fit.r_target - fit.sample_correlation()) / 0.005) ** 2

        current = loss(dev)
        for step in range(count):
            if done():
                return
            group = fit.by_region[int(rng.choice(3, p=fit.share))]
            i = int(rng.choice(group))
            kind = kinds[int(rng.integers(len(kinds)))]
            j = partner(i, group, kind)
            if i == j:
                continue
            fit.exchange(i, j, kind)
            trial = fit.deviations()
            value = loss(trial)
            if (
                # a held cell may not pass 0.95 of its window (nor grow, if already past)
                not (
                    (np.abs(trial[hold]) >= 0.95) & (np.abs(trial[hold]) > np.abs(dev[hold]))
                ).any()
                and allowed()
                and (
                    value <= current or rng.random() < np.exp((current - value) / temperature[step])
                )
            ):
                current, dev = value, trial
                if ratchet:  # a cell that came inside stays inside
                    hold |= np.abs(dev) < 0.9
                inside = np.abs(dev) < 1.0
                if inside[protected].all() and int(inside.sum()) > best_count:
                    best_count = int(inside.sum())
                    best_perm = {k: v.copy() for k, v in fit.perm.items()}
            else:
                fit.exchange(i, j, kind)
            if log is not None and step % 50_000 == 0:
                log(
                    f"  step {step}: loss {current:.2f}, {int((np.abs(dev) < 1).sum())} cells in,"
                    f" best {best_count}, r {fit.sample_correlation():.4f}"
                )

    coarse_scale = np.where(bound, 1.0, windows / np.maximum(windows, coarse))
    anneal(
        steps[0],
        coarse_scale,
        names,
        np.zeros(len(dev), dtype=bool),
        lambda: bool((np.abs(dev[bound]) < 0.8).all()),
    )
    if log is not None:
        log(f"structure: {int((np.abs(dev[bound]) < 1).sum())} of {int(bound.sum())} bounds in")
    anneal(
        steps[1],
        np.ones(len(dev)),
        ["pacic", "vas", "eq"],
        bound & (np.abs(dev) < 0.95),
        lambda: bool((np.abs(dev) < 1.0).all()),
    )
    if log is not None:
        log(f"digits: {int((np.abs(dev) < 1).sum())} cells in")
    # 3. *Ratchet*: what is inside stays inside; the cells exact at the start come first
    anneal(
        steps[2],
        np.ones(len(dev)),
        ["pacic", "vas", "eq"],
        np.abs(dev) < 0.9,
        lambda: bool((np.abs(dev[protected]) < 1.0).all()),
        weight=np.where(protected, 1.0, 0.1),
        ratchet=True,
    )
    inside = np.abs(dev) < 1.0
    if steps[3] and inside[protected].all() and int(inside.sum()) == best_count:
        # 4. *Correlation*: every cell inside stays inside; the EQ-VAS/index correlation
        # is pulled towards the text
        r_reached = fit.sample_correlation()
        anneal(
            steps[3],
            np.ones(len(dev)),
            ["pacic", "vas", "eq"],
            inside.copy(),
            lambda: False,
            weight=np.zeros(len(dev)),
            pull=1.0,
        )
        inside = np.abs(dev) < 1.0
        valid = inside[protected].all() and int(inside.sum()) >= best_count
        if valid and fit.sample_correlation() > r_reached:
            best_count = int(inside.sum())
            best_perm = {k: v.copy() for k, v in fit.perm.items()}
        if log is not None:
            log(f"correlation: {r_reached:.4f} -> {fit.sample_correlation():.4f}")
    if best_perm is None:
        return fit.exchanges({k: np.arange(len(v)) for k, v in fit.perm.items()})
    return fit.exchanges(best_perm)


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
