"""Profiles, profile papers, rules, feedback, digests and digest items in SQLite."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from paperradar.models import Feedback, Profile, Rule
from paperradar.store.api.radar import DigestItem, DigestRecord, DigestSummary, ShownPaper
from paperradar.store.background import BackgroundSamples
from paperradar.store.sqlite.base import SqliteRepo

if TYPE_CHECKING:
    from paperradar.store.sqlite.store import SqliteStore

Vectors = Mapping[int, npt.NDArray[np.float32]]


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="seconds")


class SqliteRadar(SqliteRepo):
    """The SQLite RadarRepo."""

    def __init__(self, db: SqliteStore) -> None:
        super().__init__(db)
        self._background = BackgroundSamples(db)

    # -- profiles

    def profile_id(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM profiles WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row["id"])

    def profile_names(self) -> list[str]:
        return [r["name"] for r in self.conn.execute("SELECT name FROM profiles ORDER BY name")]

    def add_profile(self, name: str, created: dt.datetime) -> bool:
        with self._db.transaction():
            if self.conn.execute("SELECT 1 FROM profiles WHERE name = ?", (name,)).fetchone():
                return False
            self.conn.execute(
                "INSERT INTO profiles (name, created) VALUES (?, ?)", (name, _stamp(created))
            )
        return True

    def profile(self, profile_id: int) -> Profile:
        conn = self.conn
        pid = profile_id
        row = conn.execute("SELECT * FROM profiles WHERE id = ?", (pid,)).fetchall()[0]
        papers = [
            int(r["paper_id"])
            for r in conn.execute(
                "SELECT paper_id FROM profile_papers WHERE profile_id = ? ORDER BY added, paper_id",
                (pid,),
            )
        ]
        rules = [
            Rule(r["kind"], r["value"])
            for r in conn.execute(
                "SELECT kind, value FROM rules WHERE profile_id = ? ORDER BY kind, added, key",
                (pid,),
            )
        ]
        feedback = [
            Feedback(int(r["paper_id"]), r["action"], dt.datetime.fromisoformat(r["at"]))
            for r in conn.execute(
                "SELECT paper_id, action, at FROM feedback WHERE profile_id = ? ORDER BY id", (pid,)
            )
        ]
        return Profile(
            pid, row["name"], dt.datetime.fromisoformat(row["created"]), papers, rules, feedback
        )

    def remove_profile(self, profile_id: int) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))

    # -- own papers, rules, feedback

    def link_papers(
        self, profile_id: int, paper_ids: Sequence[int], origin: str, added: dt.datetime
    ) -> int:
        now = _stamp(added)
        new = 0
        with self._db.transaction():
            for row_id in paper_ids:
                cursor = self.conn.execute(
                    "INSERT OR IGNORE INTO profile_papers (profile_id, paper_id, origin, added) "
                    "VALUES (?, ?, ?, ?)",
                    (profile_id, row_id, origin, now),
                )
                if cursor.rowcount:
                    new += 1
        return new

    def unlink_papers(self, profile_id: int, paper_ids: Sequence[int]) -> int:
        removed = 0
        with self._db.transaction():
            for row_id in paper_ids:
                removed += self.conn.execute(
                    "DELETE FROM profile_papers WHERE profile_id = ? AND paper_id = ?",
                    (profile_id, row_id),
                ).rowcount
        return removed

    def add_rule(
        self, profile_id: int, kind: str, value: str, key: str, added: dt.datetime
    ) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "INSERT OR IGNORE INTO rules (profile_id, kind, value, key, added) "
                "VALUES (?, ?, ?, ?, ?)",
                (profile_id, kind, value, key, _stamp(added)),
            )
        return bool(cursor.rowcount)

    def remove_rule(self, profile_id: int, kind: str, key: str) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM rules WHERE profile_id = ? AND kind = ? AND key = ?",
                (profile_id, kind, key),
            )
        return bool(cursor.rowcount)

    def add_feedback(
        self, profile_id: int, paper_ids: Sequence[int], action: str, at: dt.datetime
    ) -> None:
        now = _stamp(at)
        with self._db.transaction():
            self.conn.executemany(
                "INSERT INTO feedback (profile_id, paper_id, action, at) VALUES (?, ?, ?, ?)",
                [(profile_id, row_id, action, now) for row_id in paper_ids],
            )

    # -- digests

    def shown_before(self, profile_id: int, start: dt.date, end: dt.date) -> set[int]:
        rows = self.conn.execute(
            "SELECT DISTINCT i.paper_id FROM digest_items i JOIN digests d ON d.id = i.digest_id "
            "WHERE d.profile_id = ? AND NOT (d.window_start = ? AND d.window_end = ?)",
            (profile_id, start.isoformat(), end.isoformat()),
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
        window = (profile_id, start.isoformat(), end.isoformat())
        with self._db.transaction():
            found = conn.execute(
                "SELECT id FROM digests WHERE profile_id = ? AND window_start = ? "
                "AND window_end = ?",
                window,
            ).fetchall()
            if found:
                digest_id = int(found[0]["id"])
                conn.execute(
                    "UPDATE digests SET created = ?, candidates = ? WHERE id = ?",
                    (created.isoformat(), candidates, digest_id),
                )
                conn.execute("DELETE FROM digest_items WHERE digest_id = ?", (digest_id,))
            else:
                cursor = conn.execute(
                    "INSERT INTO digests (profile_id, window_start, window_end, created, "
                    "candidates) VALUES (?, ?, ?, ?, ?)",
                    (*window, created.isoformat(), candidates),
                )
                digest_id = int(cursor.lastrowid or 0)
            conn.executemany(
                "INSERT INTO digest_items (digest_id, rank, paper_id, score, why) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (digest_id, rank, item.paper_id, item.score, item.why)
                    for rank, item in enumerate(items, start=1)
                ],
            )
        return digest_id

    def digests(self, profile_id: int, limit: int) -> list[DigestSummary]:
        rows = self.conn.execute(
            "SELECT d.id, d.created, d.window_start, d.window_end, d.candidates, "
            "(SELECT count(*) FROM digest_items i WHERE i.digest_id = d.id) AS size "
            "FROM digests d WHERE d.profile_id = ? ORDER BY d.id DESC LIMIT ?",
            (profile_id, limit),
        )
        return [
            DigestSummary(
                r["id"],
                r["created"],
                r["window_start"],
                r["window_end"],
                r["candidates"],
                r["size"],
            )
            for r in rows
        ]

    def digest(self, digest_id: int) -> DigestRecord | None:
        row = self.conn.execute(
            "SELECT d.id, d.created, d.window_start, d.window_end, d.candidates, p.name "
            "FROM digests d JOIN profiles p ON p.id = d.profile_id WHERE d.id = ?",
            (digest_id,),
        ).fetchone()
        if row is None:
            return None
        return DigestRecord(
            row["id"],
            row["created"],
            row["window_start"],
            row["window_end"],
            row["candidates"],
            str(row["name"]),
        )

    def shown(self, digest_id: int) -> list[ShownPaper]:
        rows = self.conn.execute(
            "SELECT i.rank, i.score, i.why, p.pid, p.title, p.abstract, p.authors, p.categories "
            "FROM digest_items i JOIN papers p ON p.id = i.paper_id WHERE i.digest_id = ? "
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
                json.loads(row["authors"] or "[]"),
                json.loads(row["categories"] or "[]"),
            )
            for row in rows
        ]

    # -- the feedback classifier's background

    def background(self, model: str, n: int, seed: int) -> Vectors:
        return self._background.sample(model, n, seed)
