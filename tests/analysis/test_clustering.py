"""analysis.clustering: text preparation, sparse neighbours, network, Louvain, tuner, agreement."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pypandoc
import pytest
import typst
from pypdf import PdfReader
from quartowrap.authoring.tables import show_table

from analysis.clustering import (
    ClusteringParams,
    agreement,
    build_network,
    characteristic_terms,
    cluster_texts,
    communities,
    contingency,
    nearest_neighbours,
    stop_words,
    synthetic_texts,
    tfidf,
    tune_connections,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def disjoint_corpus(k: int, per_group: int = 30, seed: int = 1) -> tuple[list[str], np.ndarray]:
    """k groups of texts, each written only with words of its own vocabulary."""
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for g in range(k):
        # Letters only (tokens are letter runs): group 1, word 7 → "bbah"-like spellings.
        vocab = ["".join(chr(97 + int(c)) for c in f"{g:03d}{j:03d}") + "q" for j in range(12)]
        for _ in range(per_group):
            texts.append(" ".join(rng.choice(vocab, size=6)))
            truth.append(g)
    return texts, np.array(truth)


def test_stop_words_cover_three_languages_but_not_content_words() -> None:
    words = set(stop_words())
    assert {"the", "and", "het", "een", "les", "pour", "etre"} <= words  # être, accent-folded
    assert "care" not in words and "zorg" not in words and "soins" not in words
    with pytest.raises(ValueError, match="no stop-word list"):
        stop_words(("de",))


def test_tfidf_lowercases_folds_accents_and_keeps_bigrams() -> None:
    texts = [
        "Integrated care for the population",
        "Soins intégrés pour la première ligne",
        "Geïntegreerde zorg voor de eerste lijn",
        "integrated CARE pathways",
    ]
    matrix, vocab = tfidf(texts)
    vocab = set(vocab)
    assert "integrated care" in vocab  # bigram
    assert "premiere ligne" in vocab and "integres" in vocab  # accents folded
    assert not vocab & {"the", "for", "pour", "la", "voor", "de"}  # stop words gone
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)  # rows L2-normalised: dot = cosine


def test_blank_text_is_refused_with_its_position() -> None:
    with pytest.raises(ValueError, match="text 1 is empty"):
        cluster_texts(["fund coordination", "   ", "train nurses"])


def test_sparse_neighbours_match_dense_cosine_and_do_not_depend_on_block_size() -> None:
    texts, _ = synthetic_texts(300, seed=3)
    matrix, _ = tfidf(texts)
    dense = (matrix @ matrix.T).toarray()
    np.fill_diagonal(dense, -1)
    k = 5
    small = nearest_neighbours(matrix, k, memory_budget=12 * 300 * 7)  # blocks of 7 rows
    whole = nearest_neighbours(matrix, k)
    np.testing.assert_array_equal(small.index, whole.index)
    for i in range(300):
        expected = np.sort(dense[i])[::-1][:k]
        expected = np.where(expected > 0, expected, 0)
        np.testing.assert_allclose(small.similarity[i], expected, rtol=1e-5, atol=1e-6)


def test_network_hits_target_degree_and_leaves_no_text_alone() -> None:
    texts, _ = synthetic_texts(400, seed=5)
    matrix, _ = tfidf(texts)
    neighbours = nearest_neighbours(matrix, 20)
    graph = build_network(neighbours, target_degree=3.0)
    assert graph.number_of_edges() == round(3.0 * 400 / 2)
    assert min(d for _, d in graph.degree()) >= 1
    # Only texts with no similar text at all may stay alone.
    sparse_graph = build_network(neighbours, target_degree=0.1)
    alone = [n for n, d in sparse_graph.degree() if d == 0]
    assert all(neighbours.index[n, 0] == -1 for n in alone)


def test_tuner_finds_the_known_number_of_groups() -> None:
    texts, truth = disjoint_corpus(k=5)
    matrix, _ = tfidf(texts)
    neighbours = nearest_neighbours(matrix, 20)
    tuning = tune_connections(neighbours, target_clusters=5, seed=7)
    labels, _ = communities(build_network(neighbours, n_edges=tuning.n_edges), seed=7)
    assert labels.max() + 1 == 5
    assert agreement(labels, truth)["ari"] == pytest.approx(1.0)
    path = tuning.path
    assert list(path.columns) == ["step", "n_edges", "mean_degree", "n_clusters", "modularity"]
    assert tuning.n_edges in set(path["n_edges"])
    assert path["n_clusters"].iloc[0] >= path["n_clusters"].iloc[1]  # sparse → more clusters


def test_cluster_texts_with_target_reports_its_tuning() -> None:
    texts, _ = disjoint_corpus(k=3, per_group=20)
    result = cluster_texts(texts, target_clusters=3)
    assert result.summary["n_clusters"] == 3
    assert result.tuning is not None and len(result.tuning.path) >= 2


def test_same_input_and_seed_give_same_clusters_in_a_fresh_process() -> None:
    texts, _ = synthetic_texts(600, seed=11)
    here = cluster_texts(texts, ClusteringParams(seed=4)).labels
    again = cluster_texts(texts, ClusteringParams(seed=4)).labels
    np.testing.assert_array_equal(here, again)
    code = (
        "import json; from analysis.clustering import *; "
        "t,_=synthetic_texts(600, seed=11); "
        "print(json.dumps(cluster_texts(t, ClusteringParams(seed=4)).labels.tolist()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    np.testing.assert_array_equal(np.array(json.loads(out.stdout)), here)


def test_agreement_on_hand_computed_partitions() -> None:
    # Contingency [[2, 1], [0, 1]]: sum C(n_ij, 2) = 1, rows 3, 1 → 3, columns 2, 2 → 2,
    # C(4, 2) = 6: expected 3 * 2 / 6 = 1, max (3 + 2) / 2 = 2.5 → ARI (1 - 1) / 1.5 = 0.
    assert agreement([0, 0, 0, 1], ["a", "a", "b", "b"])["ari"] == pytest.approx(0.0)
    same = agreement([5, 5, 7, 7, 9], ["x", "x", "y", "y", "z"])  # relabelled: perfect
    assert same == {"ari": pytest.approx(1.0), "nmi": pytest.approx(1.0)}
    with pytest.raises(ValueError, match="3 automated labels but 2"):
        agreement([0, 1, 1], ["a", "b"])


def test_contingency_is_tidy_with_zero_cells() -> None:
    table = contingency([0, 0, 1], ["a", "b", "b"])
    assert table.set_index(["automated", "manual"])["n"].to_dict() == {
        (0, "a"): 1,
        (0, "b"): 1,
        (1, "a"): 0,
        (1, "b"): 1,
    }


def test_characteristic_terms_come_from_the_clusters_own_vocabulary() -> None:
    texts, truth = disjoint_corpus(k=3, per_group=15)
    matrix, vocab = tfidf(texts)
    terms = characteristic_terms(matrix, vocab, truth, n_terms=3)
    for label, group in terms.groupby("cluster"):
        own = set(" ".join(t for t, g in zip(texts, truth, strict=True) if g == label).split())
        assert all(set(term.split()) <= own for term in group["term"])


def test_synthetic_texts_are_reproducible() -> None:
    a, ta = synthetic_texts(50, seed=2)
    b, tb = synthetic_texts(50, seed=2)
    assert a == b and (ta == tb).all() and len(a) == 50
    assert all(5 <= len(t.split()) <= 10 for t in a)


HOSTILE = "Fund <script>alert(1)</script> #set page(width: 1cm) and $x$ *now*"


def _cell_markdown() -> str:
    frame = pd.DataFrame({"Action": [HOSTILE], "n": [3]})
    return show_table(frame).markdown


def test_action_text_reaches_html_as_text() -> None:
    html = pypandoc.convert_text(_cell_markdown(), "html", format="markdown")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "#set page(width: 1cm)" in html and "$x$" in html and "*now*" in html
    assert "<em>" not in html and "math" not in html


def test_action_text_reaches_typst_as_text(tmp_path: Path) -> None:
    typst_source = pypandoc.convert_text(_cell_markdown(), "typst", format="markdown")
    # Every typst-active character is escaped in the source ...
    assert "\\#set page(width: 1cm)" in typst_source
    assert "\\$x\\$" in typst_source
    assert re.search(r"(?<!\\)#set", typst_source) is None
    # ... so the compiled PDF shows the words literally (and the page was not resized).
    source = tmp_path / "cell.typ"
    source.write_text(typst_source, encoding="utf-8")
    pdf = PdfReader(io.BytesIO(typst.compile(str(source))))
    text = " ".join(pdf.pages[0].extract_text().split())
    for literal in ["<script>alert(1)</script>", "#set page(width: 1cm)", "$x$", "*now*"]:
        assert literal in text
    assert len(pdf.pages) == 1 and float(pdf.pages[0].mediabox.width) > 500
