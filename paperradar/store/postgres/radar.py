"""Profiles, profile papers, rules, feedback, digests and digest items in PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from paperradar.models import Feedback, Profile, Rule
from paperradar.store.api.radar import DigestItem, DigestRecord, DigestSummary, ShownPaper
from paperradar.store.background import BackgroundSamples
from paperradar.store.postgres.base import PgRepo

if TYPE_CHECKING:
    from paperradar.store.postgres.store import PgStore

Vectors = Mapping[int, npt.NDArray[np.float32]]


def utc(at: dt.datetime) -> dt.datetime:
    """``at`` as an aware datetime (a naive one is taken as UTC), for a TIMESTAMPTZ."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def stamp(at: dt.datetime) -> dt.datetime:
    """``at`` to the second, as the SQLite store keeps these timestamps."""
    return utc(at).replace(microsecond=0)


def read_time(value: dt.datetime) -> dt.datetime:
    """A TIMESTAMPTZ as read back: in UTC, whatever the session's time zone."""
    return value.astimezone(dt.UTC)


def _names(value: Any) -> list[str]:
    """A paper's authors or categories as a list (a JSON array, as text or decoded)."""
    if value is None:
        return []
    if isinstance(value, str):
        return list(json.loads(value or "[]"))
    return [str(v) for v in value]


class PgRadar(PgRepo):
    """The PostgreSQL RadarRepo."""

    def __init__(self, db: PgStore) -> None:
        super().__init__(db)
        self._background = BackgroundSamples(db)

    # -- profiles

    def profile_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM profiles WHERE name = %s", (name,)).fetchone()
        return None if row is None else int(row["id"])

    def profile_names(self) -> list[str]:
        rows = self.conn.execute("SELECT name FROM profiles ORDER BY name")
        return [str(r["name"]) for r in rows]

    def add_profile(self, name: str, created: dt.datetime) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "INSERT INTO profiles (name, created) VALUES (%s, %s) "
                "ON CONFLICT (name) DO NOTHING",
                (name, stamp(created)),
            )
        return cursor.rowcount == 1

    def profile(self, profile_id: int) -> Profile:
        conn = self.conn
        pid = profile_id
        row = conn.execute("SELECT * FROM profiles WHERE id = %s", (pid,)).fetchall()[0]
        papers = [
            int(r["paper_id"])
            for r in conn.execute(
                "SELECT paper_id FROM profile_papers WHERE profile_id = %s "
                "ORDER BY added, paper_id",
                (pid,),
            )
        ]
        rules = [
            Rule(r["kind"], r["value"])
            for r in conn.execute(
                "SELECT kind, value FROM rules WHERE profile_id = %s ORDER BY kind, added, key",
                (pid,),
            )
        ]
        feedback = [
            Feedback(int(r["paper_id"]), r["action"], read_time(r["at"]))
            for r in conn.execute(
                "SELECT paper_id, action, at FROM feedback WHERE profile_id = %s ORDER BY id",
                (pid,),
            )
        ]
        return Profile(pid, row["name"], read_time(row["created"]), papers, rules, feedback)

    def remove_profile(self, profile_id: int) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM profiles WHERE id = %s", (profile_id,))

    # -- own papers, rules, feedback

    def link_papers(
        self, profile_id: int, paper_ids: Sequence[int], origin: str, added: dt.datetime
    ) -> int:
        if not paper_ids:
            return 0
        with self._db.transaction():
            cursor = self.conn.execute(
                "INSERT INTO profile_papers (profile_id, paper_id, origin, added) "
                "SELECT %s, p, %s, %s FROM unnest(%s::bigint[]) AS u(p) "
                "ON CONFLICT DO NOTHING",
                (profile_id, origin, stamp(added), list(paper_ids)),
            )
        return cursor.rowcount

    def unlink_papers(self, profile_id: int, paper_ids: Sequence[int]) -> int:
        if not paper_ids:
            return 0
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM profile_papers WHERE profile_id = %s AND paper_id = ANY(%s)",
                (profile_id, list(paper_ids)),
            )
        return cursor.rowcount

    def add_rule(
        self, profile_id: int, kind: str, value: str, key: str, added: dt.datetime
    ) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "INSERT INTO rules (profile_id, kind, value, key, added) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (profile_id, kind, value, key, stamp(added)),
            )
        return cursor.rowcount == 1

    def remove_rule(self, profile_id: int, kind: str, key: str) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM rules WHERE profile_id = %s AND kind = %s AND key = %s",
                (profile_id, kind, key),
            )
        return cursor.rowcount > 0

    def add_feedback(
        self, profile_id: int, paper_ids: Sequence[int], action: str, at: dt.datetime
    ) -> None:
        if not paper_ids:
            return
        with self._db.transaction():
            # ids are drawn in the order of the rows: the order of ``paper_ids``
            self.conn.execute(
                "INSERT INTO feedback (profile_id, paper_id, action, at) "
                "SELECT %s, p, %s, %s FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(p, n) "
                "ORDER BY n",
                (profile_id, action, stamp(at), list(paper_ids)),
            )

    # -- digests

    def shown_before(self, profile_id: int, start: dt.date, end: dt.date) -> set[int]:
        rows = self.conn.execute(
            "SELECT DISTINCT i.paper_id FROM digest_items i JOIN digests d ON d.id = i.digest_id "
            "WHERE d.profile_id = %s AND NOT (d.window_start = %s AND d.window_end = %s)",
            (profile_id, start, end),
        )
        return {int(r["paper_id"]) for r in rows}

    def record_digest(
        self,
        profile_id: int,
        start: dt.date,
        end: dt.date,
        created: dt.datetime,
        candidates: int,
        items: Sequence[DigestItem],
    ) -> int:
        conn = self.conn
        with self._db.transaction():
            # one row per profile and window (a unique index): a second recording of the
            # window, here or by another worker at once, updates it and keeps its id
            row = conn.execute(
                "INSERT INTO digests (profile_id, window_start, window_end, created, candidates) "
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (profile_id, window_start, window_end) DO UPDATE SET "
                "created = excluded.created, candidates = excluded.candidates RETURNING id",
                (profile_id, start, end, utc(created), candidates),
            ).fetchone()
            assert row is not None  # INSERT ... RETURNING always returns the row
            digest_id = int(row["id"])
            conn.execute("DELETE FROM digest_items WHERE digest_id = %s", (digest_id,))
            if items:
                conn.execute(
                    "INSERT INTO digest_items (digest_id, rank, paper_id, score, why) "
                    "SELECT %s, n, p, s, w FROM unnest(%s::bigint[], %s::float8[], %s::text[]) "
                    "WITH ORDINALITY AS u(p, s, w, n)",
                    (
                        digest_id,
                        [item.paper_id for item in items],
                        [item.score for item in items],
                        [item.why for item in items],
                    ),
                )
        return digest_id

    def digests(self, profile_id: int, limit: int) -> list[DigestSummary]:
        rows = self.conn.execute(
            "SELECT d.id, d.created, d.window_start, d.window_end, d.candidates, "
            "(SELECT count(*) FROM digest_items i WHERE i.digest_id = d.id) AS size "
            "FROM digests d WHERE d.profile_id = %s ORDER BY d.id DESC LIMIT %s",
            (profile_id, limit if limit >= 0 else None),
        )
        return [
            DigestSummary(
                int(r["id"]),
                read_time(r["created"]).isoformat(),
                r["window_start"].isoformat(),
                r["window_end"].isoformat(),
                int(r["candidates"]),
                int(r["size"]),
            )
            for r in rows
        ]

    def digest(self, digest_id: int) -> DigestRecord | None:
        row = self.conn.execute(
            "SELECT d.id, d.created, d.window_start, d.window_end, d.candidates, p.name "
            "FROM digests d JOIN profiles p ON p.id = d.profile_id WHERE d.id = %s",
            (digest_id,),
        ).fetchone()
        if row is None:
            return None
        return DigestRecord(
            int(row["id"]),
            read_time(row["created"]).isoformat(),
            row["window_start"].isoformat(),
            row["window_end"].isoformat(),
            int(row["candidates"]),
            str(row["name"]),
        )

    def shown(self, digest_id: int) -> list[ShownPaper]:
        rows = self.conn.execute(
            "SELECT i.rank, i.score, i.why, p.pid, p.title, p.abstract, p.authors, p.categories "
            "FROM digest_items i JOIN papers p ON p.id = i.paper_id WHERE i.digest_id = %s "
            "ORDER BY i.rank",
            (digest_id,),
        )
        return [
            ShownPaper(
                int(row["rank"]),
                float(row["score"]),
                str(row["why"]),
                str(row["pid"]),
                row["title"] or "",
                str(row["abstract"] or ""),
                _names(row["authors"]),
                _names(row["categories"]),
            )
            for row in rows
        ]

    # -- the feedback classifier's background

    def background(self, model: str, n: int, seed: int) -> Vectors:
        return self._background.sample(model, n, seed)
