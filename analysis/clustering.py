"""Cluster short texts: TF-IDF → sparse similarity network → Louvain communities.

KCE Report 359 grouped 555 stakeholder action points with a one-off JavaScript tool.  This
module redoes the same three steps as a reusable, deterministic pipeline:

1. **Text preparation**: lower-casing, accent folding, tokens of two or more letters,
   English + Dutch + French stop words (a real export of the boards is multilingual),
   unigrams and bigrams ("integrated care"), TF-IDF weights so rare shared words count more.
2. **Similarity network**: cosine similarity between texts; each text's strongest pairs are
   found with chunked sparse products (memory bounded, never a dense n × n matrix for large
   n); every text first keeps its best neighbour, then the strongest remaining pairs are
   added until the mean degree reaches its target (default 3, the report's "about three
   connections per text").
3. **Communities**: Louvain (networkx, fixed seed).  Louvain cannot be asked for a number of
   clusters, so `tune_connections` changes the number of connections until the number of
   communities is closest to a requested target, and reports every step it tried.

`agreement`, `contingency` and `characteristic_terms` compare the automated communities with
a manual classification.  Everything is a pure function of its inputs and seed.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    TfidfVectorizer,
    strip_accents_unicode,
)
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

__all__ = [
    "DUTCH_STOP_WORDS",
    "FRENCH_STOP_WORDS",
    "ClusteringParams",
    "ClusteringResult",
    "Neighbours",
    "TuningResult",
    "agreement",
    "build_network",
    "characteristic_terms",
    "cluster_texts",
    "communities",
    "contingency",
    "nearest_neighbours",
    "run_benchmark",
    "stop_words",
    "synthetic_texts",
    "tfidf",
    "tune_connections",
]

# Short function-word lists written for this project (articles, pronouns, prepositions,
# conjunctions, auxiliaries).  Content words are deliberately absent.
DUTCH_STOP_WORDS: frozenset[str] = frozenset(
    """
    aan al alle alles als altijd ander andere anders ben bij binnen daar daarom dan dat de
    deze die dit doch doen door dus een eens en er ge geen geweest haar had heb hebben heeft
    hem het hier hij hoe hun iemand ik in is ja je jij kan kon kunnen maar me meer men met
    mij mijn moet na naar niet niets nog nu of om omdat onder ons ook op over reeds te tegen
    toch toen tot u uit uw van veel voor want waren was wat we wel werd wezen wie wij wil
    worden wordt zal ze zelf zich zij zijn zo zonder zou zouden
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)
FRENCH_STOP_WORDS: frozenset[str] = frozenset(
    """
    ai aie au aux avec avoir ce ceci cela celle celles celui ces cet cette chez comme dans
    de des du donc elle elles en entre est et eu fait il ils je la le les leur leurs lui ma
    mais me meme mes moi mon ne nos notre nous on ont ou par pas pour qu que quel quelle
    quelles quels qui sa sans se ses si son sont sous sur ta te tes toi ton tous tout toute
    toutes tu un une vers vos votre vous ete etre ni peu plus tres aussi afin lors dont
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)
_LANGUAGE_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(ENGLISH_STOP_WORDS),
    "nl": DUTCH_STOP_WORDS,
    "fr": FRENCH_STOP_WORDS,
}
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"  # words of two or more letters; digits dropped


def stop_words(languages: Sequence[str] = ("en", "nl", "fr")) -> list[str]:
    """Union of the stop-word lists, accent-folded like the texts, sorted (deterministic)."""
    unknown = [lang for lang in languages if lang not in _LANGUAGE_STOP_WORDS]
    if unknown:
        raise ValueError(f"no stop-word list for {unknown}; known: {sorted(_LANGUAGE_STOP_WORDS)}")
    words: set[str] = set()
    for lang in languages:
        words |= {strip_accents_unicode(w.lower()) for w in _LANGUAGE_STOP_WORDS[lang]}
    return sorted(words)


@dataclass(frozen=True)
class ClusteringParams:
    """Every choice that changes the result; stored with it so a run can be repeated."""

    target_degree: float = 3.0  # mean number of connections per text
    candidates: int = 20  # neighbours kept per text; bounds how far the tuner can go
    ngram_max: int = 2
    max_df: float = 0.5  # words in more than half of the texts carry no contrast
    languages: tuple[str, ...] = ("en", "nl", "fr")
    resolution: float = 1.0
    seed: int = 359
    memory_budget: int = 256 * 2**20  # bytes for one dense block of similarities


def _check_texts(texts: Sequence[str]) -> list[str]:
    if len(texts) < 2:
        raise ValueError(f"need at least two texts to cluster, got {len(texts)}")
    cleaned = []
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text {i} is empty ({text!r}); every text must have words")
        cleaned.append(text)
    return cleaned


def tfidf(
    texts: Sequence[str], params: ClusteringParams = ClusteringParams()
) -> tuple[sp.csr_matrix, np.ndarray]:
    """L2-normalised TF-IDF matrix (float32, one row per text) and its vocabulary."""
    texts = _check_texts(texts)
    vectorizer = TfidfVectorizer(
        lowercase=True,
        strip_accents="unicode",
        token_pattern=TOKEN_PATTERN,
        stop_words=stop_words(params.languages),
        ngram_range=(1, params.ngram_max),
        max_df=params.max_df if len(texts) >= 20 else 1.0,
        dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(texts).tocsr()
    return matrix, vectorizer.get_feature_names_out()


@dataclass(frozen=True)
class Neighbours:
    """Each text's strongest neighbours: `index[i, r]` with similarity `similarity[i, r]`."""

    index: np.ndarray  # (n, k) int64, -1 where a text has fewer than k similar texts
    similarity: np.ndarray  # (n, k) float32, descending within a row, 0 where index is -1


def nearest_neighbours(
    matrix: sp.csr_matrix, k: int, memory_budget: int = 256 * 2**20
) -> Neighbours:
    """Top-k cosine neighbours of every row, by blocks of rows (rows must be L2-normalised).

    Only pairs that share a term have a non-zero similarity, so each block of the product
    stays sparse and the top k are picked from its stored entries (one vectorised sort per
    block): work grows with the number of overlapping pairs, not with n².  Blocks are sized
    so that even a completely dense block would fit in `memory_budget`.  Ties are broken by
    the lower index, so the result does not depend on the platform.
    """
    n = matrix.shape[0]
    k = max(1, min(k, n - 1))
    block = max(1, min(n, memory_budget // (12 * n)))  # float32 value + int64 index
    transposed = matrix.T.tocsr()
    index = np.full((n, k), -1, dtype=np.int64)
    similarity = np.zeros((n, k), dtype=np.float32)
    for start in range(0, n, block):
        stop = min(n, start + block)
        product = (matrix[start:stop] @ transposed).tocsr()
        rows = np.repeat(np.arange(stop - start), np.diff(product.indptr))
        cols = product.indices.astype(np.int64)
        values = product.data.astype(np.float32, copy=False)
        keep = (cols != rows + start) & (values > 0)  # a text is not its own neighbour
        rows, cols, values = rows[keep], cols[keep], values[keep]
        order = np.lexsort((cols, -values, rows))  # by row, similarity desc, index asc
        rows, cols, values = rows[order], cols[order], values[order]
        first = np.searchsorted(rows, np.arange(stop - start))
        rank = np.arange(len(rows)) - first[rows]
        top = rank < k
        index[start + rows[top], rank[top]] = cols[top]
        similarity[start + rows[top], rank[top]] = values[top]
    return Neighbours(index=index, similarity=similarity)


def _ranked_edges(neighbours: Neighbours) -> tuple[np.ndarray, np.ndarray, int]:
    """All candidate pairs in the order they join the network, and how many are mandatory.

    Mandatory first: each text's best pair (so no text with any similar text is isolated).
    Then every other candidate pair by similarity (desc), ties by (i, j).
    """
    n, k = neighbours.index.shape
    src = np.repeat(np.arange(n), k)
    dst = neighbours.index.ravel()
    sim = neighbours.similarity.ravel()
    rank = np.tile(np.arange(k), n)
    valid = dst >= 0
    src, dst, sim, rank = src[valid], dst[valid], sim[valid], rank[valid]
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    pair = lo * n + hi
    mandatory = rank == 0
    # One row per pair: mandatory if either end chose it as its best.
    order = np.lexsort((~mandatory, pair))
    pair, sim, mandatory = pair[order], sim[order], mandatory[order]
    first = np.ones(len(pair), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    pair, sim, mandatory = pair[first], sim[first], mandatory[first]
    order = np.lexsort((pair, -sim, ~mandatory))
    pairs = np.stack([pair[order] // n, pair[order] % n], axis=1)
    return pairs, sim[order], int(mandatory.sum())


def build_network(
    neighbours: Neighbours, n_edges: int | None = None, target_degree: float = 3.0
) -> nx.Graph:
    """Similarity network with `n_edges` connections (default: mean degree `target_degree`).

    The count never drops below the mandatory best-neighbour pairs and never exceeds the
    candidate pairs available.
    """
    pairs, sims, mandatory = _ranked_edges(neighbours)
    n = neighbours.index.shape[0]
    wanted = round(target_degree * n / 2) if n_edges is None else n_edges
    m = int(min(len(pairs), max(mandatory, wanted)))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_weighted_edges_from(
        (int(i), int(j), float(w)) for (i, j), w in zip(pairs[:m], sims[:m], strict=True)
    )
    graph.graph["mandatory_edges"] = mandatory
    graph.graph["candidate_edges"] = len(pairs)
    return graph


def communities(
    graph: nx.Graph, seed: int = 359, resolution: float = 1.0
) -> tuple[np.ndarray, float]:
    """Louvain communities as labels 0..K-1 (largest first) and the partition's modularity."""
    found = nx.community.louvain_communities(
        graph, weight="weight", resolution=resolution, seed=seed
    )
    ordered = sorted(found, key=lambda c: (-len(c), min(c)))
    labels = np.empty(graph.number_of_nodes(), dtype=np.int64)
    for label, members in enumerate(ordered):
        labels[list(members)] = label
    quality = (
        nx.community.modularity(graph, ordered, weight="weight", resolution=resolution)
        if graph.number_of_edges()
        else 0.0
    )
    return labels, float(quality)


@dataclass(frozen=True)
class TuningResult:
    """The connection count the tuner chose and every step it tried on the way."""

    n_edges: int
    path: pd.DataFrame  # step, n_edges, mean_degree, n_clusters, modularity


def tune_connections(
    neighbours: Neighbours,
    target_clusters: int,
    seed: int = 359,
    resolution: float = 1.0,
    max_steps: int = 25,
) -> TuningResult:
    """Bisect the number of connections until Louvain finds ~`target_clusters` communities.

    More connections give fewer, broader communities; the search keeps the count whose
    result is closest to the target (ties: the sparser network, which stays more readable).
    """
    if target_clusters < 1:
        raise ValueError(f"target_clusters must be at least 1, got {target_clusters}")
    pairs, _, mandatory = _ranked_edges(neighbours)
    n = neighbours.index.shape[0]
    lo, hi = mandatory, len(pairs)
    tried: dict[int, tuple[int, float]] = {}

    def evaluate(m: int) -> int:
        if m not in tried:
            graph = build_network(neighbours, n_edges=m)
            labels, quality = communities(graph, seed=seed, resolution=resolution)
            tried[m] = (int(labels.max()) + 1, quality)
        return tried[m][0]

    steps: list[int] = []
    for m in (lo, hi):
        evaluate(m)
        steps.append(m)
    while hi - lo > 1 and len(steps) < max_steps:
        if evaluate(lo) <= target_clusters or evaluate(hi) >= target_clusters:
            break  # the target lies outside what the candidate pairs allow
        mid = (lo + hi) // 2
        found = evaluate(mid)
        steps.append(mid)
        if found == target_clusters:
            break
        if found > target_clusters:
            lo = mid
        else:
            hi = mid
    best = min(tried, key=lambda m: (abs(tried[m][0] - target_clusters), m))
    path = pd.DataFrame(
        {
            "step": range(1, len(steps) + 1),
            "n_edges": steps,
            "mean_degree": [2 * m / n for m in steps],
            "n_clusters": [tried[m][0] for m in steps],
            "modularity": [tried[m][1] for m in steps],
        }
    )
    return TuningResult(n_edges=best, path=path)


@dataclass(frozen=True)
class ClusteringResult:
    """Labels and everything needed to explain and redraw them."""

    labels: np.ndarray
    modularity: float
    graph: nx.Graph
    matrix: sp.csr_matrix
    vocabulary: np.ndarray
    params: ClusteringParams
    tuning: TuningResult | None = None
    summary: dict[str, float] = field(default_factory=dict)


def cluster_texts(
    texts: Sequence[str],
    params: ClusteringParams = ClusteringParams(),
    target_clusters: int | None = None,
) -> ClusteringResult:
    """Full pipeline; with `target_clusters` the number of connections is tuned first."""
    matrix, vocabulary = tfidf(texts, params)
    neighbours = nearest_neighbours(matrix, params.candidates, params.memory_budget)
    tuning = None
    if target_clusters is not None:
        tuning = tune_connections(neighbours, target_clusters, params.seed, params.resolution)
        graph = build_network(neighbours, n_edges=tuning.n_edges)
    else:
        graph = build_network(neighbours, target_degree=params.target_degree)
    labels, quality = communities(graph, params.seed, params.resolution)
    n = len(labels)
    degrees = np.fromiter((d for _, d in graph.degree()), dtype=np.int64, count=n)
    summary = {
        "n_texts": float(n),
        "n_terms": float(len(vocabulary)),
        "n_edges": float(graph.number_of_edges()),
        "mean_degree": 2 * graph.number_of_edges() / n,
        "isolated": float((degrees == 0).sum()),
        "n_clusters": float(labels.max() + 1),
        "modularity": quality,
    }
    return ClusteringResult(labels, quality, graph, matrix, vocabulary, params, tuning, summary)


# ----------------------------------------------------------------- agreement with people


def agreement(automated: Sequence[object], manual: Sequence[object]) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information (arithmetic mean)."""
    if len(automated) != len(manual):
        raise ValueError(f"{len(automated)} automated labels but {len(manual)} manual labels")
    auto = np.asarray(automated).astype(str)
    man = np.asarray(manual).astype(str)
    return {
        "ari": float(adjusted_rand_score(man, auto)),
        "nmi": float(normalized_mutual_info_score(man, auto)),
    }


def contingency(automated: Sequence[object], manual: Sequence[object]) -> pd.DataFrame:
    """Counts of texts per (automated cluster, manual class): tidy, zero cells included."""
    frame = pd.DataFrame({"automated": np.asarray(automated), "manual": np.asarray(manual)})
    table = pd.crosstab(frame["automated"], frame["manual"])
    return table.stack().rename("n").reset_index()


def characteristic_terms(
    matrix: sp.csr_matrix, vocabulary: np.ndarray, labels: Sequence[int], n_terms: int = 5
) -> pd.DataFrame:
    """Terms whose mean TF-IDF inside a cluster most exceeds their mean outside it."""
    labels = np.asarray(labels)
    rows = []
    total = np.asarray(matrix.sum(axis=0)).ravel()
    n = matrix.shape[0]
    for label in np.unique(labels):
        inside = labels == label
        size = int(inside.sum())
        in_sum = np.asarray(matrix[inside].sum(axis=0)).ravel()
        out_mean = (total - in_sum) / max(1, n - size)
        score = in_sum / size - out_mean
        order = np.lexsort((vocabulary, -score))[:n_terms]
        for rank, j in enumerate(order, start=1):
            if score[j] > 0:
                rows.append(
                    {
                        "cluster": int(label),
                        "rank": rank,
                        "term": str(vocabulary[j]),
                        "score": float(score[j]),
                    }
                )
    return pd.DataFrame(rows, columns=["cluster", "rank", "term", "score"])


# -------------------------------------------------------------------------- benchmark

_SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "da", "fe", "gu", "ho", "pi")


def synthetic_texts(
    n: int, seed: int = 0, n_topics: int | None = None
) -> tuple[list[str], np.ndarray]:
    """`n` short pseudo-texts drawn from topics with their own vocabularies, and the topics.

    Each text has 5-10 words: mostly words of its topic, some words shared by all topics and
    some English stop words, so the benchmark exercises the same pipeline as real texts.
    """
    rng = np.random.default_rng(seed)
    n_topics = n_topics or max(2, round(math.sqrt(n) / 2))
    syllables = np.array(_SYLLABLES)

    def words(count: int, length: int) -> np.ndarray:
        picks = rng.integers(0, len(syllables), size=(count, length))
        return np.array(["".join(row) for row in syllables[picks]])

    topic_words = words(n_topics * 40, 4).reshape(n_topics, 40)
    common = words(300, 3)
    fillers = np.array(["the", "of", "and", "for", "with", "to", "in", "de", "het", "la", "et"])
    topics = rng.integers(0, n_topics, size=n)
    texts = []
    for t in topics:
        size = int(rng.integers(5, 11))
        kinds = rng.choice(3, size=size, p=[0.6, 0.25, 0.15])
        chosen = [
            topic_words[t, rng.integers(40)]
            if kind == 0
            else common[rng.integers(len(common))]
            if kind == 1
            else fillers[rng.integers(len(fillers))]
            for kind in kinds
        ]
        texts.append(" ".join(chosen))
    return texts, topics


def run_benchmark(n_texts: int = 50_000, seed: int = 0) -> dict[str, float]:
    """Time the default pipeline on `n_texts` synthetic texts; peak memory of the process.

    Peak RSS is the process-wide maximum (Linux `ru_maxrss`), so run it in its own process.
    """
    texts, topics = synthetic_texts(n_texts, seed)
    start = time.perf_counter()
    result = cluster_texts(texts, ClusteringParams(seed=seed))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "n_texts": float(n_texts),
        "seconds": seconds,
        "peak_rss_mb": peak_mb,
        "n_clusters": result.summary["n_clusters"],
        "modularity": result.modularity,
        "ari_vs_topics": agreement(result.labels, topics)["ari"],
    }
