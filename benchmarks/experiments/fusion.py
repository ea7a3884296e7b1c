"""Which fusion for hybrid search? Keyword, semantic, RRF and convex combinations, measured.

`paperradar search` gets a text. Three kinds of text query are run against one store holding
all 4,205 CSFCube papers (title + abstract), embedded with the real model
(paperradar.embedding.default_embedder):

- title:  for each of CSFCube's 50 query-facets, the query paper's title;
- facet:  the query paper's own sentences of that facet (the dataset's per-sentence labels,
          corrected by hand for the query papers; background = background + objective);
- name:   known-item lookups, the "you know the words" case CSFCube does not judge: every
          CSFCube title of the form "NAME: ..." where NAME is one token with a capital or digit
          after its first letter (MCTest, WELDA, Life-iNet, ...). The query is NAME; the
          papers whose title starts with "NAME:" are the ones to find.

Title and facet queries (see benchmarks/csfcube.py for the data and the metrics) run against
the store *as if the query paper had never been ingested*: the paper and its duplicates
(semantic.duplicates_of, plus papers with the same content id, i.e. the same normalised title)
are deleted, with their vectors, from a copy of the store, which those queries run against
(opened as a store of its own, so its caches start empty); the copy is removed after. That matters
for keyword search, which matches all words and falls back to any word only when nothing
matches all: with the query paper present, its own title or sentences match all words and, for
nearly every query, nothing else does. A duplicate of the query paper in its pool is left out
of the pool, as the query paper is. Name queries run against the whole store.

For every query the benchmark takes the library's full keyword ranking
(search.keyword_ranking: bm25, higher is better) and full semantic ranking (cosine over every
stored vector, from store.vectors.nearest), and fuses them offline in every variant:

- keyword alone; semantic alone;
- RRF: sum of 1 / (k + rank) over the two lists, each cut at a depth (hybrid search's fusion
  before this benchmark: k = 60, depth 100);
- weighted RRF: the same with weight w on the semantic list's terms and 1 - w on bm25's;
- convex: alpha * cosine' + (1 - alpha) * bm25', each list cut at a depth, where ' is min-max
  or z-score normalisation over the union of the two cut lists (a paper missing from one list
  takes that list's lowest score there), or max-scaling (score / the list's best score, with
  0 for a paper missing from the list).

Scores. Title and facet: each fused ranking orders the facet's graded pool as in csfcube.py,
except that pool candidates the ranking does not reach go last in paper-id order, not in pool
order (which carries some signal: NDCG%20 0.252 as it is, 0.227 by id); NDCG%20 and MAP with
csfcube.py's code. Name: reciprocal rank of the first paper to find (0 if the fused list does
not reach it), and success at 1.

Protocol: two folds. Title and facet queries use the dataset's (evaluation_splits.json, 'all'),
name queries alternate in name order. For each fold a variant's parameters are chosen on the
fold's dev half (highest NDCG%20 then MAP; for names MRR then S@1; then the earlier grid point)
and reported on its test half; 'test' is the mean of the two test halves, as in csfcube.py.
Nothing is tuned on the queries it is reported on. vs RRF: per-query difference to RRF k=60
depth 100 (NDCG%20, or RR for names), with the p of a paired sign-flip test (20,000 draws).

One default must serve all three kinds, so it is chosen by one rule: the highest mean of the
title and facet dev NDCG%20 among the variants whose dev name MRR is at most NAME_TOLERANCE
below RRF k=60 depth 100's (named papers must not get harder to find). The rule's choice
replaces RRF k=60 depth 100 only if, cross-validated, it beats it on both title and facet
test NDCG%20 with p < 0.05; otherwise RRF k=60 depth 100 stays (a tie). The benchmark
prints that decision.

As a check that the offline fusion is what the product does, every query is also run through
semantic.hybrid_search with the library's current defaults: its top 100 must equal the
benchmark's own fusion, with the same parameters, of the rankings hybrid_search takes, and
those must be the start of the full rankings above up to the order of equal scores (which
SQLite and argpartition settle differently at different depths). The exit code is 1
otherwise.

    python benchmarks/experiments/fusion.py [--data PATH] [--cache DIR] [--results PATH]

--cache keeps the store (and so its embeddings) in DIR between runs. An experiment: its
question is settled (RRF k=60 depth 100 stays), so `make bench` no longer runs it; its results
stay in benchmarks/results/fusion.json, which benchmarks/summary.py still shows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from paperradar import UsageError, ingest_files
from paperradar.embedding import Embedder, default_embedder
from paperradar.embedding.backfill import embed_missing
from paperradar.eval import csfcube
from paperradar.eval.metrics import fold_mean_ci95
from paperradar.identifiers import content_id
from paperradar.search import keyword_ranking
from paperradar.search import semantic as library
from paperradar.search.semantic import duplicates_of, hybrid_search
from paperradar.store import open_store
from paperradar.store.api import Store

# the shared helpers are in benchmarks/_lib (benchmarks/ is not on the path of this script)
if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _lib import storefile
from _lib.embedders import KnownTexts
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import CSFCUBE, RESULTS_DIR, shown

DEFAULT_DATA = CSFCUBE
RESULTS = RESULTS_DIR / "fusion.json"
GROUPS = csfcube.SPLITS
METRICS = csfcube.METRICS
Grades = dict[str, int]  # candidate pid -> adjudicated grade
QueryKey = str  # "<qpid>_<facet>", as in evaluation_splits.json
Ranking = list[tuple[int, float]]  # (row id, score), best first
Metrics = dict[QueryKey, dict[str, float]]  # per query: metric -> value
POOLED = ("title", "facet")  # judged CSFCube pools
KINDS = (*POOLED, "name")
PRIMARY = {"title": ("ndcg%20", "map"), "facet": ("ndcg%20", "map"), "name": ("mrr", "s@1")}
FACET_LABELS = {
    "background": ("background_label", "objective_label"),
    "method": ("method_label",),
    "result": ("result_label",),
}
NAME = re.compile(r"^([\w.\-]{3,30})\s*:\s+\S")
DEPTHS = (20, 50, 100, 200, 500)  # the product cuts both lists; 500 is 12% of this store
RRF_KS = (1, 5, 10, 20, 30, 60, 100, 200)
WEIGHTED_RRF_KS = (10, 30, 60)
WEIGHTS = (0.6, 0.7, 0.8, 0.9)  # weighted RRF: weight of the semantic list
ALPHAS = tuple(round(0.1 * i, 1) for i in range(11))  # convex: weight of the cosine
NORMALISATIONS = {"minmax": "min-max", "zscore": "z-score", "max": "max-scaled"}
BASELINE = ("rrf", 60, 100)  # hybrid search's fusion before this benchmark
NAME_TOLERANCE = 0.01  # how much name MRR the default may give up against BASELINE
CHECK_TOP = 100
FLIPS = 20_000


# --- fusion ------------------------------------------------------------------------------


def fuse_rrf(
    keyword: Ranking, semantic: Ranking, k: float, depth: int, weight: float = 0.5
) -> Ranking:
    """Sum of 2 * weight / (k + rank) over the semantic list and 2 * (1 - weight) / (k + rank)
    over the keyword list (weight 0.5: plain RRF, Cormack et al. 2009). Written here apart
    from the library's semantic.fuse_ranks, so that the check of hybrid_search against it
    tests the library's arithmetic too."""
    fused: dict[int, float] = {}
    for ranking, w in ((keyword[:depth], 2.0 - 2.0 * weight), (semantic[:depth], 2.0 * weight)):
        for rank, (row_id, _) in enumerate(ranking, start=1):
            fused[row_id] = fused.get(row_id, 0.0) + w / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def _normalised(ranking: Ranking, union: Sequence[int], how: str) -> dict[int, float]:
    """Each union member's score in ``ranking``, normalised. min-max and z-score: over the
    union, a paper absent from the list taking the list's lowest score; max: divided by the
    list's best score, 0 (bm25 of no match) for an absent paper. A list whose scores are all
    equal just marks who is in it."""
    if not ranking:
        return dict.fromkeys(union, 0.0)
    given = dict(ranking)
    if how == "max":
        top = max(given.values())
        if top <= 0:
            return {row_id: 1.0 if row_id in given else 0.0 for row_id in union}
        return {row_id: max(given.get(row_id, 0.0), 0.0) / top for row_id in union}
    low = min(given.values())
    values = np.array([given.get(row_id, low) for row_id in union], dtype=np.float64)
    if how == "minmax":
        spread = float(values.max() - values.min())
        scaled = (values - values.min()) / spread if spread > 0 else None
    else:
        std = float(values.std())
        scaled = (values - values.mean()) / std if std > 0 else None
    if scaled is None:
        return {row_id: 1.0 if row_id in given else 0.0 for row_id in union}
    return dict(zip(union, scaled.tolist(), strict=True))


def fuse_convex(keyword: Ranking, semantic: Ranking, alpha: float, depth: int, how: str) -> Ranking:
    """alpha * cosine' + (1 - alpha) * bm25' over the union of the two cut lists."""
    keyword, semantic = keyword[:depth], semantic[:depth]
    union = list(dict.fromkeys([r for r, _ in keyword] + [r for r, _ in semantic]))
    bm25 = _normalised(keyword, union, how)
    cosine = _normalised(semantic, union, how)
    fused = [(r, alpha * cosine[r] + (1.0 - alpha) * bm25[r]) for r in union]
    return sorted(fused, key=lambda item: -item[1])


@dataclass(frozen=True, slots=True)
class Variant:
    family: str
    params: tuple[Any, ...]
    fuse: Callable[[Ranking, Ranking], Ranking] = field(compare=False)

    @property
    def label(self) -> str:
        if self.family == "rrf":
            k, depth = self.params
            return f"k={k} depth={depth}"
        if self.family == "rrf-weighted":
            weight, k, depth = self.params
            return f"w={weight:.1f} k={k} depth={depth}"
        if self.family.startswith("convex"):
            alpha, depth = self.params
            return f"alpha={alpha:.1f} depth={depth}"
        return "-"

    @property
    def name(self) -> str:
        return self.family if self.label == "-" else f"{self.family} {self.label}"


def variants() -> list[Variant]:
    out = [
        Variant("keyword", (), lambda kw, sem: kw),
        Variant("semantic", (), lambda kw, sem: sem),
    ]
    for depth in DEPTHS:
        for k in RRF_KS:
            out.append(
                Variant("rrf", (k, depth), lambda kw, sem, k=k, d=depth: fuse_rrf(kw, sem, k, d))
            )
    for depth in DEPTHS:
        for k in WEIGHTED_RRF_KS:
            for weight in WEIGHTS:
                out.append(
                    Variant(
                        "rrf-weighted",
                        (weight, k, depth),
                        lambda kw, sem, w=weight, k=k, d=depth: fuse_rrf(kw, sem, k, d, w),
                    )
                )
    for how in NORMALISATIONS:
        for depth in DEPTHS:
            for alpha in ALPHAS:
                out.append(
                    Variant(
                        f"convex-{how}",
                        (alpha, depth),
                        lambda kw, sem, a=alpha, d=depth, h=how: fuse_convex(kw, sem, a, d, h),
                    )
                )
    return out


def library_key() -> tuple[Any, ...]:
    """The grid point hybrid_search implements with the library's constants."""
    return ("rrf", library.RRF_K, library.FUSION_DEPTH)


# --- CSFCube, through the library (paperradar.eval.csfcube) -----------------------------


def load_gold(data: Path) -> dict[QueryKey, Grades]:
    """The graded pool of every query-facet, without the query paper itself."""
    return csfcube.read_pools(data)


def check_queries(data: Path, gold: dict[QueryKey, Grades], splits: dict[str, Any]) -> None:
    """queries-release.csv, the pools and the splits must agree (a library error otherwise)."""
    del splits  # read again, and checked, by the library
    csfcube.check_queries(data / csfcube.QUERIES, gold)
    csfcube.read_folds(data / csfcube.SPLITS_FILE, gold)


def query_metrics(grades: Sequence[int]) -> dict[str, float]:
    """Every metric for one query, from the grades of its pool in ranked order."""
    ids = [str(i) for i in range(len(grades))]
    return csfcube.query_metrics(ids, dict(zip(ids, grades, strict=True)))


def aggregate(
    per_query: dict[QueryKey, dict[str, float]], splits: dict[str, Any]
) -> dict[str, dict[str, dict[str, float]]]:
    """{"test"|"all50": {group: {metric: value}}}: the two-fold test protocol and the plain
    mean over the group's query-facets."""
    out: dict[str, dict[str, dict[str, float]]] = {"test": {}, "all50": {}}
    for group in GROUPS:
        folds = [splits[group]["fold1_test"], splits[group]["fold2_test"]]
        members = [q for q in per_query if group == "all" or q.endswith("_" + group)]
        out["test"][group] = {
            m: fold_mean_ci95([[per_query[q][m] for q in fold] for fold in folds])[0]
            for m in METRICS
        }
        out["all50"][group] = {
            m: statistics.mean(per_query[q][m] for q in members) for m in METRICS
        }
    return out


def write_corpus(data: Path, out: Path) -> int:
    """The CSFCube papers as paperradar JSON Lines; returns how many."""
    source = data / csfcube.ABSTRACTS
    papers = csfcube.read_papers(source)
    with out.open("w", encoding="utf-8") as dst:
        for n, paper in enumerate(papers.values()):
            record = {
                "title": paper.title,
                "abstract": paper.abstract,
                "s2_id": paper.id,
                "aliases": [],
                "sightings": [{"source": "csfcube", "locator": str(source), "rank": n + 1}],
            }
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(papers)


# --- queries -----------------------------------------------------------------------------


def load_papers(data: Path) -> dict[str, dict[str, Any]]:
    papers = {}
    with (data / "abstracts_reconstructed.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            paper = json.loads(line)
            papers[paper["paper_id"]] = paper
    return papers


def pooled_texts(
    papers: dict[str, dict[str, Any]], gold: dict[QueryKey, Grades]
) -> dict[str, dict[QueryKey, str]]:
    """{"title"|"facet": {query key: text}}."""
    out: dict[str, dict[QueryKey, str]] = {kind: {} for kind in POOLED}
    for key in gold:
        qpid, facet = key.rsplit("_", 1)
        paper = papers[qpid]
        out["title"][key] = paper["title"].strip()
        sentences = [
            s.strip()
            for s, label in zip(paper["abstract"], paper["pred_labels"], strict=True)
            if label in FACET_LABELS[facet]
        ]
        if not sentences:
            raise SystemExit(f"error: {key} has no sentence of its facet")
        out["facet"][key] = " ".join(sentences)
    return out


def name_queries(papers: dict[str, dict[str, Any]]) -> dict[QueryKey, tuple[str, list[str]]]:
    """{"name:<name>": (query text, the paper ids whose title starts with "<name>:")}."""
    found: dict[str, tuple[str, list[str]]] = {}
    for pid, paper in sorted(papers.items()):
        match = NAME.match(paper["title"].strip())
        if match and re.search(r"[A-Z0-9]", match.group(1)[1:]):
            text = match.group(1)
            found.setdefault(f"name:{text.lower()}", (text, []))[1].append(pid)
    return dict(sorted(found.items()))


def alternate_folds(keys: Sequence[str]) -> dict[str, list[str]]:
    first, second = list(keys[0::2]), list(keys[1::2])
    return {"fold1_dev": first, "fold1_test": second, "fold2_dev": second, "fold2_test": first}


# --- running the queries -----------------------------------------------------------------


@contextlib.contextmanager
def without(store: Store, row_ids: set[int], scratch: Path) -> Iterator[Store]:
    """The store as if these papers had never been ingested or embedded: a copy of its file in
    ``scratch`` without them and their vectors, opened as a store of its own (so its vector
    index and keyword counts start empty), and removed afterwards."""
    home = scratch / "without"
    storefile.copy(store.home, home)
    ids = json.dumps(sorted(row_ids))
    conn = sqlite3.connect(storefile.db_path(home), isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")  # as the store's own connections: cascades
        conn.execute("BEGIN")
        conn.execute(
            "DELETE FROM vectors WHERE content_hash IN (SELECT content_hash FROM papers "
            "WHERE id IN (SELECT value FROM json_each(?)))",
            (ids,),
        )
        conn.execute("DELETE FROM papers WHERE id IN (SELECT value FROM json_each(?))", (ids,))
        conn.execute("COMMIT")
    finally:
        conn.close()
    reduced = open_store(home)
    try:
        yield reduced
    finally:
        reduced.close()
        storefile.clear(home)


@dataclass(slots=True)
class Runs:
    row_of: dict[str, int]  # CSFCube paper id -> store row id
    keyword: dict[str, dict[QueryKey, Ranking]] = field(default_factory=dict)
    semantic: dict[str, dict[QueryKey, Ranking]] = field(default_factory=dict)
    hybrid: dict[str, dict[QueryKey, Ranking]] = field(default_factory=dict)  # top CHECK_TOP
    # the keyword and semantic rankings as hybrid_search takes them (its depth)
    cut: dict[str, dict[QueryKey, tuple[Ranking, Ranking]]] = field(default_factory=dict)
    excluded: dict[QueryKey, set[int]] = field(default_factory=dict)
    seconds: float = 0.0

    def record(
        self, store: Store, queries: KnownTexts, kind: str, key: QueryKey, text: str
    ) -> None:
        n = store.papers.count()
        try:
            keyword = keyword_ranking(store, text, n)
        except UsageError:
            keyword = []
        vector = queries.vectors[text]
        self.keyword.setdefault(kind, {})[key] = keyword
        self.semantic.setdefault(kind, {})[key] = store.vectors.nearest(queries.model_id, vector, n)
        depth = max(library.FUSION_DEPTH, CHECK_TOP)
        self.cut.setdefault(kind, {})[key] = (
            keyword_ranking(store, text, depth) if keyword else [],
            store.vectors.nearest(queries.model_id, vector, depth),
        )
        hits = hybrid_search(store, text, queries, limit=CHECK_TOP)
        self.hybrid.setdefault(kind, {})[key] = [
            (self.row_of[a[3:]], h.score)
            for h in hits
            for a in h.paper.aliases
            if a.startswith("s2:")
        ]


def run_queries(
    store: Store,
    queries: KnownTexts,
    texts: dict[str, dict[QueryKey, str]],
    names: dict[QueryKey, tuple[str, list[str]]],
) -> Runs:
    with storefile.read_only(store.home) as conn:  # the benchmark's own look at the papers
        aliases = conn.execute(
            "SELECT paper_id, substr(alias, 4) AS pid FROM aliases WHERE alias LIKE 's2:%'"
        ).fetchall()
        papers = conn.execute("SELECT id, title, abstract FROM papers").fetchall()
    runs = Runs({pid: int(paper_id) for paper_id, pid in aliases})
    text_of = {int(row_id): (title or "", abstract or "") for row_id, title, abstract in papers}
    content_ids: dict[str, set[int]] = {}
    for row_id, text in text_of.items():
        content_ids.setdefault(content_id(*text) or "", set()).add(row_id)
    started = time.perf_counter()
    keys = sorted(texts["title"])
    with tempfile.TemporaryDirectory(prefix="fusion-without-") as scratch:
        for qpid in sorted({key.rsplit("_", 1)[0] for key in keys}):
            gone = duplicates_of(store, [runs.row_of[qpid]])
            # duplicates_of leaves a same-title paper in when the query paper owns the content
            # id (docs/search.md); both ways round here.
            for row_id in list(gone):
                gone |= content_ids.get(content_id(*text_of[row_id]) or "", set())
            with without(store, gone, Path(scratch)) as reduced:
                for key in (k for k in keys if k.startswith(qpid + "_")):
                    runs.excluded[key] = gone
                    for kind in POOLED:
                        runs.record(reduced, queries, kind, key, texts[kind][key])
                        found = {r for r, _ in runs.keyword[kind][key]}
                        found |= {r for r, _ in runs.semantic[kind][key]}
                        if gone & found:
                            raise SystemExit(f"error: {key}: a deleted paper was still found")
    for key, (text, _) in names.items():
        runs.record(store, queries, "name", key, text)
    runs.seconds = time.perf_counter() - started
    return runs


# --- scoring -----------------------------------------------------------------------------


def order_pool(grades: Grades, ranked: Ranking, row_of: dict[str, int]) -> list[int]:
    """The pool's grades in ranked order; candidates not ranked last, by paper id."""
    position = {row_id: i for i, (row_id, _) in enumerate(ranked)}
    pool = sorted(grades, key=lambda pid: (position.get(row_of[pid], len(position)), pid))
    return [grades[pid] for pid in pool]


def pools_for(
    gold: dict[QueryKey, Grades], row_of: dict[str, int], excluded: dict[QueryKey, set[int]]
) -> tuple[dict[QueryKey, Grades], dict[QueryKey, list[str]]]:
    """Pools without the query paper's duplicates, and which were left out."""
    pools: dict[QueryKey, Grades] = {}
    dropped: dict[QueryKey, list[str]] = {}
    for key, grades in gold.items():
        pools[key] = {pid: g for pid, g in grades.items() if row_of[pid] not in excluded[key]}
        if len(pools[key]) != len(grades):
            dropped[key] = sorted(set(grades) - set(pools[key]))
    return pools, dropped


def known_item_metrics(ranked: Ranking, wanted: set[int]) -> dict[str, float]:
    position = next((i for i, (row_id, _) in enumerate(ranked) if row_id in wanted), None)
    return {
        "mrr": 0.0 if position is None else 1.0 / (position + 1),
        "s@1": float(position == 0),
        "s@10": float(position is not None and position < 10),
    }


def score_all(
    grid: list[Variant],
    runs: Runs,
    pools: dict[QueryKey, Grades],
    wanted: dict[QueryKey, set[int]],
) -> dict[str, list[Metrics]]:
    """{kind: [per-query metrics of each variant, in grid order]}."""
    out: dict[str, list[Metrics]] = {kind: [] for kind in KINDS}
    for variant in grid:
        for kind in POOLED:
            out[kind].append(
                {
                    key: query_metrics(
                        order_pool(
                            grades,
                            variant.fuse(runs.keyword[kind][key], runs.semantic[kind][key]),
                            runs.row_of,
                        )
                    )
                    for key, grades in pools.items()
                }
            )
        out["name"].append(
            {
                key: known_item_metrics(
                    variant.fuse(runs.keyword["name"][key], runs.semantic["name"][key]), rows
                )
                for key, rows in wanted.items()
            }
        )
    return out


def agrees(returned: Ranking, offline: Ranking) -> bool:
    """The same papers in the same order with the same scores."""
    return len(returned) == len(offline) and all(
        a == b and math.isclose(x, y, abs_tol=1e-12)
        for (a, x), (b, y) in zip(returned, offline, strict=True)
    )


def same_scores(cut: Ranking, full: Ranking) -> bool:
    """Whether a ranking taken to a depth is the full ranking's start, up to the order of
    equal scores (which SQLite and argpartition settle differently at different depths)."""
    depth = max(library.FUSION_DEPTH, CHECK_TOP)
    return len(cut) == min(depth, len(full)) and all(
        math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
        for (_, x), (_, y) in zip(cut, full, strict=False)
    )


# --- choosing ----------------------------------------------------------------------------


def mean_over(per_query: Metrics, keys: Sequence[str], metric: str) -> float:
    return statistics.mean(per_query[q][metric] for q in keys)


def sign_flip_p(diffs: Sequence[float], draws: int = FLIPS, seed: int = 1) -> float:
    """Two-sided p of a paired sign-flip permutation test of a mean difference."""
    d = np.asarray(diffs, dtype=np.float64)
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(draws, d.size))
    hits = int(np.sum(np.abs(signs @ d) >= abs(float(d.sum())) - 1e-12))
    return (hits + 1) / (draws + 1)


class NoneAdmissible(Exception):
    """No candidate keeps name MRR within NAME_TOLERANCE of the baseline's."""


@dataclass(slots=True)
class Chooser:
    """Choosing grid points on dev halves and reporting them on test halves."""

    grid: list[Variant]
    scores: dict[str, list[Metrics]]
    folds: dict[str, dict[str, list[str]]]  # kind -> fold1_dev, fold1_test, ...
    baseline: int

    def best(
        self,
        candidates: Sequence[int],
        kinds: Sequence[str],
        part: Callable[[str], Sequence[str]],
        name_floor: bool = False,
    ) -> int:
        """The candidate with the highest mean over ``kinds`` of their primary metric on
        ``part(kind)``'s queries (then the secondary one, then the earlier grid point); with
        ``name_floor``, only among those within NAME_TOLERANCE of the baseline's name MRR."""

        def value(i: int, which: int) -> float:
            return statistics.mean(
                mean_over(self.scores[kind][i], part(kind), PRIMARY[kind][which]) for kind in kinds
            )

        admissible = list(candidates)
        if name_floor:
            floor = mean_over(self.scores["name"][self.baseline], part("name"), "mrr")
            admissible = [
                i
                for i in candidates
                if mean_over(self.scores["name"][i], part("name"), "mrr")
                >= floor - NAME_TOLERANCE - 1e-12
            ]
        if not admissible:
            raise NoneAdmissible
        return max(admissible, key=lambda i: (round(value(i, 0), 10), round(value(i, 1), 10), -i))

    def cross_validate(
        self, candidates: Sequence[int], kinds: Sequence[str], name_floor: bool = False
    ) -> tuple[list[int], dict[str, Metrics]]:
        """Per fold, the best candidate on the dev halves, and per kind the figures each
        query gets from the choice of the fold whose test half it is in."""
        chosen = []
        composed: dict[str, Metrics] = {kind: {} for kind in KINDS}
        for fold in ("fold1", "fold2"):
            i = self.best(
                candidates, kinds, lambda k, f=fold: self.folds[k][f"{f}_dev"], name_floor
            )
            chosen.append(i)
            for kind in KINDS:
                for q in self.folds[kind][f"{fold}_test"]:
                    composed[kind][q] = self.scores[kind][i][q]
        return chosen, composed

    def test(self, kind: str, composed: Metrics) -> dict[str, float]:
        """Mean of the two test halves' means, for the kind's two primary metrics."""
        return {
            m: round(
                statistics.mean(
                    mean_over(composed, self.folds[kind][f"{fold}_test"], m)
                    for fold in ("fold1", "fold2")
                ),
                4,
            )
            for m in PRIMARY[kind]
        }

    def versus(self, kind: str, composed: Metrics, reference: int) -> dict[str, float]:
        metric = PRIMARY[kind][0]
        ref = self.scores[kind][reference]
        diffs = [composed[q][metric] - ref[q][metric] for q in composed]
        return {
            "delta": round(statistics.mean(diffs), 4),
            "wins": sum(d > 1e-9 for d in diffs),
            "losses": sum(d < -1e-9 for d in diffs),
            "p": round(sign_flip_p(diffs), 4),
        }


# --- main --------------------------------------------------------------------------------


def prepare_store(data: Path, home_dir: Path, embedder: Embedder) -> tuple[Store, dict[str, Any]]:
    corpus = home_dir / "csfcube.jsonl"
    records = write_corpus(data, corpus)
    store = open_store(home_dir / "home")
    started = time.perf_counter()
    ingest_files(store, [corpus], fmt="paperradar-json")
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    embedded = embed_missing(store, embedder)
    embed_s = time.perf_counter() - started
    return store, {
        "records": records,
        "papers_stored": store.papers.count(),
        "ingest_seconds": round(ingest_s, 1),
        "embedded_now": embedded.embedded,
        "embed_seconds": round(embed_s, 1),
    }


def main() -> int:
    wall = time.perf_counter()
    record = run_record()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the CSFCube folder")
    parser.add_argument("--cache", type=Path, help="keep the store and its vectors here")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the JSON to write")
    args = parser.parse_args()
    data: Path = args.data
    if not (data / "abstracts_reconstructed.jsonl").exists():
        print(f"error: {data}: not a CSFCube folder (pass --data)", file=sys.stderr)
        return 2
    splits = json.loads((data / "evaluation_splits.json").read_text("utf-8"))
    gold = load_gold(data)
    check_queries(data, gold, splits)
    papers = load_papers(data)
    texts = pooled_texts(papers, gold)
    names = name_queries(papers)
    embedder = default_embedder()

    with contextlib.ExitStack() as stack:
        if args.cache:
            home_dir: Path = args.cache
            home_dir.mkdir(parents=True, exist_ok=True)
        else:
            home_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fusion-")))
        store, corpus_info = prepare_store(data, home_dir, embedder)
        stack.callback(store.close)
        started = time.perf_counter()
        all_texts = [t for kind in texts.values() for t in kind.values()]
        queries = KnownTexts.embedded(embedder, all_texts + [t for t, _ in names.values()])
        query_embed_s = time.perf_counter() - started
        runs = run_queries(store, queries, texts, names)

    pools, dropped = pools_for(gold, runs.row_of, runs.excluded)
    wanted = {key: {runs.row_of[pid] for pid in pids} for key, (_, pids) in names.items()}
    grid = variants()
    started = time.perf_counter()
    scores = score_all(grid, runs, pools, wanted)
    score_s = time.perf_counter() - started

    index_of = {(v.family, *v.params): i for i, v in enumerate(grid)}
    default = grid[index_of[library_key()]]
    # hybrid_search = this benchmark's fusion of the rankings it takes, and those rankings
    # = the start of the full ones that every variant was scored on (up to equal scores)
    mismatches = [
        f"{kind}:{key}"
        for kind in KINDS
        for key, returned in runs.hybrid[kind].items()
        if not (
            agrees(returned, default.fuse(*runs.cut[kind][key])[:CHECK_TOP])
            and same_scores(runs.cut[kind][key][0], runs.keyword[kind][key])
            and same_scores(runs.cut[kind][key][1], runs.semantic[kind][key])
        )
    ]
    n_checked = sum(len(by_key) for by_key in runs.hybrid.values())

    baseline, semantic_only = index_of[BASELINE], index_of[("semantic",)]
    folds = {kind: splits["all"] for kind in POOLED}
    folds["name"] = alternate_folds(sorted(names))
    chooser = Chooser(grid, scores, folds, baseline)

    def members(family: str) -> list[int]:
        return [i for i, v in enumerate(grid) if v.family == family]

    families = {
        "keyword": [index_of[("keyword",)]],
        "semantic": [semantic_only],
        "rrf k=60 depth=100 (before)": [baseline],
        "rrf (k, depth)": members("rrf"),
        "rrf weighted (w, k, depth)": members("rrf-weighted"),
        **{
            f"convex {title} (alpha, depth)": members(f"convex-{how}")
            for how, title in NORMALISATIONS.items()
        },
        "any of the above": list(range(len(grid))),
    }

    def describe(indices: Sequence[int], family: str) -> str:
        labels = [grid[i].name if family == "any of the above" else grid[i].label for i in indices]
        return " | ".join(dict.fromkeys(labels))

    per_kind: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        per_kind[kind] = {}
        for family, candidates in families.items():
            chosen, composed = chooser.cross_validate(candidates, [kind])
            per_kind[kind][family] = {
                "chosen": describe(chosen, family),
                "test": chooser.test(kind, composed[kind]),
                "vs_rrf60": chooser.versus(kind, composed[kind], baseline),
            }
            if kind in POOLED:
                agg = aggregate(composed[kind], splits)["test"]
                per_kind[kind][family]["test_by_facet_ndcg%20"] = {
                    g: round(agg[g]["ndcg%20"], 4) for g in GROUPS
                }

    def everything(kind: str) -> list[str]:
        return folds[kind]["fold1_test"] + folds[kind]["fold2_test"]

    joint: dict[str, Any] = {}
    for floor in (True, False):
        for family, candidates in families.items():
            if len(candidates) == 1 and floor is False:
                continue
            try:
                chosen, composed = chooser.cross_validate(candidates, POOLED, name_floor=floor)
                on_all = chooser.best(candidates, POOLED, everything, name_floor=floor)
            except NoneAdmissible:
                continue
            joint[family + ("" if floor else ", no name floor")] = {
                "grid_points": len(candidates),
                "chosen": describe(chosen, family),
                "chosen_on_all": grid[on_all].name,
                "test": {kind: chooser.test(kind, composed[kind]) for kind in KINDS},
                "vs_rrf60": {
                    kind: chooser.versus(kind, composed[kind], baseline) for kind in KINDS
                },
                "vs_semantic": {
                    kind: chooser.versus(kind, composed[kind], semantic_only) for kind in KINDS
                },
            }
    rule_choice = joint["any of the above"]["chosen_on_all"]
    rule_vs = joint["any of the above"]["vs_rrf60"]
    switch = rule_choice != grid[baseline].name and all(
        rule_vs[kind]["delta"] > 0 and rule_vs[kind]["p"] < 0.05 for kind in POOLED
    )
    decision = (
        f"switch to {rule_choice}"
        if switch
        else f"keep {grid[baseline].name}: the rule's choice ({rule_choice}) does not beat it "
        "significantly on "
        + " and ".join(
            f"{kind} ({rule_vs[kind]['delta']:+.3f} NDCG%20, p {rule_vs[kind]['p']:.2f})"
            for kind in POOLED
            if not (rule_vs[kind]["delta"] > 0 and rule_vs[kind]["p"] < 0.05)
        )
    )
    library_row = {
        kind: {
            "all_queries": {
                m: round(mean_over(scores[kind][index_of[library_key()]], everything(kind), m), 4)
                for m in PRIMARY[kind]
            },
            "vs_rrf60": chooser.versus(
                kind,
                {q: scores[kind][index_of[library_key()]][q] for q in everything(kind)},
                baseline,
            ),
        }
        for kind in KINDS
    }
    landscape = {
        kind: {
            v.name: {
                m: round(mean_over(scores[kind][i], everything(kind), m), 4) for m in PRIMARY[kind]
            }
            for i, v in enumerate(grid)
        }
        for kind in KINDS
    }
    all_queries = {**texts, "name": {key: text for key, (text, _) in names.items()}}
    coverage = {
        kind: {
            "queries": len(runs.keyword[kind]),
            "query_words_median": statistics.median(
                len(t.split()) for t in all_queries[kind].values()
            ),
            "keyword_hits_median": statistics.median(len(r) for r in runs.keyword[kind].values()),
            "keyword_empty": sum(not r for r in runs.keyword[kind].values()),
        }
        for kind in KINDS
    }
    wall_s = time.perf_counter() - wall
    results = {
        **record,
        "data": str(data),
        **corpus_info,
        "model": embedder.model_id,
        "precision": getattr(embedder, "precision", None),
        "query_embed_seconds": round(query_embed_s, 1),
        "query_seconds": round(runs.seconds, 1),
        "scoring_seconds": round(score_s, 1),
        "wall_seconds": round(wall_s, 1),
        "grid": {
            "depths": DEPTHS,
            "rrf_k": RRF_KS,
            "weighted_rrf_k": WEIGHTED_RRF_KS,
            "weighted_rrf_w": WEIGHTS,
            "alphas": ALPHAS,
            "normalisations": list(NORMALISATIONS),
        },
        "name_tolerance": NAME_TOLERANCE,
        "protocol": __doc__.split("\n\n", 1)[1].split("\n    python", 1)[0],
        "pool_candidates_left_out_as_query_duplicates": dropped,
        "queries": coverage,
        "name_queries": {key: pids for key, (_, pids) in names.items()},
        "library_default": default.name,
        "library_agrees_with_offline_fusion": not mismatches,
        "library_mismatches": mismatches,
        "per_kind": per_kind,
        "one_default": joint,
        "rule_choice_on_all_queries": rule_choice,
        "decision": decision,
        "library_default_on_all_queries": library_row,
        "landscape_all_queries": landscape,
    }
    write_results(args.results, results)

    machine = results["machine"]
    print(f"machine:   {machine['cpu']} x{machine['cores']}")
    print(
        f"corpus:    {corpus_info['records']:,} CSFCube papers, {corpus_info['papers_stored']:,} "
        f"stored; embedded in this run: {corpus_info['embedded_now']:,} texts in "
        f"{corpus_info['embed_seconds']} s ({embedder.model_id})"
    )
    for kind in KINDS:
        c = coverage[kind]
        print(
            f"queries:   {c['queries']} {kind}: median {c['query_words_median']:g} words; keyword "
            f"hits median {c['keyword_hits_median']:g}, none for {c['keyword_empty']}"
        )
    for key, pids in dropped.items():
        print(f"           {key}: left out of the pool as a duplicate of the query: {pids}")
    print(
        f"check:     hybrid_search ({default.name}) top {CHECK_TOP} = offline fusion for "
        f"{n_checked - len(mismatches)} of {n_checked} queries"
    )

    def cells(test: dict[str, float], vs: dict[str, float]) -> str:
        a, b = test.values()
        return (
            f"{a:7.3f}{b:7.3f}{vs['delta']:+8.3f}{vs['wins']:>5d}/{vs['losses']:<3d}{vs['p']:6.3f}"
        )

    for kind in KINDS:
        first, second = (m.upper() for m in PRIMARY[kind])
        print(
            f"\n{kind} queries, test halves (vs RRF: per-query difference to RRF k=60 depth 100; "
            "W/L: queries better/worse; p: sign-flip test)"
        )
        print(
            f"  {'variant':34s}{first:>7s}{second:>7s}{'vs RRF':>8s}{'W/L':>9s}{'p':>6s}"
            "  chosen on dev (fold 1 | fold 2)"
        )
        for family, r in per_kind[kind].items():
            print(f"  {family:34s}{cells(r['test'], r['vs_rrf60'])}  {r['chosen']}")

    print(
        f"\none default for all three: the best mean title+facet dev NDCG%20 whose dev name MRR "
        f"is at most {NAME_TOLERANCE} below RRF k=60 depth 100's (test halves; vs RRF, p)"
    )
    print(
        f"  {'variant':49s}{'title NDCG%20':>21s}{'facet NDCG%20':>21s}{'name MRR':>21s}"
        "  chosen on dev (fold 1 | fold 2)"
    )
    for family, r in joint.items():
        row = "".join(
            f"{r['test'][kind][PRIMARY[kind][0]]:9.3f}{r['vs_rrf60'][kind]['delta']:+7.3f}"
            f"{r['vs_rrf60'][kind]['p']:5.2f}"
            for kind in KINDS
        )
        print(f"  {family:49s}{row}  {r['chosen']}")
    print("chosen by the same rule on all queries:")
    for family, r in joint.items():
        if r["grid_points"] > 1:
            print(f"  {family:49s}{r['chosen_on_all']}")
    print(f"\ndecision: {decision}")
    print(f"library default: {default.name} (all queries)")
    for kind in KINDS:
        row = library_row[kind]
        values = "  ".join(f"{m} {v:.3f}" for m, v in row["all_queries"].items())
        vs = row["vs_rrf60"]
        print(
            f"  {kind:6s} {values}; vs RRF {vs['delta']:+.3f} "
            f"(W/L {vs['wins']}/{vs['losses']}, p {vs['p']:.3f})"
        )
    print(f"\nwall time: {wall_s:.0f} s (queries {runs.seconds:.0f} s, scoring {score_s:.0f} s)")
    print(f"results:   {shown(args.results)}")
    if switch != (default.name != grid[baseline].name):
        print("note: the library's default does not follow this run's decision")
    return 1 if mismatches else 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The library's hybrid default beside the better single list, per kind of query (all
    queries), and the rule's choice beside RRF k=60 depth 100 (cross-validated test halves)."""
    default = results["library_default"]
    rows = []
    for kind, scores in results["library_default_on_all_queries"].items():
        metric = PRIMARY[kind][0]
        alone = results["landscape_all_queries"][kind]
        single = max(("keyword", "semantic"), key=lambda name: alone[name][metric])
        rows.append(
            summary_row(
                f"hybrid {default}, {kind}, {metric.upper()}",
                scores["all_queries"][metric],
                "",
                "higher",
                baseline=f"{single} alone (the better one)",
                baseline_value=alone[single][metric],
            )
        )
    rule = results["one_default"]["any of the above"]
    before = next(r for name, r in results["one_default"].items() if name.endswith("(before)"))
    for kind in POOLED:
        rows.append(
            summary_row(
                f"rule's pick on dev, {kind}, NDCG%20 on test",
                rule["test"][kind]["ndcg%20"],
                "",
                "higher",
                baseline="rrf k=60 depth=100",
                baseline_value=before["test"][kind]["ndcg%20"],
                note=f"paired sign-flip p {rule['vs_rrf60'][kind]['p']}",
            )
        )
    rows[-1]["note"] += f"; decision: {results['decision']}"
    return rows


if __name__ == "__main__":
    sys.exit(main())
