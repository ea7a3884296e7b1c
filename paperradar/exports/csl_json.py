"""Papers as CSL-JSON items, for citeproc (pandoc, Zotero) and paperradar's own reader.

An item: ``id`` and ``citation-key`` (the citation key), ``type`` (``article-journal`` with a
journal, else ``article``, Zotero's type for a preprint), ``title``, ``author``
(``{family, given[, suffix]}``, or ``{literal}`` for a one-word name), ``issued``
(``date-parts``), ``container-title``, ``DOI``, ``URL``, ``keyword``, ``abstract``; an arXiv
paper also has ``number`` ``arXiv:ID``, ``publisher`` ``arXiv`` (when it has no journal) and
Zotero's note ``arXiv:ID [category]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from paperradar.exports.fields import issued, one_line, url_of, venue_of
from paperradar.exports.keys import citation_keys
from paperradar.exports.names import split_name
from paperradar.models import Paper


def csl_name(raw: str) -> dict[str, str]:
    name = split_name(raw)
    if name.single:
        return {"literal": name.family}
    out = {"family": name.family, "given": name.given}
    if name.suffix:
        out["suffix"] = name.suffix
    return out


def item(paper: Paper, key: str) -> dict[str, Any]:
    """One CSL-JSON item (a JSON-ready dict)."""
    venue = venue_of(paper)
    out: dict[str, Any] = {
        "id": key,
        "citation-key": key,
        "type": "article-journal" if venue else "article",
    }
    if paper.title:
        out["title"] = one_line(paper.title)
    if paper.authors:
        out["author"] = [csl_name(author) for author in paper.authors]
    day = issued(paper)
    if day:
        out["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    if venue:
        out["container-title"] = venue
    if paper.doi:
        out["DOI"] = paper.doi
    if paper.arxiv_id:
        out["number"] = f"arXiv:{paper.arxiv_id}"
        if not venue:
            out["publisher"] = "arXiv"
        category = f" [{paper.categories[0]}]" if paper.categories else ""
        out["note"] = f"arXiv:{paper.arxiv_id}{category}"
    url = url_of(paper)
    if url:
        out["URL"] = url
    if paper.keywords:
        out["keyword"] = ", ".join(one_line(k) for k in paper.keywords)
    if paper.abstract:
        out["abstract"] = one_line(paper.abstract)
    return out


def to_csl_json(papers: Sequence[Paper]) -> str:
    """The papers as a CSL-JSON array (indented, UTF-8 text)."""
    keys = citation_keys(papers)
    items = [item(paper, key) for paper, key in zip(papers, keys, strict=True)]
    return orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n"
