"""Explanations benchmark: informative against generic explanations on the demo's top 20.

The demo researcher (the papers of seeds 000/001, profile "researcher") and the real
ranking (MiniLM vectors, as ``make demo`` stored them): ``demo-home/`` (built by ``make
demo``) is copied to a temporary folder and the copy is opened, so the demo store is only
read; the digest of 2026-07-01, top 20, is built with ``record=False``.

Each paper's explanation is classified twice by one rule (:func:`classify`, printed and
in docs/ranking.md, "Measuring explanations"):

- **before**: the shared terms the digest showed until now (``Why.terms``: the profile's
  distinctive single terms the paper shares, ``TermProfile.shared``, unchanged code);
- **after**: the shared phrases it shows now (``Why.phrases``, paperradar/radar/explain.py).

The rule: an explanation is *informative* when at least one item it shows is informative,
*generic* when it shows items but none is, *none* when it shows nothing. An item is
informative when it is a phrase of two or more words (separated by spaces) not made only of
generic words, or one word that is not generic and not among the 2,000 words in most
documents of the background (every paper of the store: titles and abstracts, words as
``terms.tokens`` makes them). Generic words: ``explain.GENERIC`` (academic words such as
"approach", "simple", "size", "loss", "answer"), the stop words of terms.py, and
``explain.GENERIC_ACRONYMS``.

Also timed (median CPU seconds of 7, in turns): building the explainer over the day's
candidates and explaining the 80-paper pool the digest picks from (the cost explanations
add to a digest), beside scoring the candidates from their texts (similarity, tokenising,
keywords) in the same run.
Results go to benchmarks/results/explanations.json.

    python benchmarks/explanations.py [--demo-home demo-home] [--day 2026-07-01] [--top 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _lib.machine import run_record, summary_row, write_results
from _lib.paths import RESULTS_DIR, ROOT

from paperradar import Store
from paperradar.config import load_config
from paperradar.digest import DigestOptions, make_digest
from paperradar.digest.build import POOL, candidate_ids
from paperradar.embedding import default_embedder
from paperradar.models import Filters
from paperradar.radar.explain import GENERIC, GENERIC_ACRONYMS
from paperradar.radar.profiles import load_profile
from paperradar.radar.ranking import Text, _matrix, build_scorer, load_inputs, rank_inputs
from paperradar.radar.terms import STOPWORDS, fold, tokens

RESULTS = RESULTS_DIR / "explanations.json"
PROFILE = "researcher"
FREQUENT = 2000
RULE = (
    "informative: shows at least one item that is a phrase of 2+ space-separated words not "
    "all generic, or one word neither generic nor among the background's "
    f"{FREQUENT:,} words in most documents; generic: shows items, none informative; none: "
    "shows nothing. Generic words: explain.GENERIC, the stop words of terms.py, "
    "explain.GENERIC_ACRONYMS."
)


def _generic(word: str) -> bool:
    low = word.lower()
    return (
        low in GENERIC
        or fold(low) in GENERIC
        or low in STOPWORDS
        or word.upper() in GENERIC_ACRONYMS
        or len(low) < 3
    )


def informative(item: str, frequent: set[str]) -> bool:
    """Whether one shown item is informative (the module doc's rule)."""
    words = [w for w in item.split() if w.lower() != "of"]
    if len(words) >= 2:
        return not all(_generic(w) for w in words)
    if not words:
        return False
    word = words[0]
    return not _generic(word) and all(t not in frequent for t in tokens(word) or [word.lower()])


def classify(items: list[str], frequent: set[str]) -> str:
    """informative, generic or none (the module doc's rule)."""
    if not items:
        return "none"
    return "informative" if any(informative(i, frequent) for i in items) else "generic"


def frequent_words(store: Store, most: int = FREQUENT) -> tuple[set[str], int]:
    """The ``most`` words in most documents of the store, and how many documents."""
    ids = store.papers.matching(Filters())
    df: Counter[str] = Counter()
    for text in store.papers.texts(ids).values():
        df.update(set(tokens(f"{text.title}\n{text.abstract}")))
    return {w for w, _ in df.most_common(most)}, len(ids)


def explain_cost(store: Store, day: dt.date, top: int, embedder: Any) -> dict[str, Any]:
    """Median CPU seconds to build the explainer and explain the pool of one digest, beside
    the same run's median CPU seconds to score the candidates from their texts (similarity,
    tokenising, keywords; no explanation), timed in turns. CPU time, not wall time: the
    shared machine's other processes do not count."""
    profile = load_profile(store, PROFILE)
    inputs = load_inputs(store, profile, embedder, candidate_ids(store, day, day))
    scorer = build_scorer(inputs.profile)
    rank_inputs(inputs, keep=POOL * top, scorer=scorer)  # warm caches
    texts = inputs.candidates.texts
    ids = [i for i in inputs.candidates.ids if i in texts and i in inputs.candidates.vectors]
    matrix = _matrix(inputs.candidates.vectors, ids)
    explaining, scoring = [], []
    for _ in range(7):
        fresh = [Text(texts[i].title, texts[i].abstract) for i in ids]  # not yet tokenised
        started = time.process_time()
        scorer.score(matrix, fresh)
        scoring.append(time.process_time() - started)
        scorer._explain = None  # the explainer is built again, as for a new digest
        started = time.process_time()
        explainer = scorer._explainer()
        for i in ids[: POOL * top]:
            explainer.explain(texts[i].title, texts[i].abstract)
        explaining.append(time.process_time() - started)
    return {
        "median_s": round(statistics.median(explaining), 4),
        "scoring_median_s": round(statistics.median(scoring), 4),
        "candidates": len(ids),
        "explained": min(len(ids), POOL * top),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--demo-home", type=Path, default=ROOT / "demo-home")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 7, 1))
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    if not (args.demo_home / "paperradar.db").exists():
        print(f"no demo store in {args.demo_home}: run `make demo` first", file=sys.stderr)
        return 2
    record = run_record()
    with tempfile.TemporaryDirectory(prefix="explanations-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(args.demo_home, home)  # the demo store itself is only read
        store = Store.open(home)
        embedder = default_embedder(load_config(home))
        options = DigestOptions(start=args.day, end=args.day, top=args.top, record=False)
        digest = make_digest(store, PROFILE, embedder, options)
        frequent, n_docs = frequent_words(store)
        cost = explain_cost(store, args.day, args.top, embedder)
        store.close()
    rows: list[dict[str, Any]] = []
    print(f"rule: {RULE}\n")
    for rank, entry in enumerate(digest.entries, start=1):
        before = list(entry.why.terms)
        after = list(entry.why.phrases)
        row: dict[str, Any] = {
            "rank": rank,
            "title": entry.paper.title,
            "before": before,
            "before_class": classify(before, frequent),
            "after": after,
            "after_class": classify(after, frequent),
            "sentences": entry.why.sentences,
            "standing": entry.why.standing(),
        }
        rows.append(row)
        print(f"{rank:2}. {entry.paper.title[:90]}")
        print(f"    before [{row['before_class']}]: {', '.join(before) or '-'}")
        print(f"    after  [{row['after_class']}]: {', '.join(after) or '-'}")
        print(f"    {row['standing']}; marked: {len(row['sentences'])} sentence(s)")
    counts = {
        side: {
            c: sum(r[f"{side}_class"] == c for r in rows)
            for c in ("informative", "generic", "none")
        }
        for side in ("before", "after")
    }
    print(
        f"\n{len(rows)} papers of {digest.candidates} candidates, {args.day}; background "
        f"{n_docs:,} papers"
    )
    for side in ("before", "after"):
        c = counts[side]
        print(
            f"{side:>6}: {c['informative']} informative, {c['generic']} generic, {c['none']} none"
        )
    print(
        f"explaining: {cost['median_s']} s (explainer over {cost['candidates']} candidates + "
        f"{cost['explained']} papers explained, CPU); same run, scoring the candidates: "
        f"{cost['scoring_median_s']} s CPU"
    )
    results = {
        **record,
        "demo_home": str(args.demo_home),
        "day": args.day.isoformat(),
        "top": args.top,
        "candidates": digest.candidates,
        "background_papers": n_docs,
        "rule": RULE,
        "counts": counts,
        "explain_cost": cost,
        "papers": rows,
    }
    write_results(RESULTS, results)
    return 0


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Informative explanations in the top 20, after beside before (the same run)."""
    counts = results["counts"]
    n = results["top"]
    return [
        summary_row(
            f"informative explanations, top {n}",
            counts["after"]["informative"],
            "papers",
            "higher",
            baseline="shared terms (before)",
            baseline_value=counts["before"]["informative"],
            note=(
                f"after: {counts['after']['generic']} generic, {counts['after']['none']} none; "
                f"before: {counts['before']['generic']} generic, {counts['before']['none']} none"
            ),
        ),
        summary_row(
            "explaining one digest's pool, CPU",
            results["explain_cost"]["median_s"],
            "s",
            "lower",
            baseline="scoring the candidates, CPU",
            baseline_value=results["explain_cost"]["scoring_median_s"],
            note=f"{results['explain_cost']['candidates']} candidates",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
