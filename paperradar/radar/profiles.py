"""Researcher profiles: own papers, follow and mute rules, and feedback, kept in the store.

A profile is named (``[A-Za-z0-9._-]``, up to 64 characters) and unique in a home. Its own
papers are store rows: added from any readable file (the file is ingested first, so the
papers are deduplicated against the store like any other), from store ids, or by author name
(every stored paper whose author list holds that name, compared normalised: case, accents
and punctuation ignored, initials matched against first names). Rules and feedback are
stored with their time; the standing opinion of a paper is the latest like, dislike or
clear.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from paperradar.errors import UsageError
from paperradar.ingest import Progress, ingest_files
from paperradar.models import (
    FEEDBACK_ACTIONS,
    RULE_KINDS,
    IngestReport,
    Paper,
    Profile,
)
from paperradar.readers import ReadContext, read_path
from paperradar.readers.base import BadRecord
from paperradar.store.api import Store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"invalid profile name {name!r}: use letters, digits, '.', '_' or '-' "
            "(up to 64, starting with a letter or digit)"
        )
    return name


def create_profile(store: Store, name: str) -> Profile:
    """A new, empty profile; an error if the name is taken."""
    check_name(name)
    if not store.radar.add_profile(name, _now()):
        raise UsageError(f"a profile named {name!r} already exists")
    return load_profile(store, name)


def profile_names(store: Store) -> list[str]:
    return store.radar.profile_names()


def _profile_id(store: Store, name: str) -> int:
    found = store.radar.profile_id(name)
    if found is None:
        known = profile_names(store)
        hint = f"; profiles: {', '.join(known)}" if known else "; create one with `profile create`"
        raise UsageError(f"no profile named {name!r}{hint}")
    return found


def load_profile(store: Store, name: str) -> Profile:
    """The profile with its papers, rules and feedback history (oldest first)."""
    return store.radar.profile(_profile_id(store, name))


def remove_profile(store: Store, name: str) -> None:
    """Delete a profile with its papers list, rules, feedback and digests (papers stay)."""
    store.radar.remove_profile(_profile_id(store, name))


# --------------------------------------------------------------------------- own papers


@dataclass(slots=True)
class AddReport:
    """What adding papers to a profile did."""

    added: int = 0
    already: int = 0
    ingest: IngestReport | None = None


def _link(store: Store, pid: int, row_ids: Sequence[int], origin: str) -> AddReport:
    unique = list(dict.fromkeys(row_ids))
    added = store.radar.link_papers(pid, unique, origin, _now())
    return AddReport(added=added, already=len(unique) - added)


def add_ids(store: Store, name: str, refs: Sequence[str]) -> AddReport:
    """Add stored papers by any of their ids (an unknown id is an error; nothing added)."""
    pid = _profile_id(store, name)
    row_ids = [store.papers.resolve(ref) for ref in refs]
    return _link(store, pid, row_ids, "id")


def add_files(
    store: Store,
    name: str,
    paths: Sequence[Path],
    fmt: str | None = None,
    progress: Progress | None = None,
    origins: Sequence[str] | None = None,
) -> AddReport:
    """Ingest files (deduplicated into the store as usual, all or nothing) and add their
    papers to the profile; ``origins`` (one per path) name the files instead of their paths,
    in messages, sightings and the profile's record of where each paper came from."""
    pid = _profile_id(store, name)
    names = list(origins) if origins is not None else [str(p) for p in paths]
    report = ingest_files(store, list(paths), fmt=fmt, progress=progress, origins=names)
    row_ids: list[int] = []
    for path, origin in zip(paths, names, strict=True):  # read again (own-paper files are
        opened = read_path(path, fmt, ReadContext(origin=origin))  # small) to find each
        for record in opened.records:
            if isinstance(record, BadRecord):
                continue
            for alias in record.derived_aliases():
                try:
                    row_ids.append(store.papers.resolve(alias))
                    break
                except UsageError:
                    continue
    out = _link(store, pid, row_ids, ",".join(names))
    out.ingest = report
    return out


def add_papers(store: Store, name: str, papers: Sequence[Paper], origin: str) -> AddReport:
    """Store papers fetched from elsewhere (deduplicated as usual) and add them to the
    profile, in one transaction."""
    pid = _profile_id(store, name)
    stored = IngestReport()
    with store.transaction(papers=True):
        store.papers.upsert(list(papers), stored)
        row_ids = [_stored_row(store, paper) for paper in papers]
        out = _link(store, pid, [r for r in row_ids if r is not None], origin)
    stored.read = len(papers)
    out.ingest = stored
    return out


def _stored_row(store: Store, paper: Paper) -> int | None:
    for alias in paper.derived_aliases():
        try:
            return store.papers.resolve(alias)
        except UsageError:
            continue
    return None


def seed_ids(store: Store, name: str) -> tuple[list[str], list[str]]:
    """A profile's papers as ids other services know (``ArXiv:2401.00001``, ``DOI:10...``,
    a Semantic Scholar id): own and liked papers, then disliked ones."""
    profile = load_profile(store, name)
    opinions = profile.opinions()
    positive = [*profile.papers, *(i for i, a in opinions.items() if a == "like")]
    negative = [i for i, a in opinions.items() if a == "dislike"]
    return _external_ids(store, positive), _external_ids(store, negative)


def _external_ids(store: Store, row_ids: Sequence[int]) -> list[str]:
    out: list[str] = []
    for paper in store.papers.load(list(dict.fromkeys(row_ids))):
        if paper.s2_id:
            out.append(paper.s2_id)
        elif paper.arxiv_id:
            out.append(f"ArXiv:{paper.arxiv_id}")
        elif paper.doi:
            out.append(f"DOI:{paper.doi}")
    return out


def normalise_author(name: str) -> str:
    """Lower case, accents and punctuation removed, single spaces: ``"Müller, J.-P."`` ->
    ``"muller j p"``; "Last, First" is turned into "First Last"."""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def author_matches(wanted: str, candidate: str) -> bool:
    """Whether two author names are the same person as far as names tell: equal once
    normalised, or the same last name with compatible first names (an initial matches a
    name that starts with it) and, when both give one, compatible middle names."""
    a, b = normalise_author(wanted).split(), normalise_author(candidate).split()
    if not a or not b:
        return False
    if a == b:
        return True
    if a[-1] != b[-1]:
        return False
    if len(a) > 2 and len(b) > 2 and not _compatible(a[1], b[1]):
        return False  # both give a middle name, and they differ
    return _compatible(a[0], b[0])


def _compatible(x: str, y: str) -> bool:
    """Two given names agree: equal, or one is the other's initial."""
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]
    return x == y


def papers_by_author(store: Store, author: str) -> list[int]:
    """Row ids of stored papers with ``author`` in their author list."""
    parts = normalise_author(author).split()
    if not parts:
        raise UsageError("--author: the name is empty")
    last = parts[-1]
    out = []
    for row_id, names in store.keyword.papers_with_author_word(last):
        if any(author_matches(author, name) for name in names):
            out.append(row_id)
    return out


def add_author(store: Store, name: str, author: str) -> AddReport:
    """Add every stored paper by ``author`` (an error if there is none)."""
    pid = _profile_id(store, name)
    row_ids = papers_by_author(store, author)
    if not row_ids:
        raise UsageError(f"no paper in the store has an author matching {author!r}")
    return _link(store, pid, row_ids, f"author:{author}")


def remove_papers(store: Store, name: str, refs: Sequence[str]) -> int:
    """Remove papers from the profile's own papers (they stay in the store)."""
    pid = _profile_id(store, name)
    row_ids = [store.papers.resolve(ref) for ref in refs]
    return store.radar.unlink_papers(pid, row_ids)


# --------------------------------------------------------------------------- rules


def rule_key(kind: str, value: str) -> str:
    """The normalised form a rule is matched and deduplicated by."""
    if kind == "follow-author":
        return normalise_author(value)
    if kind == "mute-category":
        return value.strip().lower()
    return " ".join(re.findall(r"[\w+#.-]+", value.lower()))


def add_rule(store: Store, name: str, kind: str, value: str) -> bool:
    """Add a follow/mute rule; False if the profile already has it."""
    if kind not in RULE_KINDS:
        raise UsageError(f"unknown rule {kind!r}; choose from {', '.join(RULE_KINDS)}")
    key = rule_key(kind, value)
    if not key:
        raise UsageError(f"{kind}: the value {value!r} has nothing to match")
    pid = _profile_id(store, name)
    return store.radar.add_rule(pid, kind, value.strip(), key, _now())


def remove_rule(store: Store, name: str, kind: str, value: str) -> bool:
    """Remove a rule; False if the profile did not have it."""
    pid = _profile_id(store, name)
    return store.radar.remove_rule(pid, kind, rule_key(kind, value))


# --------------------------------------------------------------------------- feedback


def record_feedback(store: Store, name: str, refs: Sequence[str], action: str) -> list[int]:
    """Record ``action`` on papers (by any of their ids) at the current time."""
    if action not in FEEDBACK_ACTIONS:
        raise UsageError(f"unknown action {action!r}; choose from {', '.join(FEEDBACK_ACTIONS)}")
    pid = _profile_id(store, name)
    row_ids = [store.papers.resolve(ref) for ref in refs]
    store.radar.add_feedback(pid, row_ids, action, _now())
    return row_ids
