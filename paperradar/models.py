"""Typed models shared by every stage: papers and where they were seen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from paperradar import identifiers


@dataclass(slots=True)
class Sighting:
    """One time a source listed a paper: which source and file/URL, when, at what rank."""

    source: str
    locator: str
    seen_on: dt.date | None = None
    seen_on_inferred: bool = False
    rank: int | None = None
    upvotes: int | None = None
    kind: str | None = None  # e.g. the arXiv announce type: new, cross, replace, replace-cross


@dataclass(slots=True)
class Paper:
    """A paper as read from a source or as stored.

    ``id`` is the canonical id and ``aliases`` every id it is known by; both are filled in by
    the store. Readers fill the external ids (``arxiv_id`` without version, ``doi``, ...)
    and the store derives the aliases from them.
    """

    title: str = ""
    abstract: str = ""
    abstract_truncated: bool = False
    authors: list[str] = field(default_factory=list)
    author_count: int | None = None
    categories: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    doi: str | None = None
    s2_id: str | None = None
    hf_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    organisation: str | None = None
    upvotes: int | None = None
    comment: str | None = None
    journal_ref: str | None = None
    keywords: list[str] = field(default_factory=list)
    submitted: dt.date | None = None
    submitted_year_inferred: bool = False  # the source printed no year: it was inferred
    updated: dt.date | None = None
    listed: dt.date | None = None  # listed / announced by a source
    listed_year_inferred: bool = False
    ingested: dt.datetime | None = None
    withdrawn: bool = False
    sightings: list[Sighting] = field(default_factory=list)
    id: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def n_authors(self) -> int | None:
        """Number of authors: the list's length, or the count a listing gave."""
        return len(self.authors) if self.authors else self.author_count

    def external_aliases(self) -> list[str]:
        """Aliases from the paper's own ids (not the content id)."""
        out = []
        if self.arxiv_id:
            out.append(f"arxiv:{self.arxiv_id}")
        if self.doi:
            out.append(f"doi:{self.doi.lower()}")
        if self.s2_id:
            out.append(f"s2:{self.s2_id}")
        if self.hf_id:
            out.append(f"hf:{self.hf_id}")
        return out

    def derived_aliases(self) -> list[str]:
        """External aliases plus the content id: what the store files this paper under."""
        out = self.external_aliases()
        cid = identifiers.content_id(self.title, self.abstract)
        if cid:
            out.append(cid)
        return out


@dataclass(slots=True)
class IngestReport:
    """What one ingest did: records read, papers new and merged, records skipped."""

    read: int = 0
    new: int = 0
    merged: int = 0
    skipped: int = 0
    bad: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the radar

#: follow rules boost a paper and always include it; mute rules exclude it
RULE_KINDS = ("follow-author", "follow-keyword", "mute-keyword", "mute-category")
#: what a user can say about a paper (``unsave`` and ``clear`` undo ``save`` and like/dislike)
FEEDBACK_ACTIONS = ("like", "dislike", "save", "unsave", "clear")


@dataclass(frozen=True, slots=True)
class Rule:
    """One follow or mute rule of a profile, as the user wrote it."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Feedback:
    """One feedback action on a paper, with its time (UTC)."""

    paper_id: int
    action: str
    at: dt.datetime


@dataclass(slots=True)
class Profile:
    """A researcher: their own papers (store row ids), rules and feedback history."""

    id: int
    name: str
    created: dt.datetime
    papers: list[int] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)

    def opinions(self) -> dict[int, str]:
        """The standing like/dislike of each paper: the latest of like, dislike or clear."""
        out: dict[int, str] = {}
        for item in self.feedback:
            if item.action in ("like", "dislike"):
                out[item.paper_id] = item.action
            elif item.action == "clear":
                out.pop(item.paper_id, None)
        return out

    def liked(self) -> list[int]:
        return [i for i, opinion in self.opinions().items() if opinion == "like"]

    def disliked(self) -> list[int]:
        return [i for i, opinion in self.opinions().items() if opinion == "dislike"]

    def saved(self) -> list[int]:
        out: dict[int, None] = {}
        for item in self.feedback:
            if item.action == "save":
                out[item.paper_id] = None
            elif item.action == "unsave":
                out.pop(item.paper_id, None)
        return list(out)

    def rules_of(self, kind: str) -> list[str]:
        return [r.value for r in self.rules if r.kind == kind]


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One of the profile's papers a ranked paper is close to."""

    paper_id: int
    pid: str
    title: str
    similarity: float
    kind: str  # "own" or "liked"


@dataclass(slots=True)
class Why:
    """Why a paper is in a ranking (docs/ranking.md, "Explanations"): the nearest own/liked
    papers, the phrases it shares with them, its best-matching sentences, its place among
    the candidates, and the follow rule it matched. ``terms`` are the distinctive single
    terms it shares (the keyword score's evidence; in ``--json`` only)."""

    neighbours: list[Neighbour] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    rule: str | None = None
    phrases: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    percentile: int | None = None  # top N% of the candidates ranked
    among: int | None = None  # how many candidates were ranked
    closeness: str | None = None  # strong, medium or weak (by percentile)

    def standing(self) -> str:
        """The paper's place, in words ("strong match: top 3% of 412 papers"), or ""."""
        if self.percentile is None or not self.among:
            return ""
        place = f"top {self.percentile}% of {self.among:,} papers"
        return f"{self.closeness} match: {place}" if self.closeness else place

    def near(self, most: int | None = None) -> list[str]:
        """The nearest own and liked papers (the ``most`` nearest), named by title: "close
        to your paper «A»", "like «B» and «C», which you liked"."""
        own = [f"«{_short(n.title or n.pid)}»" for n in self.neighbours[:most] if n.kind != "liked"]
        liked = [
            f"«{_short(n.title or n.pid)}»" for n in self.neighbours[:most] if n.kind == "liked"
        ]
        out = []
        if own:
            out.append(f"close to your paper{'s' if len(own) > 1 else ''} {_and(own)}")
        if liked:
            out.append(f"like {_and(liked)}, which you liked")
        return out

    def summary(self) -> str:
        """One line for tables and feeds."""
        parts = [p for p in (self.rule, self.standing()) if p]
        parts += self.near(1)
        if self.phrases:
            parts.append("shares " + ", ".join(f"“{p}”" for p in self.phrases))
        return " · ".join(parts)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(slots=True)
class Ranked:
    """A candidate paper scored for a profile, with the parts of its score and why."""

    paper: Paper
    row_id: int
    score: float
    why: Why
    parts: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Digest:
    """The ranked papers of one profile for a window of listing dates."""

    profile: str
    created: dt.datetime
    start: dt.date
    end: dt.date
    candidates: int
    entries: list[Ranked] = field(default_factory=list)
    id: int | None = None

    @property
    def window(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(slots=True)
class Filters:
    """Restrictions every search mode applies."""

    since: dt.date | None = None
    until: dt.date | None = None
    category: str | None = None
    source: str | None = None
