"""The outbox and the subscriptions in SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

from paperradar.store.api.delivery import ActiveSubscription, OutboxEntry, StoredSubscription
from paperradar.store.sqlite.base import SqliteRepo


class SqliteDelivery(SqliteRepo):
    """The SQLite DeliveryRepo."""

    # -- outbox -------------------------------------------------------------------------

    def digest_exists(self, digest_id: int) -> bool:
        return bool(
            self.conn.execute("SELECT 1 FROM digests WHERE id = ?", (digest_id,)).fetchall()
        )

    def queued_email(self, digest_id: int, recipient: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM outbox WHERE digest_id = ? AND recipient = ? COLLATE NOCASE "
            "AND status != 'failed' ORDER BY id DESC LIMIT 1",
            (digest_id, recipient),
        ).fetchone()
        return int(row["id"]) if row else None

    def add_email(
        self,
        *,
        digest_id: int | None,
        recipient: str,
        subject: str,
        message_id: str,
        message: bytes,
        created: dt.datetime,
    ) -> int:
        with self._db.transaction():
            cursor = self.conn.execute(
                "INSERT INTO outbox (digest_id, recipient, subject, message_id, message, status, "
                "created) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (digest_id, recipient, subject, message_id, message, created.isoformat()),
            )
        return int(cast(int, cursor.lastrowid))

    def waiting_count(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()
        return int(row[0])

    def unsent(self) -> list[OutboxEntry]:
        return [
            OutboxEntry(int(r["id"]), str(r["recipient"]), str(r["status"]), int(r["attempts"]))
            for r in self.conn.execute(
                "SELECT id, recipient, status, attempts FROM outbox "
                "WHERE status IN ('pending', 'sending') ORDER BY id"
            )
        ]

    def claim_email(self, row_id: int, status: str, resent_note: str) -> int | None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
                "last_error = CASE WHEN status = 'sending' THEN ? ELSE last_error END "
                "WHERE id = ? AND status = ?",
                (resent_note, row_id, status),
            )
            if self.conn.execute("SELECT changes()").fetchone()[0] != 1:
                return None
            row = self.conn.execute(
                "SELECT attempts FROM outbox WHERE id = ?", (row_id,)
            ).fetchone()
            return int(row[0])

    def message(self, row_id: int) -> bytes:
        row = self.conn.execute("SELECT message FROM outbox WHERE id = ?", (row_id,)).fetchone()
        return bytes(row[0])

    def mark_sent(self, row_id: int, sent: dt.datetime, note: str | None = None) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE outbox SET status = 'sent', sent = ?, "
                "last_error = coalesce(?, last_error) WHERE id = ? AND status = 'sending'",
                (sent.isoformat(timespec="seconds"), note, row_id),
            )

    def finish_email(self, row_id: int, was: str, status: str, error: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE outbox SET status = ?, last_error = ? WHERE id = ? AND status = ?",
                (status, error, row_id, was),
            )

    def note_untried(self, row_ids: Sequence[int], error: str) -> None:
        with self._db.transaction():
            self.conn.executemany(
                "UPDATE outbox SET last_error = ? WHERE id = ? AND status = 'pending'",
                [(error, i) for i in row_ids],
            )

    def email_status(self, row_id: int) -> str:
        row = self.conn.execute("SELECT status FROM outbox WHERE id = ?", (row_id,)).fetchone()
        return str(row["status"])

    # -- subscriptions ------------------------------------------------------------------

    def subscription(self, profile_id: int) -> StoredSubscription | None:
        row = self.conn.execute(
            "SELECT email, enabled, at, updated FROM subscriptions WHERE profile_id = ?",
            (profile_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredSubscription(
            str(row["email"]),
            bool(row["enabled"]),
            str(row["at"]),
            dt.datetime.fromisoformat(row["updated"]),
        )

    def set_subscription(
        self, profile_id: int, email: str, enabled: bool, at: str, updated: dt.datetime
    ) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO subscriptions (profile_id, email, enabled, at, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(profile_id) DO UPDATE SET "
                "email = excluded.email, enabled = excluded.enabled, at = excluded.at, "
                "updated = excluded.updated",
                (profile_id, email, int(enabled), at, updated.isoformat()),
            )

    def remove_subscription(self, profile_id: int) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM subscriptions WHERE profile_id = ?", (profile_id,)
            )
        return bool(cursor.rowcount)

    def active_subscriptions(self) -> list[ActiveSubscription]:
        return [
            ActiveSubscription(str(r["name"]), str(r["email"]), str(r["at"]))
            for r in self.conn.execute(
                "SELECT p.name, s.email, s.at FROM subscriptions s "
                "JOIN profiles p ON p.id = s.profile_id "
                "WHERE s.enabled = 1 ORDER BY p.name"
            )
        ]
