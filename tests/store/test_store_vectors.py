"""The vector cache of every backend: pending texts, saving, lookups, the matrix, nearest
neighbours with filters and exclusions, near-duplicates, and a search that sees new vectors."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from paperradar.errors import UsageError
from paperradar.identifiers import content_hash
from paperradar.models import Filters, Paper
from paperradar.store.api import Store
from paperradar.store.api.vectors import VECTOR_DTYPE

Make = Callable[..., Paper]
Matrix = npt.NDArray[np.float32]

MODEL = "test-model"
DIM = 8
D1, D2 = dt.date(2025, 3, 3), dt.date(2025, 3, 10)


def unit(*values: float) -> Matrix:
    """A unit vector of :data:`DIM` dimensions starting with ``values``."""
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(values)] = values
    out: Matrix = (v / np.linalg.norm(v)).astype(np.float32)
    return out


def rows(*vectors: Matrix) -> Matrix:
    out: Matrix = np.stack(vectors).astype(np.float32)
    return out


def store_papers(store: Store, *records: Paper) -> list[int]:
    """Upsert the records (each a new paper); their row ids, in order."""
    assert store.papers.upsert(list(records)).new == len(records)
    found = store.papers.by_alias([r.derived_aliases()[0] for r in records])
    return [found[r.derived_aliases()[0]] for r in records]


def hash_of(p: Paper) -> str:
    return content_hash(p.title, p.abstract)


@pytest.fixture
def three(store: Store, paper: Make) -> tuple[list[Paper], list[int]]:
    """Three papers (two categories, two days, their own arXiv ids); no vectors yet."""
    records = [
        paper("Alpha paper title here", arxiv_id="2501.00001", categories=["cs.CL"], listed=D1),
        paper(
            "Beta paper title here",
            arxiv_id="2501.00002",
            categories=["cs.LG"],
            listed=D1,
            source="hf-daily",
        ),
        paper("Gamma paper title here", arxiv_id="2501.00003", categories=["cs.CL"], listed=D2),
    ]
    return records, store_papers(store, *records)


# -- the cache --------------------------------------------------------------------------------


def test_pending_texts_one_per_distinct_text(store: Store, paper: Make) -> None:
    assert store.vectors.count_pending(MODEL) == 0 and store.vectors.pending(MODEL, 10) == []
    records = [
        paper("Alpha paper title here", arxiv_id="2501.00001"),
        paper("Alpha paper title here", arxiv_id="2502.00002"),  # same text, another paper
        paper("Beta paper title here"),
        paper("Gamma paper title here"),
    ]
    ids = store_papers(store, *records)
    assert store.papers.count() == 4
    hashes = sorted({hash_of(r) for r in records})
    assert store.vectors.count_pending(MODEL) == 3
    pending = store.vectors.pending(MODEL, 10)
    assert [h for h, _, _ in pending] == hashes  # in content-hash order
    texts = {hash_of(r): (r.title, r.abstract) for r in records}
    assert all(texts[h] == (title, abstract) for h, title, abstract in pending)
    assert store.vectors.pending(MODEL, 2) == pending[:2]
    assert store.vectors.pending(MODEL, 10, after=hashes[0]) == pending[1:]
    assert store.vectors.pending(MODEL, 10, after=hashes[-1]) == []
    for_two = store.vectors.pending_for_papers(MODEL, [ids[0], ids[1], 999])
    assert for_two == [(hash_of(records[0]), records[0].title, records[0].abstract)]


def test_saved_vectors_are_no_longer_pending(
    store: Store, three: tuple[list[Paper], list[int]]
) -> None:
    records, ids = three
    assert not store.vectors.has_any(MODEL)
    store.vectors.save(MODEL, [hash_of(records[0]), hash_of(records[2])], rows(unit(1), unit(0, 1)))
    assert store.vectors.has_any(MODEL)
    assert not store.vectors.has_any("another-model")
    assert store.vectors.count_pending(MODEL) == 1
    assert [h for h, _, _ in store.vectors.pending(MODEL, 10)] == [hash_of(records[1])]
    assert store.vectors.pending_for_papers(MODEL, ids) == [
        (hash_of(records[1]), records[1].title, records[1].abstract)
    ]
    assert store.vectors.count_pending("another-model") == 3


def test_vectors_by_paper_and_by_hash_at_the_stored_precision(
    store: Store, paper: Make, three: tuple[list[Paper], list[int]]
) -> None:
    records, ids = three
    twin = paper("Alpha paper title here", arxiv_id="2502.00001")  # the same text as the first
    (twin_id,) = store_papers(store, twin)
    precise = unit(1, 0.123456789, 0.3)
    store.vectors.save(MODEL, [hash_of(records[0]), hash_of(records[1])], rows(precise, unit(0, 1)))
    stored = precise.astype(VECTOR_DTYPE)
    by_paper = store.vectors.for_papers(MODEL, [ids[0], ids[1], ids[2], twin_id, 999])
    assert set(by_paper) == {ids[0], ids[1], twin_id}
    assert by_paper[ids[0]].dtype == np.float32
    assert np.array_equal(by_paper[ids[0]], stored.astype(np.float32))
    assert np.array_equal(by_paper[twin_id], by_paper[ids[0]])  # papers share their text's
    by_hash = store.vectors.by_hash(MODEL, [hash_of(records[0]), hash_of(records[2]), "f" * 40])
    assert set(by_hash) == {hash_of(records[0])}
    assert by_hash[hash_of(records[0])].dtype == VECTOR_DTYPE
    assert np.array_equal(by_hash[hash_of(records[0])], stored)
    assert store.vectors.for_papers("another-model", ids) == {}
    assert store.vectors.for_papers(MODEL, []) == {} and store.vectors.by_hash(MODEL, []) == {}


def test_saving_a_hash_again_replaces_its_vector(
    store: Store, three: tuple[list[Paper], list[int]]
) -> None:
    records, ids = three
    store.vectors.save(MODEL, [hash_of(records[0])], rows(unit(1)))
    store.vectors.save(MODEL, [hash_of(records[0])], rows(unit(0, 0, 1)))
    assert np.array_equal(store.vectors.for_papers(MODEL, [ids[0]])[ids[0]], unit(0, 0, 1))
    assert store.vectors.count_pending(MODEL) == 2


def test_the_matrix_of_every_paper_by_row_id(
    store: Store, three: tuple[list[Paper], list[int]]
) -> None:
    records, ids = three
    empty_ids, empty = store.vectors.matrix(MODEL)
    assert (empty_ids.shape, empty.shape) == ((0,), (0, 0))
    vectors = [unit(1), unit(0, 1), unit(1, 1)]
    store.vectors.save(MODEL, [hash_of(r) for r in reversed(records)], rows(*reversed(vectors)))
    row_ids, matrix = store.vectors.matrix(MODEL)
    assert row_ids.tolist() == sorted(ids)
    assert matrix.dtype == np.float32 and matrix.shape == (3, DIM)
    by_id = dict(zip(ids, vectors, strict=True))
    for row_id, vector in zip(row_ids.tolist(), matrix, strict=True):
        assert np.allclose(vector, by_id[row_id], atol=1e-3)
    _, half = store.vectors.matrix(MODEL, dtype=np.float16)
    assert half.dtype == np.float16 and np.array_equal(half, matrix.astype(np.float16))


# -- search -----------------------------------------------------------------------------------


def test_nearest_orders_by_cosine_and_honours_k(
    store: Store, three: tuple[list[Paper], list[int]]
) -> None:
    records, (a, b, c) = three
    store.vectors.save(
        MODEL, [hash_of(r) for r in records], rows(unit(1), unit(0.6, 0.8), unit(0, 1))
    )
    found = store.vectors.nearest(MODEL, unit(1), 3)
    assert [i for i, _ in found] == [a, b, c]
    assert [s for _, s in found] == pytest.approx([1.0, 0.6, 0.0], abs=1e-3)
    found = store.vectors.nearest(MODEL, unit(0, 1), 2)
    assert [i for i, _ in found] == [c, b]
    assert [s for _, s in found] == pytest.approx([1.0, 0.8], abs=1e-3)
    assert len(store.vectors.nearest(MODEL, unit(1), 10)) == 3


def test_nearest_with_filters_and_exclusions(
    store: Store, three: tuple[list[Paper], list[int]]
) -> None:
    records, (a, b, c) = three
    store.vectors.save(
        MODEL, [hash_of(r) for r in records], rows(unit(1), unit(0.6, 0.8), unit(0, 1))
    )
    query = unit(1)
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 3, Filters(category="cs.CL"))] == [
        a,
        c,
    ]
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 3, Filters(since=D2))] == [c]
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 3, Filters(source="hf-daily"))] == [b]
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 3, exclude=[a])] == [b, c]
    assert [
        i for i, _ in store.vectors.nearest(MODEL, query, 3, Filters(category="cs.CL"), {a})
    ] == [c]
    assert store.vectors.nearest(MODEL, query, 3, Filters(category="math")) == []


def test_nearest_without_vectors_is_a_usage_error(
    store: Store, three: tuple[list[Paper], list[int]]
) -> None:
    with pytest.raises(UsageError, match="no embeddings"):
        store.vectors.nearest(MODEL, unit(1), 3)
    records, _ = three
    store.vectors.save("another-model", [hash_of(records[0])], rows(unit(1)))
    with pytest.raises(UsageError, match="no embeddings"):
        store.vectors.nearest(MODEL, unit(1), 3)


def test_nearest_sees_vectors_and_papers_saved_after_a_search(
    store: Store, paper: Make, three: tuple[list[Paper], list[int]]
) -> None:
    records, (a, b, c) = three
    query = unit(0, 0, 1)
    store.vectors.save(
        MODEL, [hash_of(records[0]), hash_of(records[1])], rows(unit(1, 0, 0.1), unit(0, 1))
    )
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 3)] == [a, b]
    store.vectors.save(MODEL, [hash_of(records[2])], rows(query))  # a new vector
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 1)] == [c]
    twin = paper("Gamma paper title here", arxiv_id="2502.00003")  # c's text: c's vector
    (d,) = store_papers(store, twin)
    assert {i for i, _ in store.vectors.nearest(MODEL, query, 2)} == {c, d}
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 4)][2:] == [a, b]


#: the SQLite backend keeps its vector index while (vector count, max paper id) is unchanged,
#: though vectors or papers changed
STALE_INDEX = "the vector index is kept while the vector count and newest paper are the same"


def test_nearest_sees_a_replaced_vector(
    store: Store, three: tuple[list[Paper], list[int]], known_bug: Callable[[str, str], None]
) -> None:
    known_bug("sqlite", STALE_INDEX)
    records, (a, b, _) = three
    query = unit(0, 0, 1)
    store.vectors.save(
        MODEL, [hash_of(r) for r in records], rows(unit(1, 0, 0.1), unit(0, 1), unit(0, 0, -1))
    )
    assert [i for i, _ in store.vectors.nearest(MODEL, query, 2)] == [a, b]
    store.vectors.save(MODEL, [hash_of(records[1])], rows(unit(0.1, 0, 1)))  # b's text anew
    (best, score), _ = store.vectors.nearest(MODEL, query, 2)
    assert best == b and score == pytest.approx(0.995, abs=1e-3)


def test_nearest_leaves_out_a_paper_absorbed_after_a_search(
    store: Store, paper: Make, known_bug: Callable[[str, str], None]
) -> None:
    known_bug("sqlite", STALE_INDEX)
    first = paper("Quite another spelling here", doi="10.5555/abc")
    second = paper("First spelling of the paper", arxiv_id="2501.00001")
    dropped, kept = store_papers(store, first, second)
    store.vectors.save(MODEL, [hash_of(first), hash_of(second)], rows(unit(1), unit(0, 1)))
    assert [i for i, _ in store.vectors.nearest(MODEL, unit(1), 2)] == [dropped, kept]
    store.papers.upsert([Paper(title="Joined", arxiv_id="2501.00001", doi="10.5555/abc")])
    assert store.papers.load([dropped]) == []
    assert [i for i, _ in store.vectors.nearest(MODEL, unit(1), 2)] == [kept]


def test_nearest_sees_vectors_saved_by_another_store_object(
    store: Store,
    open_another: Callable[[], Store],
    three: tuple[list[Paper], list[int]],
) -> None:
    records, (a, b, c) = three
    store.vectors.save(MODEL, [hash_of(records[0]), hash_of(records[1])], rows(unit(1), unit(0, 1)))
    assert [i for i, _ in store.vectors.nearest(MODEL, unit(0, 0, 1), 3)] == [a, b]
    other = open_another()
    other.vectors.save(MODEL, [hash_of(records[2])], rows(unit(0, 0, 1)))
    assert [i for i, _ in store.vectors.nearest(MODEL, unit(0, 0, 1), 1)] == [c]


def test_nearest_from_several_threads(store: Store, three: tuple[list[Paper], list[int]]) -> None:
    records, (a, b, c) = three
    store.vectors.save(
        MODEL, [hash_of(r) for r in records], rows(unit(1), unit(0.6, 0.8), unit(0, 1))
    )
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def search() -> None:
        try:
            results.append([i for i, _ in store.vectors.nearest(MODEL, unit(1), 3)])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert results == [[a, b, c]] * 4


def test_duplicates_of_finds_the_same_text_content_id_and_abstract(
    store: Store, paper: Make
) -> None:
    abstract = (
        "We introduce a method for sparse mixture-of-experts routing that balances load "
        "without auxiliary losses, and show that it improves perplexity at equal compute."
    )
    base = paper("Loss-Free Balancing for Sparse Experts", abstract=abstract, arxiv_id="2501.1")
    same_text = paper(
        "Loss-Free Balancing for Sparse Experts", abstract=abstract, arxiv_id="2501.2"
    )
    same_title = paper("LOSS-FREE balancing for sparse experts!", arxiv_id="2501.3")
    prefix = paper("Routing without losses", abstract=abstract[:130], arxiv_id="2501.4")
    other = paper("Protein folding at scale", arxiv_id="2501.5")
    ids = store_papers(store, base, same_text, same_title, prefix, other)
    assert store.papers.count() == 5  # their arXiv ids differ: five papers
    # the same text, or one abstract a prefix of the other
    assert store.vectors.duplicates_of([ids[0]]) == {ids[0], ids[1], ids[3]}
    # the same content id (normalised title): the paper filed under it
    assert store.vectors.duplicates_of([ids[2]]) == {ids[2], ids[0]}
    assert store.vectors.duplicates_of([ids[3]]) == {ids[3], ids[0], ids[1]}
    assert store.vectors.duplicates_of([ids[4]]) == {ids[4]}
    assert store.vectors.duplicates_of([ids[4], 999]) == {ids[4], 999}
    assert store.vectors.duplicates_of([]) == set()
