"""Papers to and from plain dicts: paperradar's own JSON schema (``--json``, JSON Lines files)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from paperradar.models import Paper, Sighting

_DATE_FIELDS = ("submitted", "updated", "listed")
_STR_LIST_FIELDS = ("authors", "categories", "keywords", "aliases")
_BOOL_FIELDS = (
    "abstract_truncated",
    "submitted_year_inferred",
    "listed_year_inferred",
    "withdrawn",
)
_INT_FIELDS = ("author_count", "arxiv_version", "upvotes")
_STR_FIELDS = (
    "id",
    "title",
    "abstract",
    "arxiv_id",
    "doi",
    "s2_id",
    "hf_id",
    "organisation",
    "comment",
    "journal_ref",
)
#: Keys only paperradar's own schema has: they tell its files apart from other JSON.
SIGNATURE_KEYS = ("abstract_truncated", "sightings", "aliases")


def paper_to_dict(paper: Paper) -> dict[str, Any]:
    """A JSON-ready dict of every field (dates as ISO strings)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(paper):
        value = getattr(paper, f.name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif f.name == "sightings":
            value = [sighting_to_dict(s) for s in value]
        elif isinstance(value, list | dict):
            value = type(value)(value)
        out[f.name] = value
    return out


def sighting_to_dict(sighting: Sighting) -> dict[str, Any]:
    out = dataclasses.asdict(sighting)
    if sighting.seen_on:
        out["seen_on"] = sighting.seen_on.isoformat()
    return out


class FieldError(ValueError):
    """A field of a record has the wrong type or value; the message names the field."""


def paper_from_dict(data: object) -> Paper:
    """Build a Paper from paperradar's schema; raises FieldError naming the bad field."""
    if not isinstance(data, dict):
        raise FieldError(f"expected a JSON object, found {type(data).__name__}")
    paper = Paper()
    for name in _STR_FIELDS:
        if data.get(name) is not None:
            setattr(paper, name, _typed(data, name, str))
    for name in _INT_FIELDS:
        if data.get(name) is not None:
            setattr(paper, name, _typed(data, name, int))
    for name in _BOOL_FIELDS:
        if data.get(name) is not None:
            setattr(paper, name, _typed(data, name, bool))
    for name in _STR_LIST_FIELDS:
        if data.get(name) is not None:
            setattr(paper, name, _str_list(data, name))
    for name in _DATE_FIELDS:
        setattr(paper, name, _date(data.get(name), name))
    links = data.get("links") or {}
    if not isinstance(links, dict) or not all(isinstance(v, str) for v in links.values()):
        raise FieldError("'links' must be an object of strings")
    paper.links = {str(k): v for k, v in links.items()}
    sightings = data.get("sightings") or []
    if not isinstance(sightings, list):
        raise FieldError("'sightings' must be a list")
    paper.sightings = [_sighting(s, i) for i, s in enumerate(sightings, start=1)]
    if not paper.title and not paper.abstract:
        raise FieldError("a paper needs a 'title' or an 'abstract'")
    return paper


def _typed(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data[name]
    if kind is int and isinstance(value, bool):
        raise FieldError(f"'{name}' must be an integer, found {value!r}")
    if not isinstance(value, kind):
        raise FieldError(f"'{name}' must be {kind.__name__}, found {type(value).__name__}")
    return value


def _str_list(data: dict[str, Any], name: str) -> list[str]:
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldError(f"'{name}' must be a list of strings")
    return list(value)


def _date(value: object, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"'{name}' must be an ISO date string, found {value!r}")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise FieldError(f"'{name}' is not a date: {value!r}") from None


def _sighting(data: object, index: int) -> Sighting:
    if not isinstance(data, dict) or not isinstance(data.get("source"), str):
        raise FieldError(f"sighting {index} needs a 'source' string")
    rank = data.get("rank")
    upvotes = data.get("upvotes")
    for label, value in (("rank", rank), ("upvotes", upvotes)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise FieldError(f"sighting {index}: '{label}' must be an integer")
    return Sighting(
        source=data["source"],
        locator=str(data.get("locator") or ""),
        seen_on=_date(data.get("seen_on"), f"sightings[{index}].seen_on"),
        seen_on_inferred=bool(data.get("seen_on_inferred", False)),
        rank=rank,
        upvotes=upvotes,
        kind=data.get("kind") if isinstance(data.get("kind"), str) else None,
    )
