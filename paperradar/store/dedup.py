"""Deciding that two records are one paper, and merging them keeping the richest fields."""

from __future__ import annotations

import datetime as dt
from difflib import SequenceMatcher

from paperradar.identifiers import normalise_text
from paperradar.models import Paper

#: words of the shorter abstract that must line up, in order, with the other's for two
#: records (one of them untitled) to be one paper although neither abstract is a prefix
ALIKE_SHARE = 0.9
#: fewer words than this is too little text to call two abstracts alike
ALIKE_MIN_WORDS = 30


def compatible(a: Paper, b: Paper) -> bool:
    """False when the two carry different arXiv, Semantic Scholar or HF ids or DOIs: then
    they are not one paper, however alike their titles or abstracts."""
    for name in ("arxiv_id", "s2_id", "hf_id"):
        mine, theirs = getattr(a, name), getattr(b, name)
        if mine and theirs and mine != theirs:
            return False
    return not (a.doi and b.doi and a.doi.lower() != b.doi.lower())


def abstracts_match(a: str, b: str) -> bool:
    """One abstract is the other, or a truncated prefix of it (after normalisation)."""
    na, nb = normalise_text(a), normalise_text(b)
    if not na or not nb:
        return False
    short, long = (na, nb) if len(na) <= len(nb) else (nb, na)
    return long.startswith(short)


def abstracts_alike(a: str, b: str) -> bool:
    """The two abstracts are one text with small edits: at least :data:`ALIKE_SHARE` of the
    shorter one's words line up, in order, with the other's (a publication list's copy of an
    abstract against the publisher's, ``4-5x`` against ``4-5$\\times$``, a word changed)."""
    wa, wb = normalise_text(a).split(), normalise_text(b).split()
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if len(short) < ALIKE_MIN_WORDS:
        return False
    matcher = SequenceMatcher(None, short, long, autojunk=False)
    lined_up = sum(block.size for block in matcher.get_matching_blocks())
    return lined_up >= ALIKE_SHARE * len(short)


def same_abstract(a: Paper, b: Paper) -> bool:
    """Two records sharing an abstract key are one paper by their abstracts: one is the other
    or a truncated prefix of it, or -- when one record has no title, so that its abstract is
    all that identifies it -- the two are alike (:func:`abstracts_alike`)."""
    if abstracts_match(a.abstract, b.abstract):
        return True
    return not (a.title and b.title) and abstracts_alike(a.abstract, b.abstract)


def _newer(incoming: Paper, base: Paper) -> bool:
    """The incoming record describes a later arXiv version than the stored one."""
    return bool(
        incoming.arxiv_version
        and base.arxiv_version
        and incoming.arxiv_version > base.arxiv_version
    )


def _better_abstract(base: Paper, incoming: Paper) -> bool:
    if not incoming.abstract or incoming.abstract == base.abstract:
        return False
    if not base.abstract:
        return True
    if base.abstract_truncated != incoming.abstract_truncated:
        return base.abstract_truncated
    if abstracts_match(base.abstract, incoming.abstract):
        return len(normalise_text(incoming.abstract)) > len(normalise_text(base.abstract))
    return _newer(incoming, base)


def _union(first: list[str], second: list[str]) -> list[str]:
    seen = dict.fromkeys(first)
    seen.update(dict.fromkeys(second))
    return list(seen)


def _earliest(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None or b is None:
        return a or b
    return min(a, b)


def merge_into(base: Paper, incoming: Paper) -> None:
    """Fold ``incoming`` into ``base``: fill what is missing, keep the richer of both.

    Full abstracts beat truncated ones (and longer prefixes shorter ones), a title beats none,
    a later arXiv version's title and abstract beat an earlier one's, author lists beat author
    counts; ids, links, categories, keywords and sightings are united.
    """
    newer = _newer(incoming, base)
    if incoming.title and (not base.title or newer):
        base.title = incoming.title
    if _better_abstract(base, incoming):
        base.abstract = incoming.abstract
        base.abstract_truncated = incoming.abstract_truncated
    if len(incoming.authors) > len(base.authors) or (newer and incoming.authors):
        base.authors = list(incoming.authors)
    counts = [c for c in (base.author_count, incoming.author_count) if c is not None]
    base.author_count = max(counts) if counts else None
    base.categories = (
        _union(base.categories, incoming.categories)
        if not newer
        else _union(incoming.categories, base.categories)
    )
    for name in ("arxiv_id", "doi", "s2_id", "hf_id", "organisation"):
        if not getattr(base, name) and getattr(incoming, name):
            setattr(base, name, getattr(incoming, name))
    for name in ("comment", "journal_ref"):
        if getattr(incoming, name) and (newer or not getattr(base, name)):
            setattr(base, name, getattr(incoming, name))
    versions = [v for v in (base.arxiv_version, incoming.arxiv_version) if v is not None]
    base.arxiv_version = max(versions) if versions else None
    upvotes = [u for u in (base.upvotes, incoming.upvotes) if u is not None]
    base.upvotes = max(upvotes) if upvotes else None
    base.links = {**incoming.links, **base.links}
    base.keywords = _union(base.keywords, incoming.keywords)
    _merge_dates(base, incoming)
    base.withdrawn = base.withdrawn or incoming.withdrawn
    base.sightings.extend(incoming.sightings)


def _merge_dates(base: Paper, incoming: Paper) -> None:
    if incoming.submitted and (
        base.submitted is None
        or (base.submitted_year_inferred and not incoming.submitted_year_inferred)
    ):
        base.submitted = incoming.submitted
        base.submitted_year_inferred = incoming.submitted_year_inferred
    elif incoming.submitted and not incoming.submitted_year_inferred:
        base.submitted = _earliest(base.submitted, incoming.submitted)
    if incoming.updated and (base.updated is None or incoming.updated > base.updated):
        base.updated = incoming.updated
    if incoming.listed and (
        base.listed is None or (base.listed_year_inferred and not incoming.listed_year_inferred)
    ):
        base.listed = incoming.listed
        base.listed_year_inferred = incoming.listed_year_inferred
    elif incoming.listed and not incoming.listed_year_inferred:
        base.listed = _earliest(base.listed, incoming.listed)
