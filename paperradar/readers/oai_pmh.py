"""arXiv's OAI-PMH 2.0 responses (https://oaipmh.arxiv.org/oai, formerly export.arxiv.org/oai2).

Reads ``ListRecords`` and ``GetRecord`` pages harvested with ``metadataPrefix=arXiv``: each
``<record>`` has an OAI ``<header>`` (identifier ``oai:arXiv.org:2503.11731``, datestamp,
setSpec) and ``<metadata>`` holding one ``<arXiv>`` element in http://arxiv.org/OAI/arXiv/
(id, created, updated, authors with keyname/forenames/suffix, title, categories, comments,
journal-ref, doi, license, abstract). That format has no version list, so ``arxiv_version``
stays None. A ``<header status="deleted">`` record has no metadata and becomes a paper with
only its id and ``withdrawn=True``. The OAI error ``noRecordsMatch`` is an empty page; any
other OAI error raises FormatError. :func:`resumption_token` tells a harvester how to go on.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from paperradar import identifiers
from paperradar.errors import FormatError
from paperradar.models import Paper, Sighting
from paperradar.readers import _xml
from paperradar.readers.arxiv_atom import first_doi
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text, parse_iso_date
from paperradar.readers.limits import checked, shown

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_OAI_NS = "http://arxiv.org/OAI/arXiv/"
_O = "{" + OAI_NS + "}"
_M = "{" + ARXIV_OAI_NS + "}"
RECORD_VERBS = ("ListRecords", "GetRecord")
METADATA_PREFIX = "arXiv"
_RECORD = frozenset({_O + "record"})


@dataclass(frozen=True, slots=True)
class ResumptionToken:
    """Where a harvest goes on: pass ``token`` as ``resumptionToken`` in the next request."""

    token: str
    complete_list_size: int | None = None
    cursor: int | None = None


class OaiPmhReader:
    name = "oai-pmh"
    description = "arXiv OAI-PMH ListRecords/GetRecord response (metadataPrefix=arXiv)"

    def sniff(self, head: str, filename: str) -> bool:
        root = _xml.root_of(head)
        return root is not None and root.name == "OAI-PMH" and root.namespace == OAI_NS

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        rank = 0
        prefix: str | None = None
        for event in _xml.iter_events(stream, ctx.origin, _RECORD):
            elem, tag = event.elem, event.elem.tag
            if event.depth == 0 and event.kind == "start" and tag != _O + "OAI-PMH":
                found = _xml.local(tag)
                raise FormatError(ctx.origin, event.line, f"expected <OAI-PMH>, found <{found}>")
            if event.depth != 1 and not (event.depth == 2 and tag == _O + "record"):
                continue
            if event.kind == "end" and tag == _O + "request":
                prefix = elem.get("metadataPrefix")
            elif event.kind == "end" and tag == _O + "error":
                _check_error(elem, event.line, ctx)
            elif event.kind == "start" and event.depth == 1 and tag.startswith(_O):
                _check_verb(_xml.local(tag), prefix, event.line, ctx)
            elif event.kind == "end" and tag == _O + "record":
                rank += 1
                yield checked(read_record(elem, event.line, rank, ctx), event.line)


_NOT_RECORD_ELEMENTS = ("responseDate", "request", "error")


def _check_verb(verb: str, prefix: str | None, line: int, ctx: ReadContext) -> None:
    if verb in _NOT_RECORD_ELEMENTS:
        return
    if verb not in RECORD_VERBS:
        raise FormatError(ctx.origin, line, f"an OAI-PMH {verb} response holds no records")
    if prefix is not None and prefix != METADATA_PREFIX:
        raise FormatError(
            ctx.origin, line, f"metadataPrefix {prefix!r} is not supported (harvest with 'arXiv')"
        )


def _check_error(elem: ET.Element, line: int, ctx: ReadContext) -> None:
    code = elem.get("code") or "unknown"
    if code == "noRecordsMatch":
        return  # an empty result, not a failure
    message = clean_text(_xml.all_text(elem))
    raise FormatError(ctx.origin, line, f"OAI-PMH error {code}: {message or 'no message'}")


def read_record(record: ET.Element, line: int, rank: int, ctx: ReadContext) -> Record:
    """One ``<record>`` as a Paper, or a BadRecord naming the field that is wrong."""
    where = f"record {rank}"
    header = record.find(_O + "header")
    if header is None:
        return BadRecord(line, f"{where}: no 'header'")
    raw_date = _xml.child_text(header, _O + "datestamp")
    try:
        datestamp = parse_iso_date(raw_date)
    except ValueError:
        return BadRecord(line, f"{where}: 'datestamp' is not a date: {shown(raw_date)}")
    sighting = Sighting(source=READER.name, locator=ctx.origin, seen_on=datestamp, rank=rank)
    identifier = _xml.child_text(header, _O + "identifier") or ""
    if header.get("status") == "deleted":
        parsed = identifiers.parse_arxiv_id(identifier)
        if parsed is None:
            return BadRecord(line, f"{where}: 'identifier' is not an arXiv id: {shown(identifier)}")
        return Paper(arxiv_id=parsed[0], withdrawn=True, sightings=[sighting])
    meta = record.find(f"{_O}metadata/{_M}arXiv")
    if meta is None:
        return BadRecord(line, f"{where}: no metadata in the arXiv format")
    paper = _paper_from(meta, line, where)
    if isinstance(paper, Paper):
        paper.sightings.append(sighting)
    return paper


def _paper_from(meta: ET.Element, line: int, where: str) -> Record:
    raw_id = _xml.child_text(meta, _M + "id") or ""
    parsed = identifiers.parse_arxiv_id(raw_id)
    if parsed is None:
        return BadRecord(line, f"{where}: 'id' is not an arXiv id: {shown(raw_id)}")
    license_url = _xml.child_text(meta, _M + "license")
    paper = Paper(
        title=clean_text(_xml.child_text(meta, _M + "title")),
        abstract=clean_text(_xml.child_text(meta, _M + "abstract")),
        authors=[name for name in map(_author_name, meta.findall(f"{_M}authors/{_M}author"))],
        categories=list(dict.fromkeys((_xml.child_text(meta, _M + "categories") or "").split())),
        arxiv_id=parsed[0],
        links={"abs": f"https://arxiv.org/abs/{parsed[0]}"},
        comment=clean_text(_xml.child_text(meta, _M + "comments")) or None,
        journal_ref=clean_text(_xml.child_text(meta, _M + "journal-ref")) or None,
    )
    if license_url:
        paper.links["license"] = license_url
    if not paper.title and not paper.abstract:
        return BadRecord(line, f"{where}: no 'title' and no 'abstract'")
    for field, attr in (("created", "submitted"), ("updated", "updated")):
        value = _xml.child_text(meta, _M + field)
        try:
            setattr(paper, attr, parse_iso_date(value))
        except ValueError:
            return BadRecord(line, f"{where}: {field!r} is not a date: {shown(value)}")
    raw_doi = _xml.child_text(meta, _M + "doi")
    if raw_doi:
        paper.doi = first_doi(raw_doi)
        if paper.doi is None:
            return BadRecord(line, f"{where}: 'doi' is not a DOI: {shown(raw_doi)}")
    return paper


def _author_name(author: ET.Element) -> str:
    """ "Forenames Keyname Suffix"; a collaboration has only a keyname."""
    parts = (_xml.child_text(author, _M + part) for part in ("forenames", "keyname", "suffix"))
    return clean_text(" ".join(part for part in parts if part))


def resumption_token(text: str) -> ResumptionToken | None:
    """The ``<resumptionToken>`` of a ListRecords page; None when the list is complete.

    arXiv ends a list with an empty token (still carrying completeListSize and cursor) or with
    none at all: both give None. Raises FormatError for text that is not well-formed XML.
    """
    for event in _xml.iter_events(io.StringIO(text), "OAI-PMH response"):
        if event.depth == 0 and event.elem.tag != _O + "OAI-PMH":
            return None
        if event.kind == "end" and event.depth == 2 and event.elem.tag == _O + "resumptionToken":
            token = _xml.all_text(event.elem)
            if not token:
                return None
            return ResumptionToken(
                token=token,
                complete_list_size=_int_or_none(event.elem.get("completeListSize")),
                cursor=_int_or_none(event.elem.get("cursor")),
            )
    return None


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


READER = OaiPmhReader()
