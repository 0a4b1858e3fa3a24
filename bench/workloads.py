"""Analysis workloads timed in fresh interpreters by bench/run.py (code strings set `out`)."""

from __future__ import annotations

WORKLOADS: dict[str, str] = {
    # Filled in as the analysis modules land: each entry is code that sets `out = {...}`.
}
