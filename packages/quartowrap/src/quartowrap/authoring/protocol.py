"""The names the renderer and a chapter's kernel agree on (no dependencies, safe anywhere).

A cell's output bundle carries a table's payload under `TABLE_MIME`; the renderer tells each
kernel where the project and the build's data live through the two environment variables.
"""

from __future__ import annotations

TABLE_MIME = "application/vnd.quartowrap.table+json"
PROJECT_ROOT_ENV = "QUARTOWRAP_PROJECT_ROOT"
DATA_DIR_ENV = "QUARTOWRAP_DATA_DIR"
KERNEL_MODE_ENV = "QUARTOWRAP_KERNEL_MODE"  # "fork" | "spawn" (default: fork where available)
