"""Web users, login sessions and profile ownership."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires: dt.datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user with their stored password hash."""

    user: User
    password_hash: str


class AccountRepo(Protocol):
    """Web users, login sessions and profile ownership."""

    # -- users

    def add_user(self, name: str, password_hash: str, created: dt.datetime) -> User | None:
        """A new user; None (and no change) when the name is taken."""
        ...

    def user(self, name: str) -> User | None:
        """The user of that name, if any."""
        ...

    def users(self) -> list[User]:
        """Every user, by name."""
        ...

    def has_users(self) -> bool:
        """Whether there is any user."""
        ...

    def credentials(self, name: str) -> Credentials | None:
        """The user of that name with their password hash, if any."""
        ...

    def set_password(self, user_id: int, password_hash: str) -> None:
        """A new password: store its hash and end all the user's sessions."""
        ...

    def rehash_password(self, user_id: int, password_hash: str) -> None:
        """Store a fresh hash of the same password (sessions stay)."""
        ...

    def remove_user(self, user_id: int) -> None:
        """Delete the user (their sessions and ownership marks go with them) and the
        subscriptions of the profiles they own."""
        ...

    # -- sessions

    def start_session(
        self,
        token_hash: str,
        user_id: int,
        csrf: str,
        created: dt.datetime,
        expires: dt.datetime,
    ) -> None:
        """Drop the sessions expired before ``created``, then store a new one."""
        ...

    def session(self, token_hash: str) -> Session | None:
        """The stored session of a token hash, expired or not."""
        ...

    def end_session(self, token_hash: str) -> None:
        """Delete the session of a token hash, if any."""
        ...

    # -- failed logins (shared by every server process: web/throttle.py)

    def record_login_failure(self, scope: str, key: str, at: dt.datetime) -> None:
        """Count a failed login for ``key`` (an account name or a client address, as the
        caller folds it) in ``scope`` (``name`` or ``client``) at ``at``."""
        ...

    def login_failures(
        self, scope: str, key: str, since: dt.datetime, limit: int
    ) -> list[dt.datetime]:
        """The times of ``key``'s failures in ``scope`` after ``since``, newest first, at
        most ``limit`` of them."""
        ...

    def clear_login_failures(self, scope: str, key: str) -> None:
        """Forget ``key``'s failures in ``scope`` (a successful login)."""
        ...

    def prune_login_failures(self, scope: str, before: dt.datetime) -> int:
        """Delete the failures in ``scope`` at or before ``before``; return how many."""
        ...

    # -- ownership

    def owned_profiles(self, user_id: int) -> list[str]:
        """The names of the profiles the user owns, sorted."""
        ...

    def owner_of(self, profile: str) -> int | None:
        """The id of the user owning the profile named ``profile``, if any."""
        ...

    def other_owner(self, profile_id: int, user_id: int) -> str | None:
        """The name of the profile's owner when it is a user other than ``user_id``."""
        ...

    def grant_profile(self, profile_id: int, user_id: int) -> None:
        """Make the profile belong to the user (taking it from any other)."""
        ...
