"""The outbox and the subscriptions in PostgreSQL.

A claim is one ``UPDATE ... WHERE id = %s AND status = %s RETURNING``: when several workers or
processes claim the same row at once, the row lock makes them take turns, and each one after
the first re-checks the status of the row as the first left it, so only one of them claims a
``pending`` row. (A ``sending`` row is claimed again only by the next delivery run, which the
outbox lock keeps to one at a time.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, LiteralString

from paperradar.errors import StoreError
from paperradar.store.api.delivery import ActiveSubscription, OutboxEntry, StoredSubscription
from paperradar.store.postgres.base import PgRepo
from paperradar.store.postgres.radar import read_time, stamp, utc


class PgDelivery(PgRepo):
    """The PostgreSQL DeliveryRepo."""

    # -- outbox -------------------------------------------------------------------------

    def digest_exists(self, digest_id: int) -> bool:
        row = self.conn.execute("SELECT 1 FROM digests WHERE id = %s", (digest_id,)).fetchone()
        return row is not None

    def queued_email(self, digest_id: int, recipient: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM outbox WHERE digest_id = %s "
            'AND lower(recipient) = lower(%s COLLATE "C") '
            "AND status <> 'failed' ORDER BY id DESC LIMIT 1",
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
            row = self.conn.execute(
                "INSERT INTO outbox (digest_id, recipient, subject, message_id, message, status, "
                "created) VALUES (%s, %s, %s, %s, %s, 'pending', %s) RETURNING id",
                (digest_id, recipient, subject, message_id, message, utc(created)),
            ).fetchone()
        assert row is not None  # INSERT ... RETURNING always returns the row
        return int(row["id"])

    def waiting_count(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) AS n FROM outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()
        return int(row["n"]) if row else 0

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
            row = self.conn.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
                "last_error = CASE WHEN status = 'sending' THEN %s ELSE last_error END "
                "WHERE id = %s AND status = %s RETURNING attempts",
                (resent_note, row_id, status),
            ).fetchone()
        return None if row is None else int(row["attempts"])

    def message(self, row_id: int) -> bytes:
        row = self._row("SELECT message FROM outbox WHERE id = %s", row_id)
        return bytes(row["message"])

    def mark_sent(self, row_id: int, sent: dt.datetime, note: str | None = None) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE outbox SET status = 'sent', sent = %s, "
                "last_error = coalesce(%s, last_error) WHERE id = %s AND status = 'sending'",
                (stamp(sent), note, row_id),
            )

    def finish_email(self, row_id: int, was: str, status: str, error: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE outbox SET status = %s, last_error = %s WHERE id = %s AND status = %s",
                (status, error, row_id, was),
            )

    def note_untried(self, row_ids: Sequence[int], error: str) -> None:
        if not row_ids:
            return
        with self._db.transaction():
            self.conn.execute(
                "UPDATE outbox SET last_error = %s WHERE id = ANY(%s) AND status = 'pending'",
                (error, list(row_ids)),
            )

    def email_status(self, row_id: int) -> str:
        return str(self._row("SELECT status FROM outbox WHERE id = %s", row_id)["status"])

    def _row(self, sql: LiteralString, row_id: int) -> dict[str, Any]:
        row = self.conn.execute(sql, (row_id,)).fetchone()
        if row is None:
            raise StoreError(f"the outbox has no row {row_id}")
        return row

    # -- subscriptions ------------------------------------------------------------------

    def subscription(self, profile_id: int) -> StoredSubscription | None:
        row = self.conn.execute(
            "SELECT email, enabled, at, updated FROM subscriptions WHERE profile_id = %s",
            (profile_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredSubscription(
            str(row["email"]), bool(row["enabled"]), str(row["at"]), read_time(row["updated"])
        )

    def set_subscription(
        self, profile_id: int, email: str, enabled: bool, at: str, updated: dt.datetime
    ) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO subscriptions (profile_id, email, enabled, at, updated) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (profile_id) DO UPDATE SET "
                "email = excluded.email, enabled = excluded.enabled, at = excluded.at, "
                "updated = excluded.updated",
                (profile_id, email, enabled, at, utc(updated)),
            )

    def remove_subscription(self, profile_id: int) -> bool:
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM subscriptions WHERE profile_id = %s", (profile_id,)
            )
        return cursor.rowcount > 0

    def active_subscriptions(self) -> list[ActiveSubscription]:
        return [
            ActiveSubscription(str(r["name"]), str(r["email"]), str(r["at"]))
            for r in self.conn.execute(
                "SELECT p.name, s.email, s.at FROM subscriptions s "
                "JOIN profiles p ON p.id = s.profile_id "
                "WHERE s.enabled ORDER BY p.name"
            )
        ]
