"""Paper identifiers and the text normalisation that dedup relies on.

Aliases are strings with a scheme prefix: ``arxiv:2503.11731`` (no version), ``doi:10.1/x``
(lower-cased), ``s2:<corpus or paper id>``, ``hf:<id>`` and, for papers with none of those,
``cid:<hash>`` -- a content id from the normalised title, or from the first 200 normalised
characters of the abstract when there is no title.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SCHEMES = ("arxiv", "doi", "s2", "hf", "cid")
#: Preference order for the canonical id of a paper.
CANONICAL_ORDER = {scheme: rank for rank, scheme in enumerate(SCHEMES)}

_NEW_ARXIV = re.compile(r"^(\d{4}\.\d{4,5})(?:v(\d+))?$")
_OLD_ARXIV = re.compile(r"^([a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$")
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|arxiv:|oai:arxiv\.org:|10\.48550/arxiv\.)"
    r"(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?\s*(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
#: ASCII punctuation to spaces: the fast path of normalise_text for ASCII text.
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})

#: The most digits of an arXiv version (v1, v2, ...): longer is not an arXiv id (and Python
#: refuses to convert more than 4,300 digits).
MAX_VERSION_DIGITS = 9
#: Normalised characters of the abstract that key the truncated-prefix dedup.
ABSTRACT_KEY_CHARS = 120
#: Normalised characters of the abstract hashed into a content id when a paper has no title.
CONTENT_ID_CHARS = 200


def parse_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """Return ``(id, version)`` for an arXiv id in any common spelling, else None.

    Accepts ``2503.11731``, ``2503.11731v2``, ``arXiv:2503.11731``, abs/pdf URLs, OAI
    identifiers, arXiv's DOIs (``10.48550/arXiv.2503.11731``) and old-style ids such as
    ``hep-th/9901001v1``.
    """
    value = text.strip()
    for pattern in (_NEW_ARXIV, _OLD_ARXIV):
        match = pattern.match(value)
        if match:
            version = match.group(2)
            if version and len(version) > MAX_VERSION_DIGITS:  # not a version arXiv gives
                return None
            return match.group(1), int(version) if version else None
    match = _ARXIV_IN_TEXT.search(value)
    if match:
        return parse_arxiv_id(match.group(1))
    return None


def parse_doi(text: str) -> str | None:
    """Return a lower-cased DOI from a bare DOI, ``doi:`` form or doi.org URL, else None."""
    match = _DOI.match(text.strip())
    return match.group(1).rstrip(".").lower() if match else None


def normalise_text(text: str) -> str:
    """Case-fold, strip accents and punctuation, collapse spaces: the key for dedup."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_SPACES).split())
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def normalised_prefix(text: str, chars: int) -> str:
    """``normalise_text(text)[:chars]`` without normalising all of a long text."""
    head = normalise_text(text[: chars * 3])
    if len(head) > chars + 40 or len(text) <= chars * 3:
        return head[:chars]
    return normalise_text(text)[:chars]


def title_key(title: str) -> str | None:
    """The dedup key of a title, or None when it is too short to identify a paper."""
    key = normalise_text(title)
    return key if len(key) >= 12 and " " in key else None


def abstract_key(abstract: str) -> str | None:
    """The first normalised characters of an abstract: papers sharing it may be one paper."""
    key = normalised_prefix(abstract, ABSTRACT_KEY_CHARS)
    return key if len(key) >= ABSTRACT_KEY_CHARS else None


def content_id(title: str, abstract: str) -> str | None:
    """A content id for a paper without any external id."""
    basis = (
        title_key(title) or normalised_prefix(abstract, CONTENT_ID_CHARS) or normalise_text(title)
    )
    if not basis:
        return None
    return "cid:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def alias_scheme(alias: str) -> str:
    return alias.split(":", 1)[0]


def canonical_of(aliases: list[str] | set[str]) -> str:
    """Pick the canonical id among aliases: arXiv, then DOI, S2, HF, content id."""
    if len(aliases) == 1:
        return next(iter(aliases))
    return min(aliases, key=lambda a: (CANONICAL_ORDER.get(a[: a.find(":")], 99), a))


def normalise_alias(text: str) -> str | None:
    """Turn user input (``2503.11731v2``, a DOI, ``s2:123``, an arXiv URL) into an alias."""
    value = text.strip()
    scheme, _, rest = value.partition(":")
    if scheme.lower() in ("s2", "hf", "cid") and rest:
        return f"{scheme.lower()}:{rest.strip()}"
    if scheme.lower() == "doi" and rest:
        arxiv = parse_arxiv_id(rest) if "48550" in rest else None  # arXiv's own DOIs
        if arxiv:
            return f"arxiv:{arxiv[0]}"
        doi = parse_doi(rest)
        return f"doi:{doi}" if doi else None
    arxiv = parse_arxiv_id(value)
    if arxiv:
        return f"arxiv:{arxiv[0]}"
    doi = parse_doi(value)
    if doi:
        return f"doi:{doi}"
    return None


def content_hash(title: str, abstract: str) -> str:
    """Hash of the text a paper is embedded from: a changed abstract changes it."""
    return hashlib.sha1(f"{title}\n{abstract}".encode()).hexdigest()
