"""Failed logins, counted per account name: after ``limit`` failures within ``window``
seconds, logging in to that account is refused (a right password included) until the oldest
of those failures is ``window`` seconds old. Refused attempts are not counted, so the account
opens again on time however long someone keeps trying.

Locking by account name, not by client address, is deliberate: behind a reverse proxy every
client may have the proxy's address, and locking that address would lock everyone out. The
cost is that someone who knows a user's name can keep that one account locked by failing on
purpose (the user then waits for the window to pass; ``paperradar user passwd`` does not
reset the count).

Failed logins are also counted per client address, with a higher limit
(:data:`CLIENT_LIMIT` within :data:`CLIENT_WINDOW_S`): a flood of guesses with a new name
each time is then refused before it costs a password hash. A success does not clear an
address's count (anyone could log in to their own account to clear it).

The counts live in the store (``login_failures``, one row per failure), so every server
process on the store -- ``paperradar serve --workers N``, or several servers -- counts the
same failures: N workers do not give N times the attempts. No lock is taken: two workers
checking the same name at the same moment may each let one more attempt through, never
more than one per worker. Each failure prunes the failures older than its throttle's window,
so the table holds only the failures that still count. The times are the wall clock
(``time.time``), the one clock the processes share.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable

from paperradar.store.api.accounts import AccountRepo

LIMIT = 5
WINDOW_S = 15 * 60.0
#: failed logins from one client address within CLIENT_WINDOW_S before it is refused
CLIENT_LIMIT = 20
CLIENT_WINDOW_S = 60.0
#: the scopes the app counts in: account names and client addresses
NAME_SCOPE = "name"
CLIENT_SCOPE = "client"


def _at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


class LoginThrottle:
    """Sliding-window counts of failed logins per (case-folded) key, an account name or a
    client address, kept in the store's ``login_failures`` under ``scope``; safe for any
    number of threads and processes."""

    def __init__(
        self,
        accounts: AccountRepo,
        scope: str,
        limit: int = LIMIT,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a login throttle needs limit >= 1 and a positive window")
        self.accounts = accounts
        self.scope = scope
        self.limit = limit
        self.window = window
        self._clock = clock

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().casefold()

    def retry_after(self, name: str) -> int | None:
        """Whole seconds until ``name`` may try again, or None when it may now."""
        now = self._clock()
        times = self.accounts.login_failures(
            self.scope, self._key(name), _at(now - self.window), self.limit
        )
        if len(times) < self.limit:
            return None
        oldest = times[-1].timestamp()  # the limit-th newest failure in the window
        return max(1, math.ceil(oldest + self.window - now))

    def failed(self, name: str) -> None:
        """Count a failed login for ``name`` (and forget this scope's expired failures)."""
        now = self._clock()
        self.accounts.record_login_failure(self.scope, self._key(name), _at(now))
        self.accounts.prune_login_failures(self.scope, _at(now - self.window))

    def succeeded(self, name: str) -> None:
        """Forget ``name``'s failures (a successful login)."""
        self.accounts.clear_login_failures(self.scope, self._key(name))
