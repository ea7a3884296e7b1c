"""The one error hierarchy of paperradar.

::

    PaperRadarError                 anything paperradar reports to a user (CLI: exit 1)
    ├── InputError                  bad input from the user or a file (CLI: exit 2)
    │   ├── FormatError             a file that cannot be read in its format: FILE:LINE: what
    │   └── UsageError              a bad argument, option value or unknown id
    ├── SourceError                 a remote source failed
    ├── StoreError                  the SQLite store cannot be opened, migrated or written
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


class StoreError(PaperRadarError):
    """The store cannot be opened, migrated or written."""


class ConfigError(PaperRadarError):
    """A bad config file or environment variable."""
