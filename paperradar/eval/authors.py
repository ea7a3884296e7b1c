"""Author pseudo-users on arxiv-cs-daily: an author's earlier papers as a profile, their later
ones as the papers a daily digest should have shown them.

Nothing is downloaded: :func:`load` reads the arxiv-cs-daily JSON Lines file (``.gz`` or not)
the user gives, with paperradar's own reader for that format (``arxiv-daily``); every paper
has the day it was listed (``crawl_date``).

Protocol (:func:`run`):

- **users**: authors, named as :func:`paperradar.radar.profiles.normalise_author` normalises them
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

The replay itself (rankings, simulated likes, per-day figures) is :mod:`paperradar.eval.replay`.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from paperradar.embedding import Embedder, normalise_rows, paper_text
from paperradar.embedding.backfill import ensure_vectors
from paperradar.errors import FormatError, UsageError
from paperradar.eval import EvalReport
from paperradar.eval.methods import COLLABORATIVE, METHODS, Items, make_method
from paperradar.eval.replay import (
    LIKE_TOP,
    SPLITS,
    TOPS,
    EvalProgress,
    Feed,
    Outcome,
    PseudoUser,
    evaluate,
    paired_difference,
    random_expectation,
    rows_of,
)
from paperradar.models import Paper
from paperradar.radar.profiles import normalise_author
from paperradar.readers import ReadContext, read_path
from paperradar.readers.base import BadRecord
from paperradar.readers.jsonl import ARXIV_DAILY_READER
from paperradar.store import open_store
from paperradar.store.api import Store

DATASET = "arxiv-cs-daily-authors"
FILE_NAME = "arxiv_cs_daily_dedup.jsonl.gz"
CUTOFF_SHARE = 0.7
EMBED_CHUNK = 2048
#: the method the others are compared with, user by user, in the notes
REFERENCE = "paperradar"


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
        with store.transaction(papers=True):
            for start in range(0, len(missing), 2000):
                store.papers.upsert(list(missing[start : start + 2000]))
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
        found.update(store.vectors.for_papers(embedder.model_id, row_ids[start : start + 20_000]))
    matrix = np.zeros((len(papers), embedder.dim), dtype=np.float32)
    for i, alias in enumerate(aliases):
        vector = found.get(rows[alias])
        if vector is not None:
            matrix[i] = vector
    return normalise_rows(matrix), embedded


def _rows_of(store: Store, aliases: Sequence[str]) -> dict[str, int]:
    return store.papers.by_alias(aliases)


def make_feed(
    listing: Listing,
    embedder: Embedder,
    store: Store | None,
    progress: EvalProgress | None = None,
) -> tuple[Feed, int]:
    """The items (texts without authors, vectors through the store, listing days)."""
    if store is None:
        with tempfile.TemporaryDirectory(prefix="paperradar-eval-") as tmp:
            temporary = open_store(Path(tmp))
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
        raise UsageError("--like-top must be at least 1 (the rank a target must reach to be liked)")
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
            "target days, recall@k = targets in their own day's top k"
            + (
                f"; simulated-likes = targets in a day's top {like_top} liked from the next day on"
                if likes
                else "; no simulated likes"
            )
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
