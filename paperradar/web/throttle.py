"""Failed logins, counted per account name: after ``limit`` failures within ``window``
seconds, logging in to that account is refused (a right password included) until the oldest
of those failures is ``window`` seconds old. Refused attempts are not counted, so the account
opens again on time however long someone keeps trying.

Locking by account name, not by client address, is deliberate: behind a reverse proxy every
client may have the proxy's address, and locking that address would lock everyone out. The
cost is that someone who knows a user's name can keep that one account locked by failing on
purpose (the user can still be helped with ``paperradar user passwd``, which does not reset
the count, or by restarting the server, which does). The counts live in the server's memory.

Failed logins are also counted per client address, with a higher limit
(:data:`CLIENT_LIMIT` within :data:`CLIENT_WINDOW_S`): a flood of guesses with a new name
each time is then refused before it costs a password hash. A success does not clear an
address's count (anyone could log in to their own account to clear it).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

LIMIT = 5
WINDOW_S = 15 * 60.0
#: failed logins from one client address within CLIENT_WINDOW_S before it is refused
CLIENT_LIMIT = 20
CLIENT_WINDOW_S = 60.0
#: names tracked at most; beyond it the names with the oldest last failure are forgotten
MAX_NAMES = 10_000


class LoginThrottle:
    """Sliding-window counts of failed logins per (case-folded) key, an account name or a
    client address; thread-safe."""

    def __init__(
        self,
        limit: int = LIMIT,
        window: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a login throttle needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().casefold()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def retry_after(self, name: str) -> int | None:
        """Whole seconds until ``name`` may try again, or None when it may now."""
        with self._lock:
            now = self._clock()
            times = self._recent(self._key(name), now)
            if len(times) < self.limit:
                return None
            return max(1, math.ceil(times[-self.limit] + self.window - now))

    def failed(self, name: str) -> None:
        """Count a failed login for ``name``."""
        with self._lock:
            now = self._clock()
            key = self._key(name)
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            if len(self._failures) > MAX_NAMES:
                oldest = min(self._failures, key=lambda k: self._failures[k][-1])
                del self._failures[oldest]

    def succeeded(self, name: str) -> None:
        """Forget ``name``'s failures (a successful login)."""
        with self._lock:
            self._failures.pop(self._key(name), None)
