"""Hugging Face Daily Papers: the JSON of ``GET https://huggingface.co/api/daily_papers``.

The API answers a JSON array of listing items. Each item nests the paper::

    {"paper": {"id": "2502.14786", "authors": [{"_id": "...", "name": "...", "hidden": false}],
               "publishedAt": "2025-02-20T17:08:18.000Z",          # arXiv publication
               "submittedOnDailyAt": "2025-02-21T02:31:44.113Z",   # put on the daily list
               "title": "...", "summary": "...", "upvotes": 31, "discussionId": "...",
               "ai_summary": "...", "ai_keywords": [...], "githubRepo": "...",
               "projectPage": "...", "organization": {"name": "...", "fullname": "..."}},
     "publishedAt": "...", "title": "...", "summary": "...", "thumbnail": "...",
     "numComments": 2, "submittedBy": {...}, "organization": {...},
     "isAuthorParticipating": false}

Also read: the papers page's embedded props (``{"dailyPapers": [...], ...}``), JSON Lines of
items, and a bare paper object (``/api/papers/{id}``) when ``--format hf-daily`` forces it.

The listing date is ``paper.submittedOnDailyAt`` when present. The item-level ``publishedAt``
is only the fallback: in current responses it repeats the paper's own timestamp (shifted by
a few hours), so it is the listing day only in older dumps that lack ``submittedOnDailyAt``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, TextIO

from paperradar import identifiers
from paperradar.models import Paper, Sighting
from paperradar.readers._fields import Invalid
from paperradar.readers._json_scan import JsonLineError, scan_json
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text, parse_iso_date
from paperradar.readers.limits import checked, read_document, shown

WRAPPER_KEYS = ("dailyPapers", "daily_papers", "papers")
_PAPER_KEY = re.compile(r'"paper"\s*:\s*\{')
_WRAPPER = re.compile(r'"dailyPapers"\s*:\s*\[')
_HF_KEYS = re.compile(
    r'"(?:discussionId|submittedOnDailyAt|isAuthorParticipating|numComments|ai_keywords'
    r'|submittedBy|upvotes)"\s*:'
)


class HfDailyReader:
    name = "hf-daily"
    description = "Hugging Face Daily Papers API JSON (/api/daily_papers), array or JSON Lines"

    def sniff(self, head: str, filename: str) -> bool:
        start = head.lstrip()[:1]
        if start not in ("[", "{"):
            return False
        if _WRAPPER.search(head):
            return True
        return bool(_PAPER_KEY.search(head) and _HF_KEYS.search(head))

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        text = read_document(stream, ctx.origin, "a Hugging Face daily papers file")
        doc = scan_json(text, ctx.origin, WRAPPER_KEYS)
        for rank, (line, item) in enumerate(doc.records, start=1):
            if isinstance(item, JsonLineError):
                yield BadRecord(line, f"item {rank}: {item.reason}")
                continue
            try:
                yield checked(self._paper(item, rank, ctx), line, f"item {rank}: ")
            except Invalid as exc:
                yield BadRecord(line, f"item {rank}: {exc}")

    def _paper(self, item: Any, rank: int, ctx: ReadContext) -> Paper:
        if not isinstance(item, dict):
            raise Invalid(f"expected a JSON object, found {_kind(item)}")
        paper = item.get("paper")
        if paper is None and "id" in item:  # a bare paper object (/api/papers/{id})
            paper, item = item, {}
        if not isinstance(paper, dict):
            raise Invalid("'paper' is missing" if paper is None else "'paper' is not an object")
        hf_id = _string(paper, "id", "paper.id")
        if not hf_id:
            raise Invalid("'paper.id' is missing")
        out = Paper(
            title=clean_text(_string(paper, "title", "paper.title") or _string(item, "title")),
            abstract=clean_text(
                _string(paper, "summary", "paper.summary") or _string(item, "summary")
            ),
            authors=_authors(paper.get("authors")),
            hf_id=hf_id,
            submitted=_date(paper, "publishedAt", "paper.publishedAt"),
            keywords=_keywords(paper.get("ai_keywords")),
            withdrawn=bool(paper.get("withdrawnAt")),
        )
        if not out.title and not out.abstract:
            raise Invalid("no title and no summary")
        out.listed = _date(paper, "submittedOnDailyAt", "paper.submittedOnDailyAt") or _date(
            item, "publishedAt"
        )
        upvotes = _upvotes(paper, "paper.upvotes")
        out.upvotes = upvotes if upvotes is not None else _upvotes(item, "upvotes")
        out.organisation = _organisation(paper, "paper.organization") or _organisation(
            item, "organization"
        )
        arxiv = identifiers.parse_arxiv_id(hf_id)
        if arxiv:
            # HF files arXiv papers under the bare id: /papers/2503.11731, hf:2503.11731.
            out.arxiv_id, out.arxiv_version = arxiv
            out.hf_id = out.arxiv_id
        out.links = _links(out.hf_id or hf_id, out.arxiv_id, paper)
        out.sightings.append(
            Sighting(
                source=self.name,
                locator=ctx.origin,
                seen_on=out.listed,
                rank=rank,
                upvotes=out.upvotes,
            )
        )
        return out


def _kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _string(obj: dict[str, Any], key: str, label: str | None = None) -> str:
    """The string at ``key`` ('' when absent or null); Invalid for another type."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"'{label or key}' is not a string: {shown(value)}")
    return value


def _date(obj: dict[str, Any], key: str, label: str | None = None) -> dt.date | None:
    text = _string(obj, key, label)
    try:
        return parse_iso_date(text)
    except ValueError:
        raise Invalid(f"'{label or key}' is not a date: {shown(text)}") from None


def _upvotes(obj: dict[str, Any], label: str) -> int | None:
    value = obj.get("upvotes")
    if value is None:
        return None
    # The API's schema types counts as JSON numbers; 12.0 is accepted as 12, 12.5 is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"'{label}' is not an integer: {shown(value)}")
    return value


def _authors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid("'paper.authors' is not a list")
    names: list[str] = []
    for number, author in enumerate(value, start=1):
        name = author.get("name") if isinstance(author, dict) else author
        if not isinstance(name, str):
            raise Invalid(f"'paper.authors' entry {number} has no name")
        if clean_text(name):
            names.append(clean_text(name))
    return names


def _keywords(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise Invalid("'paper.ai_keywords' is not a list of strings")
    return [clean_text(k) for k in value if clean_text(k)]


def _organisation(obj: dict[str, Any], label: str) -> str | None:
    org = obj.get("organization")
    if org is None:
        return None
    if isinstance(org, str):
        return clean_text(org) or None
    if not isinstance(org, dict):
        raise Invalid(f"'{label}' is not an object")
    name = org.get("fullname") or org.get("name")
    return (clean_text(name) or None) if isinstance(name, str) else None


def _links(hf_id: str, arxiv_id: str | None, paper: dict[str, Any]) -> dict[str, str]:
    links: dict[str, str] = {}
    if arxiv_id:
        links["abs"] = f"https://arxiv.org/abs/{arxiv_id}"
    links["hf"] = f"https://huggingface.co/papers/{hf_id}"
    repo = _string(paper, "githubRepo", "paper.githubRepo").strip()
    if repo:
        # Usually a full URL; some responses carry only "owner/name".
        links["code"] = repo if "://" in repo else f"https://github.com/{repo}"
    project = _string(paper, "projectPage", "paper.projectPage").strip()
    if project:
        links["project"] = project
    return links


READER = HfDailyReader()
