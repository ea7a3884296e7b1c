"""Web users: accounts with argon2id password hashes, login sessions, profile ownership.

A session is a random 32-byte token in an HttpOnly cookie; the store keeps only its SHA-256,
with the session's CSRF token and its expiry. A profile belongs to at most one user
(``profile_owners``); a user sees and changes only their own profiles. Profiles nobody owns
(made with the CLI) are reachable only in single-user mode, or once granted to a user
(``paperradar user grant``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from paperradar.errors import UsageError
from paperradar.radar.profiles import _profile_id
from paperradar.store import Store

SESSION_DAYS = 14
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()  # argon2id with the library's current defaults
MIN_PASSWORD = 8


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def check_user_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"bad user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def add_user(store: Store, name: str, password: str) -> User:
    """A new user; a taken name or a password shorter than 8 characters is a UsageError."""
    check_user_name(name)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    hashed = _HASHER.hash(password)
    with store.transaction():
        if store.query("SELECT 1 FROM users WHERE name = ?", (name,)):
            raise UsageError(f"a user named {name!r} already exists")
        cursor = store.conn.execute(
            "INSERT INTO users(name, password_hash, created) VALUES (?, ?, ?)",
            (name, hashed, _now().isoformat()),
        )
    return User(int(cursor.lastrowid or 0), name)


def set_password(store: Store, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    user = get_user(store, name)
    with store.transaction():
        store.conn.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (_HASHER.hash(password), user.id)
        )
        store.conn.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))


def get_user(store: Store, name: str) -> User:
    rows = store.query("SELECT id, name FROM users WHERE name = ?", (name,))
    if not rows:
        raise UsageError(f"no user named {name!r}")
    return User(int(rows[0]["id"]), str(rows[0]["name"]))


def list_users(store: Store) -> list[tuple[User, list[str]]]:
    """Every user with the names of the profiles they own."""
    out = []
    for row in store.query("SELECT id, name FROM users ORDER BY name"):
        user = User(int(row["id"]), str(row["name"]))
        out.append((user, owned_profiles(store, user)))
    return out


def remove_user(store: Store, name: str) -> None:
    """Delete a user, their sessions and their ownership marks. Their profiles stay, owned
    by nobody, and their email subscriptions stop (nobody would read those mails)."""
    user = get_user(store, name)
    with store.transaction():
        store.conn.execute(
            "DELETE FROM subscriptions WHERE profile_id IN "
            "(SELECT profile_id FROM profile_owners WHERE user_id = ?)",
            (user.id,),
        )
        store.conn.execute("DELETE FROM users WHERE id = ?", (user.id,))


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (same work either way)."""
    rows = store.query("SELECT id, name, password_hash FROM users WHERE name = ?", (name,))
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not rows:
        return None
    user = User(int(rows[0]["id"]), str(rows[0]["name"]))
    if _HASHER.check_needs_rehash(stored):
        with store.transaction():
            store.conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (_HASHER.hash(password), user.id)
            )
    return user


_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store, user: User) -> tuple[str, Session]:
    """A new session: ``(cookie token, session)``."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    expires = now + dt.timedelta(days=SESSION_DAYS)
    with store.transaction():
        store.conn.execute("DELETE FROM sessions WHERE expires < ?", (now.isoformat(),))
        store.conn.execute(
            "INSERT INTO sessions(token_hash, user_id, csrf, created, expires) "
            "VALUES (?, ?, ?, ?, ?)",
            (_digest(token), user.id, csrf, now.isoformat(), expires.isoformat()),
        )
    return token, Session(user, csrf, expires)


def session_for(store: Store, token: str | None) -> Session | None:
    """The live session of a cookie token, if any."""
    if not token:
        return None
    rows = store.query(
        "SELECT s.csrf, s.expires, u.id, u.name FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ?",
        (_digest(token),),
    )
    if not rows:
        return None
    expires = dt.datetime.fromisoformat(rows[0]["expires"])
    if expires <= _now():
        return None
    return Session(User(int(rows[0]["id"]), str(rows[0]["name"])), str(rows[0]["csrf"]), expires)


def end_session(store: Store, token: str | None) -> None:
    if token:
        with store.transaction():
            store.conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))


def owned_profiles(store: Store, user: User) -> list[str]:
    return [
        str(r["name"])
        for r in store.query(
            "SELECT p.name FROM profiles p JOIN profile_owners o ON o.profile_id = p.id "
            "WHERE o.user_id = ? ORDER BY p.name",
            (user.id,),
        )
    ]


def owner_of(store: Store, profile: str) -> int | None:
    rows = store.query(
        "SELECT o.user_id FROM profile_owners o JOIN profiles p ON p.id = o.profile_id "
        "WHERE p.name = ?",
        (profile,),
    )
    return int(rows[0]["user_id"]) if rows else None


def grant_profile(store: Store, user_name: str, profile: str) -> str | None:
    """Make ``profile`` belong to ``user_name``; the name of its previous owner, if another
    user had it (the CLI says so: the profile moves)."""
    user = get_user(store, user_name)
    pid = _profile_id(store, profile)
    previous = store.query(
        "SELECT u.name FROM profile_owners o JOIN users u ON u.id = o.user_id "
        "WHERE o.profile_id = ? AND o.user_id != ?",
        (pid, user.id),
    )
    with store.transaction():
        store.conn.execute(
            "INSERT INTO profile_owners(profile_id, user_id) VALUES (?, ?) "
            "ON CONFLICT(profile_id) DO UPDATE SET user_id = excluded.user_id",
            (pid, user.id),
        )
    return str(previous[0]["name"]) if previous else None
