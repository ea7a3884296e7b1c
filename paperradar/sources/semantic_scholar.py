"""Semantic Scholar: an author's papers (Graph API) and recommendations (Recommendations API).

``author_papers`` reads ``GET /graph/v1/author/{id}/papers?fields=...&offset=N&limit=100``,
whose answer is ``{"offset": 0, "next": 100, "data": [paper, ...]}``; the last page has no
``next``. It serves profile building ("my papers are those of S2 author 1741101").

:class:`S2RecommendationsSource` is a live source: one
``POST /recommendations/v1/papers/?fields=...&limit=N`` a day with
``{"positivePaperIds": [...], "negativePaperIds": [...]}``, answered by
``{"recommendedPapers": [paper, ...]}``::

    checkpoint  {"date": "2026-11-20"}
    cursor      {"date": "2026-11-20"}      # start() returns None until the date changes

A paper object maps to :class:`~paperradar.models.Paper` as follows: ``paperId`` -> s2_id,
``externalIds.ArXiv`` -> arxiv_id, ``externalIds.DOI`` -> doi, ``title``, ``abstract``
(often null), ``authors[].name``, ``publicationDate`` -> submitted, ``journal``/``venue``
(with the year) -> journal_ref, ``url`` -> links["s2"]. A bare ``year`` without a date
fills no date field (the model has no year-only date); it is kept in ``journal_ref``.

Requests carry ``x-api-key`` when a key is configured (option ``api_key``, else
``$PAPERRADAR_S2_API_KEY``); the key never appears in messages or logged URLs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from paperradar import identifiers
from paperradar.errors import FormatError, SourceError
from paperradar.models import Paper, Sighting
from paperradar.readers.base import BadRecord, Record, clean_text
from paperradar.sources.base import Checkpoint, Cursor, Page
from paperradar.sources.http import PoliteClient, safe_url
from paperradar.sources.options import (
    check_keys,
    checkpoint_date,
    explain_refusal,
    host_of,
    json_date,
    json_str,
    option_error,
    option_int,
    option_list,
    option_secret,
    option_url,
    paper_links,
)

KIND = "s2-recommendations"
S2_BASE = "https://api.semanticscholar.org"
API_KEY_ENV = "PAPERRADAR_S2_API_KEY"
SERVICE = "Semantic Scholar"
#: the sighting source of an author's papers
AUTHOR_SOURCE = "semantic-scholar"
PAPER_FIELDS = "paperId,externalIds,url,title,abstract,venue,year,publicationDate,journal,authors"
#: the Graph API's page size for an author's papers
PAGE_SIZE = 100
#: the Recommendations API answers at most this many papers
MAX_RECOMMENDATIONS = 500
#: journal names S2 gives preprints: not a journal reference
_PREPRINT_VENUES = frozenset({"arxiv", "arxiv.org", "biorxiv", "medrxiv"})
#: our alias prefixes to the Graph API's id prefixes
_ID_PREFIXES = {"arxiv": "ARXIV:", "doi": "DOI:", "s2": "", "corpusid": "CorpusId:"}


# ------------------------------------------------------------------------- author's papers


def author_papers(
    client: PoliteClient,
    author_id: str,
    *,
    base_url: str = S2_BASE,
    api_key: str | None = None,
) -> list[Paper]:
    """Every paper of Semantic Scholar author ``author_id``, page by page.

    ``api_key`` None reads ``$PAPERRADAR_S2_API_KEY``; "" sends no key. Raises SourceError
    ("Semantic Scholar has no author 123") for an unknown author.
    """
    author = _author_path(author_id)
    url = f"{base_url.rstrip('/')}/graph/v1/author/{author}/papers"
    headers = key_headers(api_key)
    papers: list[Paper] = []
    offset = 0
    while True:
        params: dict[str, str | int] = {
            "fields": PAPER_FIELDS,
            "offset": offset,
            "limit": PAGE_SIZE,
        }
        with explain_refusal(_refusals(f"{SERVICE} has no author {author_id.strip()}")):
            body = client.fetch(
                url, params, _json_parser("data"), headers=headers, source=AUTHOR_SOURCE
            )
        for item in body["data"]:
            record = read_paper(item, AUTHOR_SOURCE, None)
            if isinstance(record, Paper):
                papers.append(record)
        following = body.get("next")
        if isinstance(following, bool) or not isinstance(following, int) or following <= offset:
            return papers
        offset = following


def author_name(
    client: PoliteClient,
    author_id: str,
    *,
    base_url: str = S2_BASE,
    api_key: str | None = None,
) -> str:
    """The name Semantic Scholar gives author ``author_id`` (for messages)."""
    url = f"{base_url.rstrip('/')}/graph/v1/author/{_author_path(author_id)}"
    headers = key_headers(api_key)
    with explain_refusal(_refusals(f"{SERVICE} has no author {author_id.strip()}")):
        body = client.fetch(
            url, {"fields": "name"}, _json_parser(), headers=headers, source=AUTHOR_SOURCE
        )
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourceError(f"{SERVICE} gives author {author_id} no name ({url})")
    return clean_text(name)


def key_headers(api_key: str | None) -> dict[str, str]:
    """The ``x-api-key`` header: from ``api_key``, else (None) from the environment."""
    key = os.environ.get(API_KEY_ENV, "") if api_key is None else api_key
    return {"x-api-key": key.strip()} if key.strip() else {}


def _author_path(author_id: str) -> str:
    value = author_id.strip()
    if not value:
        raise SourceError(f"{SERVICE}: empty author id")
    return quote(value, safe="")


# ------------------------------------------------------------------------- recommendations


@dataclass(slots=True)
class S2RecommendationsSource:
    """Papers Semantic Scholar recommends for some liked (and disliked) papers, once a day."""

    name: str
    #: paper ids in the Graph API's forms: "ARXIV:2401.00001", "DOI:10.…", an S2 paper id
    positive: list[str]
    negative: list[str] = field(default_factory=list)
    base_url: str = S2_BASE
    api_key: str | None = None
    limit: int = 100
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.host = host_of(self.base_url)

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"S2RecommendationsSource(name={self.name!r}, positive={self.positive!r})"

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        if cursor.get("date") == today.isoformat():
            return None
        return {"date": today.isoformat()}

    def describe(self, checkpoint: Checkpoint) -> str:
        return safe_url(self._endpoint(), self._params())

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        day = checkpoint_date(self.name, checkpoint, "date")
        url = self.describe(checkpoint)
        payload = {"positivePaperIds": self.positive, "negativePaperIds": self.negative}
        not_found = f"{SERVICE} cannot recommend for [sources.{self.name}] positive: {{error}}"
        with explain_refusal(_refusals(not_found)):
            body = client.fetch(
                self._endpoint(),
                self._params(),
                _json_parser("recommendedPapers"),
                method="POST",
                json=payload,
                headers=key_headers(self.api_key or ""),
                source=self.name,
            )
        records = [
            read_paper(item, KIND, url, seen_on=day, rank=rank)
            for rank, item in enumerate(body["recommendedPapers"], start=1)
        ]
        return Page(records, None, {"date": day.isoformat()}, request=url)

    def _endpoint(self) -> str:
        return f"{self.base_url}/recommendations/v1/papers/"

    def _params(self) -> dict[str, str | int]:
        return {"fields": PAPER_FIELDS, "limit": self.limit}


def from_config(name: str, table: Mapping[str, Any]) -> S2RecommendationsSource:
    """An :class:`S2RecommendationsSource` from the ``[sources.NAME]`` table."""
    check_keys(name, table, {"base_url", "positive", "negative", "limit", "api_key"})
    positive = [s2_paper_id(name, "positive", i) for i in option_list(name, table, "positive")]
    if not positive:
        raise option_error(
            name,
            "positive",
            'give at least one paper id (e.g. "ArXiv:2401.00001", '
            '"DOI:10.1145/3442188.3445922" or an S2 paper id)',
        )
    return S2RecommendationsSource(
        name=name,
        positive=positive,
        negative=[s2_paper_id(name, "negative", i) for i in option_list(name, table, "negative")],
        base_url=option_url(name, table, "base_url", S2_BASE),
        api_key=option_secret(name, table, "api_key", API_KEY_ENV),
        limit=option_int(name, table, "limit", 100, 1, MAX_RECOMMENDATIONS),
    )


def s2_paper_id(name: str, key: str, text: str) -> str:
    """A paper id as the Graph API takes it; our aliases (``arxiv:…``, ``doi:…``, ``s2:…``)
    are translated, the API's own forms (``ArXiv:…``, ``DOI:…``, ``CorpusId:…``) kept."""
    scheme, colon, rest = text.partition(":")
    if not colon:
        return text  # a Semantic Scholar paper id
    if not rest.strip():
        raise option_error(name, key, f"{text!r} is not a paper id")
    prefix = _ID_PREFIXES.get(scheme.lower())
    # another of the API's prefixes (MAG:, ACL:, PMID:, URL:, ...) goes as it is
    return text if prefix is None else prefix + rest.strip()


# ------------------------------------------------------------------------ the paper object


def read_paper(
    item: Any,
    source: str,
    locator: str | None,
    *,
    seen_on: dt.date | None = None,
    rank: int | None = None,
) -> Record:
    """A Graph API paper object as a Paper (a BadRecord when it has no id or no title).

    The sighting's locator is ``locator``, else the paper's own S2 URL.
    """
    if not isinstance(item, dict) or not isinstance(item.get("paperId"), str):
        return BadRecord(None, f"item {rank or '?'}: not a paper object with a paperId")
    title = clean_text(json_str(item, "title"))
    abstract = clean_text(json_str(item, "abstract"))
    if not title and not abstract:
        return BadRecord(None, f"paper {item['paperId']}: no title and no abstract")
    paper = Paper(title=title, abstract=abstract, s2_id=item["paperId"])
    paper.authors = _authors(item.get("authors"))
    _set_external_ids(paper, item.get("externalIds"))
    paper.submitted = json_date(item.get("publicationDate"))
    paper.journal_ref = journal_ref(item)
    s2_url = json_str(item, "url") or f"https://www.semanticscholar.org/paper/{paper.s2_id}"
    paper.links = {**paper_links(paper), "s2": s2_url}
    paper.sightings.append(
        Sighting(source=source, locator=locator or s2_url, seen_on=seen_on, rank=rank)
    )
    return paper


def journal_ref(item: Mapping[str, Any]) -> str | None:
    """The reference "Name volume, pages (year)" from ``journal`` (else ``venue``); None for
    a preprint server."""
    journal = item.get("journal")
    if not isinstance(journal, dict):
        journal = {}
    name = clean_text(json_str(journal, "name")) or clean_text(json_str(item, "venue"))
    if not name or name.lower() in _PREPRINT_VENUES:
        return None
    ref = name
    volume = clean_text(json_str(journal, "volume"))
    if volume:
        ref += f" {volume}"
    pages = "".join(json_str(journal, "pages").split())
    if pages:
        ref += f", {pages}"
    year = item.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        ref += f" ({year})"
    return ref


def _authors(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    names = (clean_text(a.get("name")) for a in value if isinstance(a, dict))
    return [n for n in names if n]


def _set_external_ids(paper: Paper, ids: Any) -> None:
    if not isinstance(ids, dict):
        return
    arxiv = identifiers.parse_arxiv_id(str(ids.get("ArXiv") or ""))
    if arxiv:
        paper.arxiv_id, paper.arxiv_version = arxiv
    paper.doi = identifiers.parse_doi(str(ids.get("DOI") or ""))


# ----------------------------------------------------------------------------- responses


def _json_parser(list_key: str | None = None) -> Callable[[httpx.Response], dict[str, Any]]:
    """The client's parse callback: the JSON object of the body, whose ``list_key`` (when
    given) must be a list; FormatError (which the client retries) for anything else."""

    def parse(response: httpx.Response) -> dict[str, Any]:
        origin = safe_url(response.request.url)
        try:
            body = response.json()
        except ValueError as exc:
            raise FormatError(origin, None, f"invalid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise FormatError(origin, None, "expected a JSON object")
        if list_key is not None:
            body.setdefault(list_key, [])
            if not isinstance(body[list_key], list):
                raise FormatError(origin, None, f"'{list_key}' is not a list")
        return body

    return parse


def _refusals(not_found: str) -> dict[int, str]:
    """How to word the client's failures: 404 as ``not_found``, 401/403 with the key hint."""
    hint = f"{{error}} (check the Semantic Scholar API key: api_key or ${API_KEY_ENV})"
    return {404: not_found, 401: hint, 403: hint}
