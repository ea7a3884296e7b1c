"""The evaluation's methods on tiny hand-made data where the right answer is known."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from paperradar.embedding import FakeEmbedder
from paperradar.errors import UsageError
from paperradar.eval.methods import (
    BLEND_WEIGHTS,
    BM25,
    METHODS,
    ArxivSanity,
    Blend,
    Candidates,
    CoOccurrence,
    Items,
    MaxCosine,
    MeanCosine,
    PaperRadar,
    Profile,
    Zotero,
    library_newest_first,
    make_method,
    make_methods,
    standardise,
    top_k,
    zotero_weights,
)
from paperradar.radar.ranking import Anchor, RankingConfig, Scorer, Text

TOPICS = {
    "graph": ["graph", "network", "node", "community", "clustering", "centrality", "walk"],
    "protein": ["protein", "folding", "enzyme", "peptide", "ligand", "residue", "amino"],
}


def unit(*values: float) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def basis_items(rows: list[list[float]], texts: list[str] | None = None) -> Items:
    vectors = np.asarray(rows, dtype=np.float32)
    return Items(texts or [f"item {i}" for i in range(len(rows))], vectors)


def topical_items(per_topic: int = 20) -> tuple[Items, dict[str, list[int]]]:
    """Titles on two topics (items alternate topics), embedded by the fake embedder; a
    users x items matrix of 6 users each holding 8 items of one topic."""
    rng = np.random.default_rng(3)
    texts: list[str] = []
    topic_of: dict[str, list[int]] = {name: [] for name in TOPICS}
    for i in range(2 * per_topic):
        name = list(TOPICS)[i % 2]
        words = rng.choice(TOPICS[name], size=3, replace=False)
        texts.append(f"{words[0].capitalize()} {words[1]} of {words[2]}")
        topic_of[name].append(i)
    libraries = np.zeros((6, len(texts)))
    for user in range(6):
        members = topic_of[list(TOPICS)[user % 2]]
        libraries[user, rng.choice(members, size=8, replace=False)] = 1
    vectors = FakeEmbedder(dim=64).embed(texts)
    return Items(texts, vectors, libraries=libraries), topic_of


# --------------------------------------------------------------------------- interface


def test_top_k_orders_best_first_and_breaks_ties_by_lower_id() -> None:
    ids = np.array([7, 3, 9, 1, 5], dtype=np.int64)
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.5])
    assert top_k(scores, ids, 3) == [3, 5, 7]  # 5, 7 and 9 tie at 0.5
    assert top_k(scores, ids, 10) == [3, 5, 7, 9, 1]
    assert top_k(scores, ids, 0) == []


def test_candidates_all_but_excludes_and_checks_indices() -> None:
    items = basis_items([[1, 0], [0, 1], [1, 0], [0, 1]])
    assert Candidates.all_but(items, [1, 3]).ids.tolist() == [0, 2]
    with pytest.raises(UsageError, match="outside the 4 items"):
        Candidates.all_but(items, [4])
    with pytest.raises(UsageError, match="outside the 4 items"):
        Candidates(items, np.array([0, 9]))


def test_items_check_their_shapes() -> None:
    with pytest.raises(UsageError, match="2 texts but vectors"):
        Items(["a", "b"], np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(UsageError, match="libraries of 5 columns"):
        Items(["a", "b"], np.zeros((2, 4), dtype=np.float32), libraries=np.ones((3, 5)))


def test_profile_anchors_are_own_then_liked_each_once() -> None:
    assert Profile([3, 1, 3], liked=[1, 5]).anchors() == [3, 1, 5]
    with pytest.raises(UsageError, match="at least one own or liked item"):
        Profile([]).anchors()


def test_every_method_is_built_by_name_and_unknown_names_are_refused() -> None:
    assert [m.name for m in make_methods()] == list(METHODS)
    with pytest.raises(UsageError, match=r"unknown method.*'svm'.*arxiv-sanity"):
        make_methods(["svm"])


@pytest.mark.parametrize("name", METHODS)
def test_a_user_whose_papers_are_all_about_graphs_gets_graph_papers_first(name: str) -> None:
    items, topic_of = topical_items()
    own = topic_of["graph"][:3]
    candidates = Candidates.all_but(items, own)
    # row 0 of the libraries is a graph user who is not this user: user=None keeps it
    ranked = make_method(name).rank(Profile(own, seed=1), candidates, k=len(candidates))
    graph_left = set(topic_of["graph"]) - set(own)
    assert len(ranked) == len(candidates)
    assert set(ranked[:5]) <= graph_left, name
    # on average the graph papers sit well above the protein papers
    position = {item: p for p, item in enumerate(ranked)}
    mean_graph = np.mean([position[i] for i in graph_left])
    mean_protein = np.mean([position[i] for i in topic_of["protein"]])
    assert mean_graph < mean_protein - 5, name


# --------------------------------------------------------------------------- embeddings


def test_max_and_mean_cosine_hand_computed() -> None:
    items = basis_items([[1, 0, 0], [0, 1, 0], unit(3, 4, 0), unit(1, 0, 1), [0, 0, 1]])
    profile = Profile([0, 1])
    candidates = Candidates.all_but(items, [0, 1])
    # cosines to (item 0, item 1): item 2 (0.6, 0.8); item 3 (0.7071, 0); item 4 (0, 0)
    assert np.allclose(MaxCosine().scores(profile, candidates), [0.8, 1 / math.sqrt(2), 0])
    assert np.allclose(MeanCosine().scores(profile, candidates), [0.7, 1 / (2 * math.sqrt(2)), 0])
    assert MaxCosine().rank(profile, candidates, 2) == [2, 3]


def test_zotero_weights_are_one_over_one_plus_log10_rank_normalised() -> None:
    raw = [1.0, 1.0 / (1.0 + math.log10(2)), 1.0 / (1.0 + math.log10(3))]  # 1, .7686, .6770
    expected = [w / sum(raw) for w in raw]
    assert np.allclose(zotero_weights(3), expected)
    assert np.allclose(zotero_weights(3), [0.40890, 0.31428, 0.27682], atol=1e-5)


def test_zotero_weighs_the_newest_library_item_most() -> None:
    # items 3, 4, 5 are copies of the library items 0, 1, 2: each candidate's score is the
    # weight of its original in the library
    rows: list[list[float]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    items = basis_items(rows + rows)
    added = [dt.date(2024, 5, 1), dt.date(2023, 1, 1), dt.date(2025, 2, 1)]
    profile = Profile([0, 1, 2], added=added)
    assert library_newest_first(profile, items) == [2, 0, 1]
    candidates = Candidates(items, np.array([3, 4, 5]))
    w = zotero_weights(3)
    assert np.allclose(Zotero().scores(profile, candidates), [w[1], w[2], w[0]])
    assert Zotero().rank(profile, candidates, 3) == [5, 3, 4]


def test_zotero_without_dates_takes_the_last_listed_as_newest_and_likes_after_all() -> None:
    items = basis_items([[1, 0], [0, 1], [1, 0], [0, 1]])
    assert library_newest_first(Profile([0, 1, 2]), items) == [2, 1, 0]
    assert library_newest_first(Profile([0, 1], liked=[3, 2]), items) == [2, 3, 1, 0]
    dated = Items(["a", "b"], np.eye(2, dtype=np.float32), dates=[dt.date(2020, 1, 1), None])
    assert library_newest_first(Profile([1, 0]), dated) == [0, 1]  # undated after dated
    with pytest.raises(UsageError, match="2 own items has 1 dates"):
        library_newest_first(Profile([0, 1], added=[None]), items)


# --------------------------------------------------------------------------- words


def test_bm25_hand_computed() -> None:
    texts = ["apple banana", "apples apple cherry", "cherry durian"]  # "apples" folds to apple
    items = basis_items([[1, 0], [0, 1], [1, 1]], texts)
    profile = Profile([0])  # the query: apple banana
    candidates = Candidates.all_but(items, [0])
    n, k1, b = 3, 1.2, 0.75
    average = (2 + 3 + 2) / 3

    def idf(df: int) -> float:
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    # item 1: apple twice in 3 terms; banana absent. item 2: neither query term.
    apple = idf(2) * 2 * (k1 + 1) / (2 + k1 * (1 - b + b * 3 / average))
    assert np.allclose(BM25().scores(profile, candidates), [apple, 0.0])
    # with items 0 and 1 as the profile, apple appears 3 times in the query: 3x its weight
    cherry_only = Candidates(items, np.array([1, 2]))
    both = BM25().scores(Profile([0, 1]), cherry_only)
    cherry = idf(2) * 1 * (k1 + 1) / (1 + k1 * (1 - b + b * 3 / average))
    assert both[0] == pytest.approx(3 * apple + cherry)


def test_arxiv_sanity_tfidf_is_sublinear_over_word_unigrams_and_bigrams() -> None:
    texts = ["spectral spectral spectral clustering", "protein folding", "galaxy survey"]
    items = basis_items([[1, 0], [0, 1], [1, 1]], texts)
    method = ArxivSanity()
    x = method.features(items)
    vocab = method.vectorizer(len(items)).fit(texts).vocabulary_
    row = x[0].toarray().ravel()
    # same idf (each word in one document): weights differ by the tf only, 1 + ln(tf)
    assert row[vocab["spectral"]] / row[vocab["clustering"]] == pytest.approx(1 + math.log(3))
    assert row[vocab["spectral spectral"]] / row[vocab["clustering"]] == pytest.approx(
        1 + math.log(2)
    )
    assert "spectral clustering" in vocab
    assert np.linalg.norm(row) == pytest.approx(1.0)


def test_arxiv_sanity_svm_hand_computed() -> None:
    # two one-word papers: one-hot TF-IDF rows. With one positive, one negative, balanced
    # weights of 1, squared hinge loss and liblinear's bias feature, the SVM minimises
    # 0.5 * 2a^2 + C * 2 * (1 - a)^2, so a = 2C / (1 + 2C) and the decisions are +-a.
    items = basis_items([[1, 0], [0, 1]], ["alpha", "beta"])
    c = 0.01
    a = 2 * c / (1 + 2 * c)
    scores = ArxivSanity().scores(Profile([0]), Candidates(items, np.array([0, 1])))
    assert scores == pytest.approx([a, -a], abs=1e-5)


def test_arxiv_sanity_is_the_per_user_linear_svm_of_its_code() -> None:
    items, topic_of = topical_items()
    own = topic_of["protein"][:4]
    candidates = Candidates.all_but(items, own)
    method = ArxivSanity()
    x = method.features(items)
    y = np.zeros(len(items))
    y[own] = 1
    svm = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01).fit(x, y)
    expected = svm.decision_function(x[candidates.ids])
    assert np.allclose(method.scores(Profile(own), candidates), expected, atol=1e-6)


# --------------------------------------------------------------------------- the product


def test_paperradar_is_the_products_scorer() -> None:
    items, topic_of = topical_items()
    own = topic_of["graph"][:2] + topic_of["protein"][:1]
    candidates = Candidates.all_but(items, own)
    texts = [Text(t, "") for t in items.texts]
    anchors = [Anchor(i, f"item:{i}", items.texts[i], "own") for i in own]
    direct = Scorer(anchors, items.vectors[own], [texts[i].body for i in own], RankingConfig())
    expected = direct.score(items.vectors[candidates.ids], [texts[i] for i in candidates.ids])
    got = make_method("paperradar").scores(Profile(own), candidates)
    assert np.allclose(got, expected.score)
    no_keywords = make_method("paperradar-no-keywords").scores(Profile(own), candidates)
    assert np.allclose(no_keywords, expected.similarity)
    assert not np.allclose(no_keywords, got)


def test_paperradar_feedback_demotes_a_disliked_topic() -> None:
    items, topic_of = topical_items()
    own = topic_of["graph"][:3] + topic_of["protein"][:3]
    disliked = topic_of["protein"][3:9]
    liked = topic_of["graph"][3:5]
    profile = Profile(own, liked=liked, disliked=disliked, seed=4)
    candidates = Candidates.all_but(items, own + liked + disliked)
    protein = np.isin(candidates.ids, topic_of["protein"])

    def protein_mean_rank(method: str) -> float:
        order = np.argsort(-make_method(method).scores(profile, candidates), kind="stable")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(len(order))
        return float(ranks[protein].mean())

    # 22 candidates; the protein papers move down by about two places on average
    assert protein_mean_rank("paperradar") > protein_mean_rank("paperradar-no-feedback") + 1
    # no feedback: the likes are anchors and the dislikes are ignored
    plain = PaperRadar("x", feedback=False).scores(profile, candidates)
    anchors_only = PaperRadar("y").scores(Profile(own + liked), candidates)
    assert np.allclose(plain, anchors_only)


# --------------------------------------------------------------------------- other users


def test_co_occurrence_hand_computed() -> None:
    libraries = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 1, 1]])
    items = Items([f"t{i}" for i in range(5)], np.eye(5, dtype=np.float32), libraries=libraries)
    candidates = Candidates.all_but(items, [0])
    # item 1: held with item 0 by 2 users, each held by 2: 2 / sqrt(2 * 2) = 1
    # item 2: 1 / sqrt(2 * 1); items 3 and 4: no shared holder, popularity 1 / 2 (tie-break)
    scores = CoOccurrence().scores(Profile([0]), candidates)
    assert np.allclose(scores, [1.0, 1 / math.sqrt(2), 0.5e-9, 0.5e-9], atol=1e-12)
    assert CoOccurrence().rank(Profile([0]), candidates, 4) == [1, 2, 3, 4]
    # the user's own row (row 1) left out: items 0 and 1 share one holder, item 2 has none,
    # and the most popular item has one holder: items 3 and 4 are as popular as any
    left_out = CoOccurrence().scores(Profile([0], user=1), candidates)
    assert np.allclose(left_out, [1.0, 0.0, 1e-9, 1e-9], atol=1e-12)
    with pytest.raises(UsageError, match="not a row"):
        CoOccurrence().scores(Profile([0], user=3), candidates)


def test_co_occurrence_needs_libraries() -> None:
    items = basis_items([[1, 0], [0, 1]])
    with pytest.raises(UsageError, match="other users' libraries"):
        CoOccurrence().scores(Profile([0]), Candidates.all_but(items, [0]))


def test_blend_standardises_and_its_ends_are_its_parts() -> None:
    first = np.array([1.0, 2.0, 3.0, 4.0])
    second = np.array([40.0, 30.0, 20.0, 10.0])
    assert np.allclose(standardise(first), (first - 2.5) / np.std(first))
    assert np.allclose(standardise(np.ones(3)), 0)
    assert np.argmax(Blend.combine(first, second, 0.0)) == 3
    assert np.argmax(Blend.combine(first, second, 1.0)) == 0
    assert np.allclose(Blend.combine(first, second, 0.5), 0)  # exact opposites cancel
    with pytest.raises(UsageError, match="between 0 and 1"):
        Blend("b", MaxCosine(), MeanCosine(), 1.5)
    assert 0.0 in BLEND_WEIGHTS and 1.0 in BLEND_WEIGHTS
