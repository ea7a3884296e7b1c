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
import json
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
    Feedback,
    IngestReport,
    Paper,
    Profile,
    Rule,
)
from paperradar.readers import ReadContext, read_path
from paperradar.readers.base import BadRecord
from paperradar.store import Store

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
    with store.transaction():
        if store.query("SELECT 1 FROM profiles WHERE name = ?", (name,)):
            raise UsageError(f"a profile named {name!r} already exists")
        store.conn.execute("INSERT INTO profiles (name, created) VALUES (?, ?)", (name, _now()))
    return load_profile(store, name)


def profile_names(store: Store) -> list[str]:
    return [r["name"] for r in store.query("SELECT name FROM profiles ORDER BY name")]


def _profile_id(store: Store, name: str) -> int:
    rows = store.query("SELECT id FROM profiles WHERE name = ?", (name,))
    if not rows:
        known = profile_names(store)
        hint = f"; profiles: {', '.join(known)}" if known else "; create one with `profile create`"
        raise UsageError(f"no profile named {name!r}{hint}")
    return int(rows[0]["id"])


def load_profile(store: Store, name: str) -> Profile:
    """The profile with its papers, rules and feedback history (oldest first)."""
    pid = _profile_id(store, name)
    row = store.query("SELECT * FROM profiles WHERE id = ?", (pid,))[0]
    papers = [
        int(r["paper_id"])
        for r in store.query(
            "SELECT paper_id FROM profile_papers WHERE profile_id = ? ORDER BY added, paper_id",
            (pid,),
        )
    ]
    rules = [
        Rule(r["kind"], r["value"])
        for r in store.query(
            "SELECT kind, value FROM rules WHERE profile_id = ? ORDER BY kind, added, key", (pid,)
        )
    ]
    feedback = [
        Feedback(int(r["paper_id"]), r["action"], dt.datetime.fromisoformat(r["at"]))
        for r in store.query(
            "SELECT paper_id, action, at FROM feedback WHERE profile_id = ? ORDER BY id", (pid,)
        )
    ]
    return Profile(
        pid, row["name"], dt.datetime.fromisoformat(row["created"]), papers, rules, feedback
    )


def remove_profile(store: Store, name: str) -> None:
    """Delete a profile with its papers list, rules, feedback and digests (papers stay)."""
    pid = _profile_id(store, name)
    with store.transaction():
        store.conn.execute("DELETE FROM profiles WHERE id = ?", (pid,))


# --------------------------------------------------------------------------- own papers


@dataclass(slots=True)
class AddReport:
    """What adding papers to a profile did."""

    added: int = 0
    already: int = 0
    ingest: IngestReport | None = None


def _link(store: Store, pid: int, row_ids: Sequence[int], origin: str) -> AddReport:
    report = AddReport()
    now = _now()
    with store.transaction():
        for row_id in dict.fromkeys(row_ids):
            cursor = store.conn.execute(
                "INSERT OR IGNORE INTO profile_papers (profile_id, paper_id, origin, added) "
                "VALUES (?, ?, ?, ?)",
                (pid, row_id, origin, now),
            )
            if cursor.rowcount:
                report.added += 1
            else:
                report.already += 1
    return report


def add_ids(store: Store, name: str, refs: Sequence[str]) -> AddReport:
    """Add stored papers by any of their ids (an unknown id is an error; nothing added)."""
    pid = _profile_id(store, name)
    row_ids = [store.resolve(ref) for ref in refs]
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
                    row_ids.append(store.resolve(alias))
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
    with store.transaction():
        store.upsert(list(papers), stored)
        row_ids = [_stored_row(store, paper) for paper in papers]
        out = _link(store, pid, [r for r in row_ids if r is not None], origin)
    stored.read = len(papers)
    out.ingest = stored
    return out


def _stored_row(store: Store, paper: Paper) -> int | None:
    for alias in paper.derived_aliases():
        try:
            return store.resolve(alias)
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
    for paper in store.load(list(dict.fromkeys(row_ids))):
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
    rows = store.query(
        "SELECT p.id, p.authors FROM papers_fts f JOIN papers p ON p.id = f.rowid "
        "WHERE papers_fts MATCH ?",
        (f'authors : "{last}"',),
    )
    out = []
    for row in rows:
        if any(author_matches(author, name) for name in json.loads(row["authors"])):
            out.append(int(row["id"]))
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
    row_ids = [store.resolve(ref) for ref in refs]
    removed = 0
    with store.transaction():
        for row_id in row_ids:
            removed += store.conn.execute(
                "DELETE FROM profile_papers WHERE profile_id = ? AND paper_id = ?", (pid, row_id)
            ).rowcount
    return removed


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
    with store.transaction():
        cursor = store.conn.execute(
            "INSERT OR IGNORE INTO rules (profile_id, kind, value, key, added) "
            "VALUES (?, ?, ?, ?, ?)",
            (pid, kind, value.strip(), key, _now()),
        )
    return bool(cursor.rowcount)


def remove_rule(store: Store, name: str, kind: str, value: str) -> bool:
    """Remove a rule; False if the profile did not have it."""
    pid = _profile_id(store, name)
    with store.transaction():
        cursor = store.conn.execute(
            "DELETE FROM rules WHERE profile_id = ? AND kind = ? AND key = ?",
            (pid, kind, rule_key(kind, value)),
        )
    return bool(cursor.rowcount)


# --------------------------------------------------------------------------- feedback


def record_feedback(store: Store, name: str, refs: Sequence[str], action: str) -> list[int]:
    """Record ``action`` on papers (by any of their ids) at the current time."""
    if action not in FEEDBACK_ACTIONS:
        raise UsageError(f"unknown action {action!r}; choose from {', '.join(FEEDBACK_ACTIONS)}")
    pid = _profile_id(store, name)
    row_ids = [store.resolve(ref) for ref in refs]
    now = _now()
    with store.transaction():
        store.conn.executemany(
            "INSERT INTO feedback (profile_id, paper_id, action, at) VALUES (?, ?, ?, ?)",
            [(pid, row_id, action, now) for row_id in row_ids],
        )
    return row_ids
