"""users, sessions and profile_owners in PostgreSQL.

User names are unique in any ASCII case and sorted so, as SQLite's ``COLLATE NOCASE``:
``lower(name COLLATE "C")`` folds A-Z only (the unique index ``users_name``). Timestamps are
``timestamptz``, returned in UTC.
"""

from __future__ import annotations

import datetime as dt

from paperradar.store.api.accounts import Credentials, Session, User
from paperradar.store.postgres.base import PgRepo

#: a user name as the unique index ``users_name`` compares it
_FOLDED = 'lower(name COLLATE "C")'


class PgAccounts(PgRepo):
    """The PostgreSQL AccountRepo."""

    # -- users --------------------------------------------------------------------------

    def add_user(self, name: str, password_hash: str, created: dt.datetime) -> User | None:
        with self._db.transaction():
            if self.user(name) is not None:  # taken: no identity value used up
                return None
            row = self.conn.execute(
                "INSERT INTO users(name, password_hash, created) VALUES (%s, %s, %s) "
                f"ON CONFLICT (({_FOLDED})) DO NOTHING RETURNING id",
                (name, password_hash, created),
            ).fetchone()
        return User(int(row["id"]), name) if row else None

    def user(self, name: str) -> User | None:
        row = self.conn.execute(
            f'SELECT id, name FROM users WHERE {_FOLDED} = lower(%s COLLATE "C")', (name,)
        ).fetchone()
        return User(int(row["id"]), str(row["name"])) if row else None

    def users(self) -> list[User]:
        return [
            User(int(row["id"]), str(row["name"]))
            for row in self.conn.execute(f"SELECT id, name FROM users ORDER BY {_FOLDED}")
        ]

    def has_users(self) -> bool:
        return self.conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def credentials(self, name: str) -> Credentials | None:
        row = self.conn.execute(
            f'SELECT id, name, password_hash FROM users WHERE {_FOLDED} = lower(%s COLLATE "C")',
            (name,),
        ).fetchone()
        if row is None:
            return None
        return Credentials(User(int(row["id"]), str(row["name"])), str(row["password_hash"]))

    def set_password(self, user_id: int, password_hash: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id)
            )
            self.conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))

    def rehash_password(self, user_id: int, password_hash: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id)
            )

    def remove_user(self, user_id: int) -> None:
        with self._db.transaction():
            self.conn.execute(
                "DELETE FROM subscriptions WHERE profile_id IN "
                "(SELECT profile_id FROM profile_owners WHERE user_id = %s)",
                (user_id,),
            )
            self.conn.execute("DELETE FROM users WHERE id = %s", (user_id,))

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
            self.conn.execute("DELETE FROM sessions WHERE expires < %s", (created,))
            self.conn.execute(
                "INSERT INTO sessions(token_hash, user_id, csrf, created, expires) "
                "VALUES (%s, %s, %s, %s, %s)",
                (token_hash, user_id, csrf, created, expires),
            )

    def session(self, token_hash: str) -> Session | None:
        row = self.conn.execute(
            "SELECT s.csrf, s.expires, u.id, u.name FROM sessions s "
            "JOIN users u ON u.id = s.user_id WHERE s.token_hash = %s",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        return Session(
            User(int(row["id"]), str(row["name"])),
            str(row["csrf"]),
            row["expires"].astimezone(dt.UTC),
        )

    def end_session(self, token_hash: str) -> None:
        with self._db.transaction():
            self.conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))

    # -- failed logins (no change notification: web/throttle.py) -------------------------

    def record_login_failure(self, scope: str, key: str, at: dt.datetime) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO login_failures(scope, key, at) VALUES (%s, %s, %s)",
                (scope, key, at),
            )

    def login_failures(
        self, scope: str, key: str, since: dt.datetime, limit: int
    ) -> list[dt.datetime]:
        rows = self.conn.execute(
            "SELECT at FROM login_failures WHERE scope = %s AND key = %s AND at > %s "
            "ORDER BY at DESC LIMIT %s",
            (scope, key, since, limit),
        ).fetchall()
        return [row["at"].astimezone(dt.UTC) for row in rows]

    def clear_login_failures(self, scope: str, key: str) -> None:
        with self._db.transaction():
            self.conn.execute(
                "DELETE FROM login_failures WHERE scope = %s AND key = %s", (scope, key)
            )

    def prune_login_failures(self, scope: str, before: dt.datetime) -> int:
        with self._db.transaction():
            cursor = self.conn.execute(
                "DELETE FROM login_failures WHERE scope = %s AND at <= %s", (scope, before)
            )
        return int(cursor.rowcount)

    # -- ownership ----------------------------------------------------------------------

    def owned_profiles(self, user_id: int) -> list[str]:
        return [
            str(r["name"])
            for r in self.conn.execute(
                "SELECT p.name FROM profiles p JOIN profile_owners o ON o.profile_id = p.id "
                'WHERE o.user_id = %s ORDER BY p.name COLLATE "C"',
                (user_id,),
            )
        ]

    def owner_of(self, profile: str) -> int | None:
        row = self.conn.execute(
            "SELECT o.user_id FROM profile_owners o JOIN profiles p ON p.id = o.profile_id "
            "WHERE p.name = %s",
            (profile,),
        ).fetchone()
        return int(row["user_id"]) if row else None

    def other_owner(self, profile_id: int, user_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT u.name FROM profile_owners o JOIN users u ON u.id = o.user_id "
            "WHERE o.profile_id = %s AND o.user_id <> %s",
            (profile_id, user_id),
        ).fetchone()
        return str(row["name"]) if row else None

    def grant_profile(self, profile_id: int, user_id: int) -> None:
        with self._db.transaction():
            self.conn.execute(
                "INSERT INTO profile_owners(profile_id, user_id) VALUES (%s, %s) "
                "ON CONFLICT (profile_id) DO UPDATE SET user_id = EXCLUDED.user_id",
                (profile_id, user_id),
            )
