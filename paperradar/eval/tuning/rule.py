"""Tuning the ranking's defaults on part of every benchmark, reporting on the rest.

The knobs are :class:`paperradar.radar.ranking.RankingConfig`'s: the **aggregation** of a
candidate's cosines to the profile's papers (``k_nearest``: the mean of the ``k`` largest;
1 = max, :data:`ALL` = the plain mean), the **keyword weight** (``keyword_weight``, the
hybrid of embedding similarity and TF-IDF keywords), the **feedback blend** (``feedback_half``:
the classifier's weight is ``n / (n + half)`` after ``n`` likes and dislikes) and the **text
fields** a paper is read by (title and abstract, or the title alone; embeddings and keywords
alike).

Each benchmark (:mod:`paperradar.eval.tuning.sets` builds them from CSFCube, CiteULike-a and
the arxiv-cs-daily author replay) is split once, before anything is measured, into **TUNE**
units (queries or users), on which values are chosen, and **REPORT** units, on which the
choice is reported. A unit is one or more ranking tasks (a CSFCube query-facet; a CiteULike
user; an author's replayed days) and has one figure (the benchmark's metric).

Rule (:func:`choose`), the same for every knob, over the benchmarks that measure it:

1. on TUNE, each benchmark's figure of each value is divided by that of the current default;
   the candidate is the value whose *worst* relative change over the benchmarks is the
   largest (ties: the larger mean change), so a value must help every benchmark to lead,
   and a large gain on one cannot buy a loss on another;
2. the candidate replaces the default only if that worst change is positive (it is better
   on the TUNE units of every benchmark) and at least one benchmark's paired TUNE difference
   is significant (its 95% interval wholly above 0); otherwise the default stays;
3. the REPORT figures of the default and of the chosen value are printed side by side, with
   the 95% interval of their paired difference.

So no value is chosen on one benchmark alone, and no figure quoted is one it was chosen on.
Aggregation and keyword weight are chosen together (a grid; one Scorer call per task and
``k`` gives both parts, and every weight is a sum of them), then the feedback blend with them,
then the text fields with all three.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from paperradar.errors import UsageError
from paperradar.eval.methods import Candidates, Items, PaperRadar, Profile, top_k
from paperradar.eval.metrics import mean_ci95, ndcg_percent
from paperradar.radar.ranking import RankingConfig

#: k_nearest for "the plain mean over every profile paper"
ALL = 1_000_000
KS = (1, 2, 3, 5, 10, ALL)
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7)
HALVES = (2.5, 5.0, 10.0, 20.0, 40.0)
#: the feedback variant without the classifier: likes are only more profile papers
NO_CLASSIFIER = "likes as papers"
TEXTS = ("title+abstract", "title")
LIKE_TOP = 20

Ids = npt.NDArray[np.int64]
Scores = npt.NDArray[np.float64]
#: called as progress(stage, done, total)
Progress = Callable[[str, int, int], None]


# --------------------------------------------------------------------------- the data


@dataclass(slots=True)
class Task:
    """One ranking: the profile (own, liked and disliked items), the candidates, and the
    gain of each relevant candidate (graded or 1)."""

    own: tuple[int, ...]
    candidates: Ids
    relevant: dict[int, float]
    liked: tuple[int, ...] = ()
    disliked: tuple[int, ...] = ()


@dataclass(slots=True)
class Unit:
    """A query or a user: its tasks (an author's days, in order) and, where the benchmark
    measures feedback, its feedback tasks; ``sequential``: likes found on one feedback task
    carry over to the next (a replay), else each feedback task brings its own."""

    name: str
    tasks: list[Task]
    feedback: list[Task] = field(default_factory=list)
    sequential: bool = False
    seed: int = 0


@dataclass(slots=True)
class Benchmark:
    """A benchmark as the tuning sees it; ``items`` by text fields (TEXTS), ``metric`` one
    of ``ndcg%20`` (graded, whole pool) or ``recall@K`` (pooled over a unit's tasks)."""

    name: str
    metric: str
    items: dict[str, Items]
    tune: list[Unit]
    report: list[Unit]
    protocol: str

    @property
    def has_feedback(self) -> bool:
        return any(u.feedback for u in self.tune)

    def depth(self) -> int:
        """How deep a ranking the metric reads (0: the whole pool)."""
        return int(self.metric.split("@")[1]) if self.metric.startswith("recall@") else 0


def figure(metric: str, tasks: Sequence[Task], rankings: Sequence[Sequence[int]]) -> float:
    """A unit's figure from its tasks' rankings (best first)."""
    if metric == "ndcg%20":
        if len(tasks) != 1:
            raise UsageError("ndcg%20 is a one-task figure")
        task, ranking = tasks[0], rankings[0]
        gains = [task.relevant.get(int(i), 0.0) for i in ranking]
        ideal = [task.relevant.get(int(i), 0.0) for i in task.candidates]
        return ndcg_percent(gains, ideal, 20)
    if metric.startswith("recall@"):
        k = int(metric.split("@")[1])
        hits = sum(
            sum(1 for i in r[:k] if int(i) in t.relevant)
            for t, r in zip(tasks, rankings, strict=True)
        )
        total = sum(len(t.relevant) for t in tasks)
        return hits / total if total else 0.0
    raise UsageError(f"unknown tuning metric {metric!r}")


def _ranking(scores: Scores, ids: Ids, metric: str) -> list[int]:
    """The candidates best first: all of them for ndcg%20, the top K for recall@K (ties in
    candidate order, as top_k breaks them)."""
    if metric == "ndcg%20":
        return [int(ids[i]) for i in np.argsort(-scores, kind="stable")]
    return top_k(scores, ids, int(metric.split("@")[1]))


# --------------------------------------------------------------------------- measuring


@dataclass(slots=True)
class Grid:
    """Per (k, keyword weight), each unit's figure, in unit order."""

    values: dict[tuple[int, float], list[float]] = field(default_factory=dict)


def measure_grid(
    bench: Benchmark,
    units: Sequence[Unit],
    base: RankingConfig,
    text: str = TEXTS[0],
    ks: Sequence[int] = KS,
    weights: Sequence[float] = WEIGHTS,
    progress: Callable[[], None] | None = None,
) -> Grid:
    """Every unit's figure at every (k, weight): one Scorer call per task and distinct
    effective k (k beyond the profile's size is the plain mean), giving the similarity and
    keyword parts; each weight's score is ``(1 - w) * similarity + w * keywords``, the
    Scorer's own formula without feedback."""
    items = bench.items[text]
    grid = Grid({(k, w): [] for k in ks for w in weights})
    for unit in units:
        parts: dict[tuple[int, ...], list[tuple[Scores, Scores]]] = {}
        for k in ks:
            key = tuple(min(k, len(t.own)) for t in unit.tasks)  # the effective k per task
            if key not in parts:
                method = PaperRadar("tuning", replace(base, k_nearest=k), feedback=False)
                parts[key] = [_parts(method, items, t) for t in unit.tasks]
            for w in weights:
                rankings = [
                    _ranking((1.0 - w) * sim + w * kw, t.candidates, bench.metric)
                    for t, (sim, kw) in zip(unit.tasks, parts[key], strict=True)
                ]
                grid.values[(k, w)].append(figure(bench.metric, unit.tasks, rankings))
        if progress:
            progress()
    return grid


def _parts(method: PaperRadar, items: Items, task: Task) -> tuple[Scores, Scores]:
    scorer = method.scorer(Profile(own=task.own), items)
    texts = method.texts(items)
    scored = scorer.score(items.vectors[task.candidates], [texts[i] for i in task.candidates])
    return scored.similarity, scored.keywords


def measure_config(
    bench: Benchmark, units: Sequence[Unit], config: RankingConfig, text: str = TEXTS[0]
) -> list[float]:
    """Each unit's figure with ``config`` (no feedback), the product's Scorer end to end."""
    method = PaperRadar("tuning", config, feedback=False)
    items = bench.items[text]
    out = []
    for unit in units:
        rankings = [
            _ranking(
                method.scores(Profile(own=t.own), Candidates(items, t.candidates)),
                t.candidates,
                bench.metric,
            )
            for t in unit.tasks
        ]
        out.append(figure(bench.metric, unit.tasks, rankings))
    return out


def measure_feedback(
    bench: Benchmark,
    units: Sequence[Unit],
    config: RankingConfig,
    classifier: bool = True,
    like_top: int = LIKE_TOP,
) -> list[float]:
    """Each unit's figure over its feedback tasks with ``config``; ``classifier=False``:
    likes are profile papers only (no classifier, dislikes ignored). Sequential units are
    replayed: the relevant items in a task's top ``like_top`` are liked from the next on."""
    method = PaperRadar("tuning", config, feedback=classifier)
    items = bench.items[TEXTS[0]]
    out = []
    for unit in units:
        carried: list[int] = []
        rankings = []
        for t in unit.feedback:
            liked = tuple(carried) if unit.sequential else t.liked
            profile = Profile(own=t.own, liked=liked, disliked=t.disliked, seed=unit.seed)
            ids = t.candidates
            if liked:
                ids = ids[~np.isin(ids, np.asarray(liked, dtype=np.int64))]
            scores = method.scores(profile, Candidates(items, ids))
            ranking = top_k(scores, ids, max(like_top, bench.depth()))
            rankings.append(ranking)
            if unit.sequential:
                carried.extend(i for i in ranking[:like_top] if i in t.relevant)
        out.append(figure(bench.metric, unit.feedback, rankings))
    return out


# --------------------------------------------------------------------------- choosing


@dataclass(slots=True)
class Paired:
    """Mean figures of two values on the same units, and the 95% interval of the paired
    difference (``after - before``)."""

    before: float
    after: float
    diff: float
    ci95: float
    n: int

    @classmethod
    def of(cls, before: Sequence[float], after: Sequence[float]) -> Paired:
        diffs = [b - a for a, b in zip(before, after, strict=True)]
        mean, half = mean_ci95(diffs) if diffs else (0.0, math.nan)
        return cls(
            float(np.mean(before)) if before else 0.0,
            float(np.mean(after)) if after else 0.0,
            mean,
            0.0 if math.isnan(half) else half,
            len(diffs),
        )

    @property
    def better(self) -> bool:
        return self.diff - self.ci95 > 0


@dataclass(slots=True)
class Choice:
    """One knob's decision: the TUNE figures of every value on every benchmark, the mean
    relative change of each value, the candidate, whether it was adopted and why."""

    knob: str
    current: Any
    chosen: Any
    candidate: Any
    adopted: bool
    reason: str
    #: value -> benchmark -> TUNE mean figure
    tune: dict[Any, dict[str, float]]
    #: value -> the smallest relative change over the benchmarks (TUNE): what is maximised
    relative: dict[Any, float]
    #: value -> the mean relative change over the benchmarks (TUNE): the tie-break
    mean_relative: dict[Any, float]
    #: benchmark -> the candidate against the current value, TUNE (paired)
    tune_paired: dict[str, Paired]
    #: benchmark -> the chosen value against the current one, REPORT (paired)
    report: dict[str, Paired] = field(default_factory=dict)


def choose(
    knob: str,
    current: Any,
    per_value: dict[Any, dict[str, list[float]]],
) -> Choice:
    """The rule of the module doc; ``per_value``: value -> benchmark -> TUNE unit figures
    (every value measured on the same units of the same benchmarks as ``current``)."""
    if current not in per_value:
        raise UsageError(f"{knob}: the current value {current!r} was not measured")
    base = per_value[current]
    if len(base) < 2:
        raise UsageError(f"{knob}: tuning needs at least two benchmarks (got {len(base)})")
    tune = {v: {b: float(np.mean(f)) for b, f in by.items()} for v, by in per_value.items()}
    relative, mean_relative = {}, {}
    for value, by in tune.items():
        changes = [(by[b] - tune[current][b]) / tune[current][b] for b in base if tune[current][b]]
        relative[value] = float(min(changes)) if changes else 0.0
        mean_relative[value] = float(np.mean(changes)) if changes else 0.0
    candidate = max(per_value, key=lambda v: (relative[v], mean_relative[v], v == current))
    paired = {b: Paired.of(base[b], per_value[candidate][b]) for b in base}
    if candidate == current or relative[candidate] <= 0:
        adopted, reason = False, "the current value is best on TUNE"
    elif not any(p.better for p in paired.values()):
        adopted, reason = False, f"{candidate}'s gain is within the noise on every benchmark"
    else:
        better = ", ".join(b for b, p in paired.items() if p.better)
        adopted, reason = True, f"better on TUNE of every benchmark, significantly on {better}"
    return Choice(
        knob,
        current,
        candidate if adopted else current,
        candidate,
        adopted,
        reason,
        tune,
        relative,
        mean_relative,
        paired,
    )
