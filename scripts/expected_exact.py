"""Write `data/published/expected_exact.csv`: the printed cells the rebuild gives exactly.

Run once when the ledger changes on purpose (a table transcribed, a cell that became
exact); `tests/analysis/test_ledger.py` then fails whenever one of the listed cells stops
being exact.  The file records which cells matched, not the rebuilt values.

    python scripts/expected_exact.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import ledger  # noqa: E402

TARGET = ROOT / "data" / "published" / "expected_exact.csv"


def main() -> int:
    """Compute the ledger on the shipped data and list its exact cells."""
    cells = ledger.from_data(ROOT / "data")
    exact = cells.loc[cells["status"] == "exact", ["table", "row", "column"]]
    exact.to_csv(TARGET, index=False, lineterminator="\n")
    print(f"{TARGET.relative_to(ROOT)}: {len(exact)} exact cells of {len(cells)} printed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
