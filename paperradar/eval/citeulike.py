"""CiteULike-a: researchers' paper libraries, with the splits of the CTR / CDL / CVAE papers.

The dataset (Wang & Blei, KDD 2011; 5,551 users, 16,980 papers) is read from a folder the
user gives, laid out as its distribution (the js05212/citeulike-a files plus the CVAE
authors' splits):

    titles.txt                        line i = the title of item i (0-based)
    splits-cvae/cf-train-P-users.dat  line u = "<n> item item ...": user u's training items
    splits-cvae/cf-test-P-users.dat   line u = "<n> item item ...": user u's test items

with P = 1 for the "sparse" split (one training item per user) and P = 10 for "dense". The
other files (users.dat, the *-items.dat transposes, tags, citations) are not needed.

Protocol (as in the CTR / CDL / CVAE papers): a user's training items are their profile;
the candidates are all items minus those; recall@M = |test items in the top M| / |test
items|, averaged over users, for M = 50, 100, 300. Users are a seeded sample (``users``,
default 500; 0 = all) of those with at least one test item. Texts are titles only (the
dataset as distributed here has no abstracts), embedded with the injected embedder and cached
in a paperradar store when one is given. Collaborative methods read the split's training
matrix, i.e. other users' training items, as the published models did (``collaborative=
"train"``), or other users' whole libraries (``"full"``: a service that knows its other
users' libraries; not comparable with the published figures).

A tuned method (``paperradar+co-occurrence``: its blend weight) is tuned on the first half
of the drawn users (TUNE) and reported on the second (REPORT), beside the rows of its
components on the same REPORT users.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]

from paperradar.embedding import Embedder, paper_text
from paperradar.errors import FormatError, InputError, UsageError
from paperradar.eval import EvalReport, EvalRow
from paperradar.eval.methods import (
    BLEND_WEIGHTS,
    DEFAULT_BLEND_WEIGHT,
    Blend,
    Candidates,
    Items,
    Profile,
    ScoreMethod,
    Scores,
    make_methods,
    top_k,
)
from paperradar.identifiers import content_hash
from paperradar.radar.affinity import embed_texts
from paperradar.store.api import Store

SPLITS = {"sparse": 1, "dense": 10}
CUTOFFS = (50, 100, 300)
METRICS = tuple(f"recall@{m}" for m in CUTOFFS)
TUNE_METRIC = "recall@50"
COLLABORATIVE_MODES = ("train", "full")
#: recall on the sparse split read off the CVAE paper's corrected-evaluation figure
#: (Li & She, "Collaborative Variational Autoencoder for Recommender Systems", KDD 2017),
#: +-0.005, as the dataset's README.txt gives them
PUBLISHED = {
    (source, "sparse", f"recall@{m}"): value
    for source, values in {
        "CVAE (Li & She 2017)": (0.107, 0.163, 0.290),
        "CDL (Li & She 2017, fig.)": (0.102, 0.147, 0.244),
        "CTR (Li & She 2017, fig.)": (0.050, 0.095, 0.223),
        "DeepMusic (Li & She 2017, fig.)": (0.030, 0.062, 0.125),
    }.items()
    for m, value in zip(CUTOFFS, values, strict=True)
}

#: called as progress(users done, users in all) after each user
Progress = Callable[[int, int], None]


@dataclass(slots=True)
class CiteULike:
    """One split of the dataset: titles, and per user their training and test items."""

    titles: list[str]
    train: list[list[int]]
    test: list[list[int]]
    split: str
    root: Path


def split_files(split: str) -> list[str]:
    """The files (relative to the dataset folder) a split needs."""
    if split not in SPLITS:
        raise UsageError(f"unknown CiteULike-a split {split!r}: sparse or dense")
    p = SPLITS[split]
    return [
        "titles.txt",
        f"splits-cvae/cf-train-{p}-users.dat",
        f"splits-cvae/cf-test-{p}-users.dat",
    ]


def load(data: Path, split: str = "sparse") -> CiteULike:
    """Read a split of CiteULike-a from its folder (see the module doc for the layout)."""
    needed = split_files(split)
    if not data.is_dir():
        raise InputError(f"{data}: not a folder (give the CiteULike-a folder, holding {needed[0]})")
    missing = [name for name in needed if not (data / name).is_file()]
    if missing:
        raise InputError(
            f"{data}: not the CiteULike-a folder, or an incomplete one: missing "
            + ", ".join(missing)
        )
    titles = _read_text(data / needed[0]).splitlines()
    if not titles:
        raise FormatError(str(data / needed[0]), None, "no titles")
    train = _read_lists(data / needed[1], len(titles))
    test = _read_lists(data / needed[2], len(titles))
    if len(train) != len(test):
        raise FormatError(
            str(data / needed[2]),
            None,
            f"{len(test)} users, but {needed[1]} has {len(train)}",
        )
    for user, (known, hidden) in enumerate(zip(train, test, strict=True)):
        if set(known) & set(hidden):
            raise FormatError(
                str(data / needed[2]), user + 1, "test items that are also training items"
            )
    return CiteULike(titles, train, test, split, data)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(str(path), None, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _read_lists(path: Path, n_items: int) -> list[list[int]]:
    """Lines ``<n> id id ...`` (ids 0-based item indices), one per user."""
    out: list[list[int]] = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            raise FormatError(str(path), number, "an empty line (expected '<n> item ...')")
        try:
            count, *items = (int(f) for f in fields)
        except ValueError:
            raise FormatError(str(path), number, "not a list of integers") from None
        if count != len(items):
            raise FormatError(str(path), number, f"says {count} items and lists {len(items)}")
        bad = [i for i in items if not 0 <= i < n_items]
        if bad:
            raise FormatError(
                str(path), number, f"item {bad[0]} is not one of the {n_items} titles"
            )
        out.append(items)
    return out


# --------------------------------------------------------------------------- vectors


def title_key(title: str) -> str:
    """The vector cache key of an item: the content hash of a paper with this title and no
    abstract (what the store would key it by)."""
    return content_hash(title.strip(), "")


def embed_titles(
    titles: Sequence[str], embedder: Embedder, store: Store | None = None
) -> tuple[npt.NDArray[np.float32], int]:
    """One normalised vector per title (``paper_text(title, "")``), and how many texts were
    embedded now; with a store, vectors are read from and saved to its cache."""
    texts: dict[str, str] = {}
    for title in titles:
        texts.setdefault(title_key(title), paper_text(title, ""))
    if store is None:
        keys = list(texts)
        matrix = embedder.embed([texts[k] for k in keys])
        embedded = len(keys)
    else:
        matrix, embedded = embed_texts(texts, embedder, store)
        keys = list(texts)
    row = {k: i for i, k in enumerate(keys)}
    vectors = np.ascontiguousarray(matrix[[row[title_key(t)] for t in titles]], np.float32)
    return vectors, embedded


# --------------------------------------------------------------------------- protocol


def draw_users(dataset: CiteULike, users: int, seed: int) -> list[int]:
    """A seeded sample of ``users`` users (0 = all) with a training and a test item, in the
    order drawn: the first half is TUNE, the rest REPORT."""
    if users < 0:
        raise UsageError(f"users must be 0 (all) or more: {users}")
    eligible = [
        u for u, (a, b) in enumerate(zip(dataset.train, dataset.test, strict=True)) if a and b
    ]
    order = np.random.default_rng(seed).permutation(len(eligible))
    drawn = [eligible[int(i)] for i in order]
    return drawn[:users] if users else drawn


def libraries_matrix(dataset: CiteULike, mode: str) -> sp.csr_matrix:
    """Users x items: the split's training items (``train``) or whole libraries (``full``)."""
    if mode not in COLLABORATIVE_MODES:
        raise UsageError(f"collaborative must be one of {', '.join(COLLABORATIVE_MODES)}: {mode!r}")
    rows: list[int] = []
    cols: list[int] = []
    for user, known in enumerate(dataset.train):
        held = known + dataset.test[user] if mode == "full" else known
        rows.extend([user] * len(held))
        cols.extend(held)
    shape = (len(dataset.train), len(dataset.titles))
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)


def recalls(ranked: Sequence[int], targets: set[int]) -> tuple[float, ...]:
    """recall@M for each cutoff: test items in the top M over the number of test items."""
    return tuple(sum(1 for i in ranked[:m] if i in targets) / len(targets) for m in CUTOFFS)


def summarise(method: str, split: str, values: npt.NDArray[np.float64]) -> EvalRow:
    """A row from per-user metric values (users x metrics)."""
    n = len(values)
    means = values.mean(axis=0) if n else np.zeros(len(METRICS))
    halves = 1.96 * values.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.zeros(len(METRICS))
    return EvalRow(
        method,
        split,
        {m: round(float(v), 4) for m, v in zip(METRICS, means, strict=True)},
        n,
        {m: round(float(v), 4) for m, v in zip(METRICS, halves, strict=True)},
    )


@dataclass(slots=True)
class _Tuning:
    """A blend and its per-user recalls at every weight of the grid."""

    blend: Blend
    per_weight: dict[float, list[tuple[float, ...]]]


def run(
    data: Path,
    *,
    embedder: Embedder,
    methods: Sequence[str] | None = None,
    split: str = "sparse",
    users: int = 500,
    seed: int = 0,
    store: Store | None = None,
    collaborative: str = "train",
    progress: Progress | None = None,
) -> EvalReport:
    """Evaluate ``methods`` (default: all) on a split of CiteULike-a (module doc)."""
    chosen = make_methods(methods)
    if collaborative not in COLLABORATIVE_MODES:
        raise UsageError(
            f"collaborative must be one of {', '.join(COLLABORATIVE_MODES)}: {collaborative!r}"
        )
    dataset = load(data, split)
    drawn = draw_users(dataset, users, seed)
    if not drawn:
        raise InputError(f"{data}: no user has both a training and a test item in {split}")
    texts = [paper_text(t, "") for t in dataset.titles]
    vectors, embedded = embed_titles(dataset.titles, embedder, store)
    items = Items(texts, vectors, libraries=libraries_matrix(dataset, collaborative))
    tune_n = len(drawn) // 2
    plain = [m for m in chosen if not isinstance(m, Blend)]
    blends = [m for m in chosen if isinstance(m, Blend)]
    # a blend's components are scored once per user, shared with the rows of the same name
    components: dict[str, ScoreMethod] = {m.name: m for m in plain}
    for blend in blends:
        for part in (blend.first, blend.second):
            components.setdefault(part.name, part)
    per_user: dict[str, list[tuple[float, ...]]] = {name: [] for name in components}
    tunings = [_Tuning(b, {w: [] for w in BLEND_WEIGHTS}) for b in blends]
    seconds: dict[str, float] = dict.fromkeys(components, 0.0)
    for done, user in enumerate(drawn, start=1):
        profile = Profile(dataset.train[user], user=user, seed=seed)
        candidates = Candidates.all_but(items, dataset.train[user])
        targets = set(dataset.test[user])
        scores: dict[str, Scores] = {}
        for name, method in components.items():
            started = time.perf_counter()
            scores[name] = method.scores(profile, candidates)
            seconds[name] += time.perf_counter() - started
            per_user[name].append(
                recalls(top_k(scores[name], candidates.ids, CUTOFFS[-1]), targets)
            )
        for tuning in tunings:
            first, second = scores[tuning.blend.first.name], scores[tuning.blend.second.name]
            for weight, rows in tuning.per_weight.items():
                blended = Blend.combine(first, second, weight)
                rows.append(recalls(top_k(blended, candidates.ids, CUTOFFS[-1]), targets))
        if progress:
            progress(done, len(drawn))

    report = EvalReport(
        dataset="citeulike-a",
        protocol=(
            f"CiteULike-a {split} split (CVAE splits, {SPLITS[split]} training item(s) per "
            f"user): {len(drawn)} users drawn (seed {seed}) from those with a test item; "
            "candidates = all items minus the user's training items; recall@M = test items "
            "in the top M / test items, averaged over users; titles only"
        ),
        published={k: v for k, v in PUBLISHED.items() if k[1] == split},
    )
    for method in plain:
        report.rows.append(summarise(method.name, split, np.asarray(per_user[method.name])))
    report.notes.extend(_dataset_notes(dataset, collaborative))
    names = {m.name for m in plain}
    if {"paperradar", "paperradar-no-feedback"} <= names:
        report.notes.append(
            "paperradar-no-feedback is paperradar here: these profiles have no likes or dislikes"
        )
    if store is not None:
        report.notes.append(
            f"vectors: {embedded} titles embedded in this run, the rest read from the store"
        )
    for tuning in tunings:
        report.rows.extend(_tuned_rows(tuning, per_user, split, tune_n, report.notes))
    per = ", ".join(f"{name} {1000 * s / len(drawn):.0f} ms" for name, s in seconds.items())
    report.notes.append(f"time per user: {per}")
    return report


def _tuned_rows(
    tuning: _Tuning,
    per_user: dict[str, list[tuple[float, ...]]],
    split: str,
    tune_n: int,
    notes: list[str],
) -> list[EvalRow]:
    """The blend on REPORT at the weight best on TUNE, and its components on REPORT."""
    blend = tuning.blend
    metric = METRICS.index(TUNE_METRIC)
    arrays = {w: np.asarray(rows) for w, rows in tuning.per_weight.items()}
    if tune_n:
        tune = {w: float(a[:tune_n, metric].mean()) for w, a in arrays.items()}
        weight = max(BLEND_WEIGHTS, key=lambda w: (tune[w], -w))
        grid = ", ".join(f"{w:g}: {tune[w]:.4f}" for w in BLEND_WEIGHTS)
        notes.append(
            f"{blend.name}: weight w chosen on TUNE = the first {tune_n} drawn users, "
            f"reported on REPORT = the other {len(arrays[weight]) - tune_n}; TUNE {TUNE_METRIC} "
            f"by w: {grid}; chosen w = {weight:g}"
        )
    else:
        weight = DEFAULT_BLEND_WEIGHT
        notes.append(f"{blend.name}: too few users to tune; w = {weight:g} (the default)")
    label = f"{split}/REPORT"
    report_rows = arrays[weight][tune_n:]
    rows = [summarise(blend.name, label, report_rows)]
    for part in (blend.first, blend.second):
        values = np.asarray(per_user[part.name])[tune_n:]
        rows.append(summarise(part.name, label, values))
        if len(values) > 1:
            diff = report_rows[:, metric] - values[:, metric]
            half = 1.96 * diff.std(ddof=1) / math.sqrt(len(diff))
            notes.append(
                f"REPORT {TUNE_METRIC}, {blend.name} minus {part.name}: "
                f"{diff.mean():+.4f} ± {half:.4f} (95% interval of the paired difference)"
            )
    return rows


def _dataset_notes(dataset: CiteULike, collaborative: str) -> list[str]:
    notes = [
        "texts are titles only (no abstracts in this dataset); the published models used "
        "titles + abstracts and the training matrix",
        "published figures: read off the CVAE paper's figure (±0.005)"
        if dataset.split == "sparse"
        else "no published figures for this split are stored with the dataset",
        (
            "collaborative methods read the split's training matrix (other users' training "
            "items), as the published models did"
            if collaborative == "train"
            else "collaborative methods read other users' whole libraries (training and test "
            "items; the user's own row left out): not comparable with the published figures"
        ),
    ]
    left_out = sum(1 for a, b in zip(dataset.train, dataset.test, strict=True) if not (a and b))
    if left_out:
        notes.append(f"{left_out} users have no test item in this split and are left out")
    p = SPLITS[dataset.split]
    lowest = sum(
        1
        for known, hidden in zip(dataset.train, dataset.test, strict=True)
        if known and sorted(known) == sorted(known + hidden)[: len(known)]
    )
    if p > 1 and lowest == len(dataset.train):
        notes.append(
            f"this split's {p} training items are each user's {p} lowest item ids, not a "
            "random draw"
        )
    return notes
