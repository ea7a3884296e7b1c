"""Reviewer–paper affinity throughput: R reviewers x S submissions, embedding and scoring.

Reviewers and submissions are drawn from the shipped arXiv slice (disjoint papers; each
reviewer has ~``--papers`` papers, mostly from one arXiv category, as a real archive has)
and written in the OpenReview expertise format to a temporary folder (reviewers may share
a paper, as co-authors do; submissions are nobody's papers). Then:

1. **cold**: ``compute_affinity`` with a fresh store: every distinct text is embedded;
2. **warm**: the same with the now filled store: nothing is embedded, scoring unchanged
   (submissions are tokenised and counted once for all reviewers: ``terms.Candidates``).

Embedding and scoring times are reported separately (plus reading and CSV writing), with
how much of the machine's CPU other processes took meanwhile. Results go to
benchmarks/results/affinity.json, one entry per embedder.

    python benchmarks/affinity.py [--fake] [--reviewers 100] [--submissions 500] [--papers 10]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _lib.cpu import OthersCpu
from _lib.machine import run_record, summary_row, write_results
from _lib.paths import ARXIV_SLICE, RESULTS_DIR

from paperradar.embedding import Embedder, FakeEmbedder, MiniLMEmbedder, Progress, Vectors
from paperradar.radar.affinity import AffinityReport, compute_affinity, write_scores
from paperradar.store import Store, open_store

DEFAULT_DATA = ARXIV_SLICE
RESULTS = RESULTS_DIR / "affinity.json"


class CountingEmbedder:
    """An embedder that counts the texts reaching it and the seconds spent in it."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts = 0
        self.seconds = 0.0

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> Vectors:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts, progress)
        finally:
            self.texts += len(texts)
            self.seconds += time.perf_counter() - started


def read_papers(path: Path) -> list[dict[str, Any]]:
    """The slice's papers with a title and an abstract, once each."""
    papers: dict[str, dict[str, Any]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record.get("title") and record.get("abstract"):
                papers.setdefault(record["id"], record)
    return list(papers.values())


def note(record: dict[str, Any], v2: bool) -> dict[str, Any]:
    """A paper as an OpenReview note (API v2 content for half of them)."""
    title, abstract = record["title"], record["abstract"]
    if v2:
        return {
            "id": record["id"],
            "content": {"title": {"value": title}, "abstract": {"value": abstract}},
        }
    return {"id": record["id"], "content": {"title": title, "abstract": abstract}}


def make_dataset(
    papers: list[dict[str, Any]],
    folder: Path,
    reviewers: int,
    submissions: int,
    per: int,
    seed: int,
) -> tuple[Path, Path, int]:
    """Write REVIEWERS/~Reviewer_N.jsonl and submissions.jsonl; the reviewer paper count."""
    rng = random.Random(seed)
    rng.shuffle(papers)
    subs, pool = papers[:submissions], papers[submissions:]
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in pool:
        by_category[(record.get("categories") or ["?"])[0]].append(record)
    categories = [c for c, items in by_category.items() if len(items) >= per]
    weights = [len(by_category[c]) for c in categories]
    directory = folder / "reviewers"
    directory.mkdir()
    used = 0
    for n in range(reviewers):
        count = rng.randint(max(1, per // 2), per + per // 2)  # mean ~per
        home = by_category[rng.choices(categories, weights)[0]]
        mine = [home.pop() for _ in range(min(len(home), (count * 3 + 3) // 4))]
        while len(mine) < count and pool:  # the rest from anywhere (a second interest)
            candidate = pool[rng.randrange(len(pool))]
            if candidate not in mine:
                mine.append(candidate)
        used += len(mine)
        with open(directory / f"~Reviewer_{n + 1}.jsonl", "w", encoding="utf-8") as fh:
            for record in mine:
                fh.write(json.dumps(note(record, v2=n % 2 == 1)) + "\n")
    submissions_file = folder / "submissions.jsonl"
    with open(submissions_file, "w", encoding="utf-8") as fh:
        for i, record in enumerate(subs):
            fh.write(json.dumps(note(record, v2=i % 2 == 1)) + "\n")
    return directory, submissions_file, used


def run(
    label: str,
    reviewers: Path,
    submissions: Path,
    embedder: CountingEmbedder,
    store: Store,
    out: Path,
) -> tuple[AffinityReport, dict[str, Any]]:
    figures: dict[str, Any] = {"run": label}
    before = embedder.texts
    with OthersCpu() as others:
        started = time.perf_counter()
        report = compute_affinity(reviewers, submissions, embedder, store=store)
        total = time.perf_counter() - started
        written = time.perf_counter()
        rows = write_scores(report.rows(), out)
        write_s = time.perf_counter() - written
    figures["others_cpu"] = round(others.share, 2)  # of the machine, other processes
    figures.update(
        texts=report.texts,
        embedded=embedder.texts - before,
        embed_seconds=round(report.embed_seconds, 3),
        embedder_seconds=round(embedder.seconds, 3),
        score_seconds=round(report.score_seconds, 3),
        read_seconds=round(total - report.embed_seconds - report.score_seconds, 3),
        write_seconds=round(write_s, 3),
        rows=rows,
        pairs_per_second=round(report.pairs / report.score_seconds),
        ms_per_reviewer=round(1000 * report.score_seconds / len(report.reviewer_ids), 2),
    )
    embedder.seconds = 0.0
    return report, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reviewers", type=int, default=100)
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--papers", type=int, default=10, help="papers per reviewer, on average")
    parser.add_argument("--fake", action="store_true", help="the fake embedder, not MiniLM")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    wall = time.perf_counter()
    record = run_record()

    papers = read_papers(args.data)
    if len(papers) < args.submissions + 4 * args.papers:  # beyond that, reviewers share more
        print(f"error: {args.data} has only {len(papers)} papers", file=sys.stderr)
        return 2
    inner: Embedder = FakeEmbedder(384) if args.fake else MiniLMEmbedder()
    embedder = CountingEmbedder(inner)
    with tempfile.TemporaryDirectory(prefix="affinity-") as tmp:
        folder = Path(tmp)
        reviewers, submissions, used = make_dataset(
            papers, folder, args.reviewers, args.submissions, args.papers, args.seed
        )
        store = open_store(folder)
        runs = []
        cold, figures = run("cold", reviewers, submissions, embedder, store, folder / "a.csv")
        runs.append(figures)
        warm, figures = run("warm", reviewers, submissions, embedder, store, folder / "b.csv")
        runs.append(figures)
        same = bool((cold.scores == warm.scores).all())
        store.close()

    result = {
        **record,
        "embedder": inner.model_id,
        "precision": getattr(inner, "precision", None),
        "reviewers": args.reviewers,
        "submissions": args.submissions,
        "reviewer_papers": used,
        "pairs": cold.pairs,
        "runs": runs,
        "scores_identical_across_runs": same,
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "command": "python benchmarks/affinity.py" + (" --fake" if args.fake else ""),
    }
    print(
        f"{args.reviewers} reviewers ({used} papers) x {args.submissions} submissions "
        f"= {cold.pairs:,} pairs, embedder {inner.model_id}"
    )
    print(
        f"{'run':16} {'texts':>6} {'embedded':>8} {'embed s':>8} {'score s':>8} "
        f"{'pairs/s':>9} {'ms/rev':>7} {'read s':>7} {'write s':>7} {'others':>6}"
    )
    for f in runs:
        print(
            f"{f['run']:16} {f['texts']:>6} {f['embedded']:>8} {f['embed_seconds']:>8.2f} "
            f"{f['score_seconds']:>8.2f} {f['pairs_per_second']:>9,} {f['ms_per_reviewer']:>7.1f} "
            f"{f['read_seconds']:>7.2f} {f['write_seconds']:>7.2f} {f['others_cpu']:>6.0%}"
        )
    print(f"scores identical across runs: {same}")
    saved: dict[str, Any] = {}
    if args.out.exists():  # one entry per embedder: a --fake run keeps the model's figures
        with contextlib.suppress(ValueError):
            saved = json.loads(args.out.read_text(encoding="utf-8"))
    saved[inner.model_id] = result
    write_results(args.out, saved)
    print(f"wrote {args.out}")
    return 0 if same else 1


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per embedder (one entry each): the warm run beside the cold one, and scoring's rate."""
    rows = []
    for name, entry in results.items():
        runs = {r["run"]: r for r in entry["runs"]}
        size = f"{entry['reviewers']} reviewers x {entry['submissions']} submissions"
        warm, cold = runs.get("warm"), runs.get("cold")
        if warm is None:
            continue
        rows.append(
            summary_row(
                f"warm run, {name}",
                seconds_of(warm),
                "s",
                "lower",
                baseline="cold run (every text embedded)",
                baseline_value=seconds_of(cold) if cold else None,
                note=f"{size}; `{entry.get('command', '?')}`",
            )
        )
        rows.append(
            summary_row(
                f"scoring (warm), {name}",
                warm["pairs_per_second"],
                "pairs/s",
                "higher",
            )
        )
    return rows


def seconds_of(run: dict[str, Any]) -> float:
    """A run's time: embedding, scoring, reading the files and writing the CSV."""
    parts = ("embed_seconds", "score_seconds", "read_seconds", "write_seconds")
    return round(sum(float(run[k]) for k in parts), 3)


if __name__ == "__main__":
    sys.exit(main())
