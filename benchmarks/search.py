"""Search benchmark: vector-index latency, recall and memory at 75k and 1M papers, and
keyword / semantic / hybrid search end to end against a store of the same sizes.

Vectors. Embedding a million abstracts with MiniLM on this CPU would take days, so
``--real`` abstracts sampled from ``--data`` (seed 0) are embedded once with the real model
(cached under ``--work``) and mixed: row i < real is real vector i; every later row is
``v[i mod real] + u * v[j] + noise``, renormalised and rounded through float16 (the store
keeps float16), with ``j`` a random other real paper, ``u`` uniform in [0, 0.8] and Gaussian
noise of standard deviation ``--sigma`` (0.02) per dimension: a paper mostly about one real
paper's topic and partly about another's. Plain noisy copies (``v[i mod real] + noise``)
were tried first and rejected: at 1M each real vector has 250 copies, a query's exact top 10
are copies of one or two papers ordered by noise alone, and recall@10 measures that noise
(0.46 at ef 256 there, against 0.96 for the mixtures at 200k with the same graph). The
queries are the titles of ``--queries`` other sampled papers, embedded with the same model.
Each figure comes from a child process of its own, so RSS is that of one configuration:

- exact: the matrix read into RAM (as the store's vectors.matrix() does), NumPy exact search;
- hnsw build: usearch HNSW built from the matrix and saved (cached under ``--work``);
- hnsw: the saved index memory-mapped, with the matrix in RAM or memory-mapped.

Scenarios, 200 single queries each, k=10: plain semantic; a category-like filter admitting a
random 25% of papers; a recent-papers filter admitting the newest 2%; similar-papers (a
stored paper's vector as the query, the paper excluded). Recall@10 is against exact search
on the same scenario. Two more figures show how tie-prone the data is: "near", the share of
HNSW results whose cosine is within 0.005 of the exact 10th best, and "real", how many
distinct real papers the exact top 10 are built on.

Store (end to end, through ``paperradar.search.semantic.search``): the real arxiv-cs-daily file
(74,728 papers) and, for 1M, that file plus copies with old-style arXiv ids and a numbered
title, each paper given a vector from the matrix above. Latency is measured twice: with the
real MiniLM embedding each query (end to end) and with the query vectors precomputed (the
search itself); 200 queries (50 with a filter) at 75k, 100 (30) at 1M. Results go to
benchmarks/results/search.json.

    python benchmarks/search.py [--data PATH] [--sizes 75000,1000000] [--no-store]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from _lib import storefile
from _lib.child import memory, run_child
from _lib.embedders import KnownTexts
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_DAILY, BENCH_WORK, RESULTS_DIR, data_missing

DEFAULT_DATA = ARXIV_DAILY
DEFAULT_WORK = BENCH_WORK
RESULTS = RESULTS_DIR / "search.json"
#: the 1M-paper store's end-to-end latency measured on its own (``--child store-query`` against
#: the store search.py builds), the figures the docs quote; summarised beside search.json
STORE_1M_RESULTS = RESULTS_DIR / "search-store-1m.json"
TARGET_P95_MS = 50.0
TARGET_RSS_MB = 2048.0
K = 10
#: a result counts as "as good as exact" when its cosine is within this of the exact 10th
NEAR = 0.005
EF_SWEEP = (128, 256, 512, 1024)
#: how the HNSW index's rows are held: float32 in RAM (what vectors.matrix() gives by default),
#: float16 in RAM (vectors.matrix(dtype=float16)), float32 memory-mapped
HNSW_VARIANTS = ("f32-ram", "f16-ram", "f32-mmap")

Matrix = npt.NDArray[np.float32]


# --------------------------------------------------------------------------- timing


def latency(calls: Sequence[Callable[[], object]]) -> dict[str, float]:
    """p50 / p95 / mean in ms of calling each function once (after one warm-up call)."""
    calls[0]()
    times, cpu = [], []
    for call in calls:
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "p50_ms": round(float(np.percentile(times, 50)), 2),
        "p95_ms": round(float(np.percentile(times, 95)), 2),
        "mean_ms": round(float(np.mean(times)), 2),
        "cpu_mean_ms": round(float(np.mean(cpu)), 2),  # all threads: shows contention
        "n": len(times),
    }


# --------------------------------------------------------------------------- vectors


def sample_records(data: Path, n: int) -> list[dict[str, Any]]:
    """``n`` records of the file in a fixed random order (seed 0)."""
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    order = np.random.default_rng(0).permutation(len(records))[:n]
    return [records[i] for i in order]


def real_vectors(data: Path, real: int, queries: int, work: Path) -> dict[str, Any]:
    """Real MiniLM vectors of ``real`` abstracts and of ``queries`` other papers' titles,
    embedded once and cached in ``work``."""
    from paperradar.embedding import MiniLMEmbedder, paper_text

    embedder = MiniLMEmbedder()
    stat = data.stat()
    key = hashlib.blake2b(
        f"{data.name}|{stat.st_size}|{real}|{queries}|{embedder.model_id}".encode(),
        digest_size=8,
    ).hexdigest()
    path = work / f"real-{key}.npz"
    if path.exists():
        cached = np.load(path)
        return {
            "base": cached["base"],
            "queries": cached["queries"],
            "titles": [str(t) for t in cached["titles"]],
            "embed_s": float(cached["embed_s"]),
            "precision": str(cached["precision"]),
            "cache": str(path),
        }
    records = sample_records(data, real + queries)
    texts = [paper_text(r["title"], r["abstract"]) for r in records[:real]]
    titles = [" ".join(r["title"].split()) for r in records[real:]]
    print(
        f"embedding {len(texts):,} abstracts and {len(titles)} titles once ...",
        flush=True,
    )
    started = time.perf_counter()
    base = embedder.embed(texts)
    embed_s = time.perf_counter() - started
    query_vectors = embedder.embed(titles)
    work.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        base=base,
        queries=query_vectors,
        titles=np.array(titles),
        embed_s=embed_s,
        precision=embedder.precision,
    )
    return real_vectors(data, real, queries, work)


#: the weight of the second real paper in a mixed row is uniform in [0, MIX_MAX]
MIX_MAX = 0.8


def synthetic_matrix(base: Matrix, size: int, sigma: float, work: Path) -> Path:
    """``size`` rows: the real vectors, then mixtures of them (see the module doc),
    written once to an .npy in ``work``."""
    key = hashlib.blake2b(base.tobytes(), digest_size=6).hexdigest()
    path = work / f"matrix-mix-{size}-{sigma:g}-{key}.npy"
    if path.exists():
        return path
    rng = np.random.default_rng(size)
    tmp = path.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(size, base.shape[1]))
    chunk = 65_536
    for start in range(0, size, chunk):
        rows = np.arange(start, min(size, start + chunk))
        block = base[rows % len(base)].copy()
        mixed = rows >= len(base)
        n_mixed = int(mixed.sum())
        partner = rng.integers(0, len(base), n_mixed)
        weight = rng.uniform(0.0, MIX_MAX, n_mixed).astype(np.float32)[:, None]
        block[mixed] += weight * base[partner]
        block[mixed] += rng.standard_normal((n_mixed, base.shape[1]), dtype=np.float32) * sigma
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + len(rows)] = block.astype(np.float16).astype(np.float32)
    out.flush()
    del out
    os.replace(tmp, path)
    return path


def describe_vectors(base: Matrix, matrix_path: Path, sigma: float) -> dict[str, float]:
    """How the mixed rows relate to the real vectors: cosine of a row to its main source, of
    two rows on one main source, and the real vectors' nearest-neighbour cosine."""
    matrix = np.load(matrix_path, mmap_mode="r")
    real = len(base)
    rows = np.arange(real, min(len(matrix), real + 2000))
    copies = np.asarray(matrix[rows])
    to_source = np.einsum("ij,ij->i", copies, base[rows % real])
    twins = np.asarray(matrix[rows[: real // 2] + real]) if len(matrix) > 2 * real else copies
    sims = base @ base.T
    np.fill_diagonal(sims, -1)
    return {
        "sigma": sigma,
        "row_to_main_source_cosine_mean": round(float(to_source.mean()), 3),
        "rows_on_one_source_cosine_mean": round(
            float(np.einsum("ij,ij->i", copies[: len(twins)], twins).mean()), 3
        )
        if len(matrix) > 2 * real
        else float("nan"),
        "real_nearest_neighbour_cosine_median": round(float(np.median(sims.max(axis=1))), 3),
        "real_10th_neighbour_cosine_median": round(
            float(np.median(np.sort(sims, axis=1)[:, -10])), 3
        ),
    }


def scenarios(size: int, queries: Matrix, n_queries: int) -> dict[str, dict[str, Any]]:
    """The query sets: vectors, allowed ids, excluded ids per query."""
    rng = np.random.default_rng(1)
    ids = np.arange(1, size + 1, dtype=np.int64)
    category = np.sort(rng.choice(ids, size // 4, replace=False))
    recent = ids[-max(1, size // 50) :]
    similar_rows = rng.choice(size, n_queries, replace=False)
    return {
        "semantic": {"queries": queries, "allowed": None, "exclude": None},
        "category 25%": {"queries": queries, "allowed": category, "exclude": None},
        "recent 2%": {"queries": queries, "allowed": recent, "exclude": None},
        "similar": {"rows": similar_rows, "allowed": None, "exclude": similar_rows + 1},
    }


def query_set(spec: dict[str, Any], matrix: Matrix) -> tuple[Matrix, list[list[int]]]:
    if "rows" in spec:
        vectors = np.asarray(matrix[spec["rows"]], dtype=np.float32)
    else:
        vectors = spec["queries"]
    exclude = [[int(i)] for i in spec["exclude"]] if spec["exclude"] is not None else None
    return vectors, exclude or [[] for _ in range(len(vectors))]


def timed_search(
    index: Any, spec: dict[str, Any], matrix: Matrix
) -> tuple[dict[str, float], list[list[tuple[int, float]]]]:
    """Latency of each query of a scenario alone, and the (id, cosine) pairs it found."""
    vectors, exclude = query_set(spec, matrix)
    found: dict[int, list[tuple[int, float]]] = {}

    def call(i: int) -> None:
        found[i] = index.search(vectors[i], K, allowed=spec["allowed"], exclude=exclude[i])[0]

    timing = latency([lambda i=i: call(i) for i in range(len(vectors))])
    return timing, [found[i] for i in range(len(vectors))]


def near_ties(index: Any, queries: Matrix) -> dict[str, float]:
    """How close the exact 10th and 11th best cosines are (median over the queries)."""
    gaps = [hits[K - 1][1] - hits[K][1] for hits in index.search(queries, K + 1)]
    return {"median_gap_10th_11th": round(float(np.median(gaps)), 5)}


# --------------------------------------------------------------------------- children


def child_exact(args: argparse.Namespace) -> dict[str, Any]:
    from paperradar.store.ann import ExactIndex

    started = time.perf_counter()
    matrix = np.load(args.matrix)  # into RAM, as the store's vectors.matrix() does
    size = len(matrix)
    index = ExactIndex(np.arange(1, size + 1, dtype=np.int64), matrix)
    load_s = time.perf_counter() - started
    queries = np.load(args.queries)
    out: dict[str, Any] = {"load_s": round(load_s, 2), "scenarios": {}}
    truth: dict[str, list[list[tuple[int, float]]]] = {}
    for name, spec in scenarios(size, queries, len(queries)).items():
        out["scenarios"][name], truth[name] = timed_search(index, spec, matrix)
        # row i is built on real vector i mod real: how many real papers the top 10 rest on
        sources = [len({(i - 1) % int(args.real) for i, _ in hits}) for hits in truth[name]]
        out["scenarios"][name]["median_real_papers_in_top10"] = float(np.median(sources))
    out["scenarios"]["semantic"].update(near_ties(index, queries))
    Path(args.truth).write_text(json.dumps(truth), encoding="utf-8")
    out["memory_mb"] = memory()
    return out


def child_embed(args: argparse.Namespace) -> dict[str, Any]:
    """Embed the real vectors (a child, so the model's memory stays out of the others)."""
    vectors = real_vectors(Path(args.data), args.real, int(args.size), Path(args.work))
    return {"cache": vectors["cache"]}


def child_build(args: argparse.Namespace) -> dict[str, Any]:
    from paperradar.store.ann import HnswParams, cached_hnsw

    matrix = np.load(args.matrix, mmap_mode="r")
    ids = np.arange(1, len(matrix) + 1, dtype=np.int64)
    cache = Path(args.cache)
    for old in cache.glob("hnsw-*.usearch"):
        old.unlink()
    started = time.perf_counter()
    cached_hnsw(ids, matrix, cache, params=HnswParams(expansion_add=args.ef_add))
    build_s = time.perf_counter() - started
    [path] = cache.glob("hnsw-*.usearch")
    return {
        "build_s": round(build_s, 1),
        "rows_per_s": round(len(matrix) / build_s),
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "params": dataclasses.asdict(HnswParams(expansion_add=args.ef_add)),
        "memory_mb": memory(),
    }


#: papers a daily ingest adds, for the timing of extending a saved graph
DAILY_PAPERS = 5_000


def child_extend(args: argparse.Namespace) -> dict[str, Any]:
    """Time what a search after a daily ingest pays: the saved graph (a copy of it) loaded
    and extended with ``DAILY_PAPERS`` new rows by ``cached_hnsw``, then saved again."""
    import shutil

    from paperradar.store.ann import HnswParams, cached_hnsw

    cache = Path(args.cache)
    [saved] = cache.glob("hnsw-*.usearch")
    work = cache / "extend"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(saved, work / saved.name)
    base = np.load(args.matrix, mmap_mode="r").astype(np.float16)
    rng = np.random.default_rng(5)
    new = np.asarray(base[rng.choice(len(base), DAILY_PAPERS, replace=False)], dtype=np.float32)
    new += rng.standard_normal(new.shape, dtype=np.float32) * 0.02
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    matrix = np.vstack([base, new.astype(np.float16)])
    del base
    ids = np.arange(1, len(matrix) + 1, dtype=np.int64)
    added: list[int] = []
    started = time.perf_counter()
    index = cached_hnsw(
        ids, matrix, work, params=HnswParams(expansion_add=args.ef_add), progress=added.append
    )
    extend_s = time.perf_counter() - started
    found = index.search(new[:50].astype(np.float32), 1)
    out = {
        "rows_before": len(matrix) - DAILY_PAPERS,
        "rows_added": sum(added),
        "extend_s": round(extend_s, 1),
        "new_rows_found_as_own_nearest": sum(
            hits[0][0] == len(matrix) - DAILY_PAPERS + 1 + i for i, hits in enumerate(found)
        )
        / len(found),
        "memory_mb": memory(),
    }
    shutil.rmtree(work, ignore_errors=True)
    return out


def child_hnsw(args: argparse.Namespace) -> dict[str, Any]:
    from paperradar.store.ann import HnswIndex, HnswParams, cached_hnsw

    started = time.perf_counter()
    if args.variant == "f32-mmap":
        matrix = np.load(args.matrix, mmap_mode="r")
    elif args.variant == "f16-ram":
        matrix = np.load(args.matrix, mmap_mode="r").astype(np.float16)
    else:
        matrix = np.load(args.matrix)
    ids = np.arange(1, len(matrix) + 1, dtype=np.int64)
    params = HnswParams(expansion_add=args.ef_add)
    index = cached_hnsw(ids, matrix, Path(args.cache), params=params)
    load_s = time.perf_counter() - started
    assert isinstance(index, HnswIndex)
    queries = np.load(args.queries)
    truth = json.loads(Path(args.truth).read_text(encoding="utf-8"))
    out: dict[str, Any] = {"load_s": round(load_s, 2), "scenarios": {}, "ef_sweep": {}}

    def run(name: str, spec: dict[str, Any]) -> dict[str, Any]:
        timing, found = timed_search(index, spec, matrix)
        recall, near = [], []
        for got, want in zip(found, truth[name], strict=True):
            recall.append(len({i for i, _ in got} & {i for i, _ in want}) / len(want))
            floor = want[-1][1] - NEAR
            near.append(sum(score >= floor for _, score in got) / len(want))
        return {
            **timing,
            "recall_at_10": round(float(np.mean(recall)), 4),
            f"within_{NEAR}_of_exact_10th": round(float(np.mean(near)), 4),
        }

    specs = scenarios(len(matrix), queries, len(queries))
    for name, spec in specs.items():
        out["scenarios"][name] = run(name, spec)
    if args.variant == "f32-ram":
        for ef in EF_SWEEP:
            index._index.expansion_search = ef
            out["ef_sweep"][str(ef)] = run("semantic", specs["semantic"])
        index._index.expansion_search = params.expansion_search
    out["memory_mb"] = memory()
    return out


def replicated_records(data: Path, size: int, out: Path) -> None:
    """The data file's records, then copies (old-style arXiv ids, numbered titles) to
    ``size`` papers, as one JSONL file."""
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    with open(out, "w", encoding="utf-8") as fh:
        for i in range(size):
            record = records[i % len(records)]
            copy = i // len(records)
            if copy:
                record = {
                    **record,
                    "id": f"cs/{i:07d}",
                    "title": f"{record['title']} ({copy})",
                }
            fh.write(json.dumps(record) + "\n")


def child_store_setup(args: argparse.Namespace) -> dict[str, Any]:
    """Build (once) a store of ``size`` papers with a vector each."""
    from paperradar import Store, ingest_files

    home = Path(args.home)
    done = home / "benchmark-ready.json"
    if done.exists():
        ready = json.loads(done.read_text(encoding="utf-8"))
        if ready.get("matrix") == Path(args.matrix).name:
            return {**ready, "cached": True}
        store = Store.open(home)  # same papers, vectors from another matrix: replace them
        started = time.perf_counter()
        _save_matrix(store, home, np.load(args.matrix, mmap_mode="r"))
        ready.update(
            matrix=Path(args.matrix).name,
            save_vectors_s=round(time.perf_counter() - started, 1),
        )
        store.close()
        done.write_text(json.dumps(ready), encoding="utf-8")
        return {**ready, "cached": "papers only"}
    storefile.clear(home)
    data = Path(args.data)
    source = data
    if args.size != 74_728:
        source = home / "papers.jsonl"
        replicated_records(data, args.size, source)
    store = Store.open(home)
    started = time.perf_counter()
    report = ingest_files(store, [source])
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    _save_matrix(store, home, np.load(args.matrix, mmap_mode="r"))
    vectors_s = time.perf_counter() - started
    papers = store.papers.count()
    store.close()
    if source != data:
        source.unlink()
    result = {
        "matrix": Path(args.matrix).name,
        "papers": papers,
        "records": report.read,
        "ingest_s": round(ingest_s, 1),
        "save_vectors_s": round(vectors_s, 1),
        "store_mb": round(storefile.store_bytes(home) / 1e6),
    }
    done.write_text(json.dumps(result), encoding="utf-8")
    return {**result, "cached": False}


def _save_matrix(store: Any, home: Path, matrix: Matrix) -> None:
    """Give the store's papers, in id order, the matrix's rows as their MiniLM vectors (the
    papers' content hashes read from the store file)."""
    from paperradar.embedding import MINILM_ID

    with storefile.read_only(home) as conn:
        hashes = [r[0] for r in conn.execute("SELECT content_hash FROM papers ORDER BY id")]
    step = 50_000
    for start in range(0, len(hashes), step):
        chunk = hashes[start : start + step]
        store.vectors.save(MINILM_ID, chunk, np.asarray(matrix[start : start + len(chunk)]))


def child_store_index(args: argparse.Namespace) -> dict[str, Any]:
    """Time the first search of a process: vectors read from the store and the index built
    or loaded (the store's own HNSW cache). The vector benchmark's HNSW file for the same
    rows is offered to the store's cache first, so it is not built twice."""
    from paperradar import Store
    from paperradar.embedding import MINILM_ID
    from paperradar.store.ann import HnswParams, index_fingerprint

    home = Path(args.home)
    store = Store.open(home)
    count = store.papers.count()
    reused = False
    if args.cache and count >= 200_000:
        # the store holds the matrix's rows as its papers' vectors, in id order (1..n)
        matrix = np.load(args.matrix, mmap_mode="r")[:count]
        ids = np.arange(1, count + 1, dtype=np.int64)
        built = (
            Path(args.cache) / f"hnsw-{index_fingerprint(ids, matrix, '', HnswParams())}.usearch"
        )
        for model in ("", MINILM_ID):  # whichever model id semantic.py passes
            name = f"hnsw-{index_fingerprint(ids, matrix, model, HnswParams())}.usearch"
            target = home / "index" / name
            if built.exists() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(built, target)
                reused = True
    started = time.perf_counter()
    index = store.vectors.index(MINILM_ID)
    first_s = time.perf_counter() - started
    return {
        "first_search_setup_s": round(first_s, 1),
        "index": type(index).__name__,
        "reused_benchmark_hnsw_file": reused,
        "memory_mb": memory(),
    }


def child_store_query(args: argparse.Namespace) -> dict[str, Any]:
    from paperradar import Store
    from paperradar.embedding import MiniLMEmbedder
    from paperradar.search import Filters, parse_since
    from paperradar.search.semantic import search

    home = Path(args.home)
    store = Store.open(home)
    titles = json.loads(Path(args.titles).read_text(encoding="utf-8"))
    vectors = np.load(args.queries)
    real = MiniLMEmbedder()
    fixed = KnownTexts(real.model_id, titles, vectors)  # search without the model
    started = time.perf_counter()
    store.vectors.index(real.model_id)
    setup_s = time.perf_counter() - started
    out: dict[str, Any] = {"index_load_s": round(setup_s, 2), "modes": {}}
    with storefile.read_only(home) as conn:
        newest = conn.execute("SELECT max(coalesce(listed, submitted)) FROM papers").fetchone()[0]
    recent = Filters(since=parse_since("7d", today=parse_since(newest)))
    # fewer queries at 1M, where the whole run takes long: p95 of 100 still means something
    big = store.papers.count() >= 200_000
    n_plain, n_filtered = (100, 30) if big else (len(titles), 50)
    if os.environ.get("SEARCH_BENCH_NO_FILTERS"):  # the filtered runs take long at 1M
        n_filtered = 0
    runs: list[tuple[str, str, Any, Any, int]] = []
    # Keyword ranking caches each word's document count on the store's keyword index
    # (paperradar/store/sqlite/keyword.py): "(cold)" runs start without those counts, so every
    # query meets words not counted yet; the runs after it see the counts of the same queries
    # (a long-running process).
    for mode in ("keyword", "hybrid"):
        runs.append((f"{mode} (cold)", mode, fixed if mode != "keyword" else None, None, n_plain))
    for mode in ("keyword", "semantic", "hybrid"):
        runs.append((mode, mode, fixed if mode != "keyword" else None, None, n_plain))
    for mode in ("semantic", "hybrid"):
        runs.append((f"{mode} + query embedding", mode, real, None, n_plain))
    for mode in ("keyword", "semantic", "hybrid") if n_filtered else ():
        runs.append(
            (
                f"{mode} --category cs.CL",
                mode,
                fixed if mode != "keyword" else None,
                Filters(category="cs.CL"),
                n_filtered,
            )
        )
        runs.append(
            (
                f"{mode} --since 7d",
                mode,
                fixed if mode != "keyword" else None,
                recent,
                n_filtered,
            )
        )
    for label, mode, embedder, filters, n in runs:
        if label.endswith("(cold)"):
            forget_keyword_counts(store)
        calls = [
            (lambda t=t, m=mode, e=embedder, f=filters: search(store, t, m, e, K, f))
            for t in titles[:n]
        ]
        out["modes"][label] = latency(calls)
        print(f"    {label:<32} {out['modes'][label]}", flush=True)
    out["memory_mb"] = memory()
    return out


def forget_keyword_counts(store: Any) -> None:
    """The store's keyword index without the phrase counts it has cached: a new one on the
    same store, as a fresh store object has (the vector index stays loaded)."""
    from paperradar.store.sqlite.keyword import SqliteKeyword

    store.keyword = SqliteKeyword(store)


CHILDREN = {
    "embed": child_embed,
    "exact": child_exact,
    "build": child_build,
    "hnsw": child_hnsw,
    "extend": child_extend,
    "store-setup": child_store_setup,
    "store-index": child_store_index,
    "store-query": child_store_query,
}


# --------------------------------------------------------------------------- main


def table_row(*cells: object) -> str:
    first, *rest = (str(c) for c in cells)
    return first.ljust(34) + "".join(cell.rjust(10) for cell in rest)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="arxiv-cs-daily .jsonl.gz")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cache folder (GBs)")
    parser.add_argument("--sizes", default="75000,1000000")
    parser.add_argument("--real", type=int, default=4000, help="real abstracts to embed")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--sigma",
        type=float,
        default=0.02,
        help="noise per dimension (see the docstring)",
    )
    parser.add_argument("--ef-add", type=int, default=128, help="HNSW expansion_add")
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached HNSW files")
    parser.add_argument("--no-store", action="store_true", help="vector part only")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    for hidden in (
        "matrix",
        "queries-file",
        "truth",
        "cache",
        "home",
        "titles",
        "size",
    ):
        parser.add_argument(f"--{hidden}", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.queries = args.queries_file
        args.size = int(args.size) if args.size else 0
        print(json.dumps(CHILDREN[args.child](args)))
        return 0
    if data_missing(args.data):
        return 2
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    run_child(__file__, "embed", data=args.data, real=args.real, size=args.queries, work=work)
    vectors = real_vectors(args.data, args.real, args.queries, work)
    queries_path = work / "queries.npy"
    np.save(queries_path, vectors["queries"])
    titles_path = work / "titles.json"
    titles_path.write_text(json.dumps(vectors["titles"]), encoding="utf-8")
    results: dict[str, Any] = {
        "data": str(args.data),
        "vectors": {
            "how": (
                f"{args.real:,} abstracts sampled (seed 0) from the data file and embedded with "
                f"MiniLM ({vectors['precision']}); row i < {args.real:,} is real vector i, later "
                f"rows are real vector (i mod {args.real:,}) + U(0, {MIX_MAX}) x a random other "
                f"real vector + N(0, {args.sigma}^2) per dimension, renormalised, rounded "
                "through float16. Queries: the titles of "
                f"{args.queries} other sampled papers, embedded with the same model."
            ),
            "embed_docs_per_s": round(args.real / vectors["embed_s"], 1),
        },
        "k": K,
        "sizes": {},
    }
    print(results["vectors"]["how"])
    results.update(run_record())
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"\n== {size:,} vectors", flush=True)
        matrix = synthetic_matrix(vectors["base"], size, args.sigma, work)
        entry: dict[str, Any] = {"matrix": str(matrix)}
        results["sizes"][str(size)] = entry
        if "shape" not in results["vectors"]:
            results["vectors"]["shape"] = describe_vectors(vectors["base"], matrix, args.sigma)
            print(f"  vectors: {results['vectors']['shape']}", flush=True)
        truth = work / f"truth-{size}.json"
        cache = work / f"index-{matrix.stem}"
        common = {
            "matrix": matrix,
            "queries_file": queries_path,
            "truth": truth,
            "real": args.real,
        }
        entry["exact"] = run_child(__file__, "exact", **common)
        print(f"  exact: {entry['exact']}", flush=True)
        built = cache / "build.json"
        if args.rebuild or not built.exists() or not any(cache.glob("hnsw-*.usearch")):
            entry["hnsw_build"] = run_child(
                __file__, "build", **common, cache=cache, ef_add=args.ef_add
            )
            built.write_text(json.dumps(entry["hnsw_build"]), encoding="utf-8")
        else:
            entry["hnsw_build"] = {
                **json.loads(built.read_text(encoding="utf-8")),
                "from_earlier_run": True,
            }
        print(f"  hnsw build: {entry['hnsw_build']}", flush=True)
        entry["hnsw_extend"] = run_child(
            __file__, "extend", **common, cache=cache, ef_add=args.ef_add
        )
        print(f"  hnsw extend: {entry['hnsw_extend']}", flush=True)
        for variant in HNSW_VARIANTS:
            entry[f"hnsw {variant}"] = run_child(
                __file__, "hnsw", **common, cache=cache, ef_add=args.ef_add, variant=variant
            )
            print(f"  hnsw ({variant}): {entry[f'hnsw {variant}']}", flush=True)
        if not args.no_store:
            store_size = 74_728 if size <= 75_000 else size
            home = work / f"store-{store_size}"
            entry["store"] = {
                "setup": run_child(
                    __file__,
                    "store-setup",
                    matrix=matrix,
                    home=home,
                    data=args.data,
                    size=store_size,
                )
            }
            print(f"  store: {entry['store']['setup']}", flush=True)
            entry["store"]["index"] = run_child(
                __file__, "store-index", home=home, cache=cache, matrix=matrix
            )
            print(f"  store index: {entry['store']['index']}", flush=True)
            entry["store"]["query"] = run_child(
                __file__, "store-query", home=home, titles=titles_path, queries_file=queries_path
            )
    results["targets"] = {"p95_ms_at_1M": TARGET_P95_MS, "rss_mb": TARGET_RSS_MB}
    write_results(args.out, results)
    print_tables(results)
    print(f"\nresults: {args.out}")
    return 0


def print_tables(results: dict[str, Any]) -> None:
    machine = results["machine"]
    print(
        f"\nmachine: {machine['cpu']} x{machine['cores']}, {machine['memory_gb']} GB; load "
        f"average at start {results['load_average_at_start']} (the machine is shared)"
    )
    for size, entry in results["sizes"].items():
        print(
            f"\n{int(size):,} vectors, k={K}: latency ms (p50 / p95); HNSW recall@10 vs "
            f"exact; 'near': share of HNSW results within {NEAR} of the exact 10th cosine; "
            "'real': median real papers the exact top 10 are built on"
        )
        print(
            table_row("scenario", "exact p50", "exact p95", "hnsw p50", "hnsw p95")
            + "  recall    near  real"
        )
        near_key = f"within_{NEAR}_of_exact_10th"
        for name, exact in entry["exact"]["scenarios"].items():
            hnsw = entry["hnsw f32-ram"]["scenarios"][name]
            cells = (exact["p50_ms"], exact["p95_ms"], hnsw["p50_ms"], hnsw["p95_ms"])
            print(
                table_row(name, *cells)
                + f"  {hnsw['recall_at_10']:.4f}  {hnsw[near_key]:.4f}"
                + f"  {exact['median_real_papers_in_top10']:g}"
            )
        for ef, run in entry["hnsw f32-ram"]["ef_sweep"].items():
            print(
                table_row(f"  semantic, ef_search={ef}", "", "", run["p50_ms"], run["p95_ms"])
                + f"  {run['recall_at_10']:.4f}  {run[near_key]:.4f}"
            )
        gap = entry["exact"]["scenarios"]["semantic"]["median_gap_10th_11th"]
        print(f"semantic: median gap between the exact 10th and 11th cosine {gap}")
        build = entry["hnsw_build"]
        print(
            f"HNSW build {build['build_s']} s ({build['rows_per_s']:,} rows/s), file "
            f"{build['file_mb']} MB, build peak RSS {build['memory_mb']['VmHWM']} MB"
        )
        grow = entry["hnsw_extend"]
        print(
            f"HNSW extended by {grow['rows_added']:,} new papers in {grow['extend_s']} s "
            f"(load + add + save; peak RSS {grow['memory_mb']['VmHWM']} MB)"
        )
        for label, key in [("exact", "exact")] + [
            (f"hnsw {v}", f"hnsw {v}") for v in HNSW_VARIANTS
        ]:
            mem = entry[key]["memory_mb"]
            print(
                f"RSS {label:<22} {mem['VmRSS']:7.0f} MB (anon {mem['RssAnon']:.0f}, "
                f"file {mem['RssFile']:.0f}), peak {mem['VmHWM']:.0f} MB; "
                f"load {entry[key]['load_s']} s"
            )
        store = entry.get("store")
        if store:
            setup = store["setup"]
            print(
                f"\nstore of {setup['papers']:,} papers ({setup['store_mb']} MB): first search "
                f"of a process {store['index']['first_search_setup_s']} s "
                f"({store['index']['index']})"
            )
            query = store["query"]
            print(table_row("mode (end to end, k=10)", "p50", "p95", "mean", "n"))
            for label, run in query["modes"].items():
                print(table_row(label, run["p50_ms"], run["p95_ms"], run["mean_ms"], run["n"]))
            mem = query["memory_mb"]
            print(f"RSS after the queries {mem['VmRSS']:.0f} MB, peak {mem['VmHWM']:.0f} MB")


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per size: HNSW against exact search (same vectors, same run), its recall, and the
    store's hybrid search end to end with the peak memory."""
    targets = results.get("targets", {})
    rows: list[dict[str, Any]] = []
    for size, entry in results["sizes"].items():
        n = int(size)
        at_1m = n >= 1_000_000
        vectors = count(n)
        exact = entry["exact"]["scenarios"]["semantic"]
        hnsw = entry.get("hnsw f32-ram", {}).get("scenarios", {}).get("semantic")
        if hnsw:
            rows.append(
                summary_row(
                    f"HNSW semantic p95, {vectors} vectors",
                    hnsw["p95_ms"],
                    "ms",
                    "lower",
                    baseline="exact NumPy search",
                    baseline_value=exact["p95_ms"],
                )
            )
            rows.append(
                summary_row(
                    f"HNSW recall@10, {vectors} vectors",
                    hnsw["recall_at_10"],
                    "",
                    "higher",
                    note="against exact search on the same queries",
                )
            )
        query = entry.get("store", {}).get("query")
        if query:
            store = store_rows(
                query,
                f"{count(entry['store']['setup']['papers'])} papers",
                targets.get("p95_ms_at_1M") if at_1m else None,
                targets.get("rss_mb") if at_1m else None,
            )
            if at_1m and STORE_1M_RESULTS.is_file():
                for row in store:
                    row["note"] = (
                        "this file's 1M store run predates the keyword-scoring change "
                        "measured in search-store-1m.json (section 'search, 1M store')"
                    )
            rows.extend(store)
    return rows


def count(n: int) -> str:
    """1,000,000 as "1M", other counts with thousands separated."""
    return f"{n // 1_000_000}M" if n and n % 1_000_000 == 0 else f"{n:,}"


def summary_store_1m(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The 1M-paper store measured on its own (benchmarks/results/search-store-1m.json)."""
    return store_rows(results, "1M papers", TARGET_P95_MS, TARGET_RSS_MB)


#: more results files to summarise, each as (name, path, summary function)
MORE_SUMMARIES = [("search, 1M store", STORE_1M_RESULTS, summary_store_1m)]


def store_rows(
    query: dict[str, Any], label: str, target_ms: float | None, target_mb: float | None
) -> list[dict[str, Any]]:
    """Hybrid search's p95 end to end (query vector given, and embedding the query) and the
    peak memory of a store-query run."""
    modes = query["modes"]
    rows = [
        summary_row(
            f"hybrid p95 ({what}), {label}", modes[mode]["p95_ms"], "ms", "lower", target=target_ms
        )
        for mode, what in (
            ("hybrid", "query vector given"),
            ("hybrid + query embedding", "query embedded"),
        )
        if mode in modes
    ]
    rows.append(
        summary_row(
            f"peak RSS of the queries, {label}",
            query["memory_mb"]["VmHWM"],
            "MB",
            "lower",
            target=target_mb,
        )
    )
    return rows


if __name__ == "__main__":
    sys.exit(main())
