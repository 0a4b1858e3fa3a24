"""Benchmark of editions: the factsheet book once per synthetic care zone, four ways.

1. naive: one cold `quartowrap render -P zone:…` process per edition, one after another;
2. `render --params-table … --workers 1`: one process, fork server kept warm;
3. `--workers 2`: two warm worker processes;
4. `--scheduler` on a two-worker `dask.distributed.LocalCluster` (cluster start timed apart).

Each way starts from a fresh copy of the project (no freeze, no caches) and renders HTML and
PDF.  Peak memory is the largest sum of the resident memory of the whole process tree
(renderer, workers, fork servers, kernels, pandoc), sampled every 0.1 s.

`python -m bench.run --only editions --editions 4 --results /tmp/r.json` is a quick smoke run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

TARGETS = {
    "workers_2_vs_naive": 5.0,  # --workers 2 at least 5x faster than the naive loop
    "workers_2_vs_workers_1": 1.6,  # --workers 2 at least 1.6x faster than --workers 1
}

_CLUSTER_RUN = """
import json, sys, time
from pathlib import Path
from distributed import LocalCluster
from quartowrap.commands.editions import render_editions
from quartowrap.model import RenderOptions
from quartowrap.progress import Progress
project, table, data, out = (Path(a) for a in sys.argv[1:5])
t0 = time.perf_counter()
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                  dashboard_address=None) as cluster:
    started = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = render_editions(project, table,
        RenderOptions(data_dir=data, output_root=out, version="bench"),
        scheduler=cluster.scheduler_address, progress=Progress(plain=True, quiet=True))
    seconds = time.perf_counter() - t1
print(json.dumps({"cluster_start_s": round(started, 2), "render_s": round(seconds, 2),
                  "failed": [r.name for r in result.failed]}))
"""


class TreeMemory:
    """Peak of the summed RSS of a process and all its descendants (MiB)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                processes = []
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total / 2**20)
            self._stop.wait(0.1)


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak tree memory (MiB) and stdout of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with TreeMemory(process.pid) as memory:
        out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} … failed:\n{err[-4000:]}")
    return round(seconds, 2), round(memory.peak), out


def _reset(project: Path) -> None:
    """Forget every cache of the previous way, so each starts cold."""
    for name in ("_freeze", ".quartowrap", "_output"):
        shutil.rmtree(project / name, ignore_errors=True)


WAYS = ("naive_loop", "workers_1", "workers_2", "dask_local_cluster_2")


def bench_editions(
    root: Path, work: Path, n: int = 60, ways: Sequence[str] = WAYS
) -> dict[str, Any]:
    """Render `n` synthetic care-zone factsheets four ways (or the `ways` named);
    times, memory, speed-ups and targets."""
    from analysis.synthetic import write_zone_wave

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    checkout = work / "checkout"
    shutil.copytree(
        root,
        checkout,
        ignore=shutil.ignore_patterns(
            "_output", "_freeze", ".quartowrap", ".git", ".nox", "bench", "tests", "__pycache__"
        ),
    )
    project = checkout / "factsheets"
    wave, table = write_zone_wave(work / "wave", work / "zones.csv", zones=n)
    zones = [line.split(",")[1] for line in table.read_text().splitlines()[1:]]
    # The copy's own renderer, not the installed one: edits to the working tree during a
    # run cannot change what is measured.
    paths = [str(checkout / "packages" / "quartowrap" / "src"), str(checkout)]
    env = {**os.environ, "CI": "1", "PYTHONPATH": os.pathsep.join(paths)}
    render = [sys.executable, "-m", "quartowrap", "render", "--project", str(project)]
    common = ["--data-dir", str(wave), "--version", "bench", "--quiet"]
    results: dict[str, Any] = {"editions": n, "formats": "html+pdf"}

    if "naive_loop" in ways:
        _reset(project)
        started = time.perf_counter()
        peak = 0.0
        for zone in zones:
            out = work / "naive" / zone
            _, memory, _ = _run(
                [*render, "-P", f"zone:{zone}", "--output-dir", str(out), *common], checkout, env
            )
            peak = max(peak, memory)
        seconds = round(time.perf_counter() - started, 2)
        results["naive_loop"] = {"seconds": seconds, "peak_mib": peak}

    for workers in (1, 2):
        if f"workers_{workers}" not in ways:
            continue
        _reset(project)
        seconds, memory, _ = _run(
            [*render, "--params-table", str(table), "--workers", str(workers), *common],
            checkout,
            env,
        )
        results[f"workers_{workers}"] = {"seconds": seconds, "peak_mib": memory}

    if "dask_local_cluster_2" in ways:
        _reset(project)
        seconds, memory, out = _run(
            [
                sys.executable,
                "-c",
                _CLUSTER_RUN,
                str(project),
                str(table),
                str(wave),
                str(work / "dask-out"),
            ],
            checkout,
            env,
        )
        cluster = json.loads(out.strip().splitlines()[-1])
        results["dask_local_cluster_2"] = {"seconds": seconds, "peak_mib": memory, **cluster}
    _summarise(results, n)
    return results


def _summarise(results: dict[str, Any], n: int) -> None:
    """Speed-ups of the ways measured in this run (ratios within one run only) and targets."""
    seconds = {way: results[way]["seconds"] for way in WAYS if way in results}
    if "dask_local_cluster_2" in results:  # the cluster's start is timed apart
        seconds["dask_local_cluster_2"] = results["dask_local_cluster_2"]["render_s"]
    pairs = {
        "workers_2_vs_naive": ("naive_loop", "workers_2"),
        "workers_2_vs_workers_1": ("workers_1", "workers_2"),
        "workers_1_vs_naive": ("naive_loop", "workers_1"),
        "dask_vs_naive": ("naive_loop", "dask_local_cluster_2"),
    }
    results["speedup"] = {
        name: round(seconds[slow] / seconds[fast], 2)
        for name, (slow, fast) in pairs.items()
        if slow in seconds and fast in seconds
    }
    results["targets"] = {name: f">= {target}x" for name, target in TARGETS.items()}
    results["met"] = {
        name: results["speedup"][name] >= target
        for name, target in TARGETS.items()
        if name in results["speedup"]
    }
    results["per_edition_s"] = {
        way: round(results[way]["seconds"] / n, 2)
        for way in ("naive_loop", "workers_1", "workers_2")
        if way in results
    }
