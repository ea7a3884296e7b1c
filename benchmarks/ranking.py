"""Why the ranking's defaults are what they are: k_nearest, keyword_weight, feedback_half.

Data: CiteULike-a (../shared/data/citeulike-a): 5,551 researchers' paper libraries over 16,980
papers. The dataset as stored here has titles only (its README: "Abstracts are NOT included"),
so every paper's text is ``paper_text(title, "")`` = its title, for the embeddings and for the
keywords alike. Every title is embedded once with the real model (``MiniLMEmbedder()``) and the
vectors are cached as .npy under --work, so re-runs skip that step.

Protocol (seeds fixed, so every run draws the same users and splits):

- users: --users (500) drawn at random (seed --seed) from the users with >= --min-items (20)
  library items; the draw is split in two halves, TUNE and REPORT. Every default is chosen on
  TUNE only; both halves are printed and REPORT is the figure to quote. No default is chosen
  and reported on the same users.
- each library is shuffled (seed) and cut in two: the first half (floor(n/2) papers) is the
  profile, the user's "own papers"; the second half are the targets. Candidates are all other
  papers (the profile's papers are excluded from the ranking); metrics recall@50 and recall@100
  (hits in the top M / number of targets, as in the CiteULike papers) and NDCG@50 (binary
  gains), averaged over users. Choices use TUNE recall@50 (a digest shows its top few dozen).
- a default changes only if the TUNE winner beats the current value on TUNE by more than the
  95% interval of the paired difference; otherwise the current value is kept.
- "±" is the half-width of a 95% interval (1.96 standard errors) of the per-user paired
  difference from the current default on the same users.

1. Aggregation of the candidate-to-profile cosine matrix: max (k=1), mean of the top k for
   k = 2, 3, 5, 10, the plain mean over all profile papers (k >= profile size) and the cosine
   to the profile's centroid (normalised mean vector; the same ranking as the plain mean, since
   the mean of dot products with the profile's vectors is the dot product with their mean, and
   normalising that mean scales every candidate alike). The k variants are the Scorer's own
   aggregation (``RankingConfig(k_nearest=k)``): computed here on the whole cosine matrix at
   once, and checked against ``Scorer.score(...).similarity`` on the first TUNE users (exit 1
   if they differ). The centroid is computed directly. Popularity (libraries holding the paper,
   counted over the users not drawn) is a reference that uses other users' libraries.
2. keyword_weight in {0, 0.1, 0.2, 0.3, 0.5} with the chosen k: the Scorer itself (TermProfile
   over the candidates' texts) on a shortlist, the top --shortlist (1,000) candidates by the
   embedding similarity; the rest keep their embedding order after them. The shortlist keeps
   this step fast (tokenising and TF-IDF scoring all ~16,970 candidates for every user costs
   ~1 s a call) and it changes only the order inside the top 1,000, so recall@50 and @100 are
   those of a re-ranking of that shortlist; it also means the TF-IDF background (idf) is the
   shortlist's, a topical set of 1,000 papers, where the product uses the day's candidates.
   The first --check-users TUNE users are also scored on all candidates (idf over all of
   them) to show whether the shortlist changes the conclusion. One Scorer call per user gives
   similarity and keywords; each weight's score is (1 - w) * similarity + w * keywords, which
   is checked against a Scorer built with that weight on the first users (exit 1 otherwise).
3. Feedback, with the chosen k and keyword weight, on the drawn users whose first half has >=
   3 + 10 papers (the first --feedback-users / 2 of them in TUNE and in REPORT): the user starts
   with 3 of the first half as own papers, then likes L = 1, 3, 10 further papers of the first
   half (anchors, and positives of the classifier) and dislikes L random papers that are not
   in their library, so the Scorer sees n_feedback = 2L. The classifier's negatives are the
   dislikes plus 500 random papers (as scorer_for does: ``RankingConfig.background``).
   Targets stay the second half; the whole first half and the 10 possible dislikes are kept
   out of the candidates at every L, so rows are comparable. Variants: no feedback (the 3 own
   papers only), likes as anchors without the classifier, and the classifier blend for
   feedback_half in {2.5, 5, 10, 20, 40} (5, 10, 20 asked; 2.5 and 40 show the trend past
   the ends). The Scorer is run once per user and L with feedback_half = 10; the others are
   that feedback part rescaled by n / (n + half) (checked against Scorer calls).

The default run takes ~13 minutes on 2 shared cores once the vectors are cached (feedback is
three quarters of it: every Scorer call tokenises and TF-IDF-scores all ~16,950 candidates);
embedding the 16,980 titles took ~2.5 minutes.

    python benchmarks/ranking.py [--data PATH] [--work DIR] [--users 500] [--feedback-users 200]

Results: benchmarks/results/ranking.json (with the machine description).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from _machine import describe_machine

from paperradar.embedding import MiniLMEmbedder, paper_text
from paperradar.ranking import Anchor, RankingConfig, Scorer, Text

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "citeulike-a"
DEFAULT_WORK = Path("/tmp/paperradar-bench/citeulike")
RESULTS = ROOT / "benchmarks" / "results" / "ranking.json"

CURRENT = RankingConfig()  # the defaults being measured
KS = (1, 2, 3, 5, 10)
MEAN_K = 10**9  # k >= profile size: the plain mean
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5)
HALVES = (2.5, 5.0, 10.0, 20.0, 40.0)
LIKES = (1, 3, 10)
START_OWN = 3
METRICS = ("r@50", "r@100", "ndcg@50")
DEPTH = 100  # the deepest cut any metric looks at
CHECK_SCORER_USERS = 5

Matrix = npt.NDArray[np.float32]
Floats = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- data


@dataclass(slots=True)
class Corpus:
    titles: list[str]
    libraries: list[list[int]]
    vectors: Matrix
    embed_seconds: float
    vectors_path: str


@dataclass(slots=True)
class User:
    uid: int
    split: str  # "TUNE" or "REPORT"
    profile: list[int]  # first half of the shuffled library: the "own papers"
    targets: set[int]  # second half


def load_corpus(data: Path, work: Path, precision: str) -> Corpus:
    titles = (data / "titles.txt").read_text(encoding="utf-8").splitlines()
    libraries = []
    for line in (data / "users.dat").read_text(encoding="utf-8").splitlines():
        count, *items = (int(x) for x in line.split())
        if count != len(items):
            raise SystemExit(f"error: users.dat: a line says {count} items and has {len(items)}")
        libraries.append(items)
    texts = [paper_text(t, "") for t in titles]
    vectors, seconds, path = embed_cached(texts, work, precision)
    return Corpus(titles, libraries, vectors, seconds, str(path))


def embed_cached(texts: list[str], work: Path, precision: str) -> tuple[Matrix, float, Path]:
    """Vectors of ``texts`` (MiniLM), read from ``work`` when a previous run stored them."""
    embedder = MiniLMEmbedder(precision=precision)
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = work / f"vectors-{embedder.model_id}-{digest}.npy"
    if path.exists():
        return np.load(path), 0.0, path
    work.mkdir(parents=True, exist_ok=True)
    print(f"embedding {len(texts):,} titles with MiniLM (cached afterwards in {work}) ...")
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - start
    tmp = path.with_name(path.stem + ".part.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    return vectors, seconds, path


def draw_users(libraries: list[list[int]], n: int, min_items: int, seed: int) -> list[User]:
    eligible = [u for u, lib in enumerate(libraries) if len(lib) >= min_items]
    rng = np.random.default_rng(seed)
    drawn = [int(u) for u in rng.choice(eligible, size=min(n, len(eligible)), replace=False)]
    users = []
    for pos, uid in enumerate(drawn):
        lib = libraries[uid]
        order = np.random.default_rng([seed, 1, uid]).permutation(len(lib))
        shuffled = [lib[i] for i in order]
        half = len(lib) // 2
        split = "TUNE" if pos < len(drawn) // 2 else "REPORT"
        users.append(User(uid, split, shuffled[:half], set(shuffled[half:])))
    return users


# --------------------------------------------------------------------------- metrics


def recall_at(ranked: Sequence[int], targets: set[int], m: int) -> float:
    return sum(1 for i in ranked[:m] if i in targets) / len(targets)


def ndcg_at(ranked: Sequence[int], targets: set[int], m: int) -> float:
    dcg = sum(1.0 / math.log2(r + 2) for r, i in enumerate(ranked[:m]) if i in targets)
    ideal = sum(1.0 / math.log2(r + 2) for r in range(min(m, len(targets))))
    return dcg / ideal


def measure(ranked: Sequence[int], targets: set[int]) -> tuple[float, float, float]:
    return (
        recall_at(ranked, targets, 50),
        recall_at(ranked, targets, 100),
        ndcg_at(ranked, targets, 50),
    )


def top_ids(
    scores: npt.NDArray[np.floating], ids: npt.NDArray[np.int64], m: int = DEPTH
) -> list[int]:
    """The ids of the ``m`` best scores, best first (ties: lower position first)."""
    m = min(m, len(scores))
    part = np.argpartition(-scores, m - 1)[:m]
    order = part[np.lexsort((part, -scores[part]))]
    return [int(i) for i in ids[order]]


class Table:
    """Per-user metric rows for each variant, in user order."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[float, float, float]]] = {}

    def add(self, variant: str, values: tuple[float, float, float]) -> None:
        self.rows.setdefault(variant, []).append(values)

    def array(self, variant: str) -> Floats:
        return np.asarray(self.rows[variant], dtype=np.float64)


def summarise(table: Table, splits: Sequence[str], baseline: str) -> dict[str, Any]:
    """Means per split and variant, and the paired difference in recall@50 from ``baseline``."""
    split_arr = np.asarray(splits)
    out: dict[str, Any] = {}
    for variant in table.rows:
        values = table.array(variant)
        base = table.array(baseline)
        out[variant] = {}
        for name in ("TUNE", "REPORT"):
            mask = split_arr == name
            if not mask.any():
                continue
            means = values[mask].mean(axis=0)
            diff = values[mask, 0] - base[mask, 0]
            half = 1.96 * diff.std(ddof=1) / math.sqrt(len(diff)) if len(diff) > 1 else 0.0
            out[variant][name] = {
                **{m: round(float(v), 4) for m, v in zip(METRICS, means, strict=True)},
                "users": int(mask.sum()),
                "d_r@50": round(float(diff.mean()), 4),
                "d_r@50_ci95": round(half, 4),
            }
    return out


def best_on_tune(summary: dict[str, Any], variants: Sequence[str]) -> str:
    return max(variants, key=lambda v: summary[v]["TUNE"]["r@50"])


def recommend(summary: dict[str, Any], variants: Sequence[str], current: str) -> str:
    """The TUNE winner if it beats the current default beyond its 95% interval on TUNE."""
    best = best_on_tune(summary, variants)
    tune = summary[best]["TUNE"]
    return best if tune["d_r@50"] > tune["d_r@50_ci95"] else current


# --------------------------------------------------------------------------- scoring helpers


def make_texts(titles: list[str]) -> list[Text]:
    return [Text(t, "") for t in titles]


def scorer_for_items(
    corpus: Corpus,
    texts: list[Text],
    items: Sequence[int],
    config: RankingConfig,
    *,
    liked: Sequence[int] = (),
    negatives: Matrix | None = None,
    n_feedback: int = 0,
) -> Scorer:
    """A Scorer whose anchors are ``items`` (own) and ``liked``, as scorer_for builds it."""
    anchor_ids = list(items) + list(liked)
    liked_set = set(liked)
    anchors = [
        Anchor(i, f"citeulike:{i}", corpus.titles[i], "liked" if i in liked_set else "own")
        for i in anchor_ids
    ]
    vectors = corpus.vectors[anchor_ids]
    return Scorer(
        anchors,
        vectors,
        [texts[i].body for i in anchor_ids],
        config,
        positives=vectors if n_feedback else None,
        negatives=negatives,
        n_feedback=n_feedback,
    )


def candidates_of(n_papers: int, excluded: Sequence[int] | set[int]) -> npt.NDArray[np.int64]:
    mask = np.ones(n_papers, dtype=bool)
    mask[list(excluded)] = False
    return np.flatnonzero(mask).astype(np.int64)


# --------------------------------------------------------------------------- 1. aggregation


AGGREGATIONS = (*(f"top-{k} mean" if k > 1 else "max (k=1)" for k in KS), "mean (all)", "centroid")


def k_of(variant: str) -> int | None:
    if variant == "max (k=1)":
        return 1
    if variant == "mean (all)":
        return MEAN_K
    if variant.startswith("top-"):
        return int(variant.split()[0][4:])
    return None


def aggregations(vectors: Matrix, profile: Matrix) -> dict[str, Floats]:
    """Each aggregation of the (candidates x profile) cosine matrix."""
    sims = vectors @ profile.T
    ordered = -np.sort(-sims, axis=1)
    running = np.cumsum(ordered, axis=1, dtype=np.float64)
    out: dict[str, Floats] = {}
    for variant in AGGREGATIONS:
        k = k_of(variant)
        if k is not None:
            k = min(k, sims.shape[1])
            out[variant] = running[:, k - 1] / k
    centroid = profile.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    out["centroid"] = (vectors @ centroid).astype(np.float64)
    return out


def run_aggregation(
    corpus: Corpus, texts: list[Text], users: list[User], popularity: Floats
) -> tuple[Table, list[str]]:
    table = Table()
    problems: list[str] = []
    blank = [Text("", "")]
    n = len(corpus.titles)
    for index, user in enumerate(users):
        cand = candidates_of(n, user.profile)
        vectors = corpus.vectors[cand]
        scores = aggregations(vectors, corpus.vectors[user.profile])
        for variant, values in scores.items():
            table.add(variant, measure(top_ids(values, cand), user.targets))
        table.add("popularity (reference)", measure(top_ids(popularity[cand], cand), user.targets))
        if index < CHECK_SCORER_USERS:  # the fast path is the Scorer's aggregation
            for variant in AGGREGATIONS:
                k = k_of(variant)
                if k is None:
                    continue
                cfg = RankingConfig(k_nearest=k, keyword_weight=0.0)
                scorer = scorer_for_items(corpus, texts, user.profile, cfg)
                got = scorer.score(vectors, blank * len(cand)).similarity
                if not np.allclose(got, scores[variant], atol=1e-5):
                    problems.append(f"user {user.uid}: {variant} differs from the Scorer's")
    return table, problems


def by_profile_size(table: Table, users: list[User], split: str) -> dict[str, dict[str, float]]:
    """Recall@50 per aggregation for profile-size bands of one split."""
    sizes = np.array([len(u.profile) for u in users])
    in_split = np.array([u.split == split for u in users])
    bands = {"10-12": (10, 12), "13-19": (13, 19), ">=20": (20, 10**9)}
    out: dict[str, dict[str, float]] = {}
    for band, (lo, hi) in bands.items():
        mask = in_split & (sizes >= lo) & (sizes <= hi)
        out[band] = {"users": int(mask.sum())}
        if mask.any():
            for variant in table.rows:
                out[band][variant] = round(float(table.array(variant)[mask, 0].mean()), 4)
    return out


# --------------------------------------------------------------------------- 2. keywords


def weight_name(w: float) -> str:
    return f"keyword_weight={w:g}"


def run_keywords(
    corpus: Corpus,
    texts: list[Text],
    users: list[User],
    k: int,
    shortlist: int,
    check_users: int,
) -> tuple[Table, Table, list[int], list[str]]:
    """Shortlisted keyword re-ranking for every user; all candidates for the first TUNE users."""
    table, full = Table(), Table()
    problems: list[str] = []
    n = len(corpus.titles)
    base_cfg = RankingConfig(k_nearest=k, keyword_weight=CURRENT.keyword_weight)
    checked_at: list[int] = []
    for index, user in enumerate(users):
        cand = candidates_of(n, user.profile)
        vectors = corpus.vectors[cand]
        similarity = aggregations(vectors, corpus.vectors[user.profile])
        key = "max (k=1)" if k == 1 else ("mean (all)" if k >= MEAN_K else f"top-{k} mean")
        sim = similarity[key]
        m = min(shortlist, len(cand))
        short = np.argpartition(-sim, m - 1)[:m]
        short = short[np.lexsort((short, -sim[short]))]
        short_ids = cand[short]
        scorer = scorer_for_items(corpus, texts, user.profile, base_cfg)
        scored = scorer.score(vectors[short], [texts[i] for i in short_ids])
        for w in WEIGHTS:
            combined = (1.0 - w) * scored.similarity + w * scored.keywords
            table.add(weight_name(w), measure(top_ids(combined, short_ids), user.targets))
            if index < CHECK_SCORER_USERS:
                cfg = RankingConfig(k_nearest=k, keyword_weight=w)
                direct = scorer_for_items(corpus, texts, user.profile, cfg)
                got = direct.score(vectors[short], [texts[i] for i in short_ids]).score
                if not np.allclose(got, combined, atol=1e-9):
                    problems.append(f"user {user.uid}: keyword_weight={w} differs from the Scorer")
        if user.split == "TUNE" and len(checked_at) < check_users:
            whole = scorer.score(vectors, [texts[i] for i in cand])
            for w in WEIGHTS:
                combined = (1.0 - w) * whole.similarity + w * whole.keywords
                full.add(weight_name(w), measure(top_ids(combined, cand), user.targets))
            checked_at.append(index)
    return table, full, checked_at, problems


# --------------------------------------------------------------------------- 3. feedback


def half_name(h: float) -> str:
    return f"classifier, feedback_half={h:g}"


def feedback_users(users: list[User], limit: int) -> list[User]:
    need = START_OWN + max(LIKES)
    picked: list[User] = []
    for split in ("TUNE", "REPORT"):
        fit = [u for u in users if u.split == split and len(u.profile) >= need]
        picked.extend(fit[: limit // 2])
    return picked


def run_feedback(
    corpus: Corpus,
    texts: list[Text],
    users: list[User],
    k: int,
    keyword_weight: float,
    seed: int,
    progress: Callable[[int], None],
) -> tuple[dict[int, Table], list[str]]:
    tables = {likes: Table() for likes in (0, *LIKES)}
    problems: list[str] = []
    n = len(corpus.titles)
    cfg = RankingConfig(k_nearest=k, keyword_weight=keyword_weight, feedback_half=10.0)
    for index, user in enumerate(users):
        rng = np.random.default_rng([seed, 2, user.uid])
        library = set(corpus.libraries[user.uid])
        outside = np.flatnonzero(~np.isin(np.arange(n), list(library)))
        dislike_pool = [int(i) for i in rng.choice(outside, size=max(LIKES), replace=False)]
        own = user.profile[:START_OWN]
        pool = user.profile[START_OWN:]
        exclude = set(own) | set(pool[: max(LIKES)]) | set(dislike_pool)
        # scorer_for: random stored papers minus the anchors and the dislikes
        allowed = np.flatnonzero(~np.isin(np.arange(n), list(exclude)))
        background = corpus.vectors[rng.choice(allowed, size=CURRENT.background, replace=False)]
        cand = candidates_of(n, set(user.profile) | set(dislike_pool))
        vectors = corpus.vectors[cand]
        cand_texts = [texts[i] for i in cand]
        start = scorer_for_items(corpus, texts, own, cfg).score(vectors, cand_texts)
        tables[0].add(
            "no feedback (3 own papers)", measure(top_ids(start.score, cand), user.targets)
        )
        for likes in LIKES:
            liked, disliked = pool[:likes], dislike_pool[:likes]
            negatives = np.vstack([corpus.vectors[disliked], background])
            n_feedback = 2 * likes
            scorer = scorer_for_items(
                corpus, texts, own, cfg, liked=liked, negatives=negatives, n_feedback=n_feedback
            )
            scored = scorer.score(vectors, cand_texts)
            base = scored.score - scored.feedback - scored.follow
            if index < 2:
                plain = scorer_for_items(corpus, texts, own, cfg, liked=liked)
                if not np.allclose(plain.score(vectors, cand_texts).score, base, atol=1e-6):
                    problems.append(f"user {user.uid}: the base score differs from the Scorer's")
            table = tables[likes]
            table.add("likes as anchors, no classifier", measure(top_ids(base, cand), user.targets))
            unit = scored.feedback / (n_feedback / (n_feedback + cfg.feedback_half))
            for h in HALVES:
                blended = base + unit * (n_feedback / (n_feedback + h))
                table.add(half_name(h), measure(top_ids(blended, cand), user.targets))
                if index < 2 and h != cfg.feedback_half:
                    other = RankingConfig(
                        k_nearest=k, keyword_weight=keyword_weight, feedback_half=h
                    )
                    direct = scorer_for_items(
                        corpus,
                        texts,
                        own,
                        other,
                        liked=liked,
                        negatives=negatives,
                        n_feedback=n_feedback,
                    ).score(vectors, cand_texts)
                    if not np.allclose(direct.score, blended, atol=1e-6):
                        problems.append(f"user {user.uid}: feedback_half={h} differs")
        progress(index + 1)
    return tables, problems


def mean_over_likes(tables: dict[int, Table]) -> Table:
    """Per user, the mean over L of each variant's metrics."""
    out = Table()
    for variant in tables[LIKES[0]].rows:
        stacked = np.mean([tables[likes].array(variant) for likes in LIKES], axis=0)
        out.rows[variant] = [tuple(float(x) for x in row) for row in stacked]  # type: ignore[misc]
    return out


# --------------------------------------------------------------------------- output


def print_table(
    title: str,
    summary: dict[str, Any],
    variants: Sequence[str],
    baseline: str,
    marks: dict[str, str],
) -> None:
    tune_n = next(iter(summary.values()))["TUNE"]["users"]
    report_n = next(iter(summary.values()))["REPORT"]["users"]
    print(f"\n{title}")
    head = (
        f"{'TUNE (' + str(tune_n) + ' users)':^24}   {'REPORT (' + str(report_n) + ' users)':^24}"
    )
    print(f"{'':34} {head}   {'REPORT r@50 - ' + baseline}")
    cols = "  ".join(f"{m:>6}" for m in ("r@50", "r@100", "nDCG50"))
    print(f"{'variant':34} {cols}   {cols}")
    for variant in variants:
        row = summary[variant]
        cells = []
        for split in ("TUNE", "REPORT"):
            cells.append("  ".join(f"{row[split][m]:6.4f}" for m in METRICS))
        report = row["REPORT"]
        delta = f"{report['d_r@50']:+.4f} ± {report['d_r@50_ci95']:.4f}"
        name = variant + marks.get(variant, "")
        print(f"{name:34} {cells[0]}   {cells[1]}   {delta}")


def time_left(started: float, done: int, total: int) -> str:
    if not done:
        return ""
    rate = (time.perf_counter() - started) / done
    return f"{done}/{total}, ~{rate * (total - done):.0f} s left"


def run(corpus: Corpus, args: argparse.Namespace) -> dict[str, Any]:
    wall = time.perf_counter()
    timings: dict[str, float] = {}
    texts = make_texts(corpus.titles)
    users = draw_users(corpus.libraries, args.users, args.min_items, args.seed)
    splits = [u.split for u in users]
    drawn = {u.uid for u in users}
    popularity = np.zeros(len(corpus.titles), dtype=np.float64)
    for uid, library in enumerate(corpus.libraries):
        if uid not in drawn:
            popularity[library] += 1.0
    sizes = [len(u.profile) for u in users]
    print(
        f"{len(users)} users (>= {args.min_items} items, seed {args.seed}): "
        f"{splits.count('TUNE')} TUNE, {splits.count('REPORT')} REPORT; profile size "
        f"min/median/max {min(sizes)}/{int(np.median(sizes))}/{max(sizes)}; "
        f"{len(corpus.titles):,} papers"
    )
    problems: list[str] = []

    # 1. aggregation
    started = time.perf_counter()
    agg_table, found = run_aggregation(corpus, texts, users, popularity)
    problems += found
    timings["aggregation_s"] = time.perf_counter() - started
    current_agg = f"top-{CURRENT.k_nearest} mean"
    agg = summarise(agg_table, splits, current_agg)
    k_variants = [v for v in AGGREGATIONS if k_of(v) is not None]
    best_agg = best_on_tune(agg, AGGREGATIONS)
    chosen_agg = recommend(agg, k_variants, current_agg)
    chosen_k = k_of(chosen_agg) or CURRENT.k_nearest
    marks = {current_agg: " (now)", best_on_tune(agg, k_variants): " *"}
    print_table(
        "1. Aggregation of the candidate-to-profile cosines (* = best on TUNE)",
        agg,
        [*AGGREGATIONS, "popularity (reference)"],
        f"k={CURRENT.k_nearest}",
        marks,
    )
    bands = by_profile_size(agg_table, users, "REPORT")
    print("\n   REPORT recall@50 by profile size:")
    print(
        f"   {'variant':22}"
        + "".join(f"{b + ' (' + str(v['users']) + ')':>14}" for b, v in bands.items())
    )
    for variant in AGGREGATIONS:
        cells = "".join(f"{bands[b].get(variant, float('nan')):14.4f}" for b in bands)
        print(f"   {variant:22}{cells}")

    # 2. keywords
    started = time.perf_counter()
    kw_table, kw_full, checked_at, found = run_keywords(
        corpus, texts, users, chosen_k, args.shortlist, args.check_users
    )
    problems += found
    timings["keywords_s"] = time.perf_counter() - started
    current_w = weight_name(CURRENT.keyword_weight)
    kw = summarise(kw_table, splits, current_w)
    weights = [weight_name(w) for w in WEIGHTS]
    chosen_w_name = recommend(kw, weights, current_w)
    chosen_w = WEIGHTS[weights.index(chosen_w_name)]
    print_table(
        f"2. Keyword weight, k_nearest={chosen_k}, re-ranking the top {args.shortlist:,} by "
        "similarity (* = best on TUNE)",
        kw,
        weights,
        f"w={CURRENT.keyword_weight:g}",
        {current_w: " (now)", best_on_tune(kw, weights): " *"},
    )
    check: dict[str, Any] = {"users": len(checked_at)}
    if checked_at:
        print(f"\n   shortlist vs all candidates, the first {len(checked_at)} TUNE users (r@50):")
        for name in weights:
            short = kw_table.array(name)[checked_at, 0].mean()
            whole = kw_full.array(name)[:, 0].mean()
            check[name] = {
                "shortlist_r@50": round(float(short), 4),
                "all_r@50": round(float(whole), 4),
            }
            print(f"   {name:24} shortlist {short:.4f}   all candidates {whole:.4f}")

    # 3. feedback
    started = time.perf_counter()
    fb_users = feedback_users(users, args.feedback_users)
    fb_splits = [u.split for u in fb_users]
    print(
        f"\n3. Feedback on {len(fb_users)} users with >= {START_OWN + max(LIKES)} profile papers "
        f"({fb_splits.count('TUNE')} TUNE, {fb_splits.count('REPORT')} REPORT); "
        f"k_nearest={chosen_k}, keyword_weight={chosen_w:g}"
    )

    def progress(done: int) -> None:
        if sys.stdout.isatty():
            print(f"   {time_left(started, done, len(fb_users))}   ", end="\r", flush=True)

    fb_tables, found = run_feedback(
        corpus, texts, fb_users, chosen_k, chosen_w, args.seed, progress
    )
    problems += found
    timings["feedback_s"] = time.perf_counter() - started
    no_clf = "likes as anchors, no classifier"
    feedback: dict[str, Any] = {
        "start": summarise(fb_tables[0], fb_splits, "no feedback (3 own papers)")
    }
    start_row = feedback["start"]["no feedback (3 own papers)"]
    print(
        f"   no feedback (3 own papers): r@50 TUNE {start_row['TUNE']['r@50']:.4f}, "
        f"REPORT {start_row['REPORT']['r@50']:.4f}"
    )
    variants = [no_clf, *(half_name(h) for h in HALVES)]
    for likes in LIKES:
        feedback[f"likes={likes}"] = summarise(fb_tables[likes], fb_splits, no_clf)
        print_table(
            f"   {likes} like(s) + {likes} dislike(s) (n_feedback={2 * likes})",
            feedback[f"likes={likes}"],
            variants,
            "no classifier",
            {},
        )
    pooled = mean_over_likes(fb_tables)
    current_h = half_name(CURRENT.feedback_half)
    feedback["mean over L"] = summarise(pooled, fb_splits, current_h)
    halves = [half_name(h) for h in HALVES]
    asked = [half_name(h) for h in (5.0, 10.0, 20.0)]
    chosen_h_name = recommend(feedback["mean over L"], asked, current_h)
    chosen_h = HALVES[halves.index(chosen_h_name)]
    print_table(
        "   mean over L = 1, 3, 10 (* = best on TUNE of 5, 10, 20)",
        feedback["mean over L"],
        variants,
        f"half={CURRENT.feedback_half:g}",
        {current_h: " (now)", best_on_tune(feedback["mean over L"], asked): " *"},
    )

    recommendation = {
        "k_nearest": chosen_k,
        "keyword_weight": chosen_w,
        "feedback_half": chosen_h,
        "current": {
            "k_nearest": CURRENT.k_nearest,
            "keyword_weight": CURRENT.keyword_weight,
            "feedback_half": CURRENT.feedback_half,
        },
        "best_aggregation_on_tune_of_all": best_agg,
        "rule": "the TUNE winner (recall@50) if its paired gain over the current default on "
        "TUNE exceeds its 95% interval, else the current default",
    }
    timings["wall_s"] = time.perf_counter() - wall
    print(
        f"\nrecommended: k_nearest={chosen_k} (now {CURRENT.k_nearest}), "
        f"keyword_weight={chosen_w:g} (now {CURRENT.keyword_weight:g}), "
        f"feedback_half={chosen_h:g} (now {CURRENT.feedback_half:g})"
    )
    if problems:
        print("\nCHECKS FAILED:\n  " + "\n  ".join(problems))
    return {
        "protocol": __doc__,
        "settings": {
            "users": args.users,
            "min_items": args.min_items,
            "seed": args.seed,
            "shortlist": args.shortlist,
            "check_users": args.check_users,
            "feedback_users": args.feedback_users,
            "text": "title only (the dataset has no abstracts)",
        },
        "users": {
            "drawn": len(users),
            "tune": splits.count("TUNE"),
            "report": splits.count("REPORT"),
            "profile_size_min_median_max": [min(sizes), int(np.median(sizes)), max(sizes)],
        },
        "aggregation": agg,
        "aggregation_r@50_by_profile_size_report": bands,
        "keyword_weight": kw,
        "keyword_shortlist_check": check,
        "feedback": feedback,
        "recommendation": recommendation,
        "checks_failed": problems,
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
    }


def main() -> int:
    wall = time.perf_counter()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the CiteULike-a folder")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cache of the vectors")
    parser.add_argument("--precision", default="auto", help="MiniLM precision (auto|fp32|bf16)")
    parser.add_argument("--users", type=int, default=500, help="users drawn (TUNE + REPORT)")
    parser.add_argument("--min-items", type=int, default=20, help="smallest library drawn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shortlist", type=int, default=1000, help="re-ranked by keywords")
    parser.add_argument("--check-users", type=int, default=40, help="keywords on all candidates")
    parser.add_argument("--feedback-users", type=int, default=200, help="TUNE + REPORT")
    args = parser.parse_args()
    if not (args.data / "users.dat").exists():
        print(f"error: {args.data}: not the CiteULike-a folder (pass --data)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    corpus = load_corpus(args.data, args.work, args.precision)
    load_s = time.perf_counter() - started
    print(
        f"vectors: {corpus.vectors_path} "
        + (
            f"(embedded now in {corpus.embed_seconds:.0f} s)"
            if corpus.embed_seconds
            else "(cached)"
        )
    )
    results = run(corpus, args)
    results["machine"] = describe_machine()
    results["embedding"] = {
        "model": "all-MiniLM-L6-v2",
        "papers": len(corpus.titles),
        "cache": corpus.vectors_path,
        "embed_seconds_this_run": round(corpus.embed_seconds, 1),
        "load_s": round(load_s, 1),
    }
    wall_s = time.perf_counter() - wall
    results["timings_s"]["wall_with_load_s"] = round(wall_s, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS.relative_to(ROOT)}")
    print(f"wall time: {wall_s:.0f} s (embedding {corpus.embed_seconds:.0f} s of it)")
    return 1 if results["checks_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
