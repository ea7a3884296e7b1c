"""The store itself, for every backend: whole transactions, nesting, change detection across
threads and store objects, named locks across processes, and readers beside a writer.

Every wait is bounded (a few seconds at most); nothing sleeps to let another thread run.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Callable, Hashable
from pathlib import Path

import pytest

from paperradar.models import Paper
from paperradar.store.api import Store

Make = Callable[..., Paper]
Opener = Callable[[], Store]

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
WAIT = 10.0  # seconds: any wait longer than this is a failure


class Boom(Exception):
    pass


def run_in_thread(work: Callable[[], object]) -> object:
    """``work()`` in another thread; its result (its exception is raised here)."""
    box: list[object] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # raised below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=WAIT)
    assert not thread.is_alive(), "the thread did not finish in time"
    if errors:
        raise errors[0]
    return box[0]


# -- the store --------------------------------------------------------------------------------


def test_home_and_describe(store: Store, store_backend: str, store_home: Path) -> None:
    assert store.home == store_home
    assert store.home.is_dir()
    described = store.describe()
    assert isinstance(described, str) and described
    if store_backend == "sqlite":
        assert described == str(store_home / "paperradar.db")


# -- transactions -----------------------------------------------------------------------------


def test_a_transaction_commits_whole(store: Store, paper: Make, open_another: Opener) -> None:
    with store.transaction():
        store.papers.upsert([paper("Alpha paper title here")])
        assert store.radar.add_profile("ada", T0)
        store.scheduling.source_completed("feed", "arxiv-rss", {"etag": "1"}, T0)
    other = open_another()
    assert other.papers.count() == 1
    assert other.radar.profile_names() == ["ada"]
    assert other.scheduling.source_position("feed") == ({"etag": "1"}, None)


def test_a_transaction_rolls_back_whole_on_an_exception(
    store: Store, paper: Make, open_another: Opener
) -> None:
    store.papers.upsert([paper("Alpha paper title here")])
    with pytest.raises(Boom), store.transaction():
        store.papers.upsert([paper("Beta paper title here")])
        assert store.radar.add_profile("ada", T0)
        user = store.accounts.add_user("ada", "hash", T0)
        assert user is not None
        store.scheduling.source_completed("feed", "arxiv-rss", {"etag": "1"}, T0)
        assert store.papers.count() == 2  # seen inside the transaction
        raise Boom
    for view in (store, open_another()):
        assert view.papers.count() == 1
        assert view.keyword.rank(['"beta"'], 10) == []
        assert view.radar.profile_names() == []
        assert not view.accounts.has_users()
        assert view.scheduling.source_states() == []
    assert store.radar.add_profile("ada", T0)  # the store goes on working


def test_a_nested_transaction_joins_the_outer_one(
    store: Store, paper: Make, open_another: Opener
) -> None:
    other = open_another()
    with pytest.raises(Boom), store.transaction():
        with store.transaction():
            assert store.radar.add_profile("inner", T0)
        assert other.radar.profile_names() == []  # the inner exit committed nothing
        assert store.radar.add_profile("outer", T0)
        raise Boom
    assert store.radar.profile_names() == [] and other.radar.profile_names() == []
    with store.transaction():
        with store.transaction():
            assert store.radar.add_profile("inner", T0)
        assert other.radar.profile_names() == []
    assert other.radar.profile_names() == ["inner"]


def test_a_repository_write_runs_in_the_callers_transaction(
    store: Store, paper: Make, open_another: Opener
) -> None:
    other = open_another()
    with store.transaction():
        store.papers.upsert([paper("Alpha paper title here")])
        store.delivery.add_email(
            digest_id=None,
            recipient="ada@example.org",
            subject="s",
            message_id="<1@paperradar.test>",
            message=b"m",
            created=T0,
        )
        assert other.papers.count() == 0 and other.delivery.waiting_count() == 0
    assert other.papers.count() == 1 and other.delivery.waiting_count() == 1


# -- change detection -------------------------------------------------------------------------


def test_version_changes_on_a_commit_of_this_store(store: Store) -> None:
    before = store.version()
    assert store.version() == before  # reading changes nothing
    store.radar.profile_names()
    assert store.version() == before
    store.radar.add_profile("ada", T0)
    after = store.version()
    assert after != before
    store.radar.add_profile("bob", T0)
    assert store.version() not in (before, after)


def test_version_changes_on_a_commit_made_in_another_thread(store: Store) -> None:
    before = store.version()
    run_in_thread(lambda: store.radar.add_profile("ada", T0))
    assert store.version() != before


def test_version_changes_on_a_commit_of_another_store_object(
    store: Store, open_another: Opener
) -> None:
    other = open_another()
    before = store.version()
    other.radar.add_profile("ada", T0)
    assert store.version() != before
    seen = store.version()
    with other.transaction():
        other.radar.add_profile("bob", T0)
        other.radar.add_profile("carol", T0)
    assert store.version() != seen


def test_version_is_the_same_in_every_thread_without_a_commit(store: Store) -> None:
    store.radar.add_profile("ada", T0)
    here = store.version()
    there = run_in_thread(store.version)
    assert isinstance(there, Hashable)
    assert there == here
    assert run_in_thread(store.version) == store.version() == here
    run_in_thread(lambda: store.radar.add_profile("bob", T0))
    now = store.version()
    assert now != here and run_in_thread(store.version) == now


def test_version_stays_while_another_store_object_has_not_committed(
    store: Store, open_another: Opener
) -> None:
    other = open_another()
    before = store.version()
    with other.transaction():
        other.radar.add_profile("ada", T0)
        assert store.version() == before
    assert store.version() != before


# -- named locks ------------------------------------------------------------------------------


def test_a_lock_is_held_by_one_store_object_at_a_time(store: Store, open_another: Opener) -> None:
    other = open_another()
    with store.lock("watch") as held:
        assert held is True
        with other.lock("watch") as second:
            assert second is False
        with other.lock("outbox") as different:
            assert different is True  # locks by name
    with other.lock("watch") as after:
        assert after is True
        with store.lock("watch") as first_again:
            assert first_again is False
    with store.lock("watch") as released:
        assert released is True


def _child(opener: str, body: str) -> list[str]:
    """Run a child process that opens the store and runs ``body``: its command line."""
    script = f"import sys\nfrom pathlib import Path\n{opener}{body}"
    return [sys.executable, "-c", script]


def test_a_lock_held_here_is_refused_to_a_child_process(store: Store, child_opener: str) -> None:
    probe = _child(child_opener, 'with store.lock("outbox") as held:\n    print(held)\n')
    with store.lock("outbox") as held:
        assert held
        refused = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=True)
        assert refused.stdout.strip() == "False"
    granted = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=True)
    assert granted.stdout.strip() == "True"


def test_a_lock_of_a_child_process_is_released_when_it_dies(
    store: Store, child_opener: str
) -> None:
    holder = _child(
        child_opener,
        'with store.lock("watch") as held:\n'
        "    print(held, flush=True)\n"
        "    sys.stdin.readline()\n",
    )
    child = subprocess.Popen(
        holder, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "True"
        with store.lock("watch") as held:
            assert held is False
        child.kill()
        child.wait(timeout=WAIT)
        with store.lock("watch") as held:
            assert held is True
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=WAIT)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()


# -- readers beside a writer ------------------------------------------------------------------


def test_readers_are_not_blocked_by_an_open_write_transaction(store: Store, paper: Make) -> None:
    store.papers.upsert([paper("Alpha paper title here")])
    writing = threading.Event()
    readers_done = threading.Event()
    writer_errors: list[BaseException] = []

    def writer() -> None:
        try:
            with store.transaction():
                store.papers.upsert([paper("Beta paper title here")])
                store.radar.add_profile("ada", T0)
                writing.set()
                # hold the transaction open until both readers are done (bounded)
                readers_done.wait(timeout=WAIT)
        except BaseException as exc:  # reported below
            writer_errors.append(exc)
        finally:
            writing.set()

    seen: list[tuple[int, list[str]]] = []
    reader_errors: list[BaseException] = []
    barrier = threading.Barrier(2, timeout=WAIT)
    lock = threading.Lock()

    def reader() -> None:
        try:
            assert writing.wait(timeout=WAIT)
            barrier.wait()  # both read at once
            result = (store.papers.count(), store.radar.profile_names())
            with lock:
                seen.append(result)
        except BaseException as exc:  # reported below
            reader_errors.append(exc)

    write = threading.Thread(target=writer)
    reads = [threading.Thread(target=reader) for _ in range(2)]
    write.start()
    for t in reads:
        t.start()
    for t in reads:
        t.join(timeout=WAIT / 2)  # well before the writer would give up waiting
    readers_finished = not any(t.is_alive() for t in reads)
    readers_done.set()
    write.join(timeout=WAIT)
    for t in reads:
        t.join(timeout=WAIT)
    assert readers_finished, "a reader waited for the writer"
    assert reader_errors == [] and writer_errors == []
    assert seen == [(1, []), (1, [])]  # the open transaction is not seen
    assert store.papers.count() == 2 and store.radar.profile_names() == ["ada"]
