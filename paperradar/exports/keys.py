"""Citation keys: ``lovelace2026analytical`` (first author's family name, year, first
significant title word), unique within one export (``...b``, ``...c`` for repeats)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from paperradar.exports.fields import issued
from paperradar.exports.names import ascii_fold, ascii_words, split_name
from paperradar.models import Paper

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "or", "with", "from", "by"}
    | {"at", "as", "is", "are", "via", "towards", "toward"}
)


def base_key(paper: Paper) -> str:
    """The key before it is made unique: letters and digits only."""
    author = "anon"
    if paper.authors:
        family = split_name(paper.authors[0]).family
        words = [w for w in family.split() if not w[:1].islower()] or family.split()
        author = ascii_fold("".join(words)) or "anon"
    day = issued(paper)
    year = str(day.year) if day else "nd"
    words = _WORD.findall(ascii_words(paper.title or paper.abstract))
    word = next((w for w in words if w not in _STOPWORDS), "paper")
    return f"{author}{year}{word}"


def citation_keys(papers: Sequence[Paper]) -> list[str]:
    """One key per paper, in order; a repeated key gets ``b``, ``c``, ... (then numbers)."""
    taken: set[str] = set()
    keys = []
    for paper in papers:
        base = key = base_key(paper)
        n = 1
        while key in taken:
            n += 1
            key = base + (chr(ord("a") + n - 1) if n <= 26 else str(n))
        taken.add(key)
        keys.append(key)
    return keys
