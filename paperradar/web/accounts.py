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

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from paperradar.errors import UsageError
from paperradar.radar.profiles import _profile_id
from paperradar.store.api import Store
from paperradar.store.api.accounts import Session as Session
from paperradar.store.api.accounts import User as User

SESSION_DAYS = 14
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()  # argon2id with the library's current defaults
MIN_PASSWORD = 8


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
    user = store.accounts.add_user(name, hashed, _now())
    if user is None:
        raise UsageError(f"a user named {name!r} already exists")
    return user


def set_password(store: Store, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    user = get_user(store, name)
    store.accounts.set_password(user.id, _HASHER.hash(password))


def get_user(store: Store, name: str) -> User:
    user = store.accounts.user(name)
    if user is None:
        raise UsageError(f"no user named {name!r}")
    return user


def list_users(store: Store) -> list[tuple[User, list[str]]]:
    """Every user with the names of the profiles they own."""
    return [(user, owned_profiles(store, user)) for user in store.accounts.users()]


def remove_user(store: Store, name: str) -> None:
    """Delete a user, their sessions and their ownership marks. Their profiles stay, owned
    by nobody, and their email subscriptions stop (nobody would read those mails)."""
    user = get_user(store, name)
    store.accounts.remove_user(user.id)


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (same work either way)."""
    found = store.accounts.credentials(name)
    stored = found.password_hash if found else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if found is None:
        return None
    user = found.user
    if _HASHER.check_needs_rehash(stored):
        store.accounts.rehash_password(user.id, _HASHER.hash(password))
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
    store.accounts.start_session(_digest(token), user.id, csrf, now, expires)
    return token, Session(user, csrf, expires)


def session_for(store: Store, token: str | None) -> Session | None:
    """The live session of a cookie token, if any."""
    if not token:
        return None
    session = store.accounts.session(_digest(token))
    if session is None or session.expires <= _now():
        return None
    return session


def end_session(store: Store, token: str | None) -> None:
    if token:
        store.accounts.end_session(_digest(token))


def owned_profiles(store: Store, user: User) -> list[str]:
    return store.accounts.owned_profiles(user.id)


def owner_of(store: Store, profile: str) -> int | None:
    return store.accounts.owner_of(profile)


def grant_profile(store: Store, user_name: str, profile: str) -> str | None:
    """Make ``profile`` belong to ``user_name``; the name of its previous owner, if another
    user had it (the CLI says so: the profile moves)."""
    user = get_user(store, user_name)
    pid = _profile_id(store, profile)
    previous = store.accounts.other_owner(pid, user.id)
    store.accounts.grant_profile(pid, user.id)
    return previous
