"""A day-by-day replay of a feed for one user, as daily digests would have shown it: the
rankings, the simulated likes and the figures of each day (paperradar.eval.authors builds the
users and the feed from arxiv-cs-daily; see its module doc for the protocol).

Scores of the methods in :data:`POINTWISE` do not depend on which other papers are ranked
with a candidate, so each is scored once per user and profile state over all of the user's
replay candidates and each day is ranked from those scores (the same rankings; one SVM fit per
user instead of one per day). A replay with likes reuses the rankings of the replay without
them up to the first like (the profile is the same until then).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from paperradar.eval import EvalRow
from paperradar.eval.methods import Candidates, Items, Method, Profile, ScoreMethod, top_k
from paperradar.eval.metrics import mean_ci95, ndcg_at_k

TOPS = (10, 20)
LIKE_TOP = 20
SPLITS = ("no-feedback", "simulated-likes")
#: methods whose score of a candidate does not depend on the other candidates
POINTWISE = frozenset({"arxiv-sanity", "zotero", "max-cosine", "mean-cosine", "bm25"})

#: called as progress(stage, done, total); stages "embed" and "replay" (users done)
EvalProgress = Callable[[str, int, int], None]
Ids = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PseudoUser:
    """An author: ``profile`` (papers listed before the cut-off) and ``targets`` (on or
    after it), as item indices in file order."""

    name: str
    profile: tuple[int, ...]
    targets: tuple[int, ...]


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


# --------------------------------------------------------------------------- many users


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
