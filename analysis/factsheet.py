"""A territory's factsheet (`factsheets/`): its SCIROCCO scores beside the national ones.

A territory is a value of a grouping column of the professionals' survey: a region
(`region`) or, in a wave that has them, a care zone (`care_zone`).  The distribution is the
one of the report's table 17 (`analysis.survey.item_distribution`: % of scored answers per
score), computed for the territory and for all respondents; the sentences are built from
those numbers only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from quartowrap.authoring.data import FileSpec, load_codebook, load_table

from analysis import survey

NATIONAL = "Belgium"
GOOD_SCORE = 3  # "at least 3": the upper half of the 0-5 maturity scale


def check_territory(frame: pd.DataFrame, column: str, value: str) -> None:
    """A territory that the data cannot have is an error, not an empty factsheet."""
    if column not in frame.columns:
        raise ValueError(f"the professionals' survey has no column {column!r}")
    series = frame[column]
    known = (
        [str(c) for c in series.cat.categories]
        if isinstance(series.dtype, pd.CategoricalDtype)
        else sorted(series.dropna().astype(str).unique())
    )
    if value not in known:
        raise ValueError(f"{column} {value!r} is not a code of the data; codes: {', '.join(known)}")


def respondents(frame: pd.DataFrame, column: str, value: str) -> int:
    """Respondents of the territory (every row whose `column` is `value`)."""
    sizes = survey.group_sizes(frame, by=column, groups=[value], total=None)
    return int(sizes["n"].iat[0])


def territory_distribution(
    frame: pd.DataFrame, column: str, value: str, national: str = NATIONAL
) -> pd.DataFrame:
    """Table 17's distribution for the territory, then for all respondents (`national`)."""
    items = survey.scirocco_items(frame)
    scale = survey.SCIROCCO_SCALE
    local = survey.item_distribution(
        frame, items, scale=scale, by=column, groups=[value], total=None
    )
    everyone = survey.item_distribution(frame, items, scale=scale, by=None, total=national)
    both = pd.concat([local, everyone], ignore_index=True)
    order = {item: i for i, item in enumerate(items)}
    both["_item"] = both["item"].map(order)
    both = both.sort_values("_item", kind="stable").drop(columns="_item")
    return both.reset_index(drop=True)


def share_at_least(
    distribution: pd.DataFrame, score: int = GOOD_SCORE, scale: Sequence[str] | None = None
) -> pd.DataFrame:
    """% of scored answers at `score` or above, per item and group: `item, group, percent`."""
    scale = list(scale or survey.SCIROCCO_SCALE)
    high = {s for s in scale if int(s) >= score}
    scores = distribution[distribution["kind"] == "score"]
    summed = (
        scores.assign(high=scores["response"].isin(high) * scores["percent"].fillna(0.0))
        .groupby(["item", "group"], sort=False)
        .agg(percent=("high", "sum"), scored=("scored", "first"))
        .reset_index()
    )
    summed.loc[summed["scored"] == 0, "percent"] = float("nan")
    return summed[["item", "group", "percent"]]


def highlights(
    distribution: pd.DataFrame, territory: str, labels: Mapping[str, str], national: str = NATIONAL
) -> dict[str, object]:
    """The numbers the factsheet's sentences quote: best dimension, largest gaps."""
    shares = share_at_least(distribution).pivot(index="item", columns="group", values="percent")
    local = shares[territory].dropna()
    if local.empty:
        return {"scored": False}
    gap = (shares[territory] - shares[national]).dropna()
    best, worst = local.idxmax(), local.idxmin()
    ahead, behind = gap.idxmax(), gap.idxmin()
    return {
        "scored": True,
        "best": labels.get(best, best),
        "best_pct": float(local[best]),
        "best_national_pct": float(shares.at[best, national]),
        "worst": labels.get(worst, worst),
        "worst_pct": float(local[worst]),
        "ahead": labels.get(ahead, ahead),
        "ahead_gap": float(gap[ahead]),
        "behind": labels.get(behind, behind),
        "behind_gap": float(gap[behind]),
        "above_national": int((gap > 0).sum()),
        "dimensions": len(gap),
    }


PROFESSIONALS = "survey/professionals.csv"
ZONE_COLUMN = "care_zone"


def selection(region: str, zone: str = "") -> tuple[str, str]:
    """The column and code an edition selects: its care zone if it has one, else its region."""
    return (ZONE_COLUMN, zone) if zone else ("region", region)


def provenance(spec: FileSpec | None = None) -> tuple[bool, bool]:
    """(synthetic, reconstructed): what the codebook says of the survey file of this build."""
    spec = spec or load_codebook().files[PROFESSIONALS]
    synthetic = (spec.description or "").lstrip().startswith("SYNTHETIC")
    return synthetic, bool(spec.reconstructed)


class Territory:
    """What every page of a factsheet needs: the data, the territory, its distribution.

    `zone` (a care zone code, in a wave that has a `care_zone` column) takes precedence
    over `region`.  Built once per page from the build's data directory.
    """

    def __init__(self, region: str, zone: str = "") -> None:
        self.frame = load_table(PROFESSIONALS)
        spec = load_codebook().files[PROFESSIONALS]
        self.column, self.value = selection(region, zone)
        check_territory(self.frame, self.column, self.value)
        codes = dict(spec.columns[self.column].codes or {})
        self.name = str(codes.get(self.value, self.value))
        self.kind = "care zone" if zone else "region"
        self.synthetic, self.reconstructed = provenance(spec)
        self.labels = {f"sc_{k}": v for k, v in survey.DIMENSIONS.items()}
        self.n = respondents(self.frame, self.column, self.value)
        self.national_n = len(self.frame)
        self.distribution = territory_distribution(self.frame, self.column, self.value)
        self.items = survey.scirocco_items(self.frame)
        self.highlights = highlights(self.distribution, self.value, self.labels)

    @property
    def place(self) -> str:
        """How prose names the territory: "Flanders", "the federal level", "Care zone 7"."""
        if self.kind == "region" and self.value == "Federal":
            return "the federal level"
        return self.name

    @property
    def where(self) -> str:
        """ "in Flanders", "at the federal level", "in Care zone 7"."""
        if self.kind == "region" and self.value == "Federal":
            return "at the federal level"
        return f"in {self.name}"


def _points(x: float) -> str:
    value = abs(x)
    return f"{value:.1f} percentage point" + ("" if f"{value:.1f}" == "1.0" else "s")


def gap_clause(found: Mapping[str, object]) -> str:
    """Where the territory leads and lags the survey, worded by the signs of the gaps."""
    ahead, behind = float(found["ahead_gap"]), float(found["behind_gap"])  # type: ignore[arg-type]
    best = f"*{found['ahead']}* ({_points(ahead)})"
    worst = f"*{found['behind']}* ({_points(behind)})"
    if ahead <= 0:
        return f"every gap is a lag, the smallest on {best} and the largest on {worst}"
    if behind >= 0:
        return f"every gap is a lead, the largest on {best} and the smallest on {worst}"
    return f"the largest lead is on {best} and the largest lag on {worst}"
