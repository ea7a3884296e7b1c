"""The scheduling repository of every backend: source cursors and checkpoints (sync), and
scheduled slots that run at most once (watch)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from paperradar.store.api import Store
from paperradar.store.api.scheduling import SourceState

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
JOB = "watch"


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


# -- sources ----------------------------------------------------------------------------------


def test_a_source_never_run_has_no_position(store: Store) -> None:
    assert store.scheduling.source_position("arxiv-cl") == ({}, None)
    assert store.scheduling.source_states() == []
    assert not store.scheduling.reset_source("arxiv-cl")


def test_a_run_starts_progresses_and_completes(store: Store) -> None:
    start = {"set": "cs", "from": "2025-03-01"}
    store.scheduling.source_started("arxiv-cl", "oai-pmh", at(1), start)
    assert store.scheduling.source_position("arxiv-cl") == ({}, start)
    assert store.scheduling.source_states() == [
        SourceState("arxiv-cl", "oai-pmh", {}, start, True, stamp(at(1)), None, 0, None)
    ]
    page2 = {"resumptionToken": "abc|1001", "nested": {"n": [1, 2]}}
    store.scheduling.source_progressed("arxiv-cl", "oai-pmh", page2)
    assert store.scheduling.source_position("arxiv-cl") == ({}, page2)
    done = {"from": "2025-03-10"}
    store.scheduling.source_completed("arxiv-cl", "oai-pmh", done, at(9))
    assert store.scheduling.source_position("arxiv-cl") == (done, None)
    (state,) = store.scheduling.source_states()
    assert state == SourceState(
        "arxiv-cl", "oai-pmh", done, None, False, stamp(at(1)), stamp(at(9)), 0, None
    )
    store.scheduling.source_started("arxiv-cl", "oai-pmh", at(60), {"from": "2025-03-10"})
    (state,) = store.scheduling.source_states()
    assert (state.cursor, state.checkpoint, state.interrupted) == (
        done,
        {"from": "2025-03-10"},
        True,
    )
    assert (state.started, state.succeeded) == (stamp(at(60)), stamp(at(9)))


def test_failures_are_counted_until_a_run_completes(store: Store) -> None:
    store.scheduling.source_started("hf", "hf-daily", at(1), {"day": "2025-03-10"})
    store.scheduling.source_failed("hf", "hf-daily", "HTTP 503 from huggingface.co")
    store.scheduling.source_failed("hf", "hf-daily", "timed out")
    (state,) = store.scheduling.source_states()
    assert (state.failures, state.last_error) == (2, "timed out")
    assert state.checkpoint == {"day": "2025-03-10"}  # the run resumes where it stopped
    store.scheduling.source_completed("hf", "hf-daily", {"day": "2025-03-11"}, at(5))
    (state,) = store.scheduling.source_states()
    assert (state.failures, state.last_error, state.checkpoint) == (0, None, None)


def test_a_failure_before_any_run_creates_the_state(store: Store) -> None:
    store.scheduling.source_failed("web", "web-page", "bad config")
    assert store.scheduling.source_states() == [
        SourceState("web", "web-page", {}, None, False, None, None, 1, "bad config")
    ]
    assert store.scheduling.source_position("web") == ({}, None)


def test_sources_are_listed_by_name_and_reset_alone(store: Store) -> None:
    store.scheduling.source_completed("zeta", "arxiv-rss", {"etag": "z"}, at(1))
    store.scheduling.source_started("alpha", "hf-daily", at(2), {"day": "2025-03-10"})
    store.scheduling.source_completed("mid", "arxiv-rss", {"etag": "m"}, at(3))
    assert [s.name for s in store.scheduling.source_states()] == ["alpha", "mid", "zeta"]
    assert store.scheduling.reset_source("mid")
    assert not store.scheduling.reset_source("mid")
    assert store.scheduling.source_position("mid") == ({}, None)
    assert [s.name for s in store.scheduling.source_states()] == ["alpha", "zeta"]
    assert store.scheduling.source_position("zeta") == ({"etag": "z"}, None)


def test_a_changed_kind_is_saved(store: Store) -> None:
    store.scheduling.source_completed("feed", "arxiv-rss", {"etag": "1"}, at(1))
    store.scheduling.source_started("feed", "arxiv-atom", at(2), {"start": 0})
    assert [s.kind for s in store.scheduling.source_states()] == ["arxiv-atom"]


# -- scheduled slots --------------------------------------------------------------------------


def test_a_finished_slot_is_never_claimed_again(store: Store) -> None:
    slot = T0
    assert store.scheduling.last_slot(JOB) is None
    assert store.scheduling.claim_slot(JOB, slot, at(1))
    assert store.scheduling.unfinished_slots(JOB) == [slot]
    store.scheduling.finish_slot(JOB, slot, "done", at(5), "synced 3 sources")
    assert not store.scheduling.claim_slot(JOB, slot, at(6))
    assert not store.scheduling.claim_slot(JOB, slot, at(7))
    assert store.scheduling.unfinished_slots(JOB) == []
    failed = T0 + dt.timedelta(days=1)
    assert store.scheduling.claim_slot(JOB, failed, at(1441))
    store.scheduling.finish_slot(JOB, failed, "failed", at(1442), "boom")
    assert not store.scheduling.claim_slot(JOB, failed, at(1443))
    assert store.scheduling.last_slot(JOB) == failed


def test_an_unfinished_slot_is_claimed_again(store: Store) -> None:
    slot = T0
    assert store.scheduling.claim_slot(JOB, slot, at(1))
    assert store.scheduling.claim_slot(JOB, slot, at(2))  # its process died: run it again
    store.scheduling.finish_slot(JOB, slot, "interrupted", at(3), "stopped by SIGTERM")
    assert store.scheduling.unfinished_slots(JOB) == [slot]
    assert store.scheduling.claim_slot(JOB, slot, at(4))
    store.scheduling.finish_slot(JOB, slot, "done", at(5), "")
    assert not store.scheduling.claim_slot(JOB, slot, at(6))


def test_unfinished_and_last_slots_per_job(store: Store) -> None:
    slots = [T0 + dt.timedelta(hours=h) for h in (48, 0, 24)]
    for slot in slots:
        assert store.scheduling.claim_slot(JOB, slot, slot)
    store.scheduling.finish_slot(JOB, slots[2], "done", slots[2], "")
    assert store.scheduling.claim_slot("other-job", T0 + dt.timedelta(days=9), T0)
    assert store.scheduling.unfinished_slots(JOB) == [slots[1], slots[0]]  # oldest first
    assert store.scheduling.last_slot(JOB) == slots[0]
    assert store.scheduling.last_slot("other-job") == T0 + dt.timedelta(days=9)
    assert store.scheduling.unfinished_slots("nobody") == []
    assert all(s.tzinfo is not None for s in store.scheduling.unfinished_slots(JOB))


def test_a_slot_claimed_by_another_store_object(
    store: Store, open_another: Callable[[], Store]
) -> None:
    other = open_another()
    assert other.scheduling.claim_slot(JOB, T0, at(1))
    other.scheduling.finish_slot(JOB, T0, "done", at(2), "")
    assert not store.scheduling.claim_slot(JOB, T0, at(3))
    assert store.scheduling.last_slot(JOB) == T0
