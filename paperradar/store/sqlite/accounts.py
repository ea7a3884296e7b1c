"""users, sessions and profile_owners in SQLite."""

from __future__ import annotations

import datetime as dt

from paperradar.store.api.accounts import Credentials, Session, User
from paperradar.store.sqlite.base import SqliteRepo


class SqliteAccounts(SqliteRepo):
    """The SQLite AccountRepo."""

    # -- users --------------------------------------------------------------------------

    def add_user(self, name: str, password_hash: str, created: dt.datetime) -> User | None:
        with self._db.transaction():
            if self.conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchall():
                return None
            cursor = self.conn.execute(
                "INSERT INTO users(name, password_hash, created) VALUES (?, ?, ?)",
                (name, password_hash, created.isoformat()),
            )
        return User(int(cursor.lastrowid or 0), name)

    def user(self, name: str) -> User | None:
        row = self.conn.execute("SELECT id, name FROM users WHERE name = ?", (name,)).fetchone()
        return User(int(row["id"]), str(row["name"])) if row else None

    def users(self) -> list[User]:
        return [
            User(int(row["id"]), str(row["name"]))
            for row in self.conn.execute("SELECT id, name FROM users ORDER BY name")
        ]

    def has_users(self) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM users LIMIT 1").fetchall())

    def credentials(self, name: str) -> Credentials | None:
        row = self.conn.execute(
            "SELECT id, name, password_hash FROM users WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        return Credentials(User(int(row["id"]), str(row["name"])), str(row["password_hash"]))

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
            )
            self.conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    def rehash_password(self, user_id: int, password_hash: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
            )

    def remove_user(self, user_id: int) -> None:
        with self._db.transaction():
            self.conn.execute(
                "DELETE FROM subscriptions WHERE profile_id IN "
                "(SELECT profile_id FROM profile_owners WHERE user_id = ?)",
                (user_id,),
            )
            self.conn.execute("DELETE FROM users WHERE id = ?", (user_id,))

    # -- sessions -----------------------------------------------------------------------

    def start_session(
        self,
        token_hash: str,
        user_id: int,
        csrf: str,
        created: dt.datetime,
        expires: dt.datetime,
    ) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM sessions WHERE expires < ?", (created.isoformat(),))
            self.conn.execute(
                "INSERT INTO sessions(token_hash, user_id, csrf, created, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_hash, user_id, csrf, created.isoformat(), expires.isoformat()),
            )

    def session(self, token_hash: str) -> Session | None:
        row = self.conn.execute(
            "SELECT s.csrf, s.expires, u.id, u.name FROM sessions s "
            "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        return Session(
            User(int(row["id"]), str(row["name"])),
            str(row["csrf"]),
            dt.datetime.fromisoformat(row["expires"]),
        )

    def end_session(self, token_hash: str) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # -- failed logins (times as seconds since the epoch) --------------------------------

    def record_login_failure(self, scope: str, key: str, at: dt.datetime) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO login_failures(scope, key, at) VALUES (?, ?, ?)",
                (scope, key, at.timestamp()),
            )

    def login_failures(
        self, scope: str, key: str, since: dt.datetime, limit: int
    ) -> list[dt.datetime]:
        rows = self.conn.execute(
            "SELECT at FROM login_failures WHERE scope = ? AND key = ? AND at > ? "
            "ORDER BY at DESC LIMIT ?",
            (scope, key, since.timestamp(), limit),
        ).fetchall()
        return [dt.datetime.fromtimestamp(float(row["at"]), dt.UTC) for row in rows]

    def clear_login_failures(self, scope: str, key: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "DELETE FROM login_failures WHERE scope = ? AND key = ?", (scope, key)
            )

    def prune_login_failures(self, scope: str, before: dt.datetime) -> int:
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM login_failures WHERE scope = ? AND at <= ?",
                (scope, before.timestamp()),
            )
        return int(cursor.rowcount)

    # -- ownership ----------------------------------------------------------------------

    def owned_profiles(self, user_id: int) -> list[str]:
        return [
            str(r["name"])
            for r in self.conn.execute(
                "SELECT p.name FROM profiles p JOIN profile_owners o ON o.profile_id = p.id "
                "WHERE o.user_id = ? ORDER BY p.name",
                (user_id,),
            )
        ]

    def owner_of(self, profile: str) -> int | None:
        row = self.conn.execute(
            "SELECT o.user_id FROM profile_owners o JOIN profiles p ON p.id = o.profile_id "
            "WHERE p.name = ?",
            (profile,),
        ).fetchone()
        return int(row["user_id"]) if row else None

    def other_owner(self, profile_id: int, user_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT u.name FROM profile_owners o JOIN users u ON u.id = o.user_id "
            "WHERE o.profile_id = ? AND o.user_id != ?",
            (profile_id, user_id),
        ).fetchone()
        return str(row["name"]) if row else None

    def grant_profile(self, profile_id: int, user_id: int) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO profile_owners(profile_id, user_id) VALUES (?, ?) "
                "ON CONFLICT(profile_id) DO UPDATE SET user_id = excluded.user_id",
                (profile_id, user_id),
            )
