"""The account repository of every backend: web users, login sessions and which user owns
which profile."""

from __future__ import annotations

import datetime as dt

from paperradar.store.api import Store
from paperradar.store.api.accounts import Credentials, Session, User
from paperradar.store.api.delivery import StoredSubscription

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
DAYS = dt.timedelta(days=30)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def new_user(store: Store, name: str, password_hash: str = "$argon2id$hash") -> User:
    user = store.accounts.add_user(name, password_hash, T0)
    assert user is not None
    return user


def new_profile(store: Store, name: str) -> int:
    assert store.radar.add_profile(name, T0)
    found = store.radar.profile_id(name)
    assert found is not None
    return found


# -- users ------------------------------------------------------------------------------------


def test_users_are_added_and_listed_by_name(store: Store) -> None:
    assert not store.accounts.has_users() and store.accounts.users() == []
    bob = new_user(store, "bob")
    ada = new_user(store, "ada")
    assert bob.name == "bob" and ada.id != bob.id
    assert store.accounts.has_users()
    assert store.accounts.users() == [ada, bob]
    assert store.accounts.user("ada") == ada
    assert store.accounts.user("carol") is None


def test_a_taken_name_adds_no_user(store: Store) -> None:
    ada = new_user(store, "ada", "first-hash")
    assert store.accounts.add_user("ada", "second-hash", at(1)) is None
    assert store.accounts.users() == [ada]
    assert store.accounts.credentials("ada") == Credentials(ada, "first-hash")


def test_user_names_are_unique_in_any_case(store: Store) -> None:
    ada = new_user(store, "Ada")
    assert store.accounts.add_user("ada", "h", at(1)) is None
    assert store.accounts.user("ADA") == ada
    assert store.accounts.users() == [ada]


def test_users_are_sorted_by_name_in_any_case(store: Store) -> None:
    bob, ada, carl = new_user(store, "Bob"), new_user(store, "ada"), new_user(store, "Carl")
    assert store.accounts.users() == [ada, bob, carl]


def test_credentials_carry_the_password_hash(store: Store) -> None:
    ada = new_user(store, "ada", "$argon2id$v=19$m=65536,t=3,p=4$salt$hash")
    assert store.accounts.credentials("ada") == Credentials(
        ada, "$argon2id$v=19$m=65536,t=3,p=4$salt$hash"
    )
    assert store.accounts.credentials("nobody") is None


# -- sessions ---------------------------------------------------------------------------------


def test_sessions_start_are_read_and_end(store: Store) -> None:
    ada = new_user(store, "ada")
    assert store.accounts.session("token-1") is None
    store.accounts.start_session("token-1", ada.id, "csrf-1", T0, T0 + DAYS)
    assert store.accounts.session("token-1") == Session(ada, "csrf-1", T0 + DAYS)
    store.accounts.start_session("token-2", ada.id, "csrf-2", at(1), at(1) + DAYS)
    store.accounts.end_session("token-1")
    store.accounts.end_session("token-1")  # twice: no error
    assert store.accounts.session("token-1") is None
    assert store.accounts.session("token-2") == Session(ada, "csrf-2", at(1) + DAYS)


def test_an_expired_session_is_read_until_a_new_session_drops_it(store: Store) -> None:
    ada = new_user(store, "ada")
    store.accounts.start_session("old", ada.id, "csrf-old", T0, at(10))
    store.accounts.start_session("live", ada.id, "csrf-live", T0, at(100))
    assert store.accounts.session("old") == Session(ada, "csrf-old", at(10))  # expired or not
    store.accounts.start_session("new", ada.id, "csrf-new", at(50), at(50) + DAYS)
    assert store.accounts.session("old") is None  # expired before the new one started
    assert store.accounts.session("live") is not None


def test_a_new_password_ends_the_users_sessions(store: Store) -> None:
    ada, bob = new_user(store, "ada", "old"), new_user(store, "bob")
    store.accounts.start_session("ada-1", ada.id, "c1", T0, T0 + DAYS)
    store.accounts.start_session("ada-2", ada.id, "c2", T0, T0 + DAYS)
    store.accounts.start_session("bob-1", bob.id, "c3", T0, T0 + DAYS)
    store.accounts.set_password(ada.id, "new")
    assert store.accounts.credentials("ada") == Credentials(ada, "new")
    assert store.accounts.session("ada-1") is None and store.accounts.session("ada-2") is None
    assert store.accounts.session("bob-1") == Session(bob, "c3", T0 + DAYS)


def test_a_rehash_keeps_the_sessions(store: Store) -> None:
    ada = new_user(store, "ada", "old")
    store.accounts.start_session("ada-1", ada.id, "c1", T0, T0 + DAYS)
    store.accounts.rehash_password(ada.id, "stronger")
    assert store.accounts.credentials("ada") == Credentials(ada, "stronger")
    assert store.accounts.session("ada-1") == Session(ada, "c1", T0 + DAYS)


# -- ownership --------------------------------------------------------------------------------


def test_profiles_are_granted_and_move_between_users(store: Store) -> None:
    ada, bob = new_user(store, "ada"), new_user(store, "bob")
    zed, nlp, free = (new_profile(store, n) for n in ("zed", "nlp", "free"))
    assert store.accounts.owner_of("nlp") is None
    assert store.accounts.other_owner(nlp, ada.id) is None
    store.accounts.grant_profile(zed, ada.id)
    store.accounts.grant_profile(nlp, ada.id)
    assert store.accounts.owned_profiles(ada.id) == ["nlp", "zed"]
    assert store.accounts.owner_of("nlp") == ada.id
    assert store.accounts.other_owner(nlp, ada.id) is None  # ada's own
    assert store.accounts.other_owner(nlp, bob.id) == "ada"
    store.accounts.grant_profile(nlp, bob.id)  # taken from ada
    assert store.accounts.owner_of("nlp") == bob.id
    assert store.accounts.owned_profiles(ada.id) == ["zed"]
    assert store.accounts.owned_profiles(bob.id) == ["nlp"]
    store.accounts.grant_profile(nlp, bob.id)  # again: no change
    assert store.accounts.owned_profiles(bob.id) == ["nlp"]
    assert store.accounts.owner_of("free") is None and free not in (zed, nlp)
    assert store.accounts.owner_of("no-such-profile") is None


def test_removing_a_user_ends_sessions_ownership_and_subscriptions(store: Store) -> None:
    ada, bob = new_user(store, "ada"), new_user(store, "bob")
    mine, theirs = new_profile(store, "mine"), new_profile(store, "theirs")
    store.accounts.grant_profile(mine, ada.id)
    store.accounts.grant_profile(theirs, bob.id)
    store.delivery.set_subscription(mine, "ada@example.org", True, "07:00", T0)
    store.delivery.set_subscription(theirs, "bob@example.org", True, "08:00", T0)
    store.accounts.start_session("ada-1", ada.id, "c1", T0, T0 + DAYS)
    store.accounts.start_session("bob-1", bob.id, "c2", T0, T0 + DAYS)
    store.accounts.remove_user(ada.id)
    assert store.accounts.user("ada") is None and store.accounts.users() == [bob]
    assert store.accounts.session("ada-1") is None
    assert store.accounts.owner_of("mine") is None
    assert store.accounts.owned_profiles(ada.id) == []
    assert store.delivery.subscription(mine) is None
    assert store.radar.profile_id("mine") == mine  # the profile stays, owned by nobody
    assert store.accounts.session("bob-1") == Session(bob, "c2", T0 + DAYS)
    assert store.accounts.owner_of("theirs") == bob.id
    assert store.delivery.subscription(theirs) == StoredSubscription(
        "bob@example.org", True, "08:00", T0
    )
    again = store.accounts.add_user("ada", "h", at(1))  # the name is free again
    assert again is not None and store.accounts.owned_profiles(again.id) == []


def test_failed_logins_are_counted_newest_first_per_scope_and_key(store: Store) -> None:
    accounts = store.accounts
    for minute in (1, 2, 3, 4):
        accounts.record_login_failure("name", "ada", at(minute))
    accounts.record_login_failure("name", "alan", at(2))
    accounts.record_login_failure("client", "ada", at(2))  # another scope, the same key
    assert accounts.login_failures("name", "ada", at(0), 10) == [at(4), at(3), at(2), at(1)]
    assert accounts.login_failures("name", "ada", at(0), 2) == [at(4), at(3)]
    assert accounts.login_failures("name", "ada", at(2), 10) == [at(4), at(3)]  # after since
    assert accounts.login_failures("name", "alan", at(0), 10) == [at(2)]
    assert accounts.login_failures("client", "ada", at(0), 10) == [at(2)]
    assert accounts.login_failures("name", "nobody", at(0), 10) == []


def test_failed_logins_are_cleared_per_key_and_pruned_per_scope(store: Store) -> None:
    accounts = store.accounts
    for minute in (1, 2, 3):
        accounts.record_login_failure("name", "ada", at(minute))
        accounts.record_login_failure("client", "10.0.0.1", at(minute))
    accounts.record_login_failure("name", "alan", at(1))
    accounts.clear_login_failures("name", "ada")
    assert accounts.login_failures("name", "ada", at(0), 10) == []
    assert accounts.login_failures("name", "alan", at(0), 10) == [at(1)]
    assert accounts.prune_login_failures("client", at(2)) == 2  # at or before
    assert accounts.login_failures("client", "10.0.0.1", at(0), 10) == [at(3)]
    assert accounts.login_failures("name", "alan", at(0), 10) == [at(1)]  # other scope kept
    assert accounts.prune_login_failures("client", at(2)) == 0
