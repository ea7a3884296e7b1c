"""The radar repository of every backend: profiles, their papers, rules and feedback, and
the digests they were shown."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import numpy as np
import pytest

from paperradar.identifiers import content_hash
from paperradar.models import Feedback, Paper, Rule
from paperradar.store.api import Store
from paperradar.store.api.radar import DigestItem, DigestRecord, DigestSummary, ShownPaper

Make = Callable[..., Paper]

T0 = dt.datetime(2025, 3, 3, 7, 30, tzinfo=dt.UTC)
MON, SUN = dt.date(2025, 3, 3), dt.date(2025, 3, 9)
NEXT_MON, NEXT_SUN = dt.date(2025, 3, 10), dt.date(2025, 3, 16)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def new_profile(store: Store, name: str = "ada") -> int:
    assert store.radar.add_profile(name, T0)
    found = store.radar.profile_id(name)
    assert found is not None
    return found


@pytest.fixture
def ids(store: Store, paper: Make) -> list[int]:
    """Four stored papers' row ids."""
    records = [
        paper(f"{word} paper title here", arxiv_id=f"2501.0000{n}", categories=["cs.CL", "cs.LG"])
        for n, word in enumerate(("Alpha", "Beta", "Gamma", "Delta"), start=1)
    ]
    store.papers.upsert(records)
    return [store.papers.resolve(f"2501.0000{n}") for n in range(1, 5)]


# -- profiles ---------------------------------------------------------------------------------


def test_profiles_are_added_named_and_removed(store: Store) -> None:
    assert store.radar.profile_names() == []
    assert store.radar.profile_id("ada") is None
    assert store.radar.add_profile("ada", T0)
    assert store.radar.add_profile("Bob", at(1))
    assert not store.radar.add_profile("ada", at(2))  # the name is taken
    assert store.radar.profile_names() == ["Bob", "ada"]
    ada = store.radar.profile_id("ada")
    assert ada is not None and ada != store.radar.profile_id("Bob")
    profile = store.radar.profile(ada)
    assert (profile.id, profile.name, profile.created) == (ada, "ada", T0)  # not at(2)
    assert (profile.papers, profile.rules, profile.feedback) == ([], [], [])
    store.radar.remove_profile(ada)
    assert store.radar.profile_id("ada") is None
    assert store.radar.profile_names() == ["Bob"]
    assert store.radar.add_profile("ada", at(3))  # the name is free again


def test_own_papers_are_linked_once_and_unlinked(store: Store, ids: list[int]) -> None:
    pid = new_profile(store)
    a, b, c, d = ids
    assert store.radar.link_papers(pid, [c, a], "file", at(1)) == 2
    assert store.radar.link_papers(pid, [a, b], "id", at(2)) == 1  # a is there already
    assert store.radar.link_papers(pid, [], "id", at(3)) == 0
    assert store.radar.profile(pid).papers == [a, c, b]  # in the order added
    other = new_profile(store, "bob")
    assert store.radar.link_papers(other, [a], "id", at(4)) == 1  # profiles are apart
    assert store.radar.unlink_papers(pid, [a, d]) == 1  # d was not there
    assert store.radar.unlink_papers(pid, [a]) == 0
    assert store.radar.profile(pid).papers == [c, b]
    assert store.radar.profile(other).papers == [a]


def test_rules_are_unique_by_normalised_value(store: Store) -> None:
    pid = new_profile(store)
    assert store.radar.add_rule(pid, "follow-author", "Ada Lovelace", "ada lovelace", at(1))
    assert store.radar.add_rule(pid, "mute-keyword", "Crypto", "crypto", at(2))
    assert store.radar.add_rule(pid, "follow-keyword", "LLM agents", "llm agents", at(3))
    assert not store.radar.add_rule(pid, "follow-author", "ADA LOVELACE", "ada lovelace", at(4))
    assert store.radar.add_rule(pid, "follow-keyword", "crypto", "crypto", at(5))  # other kind
    assert store.radar.profile(pid).rules == [  # by kind, then as added
        Rule("follow-author", "Ada Lovelace"),
        Rule("follow-keyword", "LLM agents"),
        Rule("follow-keyword", "crypto"),
        Rule("mute-keyword", "Crypto"),
    ]
    assert store.radar.remove_rule(pid, "mute-keyword", "crypto")
    assert not store.radar.remove_rule(pid, "mute-keyword", "crypto")
    assert not store.radar.remove_rule(pid, "mute-category", "cs.cl")
    other = new_profile(store, "bob")
    assert store.radar.add_rule(other, "follow-author", "Ada Lovelace", "ada lovelace", at(6))
    assert [r.kind for r in store.radar.profile(pid).rules] == [
        "follow-author",
        "follow-keyword",
        "follow-keyword",
    ]


def test_feedback_is_kept_in_order_with_its_time(store: Store, ids: list[int]) -> None:
    pid = new_profile(store)
    a, b, c, _ = ids
    store.radar.add_feedback(pid, [a, b], "like", at(1))
    store.radar.add_feedback(pid, [a], "dislike", at(2))
    store.radar.add_feedback(pid, [c], "save", at(3))
    store.radar.add_feedback(pid, [b], "clear", at(4))
    store.radar.add_feedback(pid, [], "like", at(5))
    profile = store.radar.profile(pid)
    assert profile.feedback == [
        Feedback(a, "like", at(1)),
        Feedback(b, "like", at(1)),
        Feedback(a, "dislike", at(2)),
        Feedback(c, "save", at(3)),
        Feedback(b, "clear", at(4)),
    ]
    assert profile.opinions() == {a: "dislike"}
    assert store.radar.profile(new_profile(store, "bob")).feedback == []


# -- digests ----------------------------------------------------------------------------------


def items(*pairs: tuple[int, float]) -> list[DigestItem]:
    return [DigestItem(row_id, score, json.dumps({"why": f"#{row_id}"})) for row_id, score in pairs]


def test_a_digest_is_recorded_and_read_back(store: Store, ids: list[int], paper: Make) -> None:
    pid = new_profile(store)
    a, b, _, _ = ids
    created = dt.datetime(2025, 3, 10, 6, 0, 5, tzinfo=dt.UTC)
    digest_id = store.radar.record_digest(pid, MON, SUN, created, 40, items((b, 0.9), (a, 0.5)))
    assert store.radar.digest(digest_id) == DigestRecord(
        digest_id, created.isoformat(), "2025-03-03", "2025-03-09", 40, "ada"
    )
    assert store.radar.digest(digest_id + 100) is None
    assert store.radar.digests(pid, 10) == [
        DigestSummary(digest_id, created.isoformat(), "2025-03-03", "2025-03-09", 40, 2)
    ]
    shown = store.radar.shown(digest_id)
    (pb,) = store.papers.load([b])
    assert shown[0] == ShownPaper(
        1,
        0.9,
        json.dumps({"why": f"#{b}"}),
        "arxiv:2501.00002",
        pb.title,
        pb.abstract,
        pb.authors,
        ["cs.CL", "cs.LG"],
    )
    assert [(s.rank, s.pid, s.score) for s in shown] == [
        (1, "arxiv:2501.00002", 0.9),
        (2, "arxiv:2501.00001", 0.5),
    ]
    assert store.radar.shown(digest_id + 100) == []


def test_recording_a_window_again_replaces_it_in_place(store: Store, ids: list[int]) -> None:
    pid = new_profile(store)
    a, b, c, _ = ids
    first = store.radar.record_digest(pid, MON, SUN, at(1), 40, items((a, 0.9), (b, 0.5)))
    again = store.radar.record_digest(pid, MON, SUN, at(2), 41, items((c, 0.7)))
    assert again == first  # the same id: a link to it still works
    assert [(s.rank, s.score) for s in store.radar.shown(first)] == [(1, 0.7)]
    (summary,) = store.radar.digests(pid, 10)
    assert (summary.id, summary.created, summary.candidates, summary.size) == (
        first,
        at(2).isoformat(),
        41,
        1,
    )
    later = store.radar.record_digest(pid, NEXT_MON, NEXT_SUN, at(3), 12, items((b, 0.4)))
    assert later != first
    assert [d.id for d in store.radar.digests(pid, 10)] == [later, first]  # newest first
    assert [d.id for d in store.radar.digests(pid, 1)] == [later]
    other = new_profile(store, "bob")
    theirs = store.radar.record_digest(other, MON, SUN, at(4), 3, items((a, 0.1)))
    assert theirs not in (first, later)  # windows are per profile
    assert [d.id for d in store.radar.digests(other, 10)] == [theirs]
    assert store.radar.digest(theirs) is not None
    assert store.radar.digest(first) == DigestRecord(
        first, at(2).isoformat(), MON.isoformat(), SUN.isoformat(), 41, "ada"
    )


def test_shown_before_leaves_out_the_window_asked(store: Store, ids: list[int]) -> None:
    pid = new_profile(store)
    a, b, c, d = ids
    assert store.radar.shown_before(pid, MON, SUN) == set()
    store.radar.record_digest(pid, MON, SUN, at(1), 10, items((a, 0.9), (b, 0.5)))
    store.radar.record_digest(pid, NEXT_MON, NEXT_SUN, at(2), 10, items((c, 0.9), (b, 0.4)))
    other = new_profile(store, "bob")
    store.radar.record_digest(other, MON, SUN, at(3), 10, items((d, 0.9)))
    assert store.radar.shown_before(pid, NEXT_MON, NEXT_SUN) == {a, b}
    assert store.radar.shown_before(pid, MON, SUN) == {b, c}
    assert store.radar.shown_before(pid, MON, NEXT_SUN) == {a, b, c}  # another window
    assert store.radar.shown_before(other, NEXT_MON, NEXT_SUN) == {d}


def test_removing_a_profile_removes_its_digests_and_subscription(
    store: Store, ids: list[int]
) -> None:
    pid = new_profile(store)
    keep = new_profile(store, "bob")
    store.radar.link_papers(pid, ids[:2], "id", at(1))
    store.radar.add_feedback(pid, ids[:1], "like", at(2))
    digest_id = store.radar.record_digest(pid, MON, SUN, at(3), 10, items((ids[0], 0.9)))
    kept_digest = store.radar.record_digest(keep, MON, SUN, at(3), 10, items((ids[0], 0.9)))
    store.delivery.set_subscription(pid, "ada@example.org", True, "07:00", at(4))
    store.radar.remove_profile(pid)
    assert store.radar.digest(digest_id) is None
    assert store.radar.shown(digest_id) == []
    assert store.delivery.subscription(pid) is None
    assert store.radar.digest(kept_digest) is not None
    assert store.papers.count() == 4  # the papers stay
    again = new_profile(store)
    assert store.radar.profile(again).papers == []


def test_background_vectors_of_sampled_papers(store: Store, ids: list[int]) -> None:
    loaded = store.papers.load(ids)
    vectors = np.eye(8, dtype=np.float32)[: len(ids)]
    store.vectors.save("m", [content_hash(p.title, p.abstract) for p in loaded], vectors)
    sample = store.radar.background("m", 10, seed=1)  # 30 draws among 4 ids
    assert set(sample) == set(ids)
    expected = store.vectors.for_papers("m", ids)
    assert all(np.array_equal(sample[i], expected[i]) for i in ids)
    assert store.radar.background("m", 0, seed=1) == {}
    assert store.radar.background("other-model", 10, seed=1) == {}
    one = store.radar.background("m", 1, seed=7)  # 3 draws
    assert 1 <= len(one) <= 3 and set(one) <= set(ids)
    assert store.radar.background("m", 1, seed=7).keys() == one.keys()  # the same draw


def test_background_of_an_empty_store(store: Store) -> None:
    assert store.radar.background("m", 10, seed=1) == {}
