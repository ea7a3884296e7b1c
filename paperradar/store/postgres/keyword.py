"""Keyword ranking on PostgreSQL full text: ``papers.fts`` (migrations/0003_keyword.sql),
a GIN index, and FTS5's bm25 formula.

Query text never reaches a tsquery parser as syntax: each term's words (letters and digits,
as :func:`paperradar.search.fts_terms` quotes them) are passed as a parameter to
``phraseto_tsquery``, which reads plain text only, and the per-term queries are combined
with ``&&`` / ``||`` in SQL written here.

Scores are bm25 with FTS5's constants, column weights and idf, as in the SQLite store
(:mod:`paperradar.store.sqlite.keyword`): ``sum_i idf_i * f_i (k1 + 1) / (f_i + k1 (1 - b +
b D / avgdl))``, ``idf = ln((N - n + 0.5) / (n + 0.5))`` (1e-6 when not positive), ``f_i``
the phrase's occurrences weighted by column (the SQL function ``paperradar_bm25``). They
differ from FTS5's in the details: ``D`` counts a paper's distinct words, not its words;
``avgdl`` is the average over the newest :data:`LENGTH_SAMPLE` papers; words are stemmed by
Snowball's English stemmer, not Porter's. ``N``, ``avgdl`` and the phrase counts ``n`` are
counted once per store state (:meth:`PgStore.version`), as the SQLite index does.

An any-word ranking does not score every paper holding a common word: the papers of its
rarest phrases are scored first, and their ``limit``-th score rules out the papers that hold
only phrases too common to reach it (:meth:`PgKeyword._top_any`; the results are the same).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paperradar.models import Filters
from paperradar.store.postgres.base import PgRepo
from paperradar.store.postgres.filters import filter_sql
from paperradar.store.rarest import rarest_within

if TYPE_CHECKING:
    from paperradar.store.postgres.store import PgStore

#: bm25 column weights: title, abstract, authors (as the SQLite store's FTS5 ranking)
BM25_WEIGHTS = (8.0, 1.0, 3.0)
K1 = 1.2
B = 0.75
#: ts_rank_cd's weights of the labels D, C, B, A (-, abstract, authors, title: 0003_keyword.sql),
#: at most 1 as it requires, and the factor that makes them BM25_WEIGHTS again
RANK_SCALE = max(BM25_WEIGHTS)
RANK_WEIGHTS = [0.0, BM25_WEIGHTS[1] / RANK_SCALE, BM25_WEIGHTS[2] / RANK_SCALE, 1.0]
#: the average paper length is taken over this many of the newest papers (a bounded read)
LENGTH_SAMPLE = 10_000
#: one term's query: its words as a phrase (stemmed, folded), never tsquery syntax
_PHRASE_SQL = "phraseto_tsquery('paperradar', paperradar_words(%s))"
_WORD = re.compile(r"\w+", re.UNICODE)
#: an any-word ranking first scores the papers of its rarest phrases, this many times the
#: limit of them (by document counts), and widens that while too few pass the filters, to
#: what the share that passed says it takes, times PROBE_MARGIN (see PgKeyword._top_any)
PROBE_FACTOR = 4
PROBE_MARGIN = 1.5


@dataclass(slots=True)
class _Stats:
    """What bm25 needs of the whole index, valid while the store is unchanged."""

    version: Hashable
    rows: int
    average_length: float
    df: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Ranking:
    """One ranking statement's parts: the phrases and their idf, the filters, the limit."""

    kept: list[tuple[str, float]]
    average_length: float
    where: str
    filter_params: list[object]
    limit: int
    all_words: bool = False


def phrase_text(term: str) -> str:
    """The words of a term (``'"large language models"'`` -> ``large language models``)."""
    return " ".join(_WORD.findall(term))


def idf(rows: int, count: int) -> float:
    """FTS5's bm25 idf of a phrase held by ``count`` of ``rows`` papers."""
    value = math.log((rows - count + 0.5) / (count + 0.5)) if rows else 0.0
    return value if value > 0 else 1e-6


class PgKeyword(PgRepo):
    """The PostgreSQL KeywordIndex over ``papers.fts``. Holds the paper count, the average
    length and the phrase counts until the store changes (:meth:`PgStore.version`)."""

    def __init__(self, db: PgStore) -> None:
        super().__init__(db)
        self._stats: _Stats | None = None
        self._stats_lock = threading.Lock()

    def stats(self) -> _Stats:
        """The paper count, average length and the phrase counts found so far, as of the
        store's current state."""
        version = self._db.version()
        with self._stats_lock:
            cached = self._stats
            if cached is not None and cached.version == version:
                return cached
        row = self.conn.execute(
            "SELECT (SELECT count(*) FROM papers) AS n, (SELECT avg(length(s.fts)) FROM "
            "(SELECT fts FROM papers ORDER BY id DESC LIMIT %s) s) AS average",
            (LENGTH_SAMPLE,),
        ).fetchone()
        rows = int(row["n"]) if row else 0
        average = float(row["average"]) if row and row["average"] is not None else 0.0
        stats = _Stats(version, rows, average)
        with self._stats_lock:
            self._stats = stats
        return stats

    def document_counts(self, stats: _Stats, terms: Sequence[str]) -> list[int]:
        """How many papers hold each term's phrase (cached in ``stats``; the missing ones
        counted in one statement)."""
        keys = [phrase_text(term).lower() for term in terms]
        missing = list(dict.fromkeys(k for k in keys if k not in stats.df))
        if missing:
            rows = self.conn.execute(
                "SELECT t.i, (SELECT count(*) FROM papers WHERE fts @@ "
                "phraseto_tsquery('paperradar', paperradar_words(t.text))) AS n "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS t(text, i)",
                (missing,),
            ).fetchall()
            for row in rows:
                stats.df[missing[int(row["i"]) - 1]] = int(row["n"])
        return [stats.df[k] for k in keys]

    def rarest(self, terms: Sequence[str], budget: int) -> list[str]:
        return rarest_within(terms, self.document_counts(self.stats(), terms), budget)

    def rank(
        self,
        terms: Sequence[str],
        limit: int,
        filters: Filters | None = None,
        *,
        any_word: bool = False,
    ) -> list[tuple[int, float]]:
        if not terms:
            return []
        stats = self.stats()
        counts = self.document_counts(stats, terms)
        if not any_word and min(counts) == 0:
            return []
        # a phrase no paper holds adds nothing (any word); a phrase without words matches none
        kept = [(phrase_text(t), idf(stats.rows, n)) for t, n in zip(terms, counts, strict=True)]
        kept = [(text, weight) for (text, weight), n in zip(kept, counts, strict=True) if n]
        if not kept:
            return []
        where, filter_params = filter_sql(filters or Filters())
        query = _Ranking(kept, stats.average_length, where, filter_params, limit, not any_word)
        if not any_word or limit <= 0 or len(kept) == 1:
            return self._run(query, range(len(kept)))
        return self._top_any(query, [n for n in counts if n])

    def _run(self, query: _Ranking, matching: Sequence[int]) -> list[tuple[int, float]]:
        """The best ``query.limit`` papers holding any (``query.all_words``: every one) of
        the phrases ``matching`` (indexes into ``query.kept``), scored for all of them."""
        texts = [text for text, _ in query.kept]
        phrases = ", ".join([_PHRASE_SQL] * len(texts))
        match = (" && " if query.all_words else " || ").join([_PHRASE_SQL] * len(matching))
        sql = (
            f"SELECT p.id, paperradar_bm25(p.fts, ARRAY[{phrases}], %s, %s, %s, %s, %s, %s) "
            f"AS score FROM papers p WHERE p.fts @@ ({match}){query.where} "
            "ORDER BY score DESC, p.id LIMIT %s"
        )
        params = [
            *texts,
            [weight for _, weight in query.kept],
            RANK_WEIGHTS,
            RANK_SCALE,
            K1,
            B,
            query.average_length,
            *[texts[i] for i in matching],
            *query.filter_params,
            query.limit if query.limit >= 0 else None,
        ]
        # never prepared: planned with the phrases' values, so each phrase's tsquery is a
        # constant (made once, not per row) whose selectivity picks the index or a scan
        rows = self.conn.execute(
            sql,  # built here from constants: user text is only in the parameters
            params,
            prepare=False,
        ).fetchall()
        return [(int(row["id"]), float(row["score"])) for row in rows]

    def _top_any(self, query: _Ranking, counts: Sequence[int]) -> list[tuple[int, float]]:
        """The best ``query.limit`` papers holding any of the phrases, without scoring every
        paper that holds a common one (MaxScore, Turtle and Flood 1995): a phrase adds less
        than ``idf (k1 + 1)`` to a paper's bm25, so once the papers of the rarest phrases
        give ``limit`` results, the ``limit``-th score ``t`` rules out every paper holding
        only phrases whose bounds add up to less than ``t``. Only papers holding one of the
        other ("essential") phrases are scored again, for every phrase: the results are the
        same as scoring every match, ties included (a ruled-out paper scores below ``t``)."""
        by_rarity = sorted(range(len(query.kept)), key=lambda i: (counts[i], i))
        target = PROBE_FACTOR * query.limit
        while True:
            probe, total = [], 0
            for i in by_rarity:
                if total >= target:
                    break
                probe.append(i)
                total += counts[i]
            found = self._run(query, probe)
            if len(probe) == len(by_rarity):
                return found  # every phrase probed: the ranking itself
            if len(found) < query.limit:  # too few passed the filters: probe wider, by
                # as much as their share of the probed papers says it takes, at least doubled
                needed = total * query.limit / max(1, len(found)) * PROBE_MARGIN
                target = max(2 * target, int(needed))
                continue
            threshold = found[-1][1]
            # the phrases of smallest bound whose bounds together stay below the threshold
            ruled_out: set[int] = set()
            bound = 0.0
            for i in sorted(range(len(query.kept)), key=lambda i: (query.kept[i][1], i)):
                bound += query.kept[i][1] * (K1 + 1) * (1 + 1e-9)
                if bound >= threshold:
                    break
                ruled_out.add(i)
            essential = [i for i in by_rarity if i not in ruled_out]
            if set(essential) <= set(probe):
                return found  # every paper that can place was scored by the probe
            return self._run(query, essential)

    def papers_with_author_word(self, word: str) -> list[tuple[int, list[str]]]:
        rows = self.conn.execute(
            f"SELECT p.id, p.authors FROM papers p WHERE p.fts @@ {_PHRASE_SQL} "
            f"AND ts_filter(p.fts, '{{b}}') @@ {_PHRASE_SQL} ORDER BY p.id",
            (word, word),
            prepare=False,
        ).fetchall()
        return [(int(row["id"]), _names(row["authors"])) for row in rows]


def _names(value: object) -> list[str]:
    """An authors column value (JSONB: a list already) as a list of names."""
    names = json.loads(value) if isinstance(value, str) else value
    return [str(name) for name in names] if isinstance(names, list) else []
