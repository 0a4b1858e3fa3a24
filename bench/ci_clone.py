"""CI: a fresh `git clone` of the project renders with the committed `_freeze/`.

The clone lives in another folder than the working copy that executed the chapters, so
this also checks that the freeze keys hold across paths.  The same clone is then rendered
with `--no-freeze` (every chapter executed) as the baseline of the same run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _render(project: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "quartowrap", "render", *args],
        cwd=project,
        env={**os.environ, "CI": "1"},
        capture_output=True,
        text=True,
    )
    seconds = round(time.perf_counter() - started, 2)
    if result.returncode != 0:
        raise SystemExit(f"render of {project} failed:\n{result.stderr[-4000:]}")
    return seconds, result.stderr


def bench_ci_clone(root: Path, work: Path) -> dict[str, Any]:
    if work.exists():
        shutil.rmtree(work)
    subprocess.run(["git", "clone", "-q", str(root), str(work)], check=True)
    seconds, log = _render(work)
    executed = re.findall(r"(\S+\.qmd): executed in", log)
    reused = re.findall(r"(\S+\.qmd): reused \(freeze\)", log)
    cold, _ = _render(work, "--no-freeze")
    return {
        "fresh_clone_render_s": seconds,
        "chapters_executed": len(executed),
        "executed": executed,
        "chapters_reused": len(reused),
        "baseline_no_freeze_s": cold,
        "targets": {"chapters_executed": "0 (the committed freeze is current)"},
        "met": {"chapters_executed": not executed},
    }


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    print(json.dumps(bench_ci_clone(here.parent, here / "work" / "ci-clone"), indent=2))
