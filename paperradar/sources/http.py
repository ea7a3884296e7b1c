"""The polite, resilient HTTP client every live source uses.

The etiquette, so that the services we read from never have a reason to block us:

- **Say who we are.** Every request carries ``User-Agent: paperradar/<version>
  (+<project URL>; mailto:<contact>)``; set ``[http] contact`` in config.toml (or
  ``PAPERRADAR_HTTP_CONTACT``) so an operator can write to a person instead of banning an IP.
- **One at a time, and not too fast.** The client holds a single connection, and before each
  request (retries included) it waits until the host's interval has passed since the *start*
  of the previous request to that host: 3 s for arXiv as its API terms ask, 1 s for Hugging
  Face and Semantic Scholar, 0.1 s for OpenAlex, 1 s elsewhere (``[http.intervals]``).
- **Back off when a server struggles.** 5xx, 408, 429, timeouts, dropped connections, and
  bodies cut short or unreadable are retried up to ``attempts`` times in all. Between tries
  we wait what the server asked for in ``Retry-After`` (seconds or an HTTP date), else an
  exponential backoff with full jitter, ``rng() * min(backoff_max, backoff * 2**(n - 1))``
  after the n-th failure. Time spent backing off counts toward the host interval, so the two
  waits never add up. A server asking us to come back later than ``retry_after_max`` gets no
  retry: the request fails at once with :class:`RateLimited`.
- **Take no for an answer.** Any other 4xx fails at once with :class:`FeedUnavailable`.
- **Keep secrets secret.** Messages and logs never show headers, and query parameters named
  ``api_key``, ``key`` or ``token`` appear as ``***`` (httpx's own request log included).

Failures surface as one-line :class:`FeedUnavailable` messages, e.g.
``arxiv: GET https://export.arxiv.org/api/query?...: 503 Service Unavailable after 5 attempts``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from paperradar.config import CONFIG_NAME, Config
from paperradar.errors import ConfigError, FeedUnavailable, FormatError, RateLimited

T = TypeVar("T")

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/paperradar/paperradar"

#: host -> minimum seconds between the starts of two requests to it
DEFAULT_INTERVALS: dict[str, float] = {
    "export.arxiv.org": 3.0,
    "oaipmh.arxiv.org": 3.0,
    "rss.arxiv.org": 3.0,
    "arxiv.org": 3.0,
    "huggingface.co": 1.0,
    "api.semanticscholar.org": 1.0,
    "api.openalex.org": 0.1,
}

#: query parameters whose values never appear in a message or a log (compared lower-cased)
SECRET_PARAMS = frozenset({"api_key", "key", "token"})
_SECRET_HEADER = re.compile(r"authorization|key|token|secret|cookie", re.IGNORECASE)
_MASK = "***"
_SNIPPET = 200


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How politely and how persistently to ask (``[http]`` in config.toml)."""

    user_agent: str
    #: seconds per request (connect, read, write, pool)
    timeout: float = 30.0
    #: tries per request, the first included
    attempts: int = 5
    #: base of the exponential backoff, seconds
    backoff: float = 2.0
    #: cap of one backoff wait
    backoff_max: float = 120.0
    #: a Retry-After longer than this fails the request at once (RateLimited)
    retry_after_max: float = 600.0
    #: host -> min seconds between the starts of two requests to that host
    intervals: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_INTERVALS))
    #: the interval of a host not in ``intervals``
    default_interval: float = 1.0


def user_agent(contact: str | None) -> str:
    """``paperradar/<version> (+<project URL>; mailto:<contact>)``; no mailto without contact."""
    from paperradar import __version__  # here, not at the top: the package imports sources

    about = f"+{PROJECT_URL}; mailto:{contact}" if contact else f"+{PROJECT_URL}"
    return f"paperradar/{__version__} ({about})"


def safe_url(url: httpx.URL | str, params: Mapping[str, str | int] | None = None) -> str:
    """``url`` with ``params`` merged into its query, as messages show it: secrets masked."""
    url = httpx.URL(url)
    if params:
        url = url.copy_merge_params(params)
    if not url.query:
        return str(url)
    items = [
        (name, _MASK if name.lower() in SECRET_PARAMS else value)
        for name, value in url.params.multi_items()
    ]
    return f"{url.copy_with(query=None)}?{urlencode(items, safe='*:/,')}"


# --- settings ---------------------------------------------------------------------------


def http_settings(config: Config) -> HttpSettings:
    """The ``[http]`` table of config.toml, with ``PAPERRADAR_HTTP_*`` overrides.

    Keys: ``contact`` (an email address for the User-Agent), ``timeout``, ``attempts``,
    ``backoff``, ``backoff_max``, ``retry_after_max``, ``default_interval``, and the table
    ``[http.intervals]`` of ``"host" = seconds`` merged over :data:`DEFAULT_INTERVALS`
    (``PAPERRADAR_HTTP_INTERVALS="host=seconds,host=seconds"`` from the environment).
    """
    if not isinstance(config.values.get("http", {}), dict):
        raise ConfigError(f"{config.home / CONFIG_NAME}: [http] must be a table")
    defaults = HttpSettings(user_agent="")
    return HttpSettings(
        user_agent=user_agent(_contact(config)),
        timeout=_seconds(config, "timeout", defaults.timeout, positive=True),
        attempts=_attempts(config, defaults.attempts),
        backoff=_seconds(config, "backoff", defaults.backoff),
        backoff_max=_seconds(config, "backoff_max", defaults.backoff_max),
        retry_after_max=_seconds(config, "retry_after_max", defaults.retry_after_max),
        intervals=_intervals(config),
        default_interval=_seconds(config, "default_interval", defaults.default_interval),
    )


def _origin(config: Config, key: str) -> str:
    """Where ``[http] key`` came from: the environment variable or the config file."""
    env = f"PAPERRADAR_HTTP_{key}".upper()
    return env if env in os.environ else str(config.home / CONFIG_NAME)


def _bad(config: Config, key: str, wanted: str, value: object) -> ConfigError:
    return ConfigError(f"{_origin(config, key)}: [http] {key} must be {wanted}, not {value!r}")


def _contact(config: Config) -> str | None:
    value = config.get("http", "contact")
    if value is None or value == "":
        return None
    text = value.strip().removeprefix("mailto:") if isinstance(value, str) else ""
    if not re.fullmatch(r"[^\s@;()<>\"]+@[^\s@;()<>\"]+", text):
        raise _bad(config, "contact", "an email address such as you@example.org", value)
    return text


def _number(value: object) -> float | None:
    """A finite number from TOML or an environment string; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _seconds(config: Config, key: str, default: float, *, positive: bool = False) -> float:
    value = config.get("http", key)
    if value is None:
        return default
    number = _number(value)
    if number is None or number < 0 or (positive and number == 0):
        raise _bad(config, key, "a number of seconds " + ("> 0" if positive else ">= 0"), value)
    return number


def _attempts(config: Config, default: int) -> int:
    value = config.get("http", "attempts")
    if value is None:
        return default
    number = _number(value)
    if number is None or number < 1 or not number.is_integer():
        raise _bad(config, "attempts", "a whole number >= 1", value)
    return int(number)


def _intervals(config: Config) -> dict[str, float]:
    merged = dict(DEFAULT_INTERVALS)
    raw = config.get("http", "intervals")
    if raw is None:
        return merged
    where = _origin(config, "intervals")
    if isinstance(raw, str):  # from the environment: "host=seconds,host=seconds"
        pairs: list[tuple[str, object]] = []
        for item in filter(None, (part.strip() for part in raw.split(","))):
            host, sep, seconds = item.partition("=")
            if not sep or not host.strip():
                wanted = "host=seconds,host=seconds"
                raise ConfigError(f"{where}: [http] intervals must be {wanted}, not {raw!r}")
            pairs.append((host, seconds))
    elif isinstance(raw, dict):
        pairs = list(_flatten(raw))
    else:
        raise ConfigError(f"{where}: [http] intervals must be a table of host = seconds")
    for host, value in pairs:
        number = _number(value)
        if number is None or number < 0:
            raise ConfigError(
                f"{where}: [http.intervals] {host} must be a number of seconds >= 0, not {value!r}"
            )
        merged[host.strip().lower()] = number
    return merged


def _flatten(table: Mapping[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """Host names written without quotes (``export.arxiv.org = 3``) are nested tables in TOML."""
    pairs: list[tuple[str, object]] = []
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs.extend(_flatten(value, f"{name}."))
        else:
            pairs.append((name, value))
    return pairs


def open_client(settings: HttpSettings) -> httpx.Client:
    """An httpx client with one connection, our User-Agent, the timeout, following redirects."""
    return httpx.Client(
        headers={"User-Agent": settings.user_agent},
        timeout=httpx.Timeout(settings.timeout),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        follow_redirects=True,
    )


# --- the client -------------------------------------------------------------------------


@dataclass(slots=True)
class _Failure:
    """Why one try failed."""

    what: str
    status: int | None = None
    retry_after: float | None = None
    cause: BaseException | None = None


class PoliteClient:
    """Paces, retries and explains the requests of every source sharing one connection.

    ``requests_made`` counts the requests sent (retries included); ``waited`` sums the seconds
    slept for host intervals and backoff. ``sleep``, ``clock`` and ``rng`` are injectable so
    tests can check the exact waits without waiting.
    """

    def __init__(
        self,
        client: httpx.Client,
        settings: HttpSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.settings = settings
        self.requests_made = 0
        self.waited = 0.0
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._starts: dict[str, float] = {}
        self._lock = threading.Lock()

    def interval(self, host: str) -> float:
        """The minimum seconds between the starts of two requests to ``host``."""
        return self.settings.intervals.get(host.lower(), self.settings.default_interval)

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        source: str = "",
    ) -> httpx.Response:
        """GET ``url`` (retried as the etiquette says); any status below 400 is returned."""
        return self.fetch(url, params, _unchanged, headers=headers, source=source)

    def post_json(
        self,
        url: str,
        payload: Any,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        source: str = "",
    ) -> httpx.Response:
        """POST ``payload`` as JSON (for read-only batch APIs, so it is retried like a GET)."""
        return self.fetch(
            url, params, _unchanged, method="POST", json=payload, headers=headers, source=source
        )

    def fetch(
        self,
        url: str,
        params: Mapping[str, str | int] | None,
        parse: Callable[[httpx.Response], T],
        *,
        method: str = "GET",
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        source: str = "",
    ) -> T:
        """Request ``url`` and ``parse`` the response; a FormatError from ``parse`` (a body cut
        short or broken) is retried like a server error. Raise FeedUnavailable (RateLimited
        for 429s and long Retry-Afters) when the request cannot succeed."""
        method = method.upper()
        try:
            target = httpx.URL(url)
            if params:
                target = target.copy_merge_params(params)
        except httpx.InvalidURL as exc:
            raise FeedUnavailable(f"{source or 'http'}: {method} {url!r}: {exc}") from exc
        attempts = max(1, self.settings.attempts)
        secrets = _secrets(target, self.client.headers, headers)
        where = f"{source or target.host}: {method} {safe_url(target)}"
        attempt = 0
        while True:
            attempt += 1
            self._pace(target.host)
            self.requests_made += 1
            try:
                response = self.client.request(
                    method, target, json=json, headers=headers, timeout=self.settings.timeout
                )
            except httpx.TimeoutException as exc:
                failure = _Failure(f"timed out after {self.settings.timeout:g} s", cause=exc)
            except (httpx.UnsupportedProtocol, httpx.TooManyRedirects) as exc:
                raise FeedUnavailable(f"{where}: {_mask(_one_line(exc), secrets)}") from exc
            except (httpx.TransportError, httpx.DecodingError) as exc:
                failure = _Failure(_describe(exc), cause=exc)
            else:
                status = response.status_code
                if status < 400:
                    try:
                        return parse(response)
                    except FormatError as exc:
                        what = f"the response could not be read: {_one_line(exc)}"
                        failure = _Failure(what, cause=exc)
                elif status in (408, 429) or status >= 500:
                    failure = self._refusal(response, where)
                else:
                    text = f"{where}: {_status(response)}{_snippet(response)}"
                    raise FeedUnavailable(_mask(text, secrets), status=status)
            if attempt >= attempts:
                raise _give_up(where, failure, attempts, secrets)
            wait = failure.retry_after
            if wait is None:
                wait = self._backoff(attempt)
            log.info(
                "%s: %s; try %d of %d in %.2f s", where, failure.what, attempt + 1, attempts, wait
            )
            self._pause(wait)

    def _backoff(self, failures: int) -> float:
        """Full jitter: a random wait up to ``backoff * 2**(failures - 1)``, capped."""
        ceiling = min(self.settings.backoff_max, self.settings.backoff * 2.0 ** (failures - 1))
        return self._rng() * ceiling

    def _refusal(self, response: httpx.Response, where: str) -> _Failure:
        """A retryable status; RateLimited at once if it asks us to wait too long."""
        status = response.status_code
        retry_after = _retry_after(response)
        cap = self.settings.retry_after_max
        if retry_after is not None and retry_after > cap:
            raise RateLimited(
                f"{where}: {_status(response)} asks to retry after {retry_after:g} s, "
                f"more than [http] retry_after_max ({cap:g} s)",
                status=status,
                retry_after=retry_after,
            )
        return _Failure(_status(response), status=status, retry_after=retry_after)

    def _pace(self, host: str) -> None:
        """Wait until ``host``'s interval has passed since the start of its last request."""
        with self._lock:
            now = self._clock()
            last = self._starts.get(host)
            wait = 0.0 if last is None else max(0.0, last + self.interval(host) - now)
            self._starts[host] = now + wait  # reserved, so that another thread queues behind
        if wait > 0:
            self._pause(wait)
            with self._lock:
                self._starts[host] = max(self._starts[host], self._clock())

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)
            self.waited += seconds


def _unchanged(response: httpx.Response) -> httpx.Response:
    return response


def _give_up(where: str, failure: _Failure, attempts: int, secrets: list[str]) -> FeedUnavailable:
    tries = f"{attempts} attempt" + ("s" if attempts != 1 else "")
    if failure.status is not None:
        text = f"{where}: {failure.what} after {tries}"
    else:
        text = f"{where}: {failure.what} ({tries})"
    kind = RateLimited if failure.status == 429 else FeedUnavailable
    error = kind(_mask(text, secrets), status=failure.status)
    error.__cause__ = failure.cause
    return error


def _status(response: httpx.Response) -> str:
    status = response.status_code
    reason = response.reason_phrase
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"{status} {reason}".strip()


def _retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds from now (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        if when is None:
            return None
        # Measured against the server's own clock when it says the time, to ignore skew.
        now = _http_date(response.headers.get("Date", "")) or dt.datetime.now(dt.UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _http_date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the response was cut short: {_one_line(exc)}"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect: {_one_line(exc)}"
    if isinstance(exc, httpx.DecodingError):
        return f"the response could not be decoded: {_one_line(exc)}"
    return f"the connection failed: {_one_line(exc)}"


def _snippet(response: httpx.Response) -> str:
    """``: <the body's start>`` on one line, unless the body is empty or an HTML page."""
    if "html" in response.headers.get("Content-Type", "").lower():
        return ""
    text = " ".join(response.text.split())
    if not text or text[:15].lower().startswith(("<!doctype html", "<html")):
        return ""
    return ": " + (text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _secrets(url: httpx.URL, *header_sets: Mapping[str, str] | None) -> list[str]:
    """The values that must never appear in a message: secret parameters and headers."""
    found = {value for name, value in url.params.multi_items() if name.lower() in SECRET_PARAMS}
    for headers in header_sets:
        for name, value in (headers or {}).items():
            if _SECRET_HEADER.search(name):
                found.update({value, value.split()[-1] if value.split() else value})
    return sorted((value for value in found if len(value) >= 4), key=len, reverse=True)


def _mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, _MASK)
    return text


class _MaskUrls(logging.Filter):
    """Mask secret query parameters in httpx's own request log (``HTTP Request: GET url``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(safe_url(a) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def _install_log_mask() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskUrls) for f in logger.filters):
        logger.addFilter(_MaskUrls())


_install_log_mask()
