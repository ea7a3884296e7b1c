"""Keyword ranking with FTS5's own bm25 scores, without FTS5's per-query cost.

FTS5's ``bm25()`` counts, on every query, how many rows hold each query phrase, by walking
the phrase's whole posting list: a title with common words ("model", "learning") costs
~100 ms at a million papers even when only a dozen papers match. And an AND of several
common words walks all of their lists. So keyword ranking here:

1. counts each phrase's documents once per store object and store state
   (``count(*) ... MATCH``), and keeps the counts until anything is written to the store;
2. finds candidates from the *rarest* phrases only (an AND of the three rarest is usually a
   few dozen rows; rarer-first phrases are added until it is), and checks the whole query
   against just those candidates, in a private in-memory FTS5 table with the same tokenizer;
3. scores the matches with the same formula, constants and column weights as FTS5's bm25:
   ``sum_i idf_i * f_i (k1 + 1) / (f_i + k1 (1 - b + b D / avgdl))`` with k1 = 1.2,
   b = 0.75, ``idf = ln((N - n + 0.5) / (n + 0.5))`` (1e-6 when not positive), ``f_i`` the
   phrase's weighted count in the row and ``D`` the row's length in tokens, all columns.
   The row count and average length come from the index's own statistics record.

When even the whole query matches more than :data:`CANDIDATE_CAP` rows (a one-word query
such as "transformer"), scoring that many rows here would cost more than FTS5's bm25, so the
query goes to FTS5 as before. Either way the ranking is FTS5's bm25 ranking: a test checks the
scores agree to 1e-9.

:class:`SqliteKeyword` is the store's :class:`~paperradar.store.api.keyword.KeywordIndex`;
:class:`MemoryBm25` is the same tokenizer and bm25 over a private collection (evaluations).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from paperradar.models import Filters
from paperradar.store.rarest import rarest_within
from paperradar.store.sqlite.base import SqliteRepo
from paperradar.store.sqlite.filters import filter_sql

if TYPE_CHECKING:
    from paperradar.store.sqlite.store import SqliteStore

#: the tokenizer of ``papers_fts`` (0001_papers.sql); the scratch table must tokenize alike
TOKENIZE = "porter unicode61 remove_diacritics 2"
#: bm25 column weights: title, abstract, authors.
BM25_WEIGHTS = (8.0, 1.0, 3.0)
K1 = 1.2
B = 0.75
#: at most this many candidate rows are checked and scored here; beyond it FTS5 does it
CANDIDATE_CAP = 300
#: rarer phrases join the candidate query until it finds no more than this many rows (each
#: candidate costs ~0.1 ms to check; each added phrase ~1 ms)
FEW_CANDIDATES = 64
_AVERAGES_ROWID = 1  # FTS5 keeps (rows, tokens per column) in this row of its data table


@dataclass(slots=True)
class _Stats:
    """What bm25 needs of the whole index, valid while the store is unchanged."""

    version: Hashable
    rows: int
    average_length: float
    df: dict[str, int] = field(default_factory=dict)


_LOCAL = threading.local()


def read_varints(blob: bytes) -> list[int]:
    """SQLite's variable-length integers (as FTS5 writes them), one after another."""
    out: list[int] = []
    i, n = 0, len(blob)
    while i < n:
        value = 0
        for j in range(9):
            byte = blob[i]
            i += 1
            if j == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        out.append(value)
    return out


def _create_fts(conn: sqlite3.Connection, name: str, columns: Sequence[str]) -> None:
    """An FTS5 table ``name`` of ``columns`` with the store's tokenizer (:data:`TOKENIZE`)."""
    conn.execute(
        f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(columns)}, tokenize = '{TOKENIZE}')"
    )


class _Scratch:
    """A private in-memory FTS5 index with the store's tokenizer (one per thread)."""

    def __init__(self) -> None:
        conn = sqlite3.connect(":memory:")
        _create_fts(conn, "docs", ("title", "abstract", "authors"))
        conn.execute("CREATE VIRTUAL TABLE docs_i USING fts5vocab(docs, instance)")
        _create_fts(conn, "q", ("text",))
        conn.execute("CREATE VIRTUAL TABLE q_i USING fts5vocab(q, instance)")
        self.conn = conn

    def load(self, rows: Sequence[tuple[int, str, str, str]]) -> None:
        self.conn.execute("DELETE FROM docs")
        self.conn.executemany(
            "INSERT INTO docs(rowid, title, abstract, authors) VALUES (?, ?, ?, ?)", rows
        )

    def matching(self, expression: str) -> list[int]:
        rows = self.conn.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (expression,))
        return [int(r[0]) for r in rows]

    def tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """Each text as the tokenizer reads it (stemmed, folded), in order."""
        self.conn.execute("DELETE FROM q")
        self.conn.executemany(
            "INSERT INTO q(rowid, text) VALUES (?, ?)", list(enumerate(texts, start=1))
        )
        out: list[list[tuple[int, str]]] = [[] for _ in texts]
        for term, doc, offset in self.conn.execute("SELECT term, doc, offset FROM q_i"):
            out[doc - 1].append((offset, term))
        return [[term for _, term in sorted(pairs)] for pairs in out]

    def positions(self, token: str) -> dict[tuple[int, int], set[int]]:
        """``(row, column) -> token offsets`` of ``token`` in the loaded rows."""
        found: dict[tuple[int, int], set[int]] = defaultdict(set)
        for doc, col, offset in self.conn.execute(
            "SELECT doc, col, offset FROM docs_i WHERE term = ?", (token,)
        ):
            found[(doc, _COLUMNS[col])].add(offset)
        return found

    def lengths(self) -> dict[int, int]:
        """Each loaded row's length in tokens, all columns."""
        return {
            int(rowid): sum(read_varints(bytes(size)))
            for rowid, size in self.conn.execute("SELECT id, sz FROM docs_docsize")
        }


_COLUMNS = {"title": 0, "abstract": 1, "authors": 2}


def _scratch() -> _Scratch:
    scratch: _Scratch | None = getattr(_LOCAL, "scratch", None)
    if scratch is None:
        scratch = _LOCAL.scratch = _Scratch()
    return scratch


def _phrase_text(term: str) -> str:
    return term.strip('"')


def _scores(
    scratch: _Scratch,
    stats: _Stats,
    terms: Sequence[str],
    counts: Sequence[int],
    rows: set[int],
) -> dict[int, float]:
    phrases = scratch.tokens([_phrase_text(t) for t in terms])
    lengths = scratch.lengths()
    scores = dict.fromkeys(rows, 0.0)
    positions: dict[str, dict[tuple[int, int], set[int]]] = {}
    for tokens, count in zip(phrases, counts, strict=True):
        if not tokens:
            continue
        for token in tokens:
            if token not in positions:
                positions[token] = scratch.positions(token)
        frequency = _phrase_frequency(tokens, positions, rows)
        idf = math.log((stats.rows - count + 0.5) / (count + 0.5))
        idf = idf if idf > 0 else 1e-6
        for row, f in frequency.items():
            norm = K1 * (1 - B + B * lengths.get(row, 0) / stats.average_length)
            scores[row] += idf * (f * (K1 + 1)) / (f + norm)
    return scores


def _phrase_frequency(
    tokens: Sequence[str],
    positions: dict[str, dict[tuple[int, int], set[int]]],
    rows: set[int],
) -> dict[int, float]:
    """Each row's weighted count of the phrase (column weight per occurrence)."""
    out: dict[int, float] = defaultdict(float)
    first = positions[tokens[0]]
    for (row, col), starts in first.items():
        if row not in rows:
            continue
        hits = sum(
            1
            for start in starts
            if all(start + j in positions[t].get((row, col), ()) for j, t in enumerate(tokens))
        )
        if hits:
            out[row] += hits * BM25_WEIGHTS[col]
    return out


class MemoryBm25:
    """A private in-memory FTS5 index of ``(title, abstract)`` texts with the store's
    tokenizer, ranked by FTS5's bm25 at the store's title and abstract weights: keyword
    search over a fixed collection (an evaluation's), document frequencies its own."""

    def __init__(self, texts: Iterable[tuple[str, str]]) -> None:
        self.conn = sqlite3.connect(":memory:")
        _create_fts(self.conn, "docs", ("title", "abstract"))
        self.conn.executemany(
            "INSERT INTO docs(rowid, title, abstract) VALUES (?, ?, ?)",
            [(i, title, abstract) for i, (title, abstract) in enumerate(texts)],
        )

    def any_of(self, terms: Sequence[str]) -> list[tuple[int, float]]:
        """``(position of the text, bm25 score)`` of every text holding any of the FTS5
        phrases ``terms``; higher scores are better."""
        title_weight, abstract_weight, _ = BM25_WEIGHTS
        # every match: a rowid IN (...) constraint makes FTS5 run the query once per listed
        # row (~25x slower on CSFCube), so callers filter the matches themselves
        found = self.conn.execute(
            f"SELECT rowid, bm25(docs, {title_weight}, {abstract_weight}) FROM docs "
            "WHERE docs MATCH ?",
            (" OR ".join(terms),),
        )
        return [(int(rowid), -float(score)) for rowid, score in found]

    def close(self) -> None:
        self.conn.close()


class SqliteKeyword(SqliteRepo):
    """The SQLite KeywordIndex: FTS5's ``papers_fts`` (title, abstract, authors). Holds the
    index statistics and phrase counts until the store changes (:meth:`SqliteStore.version`)."""

    def __init__(self, db: SqliteStore) -> None:
        super().__init__(db)
        self._stats: _Stats | None = None
        self._stats_lock = threading.Lock()

    def stats(self) -> _Stats:
        """The index's row count and average length, and the phrase counts found so far,
        as of the store's current state."""
        version = self._db.version()
        with self._stats_lock:
            cached = self._stats
            if cached is not None and cached.version == version:
                return cached
        row = self.conn.execute(
            "SELECT block FROM papers_fts_data WHERE id = ?", (_AVERAGES_ROWID,)
        ).fetchone()
        numbers = read_varints(bytes(row[0])) if row is not None and row[0] else []
        rows = numbers[0] if numbers else 0
        tokens = sum(numbers[1:])
        stats = _Stats(version, rows, tokens / rows if rows else 0.0)
        with self._stats_lock:
            self._stats = stats
        return stats

    def document_count(self, stats: _Stats, term: str) -> int:
        """How many papers hold the FTS5 phrase ``term`` (cached in ``stats``)."""
        key = term.lower()
        found = stats.df.get(key)
        if found is None:
            found = int(
                self.conn.execute(
                    "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (term,)
                ).fetchone()[0]
            )
            stats.df[key] = found
        return found

    def rarest(self, terms: Sequence[str], budget: int) -> list[str]:
        stats = self.stats()
        counts = [self.document_count(stats, term) for term in terms]
        return rarest_within(terms, counts, budget)

    def rank(
        self,
        terms: Sequence[str],
        limit: int,
        filters: Filters | None = None,
        *,
        any_word: bool = False,
    ) -> list[tuple[int, float]]:
        where, params = filter_sql(filters or Filters())
        if not any_word:
            ranked = self.rank_all_of(terms, limit, where, params)
            if ranked is not None:
                return ranked
        return self._fts5_bm25(
            " OR ".join(terms) if any_word else " AND ".join(terms), limit, where, params
        )

    def _fts5_bm25(
        self, expression: str, limit: int, where: str, params: Sequence[object]
    ) -> list[tuple[int, float]]:
        """FTS5's own bm25 ranking of the match ``expression`` (the slow path)."""
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        if where:
            sql = (
                f"SELECT p.id, bm25(papers_fts, {weights}) AS rank FROM papers_fts "
                "JOIN papers p ON p.id = papers_fts.rowid "
                f"WHERE papers_fts MATCH ?{where} ORDER BY rank LIMIT ?"
            )
        else:  # no filter: the paper rows (long abstracts) need not be read for every match
            sql = (
                f"SELECT rowid AS id, bm25(papers_fts, {weights}) AS rank FROM papers_fts "
                "WHERE papers_fts MATCH ? ORDER BY rank LIMIT ?"
            )
        rows = self.conn.execute(sql, (expression, *params, limit))
        return [(int(row["id"]), -float(row["rank"])) for row in rows]

    def rank_all_of(
        self, terms: Sequence[str], limit: int, where: str, params: Sequence[object]
    ) -> list[tuple[int, float]] | None:
        """``(row id, bm25 score)`` of the papers holding every FTS5 phrase in ``terms`` and
        passing the filter clause ``where`` (on ``papers p``), best first; None when the
        query matches too many rows to be scored here (leave it to FTS5)."""
        stats = self.stats()
        counts = [self.document_count(stats, term) for term in terms]
        if min(counts) == 0:
            return []
        by_rarity = [term for _, term in sorted(zip(counts, terms, strict=True))]
        rows: list[tuple[int]] = []
        for size in range(min(3, len(terms)), len(terms) + 1):
            seed = " AND ".join(dict.fromkeys(by_rarity[:size]))
            rows = self.conn.execute(
                "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?",
                (seed, CANDIDATE_CAP + 1),
            ).fetchall()
            if len(rows) <= FEW_CANDIDATES:
                break
        if len(rows) > CANDIDATE_CAP:
            return None
        candidates = [int(r[0]) for r in rows]
        if not candidates:
            return []
        texts = self.conn.execute(
            "SELECT p.id, p.title, p.abstract, p.authors FROM papers p "
            f"WHERE p.id IN (SELECT value FROM json_each(?)){where}",
            ("[" + ",".join(map(str, candidates)) + "]", *params),
        ).fetchall()
        scratch = _scratch()
        scratch.load([tuple(r) for r in texts])
        matches = scratch.matching(" AND ".join(terms))
        if not matches:
            return []
        scores = _scores(scratch, stats, terms, counts, set(matches))
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]

    def papers_with_author_word(self, word: str) -> list[tuple[int, list[str]]]:
        rows = self.conn.execute(
            "SELECT p.id, p.authors FROM papers_fts f JOIN papers p ON p.id = f.rowid "
            "WHERE papers_fts MATCH ?",
            (f'authors : "{word}"',),
        )
        return [(int(row["id"]), json.loads(row["authors"])) for row in rows]
