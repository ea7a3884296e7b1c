"""OpenAlex works of some authors, concepts or topics, harvested by cursor paging.

One run asks ``GET /works?filter=...&per-page=N&cursor=*`` and follows ``meta.next_cursor``
until it is null or a page comes back empty. The filter is built from the options, each
kind ANDed with the others and the ids of one kind ORed::

    authorships.author.id:A5023888391|A5000000001,topics.id:T10181,
    from_publication_date:2026-11-13

    checkpoint  {"cursor": "*", "from": "2026-11-13", "run_started": "2026-11-20"}
    cursor      {"from": "2026-11-20"}      # the next run re-reads the run's own day

A work maps to :class:`~paperradar.models.Paper` as follows: ``display_name``/``title`` ->
title; ``abstract_inverted_index`` (word -> positions) rebuilt in position order ->
abstract; ``authorships[].author.display_name`` -> authors; ``ids.doi``/``doi`` (without
``https://doi.org/``) -> doi; an arXiv id from ``ids.arxiv``, an arXiv DOI (10.48550/arXiv.…)
or a location's ``arxiv.org/abs/…`` URL -> arxiv_id; ``publication_date`` -> submitted;
``primary_location.source.display_name`` -> journal_ref (not for a repository such as
arXiv); topics and well-scored concepts -> keywords; ``id`` -> links["openalex"].

Etiquette: ``mailto`` (option) identifies the client; an API key (option ``api_key``, else
``$PAPERRADAR_OPENALEX_API_KEY``) is sent as the ``api_key`` parameter and shown as ``***``
in every logged URL and message.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperradar import identifiers
from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers.base import BadRecord, Record, clean_text
from paperradar.sources.base import Checkpoint, Cursor, Page
from paperradar.sources.http import PoliteClient, safe_url
from paperradar.sources.options import (
    check_keys,
    checkpoint_date,
    explain_refusal,
    first_day,
    host_of,
    json_date,
    json_str,
    option_date,
    option_error,
    option_int,
    option_list,
    option_secret,
    option_str,
    option_url,
    paper_links,
    state_date,
)

KIND = "openalex"
OPENALEX_BASE = "https://api.openalex.org"
API_KEY_ENV = "PAPERRADAR_OPENALEX_API_KEY"
SERVICE = "OpenAlex"
#: current documentation allows 1-100 results a page (older documentation: 200)
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 200
#: concepts scored below this are too loose to be a paper's keywords
CONCEPT_MIN_SCORE = 0.3
#: the work fields a harvest reads (``select`` keeps the answers small)
WORK_FIELDS = (
    "id,doi,ids,title,display_name,publication_date,authorships,primary_location,"
    "locations,topics,concepts,abstract_inverted_index"
)
#: option -> (filter attribute, id letter)
FILTERS = {
    "author": ("authorships.author.id", "A"),
    "concept": ("concepts.id", "C"),
    "topic": ("topics.id", "T"),
}
#: the client's failures reworded: OpenAlex wants an API key for most list requests
REFUSALS = {
    status: f"{{error}} (OpenAlex needs an API key: api_key or ${API_KEY_ENV})"
    for status in (401, 403)
}
#: arXiv's DataCite DOIs (lower-cased, as identifiers.parse_doi gives them)
ARXIV_DOI_PREFIX = "10.48550/arxiv."

_ENTITY_ID = re.compile(r"^(?:https?://(?:www\.)?openalex\.org/)?([ACT])(\d+)$", re.IGNORECASE)


@dataclass(slots=True)
class OpenAlexSource:
    """Recent works matching a filter, from ``from_publication_date`` on."""

    name: str
    #: filter attribute -> ids (ORed), e.g. {"authorships.author.id": ["A5023888391"]}
    filters: dict[str, list[str]]
    base_url: str = OPENALEX_BASE
    since: dt.date | None = None
    mailto: str | None = None
    api_key: str | None = None
    per_page: int = DEFAULT_PER_PAGE
    host: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.host = host_of(self.base_url)

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"OpenAlexSource(name={self.name!r}, filters={self.filters!r})"

    def start(self, cursor: Cursor, today: dt.date) -> Checkpoint | None:
        since = state_date(self.name, cursor, "from") or first_day(self.since, today)
        return {"cursor": "*", "from": since.isoformat(), "run_started": today.isoformat()}

    def describe(self, checkpoint: Checkpoint) -> str:
        return safe_url(self._endpoint(), self._params(checkpoint))

    def fetch(self, client: PoliteClient, checkpoint: Checkpoint) -> Page:
        run_started = checkpoint_date(self.name, checkpoint, "run_started")
        url = self.describe(checkpoint)

        def parse(response: httpx.Response) -> dict[str, Any]:
            return read_works_page(response.text, url)

        with explain_refusal(REFUSALS):
            body = client.fetch(self._endpoint(), self._params(checkpoint), parse, source=self.name)
        results: list[Any] = body["results"]
        records = [read_work(item, url, run_started) for item in results]
        following = body["meta"].get("next_cursor")
        if not results or not isinstance(following, str) or not following:
            return Page(records, None, {"from": run_started.isoformat()}, request=url)
        return Page(records, {**checkpoint, "cursor": following}, request=url)

    def filter_expression(self, checkpoint: Checkpoint) -> str:
        """The ``filter`` parameter: each kind's ids ORed, the kinds and the date ANDed."""
        since = checkpoint_date(self.name, checkpoint, "from")
        parts = [f"{attr}:{'|'.join(ids)}" for attr, ids in self.filters.items() if ids]
        parts.append(f"from_publication_date:{since.isoformat()}")
        return ",".join(parts)

    def _endpoint(self) -> str:
        return f"{self.base_url}/works"

    def _params(self, checkpoint: Checkpoint) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "filter": self.filter_expression(checkpoint),
            "select": WORK_FIELDS,
            "per-page": self.per_page,
            "cursor": str(checkpoint["cursor"]),
        }
        if self.mailto:
            params["mailto"] = self.mailto
        if self.api_key:
            params["api_key"] = self.api_key  # safe_url and the client show it as ***
        return params


# ------------------------------------------------------------------------------- config


def from_config(name: str, table: Mapping[str, Any]) -> OpenAlexSource:
    """An :class:`OpenAlexSource` from the ``[sources.NAME]`` table of config.toml."""
    check_keys(name, table, {"base_url", "since", "mailto", "api_key", "per_page", *FILTERS.keys()})
    filters = {
        attr: _entity_ids(name, table, key, letter) for key, (attr, letter) in FILTERS.items()
    }
    if not any(filters.values()):
        raise option_error(
            name,
            "author",
            'give author, concept or topic ids (e.g. author = "A5023888391"); '
            "OpenAlex would send every new work",
        )
    mailto = option_str(name, table, "mailto")
    if mailto is not None and "@" not in mailto:
        raise option_error(name, "mailto", f"expected an email address, got {mailto!r}")
    return OpenAlexSource(
        name=name,
        filters={attr: ids for attr, ids in filters.items() if ids},
        base_url=option_url(name, table, "base_url", OPENALEX_BASE),
        since=option_date(name, table, "since"),
        mailto=mailto,
        api_key=option_secret(name, table, "api_key", API_KEY_ENV),
        per_page=option_int(name, table, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    )


def _entity_ids(name: str, table: Mapping[str, Any], key: str, letter: str) -> list[str]:
    """OpenAlex ids of one kind, short form (``A5023888391``), from ids or openalex.org URLs."""
    out = []
    for text in option_list(name, table, key):
        match = _ENTITY_ID.match(text)
        if not match or match.group(1).upper() != letter:
            raise option_error(
                name, key, f"{text!r} is not an OpenAlex {key} id (like {letter}5023888391)"
            )
        out.append(letter + match.group(2))
    return out


# ------------------------------------------------------------------------------ responses


def read_works_page(text: str, url: str) -> dict[str, Any]:
    """The body of a ``/works`` answer; FormatError (retried) unless it has results and meta."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise FormatError(url, None, f"invalid JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise FormatError(url, None, "expected a JSON object with a 'results' list")
    if not isinstance(body.get("meta"), dict):
        raise FormatError(url, None, "expected a 'meta' object")
    return body


def read_work(item: Any, locator: str, seen_on: dt.date | None = None) -> Record:
    """An OpenAlex work as a Paper (a BadRecord when it has no id, or no title nor abstract)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return BadRecord(None, "not a work object with an id")
    title = clean_text(json_str(item, "display_name") or json_str(item, "title"))
    abstract = clean_text(rebuild_abstract(item.get("abstract_inverted_index")))
    if not title and not abstract:
        return BadRecord(None, f"work {item['id']}: no title and no abstract")
    paper = Paper(title=title, abstract=abstract, authors=_authors(item.get("authorships")))
    ids = item.get("ids")
    if not isinstance(ids, dict):
        ids = {}
    paper.doi = identifiers.parse_doi(json_str(ids, "doi") or json_str(item, "doi"))
    arxiv = _arxiv_id(item, ids, paper.doi)
    if arxiv:
        paper.arxiv_id, paper.arxiv_version = arxiv
    paper.submitted = json_date(item.get("publication_date"))
    paper.journal_ref = _journal(item.get("primary_location"))
    paper.keywords = _keywords(item)
    paper.links = {**paper_links(paper), "openalex": item["id"]}
    paper.sightings.append(Sighting(source=KIND, locator=locator, seen_on=seen_on))
    return paper


def rebuild_abstract(index: Any) -> str:
    """The abstract an inverted index (word -> positions) stands for, words in position order."""
    if not isinstance(index, dict):
        return ""
    at: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(word, str) or not isinstance(positions, list):
            continue
        for position in positions:
            if isinstance(position, int) and not isinstance(position, bool):
                at[position] = word
    return " ".join(at[p] for p in sorted(at))


def _authors(authorships: Any) -> list[str]:
    if not isinstance(authorships, list):
        return []
    names = []
    for authorship in authorships:
        author = authorship.get("author") if isinstance(authorship, dict) else None
        name = clean_text(json_str(author, "display_name")) if isinstance(author, dict) else ""
        if name:
            names.append(name)
    return names


def _arxiv_id(
    item: Mapping[str, Any], ids: Mapping[str, Any], doi: str | None
) -> tuple[str, int | None] | None:
    """From ``ids.arxiv``, an arXiv DOI (10.48550/arXiv.…) or a location on arxiv.org."""
    candidates = [json_str(ids, "arxiv")]
    if doi and doi.startswith(ARXIV_DOI_PREFIX):
        candidates.append(doi.removeprefix(ARXIV_DOI_PREFIX))
    for location in _locations(item):
        urls = (json_str(location, "landing_page_url"), json_str(location, "pdf_url"))
        candidates += [url for url in urls if "arxiv.org/" in url.lower()]
    for text in candidates:
        found = identifiers.parse_arxiv_id(text) if text else None
        if found:
            return found
    return None


def _locations(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [item.get("primary_location"), item.get("best_oa_location")]
    if isinstance(item.get("locations"), list):
        found += item["locations"]
    return [loc for loc in found if isinstance(loc, dict)]


def _journal(location: Any) -> str | None:
    source = location.get("source") if isinstance(location, dict) else None
    if not isinstance(source, dict) or source.get("type") == "repository":
        return None
    return clean_text(json_str(source, "display_name")) or None


def _keywords(item: Mapping[str, Any]) -> list[str]:
    names = [json_str(t, "display_name") for t in _dicts(item.get("topics"))]
    for concept in _dicts(item.get("concepts")):
        score = concept.get("score")
        if isinstance(score, int | float) and score >= CONCEPT_MIN_SCORE:
            names.append(json_str(concept, "display_name"))
    out: dict[str, str] = {}
    for name in map(clean_text, names):
        if name:
            out.setdefault(name.casefold(), name)
    return list(out.values())


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
