"""source_state and schedule_runs in PostgreSQL.

Cursors and checkpoints are ``json`` (their text kept as written); timestamps are
``timestamptz``, returned as the ISO text (UTC, whole seconds) the SQLite store keeps. A slot is
a ``timestamptz`` with the UTC offset it was given, so it comes back as the SQLite store gives
it back (``datetime.fromisoformat`` of its ISO text), ordered by the moment. Claiming a slot
is one upsert: the row's lock makes it atomic across processes, so a finished slot is never
claimed again. A ``running`` slot may be (its process died): that two live processes never run
one is the ``watch`` advisory lock's work (``PgStore.lock``), as on SQLite.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from paperradar.store.api.scheduling import SourceState
from paperradar.store.postgres.base import PgRepo


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _second(moment: dt.datetime) -> dt.datetime:
    """``moment`` to the whole second, as the SQLite store keeps it."""
    return moment.replace(microsecond=0)


def _stamp(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _slot_key(slot: dt.datetime) -> tuple[dt.datetime, int | None]:
    """A slot as stored: its moment (a naive slot is read as UTC) and its UTC offset in
    seconds (None for a naive slot)."""
    offset = slot.utcoffset()
    if offset is None:
        return slot.replace(tzinfo=dt.UTC), None
    return slot, int(offset.total_seconds())


def _slot(moment: dt.datetime, offset: int | None) -> dt.datetime:
    """A stored slot back with the offset (or naivety) it was claimed with."""
    if offset is None:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.astimezone(dt.timezone(dt.timedelta(seconds=offset)))


class PgScheduling(PgRepo):
    """The PostgreSQL SchedulingRepo."""

    # -- sources ------------------------------------------------------------------------

    def source_position(self, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        row = self.conn.execute(
            "SELECT cursor, checkpoint FROM source_state WHERE name = %s", (name,)
        ).fetchone()
        if row is None:
            return {}, None
        return row["cursor"], row["checkpoint"]

    def source_states(self) -> list[SourceState]:
        return [
            SourceState(
                name=row["name"],
                kind=row["kind"],
                cursor=row["cursor"],
                checkpoint=row["checkpoint"],
                interrupted=row["checkpoint"] is not None,
                started=_stamp(row["started"]),
                succeeded=_stamp(row["succeeded"]),
                failures=row["failures"],
                last_error=row["last_error"],
            )
            for row in self.conn.execute("SELECT * FROM source_state ORDER BY name")
        ]

    def source_started(
        self, name: str, kind: str, started: dt.datetime, checkpoint: dict[str, Any]
    ) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO source_state(name, kind, started, checkpoint) "
                "VALUES (%s, %s, %s, %s::json) ON CONFLICT (name) DO UPDATE SET "
                "kind = EXCLUDED.kind, started = EXCLUDED.started, "
                "checkpoint = EXCLUDED.checkpoint",
                (name, kind, _second(started), _dump(checkpoint)),
            )

    def source_progressed(self, name: str, kind: str, checkpoint: dict[str, Any]) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO source_state(name, kind, checkpoint) VALUES (%s, %s, %s::json) "
                "ON CONFLICT (name) DO UPDATE SET "
                "kind = EXCLUDED.kind, checkpoint = EXCLUDED.checkpoint",
                (name, kind, _dump(checkpoint)),
            )

    def source_completed(
        self, name: str, kind: str, cursor: dict[str, Any], succeeded: dt.datetime
    ) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO source_state(name, kind, cursor, succeeded) "
                "VALUES (%s, %s, %s::json, %s) ON CONFLICT (name) DO UPDATE SET "
                "kind = EXCLUDED.kind, cursor = EXCLUDED.cursor, checkpoint = NULL, "
                "succeeded = EXCLUDED.succeeded, failures = 0, last_error = NULL",
                (name, kind, _dump(cursor), _second(succeeded)),
            )

    def source_failed(self, name: str, kind: str, error: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO source_state(name, kind, failures, last_error) "
                "VALUES (%s, %s, 1, %s) ON CONFLICT (name) DO UPDATE SET "
                "kind = EXCLUDED.kind, failures = source_state.failures + 1, "
                "last_error = EXCLUDED.last_error",
                (name, kind, error),
            )

    def reset_source(self, name: str) -> bool:
        with self._db.transaction():
            found = self.conn.execute("DELETE FROM source_state WHERE name = %s", (name,)).rowcount
        return bool(found)

    # -- scheduled runs -----------------------------------------------------------------

    def claim_slot(self, job: str, slot: dt.datetime, started: dt.datetime) -> bool:
        moment, offset = _slot_key(slot)
        with self._db.transaction():
            claimed = self.conn.execute(
                "INSERT INTO schedule_runs(job, slot, utc_offset, started, status) "
                "VALUES (%s, %s, %s, %s, 'running') "
                "ON CONFLICT (job, slot) DO UPDATE SET started = EXCLUDED.started, "
                "status = 'running', finished = NULL "
                "WHERE schedule_runs.status NOT IN ('done', 'failed') RETURNING 1",
                (job, moment, offset, _second(started)),
            ).fetchone()
        return claimed is not None

    def finish_slot(
        self, job: str, slot: dt.datetime, status: str, finished: dt.datetime, detail: str
    ) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE schedule_runs SET status = %s, finished = %s, detail = %s "
                "WHERE job = %s AND slot = %s",
                (status, _second(finished), detail, job, _slot_key(slot)[0]),
            )

    def unfinished_slots(self, job: str) -> list[dt.datetime]:
        return [
            _slot(row["slot"], row["utc_offset"])
            for row in self.conn.execute(
                "SELECT slot, utc_offset FROM schedule_runs WHERE job = %s "
                "AND status IN ('running', 'interrupted') ORDER BY slot",
                (job,),
            )
        ]

    def last_slot(self, job: str) -> dt.datetime | None:
        row = self.conn.execute(
            "SELECT slot, utc_offset FROM schedule_runs WHERE job = %s ORDER BY slot DESC LIMIT 1",
            (job,),
        ).fetchone()
        return _slot(row["slot"], row["utc_offset"]) if row else None
