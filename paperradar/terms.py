"""Words as ranking evidence: a small tokeniser and TF-IDF term profiles.

Terms are lower-case words (letters, digits, inner hyphens) of three or more characters, minus
English and boiler-plate academic stop words, with plurals folded ("networks" -> "network",
"queries" -> "query"). A :class:`TermProfile` weighs the terms of a profile's papers by TF-IDF
against a background (the candidates being ranked), keeps the most distinctive ones, and
scores candidates by the cosine between their TF-IDF vector and the profile's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

#: a term in more than this share of the documents explains nothing ("model", "data")
COMMON = 0.08

_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")

_STOP_TEXT = """
    a about above abstract achieve achieves across after again against all almost along also
    although always am among an and another any approach approaches are around as at available
    based be because been before being below between both but by can cannot code compared could
    demonstrate demonstrates did different do does doing done down during each either else enough
    etc even ever every existing experiment experimental experiments extensive few finally first
    for from further furthermore had has have having here how however if in into introduce
    introduces is it its itself just key least less many may method methods might more moreover
    most much must neither new no nor not novel now of off often on once one only onto or other
    others otherwise our ours out outperform outperforms over own paper papers per present
    presents propose proposed proposes provide provides rather recent result results same several
    shall she should show shown shows significant significantly since so some state-of-the-art
    studies study such task tasks than that the their theirs them then there therefore these they
    this those though three through thus to too toward towards two under until up upon us use used
    uses using various very via was we well were what when where whether which while who whom
    whose why will with within without work works would yet you your
"""
STOPWORDS = frozenset(_STOP_TEXT.split())


def fold(word: str) -> str:
    """Fold an English plural to its singular, conservatively."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The terms of a text, in order (see the module doc)."""
    out = []
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word in STOPWORDS:
            continue
        out.append(fold(word))
    return out


def _weights(counts: Counter[str], idf: dict[str, float], default_idf: float) -> dict[str, float]:
    """Log-scaled TF times IDF, L2-normalised."""
    vec = {t: (1.0 + math.log(c)) * idf.get(t, default_idf) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


class TermProfile:
    """The distinctive terms of a set of texts, weighted against a background.

    ``idf`` comes from the background texts (plus the profile's own); the profile vector is
    the mean of its texts' normalised TF-IDF vectors, cut to its ``size`` heaviest terms
    and renormalised."""

    def __init__(
        self, texts: Sequence[str], background: Iterable[Sequence[str]], size: int = 64
    ) -> None:
        docs = [tokens(t) for t in texts]
        df: Counter[str] = Counter()
        n = 0
        for terms in background:
            df.update(set(terms))
            n += 1
        for terms in docs:
            df.update(set(terms))
            n += 1
        self.n_docs = n
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.default_idf = math.log(n + 1) + 1.0
        total: dict[str, float] = {}
        for terms in docs:
            if terms:
                for t, w in _weights(Counter(terms), self.idf, self.default_idf).items():
                    total[t] = total.get(t, 0.0) + w
        top = dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:size])
        norm = math.sqrt(sum(v * v for v in top.values())) or 1.0
        self.vector = {t: v / norm for t, v in top.items()}

    def __bool__(self) -> bool:
        return bool(self.vector)

    def score(self, terms: Sequence[str]) -> float:
        """Cosine between a text's TF-IDF vector (given its terms) and the profile's."""
        if not terms or not self.vector:
            return 0.0
        counts = Counter(terms)
        norm_sq = 0.0
        dot = 0.0
        for t, c in counts.items():
            w = (1.0 + math.log(c)) * self.idf.get(t, self.default_idf)
            norm_sq += w * w
            p = self.vector.get(t)
            if p is not None:
                dot += w * p
        return dot / math.sqrt(norm_sq) if norm_sq else 0.0

    def shared(self, terms: Sequence[str], limit: int = 5) -> list[str]:
        """The profile terms a text shares, heaviest contribution first, leaving out terms
        too common to explain anything (in more than ``COMMON`` of the documents)."""
        counts = Counter(terms)
        floor = math.log((self.n_docs + 1) / (COMMON * self.n_docs + 1)) + 1.0
        contrib = {
            t: (1.0 + math.log(c)) * self.idf.get(t, self.default_idf) * self.vector[t]
            for t, c in counts.items()
            if t in self.vector and self.idf.get(t, self.default_idf) > floor
        }
        return [t for t, _ in sorted(contrib.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
