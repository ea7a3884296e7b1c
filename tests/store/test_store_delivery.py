"""The delivery repository of every backend: the email outbox (sent at most once, claims
that race) and the digest subscriptions."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest

from paperradar.store.api import Store
from paperradar.store.api.delivery import ActiveSubscription, OutboxEntry, StoredSubscription

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
RESENT = "resent after an interrupted delivery"


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def new_profile(store: Store, name: str) -> int:
    assert store.radar.add_profile(name, T0)
    found = store.radar.profile_id(name)
    assert found is not None
    return found


def queue(store: Store, recipient: str, digest_id: int | None = None, n: int = 0) -> int:
    return store.delivery.add_email(
        digest_id=digest_id,
        recipient=recipient,
        subject=f"Digest {n}",
        message_id=f"<{n}.{recipient}@paperradar.test>",
        message=f"Subject: Digest {n}\r\n\r\nbody {n}\r\n".encode(),
        created=at(n),
    )


@pytest.fixture
def digest_id(store: Store) -> int:
    pid = new_profile(store, "ada")
    return store.radar.record_digest(pid, dt.date(2025, 3, 3), dt.date(2025, 3, 9), T0, 0, [])


# -- the outbox -------------------------------------------------------------------------------


def test_queued_emails_wait_oldest_first(store: Store, digest_id: int) -> None:
    assert store.delivery.unsent() == [] and store.delivery.waiting_count() == 0
    first = queue(store, "ada@example.org", digest_id, n=1)
    second = queue(store, "bob@example.org", None, n=2)
    assert first != second
    assert store.delivery.unsent() == [
        OutboxEntry(first, "ada@example.org", "pending", 0),
        OutboxEntry(second, "bob@example.org", "pending", 0),
    ]
    assert store.delivery.waiting_count() == 2
    assert store.delivery.email_status(first) == "pending"
    assert store.delivery.message(second) == b"Subject: Digest 2\r\n\r\nbody 2\r\n"


def test_a_digest_email_is_found_by_recipient_in_any_case(store: Store, digest_id: int) -> None:
    assert store.delivery.digest_exists(digest_id)
    assert not store.delivery.digest_exists(digest_id + 1)
    assert store.delivery.queued_email(digest_id, "ada@example.org") is None
    first = queue(store, "Ada@Example.org", digest_id, n=1)
    assert store.delivery.queued_email(digest_id, "ada@example.org") == first
    assert store.delivery.queued_email(digest_id, "bob@example.org") is None
    assert store.delivery.queued_email(digest_id + 1, "ada@example.org") is None
    store.delivery.finish_email(first, "pending", "failed", "refused")
    assert store.delivery.queued_email(digest_id, "ada@example.org") is None  # failed: not it
    second = queue(store, "ada@example.org", digest_id, n=2)
    third = queue(store, "ada@example.org", digest_id, n=3)
    assert store.delivery.queued_email(digest_id, "ADA@example.org") == max(second, third)
    assert store.delivery.claim_email(third, "pending", RESENT) == 1
    store.delivery.mark_sent(third, at(4))
    assert store.delivery.queued_email(digest_id, "ada@example.org") == third  # sent counts


def test_claiming_marks_sending_and_counts_attempts(store: Store) -> None:
    row = queue(store, "ada@example.org", n=1)
    assert store.delivery.claim_email(row, "pending", RESENT) == 1
    assert store.delivery.email_status(row) == "sending"
    assert store.delivery.claim_email(row, "pending", RESENT) is None  # no longer pending
    assert store.delivery.unsent() == [OutboxEntry(row, "ada@example.org", "sending", 1)]
    assert store.delivery.waiting_count() == 1
    # a run interrupted while sending: the next run claims the row again
    assert store.delivery.claim_email(row, "sending", RESENT) == 2
    assert store.delivery.unsent() == [OutboxEntry(row, "ada@example.org", "sending", 2)]
    store.delivery.mark_sent(row, at(2))
    assert store.delivery.email_status(row) == "sent"
    assert store.delivery.unsent() == [] and store.delivery.waiting_count() == 0
    assert store.delivery.claim_email(row, "sending", RESENT) is None


def test_a_claim_races_from_four_threads_and_one_wins(store: Store) -> None:
    row = queue(store, "ada@example.org", n=1)
    barrier = threading.Barrier(4, timeout=10)
    results: list[int | None] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claim() -> None:
        try:
            barrier.wait()
            got = store.delivery.claim_email(row, "pending", RESENT)
            with lock:
                results.append(got)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sorted(results, key=lambda r: r is not None) == [None, None, None, 1]
    assert store.delivery.unsent() == [OutboxEntry(row, "ada@example.org", "sending", 1)]


def test_a_claim_races_from_two_store_objects(
    store: Store, open_another: Callable[[], Store]
) -> None:
    row = queue(store, "ada@example.org", n=1)
    other = open_another()
    assert other.delivery.claim_email(row, "pending", RESENT) == 1
    assert store.delivery.claim_email(row, "pending", RESENT) is None


def test_finishing_moves_a_row_only_from_the_status_it_had(store: Store) -> None:
    row = queue(store, "ada@example.org", n=1)
    store.delivery.finish_email(row, "sending", "failed", "not claimed yet")  # no-op
    assert store.delivery.email_status(row) == "pending"
    assert store.delivery.claim_email(row, "pending", RESENT) == 1
    store.delivery.finish_email(row, "sending", "pending", "the server is busy")  # try later
    assert store.delivery.unsent() == [OutboxEntry(row, "ada@example.org", "pending", 1)]
    assert store.delivery.claim_email(row, "pending", RESENT) == 2
    store.delivery.finish_email(row, "sending", "failed", "mailbox unavailable")
    assert store.delivery.email_status(row) == "failed"
    assert store.delivery.unsent() == [] and store.delivery.waiting_count() == 0
    store.delivery.mark_sent(row, at(3))  # only a sending row is marked sent
    assert store.delivery.email_status(row) == "failed"


def test_noting_untried_rows_counts_no_attempt(store: Store) -> None:
    tried = queue(store, "ada@example.org", n=1)
    untried = queue(store, "bob@example.org", n=2)
    assert store.delivery.claim_email(tried, "pending", RESENT) == 1
    store.delivery.note_untried([tried, untried], "the server refused the sender")
    store.delivery.note_untried([], "nothing")
    assert store.delivery.unsent() == [
        OutboxEntry(tried, "ada@example.org", "sending", 1),
        OutboxEntry(untried, "bob@example.org", "pending", 0),
    ]


# -- subscriptions ----------------------------------------------------------------------------


def test_a_subscription_is_set_replaced_and_removed(store: Store) -> None:
    pid = new_profile(store, "ada")
    assert store.delivery.subscription(pid) is None
    store.delivery.set_subscription(pid, "ada@example.org", True, "07:00", at(1))
    assert store.delivery.subscription(pid) == StoredSubscription(
        "ada@example.org", True, "07:00", at(1)
    )
    store.delivery.set_subscription(pid, "lovelace@example.org", False, "18:30", at(2))
    assert store.delivery.subscription(pid) == StoredSubscription(
        "lovelace@example.org", False, "18:30", at(2)
    )
    assert store.delivery.remove_subscription(pid)
    assert store.delivery.subscription(pid) is None
    assert not store.delivery.remove_subscription(pid)


def test_active_subscriptions_by_profile_name(store: Store) -> None:
    assert store.delivery.active_subscriptions() == []
    zed, ada, bob = (new_profile(store, n) for n in ("zed", "ada", "bob"))
    store.delivery.set_subscription(zed, "zed@example.org", True, "06:00", at(1))
    store.delivery.set_subscription(ada, "ada@example.org", True, "07:00", at(2))
    store.delivery.set_subscription(bob, "bob@example.org", False, "08:00", at(3))
    assert store.delivery.active_subscriptions() == [
        ActiveSubscription("ada", "ada@example.org", "07:00"),
        ActiveSubscription("zed", "zed@example.org", "06:00"),
    ]
    store.delivery.set_subscription(ada, "ada@example.org", False, "07:00", at(4))
    store.delivery.set_subscription(bob, "bob@example.org", True, "08:00", at(5))
    assert [s.profile for s in store.delivery.active_subscriptions()] == ["bob", "zed"]
