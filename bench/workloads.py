"""Analysis workloads timed in fresh interpreters by bench/run.py.

Each entry is Python code that fills the dict `out`; bench/run.py adds the wall time of the
code and the interpreter's peak resident memory, so imports are excluded from `seconds`
only where the code says so.
"""

from __future__ import annotations

SURVEY_5M = """
import time
from analysis import survey as s
from analysis.synthetic import synthetic_professionals
n = 5_000_000
t_gen = time.perf_counter()
frame = synthetic_professionals(n)
t0 = time.perf_counter()
items, aims = s.scirocco_items(frame), s.aim_items(frame)
s.item_distribution(frame, items, scale=s.SCIROCCO_SCALE)
s.score_summary(frame, items)
s.score_summary(frame, items, by="region")
s.score_summary(frame, items, by="level")
s.aims_scored_zero(s.item_distribution(frame, aims, scale=s.AIM_SCALE))
s.priority_distribution(frame)
s.profile_counts(frame, ["experience", "category", "level"])
out = {
    "respondents": n,
    "generate_s": round(t0 - t_gen, 2),
    "summaries_s": round(time.perf_counter() - t0, 2),
    "target": "summaries <= 10 s, peak <= 4096 MiB",
}
"""

CLUSTERING_50K = """
from analysis.clustering import run_benchmark
result = run_benchmark(50_000)
out = {k: round(v, 3) for k, v in result.items()}
out["target"] = "<= 60 s, peak <= 4096 MiB"
"""

CLUSTERING_555 = """
import time
from analysis.actions import load_action_data
from analysis.clustering import ClusteringParams, agreement, cluster_texts
actions = load_action_data().actions
t0 = time.perf_counter()
result = cluster_texts(actions["text"].tolist(), ClusteringParams())
seconds = time.perf_counter() - t0
scores = agreement(result.labels, actions["super_cluster"].astype(str).tolist())
out = {
    "texts": len(actions),
    "clustering_s": round(seconds, 3),
    "clusters": int(result.summary["n_clusters"]),
    "modularity": round(result.modularity, 3),
    "ari_vs_manual_super_clusters": round(scores["ari"], 3),
    "nmi_vs_manual_super_clusters": round(scores["nmi"], 3),
    "target": "<= 2 s",
}
"""

WORKLOADS: dict[str, str] = {
    "survey_5m_respondents": SURVEY_5M,
    "clustering_50k_texts": CLUSTERING_50K,
    "clustering_555_actions": CLUSTERING_555,
}
