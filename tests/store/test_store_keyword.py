"""The keyword index of every backend: bm25 ranking of double-quoted phrases, every word or
any, with filters; the rarest phrases; papers by an author's word."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from paperradar.models import Filters, Paper
from paperradar.store.api import Store

Make = Callable[..., Paper]

D1, D2 = dt.date(2025, 3, 3), dt.date(2025, 3, 10)


@pytest.fixture
def ids(store: Store, paper: Make) -> dict[str, int]:
    """A small corpus; name -> row id."""
    records = {
        # "graph" in the title (weight 8) and the abstract
        "title": paper(
            "Graph neural networks for molecules",
            abstract="Message passing over a molecular graph predicts properties of molecules.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            listed=D1,
        ),
        # "graph" and "neural" in the abstract only
        "abstract": paper(
            "Learning on structured data",
            abstract="A neural model reads each graph node by node, with attention.",
            authors=["Alan Turing", "Grace Hopper"],
            categories=["cs.CL"],
            listed=D2,
            source="hf-daily",
        ),
        # "graph" alone
        "graph_only": paper(
            "Spectral clustering revisited",
            abstract="Clustering a similarity graph by its eigenvectors, without any training.",
            authors=["Emmy Noether"],
            categories=["math.SP"],
            listed=D2,
        ),
        # "neural" alone, and a rare word
        "neural_only": paper(
            "Neural audio codecs",
            abstract="Compressing speech with a neural codec and a zymurgy-inspired quantiser.",
            authors=["Grace Hopper"],
            categories=["eess.AS"],
            listed=D1,
        ),
        # neither
        "neither": paper(
            "Protein folding at scale",
            abstract="Predicting structures of proteins from their amino acid sequences.",
            authors=["Rosalind Franklin"],
            categories=["q-bio.BM"],
            listed=D1,
        ),
    }
    report = store.papers.upsert(list(records.values()))
    assert report.new == len(records)
    aliases = {name: p.derived_aliases()[-1] for name, p in records.items()}
    found = store.papers.by_alias(list(aliases.values()))
    return {name: found[alias] for name, alias in aliases.items()}


def test_rank_finds_papers_holding_every_phrase_best_first(
    store: Store, ids: dict[str, int]
) -> None:
    ranked = store.keyword.rank(['"graph"', '"neural"'], 10)
    assert [row_id for row_id, _ in ranked] == [ids["title"], ids["abstract"]]
    scores = [score for _, score in ranked]
    assert scores[0] > scores[1] > 0  # higher is better; a title match weighs more


def test_rank_with_any_word(store: Store, ids: dict[str, int]) -> None:
    ranked = store.keyword.rank(['"graph"', '"neural"'], 10, any_word=True)
    assert {row_id for row_id, _ in ranked} == {
        ids["title"],
        ids["abstract"],
        ids["graph_only"],
        ids["neural_only"],
    }
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    assert ranked[0][0] == ids["title"]  # both words, one of them in the title


def test_rank_phrases_and_stems(store: Store, ids: dict[str, int]) -> None:
    assert [i for i, _ in store.keyword.rank(['"message passing"'], 10)] == [ids["title"]]
    assert store.keyword.rank(['"passing message"'], 10) == []  # a phrase keeps its order
    assert [i for i, _ in store.keyword.rank(['"molecule"'], 10)] == [ids["title"]]  # stemmed
    assert [i for i, _ in store.keyword.rank(['"GRAPH"', '"Molecules"'], 10)] == [ids["title"]]
    assert store.keyword.rank(['"graph"', '"nowhere"'], 10) == []
    assert store.keyword.rank(['"nowhere"'], 10, any_word=True) == []


def test_rank_applies_filters_and_the_limit(store: Store, ids: dict[str, int]) -> None:
    terms = ['"graph"', '"neural"']
    assert [i for i, _ in store.keyword.rank(terms, 10, Filters(category="cs.CL"))] == [
        ids["abstract"]
    ]
    assert [i for i, _ in store.keyword.rank(terms, 10, Filters(since=D2))] == [ids["abstract"]]
    assert [i for i, _ in store.keyword.rank(terms, 10, Filters(until=D1))] == [ids["title"]]
    ((row_id, score),) = store.keyword.rank(terms, 10, Filters(source="hf-daily"))
    assert row_id == ids["abstract"]
    unfiltered = dict(store.keyword.rank(terms, 10))[row_id]
    assert score == pytest.approx(unfiltered)  # a filter does not change a paper's score
    anywhere = store.keyword.rank(terms, 10, Filters(since=D2), any_word=True)
    assert {i for i, _ in anywhere} == {ids["abstract"], ids["graph_only"]}
    top = store.keyword.rank(terms, 3, any_word=True)
    assert top == store.keyword.rank(terms, 10, any_word=True)[:3]
    assert len(store.keyword.rank(terms, 1)) == 1


def test_rank_sees_papers_stored_after_a_first_query(
    store: Store, ids: dict[str, int], paper: Make
) -> None:
    assert len(store.keyword.rank(['"graph"', '"neural"'], 10)) == 2
    store.papers.upsert([paper("A neural graph compiler", abstract="Compiling programs.")])
    assert len(store.keyword.rank(['"graph"', '"neural"'], 10)) == 3


def test_rarest_picks_the_rarest_phrases_within_the_budget(
    store: Store, ids: dict[str, int]
) -> None:
    # document counts: "zymurgy" 1, "neural" 3, "graph" 3, "the" ... "molecules" 1
    terms = ['"graph"', '"neural"', '"zymurgy"']
    assert store.keyword.rarest(terms, 1) == ['"zymurgy"']
    assert store.keyword.rarest(terms, 3) == ['"zymurgy"']
    assert store.keyword.rarest(terms, 4)[0] == '"zymurgy"'
    assert len(store.keyword.rarest(terms, 4)) == 2
    assert store.keyword.rarest(terms, 7) == ['"zymurgy"', '"graph"', '"neural"']
    assert store.keyword.rarest(terms, 0) == ['"zymurgy"']  # at least the rarest one
    assert store.keyword.rarest(['"graph"', '"nowhere"'], 0) == ['"nowhere"']


def test_papers_with_author_word(store: Store, ids: dict[str, int]) -> None:
    found = sorted(store.keyword.papers_with_author_word("hopper"))
    assert found == sorted(
        [
            (ids["abstract"], ["Alan Turing", "Grace Hopper"]),
            (ids["neural_only"], ["Grace Hopper"]),
        ]
    )
    assert store.keyword.papers_with_author_word("Lovelace") == [(ids["title"], ["Ada Lovelace"])]
    assert store.keyword.papers_with_author_word("molecules") == []  # a title word
    assert store.keyword.papers_with_author_word("nobody") == []


def test_any_word_top_k_is_the_head_of_the_full_ranking(store: Store, paper: Make) -> None:
    """A short any-word ranking is the head of the whole one, with filters too: a backend
    may skip papers that cannot place (PostgreSQL's MaxScore bound), never one that can. Here
    the rare words sit once in long abstracts and the commonest word fills short papers, so
    papers holding only the common word lead."""
    filler = " ".join(f"word{k}" for k in range(60))
    records = []
    for n in range(48):
        if n in (0, 24):
            title, abstract = f"Brewing study {n}", f"zymurgy {n} {filler}"
        elif n % 8 == 1:
            title, abstract = f"Network study {n}", f"graph {n} {filler}"
        elif n % 3 == 2:
            title, abstract = f"Model model {n}", f"model model model model {n}"
        else:
            title, abstract = f"Other study {n}", f"nothing here {n}"
        records.append(
            paper(
                title,
                abstract=abstract,
                categories=["cs.LG" if n % 2 else "cs.CL"],
                listed=D1 if n % 5 else D2,
            )
        )
    assert store.papers.upsert(records).new == len(records)
    terms = ['"zymurgy"', '"graph"', '"model"']
    for filters in (None, Filters(category="cs.CL"), Filters(since=D2)):
        whole = store.keyword.rank(terms, -1, filters, any_word=True)
        assert whole, filters
        for limit in (1, 2, 3, 5, 10):
            head = store.keyword.rank(terms, limit, filters, any_word=True)
            assert [i for i, _ in head] == [i for i, _ in whole[:limit]], (filters, limit)
            assert [s for _, s in head] == pytest.approx([s for _, s in whole[:limit]])
