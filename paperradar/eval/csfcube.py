"""CSFCube: faceted query-by-example over computer-science abstracts, with its own protocol.

CSFCube (Mysore, O'Gorman, McCallum, Zamani; NeurIPS 2021 Datasets and Benchmarks) has 50
query-facets (16 background, 17 method, 17 result) over 34 query papers; each has a pool of
~100-250 candidate papers graded 0-3. Nothing is downloaded: :func:`load` reads the release
folder the user gives (abstracts_reconstructed.jsonl, test-pid2anns-csfcube-{facet}.json,
evaluation_splits.json, queries-release.csv and, for the reference, specter_ranked_pools/).

Protocol, as the dataset's eval_scripts/ranking_eval.py and datasheet prescribe:

- each method ranks each query's whole pool; a query paper listed in its own pool is left out
  of it (as in the authors' SPECTER rankings);
- binary metrics count grade >= 2 as relevant; the NDCGs use the grades, with rank_metrics.py's
  discount and the ideal ordering of the pool (:mod:`paperradar.eval.metrics`): "ndcg%20" is
  NDCG at int(0.2 * pool size), "r_prec" is rank_metrics' r_precision (precision down to the
  last relevant candidate, what the README calls R-Prec), "p@20", "r@20", "ndcg", "ndcg@20",
  "map";
- splits background / method / result / all: the figure of a split is the mean of the two
  folds' test-half means of evaluation_splits.json (the two test halves together are every
  query-facet of the split: "all" is all 50); ci95 is 1.96 standard errors of that estimate.

Methods (each ranking ties, and candidates it does not score, in paper-id order):

- ``paperradar``: cosine of the MiniLM vectors of whole papers (title + abstract), query paper
  against each candidate: what ``paperradar similar`` ranks by (similar over a store also drops
  papers it takes for duplicates of the query; over the pool nothing is dropped);
- ``bm25``: FTS5's bm25 of the query paper's words (stopwords out, any word may match) over an
  in-memory FTS5 index of every CSFCube paper (title weight 8, abstract 1, the store's
  tokenizer: paperradar.store.sqlite.keyword), so document frequencies are the collection's,
  as in a store;
- ``hybrid``: reciprocal-rank fusion of those two rankings (paperradar.search.semantic.fuse_ranks);
- ``*-facet``: the same, with only the query's sentences of the facet as the query (the
  dataset's per-sentence labels, corrected by hand for query papers; background = background +
  objective sentences), against whole candidate abstracts;
- ``specter``: the dataset's shipped SPECTER rankings, scored by this code: the published
  reference (README: NDCG%20 0.533 on all 50), which this code must and does reproduce.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from paperradar.embedding import Embedder, paper_text
from paperradar.errors import FormatError, UsageError
from paperradar.eval import EvalReport, EvalRow
from paperradar.eval.metrics import (
    average_precision,
    fold_mean_ci95,
    ndcg_at_k,
    ndcg_percent,
    precision_at_k,
    precision_at_last_relevant,
    recall_at,
)
from paperradar.identifiers import content_hash
from paperradar.radar.affinity import embed_texts
from paperradar.search import fts_terms
from paperradar.search.semantic import fuse_ranks
from paperradar.store.api import Store
from paperradar.store.sqlite.keyword import MemoryBm25

FACETS = ("background", "method", "result")
SPLITS = (*FACETS, "all")
#: the sentence labels of abstracts_reconstructed.jsonl that make up each facet's query
FACET_LABELS = {
    "background": ("background_label", "objective_label"),
    "method": ("method_label",),
    "result": ("result_label",),
}
METHODS = (
    "paperradar",
    "paperradar-facet",
    "bm25",
    "bm25-facet",
    "hybrid",
    "hybrid-facet",
    "specter",
)
METRICS = ("r_prec", "p@20", "r@20", "ndcg", "ndcg@20", "ndcg%20", "map")
AT_K = 20
RELEVANT_GRADE = 2
PUBLISHED_SOURCE = "SPECTER (CSFCube README)"
#: SPECTER on the test protocol, as the dataset's README prints it (MAP is not given there)
PUBLISHED_SPECTER: dict[str, dict[str, float]] = {
    split: dict(zip(METRICS[:6], values, strict=True))
    for split, values in {
        "background": (0.248, 0.353, 0.575, 0.822, 0.662, 0.667),
        "method": (0.117, 0.136, 0.408, 0.628, 0.377, 0.374),
        "result": (0.186, 0.238, 0.527, 0.755, 0.564, 0.567),
        "all": (0.183, 0.240, 0.501, 0.733, 0.531, 0.533),
    }.items()
}
ABSTRACTS = "abstracts_reconstructed.jsonl"
SPLITS_FILE = "evaluation_splits.json"
QUERIES = "queries-release.csv"
SPECTER_DIR = "specter_ranked_pools"
PROTOCOL = (
    "CSFCube's own: each method ranks each query-facet's graded pool (query paper left out); "
    "per split the mean of the two folds' test halves of evaluation_splits.json (together all "
    "query-facets of the split); grade >= 2 relevant; NDCG%20 = NDCG at int(0.2 * pool size) "
    "with the dataset's rank_metrics discount"
)

#: called as progress(stage, done, total); the one stage is "embed"
EvalProgress = Callable[[str, int, int], None]
Vector = npt.NDArray[np.float32]


def anns_file(facet: str) -> str:
    return f"test-pid2anns-csfcube-{facet}.json"


def specter_file(facet: str) -> str:
    return f"{SPECTER_DIR}/test-pid2pool-csfcube-specter-{facet}-ranked.json"


@dataclass(frozen=True, slots=True)
class CsfPaper:
    """A CSFCube paper: title, abstract sentences and each sentence's facet label."""

    id: str
    title: str
    sentences: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def abstract(self) -> str:
        return " ".join(s.strip() for s in self.sentences if s.strip())

    def facet_sentences(self, facet: str) -> str:
        """The abstract's sentences labelled with the facet, in order ("" when none)."""
        wanted = FACET_LABELS[facet]
        return " ".join(
            s.strip()
            for s, label in zip(self.sentences, self.labels, strict=True)
            if label in wanted and s.strip()
        )


@dataclass(slots=True)
class Cube:
    """A loaded CSFCube folder. Query keys are ``"<query pid>_<facet>"``, as in
    evaluation_splits.json."""

    papers: dict[str, CsfPaper]
    #: query key -> candidate pid -> adjudicated grade (the query paper left out)
    pools: dict[str, dict[str, int]]
    #: split -> (fold 1 test half, fold 2 test half)
    folds: dict[str, tuple[list[str], list[str]]]
    #: query key -> SPECTER's ranking of the pool; None when specter_ranked_pools/ is absent
    specter: dict[str, list[str]] | None = None

    @staticmethod
    def split_of(key: str) -> tuple[str, str]:
        """``(query pid, facet)`` of a query key."""
        pid, facet = key.rsplit("_", 1)
        return pid, facet


# --------------------------------------------------------------------------- loading


def _require(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"{path}: no such file (is --data a CSFCube release folder?)")
    return path


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_require(path).read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(str(path), None, f"not valid JSON: {exc}") from None


def read_papers(path: Path) -> dict[str, CsfPaper]:
    """abstracts_reconstructed.jsonl: paper_id, title, abstract (sentences), pred_labels."""
    papers: dict[str, CsfPaper] = {}
    with _require(path).open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                pid, title = str(record["paper_id"]), str(record["title"])
                sentences = tuple(str(s) for s in record["abstract"])
                labels = tuple(str(x) for x in record["pred_labels"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise FormatError(str(path), line_no, f"not a CSFCube paper: {exc!r}") from None
            if len(sentences) != len(labels):
                raise FormatError(str(path), line_no, "abstract and pred_labels differ in length")
            papers[pid] = CsfPaper(pid, title.strip(), sentences, labels)
    return papers


def read_pools(data: Path) -> dict[str, dict[str, int]]:
    """Every query-facet's graded pool, without the query paper itself."""
    pools: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        path = data / anns_file(facet)
        anns = _read_json(path)
        try:
            for qpid, pool in anns.items():
                cands = [str(c) for c in pool["cands"]]
                grades = [int(g) for g in pool["relevance_adju"]]
                if len(cands) != len(grades):
                    raise ValueError(f"{qpid}: cands and relevance_adju differ in length")
                graded = dict(zip(cands, grades, strict=True))
                graded.pop(str(qpid), None)
                pools[f"{qpid}_{facet}"] = graded
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise FormatError(str(path), None, f"not a CSFCube pool file: {exc}") from None
    return pools


def read_folds(path: Path, pools: Mapping[str, object]) -> dict[str, tuple[list[str], list[str]]]:
    """Each split's two test halves; they must split the split's query-facets between them."""
    splits = _read_json(path)
    folds: dict[str, tuple[list[str], list[str]]] = {}
    for split in SPLITS:
        try:
            halves = ([str(k) for k in splits[split][f"fold{i}_test"]] for i in (1, 2))
            first, second = halves
        except (KeyError, TypeError) as exc:
            raise FormatError(str(path), None, f"no test folds for {split!r}: {exc!r}") from None
        members = {k for k in pools if split == "all" or k.endswith(f"_{split}")}
        if set(first) & set(second) or set(first) | set(second) != members:
            raise FormatError(
                str(path), None, f"the {split} test folds do not split its query-facets"
            )
        if not first or not second:
            raise FormatError(str(path), None, f"an empty {split} test fold")
        folds[split] = (first, second)
    return folds


def check_queries(path: Path, pools: Mapping[str, object]) -> None:
    """queries-release.csv must list exactly the query-facets that have pools."""
    try:
        with _require(path).open(encoding="utf-8", newline="") as fh:
            listed = {f"{row['pid']}_{row['facet']}" for row in csv.DictReader(fh)}
    except KeyError as exc:
        raise FormatError(str(path), None, f"no {exc} column") from None
    if listed != set(pools):
        odd = sorted(listed ^ set(pools))
        raise FormatError(
            str(path), None, f"queries and pools disagree on {len(odd)}: {', '.join(odd[:5])}"
        )


def read_specter(data: Path, pools: Mapping[str, Mapping[str, int]]) -> dict[str, list[str]]:
    """The shipped SPECTER rankings; each must order exactly its query's pool."""
    out: dict[str, list[str]] = {}
    for facet in FACETS:
        path = data / specter_file(facet)
        ranked = _read_json(path)
        try:
            for qpid, pairs in ranked.items():
                out[f"{qpid}_{facet}"] = [str(pair[0]) for pair in pairs]
        except (AttributeError, IndexError, TypeError) as exc:
            raise FormatError(str(path), None, f"not a ranked pool file: {exc!r}") from None
        for key, pool in pools.items():
            if key.endswith(f"_{facet}") and sorted(out.get(key, ())) != sorted(pool):
                raise FormatError(str(path), None, f"the ranking of {key} is not its pool")
    return out


def load(data: Path, *, specter: bool = True) -> Cube:
    """Read a CSFCube release folder (``specter``: also its SPECTER rankings, when present)."""
    data = Path(data)
    if not data.is_dir():
        raise UsageError(f"{data}: no such directory (pass a CSFCube release folder)")
    papers = read_papers(data / ABSTRACTS)
    pools = read_pools(data)
    for key, pool in pools.items():
        missing = [pid for pid in (Cube.split_of(key)[0], *pool) if pid not in papers]
        if missing:
            raise FormatError(
                str(data / ABSTRACTS), None, f"no paper {missing[0]} (in the pool of {key})"
            )
    folds = read_folds(data / SPLITS_FILE, pools)
    check_queries(data / QUERIES, pools)
    shipped = specter and (data / SPECTER_DIR).is_dir()
    return Cube(papers, pools, folds, read_specter(data, pools) if shipped else None)


# --------------------------------------------------------------------------- ranking


def rank_pool(pool: Iterable[str], scores: Mapping[str, float]) -> list[str]:
    """The pool best score first; equal scores in paper-id order, then the candidates without
    a score, in paper-id order (the pool's own order carries some signal, so it is not used)."""
    ids = sorted(pool)
    scored = sorted((pid for pid in ids if pid in scores), key=lambda pid: -scores[pid])
    return scored + [pid for pid in ids if pid not in scores]


def _query_text(paper: CsfPaper, facet: str | None) -> tuple[str, str]:
    """``(title, abstract)`` of a query: the whole paper, or its facet's sentences only (the
    whole abstract when the paper has none of that facet)."""
    if facet is None:
        return paper.title, paper.abstract
    sentences = paper.facet_sentences(facet)
    return ("", sentences) if sentences else (paper.title, paper.abstract)


@dataclass(slots=True)
class _Embedded:
    vectors: dict[str, Vector]  # content hash -> vector
    texts: int = 0
    embedded: int = 0


def _embed(
    texts: dict[str, tuple[str, str]],
    embedder: Embedder,
    store: Store | None,
    progress: EvalProgress | None,
) -> _Embedded:
    """Vectors of ``(title, abstract)`` texts keyed by content hash, through the store's
    vector cache when there is a store (the same keys as stored papers' vectors)."""
    by_hash = {h: paper_text(*pair) for h, pair in texts.items()}
    matrix, embedded = embed_texts(by_hash, embedder, store, progress)
    return _Embedded(dict(zip(by_hash, matrix, strict=True)), len(by_hash), embedded)


class _Bm25Index:
    """Every CSFCube paper in a private in-memory FTS5 table with the store's tokenizer."""

    def __init__(self, papers: Mapping[str, CsfPaper]) -> None:
        self.ids = list(papers)
        self.index = MemoryBm25((papers[pid].title, papers[pid].abstract) for pid in self.ids)
        self.row = {pid: i for i, pid in enumerate(self.ids)}

    def scores(self, text: str, pool: Iterable[str]) -> dict[str, float]:
        """bm25 (higher is better) of the pool's papers holding any of the text's words."""
        terms = list({t.lower(): t for t in fts_terms(text)}.values())
        if not terms:
            return {}
        wanted = {self.row[pid] for pid in pool}
        # every match, filtered here (see MemoryBm25.any_of)
        found = self.index.any_of(terms)
        return {self.ids[row]: score for row, score in found if row in wanted}

    def close(self) -> None:
        self.index.close()


def _fuse(pool: Sequence[str], *rankings: Sequence[str]) -> dict[str, float]:
    """RRF scores of the pool's candidates over the rankings (paperradar's hybrid fusion)."""
    index = {pid: i for i, pid in enumerate(pool)}
    fused = fuse_ranks([[(index[pid], 0.0) for pid in ranking] for ranking in rankings])
    return {pool[i]: score for i, score in fused}


def check_methods(methods: Sequence[str] | None, cube: Cube) -> tuple[list[str], list[str]]:
    """The methods to run and notes on those left out (specter without its rankings)."""
    if methods is None:
        chosen = [m for m in METHODS if m != "specter" or cube.specter is not None]
        skipped = [] if cube.specter is not None else [f"specter: no {SPECTER_DIR}/ folder"]
        return chosen, skipped
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UsageError(f"unknown csfcube method {unknown[0]!r}; choose from {', '.join(METHODS)}")
    if "specter" in methods and cube.specter is None:
        raise UsageError(f"specter needs the dataset's {SPECTER_DIR}/ folder: it is missing")
    return list(dict.fromkeys(methods)), []


@dataclass(slots=True)
class Rankings:
    """Each method's ranking of each query-facet's pool, and what embedding cost."""

    by_method: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    texts: int = 0  # distinct texts with a vector
    embedded: int = 0  # of which embedded in this run (the rest came from the store's cache)


class _Ranker:
    """Scores pools for one cube: query texts, vectors and the bm25 index, built once."""

    def __init__(self, cube: Cube, facet_aware: bool) -> None:
        self.cube = cube
        self.queries: dict[tuple[str, bool], tuple[str, str]] = {}
        for key in cube.pools:
            pid, facet = cube.split_of(key)
            self.queries[(key, False)] = _query_text(cube.papers[pid], None)
            if facet_aware:
                self.queries[(key, True)] = _query_text(cube.papers[pid], facet)
        self.vectors: dict[str, Vector] = {}
        self.bm25: _Bm25Index | None = None
        self.bm25_cache: dict[tuple[str, bool], dict[str, float]] = {}

    def embed(
        self, embedder: Embedder, store: Store | None, progress: EvalProgress | None
    ) -> _Embedded:
        """Vectors of every pooled paper and every query text."""
        texts: dict[str, tuple[str, str]] = {}
        for pid in sorted({pid for pool in self.cube.pools.values() for pid in pool}):
            paper = self.cube.papers[pid]
            texts[content_hash(paper.title, paper.abstract)] = (paper.title, paper.abstract)
        for pair in self.queries.values():
            texts[content_hash(*pair)] = pair
        embedded = _embed(texts, embedder, store, progress)
        self.vectors = embedded.vectors
        return embedded

    def cosine(self, key: str, facet: bool) -> list[str]:
        query = self.vectors[content_hash(*self.queries[(key, facet)])]
        scores = {}
        for pid in self.cube.pools[key]:
            paper = self.cube.papers[pid]
            scores[pid] = float(self.vectors[content_hash(paper.title, paper.abstract)] @ query)
        return rank_pool(self.cube.pools[key], scores)

    def bm25_scores(self, key: str, facet: bool) -> dict[str, float]:
        found = self.bm25_cache.get((key, facet))
        if found is None:
            if self.bm25 is None:
                self.bm25 = _Bm25Index(self.cube.papers)
            text = " ".join(self.queries[(key, facet)])
            found = self.bm25_cache[(key, facet)] = self.bm25.scores(text, self.cube.pools[key])
        return found

    def keyword(self, key: str, facet: bool) -> list[str]:
        return rank_pool(self.cube.pools[key], self.bm25_scores(key, facet))

    def hybrid(self, key: str, facet: bool) -> list[str]:
        """RRF of the bm25 ranking (the candidates matching a word) and the cosine one."""
        scores = self.bm25_scores(key, facet)
        matched = [pid for pid in self.keyword(key, facet) if pid in scores]
        pool = sorted(self.cube.pools[key])
        return rank_pool(pool, _fuse(pool, matched, self.cosine(key, facet)))

    def close(self) -> None:
        if self.bm25 is not None:
            self.bm25.close()


def rank(
    cube: Cube,
    methods: Sequence[str],
    embedder: Embedder,
    store: Store | None = None,
    progress: EvalProgress | None = None,
) -> Rankings:
    """Rank every pool with every method of :data:`METHODS` (see the module doc)."""
    methods, _ = check_methods(methods, cube)
    out = Rankings()
    ranker = _Ranker(cube, facet_aware=any(m.endswith("-facet") for m in methods))
    if {m.removesuffix("-facet") for m in methods} & {"paperradar", "hybrid"}:
        embedded = ranker.embed(embedder, store, progress)
        out.texts, out.embedded = embedded.texts, embedded.embedded
    scorers = {"paperradar": ranker.cosine, "bm25": ranker.keyword, "hybrid": ranker.hybrid}
    specter = cube.specter or {}
    try:
        for method in methods:
            name, facet = method.removesuffix("-facet"), method.endswith("-facet")
            if name == "specter":
                out.by_method[method] = {key: specter[key] for key in sorted(cube.pools)}
            else:
                scorer = scorers[name]
                out.by_method[method] = {key: scorer(key, facet) for key in sorted(cube.pools)}
    finally:
        ranker.close()
    return out


# --------------------------------------------------------------------------- scoring


def query_metrics(ranked: Sequence[str], grades: Mapping[str, int]) -> dict[str, float]:
    """Every CSFCube metric of one ranking of a pool (``grades``: candidate -> 0-3)."""
    gains = [grades.get(pid, 0) for pid in ranked]
    relevant = [1 if g >= RELEVANT_GRADE else 0 for g in gains]
    relevant_ids = {pid for pid, g in grades.items() if g >= RELEVANT_GRADE}
    ideal = list(grades.values())
    return {
        "r_prec": precision_at_last_relevant(relevant),
        "p@20": precision_at_k(relevant, AT_K),
        "r@20": recall_at(ranked, relevant_ids, AT_K),
        "ndcg": ndcg_at_k(gains, len(ideal), ideal, discount="rank_metrics"),
        "ndcg@20": ndcg_at_k(gains, AT_K, ideal, discount="rank_metrics"),
        "ndcg%20": ndcg_percent(gains, ideal, 20),
        "map": average_precision(relevant, len(relevant_ids)),
    }


def per_query(cube: Cube, ranked: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Query key -> metric -> value, for one method's rankings."""
    return {key: query_metrics(ranked[key], grades) for key, grades in cube.pools.items()}


def split_rows(
    method: str, metrics: Mapping[str, Mapping[str, float]], cube: Cube
) -> list[EvalRow]:
    """One row per split: the mean of the two folds' test-half means, with its ci95."""
    rows = []
    for split in SPLITS:
        first, second = cube.folds[split]
        means: dict[str, float] = {}
        ci95: dict[str, float] = {}
        for name in METRICS:
            mean, half = fold_mean_ci95(
                [[metrics[k][name] for k in first], [metrics[k][name] for k in second]]
            )
            means[name] = mean
            if half == half:  # not NaN: both folds have two or more queries
                ci95[name] = half
        rows.append(EvalRow(method, split, means, len(first) + len(second), ci95))
    return rows


def published() -> dict[tuple[str, str, str], float]:
    """The README's SPECTER figures as (source, split, metric) -> value."""
    return {
        (PUBLISHED_SOURCE, split, name): value
        for split, values in PUBLISHED_SPECTER.items()
        for name, value in values.items()
    }


def report(cube: Cube, rankings: Rankings, skipped: Sequence[str] = ()) -> EvalReport:
    """The EvalReport of some rankings of a loaded CSFCube."""
    out = EvalReport("csfcube", PROTOCOL, published=published())
    for method, ranked in rankings.by_method.items():
        out.rows.extend(split_rows(method, per_query(cube, ranked), cube))
    n = len(cube.pools)
    out.notes.append(
        f"{n} query-facets over {len({cube.split_of(k)[0] for k in cube.pools})} query papers, "
        f"{sum(len(p) for p in cube.pools.values()):,} graded candidates"
    )
    if rankings.texts:
        out.notes.append(
            f"vectors: {rankings.texts:,} texts, {rankings.embedded:,} embedded now "
            "(the rest from the store's cache)"
        )
    if any(method.endswith("-facet") for method in rankings.by_method):
        whole = [k for k in sorted(cube.pools) if not _has_facet_sentences(cube, k)]
        if whole:
            out.notes.append(
                f"no sentence of the facet, so the whole paper is the -facet query: "
                f"{', '.join(whole)}"
            )
    out.notes.extend(f"left out: {note}" for note in skipped)
    return out


def _has_facet_sentences(cube: Cube, key: str) -> bool:
    pid, facet = cube.split_of(key)
    return bool(cube.papers[pid].facet_sentences(facet))


def run(
    data: Path,
    *,
    embedder: Embedder,
    methods: Sequence[str] | None = None,
    store: Store | None = None,
    progress: EvalProgress | None = None,
) -> EvalReport:
    """Evaluate ``methods`` (default: all, specter when its rankings are there) on the CSFCube
    folder ``data`` with the dataset's two-fold test protocol; vectors are cached in
    ``store`` when given, so a re-run embeds nothing."""
    cube = load(data)
    chosen, skipped = check_methods(methods, cube)
    rankings = rank(cube, chosen, embedder, store, progress)
    return report(cube, rankings, skipped)
