"""source_state and schedule_runs in SQLite."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from paperradar.store.api.scheduling import SourceState
from paperradar.store.sqlite.base import SqliteRepo


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


class SqliteScheduling(SqliteRepo):
    """The SQLite SchedulingRepo."""

    # -- sources ------------------------------------------------------------------------

    def source_position(self, name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        row = self.conn.execute(
            "SELECT cursor, checkpoint FROM source_state WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return {}, None
        cursor = orjson.loads(row["cursor"])
        checkpoint = orjson.loads(row["checkpoint"]) if row["checkpoint"] else None
        return cursor, checkpoint

    def source_states(self) -> list[SourceState]:
        return [
            SourceState(
                name=row["name"],
                kind=row["kind"],
                cursor=orjson.loads(row["cursor"]),
                checkpoint=orjson.loads(row["checkpoint"]) if row["checkpoint"] else None,
                interrupted=row["checkpoint"] is not None,
                started=row["started"],
                succeeded=row["succeeded"],
                failures=row["failures"],
                last_error=row["last_error"],
            )
            for row in self.conn.execute("SELECT * FROM source_state ORDER BY name")
        ]

    def _save(self, name: str, kind: str, **values: Any) -> None:
        """Create the source's row if need be, then set ``kind`` and ``values`` (columns)."""
        self.conn.execute(
            "INSERT INTO source_state(name, kind) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            (name, kind),
        )
        columns = ", ".join(f"{key} = ?" for key in values)
        self.conn.execute(
            f"UPDATE source_state SET kind = ?, {columns} WHERE name = ?",
            (kind, *values.values(), name),
        )

    def source_started(
        self, name: str, kind: str, started: dt.datetime, checkpoint: dict[str, Any]
    ) -> None:
        with self._db.transaction():
            self._save(name, kind, started=_stamp(started), checkpoint=_dump(checkpoint))

    def source_progressed(self, name: str, kind: str, checkpoint: dict[str, Any]) -> None:
        with self._db.transaction():
            self._save(name, kind, checkpoint=_dump(checkpoint))

    def source_completed(
        self, name: str, kind: str, cursor: dict[str, Any], succeeded: dt.datetime
    ) -> None:
        with self._db.transaction():
            self._save(
                name,
                kind,
                cursor=_dump(cursor),
                checkpoint=None,
                succeeded=_stamp(succeeded),
                failures=0,
                last_error=None,
            )

    def source_failed(self, name: str, kind: str, error: str) -> None:
        with self._db.transaction():
            self._save(name, kind, last_error=error)
            self.conn.execute(
                "UPDATE source_state SET failures = failures + 1 WHERE name = ?", (name,)
            )

    def reset_source(self, name: str) -> bool:
        with self._db.transaction():
            found = self.conn.execute("DELETE FROM source_state WHERE name = ?", (name,)).rowcount
        return bool(found)

    # -- scheduled runs -----------------------------------------------------------------

    def claim_slot(self, job: str, slot: dt.datetime, started: dt.datetime) -> bool:
        key = slot.isoformat()
        with self._db.transaction():
            row = self.conn.execute(
                "SELECT status FROM schedule_runs WHERE job = ? AND slot = ?", (job, key)
            ).fetchone()
            if row and row["status"] in ("done", "failed"):
                return False
            self.conn.execute(
                "INSERT INTO schedule_runs(job, slot, started, status) "
                "VALUES (?, ?, ?, 'running') "
                "ON CONFLICT(job, slot) DO UPDATE SET started = excluded.started, "
                "status = 'running', finished = NULL",
                (job, key, _stamp(started)),
            )
        return True

    def finish_slot(
        self, job: str, slot: dt.datetime, status: str, finished: dt.datetime, detail: str
    ) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE schedule_runs SET status = ?, finished = ?, detail = ? "
                "WHERE job = ? AND slot = ?",
                (status, _stamp(finished), detail, job, slot.isoformat()),
            )

    def unfinished_slots(self, job: str) -> list[dt.datetime]:
        return [
            dt.datetime.fromisoformat(r["slot"])
            for r in self.conn.execute(
                "SELECT slot FROM schedule_runs WHERE job = ? "
                "AND status IN ('running', 'interrupted') ORDER BY slot",
                (job,),
            )
        ]

    def last_slot(self, job: str) -> dt.datetime | None:
        row = self.conn.execute(
            "SELECT max(slot) AS s FROM schedule_runs WHERE job = ?", (job,)
        ).fetchone()
        return dt.datetime.fromisoformat(row["s"]) if row and row["s"] else None
