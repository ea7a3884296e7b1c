"""Build a profile's digest: candidates of a window, ranked, diversified, recorded.

Candidates are the papers listed (or, without a listing date, submitted) within the window's
dates, inclusive. Papers an earlier digest of the same profile showed are left out, so a
daily digest never repeats itself; building the digest of a window again replaces that
window's earlier digest in place (a re-run shows the same papers, not the next ones, and
keeps the digest's id, so an email queued for it is not queued twice).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

from paperradar.embedding import Embedder
from paperradar.errors import UsageError
from paperradar.models import Digest, Filters, Ranked
from paperradar.radar.profiles import load_profile
from paperradar.radar.ranking import RankingConfig, diversify, rank
from paperradar.store import Store
from paperradar.store.sqlite.filters import filter_sql

#: diversity picks from the best POOL x top papers (see ranking.diversify)
POOL = 4


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """What to put in a digest."""

    start: dt.date
    end: dt.date
    top: int = 20
    record: bool = True  # remember what was shown, so later digests do not repeat it
    diversity: float = 0.75  # MMR balance: 1 = by score alone
    config: RankingConfig = field(default_factory=RankingConfig)


def candidate_ids(store: Store, start: dt.date, end: dt.date) -> list[int]:
    """Row ids of the papers listed (or submitted, without a listing date) in the window."""
    where, params = filter_sql(Filters(since=start, until=end))
    rows = store.query(f"SELECT p.id FROM papers p WHERE 1 = 1{where}", tuple(params))
    return [int(r["id"]) for r in rows]


def shown_before(store: Store, profile_id: int, start: dt.date, end: dt.date) -> set[int]:
    """Papers shown by the profile's digests of other windows."""
    rows = store.query(
        "SELECT DISTINCT i.paper_id FROM digest_items i JOIN digests d ON d.id = i.digest_id "
        "WHERE d.profile_id = ? AND NOT (d.window_start = ? AND d.window_end = ?)",
        (profile_id, start.isoformat(), end.isoformat()),
    )
    return {int(r["paper_id"]) for r in rows}


def make_digest(
    store: Store, profile_name: str, embedder: Embedder, options: DigestOptions
) -> Digest:
    """Rank the window's candidates for the profile and keep the diversified top."""
    if options.start > options.end:
        raise UsageError(f"the window starts after it ends: {options.start} > {options.end}")
    if options.top < 1:
        raise UsageError("--top must be at least 1")
    profile = load_profile(store, profile_name)
    seen = shown_before(store, profile.id, options.start, options.end)
    candidates = [i for i in candidate_ids(store, options.start, options.end) if i not in seen]
    ranked, vectors = rank(
        store, profile, embedder, candidates, options.config, keep=POOL * options.top
    )
    entries = diversify(ranked, vectors, options.top, options.diversity)
    digest = Digest(
        profile=profile.name,
        created=dt.datetime.now(dt.UTC).replace(microsecond=0),
        start=options.start,
        end=options.end,
        candidates=len(candidates),
        entries=entries,
    )
    if options.record:
        digest.id = _record(store, profile.id, digest)
    return digest


def _record(store: Store, profile_id: int, digest: Digest) -> int:
    """Store the digest and what it showed; the same window's digest is updated in place
    (same id, so an email already queued for it is not queued again)."""
    window = (profile_id, digest.start.isoformat(), digest.end.isoformat())
    with store.transaction():
        found = store.query(
            "SELECT id FROM digests WHERE profile_id = ? AND window_start = ? AND window_end = ?",
            window,
        )
        if found:
            digest_id = int(found[0]["id"])
            store.conn.execute(
                "UPDATE digests SET created = ?, candidates = ? WHERE id = ?",
                (digest.created.isoformat(), digest.candidates, digest_id),
            )
            store.conn.execute("DELETE FROM digest_items WHERE digest_id = ?", (digest_id,))
        else:
            cursor = store.conn.execute(
                "INSERT INTO digests (profile_id, window_start, window_end, created, candidates) "
                "VALUES (?, ?, ?, ?, ?)",
                (*window, digest.created.isoformat(), digest.candidates),
            )
            digest_id = int(cursor.lastrowid or 0)
        store.conn.executemany(
            "INSERT INTO digest_items (digest_id, rank, paper_id, score, why) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (digest_id, rank, entry.row_id, entry.score, _why_json(entry))
                for rank, entry in enumerate(digest.entries, start=1)
            ],
        )
    return digest_id


def _why_json(entry: Ranked) -> str:
    return json.dumps({"why": asdict(entry.why), "parts": entry.parts}, ensure_ascii=False)


def past_digests(store: Store, profile_name: str, limit: int = 50) -> list[dict[str, object]]:
    """The profile's recorded digests, newest first: id, created, window, candidates, size."""
    profile = load_profile(store, profile_name)
    rows = store.query(
        "SELECT d.id, d.created, d.window_start, d.window_end, d.candidates, "
        "(SELECT count(*) FROM digest_items i WHERE i.digest_id = d.id) AS size "
        "FROM digests d WHERE d.profile_id = ? ORDER BY d.id DESC LIMIT ?",
        (profile.id, limit),
    )
    return [dict(r) for r in rows]
