"""JSON Lines and JSON arrays: paperradar's own schema and the arxiv-cs-daily schema.

The arxiv-cs-daily schema (one object a line) is ``id, title, authors, categories, abstract,
comment, crawl_date``, where ``comment`` may be the string "None" and ``crawl_date`` is the
daily listing the paper first appeared in. Both readers accept a JSON array too.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from paperradar.codec import SIGNATURE_KEYS, FieldError, paper_from_dict
from paperradar.errors import FormatError
from paperradar.identifiers import parse_arxiv_id, parse_doi
from paperradar.models import Paper, Sighting
from paperradar.readers._json_scan import loads
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text
from paperradar.readers.limits import MAX_RECORD_CHARS, checked, read_document, shown, too_long

Convert = Callable[[Any, ReadContext, int], Paper]


def iter_json_items(stream: TextIO, ctx: ReadContext) -> Iterator[tuple[int | None, str, Any]]:
    """``(line, label, value)`` for each object of a JSON Lines file or item of a JSON array.

    ``label`` is "" for a line and "item N: " for an array item (whose line is unknown). A line
    that is not JSON comes as a FieldError value so the caller can report it as a bad record;
    a JSON array that does not parse raises FormatError.
    """
    first = stream.read(1)
    skipped_lines = 0
    while first and first.isspace():
        skipped_lines += first == "\n"
        first = stream.read(1)
    if first == "[":
        text = first + read_document(stream, ctx.origin, "a JSON array")
        try:
            items = loads(text)
        except json.JSONDecodeError as exc:
            where = skipped_lines + text.count("\n", 0, exc.pos) + 1
            raise FormatError(ctx.origin, where, f"invalid JSON: {exc.msg}") from None
        if not isinstance(items, list):
            raise FormatError(ctx.origin, 1, "expected a JSON array")
        for index, item in enumerate(items, start=1):
            yield None, f"item {index}: ", item
        return
    head = first + stream.readline() if first else ""
    start = 1 + skipped_lines
    if first == "{" and not _parses(head):
        text = head + read_document(stream, ctx.origin, "a JSON document")
        try:  # a single pretty-printed object, as `show --json` writes
            single = loads(text)
        except json.JSONDecodeError:
            yield from _json_lines(io.StringIO(text, newline=""), start, ctx.origin)
            return
        if len(text) > MAX_RECORD_CHARS:
            raise FormatError(ctx.origin, start, too_long("the JSON record", len(text)))
        yield start, "", single
        return
    yield from _json_lines(itertools.chain([head], stream), start, ctx.origin)


def _parses(text: str) -> bool:
    try:
        loads(text)
    except json.JSONDecodeError:
        return False
    return True


def _json_lines(
    lines: Iterable[str], start: int, origin: str
) -> Iterator[tuple[int | None, str, Any]]:
    for number, text in enumerate(lines, start=start):
        if not text.strip():
            continue
        if len(text) > MAX_RECORD_CHARS:
            raise FormatError(origin, number, too_long("the line", len(text)))
        try:
            yield number, "", loads(text)
        except json.JSONDecodeError as exc:
            yield number, "", FieldError(f"invalid JSON: {exc.msg}")


def _read(stream: TextIO, ctx: ReadContext, convert: Convert) -> Iterator[Record]:
    rank = 0
    for line, label, value in iter_json_items(stream, ctx):
        if isinstance(value, FieldError):
            yield BadRecord(line, str(value))
            continue
        rank += 1
        try:
            yield checked(convert(value, ctx, rank), line, label)
        except FieldError as exc:
            yield BadRecord(line, f"{label}{exc}")


def _sniff_json(head: str, signature: tuple[str, ...], need: int) -> bool:
    stripped = head.lstrip()
    if not stripped.startswith(("{", "[")):
        return False
    return sum(f'"{key}"' in stripped for key in signature) >= need


class ArxivDailyReader:
    name = "arxiv-daily"
    description = "arXiv daily listings as JSON Lines (id, title, authors, ..., crawl_date)"
    _signature = ("id", "title", "authors", "categories", "abstract", "crawl_date")

    def sniff(self, head: str, filename: str) -> bool:
        return _sniff_json(head, self._signature, 5) and '"crawl_date"' in head

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        return _read(stream, ctx, self.convert)

    def convert(self, data: Any, ctx: ReadContext, rank: int) -> Paper:
        if not isinstance(data, dict):
            raise FieldError(f"expected a JSON object, found {type(data).__name__}")
        raw_id = data.get("id")
        parsed = parse_arxiv_id(raw_id) if isinstance(raw_id, str) else None
        if parsed is None:
            raise FieldError(f"'id' is not an arXiv id: {shown(raw_id)}")
        arxiv_id, version = parsed
        title = _str_field(data, "title")
        abstract = _str_field(data, "abstract")
        if not title and not abstract:
            raise FieldError("a paper needs a 'title' or an 'abstract'")
        authors = _str_list(data, "authors")
        categories = _str_list(data, "categories")
        comment = data.get("comment")
        crawl = data.get("crawl_date")
        try:
            listed = dt.date.fromisoformat(crawl) if isinstance(crawl, str) and crawl else None
        except ValueError:
            raise FieldError(f"'crawl_date' is not a date: {shown(crawl)}") from None
        return Paper(
            title=clean_text(title),
            abstract=clean_text(abstract),
            authors=[clean_text(a) for a in authors],
            categories=categories,
            arxiv_id=arxiv_id,
            arxiv_version=version,
            comment=clean_text(comment) if isinstance(comment, str) and comment != "None" else None,
            listed=listed,
            links={
                "abs": f"https://arxiv.org/abs/{arxiv_id}",
                "pdf": f"https://arxiv.org/pdf/{arxiv_id}",
            },
            sightings=[Sighting(source=self.name, locator=ctx.origin, seen_on=listed, rank=rank)],
        )


class PaperRadarReader:
    name = "paperradar-json"
    description = "paperradar's own JSON schema, as JSON Lines or a JSON array"

    def sniff(self, head: str, filename: str) -> bool:
        return _sniff_json(head, SIGNATURE_KEYS, 2)

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        return _read(stream, ctx, self.convert)

    def convert(self, data: Any, ctx: ReadContext, rank: int) -> Paper:
        paper = paper_from_dict(data)
        if paper.arxiv_id:
            parsed = parse_arxiv_id(paper.arxiv_id)
            if parsed is None:
                raise FieldError(f"'arxiv_id' is not an arXiv id: {shown(paper.arxiv_id)}")
            paper.arxiv_id = parsed[0]
            paper.arxiv_version = paper.arxiv_version or parsed[1]
        if paper.doi:
            doi = parse_doi(paper.doi)
            if doi is None:
                raise FieldError(f"'doi' is not a DOI: {shown(paper.doi)}")
            paper.doi = doi
        paper.id = None  # ids are the store's to assign; aliases come from the external ids
        paper.aliases = []
        if not paper.sightings:
            paper.sightings = [Sighting(source=self.name, locator=ctx.origin, rank=rank)]
        return paper


def _str_field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FieldError(f"'{name}' must be a string, found {type(value).__name__}")
    return value


def _str_list(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldError(f"'{name}' must be a list of strings")
    return value


ARXIV_DAILY_READER = ArxivDailyReader()
PAPERRADAR_READER = PaperRadarReader()
