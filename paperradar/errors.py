"""The one error hierarchy of paperradar.

::

    PaperRadarError                 anything paperradar reports to a user (CLI: exit 1)
    ├── InputError                  bad input from the user or a file (CLI: exit 2)
    │   ├── FormatError             a file that cannot be read in its format: FILE:LINE: what
    │   └── UsageError              a bad argument, option value or unknown id
    ├── SourceError                 a remote source failed
    │   └── FeedUnavailable         a source failed after its retries, or refused the request
    │       └── RateLimited         the source kept answering 429, or asked us to wait too long
    ├── StoreError                  the SQLite store cannot be opened, migrated or written
    │   └── StoreBusyError          another writer held the store past the busy timeout
    ├── BusyError                   busy now, worth retrying soon (the web answers 503)
    │   └── StoreBusyError
    └── ConfigError                 a bad config file or environment variable

The CLI turns these into ``error: <message>`` and an exit code; it never shows a traceback
for them.
"""

from __future__ import annotations


class PaperRadarError(Exception):
    """Base class of every error paperradar reports to a user."""

    exit_code = 1


class InputError(PaperRadarError):
    """Bad input from the user or from a file."""

    exit_code = 2


class FormatError(InputError):
    """A file (or one record in it) that cannot be read in its format."""

    def __init__(self, origin: str, line: int | None, reason: str) -> None:
        self.origin = origin
        self.line = line
        self.reason = reason
        where = f"{origin}:{line}" if line else origin
        super().__init__(f"{where}: {reason}")


class UsageError(InputError):
    """A bad command-line argument, option value or an unknown paper id."""


class SourceError(PaperRadarError):
    """A remote source could not be read."""


class FeedUnavailable(SourceError):
    """A source failed after its retries, or refused the request.

    ``status`` is the HTTP status of the last response, None when there was none (a timeout,
    a connection error, a body that could not be read).
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RateLimited(FeedUnavailable):
    """The source kept answering 429, or asked us to wait longer than we will.

    ``retry_after`` is the wait the source asked for, in seconds, when it said.
    """

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status)


class StoreError(PaperRadarError):
    """The store cannot be opened, migrated or written."""


class BusyError(PaperRadarError):
    """Too busy now, worth retrying: ``retry_after`` is a fair wait in seconds."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class StoreBusyError(StoreError, BusyError):
    """Another writer (an ingest, say) held the store's write lock past the busy timeout."""


class ConfigError(PaperRadarError):
    """A bad config file or environment variable."""
