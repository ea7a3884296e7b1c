"""Quality sanity check: NDCG%20 of `paperradar similar` on CSFCube, next to SPECTER.

CSFCube (Mysore et al., NeurIPS 2021 Datasets and Benchmarks) has 50 query-facets over 34
query papers; each comes with a pool of ~100-250 candidates graded 0-3. Every CSFCube paper
(4,205, title + abstract) is written as paperradar JSON Lines, ingested into a temporary store
and embedded; then, for each query paper, `paperradar.semantic.similar(paper_id="s2:<qpid>")`
ranks the whole store and its pool is ordered by that ranking (the whole abstract is the
query, whatever the facet; a candidate `similar` does not return is ranked last, in pool order).

Metrics are those of the dataset's eval_scripts/ranking_eval.py: binary metrics count grade
>= 2 as relevant; NDCG uses the grades (rank_metrics' ndcg_at_k, method 0, ideal ordering of
the same ranked list); NDCG%20 is NDCG at int(0.2 * ranked list length); "R-Prec" is
rank_metrics' r_precision (precision down to the last relevant item). The 'test' figure is
the mean of the two folds' test halves of evaluation_splits.json; "all 50" is the plain mean.
As in the authors' SPECTER rankings, a query paper listed in its own pool is left out of it.

SPECTER's figures are recomputed in the same run from specter_ranked_pools with the same code
and must match the README's to its printed 3 decimals (within 0.0006), or the exit code is 1.

    python benchmarks/csfcube.py [--data PATH] [--precision auto|fp32|bf16]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _machine import describe_machine

from paperradar import Store, ingest_files
from paperradar.embedding import MiniLMEmbedder
from paperradar.indexer import embed_missing
from paperradar.semantic import similar
from paperradar.store.vectors import vectors_for

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "csfcube"
FACETS = ("background", "method", "result")
GROUPS = (*FACETS, "all")
METRICS = ("r_prec", "p@20", "r@20", "ndcg", "ndcg@20", "ndcg%20", "map")
HEADERS = ("R-Prec", "P@20", "R@20", "NDCG", "NDCG@20", "NDCG%20", "MAP")
AT_K = 20
THRESHOLD = 2  # grades >= 2 are relevant for the binary metrics
TOLERANCE = 0.0006  # the README prints 3 decimals
#: SPECTER on the test protocol, from the dataset README (MAP is not given there).
README_SPECTER = {
    "background": (0.248, 0.353, 0.575, 0.822, 0.662, 0.667),
    "method": (0.117, 0.136, 0.408, 0.628, 0.377, 0.374),
    "result": (0.186, 0.238, 0.527, 0.755, 0.564, 0.567),
    "all": (0.183, 0.240, 0.501, 0.733, 0.531, 0.533),
}

Grades = dict[str, int]  # candidate pid -> adjudicated grade
QueryKey = str  # "<qpid>_<facet>", as in evaluation_splits.json


# --- metrics: the dataset's eval_scripts (rank_metrics.py, ranking_eval.py) -----------------


def dcg_at_k(grades: Sequence[float], k: int) -> float:
    r = np.asarray(grades, dtype=np.float64)[:k]
    if not r.size:
        return 0.0
    return float(r[0] + np.sum(r[1:] / np.log2(np.arange(2, r.size + 1))))


def ndcg_at_k(grades: Sequence[float], k: int) -> float:
    best = dcg_at_k(sorted(grades, reverse=True), k)
    return dcg_at_k(grades, k) / best if best else 0.0


def r_precision(relevant: Sequence[int]) -> float:
    r = np.asarray(relevant) != 0
    hits = r.nonzero()[0]
    return float(np.mean(r[: hits[-1] + 1])) if hits.size else 0.0


def average_precision(relevant: Sequence[int]) -> float:
    r = np.asarray(relevant) != 0
    out = [float(np.mean(r[: k + 1])) for k in range(r.size) if r[k]]
    return float(np.mean(out)) if out else 0.0


def query_metrics(grades: Sequence[int]) -> dict[str, float]:
    """Every metric for one query, from the grades of its pool in ranked order."""
    relevant = [1 if g >= THRESHOLD else 0 for g in grades]
    total = sum(relevant)
    return {
        "r_prec": r_precision(relevant),
        "p@20": sum(relevant[:AT_K]) / AT_K,
        "r@20": sum(relevant[:AT_K]) / total if total else 0.0,
        "ndcg": ndcg_at_k(grades, len(grades)),
        "ndcg@20": ndcg_at_k(grades, AT_K),
        "ndcg%20": ndcg_at_k(grades, int(0.20 * len(grades))),
        "map": average_precision(relevant),
    }


def aggregate(
    per_query: dict[QueryKey, dict[str, float]], splits: dict[str, Any]
) -> dict[str, dict[str, dict[str, float]]]:
    """{"test"|"all50": {group: {metric: value}}}: the two-fold test protocol and the plain mean."""
    out: dict[str, dict[str, dict[str, float]]] = {"test": {}, "all50": {}}
    for group in GROUPS:
        folds = [splits[group]["fold1_test"], splits[group]["fold2_test"]]
        members = [q for q in per_query if group == "all" or q.endswith("_" + group)]
        out["test"][group] = {
            m: statistics.mean(statistics.mean(per_query[q][m] for q in fold) for fold in folds)
            for m in METRICS
        }
        out["all50"][group] = {
            m: statistics.mean(per_query[q][m] for q in members) for m in METRICS
        }
    return out


# --- data ------------------------------------------------------------------------------------


def load_gold(data: Path) -> dict[QueryKey, Grades]:
    """The graded pool of every query-facet, without the query paper itself."""
    gold: dict[QueryKey, Grades] = {}
    for facet in FACETS:
        anns = json.loads((data / f"test-pid2anns-csfcube-{facet}.json").read_text("utf-8"))
        for qpid, pool in anns.items():
            grades = dict(zip(pool["cands"], pool["relevance_adju"], strict=True))
            grades.pop(qpid, None)
            gold[f"{qpid}_{facet}"] = grades
    return gold


def check_queries(data: Path, gold: dict[QueryKey, Grades], splits: dict[str, Any]) -> None:
    with (data / "queries-release.csv").open(encoding="utf-8", newline="") as fh:
        listed = {f"{row['pid']}_{row['facet']}" for row in csv.DictReader(fh)}
    in_splits = set(splits["all"]["fold1_test"]) | set(splits["all"]["fold2_test"])
    if not (listed == set(gold) == in_splits) or len(gold) != 50:
        raise SystemExit("error: queries-release.csv, the pools and the splits disagree")


def specter_rankings(data: Path) -> dict[QueryKey, list[str]]:
    out: dict[QueryKey, list[str]] = {}
    for facet in FACETS:
        path = data / "specter_ranked_pools" / f"test-pid2pool-csfcube-specter-{facet}-ranked.json"
        for qpid, ranked in json.loads(path.read_text("utf-8")).items():
            out[f"{qpid}_{facet}"] = [pid for pid, _ in ranked]
    return out


def evaluate(
    rankings: dict[QueryKey, list[str]], gold: dict[QueryKey, Grades]
) -> dict[QueryKey, dict[str, float]]:
    per_query = {}
    for key, grades in gold.items():
        ranked = rankings[key]
        if sorted(ranked) != sorted(grades):
            raise SystemExit(f"error: the ranking of {key} is not a permutation of its pool")
        per_query[key] = query_metrics([grades[pid] for pid in ranked])
    return per_query


def write_corpus(data: Path, out: Path) -> int:
    """The CSFCube papers as paperradar JSON Lines; returns how many."""
    n = 0
    with (
        (data / "abstracts_reconstructed.jsonl").open(encoding="utf-8") as src,
        out.open("w", encoding="utf-8") as dst,
    ):
        for line in src:
            paper = json.loads(line)
            record = {
                "title": paper["title"].strip(),
                "abstract": " ".join(s.strip() for s in paper["abstract"]),
                "s2_id": paper["paper_id"],
                "aliases": [],
                "sightings": [{"source": "csfcube", "locator": src.name, "rank": n + 1}],
            }
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


# --- ranking with paperradar ----------------------------------------------------------------


def rank_pool(pool: Sequence[str], score: Callable[[str], float | None]) -> list[str]:
    """Best score first; candidates without a score last, in pool order (sorts are stable)."""
    scored = [(pid, score(pid)) for pid in pool]
    present = sorted(((s, pid) for pid, s in scored if s is not None), key=lambda x: -x[0])
    return [pid for _, pid in present] + [pid for pid, s in scored if s is None]


def paperradar_rankings(
    store: Store, embedder: MiniLMEmbedder, gold: dict[QueryKey, Grades]
) -> tuple[dict[QueryKey, list[str]], dict[QueryKey, list[str]], dict[str, Any]]:
    """Pools ranked by `similar` and, as a cross-check, by plain cosine of the same stored
    vectors over the whole pool (no index, nothing excluded); plus timing and misses."""
    limit = store.count()
    row_of = {pid: store.resolve(f"s2:{pid}") for grades in gold.values() for pid in grades}
    qpids = sorted({key.rsplit("_", 1)[0] for key in gold})
    row_of.update({q: store.resolve(f"s2:{q}") for q in qpids})
    vectors = vectors_for(store, embedder.model_id, sorted(set(row_of.values())))
    by_similar: dict[QueryKey, list[str]] = {}
    by_cosine: dict[QueryKey, list[str]] = {}
    missing: dict[QueryKey, list[dict[str, Any]]] = {}
    latencies = []
    for qpid in qpids:
        started = time.perf_counter()
        hits = similar(store, embedder, paper_id=f"s2:{qpid}", limit=limit)
        latencies.append(time.perf_counter() - started)
        scores = {
            alias[3:]: hit.score
            for hit in hits
            for alias in hit.paper.aliases
            if alias.startswith("s2:")
        }
        query = vectors[row_of[qpid]]
        for facet in FACETS:
            key = f"{qpid}_{facet}"
            if key not in gold:
                continue
            pool = list(gold[key])
            by_similar[key] = rank_pool(pool, scores.get)
            cosine = {pid: float(vectors[row_of[pid]] @ query) for pid in pool}
            by_cosine[key] = rank_pool(pool, cosine.get)
            lost = [pid for pid in pool if pid not in scores]
            if lost:
                missing[key] = [{"pid": pid, "grade": gold[key][pid]} for pid in lost]
    info = {
        "similar_calls": len(qpids),
        "similar_limit": limit,
        "similar_ms_p50": round(1000 * statistics.median(latencies), 1),
        "similar_ms_max": round(1000 * max(latencies), 1),
        "candidates_not_returned": missing,
    }
    return by_similar, by_cosine, info


# --- output ----------------------------------------------------------------------------------


def table(rows: list[tuple[str, dict[str, float] | tuple[float, ...]]]) -> str:
    head = f"  {'':40s}" + "".join(f"{h:>9s}" for h in HEADERS)
    lines = [head]
    for label, values in rows:
        cells = values if isinstance(values, tuple) else tuple(values[m] for m in METRICS)
        lines.append(
            f"  {label:40s}"
            + "".join(f"{'-':>9s}" if math.isnan(v) else f"{v:9.3f}" for v in cells)
        )
    return "\n".join(lines)


def rounded(agg: dict[str, dict[str, dict[str, float]]]) -> dict[str, Any]:
    return {
        split: {g: {m: round(v, 4) for m, v in ms.items()} for g, ms in groups.items()}
        for split, groups in agg.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the CSFCube folder")
    parser.add_argument(
        "--precision", choices=("auto", "fp32", "bf16"), default="auto", help="MiniLM precision"
    )
    args = parser.parse_args()
    if not (args.data / "abstracts_reconstructed.jsonl").exists():
        print(f"error: {args.data}: not a CSFCube folder (pass --data)", file=sys.stderr)
        return 2
    data: Path = args.data
    splits = json.loads((data / "evaluation_splits.json").read_text("utf-8"))
    gold = load_gold(data)
    check_queries(data, gold, splits)

    specter_per_query = evaluate(specter_rankings(data), gold)
    specter = aggregate(specter_per_query, splits)
    reproduced = all(
        abs(specter["test"][g][m] - README_SPECTER[g][i]) <= TOLERANCE
        for g in GROUPS
        for i, m in enumerate(METRICS[:6])
    )

    embedder = MiniLMEmbedder(precision=args.precision)
    with tempfile.TemporaryDirectory(prefix="paperradar-csfcube-") as tmp:
        corpus = Path(tmp) / "csfcube.jsonl"
        records = write_corpus(data, corpus)
        store = Store.open(Path(tmp) / "home")
        started = time.perf_counter()
        ingested = ingest_files(store, [corpus], fmt="paperradar-json")
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        embedded = embed_missing(store, embedder)
        embed_s = time.perf_counter() - started
        by_similar, by_cosine, info = paperradar_rankings(store, embedder, gold)
        merged_groups = [
            sorted(row[0].split(","))
            for row in store.query(
                "SELECT group_concat(substr(alias, 4)) FROM aliases WHERE alias LIKE 's2:%' "
                "GROUP BY paper_id HAVING count(*) > 1"
            )
        ]
        papers = store.count()
        store.close()
    ours_per_query = evaluate(by_similar, gold)
    ours = aggregate(ours_per_query, splits)
    cosine = aggregate(evaluate(by_cosine, gold), splits)

    results = {
        "data": str(data),
        "records": records,
        "papers_stored": papers,
        "merged_as_duplicates": ingested.merged,
        "merged_groups": sorted(merged_groups),
        "model": embedder.model_id,
        "precision": embedder.precision,
        "ingest_seconds": round(ingest_s, 2),
        "embed": {
            "texts": embedded.embedded,
            "seconds": round(embed_s, 1),
            "texts_per_s": round(embedded.embedded / embed_s, 1) if embed_s else None,
        },
        **info,
        "protocol": (
            "NDCG%20 = NDCG (graded 0-3, rank_metrics method 0) at int(0.2 * pool size); binary "
            "metrics: grade >= 2; 'test' = mean of the two folds' test halves of "
            "evaluation_splits.json; 'all50' = plain mean over the 50 query-facets; query = the "
            "whole abstract (title + abstract), the same for every facet; query paper left out "
            "of its own pool; candidates `similar` does not return are ranked last"
        ),
        "paperradar_similar": rounded(ours),
        "plain_cosine_same_vectors": rounded(cosine),
        "specter_same_run": rounded(specter),
        "specter_readme": {
            g: dict(zip(METRICS[:6], v, strict=True)) for g, v in README_SPECTER.items()
        },
        "specter_reproduced": reproduced,
        "per_query_ndcg%20": {
            key: {
                "paperradar": round(ours_per_query[key]["ndcg%20"], 4),
                "specter": round(specter_per_query[key]["ndcg%20"], 4),
            }
            for key in sorted(gold)
        },
        "machine": describe_machine(),
    }
    out = ROOT / "benchmarks" / "results" / "csfcube.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    machine = results["machine"]
    print(f"machine:   {machine['cpu']} x{machine['cores']}")
    print(
        f"corpus:    {records:,} CSFCube papers -> {papers:,} stored "
        f"({ingested.merged} merged as duplicates), ingest {ingest_s:.1f} s"
    )
    print(
        f"embedding: {embedder.model_id} ({embedder.precision}), {embedded.embedded:,} texts "
        f"in {embed_s:.1f} s ({results['embed']['texts_per_s']} texts/s)"
    )
    print(
        f"similar:   {info['similar_calls']} query papers, limit {info['similar_limit']:,}, "
        f"p50 {info['similar_ms_p50']} ms; pool candidates not returned: "
        f"{sum(len(v) for v in info['candidates_not_returned'].values())}"
    )
    for key, lost in info["candidates_not_returned"].items():
        print(f"           {key}: " + ", ".join(f"{x['pid']} (grade {x['grade']})" for x in lost))
    for split, title in (
        ("test", "test protocol (mean of the 2 folds' test halves)"),
        ("all50", "plain mean over all 50 query-facets"),
    ):
        print(f"\n{title}:")
        rows: list[tuple[str, dict[str, float] | tuple[float, ...]]] = []
        for group in GROUPS:
            rows.append((f"{group}: paperradar similar", ours[split][group]))
            rows.append((f"{group}: plain cosine, same vectors", cosine[split][group]))
            rows.append((f"{group}: SPECTER (this run)", specter[split][group]))
            if split == "test":
                rows.append((f"{group}: SPECTER (README)", (*README_SPECTER[group], float("nan"))))
        print(table(rows))
    print(
        f"\nNDCG%20 test: paperradar {ours['test']['all']['ndcg%20']:.3f} vs SPECTER "
        f"{specter['test']['all']['ndcg%20']:.3f} (README 0.533); all 50: "
        f"{ours['all50']['all']['ndcg%20']:.3f} vs {specter['all50']['all']['ndcg%20']:.3f}"
    )
    print(f"SPECTER reproduced: {reproduced}")
    print(f"results:   {out.relative_to(ROOT)}")
    return 0 if reproduced else 1


if __name__ == "__main__":
    sys.exit(main())
