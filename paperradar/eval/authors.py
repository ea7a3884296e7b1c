"""Author pseudo-users on arxiv-cs-daily: an author's earlier papers as a profile, their later
ones as the papers a daily digest should have shown them.

Nothing is downloaded: :func:`load` reads the arxiv-cs-daily JSON Lines file (``.gz`` or not)
the user gives, with paperradar's own reader for that format (``arxiv-daily``); every paper
has the day it was listed (``crawl_date``).

Protocol (:func:`run`):

- **users**: authors, named as :func:`paperradar.profile.normalise_author` normalises them
  (case, accents, punctuation and "Last, First" order ignored; no other merging, so
  namesakes are one user and spelling variants are several), with at least ``min_papers``
  (4) papers in the file;
- **cut-off**: a listing day (default: the day at 70% of the listing days,
  ``days[floor(0.7 * len(days))]``), the first day of the replay. A user's **profile** is
  their papers listed before it (at least 2), their **targets** the ones listed on or after
  it (at least 1); ``users`` (300) of the qualifying authors are drawn at random (``seed``);
- **replay**: day by day from the cut-off, as a daily digest sees the feed: each day's
  **candidates** are every paper listed that day (the user's profile and liked papers left
  out), each method ranks them, and a target can only be found on the day it was listed.
  A day without a target of the user is not ranked: nothing on it can be found or liked
  (no dislikes are simulated), so it cannot change a figure;
- **metrics**, k = 10 and 20 (what a digest shows): per day with targets,
  ``day_recall@k`` (targets in the day's top k / targets that day) and ``day_ndcg@k``
  (binary gains, log2 discount, ideal = the day's targets first), averaged over the user's
  target days; ``recall@k`` over the whole replay (targets ranked within the top k of their
  own day / all the user's targets). Each is averaged over users, with 1.96 standard errors;
- **splits**: ``no-feedback`` (the profile never changes) and ``simulated-likes``: after each
  day the user likes the targets that reached that day's top ``like_top`` (20, a digest's
  default size), and those likes are the profile's ``liked`` items from the next day on (the
  feedback-using methods learn from them; the others compare with them as profile papers).

Methods are :mod:`paperradar.eval.methods` (all but the collaborative ones, which need other
users' libraries this data set does not have). The items they see are every paper of the
file: text = title and abstract (never the authors, which would name the user), vector =
the paper's embedding, date = its listing day. So corpus statistics (TF-IDF and BM25 document
frequencies, arxiv-sanity's SVM negatives, paperradar's random background) include papers
listed after the day being ranked: a simplification of the replay, noted in the report.

Vectors go through a store: the file's papers are ingested into ``store`` (those it lacks),
cached vectors (keyed by content hash and model) are reused and only missing ones are
embedded and saved. Without a store, a temporary one is used and discarded.

Scores of the methods in :data:`POINTWISE` do not depend on which other papers are ranked
with a candidate, so each is scored once per user and profile state over all of the user's
replay candidates and each day is ranked from those scores (the same rankings; one SVM fit per
user instead of one per day). A replay with likes reuses the rankings of the replay without
them up to the first like (the profile is the same until then).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from paperradar.embedding import Embedder, normalise_rows, paper_text
from paperradar.errors import FormatError, UsageError
from paperradar.eval import EvalReport, EvalRow
from paperradar.eval.methods import (
    COLLABORATIVE,
    METHODS,
    Candidates,
    Items,
    Method,
    Profile,
    ScoreMethod,
    make_method,
    top_k,
)
from paperradar.eval.metrics import mean_ci95, ndcg_at_k
from paperradar.indexer import ensure_vectors
from paperradar.models import Paper
from paperradar.profile import normalise_author
from paperradar.readers import ReadContext, read_path
from paperradar.readers.base import BadRecord
from paperradar.readers.jsonl import ARXIV_DAILY_READER
from paperradar.store import Store
from paperradar.store.vectors import vectors_for

DATASET = "arxiv-cs-daily-authors"
FILE_NAME = "arxiv_cs_daily_dedup.jsonl.gz"
TOPS = (10, 20)
LIKE_TOP = 20
CUTOFF_SHARE = 0.7
SPLITS = ("no-feedback", "simulated-likes")
#: methods whose score of a candidate does not depend on the other candidates
POINTWISE = frozenset({"arxiv-sanity", "zotero", "max-cosine", "mean-cosine", "bm25"})
EMBED_CHUNK = 2048
#: the method the others are compared with, user by user, in the notes
REFERENCE = "paperradar"

#: called as progress(stage, done, total); stages "embed" and "replay" (users done)
EvalProgress = Callable[[str, int, int], None]
Ids = npt.NDArray[np.int64]


# --------------------------------------------------------------------------- the data


@dataclass(slots=True)
class Listing:
    """The papers of the file that have a listing day, in file order (index = item)."""

    papers: list[Paper]
    days: list[dt.date]
    undated: int = 0  # records without a listing day, left out

    def listing_days(self) -> list[dt.date]:
        return sorted(set(self.days))


def data_file(data: Path) -> Path:
    """The arxiv-cs-daily file: ``data`` itself, or the data set's file in a folder."""
    if data.is_dir():
        inside = data / FILE_NAME
        if inside.is_file():
            return inside
        raise UsageError(f"{data}: a folder without {FILE_NAME}; give the JSON Lines file")
    if not data.exists():
        raise UsageError(
            f"{data}: no such file (give the arxiv-cs-daily JSON Lines file, e.g. {FILE_NAME})"
        )
    return data


def load(data: Path) -> Listing:
    """Read the arxiv-cs-daily file; a record it cannot read is a FormatError (FILE:LINE)."""
    path = data_file(data)
    opened = read_path(path, ARXIV_DAILY_READER.name, ReadContext(origin=str(path)))
    records = iter(opened.records)
    listing = Listing([], [])
    seen: set[str] = set()
    first = True
    for record in records:
        if isinstance(record, BadRecord):
            if first:  # the very first record is bad: most likely not this format at all
                raise FormatError(
                    str(path),
                    record.line,
                    f"not an arxiv-cs-daily JSON Lines file ({record.reason}); expected one "
                    "object a line with id, title, authors, categories, abstract, crawl_date",
                )
            raise FormatError(str(path), record.line, record.reason)
        first = False
        if record.arxiv_id in seen:
            continue
        seen.add(record.arxiv_id or "")
        if record.listed is None:
            listing.undated += 1
            continue
        listing.papers.append(record)
        listing.days.append(record.listed)
    if len(listing.listing_days()) < 2:
        raise UsageError(
            f"{path}: the replay needs papers listed on at least two days "
            f"({len(listing.papers)} dated papers found)"
        )
    return listing


def default_cutoff(days: Sequence[dt.date]) -> dt.date:
    """The listing day at 70% of the (sorted, distinct) listing days."""
    ordered = sorted(set(days))
    return ordered[min(len(ordered) - 1, int(CUTOFF_SHARE * len(ordered)))]


# --------------------------------------------------------------------------- pseudo-users


@dataclass(frozen=True, slots=True)
class PseudoUser:
    """An author: ``profile`` (papers listed before the cut-off) and ``targets`` (on or
    after it), as item indices in file order."""

    name: str
    profile: tuple[int, ...]
    targets: tuple[int, ...]


def pseudo_users(
    authors: Sequence[Sequence[str]],
    days: Sequence[dt.date],
    cutoff: dt.date,
    min_papers: int = 4,
) -> list[PseudoUser]:
    """Every qualifying author (see the module doc), sorted by name."""
    papers_of: dict[str, list[int]] = {}
    for item, names in enumerate(authors):
        for name in dict.fromkeys(normalise_author(n) for n in names):
            if name:
                papers_of.setdefault(name, []).append(item)
    users = []
    for name in sorted(papers_of):
        items = papers_of[name]
        if len(items) < min_papers:
            continue
        profile = tuple(i for i in items if days[i] < cutoff)
        targets = tuple(i for i in items if days[i] >= cutoff)
        if len(profile) >= 2 and targets:
            users.append(PseudoUser(name, profile, targets))
    return users


def sample_users(users: Sequence[PseudoUser], n: int, seed: int) -> list[PseudoUser]:
    """``n`` users drawn without replacement (all of them when there are fewer), in draw
    order, so the first ``m`` of a draw are a random sample too."""
    if n >= len(users):
        order = np.random.default_rng(seed).permutation(len(users))
    else:
        order = np.random.default_rng(seed).choice(len(users), size=n, replace=False)
    return [users[int(i)] for i in order]


# --------------------------------------------------------------------------- replay


@dataclass(slots=True)
class DayResult:
    """One replayed day of one user: the day's targets, how many candidates were ranked,
    each target's rank (1-based) when it made the ranked depth, and what was liked."""

    day: dt.date
    candidates: int
    targets: tuple[int, ...]
    ranking: list[int]
    liked: tuple[int, ...] = ()

    def rank_of(self, item: int) -> int | None:
        try:
            return self.ranking.index(item) + 1
        except ValueError:
            return None

    def hits(self, k: int) -> int:
        wanted = set(self.targets)
        return sum(1 for i in self.ranking[:k] if i in wanted)


def user_metrics(days: Sequence[DayResult], tops: Sequence[int] = TOPS) -> dict[str, float]:
    """A user's figures over their replay (see the module doc)."""
    out: dict[str, float] = {}
    for k in tops:
        out[f"day_recall@{k}"] = statistics.fmean(d.hits(k) / len(d.targets) for d in days)
    for k in tops:
        out[f"day_ndcg@{k}"] = statistics.fmean(_day_ndcg(d, k) for d in days)
    total = sum(len(d.targets) for d in days)
    for k in tops:
        out[f"recall@{k}"] = sum(d.hits(k) for d in days) / total
    return out


def _day_ndcg(day: DayResult, k: int) -> float:
    wanted = set(day.targets)
    gains = [1.0 if i in wanted else 0.0 for i in day.ranking[:k]]
    return ndcg_at_k(gains, k, ideal_gains=[1.0] * len(day.targets))


@dataclass
class Feed:
    """The items and, per listing day, the items listed that day."""

    items: Items
    days: Sequence[dt.date]
    by_day: dict[dt.date, Ids] = field(init=False)

    def __post_init__(self) -> None:
        grouped: dict[dt.date, list[int]] = {}
        for item, day in enumerate(self.days):
            grouped.setdefault(day, []).append(item)
        self.by_day = {d: np.asarray(v, dtype=np.int64) for d, v in grouped.items()}

    def target_days(self, user: PseudoUser) -> list[dt.date]:
        return sorted({self.days[i] for i in user.targets})

    def candidates(self, day: dt.date, exclude: Iterable[int]) -> Ids:
        ids = self.by_day[day]
        drop = set(exclude)
        return ids[[int(i) not in drop for i in ids]] if drop else ids


class UserRanker:
    """One method's rankings for one user, memoised by (likes so far, day); for a
    :data:`POINTWISE` method, scored once per profile state over all the user's replay
    candidates (see the module doc)."""

    def __init__(self, method: Method, feed: Feed, user: PseudoUser, depth: int) -> None:
        self.method = method
        self.feed = feed
        self.user = user
        self.depth = depth
        self.scorer = (
            method if isinstance(method, ScoreMethod) and method.name in POINTWISE else None
        )
        self.memo: dict[tuple[tuple[int, ...], dt.date], list[int]] = {}
        self.scored: dict[tuple[int, ...], dict[int, float]] = {}

    def rank(self, profile: Profile, day: dt.date) -> tuple[list[int], int]:
        """The day's ranking (best ``depth``) and its number of candidates."""
        exclude = [*profile.own, *profile.liked]
        ids = self.feed.candidates(day, exclude)
        key = (tuple(profile.liked), day)
        found = self.memo.get(key)
        if found is None:
            found = self._rank(profile, ids)
            self.memo[key] = found
        return found, len(ids)

    def _rank(self, profile: Profile, ids: Ids) -> list[int]:
        if not len(ids):
            return []
        if self.scorer is None:
            return self.method.rank(profile, Candidates(self.feed.items, ids), self.depth)
        scores = self._scores(self.scorer, profile)
        values = np.fromiter((scores[int(i)] for i in ids), dtype=np.float64, count=len(ids))
        return top_k(values, ids, self.depth)

    def _scores(self, scorer: ScoreMethod, profile: Profile) -> dict[int, float]:
        key = tuple(profile.liked)
        found = self.scored.get(key)
        if found is None:
            exclude = [*profile.own, *profile.liked]
            union = np.concatenate(
                [self.feed.candidates(d, exclude) for d in self.feed.target_days(self.user)]
            )
            values = scorer.scores(profile, Candidates(self.feed.items, union))
            found = dict(zip(union.tolist(), values.tolist(), strict=True))
            self.scored[key] = found
        return found


def replay(
    ranker: UserRanker,
    *,
    likes: bool,
    like_top: int = LIKE_TOP,
    seed: int = 0,
) -> list[DayResult]:
    """Replay the user's target days in order; with ``likes``, the targets in a day's top
    ``like_top`` are liked from the next day on."""
    user = ranker.user
    liked: list[int] = []
    out = []
    for day in ranker.feed.target_days(user):
        profile = Profile(own=user.profile, liked=tuple(liked), seed=seed)
        ranking, n = ranker.rank(profile, day)
        targets = tuple(i for i in user.targets if ranker.feed.days[i] == day)
        result = DayResult(day, n, targets, ranking)
        if likes:
            wanted = set(targets)
            result.liked = tuple(i for i in ranking[:like_top] if i in wanted)
            liked.extend(result.liked)
        out.append(result)
    return out


# --------------------------------------------------------------------------- vectors


def store_vectors(
    store: Store,
    embedder: Embedder,
    papers: Sequence[Paper],
    progress: EvalProgress | None = None,
) -> tuple[npt.NDArray[np.float32], int]:
    """Each paper's normalised vector through the store (papers it lacks are ingested;
    cached vectors reused; missing ones embedded and saved), and how many texts were
    embedded now."""
    aliases = [f"arxiv:{p.arxiv_id}" for p in papers]
    rows = _rows_of(store, aliases)
    missing = [p for p, a in zip(papers, aliases, strict=True) if a not in rows]
    if missing:
        with store.transaction():
            for start in range(0, len(missing), 2000):
                store.upsert(list(missing[start : start + 2000]))
        rows = _rows_of(store, aliases)
    row_ids = list(dict.fromkeys(rows[a] for a in aliases))
    embedded = 0
    if progress:
        progress("embed", 0, len(row_ids))
    for start in range(0, len(row_ids), EMBED_CHUNK):
        embedded += ensure_vectors(store, embedder, row_ids[start : start + EMBED_CHUNK])
        if progress:
            progress("embed", min(start + EMBED_CHUNK, len(row_ids)), len(row_ids))
    found: dict[int, npt.NDArray[np.float32]] = {}
    for start in range(0, len(row_ids), 20_000):
        found.update(vectors_for(store, embedder.model_id, row_ids[start : start + 20_000]))
    matrix = np.zeros((len(papers), embedder.dim), dtype=np.float32)
    for i, alias in enumerate(aliases):
        vector = found.get(rows[alias])
        if vector is not None:
            matrix[i] = vector
    return normalise_rows(matrix), embedded


def _rows_of(store: Store, aliases: Sequence[str]) -> dict[str, int]:
    rows = store.query(
        "SELECT alias, paper_id FROM aliases WHERE alias IN (SELECT value FROM json_each(?))",
        (orjson.dumps(list(aliases)).decode(),),
    )
    return {r["alias"]: int(r["paper_id"]) for r in rows}


def make_feed(
    listing: Listing,
    embedder: Embedder,
    store: Store | None,
    progress: EvalProgress | None = None,
) -> tuple[Feed, int]:
    """The items (texts without authors, vectors through the store, listing days)."""
    if store is None:
        with tempfile.TemporaryDirectory(prefix="paperradar-eval-") as tmp:
            temporary = Store.open(Path(tmp))
            try:
                vectors, embedded = store_vectors(temporary, embedder, listing.papers, progress)
            finally:
                temporary.close()
    else:
        vectors, embedded = store_vectors(store, embedder, listing.papers, progress)
    texts = [paper_text(p.title, p.abstract) for p in listing.papers]
    items = Items(texts=texts, vectors=vectors, dates=list(listing.days))
    return Feed(items, listing.days), embedded


# --------------------------------------------------------------------------- the run


def check_methods(methods: Sequence[str] | None) -> list[str]:
    """The methods to run: ``methods`` or every applicable one (collaborative methods need
    other users' libraries, which this data set does not have)."""
    if methods is None:
        return [m for m in METHODS if m not in COLLABORATIVE]
    wanted = list(dict.fromkeys(methods))
    unknown = [m for m in wanted if m not in METHODS]
    if unknown:
        raise UsageError(
            f"unknown method(s) {', '.join(map(repr, unknown))}; "
            f"the methods are: {', '.join(METHODS)}"
        )
    collaborative = [m for m in wanted if m in COLLABORATIVE]
    if collaborative:
        raise UsageError(
            f"{', '.join(collaborative)}: needs other users' libraries, which arxiv-cs-daily "
            "does not have"
        )
    return wanted


@dataclass(slots=True)
class Outcome:
    """Per method and split, each user's figures (in draw order)."""

    per_user: dict[tuple[str, str], list[dict[str, float]]] = field(default_factory=dict)
    liked_users: dict[str, int] = field(default_factory=dict)


def evaluate(
    feed: Feed,
    users: Sequence[PseudoUser],
    methods: Sequence[Method],
    *,
    likes: bool = True,
    like_top: int = LIKE_TOP,
    method_users: Mapping[str, int] | None = None,
    seed: int = 0,
    progress: EvalProgress | None = None,
) -> Outcome:
    """Replay every user with every method (see the module doc)."""
    depth = max(*TOPS, like_top)
    outcome = Outcome()
    limits = dict(method_users or {})
    for number, user in enumerate(users):
        user_seed = seed * 1_000_003 + number
        for method in methods:
            if number >= limits.get(method.name, len(users)):
                continue
            ranker = UserRanker(method, feed, user, depth)
            plain = replay(ranker, likes=False, like_top=like_top, seed=user_seed)
            outcome.per_user.setdefault((method.name, SPLITS[0]), []).append(user_metrics(plain))
            if likes:
                liked = replay(ranker, likes=True, like_top=like_top, seed=user_seed)
                outcome.per_user.setdefault((method.name, SPLITS[1]), []).append(
                    user_metrics(liked)
                )
                if any(d.liked for d in liked[:-1]):
                    outcome.liked_users[method.name] = outcome.liked_users.get(method.name, 0) + 1
        if progress:
            progress("replay", number + 1, len(users))
    return outcome


def rows_of(
    outcome: Outcome, method_names: Sequence[str], first: int | None = None
) -> list[EvalRow]:
    """One row per method and split: the mean over users and its 95% half-width; with
    ``first``, over the first ``first`` users drawn only (split named "SPLIT, first N"),
    for the methods run on more users than that."""
    rows = []
    for split in SPLITS:
        for name in method_names:
            values = outcome.per_user.get((name, split), [])
            if first is not None:
                if len(values) <= first:  # already those users: its own row says it
                    continue
                values = values[:first]
            if not values:
                continue
            metrics: dict[str, float] = {}
            ci95: dict[str, float] = {}
            for metric in values[0]:
                mean, half = mean_ci95([v[metric] for v in values])
                metrics[metric] = mean
                ci95[metric] = half
            label = split if first is None else f"{split}, first {first}"
            rows.append(EvalRow(name, label, metrics, len(values), ci95))
    return rows


def random_expectation(feed: Feed, users: Sequence[PseudoUser], k: int) -> float:
    """Mean over users of the recall@k a random order of each day would get, in
    expectation: per target, min(k, candidates that day) / candidates that day."""
    values = []
    for user in users:
        per_target = []
        for day in feed.target_days(user):
            n = len(feed.candidates(day, user.profile))
            hits = sum(1 for i in user.targets if feed.days[i] == day)
            per_target.extend([min(k, n) / n] * hits)
        values.append(statistics.fmean(per_target))
    return statistics.fmean(values)


def paired_difference(
    outcome: Outcome, first: tuple[str, str], second: tuple[str, str], metric: str
) -> tuple[float, float, int] | None:
    """Mean per-user difference ``second - first`` of ``(method, split)`` figures, over the
    users both have (the first drawn), with its 95% half-width; None without users."""
    a = outcome.per_user.get(first, [])
    b = outcome.per_user.get(second, [])
    n = min(len(a), len(b))
    if not n:
        return None
    mean, half = mean_ci95([y[metric] - x[metric] for x, y in zip(a[:n], b[:n], strict=True)])
    return mean, half, n


def run(
    data: Path,
    *,
    embedder: Embedder,
    methods: Sequence[str] | None = None,
    cutoff: dt.date | None = None,
    min_papers: int = 4,
    users: int = 300,
    seed: int = 0,
    store: Store | None = None,
    likes: bool = True,
    like_top: int = LIKE_TOP,
    method_users: Mapping[str, int] | None = None,
    progress: EvalProgress | None = None,
) -> EvalReport:
    """Evaluate ``methods`` on author pseudo-users of the arxiv-cs-daily file ``data`` (see
    the module doc); ``method_users`` caps the users of slow methods (the first N drawn)."""
    if min_papers < 3:
        raise UsageError("--min-papers must be at least 3 (2 profile papers and a target)")
    if users < 1:
        raise UsageError("--users must be at least 1")
    if like_top < 1:
        raise UsageError("the like cut-off must be at least 1")
    names = check_methods(methods)
    listing = load(data)
    days = listing.listing_days()
    cut = cutoff or default_cutoff(days)
    if not days[0] < cut <= days[-1]:
        raise UsageError(
            f"the cut-off {cut} leaves no days before or after it: the file lists papers "
            f"from {days[0]} to {days[-1]}"
        )
    everyone = pseudo_users([p.authors for p in listing.papers], listing.days, cut, min_papers)
    if not everyone:
        raise UsageError(
            f"no author has >= {min_papers} papers with >= 2 listed before {cut} and >= 1 "
            "on or after it"
        )
    drawn = sample_users(everyone, users, seed)
    feed, embedded = make_feed(listing, embedder, store, progress)
    chosen = [make_method(n) for n in names]
    outcome = evaluate(
        feed,
        drawn,
        chosen,
        likes=likes,
        like_top=like_top,
        method_users=method_users,
        seed=seed,
        progress=progress,
    )
    report = EvalReport(
        dataset=DATASET,
        protocol=(
            f"author pseudo-users: {len(drawn)} of {len(everyone)} authors with >= {min_papers} "
            f"papers, >= 2 listed before {cut} (profile) and >= 1 from it on (targets); "
            f"the {sum(d >= cut for d in days)} days from {cut} replayed day by day, a user's "
            "target days ranked (that day's papers, profile left out); day_* = mean over "
            "target days, recall@k = targets in their own day's top k; simulated-likes = "
            f"targets in a day's top {like_top} liked from the next day on"
        ),
        rows=rows_of(outcome, names),
    )
    # capped methods: every method again on the same first N users, for a like-for-like look
    caps = sorted({c for c in (method_users or {}).values() if 0 < c < len(drawn)})
    for cap in caps:
        report.rows.extend(rows_of(outcome, names, first=cap))
    report.notes.extend(_notes(listing, feed, drawn, cut, embedded, embedder, outcome, names))
    for name, cap in (method_users or {}).items():
        if name in names and cap < len(drawn):
            report.notes.append(
                f"{name}: the first {cap} of the {len(drawn)} drawn users only (slow); "
                f'every method on those users is in the splits ", first {cap}"'
            )
    return report


def _notes(
    listing: Listing,
    feed: Feed,
    drawn: Sequence[PseudoUser],
    cut: dt.date,
    embedded: int,
    embedder: Embedder,
    outcome: Outcome,
    names: Sequence[str],
) -> list[str]:
    days = listing.listing_days()
    sizes = [len(feed.by_day[d]) for d in days if d >= cut]
    target_days = sum(len(feed.target_days(u)) for u in drawn)
    targets = sum(len(u.targets) for u in drawn)
    notes = [
        f"{len(listing.papers):,} papers listed on {len(days)} days ({days[0]} .. {days[-1]})"
        + (f"; {listing.undated} without a listing day left out" if listing.undated else ""),
        f"replay: {len(sizes)} days of {statistics.median(sizes):.0f} papers (median; "
        f"{min(sizes)}-{max(sizes)}); the drawn users have {targets} targets on "
        f"{target_days} user-days, profiles of "
        f"{statistics.median(len(u.profile) for u in drawn):.0f} papers (median)",
        "random order, expected recall@10 / @20: "
        + " / ".join(f"{random_expectation(feed, drawn, k):.4f}" for k in TOPS),
        f"vectors: {embedder.model_id}, {embedded:,} embedded now, the rest from the store's cache",
        "items' texts are title + abstract (no author names); corpus statistics (TF-IDF, "
        "BM25, SVM negatives, paperradar's background sample) are over the whole file, "
        "papers listed after the ranked day included",
        "users are normalised author names: namesakes count as one user",
    ]
    for name in names:
        gain = paired_difference(outcome, (name, SPLITS[0]), (name, SPLITS[1]), "recall@20")
        if gain is None:
            continue
        mean, half, n = gain
        liked = outcome.liked_users.get(name, 0)
        notes.append(
            f"{name}: simulated likes - no feedback, recall@20 {mean:+.4f} ± {half:.4f} "
            f"(paired, {n} users; {liked} liked a target before their last target day)"
        )
    if REFERENCE in names:
        for split in SPLITS:
            parts = []
            for name in names:
                if name == REFERENCE:
                    continue
                diff = paired_difference(outcome, (REFERENCE, split), (name, split), "recall@20")
                if diff is not None:
                    parts.append(f"{name} {diff[0]:+.4f} ± {diff[1]:.4f} ({diff[2]})")
            if parts:
                notes.append(
                    f"{split}, recall@20 minus {REFERENCE}'s (paired over the users both "
                    f"ran): {'; '.join(parts)}"
                )
    return notes
