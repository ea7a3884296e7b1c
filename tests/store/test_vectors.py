"""Vector search: exact top-k against a naive computation, filter semantics in both
indexes, HNSW recall against exact search, the on-disk HNSW cache, and the size switch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from paperradar.store.ann import (
    ExactIndex,
    HnswIndex,
    HnswParams,
    VectorIndex,
    build_index,
    cached_hnsw,
    recall_at_k,
)

Matrix = npt.NDArray[np.float32]


def clustered(n: int, dim: int, seed: int, centers: int = 64, latent: int = 16) -> Matrix:
    """Unit vectors in clusters on a low-dimensional subspace plus isotropic noise: the
    shape real text embeddings have (nearest neighbours at cosine ~0.9, random pairs ~0)."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((latent, dim)).astype(np.float32)
    means = rng.standard_normal((centers, latent)).astype(np.float32) * 2
    z = means[rng.integers(0, centers, n)] + rng.standard_normal((n, latent)).astype(np.float32)
    x = z @ basis + rng.standard_normal((n, dim)).astype(np.float32) * 0.5
    unit: Matrix = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return unit


def naive(
    ids: npt.NDArray[np.int64],
    matrix: Matrix,
    query: Matrix,
    k: int,
    allowed: set[int] | None = None,
    exclude: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[int, float]]:
    q = query / np.linalg.norm(query)
    scores = matrix.astype(np.float64) @ q.astype(np.float64)
    pairs = [
        (int(i), float(s))
        for i, s in zip(ids, scores, strict=True)
        if (allowed is None or int(i) in allowed) and int(i) not in exclude
    ]
    pairs.sort(key=lambda p: -p[1])
    return pairs[:k]


def assert_same(got: list[tuple[int, float]], want: list[tuple[int, float]]) -> None:
    assert [i for i, _ in got] == [i for i, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


# sparse ids (not 0..n-1, not sorted) so that row positions and ids cannot be confused
N_SMALL, DIM_SMALL = 3_000, 48
SMALL = clustered(N_SMALL, DIM_SMALL, seed=1)
SMALL_IDS = np.random.default_rng(2).permutation(N_SMALL).astype(np.int64) * 7 + 11
QUERIES = clustered(20, DIM_SMALL, seed=3)


@pytest.fixture(scope="module")
def exact() -> ExactIndex:
    return ExactIndex(SMALL_IDS, SMALL)


@pytest.fixture(scope="module")
def hnsw() -> HnswIndex:
    return HnswIndex(SMALL_IDS, SMALL)


@pytest.fixture(scope="module")
def graph_only(hnsw: HnswIndex) -> HnswIndex:
    """The same graph with the exact fallback for small filters switched off, so filters
    go through oversampling and retries only (the fallback stays for empty results)."""
    return HnswIndex(
        SMALL_IDS, SMALL, max_candidates=N_SMALL, prefer_exact=False, _index=hnsw._index
    )


@pytest.fixture(scope="module", params=["exact", "hnsw", "graph_only"])
def index(
    request: pytest.FixtureRequest, exact: ExactIndex, hnsw: HnswIndex, graph_only: HnswIndex
) -> VectorIndex:
    indexes: dict[str, VectorIndex] = {"exact": exact, "hnsw": hnsw, "graph_only": graph_only}
    return indexes[request.param]


# --------------------------------------------------------------------------- exact


def test_exact_top_k_matches_naive(exact: ExactIndex) -> None:
    results = exact.search(QUERIES, 10)
    assert len(results) == len(QUERIES)
    for query, got in zip(QUERIES, results, strict=True):
        assert_same(got, naive(SMALL_IDS, SMALL, query, 10))


def test_single_vector_query_and_unnormalised_query(exact: ExactIndex) -> None:
    one = exact.search(QUERIES[0], 5)
    scaled = exact.search(QUERIES[0] * 3.5, 5)
    assert len(one) == 1
    assert_same(one[0], naive(SMALL_IDS, SMALL, QUERIES[0], 5))
    assert_same(scaled[0], one[0])


def test_exact_k_larger_than_corpus() -> None:
    ids = np.array([5, 9, 2], dtype=np.int64)
    matrix = clustered(3, 8, seed=4)
    got = ExactIndex(ids, matrix).search(matrix[1], 10)[0]
    assert sorted(i for i, _ in got) == [2, 5, 9]
    assert got[0][0] == 9 and got[0][1] == pytest.approx(1.0, abs=1e-6)


def test_exact_accepts_float16_and_big_sparse_ids() -> None:
    ids = np.array([10**12, 3, 10**15 + 7, 42], dtype=np.int64)
    matrix = clustered(4, 16, seed=5)
    index = ExactIndex(ids, matrix.astype(np.float16))
    got = index.search(matrix[2], 2, allowed=np.array([10**15 + 7, 3]), exclude=[3])[0]
    assert [i for i, _ in got] == [10**15 + 7]


def test_empty_index() -> None:
    index = ExactIndex(np.zeros(0, dtype=np.int64), np.zeros((0, 8), dtype=np.float32))
    assert len(index) == 0
    assert index.search(np.ones(8, dtype=np.float32), 3) == [[]]


def test_bad_arguments_are_rejected(exact: ExactIndex) -> None:
    with pytest.raises(ValueError, match="unique"):
        ExactIndex(np.array([1, 2, 1]), SMALL[:3])
    with pytest.raises(ValueError, match="unique"):
        ExactIndex(np.array([10**12, 5, 10**12]), SMALL[:3])
    with pytest.raises(ValueError, match="shape"):
        ExactIndex(np.array([1, 2]), SMALL[:3])
    with pytest.raises(ValueError, match="query"):
        exact.search(np.ones(DIM_SMALL + 1, dtype=np.float32), 3)
    with pytest.raises(ValueError, match="k must be"):
        exact.search(QUERIES[0], 0)


# --------------------------------------------------------------------------- filters (both)


def test_allowed_restricts_results(index: VectorIndex) -> None:
    rng = np.random.default_rng(6)
    for share in (0.5, 0.1, 0.01):
        allowed = rng.choice(SMALL_IDS, int(N_SMALL * share), replace=False)
        allowed_set = set(allowed.tolist())
        for query in QUERIES[:5]:
            got = index.search(query, 10, allowed=allowed)[0]
            want = naive(SMALL_IDS, SMALL, query, 10, allowed=allowed_set)
            assert len(got) == 10
            assert {i for i, _ in got} <= allowed_set
            if isinstance(index, ExactIndex):
                assert_same(got, want)
            else:  # approximate, but filtered: most of the true filtered top-10
                assert len({i for i, _ in got} & {i for i, _ in want}) >= 8


def test_allowed_contiguous_rows_and_exclude(index: VectorIndex) -> None:
    """A run of consecutive rows (how a date filter over chronological ids looks)."""
    allowed = SMALL_IDS[1000:1400]
    exclude = {int(SMALL_IDS[1000 + j]) for j in range(0, 400, 3)}
    for query in QUERIES[:5]:
        got = index.search(query, 10, allowed=allowed, exclude=exclude)[0]
        want = naive(SMALL_IDS, SMALL, query, 10, set(allowed.tolist()), exclude)
        assert {i for i, _ in got} <= set(allowed.tolist()) - exclude
        assert len(got) == 10
        if isinstance(index, ExactIndex):
            assert_same(got, want)


def test_hnsw_retries_with_more_candidates_when_the_filter_admits_far_rows(
    hnsw: HnswIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Allowed rows far from the query: the first candidates are nearly all filtered out,
    so the search asks the graph again for more, then scores the admitted rows exactly."""
    index = HnswIndex(SMALL_IDS, SMALL, prefer_exact=False, _index=hnsw._index)
    counts: list[int] = []
    original = index._candidates

    def spy(queries: Matrix, count: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        counts.append(count)
        return original(queries, count)

    monkeypatch.setattr(index, "_candidates", spy)
    query = QUERIES[4]
    far = np.argsort(SMALL @ query)[:150]  # the 5% of rows least like the query
    allowed = SMALL_IDS[far]
    got = index.search(query, 10, allowed=allowed)[0]
    assert len(counts) >= 2 and counts[1] > counts[0]
    want = naive(SMALL_IDS, SMALL, query, 10, allowed=set(allowed.tolist()))
    assert {i for i, _ in got} <= set(allowed.tolist())
    assert len({i for i, _ in got} & {i for i, _ in want}) >= 9


def test_allowed_smaller_than_k_returns_all_of_it_best_first(index: VectorIndex) -> None:
    allowed = SMALL_IDS[[5, 700, 2999]]
    got = index.search(QUERIES[0], 10, allowed=allowed)[0]
    want = naive(SMALL_IDS, SMALL, QUERIES[0], 10, allowed=set(allowed.tolist()))
    assert_same(got, want)
    assert len(got) == 3


def test_allowed_empty_or_unknown_gives_nothing(index: VectorIndex) -> None:
    assert index.search(QUERIES[:2], 10, allowed=np.zeros(0, dtype=np.int64)) == [[], []]
    assert index.search(QUERIES[0], 10, allowed=np.array([-1, 4, 10**9])) == [[]]


def test_exclude_drops_the_best_hit(index: VectorIndex) -> None:
    paper = 123
    query = SMALL[paper]
    best = index.search(query, 5)[0]
    assert best[0][0] == SMALL_IDS[paper]
    twin = best[1][0]  # e.g. a duplicate of the paper
    got = index.search(query, 5, exclude={int(SMALL_IDS[paper]), twin})[0]
    assert len(got) == 5
    assert int(SMALL_IDS[paper]) not in {i for i, _ in got} and twin not in {i for i, _ in got}
    want = naive(SMALL_IDS, SMALL, query, 5, exclude={int(SMALL_IDS[paper]), twin})
    assert [i for i, _ in got][:3] == [i for i, _ in want][:3]


def test_allowed_and_exclude_together(index: VectorIndex) -> None:
    allowed = SMALL_IDS[:4]
    got = index.search(QUERIES[1], 10, allowed=allowed, exclude=[int(SMALL_IDS[0]), 999_999])[0]
    assert {i for i, _ in got} == set(SMALL_IDS[1:4].tolist())
    everything_excluded = index.search(QUERIES[1], 3, allowed=allowed, exclude=allowed.tolist())
    assert everything_excluded == [[]]


def test_exclude_almost_everything(index: VectorIndex) -> None:
    keep = SMALL_IDS[[17, 1800]]
    exclude = set(SMALL_IDS.tolist()) - set(keep.tolist())
    got = index.search(QUERIES[2], 10, exclude=exclude)[0]
    assert {i for i, _ in got} == set(keep.tolist())


def test_batch_queries_with_filters_match_single_queries(index: VectorIndex) -> None:
    allowed = SMALL_IDS[::3]
    batch = index.search(QUERIES[:6], 7, allowed=allowed, exclude=[int(SMALL_IDS[3])])
    for query, got in zip(QUERIES[:6], batch, strict=True):
        alone = index.search(query, 7, allowed=allowed, exclude=[int(SMALL_IDS[3])])[0]
        assert [i for i, _ in got] == [i for i, _ in alone]


# --------------------------------------------------------------------------- HNSW recall


def test_hnsw_recall_at_10_on_clustered_vectors() -> None:
    """Default HNSW settings against exact search on 20k clustered 384-d vectors."""
    data = clustered(20_200, 384, seed=7)
    matrix, queries = data[:20_000], data[20_000:]
    ids = np.arange(20_000, dtype=np.int64) + 1
    approx = HnswIndex(ids, matrix)
    exact = ExactIndex(ids, matrix)
    assert recall_at_k(approx, exact, queries, k=10) >= 0.98
    # scores are cosines from float16 vectors: within 1e-2 of the float32 ones
    got, want = approx.search(queries[0], 10)[0], exact.search(queries[0], 10)[0]
    exact_scores = dict(want)
    for i, score in got:
        if i in exact_scores:
            assert score == pytest.approx(exact_scores[i], abs=1e-2)


def test_hnsw_keeps_float16_rows_and_scores_them_in_float32(hnsw: HnswIndex) -> None:
    half = SMALL.astype(np.float16)
    index = HnswIndex(SMALL_IDS, half, _index=hnsw._index)
    assert index.matrix is half  # no float32 copy of the corpus
    allowed = SMALL_IDS[::40]  # small: scored exactly from the float16 rows
    for got, want in (
        (index.search(QUERIES, 10), hnsw.search(QUERIES, 10)),
        (index.search(QUERIES, 10, allowed=allowed), hnsw.search(QUERIES, 10, allowed=allowed)),
    ):
        for g, w in zip(got, want, strict=True):  # float16 rounding may swap near-ties
            assert len({i for i, _ in g} & {i for i, _ in w}) >= 8
            assert np.allclose([s for _, s in g], [s for _, s in w], atol=2e-3)
    exact_half = ExactIndex(SMALL_IDS, half)
    assert exact_half.matrix.dtype == np.float32  # exact search converts once


def test_released_rows_are_read_back_from_the_graph(hnsw: HnswIndex) -> None:
    half = SMALL.astype(np.float16)  # the store's precision: the graph holds the same values
    kept = HnswIndex(SMALL_IDS, half, _index=hnsw._index)
    released = HnswIndex(SMALL_IDS, half, _index=hnsw._index)
    released.release_rows()
    assert released.matrix is None
    small = SMALL_IDS[::40]  # scored exactly, rows fetched from the graph
    wide = SMALL_IDS[::2]  # through the graph, re-scored from it
    for allowed in (None, small, wide):
        got = released.search(QUERIES, 10, allowed=allowed, exclude=SMALL_IDS[:3])
        want = kept.search(QUERIES, 10, allowed=allowed, exclude=SMALL_IDS[:3])
        for g, w in zip(got, want, strict=True):
            assert [i for i, _ in g] == [i for i, _ in w]
            assert np.allclose([s for _, s in g], [s for _, s in w], atol=1e-6)
    # k beyond the candidate limit: exact over every row, read back from the graph
    many = released.search(QUERIES[0], N_SMALL)[0]
    assert len(many) == N_SMALL and {i for i, _ in many} == set(SMALL_IDS.tolist())
    with pytest.raises(ValueError, match="released"):
        released.add_rows(0)


def test_recall_at_k_of_an_index_against_itself_is_one(exact: ExactIndex) -> None:
    assert recall_at_k(exact, exact, QUERIES, k=10) == 1.0


# --------------------------------------------------------------------------- cache


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("hnsw-*.usearch"))


def test_save_and_load_round_trip(tmp_path: Path, hnsw: HnswIndex) -> None:
    path = tmp_path / "index.usearch"
    hnsw.save(path)
    loaded = HnswIndex.load(path, SMALL_IDS, SMALL)
    assert loaded is not None and len(loaded) == N_SMALL and loaded.dim == DIM_SMALL
    assert loaded.search(QUERIES, 10) == hnsw.search(QUERIES, 10)
    # a file that does not fit the rows is refused, not trusted
    assert HnswIndex.load(path, SMALL_IDS[:-1], SMALL[:-1]) is None
    assert HnswIndex.load(path, SMALL_IDS, SMALL, HnswParams(dtype="f32")) is None
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert HnswIndex.load(path, SMALL_IDS, SMALL) is None


def test_cache_reuses_the_file_and_rebuilds_when_stale(tmp_path: Path) -> None:
    first = cached_hnsw(SMALL_IDS, SMALL, tmp_path, model_id="m1")
    [path] = cache_files(tmp_path)
    stamp = path.stat().st_mtime_ns

    again = cached_hnsw(SMALL_IDS, SMALL, tmp_path, model_id="m1")
    assert cache_files(tmp_path) == [path] and path.stat().st_mtime_ns == stamp
    assert again.search(QUERIES, 5) == first.search(QUERIES, 5)
    # the search beam is a load-time setting: the same file serves another one
    wider = cached_hnsw(
        SMALL_IDS, SMALL, tmp_path, model_id="m1", params=HnswParams(expansion_search=32)
    )
    assert cache_files(tmp_path) == [path] and wider._index.expansion_search == 32

    # one more paper: a new file, the stale one removed, the new paper findable
    extra = clustered(1, DIM_SMALL, seed=8)
    grown = cached_hnsw(
        np.append(SMALL_IDS, 10**6), np.vstack([SMALL, extra]), tmp_path, model_id="m1"
    )
    [new_path] = cache_files(tmp_path)
    assert new_path != path
    assert grown.search(extra[0], 1)[0][0][0] == 10**6

    # another model, or changed vectors with the same ids: rebuilt too
    cached_hnsw(SMALL_IDS, SMALL, tmp_path, model_id="m2")
    assert cache_files(tmp_path) not in ([path], [new_path])
    changed = SMALL.copy()
    changed[0] = clustered(1, DIM_SMALL, seed=9)[0]
    names = {p.name for p in cache_files(tmp_path)}
    cached_hnsw(SMALL_IDS, changed, tmp_path, model_id="m2")
    assert {p.name for p in cache_files(tmp_path)} != names


def test_cache_extends_a_graph_of_a_prefix_instead_of_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    real_build = HnswIndex._build

    def counting_build(self: HnswIndex, progress: object) -> object:
        builds.append(len(self.ids))
        return real_build(self, None)

    monkeypatch.setattr(HnswIndex, "_build", counting_build)
    head = 1500
    cached_hnsw(SMALL_IDS[:head], SMALL[:head], tmp_path, model_id="m")
    assert builds == [head]
    # new papers come with larger ids: the old graph is loaded and only they are added
    added: list[int] = []
    grown = cached_hnsw(SMALL_IDS, SMALL, tmp_path, model_id="m", progress=added.append)
    assert builds == [head] and sum(added) == N_SMALL - head
    assert len(cache_files(tmp_path)) == 1 and len(grown) == N_SMALL
    assert grown._index.size == N_SMALL
    # every row is findable, old and new, and the file serves the next process as is
    for row in (0, head - 1, head, N_SMALL - 1):
        assert grown.search(SMALL[row], 1)[0][0][0] == SMALL_IDS[row]
    assert HnswIndex.load(cache_files(tmp_path)[0], SMALL_IDS, SMALL) is not None
    assert recall_at_k(grown, ExactIndex(SMALL_IDS, SMALL), QUERIES, k=10) >= 0.95
    # a changed old row is not a prefix any more: rebuilt from scratch
    changed = SMALL.copy()
    changed[0] = clustered(1, DIM_SMALL, seed=9)[0]
    ids = np.append(SMALL_IDS, 10**6)
    cached_hnsw(ids, np.vstack([changed, changed[:1]]), tmp_path, model_id="m")
    assert builds == [head, N_SMALL + 1]
    # nor is another model's graph
    cached_hnsw(ids[:-1], changed, tmp_path, model_id="other")
    assert builds == [head, N_SMALL + 1, N_SMALL]


def test_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    cached_hnsw(SMALL_IDS, SMALL, tmp_path)
    [path] = cache_files(tmp_path)
    path.write_bytes(b"not an index")
    index = cached_hnsw(SMALL_IDS, SMALL, tmp_path)
    assert index.search(SMALL[9], 1)[0][0][0] == SMALL_IDS[9]
    assert path.stat().st_size > 1000


# --------------------------------------------------------------------------- switch


def test_build_index_switches_at_the_threshold(tmp_path: Path) -> None:
    ids, matrix = SMALL_IDS[:500], SMALL[:500]
    assert isinstance(build_index(ids, matrix, hnsw_threshold=501), ExactIndex)
    assert isinstance(build_index(ids, matrix, hnsw_threshold=500), HnswIndex)
    assert not cache_files(tmp_path)
    cached = build_index(ids, matrix, hnsw_threshold=500, cache_dir=tmp_path, model_id="m")
    assert isinstance(cached, HnswIndex) and len(cache_files(tmp_path)) == 1
    below = build_index(ids, matrix, hnsw_threshold=10_000, cache_dir=tmp_path / "x")
    assert isinstance(below, ExactIndex) and not (tmp_path / "x").exists()
