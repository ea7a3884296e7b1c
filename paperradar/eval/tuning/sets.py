"""The benchmarks the ranking's defaults are tuned on, split into TUNE and REPORT units
(paperradar.eval.tuning.rule has the rule). Every split is fixed by the data or a seed before
anything is measured:

- **csfcube**: the 50 query-facets (all three facets), each a one-paper profile (the query
  paper) ranking its judged pool; figure NDCG%20 (graded). TUNE = the dataset's fold-1 test
  half of "all" (evaluation_splits.json), REPORT = fold 2. No feedback (one query paper).
- **citeulike**: the dense split of CiteULike-a (10 training papers per user), ``users``
  drawn with :func:`paperradar.eval.citeulike.draw_users`; a user's profile is their training
  papers, candidates every other item, targets their test items; figure recall@50. The first
  half drawn is TUNE, the rest REPORT. Feedback task: 3 training papers as own, 3 others
  liked, 3 random items outside the user's library disliked (so ``n`` = 6 feedback actions);
  candidates are all but the 10 training papers and the 3 dislikes. Titles only (the data
  set has no abstracts), so this benchmark has no "title" text variant.
- **authors**: the author replay of :mod:`paperradar.eval.authors` (its cut-off, users and
  seed); a unit is an author, their target days in order are the tasks (that day's papers,
  profile left out); figure recall@20 over the replay. The first half drawn is TUNE, the rest
  REPORT. Feedback: the same days replayed with simulated likes (targets in a day's top 20
  are liked from the next day on), as ``eval authors``' simulated-likes split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from paperradar.embedding import Embedder, paper_text
from paperradar.errors import InputError, UsageError
from paperradar.eval import authors as author_data
from paperradar.eval import citeulike, csfcube
from paperradar.eval.methods import Candidates, Items
from paperradar.eval.tuning.rule import TEXTS, Benchmark, Task, Unit
from paperradar.identifiers import content_hash
from paperradar.radar.affinity import embed_texts
from paperradar.store.api import Store

CITEULIKE_SPLIT = "dense"
FEEDBACK_OWN = 3
FEEDBACK_LIKES = 3
FEEDBACK_DISLIKES = 3


def _halves(units: Sequence[Unit]) -> tuple[list[Unit], list[Unit]]:
    half = len(units) // 2
    return list(units[:half]), list(units[half:])


def csfcube_benchmark(data: Path, embedder: Embedder, store: Store | None) -> Benchmark:
    """CSFCube as TUNE (fold 1) and REPORT (fold 2) query-facets (module doc)."""
    cube = csfcube.load(data, specter=False)
    pids = sorted(
        {pid for key, pool in cube.pools.items() for pid in (cube.split_of(key)[0], *pool)}
    )
    index = {pid: i for i, pid in enumerate(pids)}
    papers = [cube.papers[p] for p in pids]
    items = {}
    for text in TEXTS:
        pairs = [(p.title, p.abstract if text == TEXTS[0] else "") for p in papers]
        by_hash = {content_hash(*pair): paper_text(*pair) for pair in pairs}
        matrix, _ = embed_texts(by_hash, embedder, store)
        row = {h: i for i, h in enumerate(by_hash)}
        vectors = matrix[[row[content_hash(*pair)] for pair in pairs]]
        items[text] = Items([paper_text(*pair) for pair in pairs], vectors)

    def unit(key: str) -> Unit:
        query = cube.split_of(key)[0]
        pool = cube.pools[key]
        candidates = np.asarray([index[pid] for pid in sorted(pool)], dtype=np.int64)
        relevant = {index[pid]: float(g) for pid, g in pool.items() if g > 0}
        return Unit(key, [Task((index[query],), candidates, relevant)])

    first, second = cube.folds["all"]
    return Benchmark(
        "csfcube",
        "ndcg%20",
        items,
        [unit(k) for k in first],
        [unit(k) for k in second],
        "CSFCube query-facets, the query paper as a one-paper profile ranking its judged pool; "
        "TUNE = fold-1 test half, REPORT = fold-2 test half; NDCG%20",
    )


def citeulike_benchmark(
    data: Path, embedder: Embedder, store: Store | None, users: int = 500, seed: int = 0
) -> Benchmark:
    """CiteULike-a dense users (``users`` = 0: all), the first half drawn TUNE, the rest
    REPORT (module doc)."""
    if users == 1 or users < 0:
        raise UsageError("citeulike: at least 2 users (one TUNE, one REPORT), or 0 for all")
    dataset = citeulike.load(data, CITEULIKE_SPLIT)
    drawn = citeulike.draw_users(dataset, users, seed)
    if len(drawn) < 2:
        raise InputError(f"{data}: fewer than 2 users with training and test items")
    vectors, _ = citeulike.embed_titles(dataset.titles, embedder, store)
    items = Items([paper_text(t, "") for t in dataset.titles], vectors)
    units = []
    for user in drawn:
        train, test = dataset.train[user], dataset.test[user]
        relevant = {int(i): 1.0 for i in test}
        task = Task(tuple(train), Candidates.all_but(items, train).ids, relevant)
        feedback = []
        rng = np.random.default_rng(seed * 1_000_003 + user)
        if len(train) >= FEEDBACK_OWN + FEEDBACK_LIKES:
            order = [int(i) for i in rng.permutation(train)]
            library = set(train) | set(test)
            disliked: list[int] = []
            while len(disliked) < FEEDBACK_DISLIKES:
                pick = int(rng.integers(len(items)))
                if pick not in library and pick not in disliked:
                    disliked.append(pick)
            candidates = Candidates.all_but(items, [*train, *disliked]).ids
            feedback.append(
                Task(
                    tuple(order[:FEEDBACK_OWN]),
                    candidates,
                    relevant,
                    liked=tuple(order[FEEDBACK_OWN : FEEDBACK_OWN + FEEDBACK_LIKES]),
                    disliked=tuple(disliked),
                )
            )
        units.append(Unit(f"user {user}", [task], feedback, seed=seed * 1_000_003 + user))
    tune, report = _halves(units)
    return Benchmark(
        "citeulike",
        "recall@50",
        {TEXTS[0]: items},
        tune,
        report,
        f"CiteULike-a {CITEULIKE_SPLIT} split, {len(drawn)} users drawn (seed {seed}): the "
        "training papers as profile, all other items as candidates, recall@50 of the test "
        "items; TUNE = the first half drawn, REPORT = the rest; feedback: 3 own, 3 liked, "
        "3 disliked; titles only",
    )


def authors_benchmark(
    data: Path,
    embedder: Embedder,
    store: Store | None,
    users: int = 300,
    seed: int = 0,
    cutoff: dt.date | None = None,
    min_papers: int = 4,
) -> Benchmark:
    """Author pseudo-users replayed day by day, the first half drawn TUNE (module doc)."""
    if users < 2:
        raise UsageError("authors: at least 2 users (one TUNE, one REPORT)")
    listing = author_data.load(data)
    days = listing.listing_days()
    cut = cutoff or author_data.default_cutoff(days)
    everyone = author_data.pseudo_users(
        [p.authors for p in listing.papers], listing.days, cut, min_papers
    )
    if len(everyone) < 2:
        raise InputError(f"{data}: fewer than 2 authors qualify as users before {cut}")
    drawn = author_data.sample_users(everyone, users, seed)
    feed, _ = author_data.make_feed(listing, embedder, store)
    titles, _ = citeulike.embed_titles([p.title for p in listing.papers], embedder, store)
    title_items = Items([paper_text(p.title, "") for p in listing.papers], titles)
    units = []
    for number, user in enumerate(drawn):
        tasks = []
        for day in feed.target_days(user):
            relevant = {int(i): 1.0 for i in user.targets if feed.days[i] == day}
            tasks.append(Task(user.profile, feed.candidates(day, user.profile), relevant))
        units.append(
            Unit(user.name, tasks, list(tasks), sequential=True, seed=seed * 1_000_003 + number)
        )
    tune, report = _halves(units)
    return Benchmark(
        "authors",
        "recall@20",
        {TEXTS[0]: feed.items, TEXTS[1]: title_items},
        tune,
        report,
        f"arxiv-cs-daily author replay: {len(drawn)} of {len(everyone)} authors, cut-off "
        f"{cut}, each day's papers ranked, recall@20 of the author's later papers; TUNE = the "
        "first half drawn, REPORT = the rest; feedback: simulated likes of targets in a "
        "day's top 20",
    )
