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
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

import numpy as np
import numpy.typing as npt

#: a term in more than this share of the documents explains nothing ("model", "data")
COMMON = 0.08
#: ... judged only among at least this many documents
COMMON_MIN_DOCS = 200

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


#: word -> its term ("" for a stop word or a short one); words repeat across abstracts, so
#: each is judged once per process (cleared when it grows past _TERMS_MAX)
_TERMS: dict[str, str] = {}
_TERMS_MAX = 500_000


def _term(word: str) -> str:
    return "" if len(word) < 3 or word in STOPWORDS else fold(word)


def tokens(text: str) -> list[str]:
    """The terms of a text, in order (see the module doc)."""
    words = _WORD.findall(text.lower())
    missing = [w for w in set(words) if w not in _TERMS]
    if missing:
        if len(_TERMS) + len(missing) > _TERMS_MAX:
            _TERMS.clear()
            missing = list(set(words))
        _TERMS.update(zip(missing, map(_term, missing), strict=True))
    return [t for t in map(_TERMS.__getitem__, words) if t]


class Candidates:
    """The terms of the texts being ranked, tokenised and counted once: the background of
    every :class:`TermProfile` built against them, and what :meth:`TermProfile.score_all`
    scores. Many profiles scoring the same texts (reviewer affinity) share one."""

    def __init__(self, terms: Iterable[Sequence[str]]) -> None:
        self.terms = [list(t) for t in terms]
        self.vocab: dict[str, int] = {
            t: i for i, t in enumerate(sorted(set(chain.from_iterable(self.terms))))
        }
        lengths = np.fromiter(map(len, self.terms), dtype=np.int64, count=len(self.terms))
        ids = np.fromiter(
            map(self.vocab.__getitem__, chain.from_iterable(self.terms)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        docs = np.repeat(np.arange(len(self.terms), dtype=np.int64), lengths)
        width = max(len(self.vocab), 1)
        pairs, counts = np.unique(docs * width + ids, return_counts=True)
        self._rows = pairs // width
        self._cols = pairs % width
        self._tf = 1.0 + np.log(counts)  # log-scaled count of (text, term)
        self.df = np.bincount(self._cols, minlength=len(self.vocab))

    def __len__(self) -> int:
        return len(self.terms)

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self.terms)

    def df_of(self, term: str) -> int:
        i = self.vocab.get(term)
        return 0 if i is None else int(self.df[i])

    def row_sums(self, per_term: npt.NDArray[np.float64], power: int) -> npt.NDArray[np.float64]:
        """For each text, the sum over its terms of ``tf ** power * per_term[term]``."""
        weights = self._tf**power * per_term[self._cols]
        sums = np.bincount(self._rows, weights=weights, minlength=len(self.terms))
        return np.asarray(sums, dtype=np.float64)


class TermProfile:
    """The distinctive terms of a set of texts, weighted against a background.

    ``idf`` comes from the background texts (plus the profile's own); the profile vector is
    the mean of its texts' normalised TF-IDF vectors, cut to its ``size`` heaviest terms
    and renormalised."""

    def __init__(self, texts: Sequence[str], background: Candidates, size: int = 64) -> None:
        docs = [tokens(t) for t in texts]
        own: Counter[str] = Counter()
        for terms in docs:
            own.update(set(terms))
        self.own_df = own
        self.background = background
        self.n_docs = len(background) + len(docs)
        total: dict[str, float] = {}
        for terms in docs:
            if terms:
                for t, w in self._weights(Counter(terms)).items():
                    total[t] = total.get(t, 0.0) + w
        top = dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:size])
        norm = math.sqrt(sum(v * v for v in top.values())) or 1.0
        self.vector = {t: v / norm for t, v in top.items()}

    def idf(self, term: str) -> float:
        """Inverse document frequency over the background and the profile's own texts."""
        df = self.background.df_of(term) + self.own_df[term]
        return math.log((self.n_docs + 1) / (df + 1)) + 1.0

    def _weights(self, counts: Counter[str]) -> dict[str, float]:
        """Log-scaled TF times IDF, L2-normalised."""
        vec = {t: (1.0 + math.log(c)) * self.idf(t) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def __bool__(self) -> bool:
        return bool(self.vector)

    def score_all(self) -> npt.NDArray[np.float64]:
        """For every text of the background, the cosine between its TF-IDF vector and the
        profile's (two ``bincount`` passes over the counted terms)."""
        bg = self.background
        out = np.zeros(len(bg))
        if not self.vector or not len(bg):
            return out
        df = bg.df.astype(np.float64)
        profile = np.zeros(len(bg.vocab))
        for t, c in self.own_df.items():
            i = bg.vocab.get(t)
            if i is not None:
                df[i] += c
        for t, p in self.vector.items():
            i = bg.vocab.get(t)
            if i is not None:
                profile[i] = p
        idf = np.log((self.n_docs + 1) / (df + 1.0)) + 1.0
        norm_sq = bg.row_sums(idf * idf, power=2)
        dot = bg.row_sums(idf * profile, power=1)
        nonzero = norm_sq > 0
        out[nonzero] = dot[nonzero] / np.sqrt(norm_sq[nonzero])
        return out

    def shared(self, terms: Sequence[str], limit: int = 5) -> list[str]:
        """The profile terms a text shares, heaviest contribution first, leaving out terms
        too common to explain anything (in more than ``COMMON`` of at least
        ``COMMON_MIN_DOCS`` documents)."""
        counts = Counter(terms)
        floor = 0.0  # too few documents to call a term common
        if self.n_docs >= COMMON_MIN_DOCS:
            floor = math.log((self.n_docs + 1) / (COMMON * self.n_docs + 1)) + 1.0
        contrib = {
            t: (1.0 + math.log(c)) * self.idf(t) * self.vector[t]
            for t, c in counts.items()
            if t in self.vector and self.idf(t) > floor
        }
        return [t for t, _ in sorted(contrib.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
