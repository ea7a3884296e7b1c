"""Person names split for citation formats: ``"Ludwig van Beethoven"`` -> given ``Ludwig``,
family ``van Beethoven``.

Papers keep authors as display names (``"First Last"``); BibTeX, RIS and CSL-JSON want the
family name apart. The split: a last token ``Jr.``, ``Sr.``, ``II``... is a suffix; the family
name is the last word with the lower-case particles before it (``van``, ``de la``); the rest
is the given name. A one-word name (``Plato``, ``DeepSeek-AI``) has no given name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_SUFFIXES = frozenset(["jr", "jr.", "sr", "sr.", "ii", "iii", "iv"])


@dataclass(frozen=True, slots=True)
class Name:
    """A name in parts; ``given`` and ``suffix`` may be empty."""

    family: str
    given: str = ""
    suffix: str = ""

    @property
    def single(self) -> bool:
        """A one-word name (a mononym or an organisation): no given name, no suffix."""
        return not self.given and not self.suffix


def split_name(name: str) -> Name:
    """The parts of a ``"First Last"`` display name (whitespace collapsed)."""
    tokens = name.split()
    if len(tokens) <= 1:
        return Name(" ".join(tokens))
    suffix = ""
    if len(tokens) > 2 and tokens[-1].lower() in _SUFFIXES:
        suffix = tokens.pop()
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1][:1].islower():
        start -= 1
    return Name(" ".join(tokens[start:]), " ".join(tokens[:start]), suffix)


def initials(given: str) -> str:
    """``"Jean-Pierre Marie"`` -> ``"J.-P. M."``."""
    words = []
    for word in given.split():
        parts = [part[:1].upper() + "." for part in word.split("-") if part]
        if parts:
            words.append("-".join(parts))
    return " ".join(words)


def ascii_fold(text: str) -> str:
    """Letters and digits only, accents removed, lower-case (``"Gödel"`` -> ``"godel"``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def ascii_words(text: str) -> str:
    """``text`` lower-cased with its accents removed and other non-ASCII characters dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii()).lower()
