"""Profiles, their papers, rules and feedback; digests and what they showed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from paperradar.models import Profile


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One paper a digest shows, as recorded: its rank is its position in the digest."""

    paper_id: int
    score: float
    why: str  # JSON: the explanation and the score's parts, as shown


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """A recorded digest of a profile, for the archive."""

    id: int
    created: str  # ISO timestamp (UTC)
    window_start: str  # ISO date
    window_end: str
    candidates: int
    size: int  # how many papers it showed


@dataclass(frozen=True, slots=True)
class DigestRecord:
    """A recorded digest with the name of its profile."""

    id: int
    created: str  # ISO timestamp (UTC)
    window_start: str  # ISO date
    window_end: str
    candidates: int
    profile: str


@dataclass(frozen=True, slots=True)
class ShownPaper:
    """A paper a recorded digest showed, with the score and explanation it had then."""

    rank: int
    score: float
    why: str  # JSON, as recorded
    pid: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]


class RadarRepo(Protocol):
    """Profiles, their papers, rules and feedback; digests and what they showed."""

    # -- profiles

    def profile_id(self, name: str) -> int | None:
        """The id of the profile of that name, if any."""
        ...

    def profile_names(self) -> list[str]:
        """Every profile's name, sorted."""
        ...

    def add_profile(self, name: str, created: dt.datetime) -> bool:
        """A new, empty profile; False (and no change) when the name is taken."""
        ...

    def profile(self, profile_id: int) -> Profile:
        """The profile with its papers (in order added), rules and feedback (oldest first)."""
        ...

    def remove_profile(self, profile_id: int) -> None:
        """Delete the profile with its papers list, rules, feedback and digests."""
        ...

    # -- own papers, rules, feedback

    def link_papers(
        self, profile_id: int, paper_ids: Sequence[int], origin: str, added: dt.datetime
    ) -> int:
        """Add papers to the profile's own; how many were not there already."""
        ...

    def unlink_papers(self, profile_id: int, paper_ids: Sequence[int]) -> int:
        """Remove papers from the profile's own; how many were there."""
        ...

    def add_rule(
        self, profile_id: int, kind: str, value: str, key: str, added: dt.datetime
    ) -> bool:
        """Add a rule (``key`` its normalised value); False if the profile already has it."""
        ...

    def remove_rule(self, profile_id: int, kind: str, key: str) -> bool:
        """Remove a rule by its normalised value; False if the profile did not have it."""
        ...

    def add_feedback(
        self, profile_id: int, paper_ids: Sequence[int], action: str, at: dt.datetime
    ) -> None:
        """Record one feedback action on each paper."""
        ...

    # -- digests

    def shown_before(self, profile_id: int, start: dt.date, end: dt.date) -> set[int]:
        """Papers shown by the profile's digests of windows other than ``start``-``end``."""
        ...

    def record_digest(
        self,
        profile_id: int,
        start: dt.date,
        end: dt.date,
        created: dt.datetime,
        candidates: int,
        items: Sequence[DigestItem],
    ) -> int:
        """Store a digest and its items (ranked 1, 2, ...) in one transaction; the same
        window's digest is replaced in place, keeping its id. Returns the digest's id."""
        ...

    def digests(self, profile_id: int, limit: int) -> list[DigestSummary]:
        """The profile's recorded digests, newest first, at most ``limit``."""
        ...

    def digest(self, digest_id: int) -> DigestRecord | None:
        """One recorded digest with its profile's name, if it exists."""
        ...

    def shown(self, digest_id: int) -> list[ShownPaper]:
        """The papers a recorded digest showed, by rank."""
        ...

    # -- the feedback classifier's background

    def background(self, model: str, n: int, seed: int) -> Mapping[int, npt.NDArray[np.float32]]:
        """Vectors (``model``) of the stored papers among ``3 n`` row ids drawn with
        ``seed`` up to the newest paper, by row id; cached while the newest paper is the
        same (the result is shared: do not modify it). Empty without papers or for n <= 0."""
        ...
