"""Reviewer–paper affinity in the OpenReview expertise format.

Input, as OpenReview's expertise tools read it:

- a **reviewers directory** with one ``REVIEWER_ID.jsonl`` per reviewer (the file stem is the
  reviewer id, e.g. ``~Ada_Lovelace1``), one publication a line:
  ``{"id": ..., "content": {"title": ..., "abstract": ...}}``;
- a **submissions file**: a JSON object mapping note id to ``{"id", "content"}`` (the id is
  the note's own ``id``, else its key), a JSON array of those, or JSON Lines.

Content values are strings (API v1) or ``{"value": "..."}`` (API v2). A paper with only a
title or only an abstract is used as it is; one with neither is skipped and counted.

Scoring: each reviewer is a profile whose own papers are their publications, and each
submission is scored exactly as the digest scores a candidate for a profile
(:class:`paperradar.radar.ranking.Scorer`: mean of the ``k`` best cosines blended with keywords).
Every distinct text (by content hash) is embedded once; with a store, vectors are read
from and written to its cache, so a re-run embeds nothing. Vectors always go through the
cache's float16, so a run scores the same whether its vectors were cached or fresh.

A reviewer's papers are deduplicated by text (as the store keeps one paper per text);
nothing is excluded for conflicts of interest (a reviewer's own submission scores high):
that is the matcher's business, as in OpenReview.

Output: ``submission_id,reviewer_id,score`` CSV, one row per pair, no header -- what
OpenReview's expertise models write (``{note_id},{reviewer},{score}``) and what its
matcher reads -- grouped by reviewer, submissions in file order.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson

from paperradar.embedding import Embedder, normalise_rows, paper_text
from paperradar.errors import FormatError, UsageError
from paperradar.identifiers import content_hash
from paperradar.radar.ranking import Anchor, RankingConfig, Scorer, Text
from paperradar.radar.terms import Candidates, tokens
from paperradar.store.api import Store
from paperradar.store.api.vectors import VECTOR_DTYPE

Matrix = npt.NDArray[np.float32]

#: Called as progress(stage, done, total); stage is "embed" (texts) or "score" (reviewers).
AffinityProgress = Callable[[str, int, int], None]

#: Texts per embedder call: large enough for the embedder's own length-sorted batching,
#: small enough that an interrupted run keeps most of its vectors in the store.
EMBED_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class Where:
    """Where a record was read: a file and its line, or a file and a label ("item 3")."""

    origin: str
    line: int | None = None
    label: str = ""

    def __str__(self) -> str:
        return f"{self.origin}:{self.line}" if self.line else f"{self.origin}: {self.label}"

    def error(self, reason: str) -> FormatError:
        if self.line:
            return FormatError(self.origin, self.line, reason)
        return FormatError(self.origin, None, f"{self.label}: {reason}")


@dataclass(frozen=True, slots=True)
class Doc:
    """A paper as read: its id, cleaned title and abstract, and where it was read."""

    id: str
    title: str
    abstract: str
    where: Where
    key: str = field(init=False)  # its content hash: the vector cache's key

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", content_hash(self.title, self.abstract))

    @property
    def has_text(self) -> bool:
        return bool(self.title or self.abstract)


@dataclass(slots=True)
class Reviewer:
    """A reviewer (the file stem) and the publications in their file."""

    id: str
    papers: list[Doc]


class AffinityRow(NamedTuple):
    submission_id: str
    reviewer_id: str
    score: float


@dataclass(slots=True)
class AffinityReport:
    """Scores of every scored reviewer (rows) for every scored submission (columns), and
    what was left out and why."""

    model: str
    reviewer_ids: list[str]
    submission_ids: list[str]
    scores: npt.NDArray[np.float64]  # (reviewers, submissions)
    reviewers_without_papers: list[str] = field(default_factory=list)
    skipped_papers: int = 0  # reviewer papers with neither title nor abstract
    skipped_submissions: list[str] = field(default_factory=list)  # ids, no title nor abstract
    texts: int = 0  # distinct texts needed
    embedded: int = 0  # of which embedded now (the rest came from the store's cache)
    embed_seconds: float = 0.0
    score_seconds: float = 0.0

    @property
    def pairs(self) -> int:
        return len(self.reviewer_ids) * len(self.submission_ids)

    def rows(self) -> Iterator[AffinityRow]:
        """One row per (reviewer, submission) pair, grouped by reviewer."""
        for reviewer, scores in zip(self.reviewer_ids, self.scores, strict=True):
            for submission, score in zip(self.submission_ids, scores.tolist(), strict=True):
                yield AffinityRow(submission, reviewer, score)


# --------------------------------------------------------------------------- reading


def read_reviewers(directory: Path) -> list[Reviewer]:
    """Every reviewer of an expertise directory (``*.jsonl``, one file per reviewer), by id."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory of reviewer files")
    files = sorted(
        p for p in directory.iterdir() if p.suffix == ".jsonl" and not p.name.startswith(".")
    )
    if not files:
        raise UsageError(f"{directory}: no reviewer files (one REVIEWER_ID.jsonl per reviewer)")
    return [Reviewer(path.stem, _read_lines(path, _read_text(path), "paper")) for path in files]


def read_submissions(path: Path) -> list[Doc]:
    """The submissions of a JSON object (id -> note), JSON array or JSON Lines file."""
    path = Path(path)
    origin = str(path)
    text = _read_text(path)
    body = text.lstrip()
    if not body:
        raise UsageError(f"{path}: no submissions")
    if body[0] == "[":
        try:
            items = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise FormatError(origin, exc.lineno, f"invalid JSON: {exc.msg}") from None
        docs = [
            _doc(item, Where(origin, None, f"item {n}"), "submission")
            for n, item in enumerate(items, 1)
        ]
    elif body[0] == "{":
        try:
            whole = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            first = next(line for line in _lines(text) if line.strip())
            if not _parses(first):  # one pretty-printed object, with a syntax error
                raise FormatError(origin, exc.lineno, f"invalid JSON: {exc.msg}") from None
            whole = None  # JSON Lines: the bad line is reported below
        if isinstance(whole, dict) and _is_note(whole):  # one note: JSON Lines of one line
            docs = [_doc(whole, Where(origin, _first_line(text)), "submission")]
        elif isinstance(whole, dict):
            docs = [
                _doc(note, Where(origin, None, f"submission {key!r}"), "submission", key)
                for key, note in whole.items()
            ]
        else:
            docs = _read_lines(path, text, "submission")
    else:
        raise FormatError(
            origin,
            _first_line(text),
            "expected a JSON object, a JSON array or JSON Lines of submissions",
        )
    if not docs:
        raise UsageError(f"{path}: no submissions")
    _check_unique(docs)
    return docs


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise FormatError(str(path), None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None


def _lines(text: str) -> list[str]:
    """Lines split on newlines only: JSON strings may hold U+2028 and other separators
    that ``str.splitlines`` would break on."""
    return text.split("\n")


def _first_line(text: str) -> int:
    return 1 + text[: len(text) - len(text.lstrip())].count("\n")


def _read_lines(path: Path, text: str, kind: str) -> list[Doc]:
    docs = []
    for number, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise FormatError(str(path), number, f"invalid JSON: {exc.msg}") from None
        docs.append(_doc(value, Where(str(path), number), kind))
    return docs


def _parses(line: str) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _is_note(value: dict[str, Any]) -> bool:
    """Whether an object is one note, not an id -> note map."""
    return isinstance(value.get("content"), dict)


def _doc(value: Any, where: Where, kind: str, default_id: str = "") -> Doc:
    if not isinstance(value, dict):
        raise where.error(f"expected a {kind} object, got {_json_type(value)}")
    raw_id = value.get("id", default_id)
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        raw_id = str(raw_id)
    if not isinstance(raw_id, str):
        raise where.error(f"{kind} id must be a string, got {_json_type(raw_id)}")
    if kind == "submission" and not raw_id.strip():
        raise where.error("submission has no id")
    content = value.get("content")
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise where.error(f"content must be an object, got {_json_type(content)}")
    title = _field(content, "title", where)
    abstract = _field(content, "abstract", where)
    return Doc(raw_id.strip() or str(where), title, abstract, where)


def _field(content: dict[str, Any], name: str, where: Where) -> str:
    value = content.get(name)
    if isinstance(value, dict):  # OpenReview API v2: {"value": ...}
        value = value.get("value")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise where.error(f"{name} must be a string, got {_json_type(value)}")
    return " ".join(value.split())


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _check_unique(docs: Sequence[Doc]) -> None:
    seen: dict[str, Doc] = {}
    for doc in docs:
        if doc.id in seen:
            raise doc.where.error(
                f"duplicate submission id {doc.id!r} (first at {seen[doc.id].where})"
            )
        seen[doc.id] = doc


# --------------------------------------------------------------------------- vectors


def _cached(store: Store, model: str, hashes: Sequence[str]) -> dict[str, npt.NDArray[np.float16]]:
    """The cached vectors of these content hashes (those that have one)."""
    return store.vectors.by_hash(model, hashes)


def embed_texts(
    texts: dict[str, str],
    embedder: Embedder,
    store: Store | None = None,
    progress: AffinityProgress | None = None,
) -> tuple[Matrix, int]:
    """Vectors for ``texts`` (content hash -> text), rows in the dict's order, and how many
    were embedded now. With a store, cached vectors are used and new ones saved. Rows are
    rounded to the cache's float16 and renormalised, as the digest reads them."""
    hashes = list(texts)
    cached = _cached(store, embedder.model_id, hashes) if store is not None else {}
    missing = [h for h in hashes if h not in cached]
    out = np.zeros((len(hashes), embedder.dim), dtype=VECTOR_DTYPE)
    row = {h: i for i, h in enumerate(hashes)}
    for h, vector in cached.items():
        out[row[h]] = vector
    total = len(missing)
    if progress:
        progress("embed", 0, total)
    for start in range(0, total, EMBED_CHUNK):
        chunk = missing[start : start + EMBED_CHUNK]
        step = _chunk_progress(progress, start, len(chunk), total)
        vectors = embedder.embed([texts[h] for h in chunk], progress=step)
        if store is not None:
            store.vectors.save(embedder.model_id, chunk, vectors)
        out[[row[h] for h in chunk]] = vectors.astype(VECTOR_DTYPE)
        if progress:
            progress("embed", start + len(chunk), total)
    return normalise_rows(out.astype(np.float32)), total


def _chunk_progress(
    progress: AffinityProgress | None, start: int, size: int, total: int
) -> Callable[[int], None] | None:
    """The embedder's per-batch callback for one chunk, reporting overall progress."""
    if progress is None:
        return None
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done = min(done + n, size)
        progress("embed", start + done, total)

    return step


# --------------------------------------------------------------------------- scoring


def compute_affinity(
    reviewers_dir: Path,
    submissions_file: Path,
    embedder: Embedder,
    *,
    store: Store | None = None,
    config: RankingConfig | None = None,
    progress: AffinityProgress | None = None,
) -> AffinityReport:
    """Score every reviewer of ``reviewers_dir`` for every submission of
    ``submissions_file`` (see the module doc)."""
    reviewers = read_reviewers(Path(reviewers_dir))
    submissions = read_submissions(Path(submissions_file))
    return score_reviewers(reviewers, submissions, embedder, store, config, progress)


def score_reviewers(
    reviewers: Sequence[Reviewer],
    submissions: Sequence[Doc],
    embedder: Embedder,
    store: Store | None = None,
    config: RankingConfig | None = None,
    progress: AffinityProgress | None = None,
) -> AffinityReport:
    """:func:`compute_affinity` on reviewers and submissions already read."""
    config = config or RankingConfig()
    subs = [d for d in submissions if d.has_text]
    skipped_subs = [d.id for d in submissions if not d.has_text]
    if not subs:
        raise UsageError("no submission has a title or an abstract to score")
    profiles: list[tuple[str, list[Doc]]] = []
    without: list[str] = []
    skipped_papers = 0
    for reviewer in reviewers:
        usable = _usable(reviewer.papers)
        skipped_papers += sum(1 for d in reviewer.papers if not d.has_text)
        if usable:
            profiles.append((reviewer.id, usable))
        else:
            without.append(reviewer.id)
    if not profiles:
        raise UsageError("no reviewer has a paper with a title or an abstract")

    started = time.perf_counter()
    texts: dict[str, str] = {}
    for doc in [*subs, *(d for _, papers in profiles for d in papers)]:
        texts.setdefault(doc.key, paper_text(doc.title, doc.abstract))
    matrix, embedded = embed_texts(texts, embedder, store, progress)
    row = {h: i for i, h in enumerate(texts)}
    embed_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with _one_blas_thread():
        scores = _score(profiles, subs, matrix, row, config, progress)
    return AffinityReport(
        model=embedder.model_id,
        reviewer_ids=[rid for rid, _ in profiles],
        submission_ids=[d.id for d in subs],
        scores=scores,
        reviewers_without_papers=without,
        skipped_papers=skipped_papers,
        skipped_submissions=skipped_subs,
        texts=len(texts),
        embedded=embedded,
        embed_seconds=embed_seconds,
        score_seconds=time.perf_counter() - started,
    )


def _score(
    profiles: Sequence[tuple[str, list[Doc]]],
    subs: Sequence[Doc],
    matrix: Matrix,
    row: dict[str, int],
    config: RankingConfig,
    progress: AffinityProgress | None,
) -> npt.NDArray[np.float64]:
    """Each reviewer's Scorer on every submission: a (reviewers, submissions) matrix."""
    sub_vectors = matrix[[row[d.key] for d in subs]]
    sub_texts = [Text(d.title, d.abstract) for d in subs]
    terms = Candidates(tokens(t.body) for t in sub_texts)  # tokenised once, for all
    scores = np.empty((len(profiles), len(subs)), dtype=np.float64)
    for r, (_, papers) in enumerate(profiles):
        scorer = reviewer_scorer(papers, matrix[[row[d.key] for d in papers]], config)
        scores[r] = scorer.score(sub_vectors, sub_texts, terms).score
        if progress:
            progress("score", r + 1, len(profiles))
    return scores


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while scoring: each reviewer's matrix products are small, and
    on a busy machine BLAS threads waiting for a core made each one several times slower
    (a 500 x 384 by 384 x 10 product: 2.3 ms on two threads, 0.3 ms on one)."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


def _usable(papers: Sequence[Doc]) -> list[Doc]:
    """Papers with some text, each text once (as the store keeps one paper per text)."""
    seen: set[str] = set()
    out = []
    for doc in papers:
        if doc.has_text and doc.key not in seen:
            seen.add(doc.key)
            out.append(doc)
    return out


def reviewer_scorer(
    papers: Sequence[Doc], vectors: Matrix, config: RankingConfig | None = None
) -> Scorer:
    """The digest's :class:`Scorer` for a reviewer whose own papers are ``papers``
    (``vectors``: their normalised vectors, rows aligned)."""
    anchors = [Anchor(i, d.id, d.title or d.abstract[:80], "own") for i, d in enumerate(papers)]
    return Scorer(anchors, vectors, [Text(d.title, d.abstract).body for d in papers], config)


# --------------------------------------------------------------------------- writing


def write_scores(rows: Iterable[tuple[str, str, float]], out_path: Path) -> int:
    """Write ``submission_id,reviewer_id,score`` rows (no header; scores to 6 decimals; ids
    quoted as the csv module would, when they hold a comma, quote or newline) to
    ``out_path`` atomically; the number of rows written."""
    out_path = Path(out_path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write {out_path}: {exc.strerror}") from None
    fields: dict[str, str] = {}

    def field(value: str) -> str:
        out = fields.get(value)
        if out is None:
            out = fields[value] = _csv_field(value)
        return out

    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp makes it private
            for submission_id, reviewer_id, score in rows:
                fh.write(f"{field(submission_id)},{field(reviewer_id)},{score:.6f}\n")
                count += 1
        os.replace(tmp, out_path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {out_path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _umask() -> int:
    mask = os.umask(0o22)
    os.umask(mask)
    return mask
