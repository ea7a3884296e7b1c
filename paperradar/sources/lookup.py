"""Fetching the papers a researcher names that the store lacks, and an author's papers.

By id (:func:`fetch_missing`): each reference (an arXiv id at any version or URL, a DOI, an
``s2:`` or ``hf:`` id) the store already holds is left alone; the others are fetched and
stored through the usual upsert (so deduplicated and merged like any ingest), in one
transaction:

- arXiv ids (and arXiv DOIs ``10.48550/arXiv.ID``, and ``hf:`` ids, which are arXiv ids):
  ``GET <arxiv_url>?id_list=A,B,...&max_results=N``, read by the ``arxiv-api`` source's reader;
- DOIs: ``GET <openalex_url>/works?filter=doi:A|B|...``; those OpenAlex does not know, with
  ``s2:`` ids: ``POST <s2_url>/graph/v1/paper/batch`` ``{"ids": ["DOI:...", "..."]}``.

Every reference gets an :class:`IdOutcome`: ``stored`` (already there), ``fetched``, or why
not: ``not found``, ``offline`` (no connection, a timeout) or ``refused`` (an HTTP error);
``not an id`` for text that is none. Offline (``settings`` None) nothing is fetched.

By author: :func:`arxiv_author_papers` (``search_query=au:"Name"``),
:func:`openalex_author_papers` (``filter=author.orcid:...`` or
``filter=authorships.author.id:A...``); Semantic Scholar authors are
:func:`paperradar.sources.semantic_scholar.author_papers`.

Settings (:func:`lookup_settings`): ``[lookup] arxiv_url``, ``openalex_url``, ``mailto``,
``openalex_api_key`` (else ``$PAPERRADAR_OPENALEX_API_KEY``), ``[s2] base_url`` and ``api_key``,
and the ``[http]`` table.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from paperradar import identifiers
from paperradar.config import CONFIG_NAME, Config
from paperradar.errors import ConfigError, FeedUnavailable, FormatError, SourceError, UsageError
from paperradar.models import IngestReport, Paper
from paperradar.sources import arxiv_api, openalex
from paperradar.sources import semantic_scholar as s2
from paperradar.sources.http import HttpSettings, PoliteClient, http_settings, open_client, safe_url
from paperradar.sources.options import explain_refusal
from paperradar.store.api import Store

#: ids asked for in one arXiv request, one OpenAlex filter, one S2 batch
ARXIV_BATCH = 50
OPENALEX_BATCH = 50
S2_BATCH = 500
#: the most papers an author lookup fetches
AUTHOR_LIMIT = 1000
#: an interactive lookup (the web app, ``profile add``) gives up sooner than a sync
INTERACTIVE_ATTEMPTS = 2
INTERACTIVE_TIMEOUT = 20.0

STORED, FETCHED = "stored", "fetched"
NOT_FOUND, OFFLINE, REFUSED, NOT_AN_ID = "not found", "offline", "refused", "not an id"

T = TypeVar("T")

_ORCID = re.compile(r"^(?:https?://(?:www\.)?orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.I)
_OPENALEX_AUTHOR = re.compile(r"^(?:https?://(?:www\.)?openalex\.org/)?(A\d+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LookupSettings:
    """Where the lookups ask, and how politely (``[lookup]``, ``[s2]`` and ``[http]``)."""

    http: HttpSettings
    arxiv_url: str = arxiv_api.DEFAULT_BASE_URL
    openalex_url: str = openalex.OPENALEX_BASE
    s2_url: str = s2.S2_BASE
    s2_api_key: str | None = None
    openalex_api_key: str | None = None
    mailto: str | None = None

    def __repr__(self) -> str:  # the keys stay out of logs and tracebacks
        return f"LookupSettings(arxiv_url={self.arxiv_url!r}, openalex_url={self.openalex_url!r})"


def lookup_settings(config: Config, *, interactive: bool = False) -> LookupSettings:
    """The settings of ``config``; ``interactive`` caps the tries and the timeout of each
    request (a person is waiting: an unreachable service is said in seconds, not minutes)."""
    http = http_settings(config)
    if interactive:
        http = dataclasses.replace(
            http,
            attempts=min(http.attempts, INTERACTIVE_ATTEMPTS),
            timeout=min(http.timeout, INTERACTIVE_TIMEOUT),
            backoff_max=min(http.backoff_max, 5.0),
        )
    key = config.get("lookup", "openalex_api_key") or os.environ.get(openalex.API_KEY_ENV) or None
    s2_key = config.get("s2", "api_key")
    mailto = config.get("lookup", "mailto")
    return LookupSettings(
        http=http,
        arxiv_url=_url(config, "lookup", "arxiv_url", arxiv_api.DEFAULT_BASE_URL),
        openalex_url=_url(config, "lookup", "openalex_url", openalex.OPENALEX_BASE),
        s2_url=_url(config, "s2", "base_url", s2.S2_BASE),
        s2_api_key=str(s2_key) if s2_key else None,
        openalex_api_key=str(key) if key else None,
        mailto=str(mailto) if mailto else None,
    )


def _url(config: Config, section: str, key: str, default: str) -> str:
    value = config.get(section, key, default)
    url = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        where = config.home / CONFIG_NAME
        raise ConfigError(f"{where}: [{section}] {key} must be an http(s) URL, not {value!r}")
    return url.rstrip("/")


@contextmanager
def lookup_client(settings: LookupSettings) -> Iterator[PoliteClient]:
    """A polite client for the lookups, closed afterwards."""
    with open_client(settings.http) as raw:
        yield PoliteClient(raw, settings.http)


# --------------------------------------------------------------------------- by id


@dataclass(slots=True)
class IdOutcome:
    """What became of one reference."""

    ref: str
    #: the alias it is looked up by (``arxiv:…`` for an arXiv DOI), None when it is no id
    alias: str | None
    status: str
    detail: str = ""
    row_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in (STORED, FETCHED)

    def line(self) -> str:
        """``REF: status (detail)``, one line."""
        return f"{self.ref}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass(slots=True)
class LookupResult:
    """Every reference's outcome, in the order given, and what storing the fetched did."""

    outcomes: list[IdOutcome] = field(default_factory=list)
    ingest: IngestReport = field(default_factory=IngestReport)
    requests: int = 0

    @property
    def found(self) -> list[IdOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def missing(self) -> list[IdOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def row_ids(self) -> list[int]:
        return [o.row_id for o in self.outcomes if o.row_id is not None]

    def missing_message(self, details: bool = True) -> str:
        """One line naming every reference that could not be had, with why (``details``:
        with each failure's own message too)."""
        missing = self.missing
        if not missing:
            return ""
        ids = "id" if len(self.outcomes) == 1 else "ids"
        named = (o.line() if details else f"{o.ref} ({o.status})" for o in missing)
        return f"{len(missing)} of {len(self.outcomes)} {ids} could not be added: " + "; ".join(
            named
        )

    @property
    def unreachable(self) -> bool:
        """Some reference failed for want of a service (offline or refused), not as input."""
        return any(o.status in (OFFLINE, REFUSED) for o in self.missing)


def parse_refs(text: str) -> list[str]:
    """References from pasted text: one per line, or separated by commas, spaces or
    semicolons; blank and repeated ones left out."""
    return list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text) if part))


def fetch_missing(
    store: Store,
    refs: Sequence[str],
    settings: LookupSettings | Callable[[], LookupSettings] | None,
    *,
    client: PoliteClient | None = None,
) -> LookupResult:
    """Find each reference in the store, fetch the missing ones (not when ``settings`` is
    None: offline) and store what was fetched, in one transaction. ``settings`` may be a
    function, called only when something is to be fetched (so the config is read then)."""
    result = LookupResult()
    pending: list[IdOutcome] = []
    for ref in dict.fromkeys(r.strip() for r in refs if r.strip()):
        outcome = _in_store(store, ref)
        result.outcomes.append(outcome)
        if outcome.status == "":
            pending.append(outcome)
    if not pending:
        return result
    if settings is None:
        for outcome in pending:
            outcome.status, outcome.detail = OFFLINE, "not in the store; nothing fetched"
        return result
    if callable(settings):
        settings = settings()
    if client is None:
        with lookup_client(settings) as own:
            return _fetch(store, result, pending, settings, own)
    return _fetch(store, result, pending, settings, client)


def _in_store(store: Store, ref: str) -> IdOutcome:
    """The reference found in the store (``stored``), not an id, or pending (status "")."""
    alias = _lookup_alias(identifiers.normalise_alias(ref))
    for candidate in (ref, alias):
        if candidate is None:
            continue
        try:
            return IdOutcome(ref, alias, STORED, row_id=store.papers.resolve(candidate))
        except UsageError:
            continue
    if alias is None:
        return IdOutcome(ref, None, NOT_AN_ID, "not an arXiv id, DOI, s2: or hf: id")
    return IdOutcome(ref, alias, "")


def _lookup_alias(alias: str | None) -> str | None:
    """arXiv DOIs and HF ids are arXiv ids: they are looked up (and stored) as such."""
    if alias is None:
        return None
    scheme, _, rest = alias.partition(":")
    if scheme == "doi" and rest.startswith(openalex.ARXIV_DOI_PREFIX):
        parsed = identifiers.parse_arxiv_id(rest.removeprefix(openalex.ARXIV_DOI_PREFIX))
        return f"arxiv:{parsed[0]}" if parsed else alias
    if scheme == "hf":
        parsed = identifiers.parse_arxiv_id(rest)
        return f"arxiv:{parsed[0]}" if parsed else alias
    return alias


@dataclass(slots=True)
class _Fetching:
    """Records fetched so far, and why the keys that failed failed."""

    records: list[Paper] = field(default_factory=list)
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (status, why)
    #: services that could not be reached: their other batches are not tried
    down: dict[str, tuple[str, str]] = field(default_factory=dict)


def _fetch(
    store: Store,
    result: LookupResult,
    pending: list[IdOutcome],
    settings: LookupSettings,
    client: PoliteClient,
) -> LookupResult:
    keys = list(dict.fromkeys(o.alias for o in pending if o.alias))
    by_scheme: dict[str, list[str]] = {}
    for key in keys:
        by_scheme.setdefault(identifiers.alias_scheme(key), []).append(key)
    state = _Fetching()
    before = client.requests_made
    arxiv_ids = [k.removeprefix("arxiv:") for k in by_scheme.get("arxiv", [])]
    for batch in _chunks(arxiv_ids, ARXIV_BATCH):
        _arxiv_batch(client, settings, batch, state)
    dois = [k.removeprefix("doi:") for k in by_scheme.get("doi", [])]
    unknown_dois = _openalex_dois(client, settings, dois, state)
    s2_ids = [f"DOI:{doi}" for doi in unknown_dois]
    s2_ids += [k.removeprefix("s2:") for k in by_scheme.get("s2", [])]
    for batch in _chunks(s2_ids, S2_BATCH):
        _s2_batch(client, settings, batch, state)
    for key in by_scheme.get("hf", []) + by_scheme.get("cid", []):
        state.failed[key] = (NOT_FOUND, "only ids of arXiv, DOIs and Semantic Scholar are fetched")
    result.requests = client.requests_made - before
    with store.transaction(papers=True):
        if state.records:
            store.papers.upsert(state.records, result.ingest)
        result.ingest.read = len(state.records)
        for outcome in pending:
            assert outcome.alias is not None
            try:
                outcome.row_id = store.papers.resolve(outcome.alias)
                outcome.status = FETCHED
            except UsageError:
                outcome.status, outcome.detail = state.failed.get(
                    outcome.alias, (NOT_FOUND, "no service knows it")
                )
    return result


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _failure(exc: SourceError) -> tuple[str, str]:
    """``offline`` (no answer at all) or ``refused`` (an HTTP error), with the message."""
    if isinstance(exc, FeedUnavailable) and exc.status is None:
        return OFFLINE, str(exc)
    return REFUSED, str(exc)


def _attempt(
    state: _Fetching, service: str, keys: Sequence[str], call: Callable[[], T]
) -> T | None:
    """Run one request of ``service`` for ``keys``; on failure note why for each key (and,
    when the service could not be reached, skip its later requests) and return None."""
    if service in state.down:
        for key in keys:
            state.failed[key] = state.down[service]
        return None
    try:
        return call()
    except SourceError as exc:
        why = _failure(exc)
        if why[0] == OFFLINE:
            state.down[service] = why
        for key in keys:
            state.failed[key] = why
        return None


def _arxiv_batch(
    client: PoliteClient, settings: LookupSettings, ids: list[str], state: _Fetching
) -> None:
    keys = [f"arxiv:{i}" for i in ids]
    params: dict[str, str | int] = {"id_list": ",".join(ids), "max_results": len(ids)}

    def call() -> tuple[list[Paper], str | None]:
        feed = client.fetch(settings.arxiv_url, params, arxiv_api.read_feed, source="arxiv")
        return [r for r in feed.records if isinstance(r, Paper)], feed.error

    answer = _attempt(state, "arxiv", keys, call)
    if answer is None:
        return
    papers, error = answer
    if error:  # arXiv refuses the whole list for one id it cannot read: ask singly
        if len(ids) == 1:
            state.failed[keys[0]] = (NOT_FOUND, f"arXiv: {error}")
        else:
            for one in ids:
                _arxiv_batch(client, settings, [one], state)
        return
    state.records.extend(papers)
    for key in keys:
        state.failed.setdefault(key, (NOT_FOUND, "arXiv has no such paper"))


def _openalex_dois(
    client: PoliteClient, settings: LookupSettings, dois: list[str], state: _Fetching
) -> list[str]:
    """Ask OpenAlex for the DOIs; the DOIs it did not return (for Semantic Scholar)."""
    plain = [d for d in dois if not re.search(r"[|,]", d)]
    returned: set[str] = set()
    for batch in _chunks(plain, OPENALEX_BATCH):
        params: dict[str, str | int] = {
            "filter": "doi:" + "|".join(batch),
            "select": openalex.WORK_FIELDS,
            "per-page": len(batch),
        }

        def call(params: dict[str, str | int] = params) -> list[Paper]:
            return _works(client, settings, params)[0]

        papers = _attempt(state, "openalex", [f"doi:{d}" for d in batch], call) or []
        state.records.extend(papers)
        returned.update(p.doi for p in papers if p.doi)
    return [d for d in dois if d not in returned]


def _works(
    client: PoliteClient, settings: LookupSettings, params: dict[str, str | int]
) -> tuple[list[Paper], dict[str, Any]]:
    """One ``GET /works`` of OpenAlex: its works as papers, and the body (for ``meta``)."""
    url = f"{settings.openalex_url}/works"
    params = dict(params)
    if settings.mailto:
        params["mailto"] = settings.mailto
    if settings.openalex_api_key:
        params["api_key"] = settings.openalex_api_key  # shown as *** in every message
    shown = safe_url(url, params)
    with explain_refusal(openalex.REFUSALS):
        body = client.fetch(
            url, params, lambda r: openalex.read_works_page(r.text, shown), source="openalex"
        )
    works = (openalex.read_work(item, shown) for item in body["results"])
    return [w for w in works if isinstance(w, Paper)], body


def _s2_batch(
    client: PoliteClient, settings: LookupSettings, ids: list[str], state: _Fetching
) -> None:
    keys = [f"doi:{i.removeprefix('DOI:')}" if i.startswith("DOI:") else f"s2:{i}" for i in ids]
    url = f"{settings.s2_url}/graph/v1/paper/batch"

    def call() -> list[Paper]:
        with explain_refusal({401: "{error} (check [s2] api_key)", 403: "{error}"}):
            items = client.fetch(
                url,
                {"fields": s2.PAPER_FIELDS},
                _json_list,
                method="POST",
                json={"ids": ids},
                headers=s2.key_headers(settings.s2_api_key),
                source="semantic-scholar",
            )
        papers = [s2.read_paper(item, s2.AUTHOR_SOURCE, None) for item in items if item]
        return [p for p in papers if isinstance(p, Paper)]

    papers = _attempt(state, "semantic-scholar", keys, call)
    if papers is not None:
        state.records.extend(papers)
        for key in keys:  # a key whose state was an earlier service's failure keeps it
            state.failed.setdefault(key, (NOT_FOUND, "neither OpenAlex nor Semantic Scholar"))
    for key in keys:
        if key in state.failed and state.failed[key][0] == NOT_FOUND and key.startswith("s2:"):
            state.failed[key] = (NOT_FOUND, "Semantic Scholar has no such paper")


def _json_list(response: httpx.Response) -> list[Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise FormatError(safe_url(response.request.url), None, f"invalid JSON: {exc}") from None
    if not isinstance(body, list):
        raise FormatError(safe_url(response.request.url), None, "expected a JSON list")
    return body


# --------------------------------------------------------------------------- by author


def arxiv_author_papers(
    client: PoliteClient, settings: LookupSettings, name: str, limit: int = AUTHOR_LIMIT
) -> list[Paper]:
    """Papers arXiv lists under the author ``name`` (``search_query=au:"Name"``), newest
    first, up to ``limit``. arXiv matches names loosely: callers keep those whose author
    list holds the name."""
    words = " ".join(re.sub(r'["\\]', " ", name).split())
    if not words:
        raise UsageError("--arxiv: the author name is empty")
    papers: list[Paper] = []
    start = 0
    while len(papers) < limit:
        size = min(100, limit - len(papers))
        params: dict[str, str | int] = {
            "search_query": f'au:"{words}"',
            "sortBy": "submittedDate",
            "sortOrder": "descending",
            "start": start,
            "max_results": size,
        }
        feed = client.fetch(settings.arxiv_url, params, arxiv_api.read_feed, source="arxiv")
        if feed.error:
            raise SourceError(f"arxiv: {feed.error}")
        papers += [r for r in feed.records if isinstance(r, Paper)]
        start += len(feed.records)
        if not feed.records or start >= feed.total:
            break
    return papers


def orcid_id(text: str) -> str:
    """An ORCID iD (``0000-0002-1825-0097``, or its orcid.org URL), checked by its check digit."""
    match = _ORCID.match(text.strip())
    if not match:
        raise UsageError(f"{text!r} is not an ORCID iD (like 0000-0002-1825-0097)")
    value = match.group(1).upper()
    digits = value.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        raise UsageError(f"{text!r} is not an ORCID iD: its check digit is wrong")
    return value


def openalex_author_id(text: str) -> str:
    """An OpenAlex author id (``A5023888391`` or its openalex.org URL)."""
    match = _OPENALEX_AUTHOR.match(text.strip())
    if not match:
        raise UsageError(f"{text!r} is not an OpenAlex author id (like A5023888391)")
    return match.group(1).upper()


def openalex_author_papers(
    client: PoliteClient,
    settings: LookupSettings,
    *,
    orcid: str | None = None,
    author: str | None = None,
    limit: int = AUTHOR_LIMIT,
) -> list[Paper]:
    """The works of an author by ORCID (``filter=author.orcid:…``) or OpenAlex id
    (``filter=authorships.author.id:A…``), cursor-paged, up to ``limit``."""
    if orcid:
        expression = f"author.orcid:{orcid_id(orcid)}"
    elif author:
        expression = f"authorships.author.id:{openalex_author_id(author)}"
    else:
        raise UsageError("give an ORCID iD or an OpenAlex author id")
    papers: list[Paper] = []
    cursor = "*"
    while len(papers) < limit:
        params: dict[str, str | int] = {
            "filter": expression,
            "select": openalex.WORK_FIELDS,
            "per-page": 100,
            "cursor": cursor,
        }
        found, body = _works(client, settings, params)
        papers += found
        results: list[Any] = body["results"]
        following = body["meta"].get("next_cursor")
        if not results or not isinstance(following, str) or not following:
            break
        cursor = following
    return papers[:limit]


@dataclass(frozen=True, slots=True)
class AuthorPapers:
    """An author's papers as one service lists them, and how to name where they came from."""

    #: the author as messages name them ("Maya Lindqvist (2712345)", "ORCID 0000-…")
    author: str
    #: the service asked ("Semantic Scholar", "arXiv", "OpenAlex")
    service: str
    #: the profile's record of where the papers came from ("s2-author:2712345", ...)
    origin: str
    papers: list[Paper]


def fetch_author(
    settings: LookupSettings,
    *,
    s2_id: str | None = None,
    arxiv_name: str | None = None,
    orcid: str | None = None,
    openalex_id: str | None = None,
    client: PoliteClient | None = None,
) -> AuthorPapers:
    """The papers of the one author given: a Semantic Scholar author id, an arXiv author
    name, an ORCID iD or an OpenAlex author id (a UsageError unless exactly one is given)."""
    given = [v for v in (s2_id, arxiv_name, orcid, openalex_id) if v]
    if len(given) != 1:
        raise UsageError("give one of --s2 ID, --arxiv NAME, --orcid ID or --openalex ID")
    if orcid:
        orcid = orcid_id(orcid)  # checked before any request
    if openalex_id:
        openalex_id = openalex_author_id(openalex_id)
    if client is None:
        with lookup_client(settings) as own:
            return _fetch_author(own, settings, s2_id, arxiv_name, orcid, openalex_id)
    return _fetch_author(client, settings, s2_id, arxiv_name, orcid, openalex_id)


def _fetch_author(
    client: PoliteClient,
    settings: LookupSettings,
    s2_id: str | None,
    arxiv_name: str | None,
    orcid: str | None,
    openalex_id: str | None,
) -> AuthorPapers:
    if s2_id:
        url, key = settings.s2_url, settings.s2_api_key
        name = s2.author_name(client, s2_id, base_url=url, api_key=key)
        papers = s2.author_papers(client, s2_id, base_url=url, api_key=key)
        return AuthorPapers(f"{name} ({s2_id})", s2.SERVICE, f"s2-author:{s2_id}", papers)
    if arxiv_name:
        papers = arxiv_author_papers(client, settings, arxiv_name)
        return AuthorPapers(arxiv_name, "arXiv", f"arxiv-author:{arxiv_name}", papers)
    if orcid:
        papers = openalex_author_papers(client, settings, orcid=orcid)
        return AuthorPapers(f"ORCID {orcid}", openalex.SERVICE, f"orcid:{orcid}", papers)
    assert openalex_id is not None
    papers = openalex_author_papers(client, settings, author=openalex_id)
    return AuthorPapers(openalex_id, openalex.SERVICE, f"openalex-author:{openalex_id}", papers)
