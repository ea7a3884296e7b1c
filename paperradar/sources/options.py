"""What the live sources share: their config options, saved state, requests and JSON fields.

Options: every reader takes the source's ``name`` and its ``[sources.NAME]`` table and raises
a one-line :class:`~paperradar.errors.ConfigError` naming the key, made by
:func:`option_error`::

    [sources.NAME] KEY: PROBLEM          # e.g. "[sources.hf] limit: expected a whole number ..."

Saved state: cursors and checkpoints are JSON, so their dates are ISO strings; a value that is
not one raises :class:`~paperradar.errors.SourceError` (``paperradar sync --reset NAME``
forgets it) rather than silently starting over.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, overload
from urllib.parse import urlsplit

import httpx

from paperradar.errors import ConfigError, FeedUnavailable, SourceError
from paperradar.models import Paper
from paperradar.readers.base import parse_iso_date

#: keys any ``[sources.NAME]`` table may hold besides the source's own options
COMMON_KEYS = frozenset({"kind", "enabled"})
#: how far back the first run of a source reaches when ``since`` is not set
DEFAULT_LOOKBACK = dt.timedelta(days=7)

_CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")


# --------------------------------------------------------------------------- options


def option_error(name: str, key: str, problem: str) -> ConfigError:
    """The one-line error for a bad ``[sources.NAME] key``."""
    return ConfigError(f"[sources.{name}] {key}: {problem}")


def check_keys(name: str, table: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse keys the source does not know (a typo would otherwise be silently ignored)."""
    own = set(known)
    for key in table:
        if key not in own and key not in COMMON_KEYS:
            choices = ", ".join(sorted(own - COMMON_KEYS))
            raise option_error(name, key, f"unknown option (known: {choices})")


@overload
def option_str(name: str, table: Mapping[str, Any], key: str, default: str) -> str: ...
@overload
def option_str(
    name: str, table: Mapping[str, Any], key: str, default: None = None
) -> str | None: ...
def option_str(
    name: str, table: Mapping[str, Any], key: str, default: str | None = None
) -> str | None:
    """A non-empty string without surrounding blanks; ``default`` when absent."""
    value = table.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise option_error(name, key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def option_url(name: str, table: Mapping[str, Any], key: str, default: str) -> str:
    """An http(s) URL with a host, without surrounding blanks or a trailing slash."""
    value = table.get(key, default)
    url = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise option_error(name, key, f"expected an http(s) URL, got {value!r}")
    if not parts.hostname:
        raise option_error(name, key, f"no host in {value!r}")
    return url.rstrip("/")


def option_date(name: str, table: Mapping[str, Any], key: str) -> dt.date | None:
    """A TOML date (a datetime counts by its date) or an ISO string; None when absent."""
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise option_error(name, key, f"expected a date such as 2026-11-01, got {value!r}")


def option_int(
    name: str, table: Mapping[str, Any], key: str, default: int, low: int, high: int
) -> int:
    """An integer in ``[low, high]`` (not a bool, not a string of digits)."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise option_error(
            name, key, f"expected a whole number from {low} to {high}, got {value!r}"
        )
    return value


def option_list(name: str, table: Mapping[str, Any], key: str) -> list[str]:
    """A string or a list of strings (``author = "A1"`` or ``["A1", "A2"]``); [] when absent."""
    value = table.get(key, [])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise option_error(name, key, f"expected a string or a list of strings, got {value!r}")
    return [i.strip() for i in items]


def option_categories(name: str, table: Mapping[str, Any], *, required: bool) -> list[str]:
    """``categories``: arXiv archives or categories such as ``cs`` or ``cs.CL``, deduplicated."""
    if "categories" not in table and not required:
        return []
    categories = option_list(name, table, "categories")
    if not categories:
        raise option_error(name, "categories", "expected a category or a list such as ['cs.CL']")
    for item in categories:
        if not _CATEGORY.match(item):
            raise option_error(name, "categories", f"not an arXiv category: {item!r}")
    return list(dict.fromkeys(categories))


def option_secret(name: str, table: Mapping[str, Any], key: str, env: str) -> str | None:
    """A secret from the table, else from the environment variable ``env``; never echoed."""
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise option_error(name, key, "expected a non-empty string")
    if value is None:
        value = os.environ.get(env, "")
    return value.strip() or None


# --------------------------------------------------------------------------- saved state


def first_day(since: dt.date | None, today: dt.date) -> dt.date:
    """The first day of a first run: ``since``, else :data:`DEFAULT_LOOKBACK` before today."""
    return since if since is not None else today - DEFAULT_LOOKBACK


def state_date(name: str, state: Mapping[str, Any], key: str) -> dt.date | None:
    """A date kept in a cursor or checkpoint, None when absent; SourceError if not a date."""
    value = state.get(key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise SourceError(f"{name}: saved state {key}={value!r} is not a date") from None


def checkpoint_date(name: str, checkpoint: Mapping[str, Any], key: str) -> dt.date:
    """A date the checkpoint must hold; SourceError when the stored checkpoint is damaged."""
    found = state_date(name, checkpoint, key)
    if found is None:
        raise SourceError(f"{name}: checkpoint {checkpoint!r} has no {key!r} date")
    return found


# --------------------------------------------------------------------------- requests


def host_of(url: str) -> str:
    """The host a URL's requests go to (per-host rate limits key on it)."""
    return urlsplit(url).hostname or ""


def url_with(base_url: str, params: Mapping[str, str | int]) -> str:
    """``base_url`` with ``params`` as its query, as it goes on the wire (nothing masked)."""
    return str(httpx.URL(base_url, params=dict(params)))


@contextmanager
def explain_refusal(messages: Mapping[int, str]) -> Iterator[None]:
    """Reword the client's FeedUnavailable for the statuses in ``messages`` (``{error}`` in a
    message stands for the client's own line, which names the URL with secrets masked)."""
    try:
        yield
    except FeedUnavailable as exc:
        message = messages.get(exc.status) if exc.status is not None else None
        if message is None:
            raise
        raise FeedUnavailable(message.replace("{error}", str(exc)), status=exc.status) from exc


# --------------------------------------------------------------------------- JSON answers


def json_str(obj: Mapping[str, Any], key: str) -> str:
    """``obj[key]`` when it is a string, else ""."""
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def json_date(value: Any) -> dt.date | None:
    """An ISO date (or date-time) string as a date; None for anything else."""
    try:
        return parse_iso_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def paper_links(paper: Paper) -> dict[str, str]:
    """The links every source gives a paper: its arXiv abstract page and its DOI."""
    links: dict[str, str] = {}
    if paper.arxiv_id:
        links["abs"] = f"https://arxiv.org/abs/{paper.arxiv_id}"
    if paper.doi:
        links["doi"] = f"https://doi.org/{paper.doi}"
    return links
