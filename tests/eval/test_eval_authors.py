"""Author pseudo-users on arxiv-cs-daily (paperradar.eval.authors), on a hand-written feed.

tests/fixtures/eval/authors.jsonl: 31 papers listed on 10 days (2025-03-17 .. 03-28), so the
default cut-off is the 8th day, 2025-03-26, and the replay is 03-26, 03-27 and 03-28.
Authors: Alice Quantum (quantum error correction; 3 papers before, one on 03-26 and one on
03-28; one record spells her "Quantum, Alice"), Bob Graph (graph neural networks; 2 before,
2 on 03-27; one record spells him "Bob Gráph"), Gina Vision (2 before, 3 after), Hank
Language (2 before, 2 after, one shared with Bob), and authors who do not qualify: Carol Few
(3 papers), Dan Late (1 before, 3 after), Eve Early (4 before, none after), Frank, Ivan,
Jill, Kim (1-2 papers).
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
import statistics
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from helpers import paths
from helpers.cli import CliResult, assert_ok, run_cli

from paperradar.embedding import FakeEmbedder
from paperradar.errors import FormatError, UsageError
from paperradar.eval import EvalReport
from paperradar.eval.authors import (
    Listing,
    default_cutoff,
    load,
    make_feed,
    pseudo_users,
    run,
    sample_users,
)
from paperradar.eval.methods import Candidates, Profile, make_method
from paperradar.eval.replay import (
    LIKE_TOP,
    POINTWISE,
    SPLITS,
    DayResult,
    Feed,
    Outcome,
    PseudoUser,
    UserRanker,
    evaluate,
    paired_difference,
    replay,
    rows_of,
    user_metrics,
)
from paperradar.store import Store

FEED = paths.FIXTURES / "eval" / "authors.jsonl"
CUTOFF = dt.date(2025, 3, 26)


@pytest.fixture(scope="module")
def listing() -> Listing:
    return load(FEED)


@pytest.fixture(scope="module")
def feed(listing: Listing) -> Feed:
    made, _ = make_feed(listing, FakeEmbedder(), None)
    return made


def index(listing: Listing, *arxiv_ids: str) -> tuple[int, ...]:
    """Item indices of papers, by their arXiv ids' last digits (``"10018"``)."""
    where = {p.arxiv_id: i for i, p in enumerate(listing.papers)}
    return tuple(where[f"2503.{n}"] for n in arxiv_ids)


def user(listing: Listing, name: str) -> PseudoUser:
    found = pseudo_users([p.authors for p in listing.papers], listing.days, CUTOFF)
    return next(u for u in found if u.name == name)


class ByIdDescending:
    """A stub method: ranks the candidates by descending item index, records each call."""

    name = "stub"

    def __init__(self) -> None:
        self.calls: list[tuple[tuple[int, ...], list[int]]] = []

    def rank(self, profile: Profile, candidates: Candidates, k: int) -> list[int]:
        self.calls.append((tuple(profile.liked), sorted(int(i) for i in candidates.ids)))
        return sorted((int(i) for i in candidates.ids), reverse=True)[:k]


# --------------------------------------------------------------------------- the data


def test_load_reads_the_feed_with_its_listing_days(listing: Listing) -> None:
    assert len(listing.papers) == 31
    days = listing.listing_days()
    assert len(days) == 10
    assert (days[0], days[-1]) == (dt.date(2025, 3, 17), dt.date(2025, 3, 28))
    # the day at 70% of 10 listing days is the 8th: the first day of the replay
    assert default_cutoff(listing.days) == CUTOFF == days[7]
    assert listing.papers[17].title.startswith("Fast decoders")
    assert listing.papers[17].comment is None  # "None" in the file


def test_gzipped_feed_reads_the_same(tmp_path: Path, listing: Listing) -> None:
    packed = tmp_path / "feed.jsonl.gz"
    packed.write_bytes(gzip.compress(FEED.read_bytes()))
    assert [p.arxiv_id for p in load(packed).papers] == [p.arxiv_id for p in listing.papers]


def test_missing_file_is_a_one_line_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load(tmp_path / "nope.jsonl.gz")
    assert "nope.jsonl.gz: no such file" in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(UsageError, match=r"a folder without arxiv_cs_daily_dedup\.jsonl\.gz"):
        load(tmp_path)


def test_a_file_in_another_format_says_so(tmp_path: Path) -> None:
    other = tmp_path / "refs.bib"
    other.write_text("@article{a, title={A paper}}\n", encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        load(other)
    message = str(caught.value)
    assert message.startswith(f"{other}:1: not an arxiv-cs-daily JSON Lines file")
    assert "\n" not in message


def test_a_bad_record_names_its_line(tmp_path: Path) -> None:
    lines = FEED.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"crawl_date": "2025-03-17"', '"crawl_date": "yesterday"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad\.jsonl:3: 'crawl_date' is not a date"):
        load(bad)


def test_a_feed_of_one_day_cannot_be_replayed(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(FEED.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="at least two days"):
        load(one)


# --------------------------------------------------------------------------- pseudo-users


def test_who_qualifies_and_what_is_profile_and_target(listing: Listing) -> None:
    users = pseudo_users([p.authors for p in listing.papers], listing.days, CUTOFF)
    assert [u.name for u in users] == ["alice quantum", "bob graph", "gina vision", "hank language"]
    alice, bob = users[0], users[1]
    # "Quantum, Alice" is Alice; her profile is what was listed before the cut-off
    assert alice.profile == index(listing, "10001", "10007", "10012")
    assert alice.targets == index(listing, "10018", "10028")  # 03-26 (the cut-off) and 03-28
    # "Bob Gráph" is Bob
    assert bob.profile == index(listing, "10004", "10014")
    assert bob.targets == index(listing, "10023", "10024")


def test_the_thresholds(listing: Listing) -> None:
    authors = [p.authors for p in listing.papers]
    # with 3 papers enough, Carol (2 before, 1 after) qualifies; Dan (1 before) and Eve
    # (nothing after) still do not
    names = [u.name for u in pseudo_users(authors, listing.days, CUTOFF, min_papers=3)]
    assert "carol few" in names
    assert "dan late" not in names and "eve early" not in names
    # an earlier cut-off moves Alice's third paper (03-21) to her targets
    early = pseudo_users(authors, listing.days, dt.date(2025, 3, 21))
    alice = next(u for u in early if u.name == "alice quantum")
    assert alice.profile == index(listing, "10001", "10007")
    assert alice.targets == index(listing, "10012", "10018", "10028")


def test_sampling_is_seeded_and_can_take_everyone(listing: Listing) -> None:
    users = pseudo_users([p.authors for p in listing.papers], listing.days, CUTOFF)
    assert sample_users(users, 2, seed=3) == sample_users(users, 2, seed=3)
    assert sorted(u.name for u in sample_users(users, 10, seed=3)) == [u.name for u in users]
    drawn = [sample_users(users, 2, seed=s) for s in range(6)]
    assert len({tuple(u.name for u in d) for d in drawn}) > 1


# --------------------------------------------------------------------------- the replay


def test_candidates_are_the_days_papers_and_a_target_is_found_only_on_its_day(
    listing: Listing, feed: Feed
) -> None:
    alice = user(listing, "alice quantum")
    stub = ByIdDescending()
    days = replay(UserRanker(stub, feed, alice, depth=20), likes=False)
    assert [d.day for d in days] == [CUTOFF, dt.date(2025, 3, 28)]  # 03-27: no target of hers
    assert [ids for _, ids in stub.calls] == [
        sorted(index(listing, "10018", "10019", "10020", "10021", "10022")),
        sorted(index(listing, "10028", "10029", "10030", "10031")),
    ]
    first, second = days
    assert first.targets == index(listing, "10018") and first.candidates == 5
    assert second.targets == index(listing, "10028") and second.candidates == 4
    assert index(listing, "10028")[0] not in first.ranking  # listed later: not ranked on 03-26


def test_own_profile_papers_are_never_candidates(listing: Listing, feed: Feed) -> None:
    alice = user(listing, "alice quantum")
    # with the cut-off at the start a profile paper could share a day with candidates:
    # Feed.candidates leaves it out all the same
    day = listing.days[alice.profile[0]]
    assert alice.profile[0] in feed.by_day[day].tolist()
    assert alice.profile[0] not in feed.candidates(day, alice.profile).tolist()


def test_metrics_by_hand(listing: Listing, feed: Feed) -> None:
    alice = user(listing, "alice quantum")
    days = replay(UserRanker(ByIdDescending(), feed, alice, depth=20), likes=False)
    # descending ids: 03-26 ranks 10022 .. 10018, her target last (rank 5 of 5); 03-28 ranks
    # 10031 .. 10028, her target last (rank 4 of 4)
    assert [d.rank_of(t) for d in days for t in d.targets] == [5, 4]
    got = user_metrics(days, tops=(4, 5))
    assert got["day_recall@4"] == pytest.approx(0.5)  # (0 + 1) / 2 days
    assert got["day_recall@5"] == pytest.approx(1.0)
    assert got["recall@4"] == pytest.approx(0.5)  # 1 of 2 targets in its day's top 4
    assert got["day_ndcg@4"] == pytest.approx((0 + 1 / math.log2(5)) / 2)
    assert got["day_ndcg@5"] == pytest.approx((1 / math.log2(6) + 1 / math.log2(5)) / 2)


def test_two_targets_on_one_day_by_hand(listing: Listing, feed: Feed) -> None:
    bob = user(listing, "bob graph")
    (day,) = replay(UserRanker(ByIdDescending(), feed, bob, depth=20), likes=False)
    # 03-27, descending: 10027, 10026, 10025, 10024 (target), 10023 (target)
    assert [day.rank_of(t) for t in day.targets] == [5, 4]
    got = user_metrics([day], tops=(3, 4))
    assert got["day_recall@3"] == 0.0
    assert got["day_recall@4"] == pytest.approx(0.5)
    ideal = 1 + 1 / math.log2(3)
    assert got["day_ndcg@4"] == pytest.approx((1 / math.log2(5)) / ideal)
    assert got["recall@4"] == pytest.approx(0.5)


def test_day_recall_and_overall_recall_weigh_days_differently() -> None:
    # day 1: 1 target, found; day 2: 3 targets, none found
    days = [
        DayResult(CUTOFF, 10, (1,), [1, 2, 3]),
        DayResult(CUTOFF + dt.timedelta(1), 10, (4, 5, 6), [7, 8, 9, 4, 5, 6]),
    ]
    got = user_metrics(days, tops=(3,))
    assert got["day_recall@3"] == pytest.approx(0.5)  # mean of 1 and 0 over the two days
    assert got["recall@3"] == pytest.approx(0.25)  # 1 of 4 targets


def test_users_are_averaged_with_a_95_interval(listing: Listing, feed: Feed) -> None:
    users = pseudo_users([p.authors for p in listing.papers], listing.days, CUTOFF)
    outcome = evaluate(feed, users, [ByIdDescending()], likes=False)
    (row,) = rows_of(outcome, ["stub"])
    assert (row.method, row.split, row.n) == ("stub", "no-feedback", 4)
    # every day has <= 6 candidates: every target is in the top 10
    assert row.metrics["recall@10"] == 1.0 and row.ci95["recall@10"] == 0.0
    per_user = [v["day_ndcg@10"] for v in outcome.per_user[("stub", "no-feedback")]]
    assert row.metrics["day_ndcg@10"] == pytest.approx(statistics.fmean(per_user))
    assert row.ci95["day_ndcg@10"] == pytest.approx(
        1.96 * statistics.stdev(per_user) / math.sqrt(4)
    )
    # Alice: both targets last of their day (ranks 5 and 4)
    alice = per_user[0]
    assert alice == pytest.approx((1 / math.log2(6) + 1 / math.log2(5)) / 2)


def test_an_obvious_topic_ranks_first(listing: Listing, feed: Feed) -> None:
    alice = user(listing, "alice quantum")
    bob = user(listing, "bob graph")
    for name in ("max-cosine", "paperradar", "bm25", "arxiv-sanity"):
        method = make_method(name)
        days = replay(UserRanker(method, feed, alice, depth=20), likes=False)
        assert [d.rank_of(t) for d in days for t in d.targets] == [1, 1], name
        (day,) = replay(UserRanker(method, feed, bob, depth=20), likes=False)
        assert sorted(day.rank_of(t) or 0 for t in day.targets) == [1, 2], name


def test_pointwise_methods_rank_each_day_as_a_call_per_day_would(
    listing: Listing, feed: Feed
) -> None:
    users = pseudo_users([p.authors for p in listing.papers], listing.days, CUTOFF)
    for name in sorted(POINTWISE):
        method = make_method(name)
        for who in users:
            ranker = UserRanker(method, feed, who, depth=20)
            assert ranker.scorer is method
            for day in feed.target_days(who):
                ids = feed.candidates(day, who.profile)
                profile = Profile(own=who.profile)
                direct = method.rank(profile, Candidates(feed.items, ids), 20)
                assert ranker.rank(profile, day)[0] == direct, (name, who.name, day)


# --------------------------------------------------------------------------- feedback


def test_simulated_likes_feed_the_next_days(listing: Listing, feed: Feed) -> None:
    alice = user(listing, "alice quantum")
    stub = ByIdDescending()
    ranker = UserRanker(stub, feed, alice, depth=20)
    plain = replay(ranker, likes=False)
    liked = replay(ranker, likes=True, like_top=20)
    t1, t2 = index(listing, "10018", "10028")
    assert [d.liked for d in plain] == [(), ()]
    assert [d.liked for d in liked] == [(t1,), (t2,)]  # both made the top 20
    # the method saw no like on 03-26 and the 03-26 target as liked on 03-28; the first day
    # of the replay with likes was the same ranking as without, so it was not ranked again
    assert [likes for likes, _ in stub.calls] == [(), (), (t1,)]
    # the liked paper is no candidate later (it is the profile's now)
    assert t1 not in stub.calls[-1][1]


def test_a_target_outside_the_like_cutoff_is_not_liked(listing: Listing, feed: Feed) -> None:
    alice = user(listing, "alice quantum")
    stub = ByIdDescending()
    # descending ids put her 03-26 target 5th: outside a top 4, so nothing is liked
    days = replay(UserRanker(stub, feed, alice, depth=20), likes=True, like_top=4)
    assert [d.liked for d in days] == [(), index(listing, "10028")]
    assert [likes for likes, _ in stub.calls] == [(), ()]


def test_feedback_changes_what_feedback_methods_rank(listing: Listing, feed: Feed) -> None:
    users = pseudo_users([p.authors for p in listing.papers], listing.days, CUTOFF)
    outcome = evaluate(feed, users, [make_method("paperradar")], likes=True)
    rows = {r.split: r for r in rows_of(outcome, ["paperradar"])}
    assert set(rows) == set(SPLITS)
    assert all(r.n == 4 for r in rows.values())
    # Alice (03-26, 03-28), Gina (3 days) and Hank (03-26, 03-27) like a target before
    # their last target day; Bob's two targets share one day
    assert outcome.liked_users["paperradar"] == 3


# --------------------------------------------------------------------------- vectors, run


def test_vectors_go_through_the_store_and_are_reused(tmp_path: Path, listing: Listing) -> None:
    embedder = FakeEmbedder()
    with Store.open(tmp_path / "home") as store:
        first, embedded = make_feed(listing, embedder, store)
        assert embedded == 31 and store.papers.count() == 31
        again, embedded = make_feed(load(FEED), embedder, store)
        assert embedded == 0 and store.papers.count() == 31
    assert (first.items.vectors == again.items.vectors).all()
    norms = (first.items.vectors**2).sum(axis=1)
    assert norms == pytest.approx([1.0] * 31, abs=1e-3)
    assert first.items.texts[17].startswith("Fast decoders for surface code quantum error")
    assert "Alice" not in " ".join(first.items.texts)  # no author names in the texts


def test_run_reports_both_splits(tmp_path: Path) -> None:
    with Store.open(tmp_path / "home") as store:
        report = run(
            FEED,
            embedder=FakeEmbedder(),
            methods=["max-cosine", "paperradar"],
            users=3,
            store=store,
            method_users={"paperradar": 2},
        )
    assert isinstance(report, EvalReport)
    assert report.dataset == "arxiv-cs-daily-authors"
    assert "3 of 4 authors" in report.protocol and "2025-03-26" in report.protocol
    got = {(r.method, r.split): r.n for r in report.rows}
    assert got == {
        ("max-cosine", "no-feedback"): 3,
        ("max-cosine", "simulated-likes"): 3,
        ("paperradar", "no-feedback"): 2,
        ("paperradar", "simulated-likes"): 2,
        # the capped method's users, for the other methods: a like-for-like comparison
        ("max-cosine", "no-feedback, first 2"): 2,
        ("max-cosine", "simulated-likes, first 2"): 2,
    }
    assert report.metric_names() == [
        "day_recall@10",
        "day_recall@20",
        "day_ndcg@10",
        "day_ndcg@20",
        "recall@10",
        "recall@20",
    ]
    assert any(n.startswith("paperradar: the first 2 of the 3 drawn users") for n in report.notes)
    assert any(n.startswith("random order, expected recall@10") for n in report.notes)
    assert any(
        n.startswith("no-feedback, recall@20 minus paperradar's") and "max-cosine" in n
        for n in report.notes
    )


def test_paired_differences_by_hand() -> None:
    outcome = Outcome()
    outcome.per_user[("a", "no-feedback")] = [{"recall@20": v} for v in (0.5, 1.0, 0.0)]
    outcome.per_user[("b", "no-feedback")] = [{"recall@20": v} for v in (1.0, 1.0)]
    # b ran on the first two users only: the differences are 0.5 and 0.0
    mean, half, n = paired_difference(
        outcome, ("a", "no-feedback"), ("b", "no-feedback"), "recall@20"
    ) or (0.0, 0.0, 0)
    assert (mean, n) == (0.25, 2)
    assert half == pytest.approx(1.96 * statistics.stdev([0.5, 0.0]) / math.sqrt(2))
    assert paired_difference(outcome, ("a", "no-feedback"), ("c", "x"), "recall@20") is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"methods": ["co-occurrence"]}, "needs other users' libraries"),
        ({"methods": ["nope"]}, "unknown method"),
        ({"cutoff": dt.date(2025, 3, 17)}, "leaves no days before or after it"),
        ({"cutoff": dt.date(2025, 4, 1)}, "leaves no days before or after it"),
        ({"min_papers": 6}, "no author has >= 6 papers"),
        ({"users": 0}, "--users must be at least 1"),
    ],
)
def test_bad_options_are_usage_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run(FEED, embedder=FakeEmbedder(), **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the command


def authors_cli(home: Path, *args: str | Path, data: Path = FEED) -> CliResult:
    return run_cli(home, "eval", "authors", "--data", data, "-q", *args)


def splits_of(report: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(r["method"], r["split"]): r["n"] for r in report["rows"]}


def likes_notes(report: dict[str, Any]) -> list[str]:
    return [n for n in report["notes"] if ": simulated likes - no feedback" in n]


def test_cli_caps_a_method_and_can_skip_the_likes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    home = tmp_path / "home"
    capped = authors_cli(
        home, "--json", "--method", "max-cosine,bm25", "--users", "3", "--method-users", "bm25=2"
    )
    report = orjson.loads(assert_ok(capped).stdout)
    assert splits_of(report) == {
        ("max-cosine", "no-feedback"): 3,
        ("bm25", "no-feedback"): 2,
        ("max-cosine", "simulated-likes"): 3,
        ("bm25", "simulated-likes"): 2,
        ("max-cosine", "no-feedback, first 2"): 2,
        ("max-cosine", "simulated-likes, first 2"): 2,
    }
    assert any(n.startswith("bm25: the first 2 of the 3 drawn users") for n in report["notes"])
    # the same caps with commas (and a cap above --users, which changes nothing)
    again = authors_cli(
        home, "--json", "--method", "max-cosine,bm25", "--users", "3",
        "--method-users", "bm25=2, max-cosine=10",
    )  # fmt: skip
    assert splits_of(orjson.loads(assert_ok(again).stdout)) == splits_of(report)
    plain = orjson.loads(assert_ok(authors_cli(home, "--json", "--no-likes")).stdout)
    assert {split for _, split in splits_of(plain)} == {"no-feedback"}
    assert not likes_notes(plain)
    assert plain["protocol"].endswith("; no simulated likes")
    table = assert_ok(authors_cli(home, "--method", "bm25", "--no-likes")).stdout
    rows = [line.split()[:2] for line in table.splitlines() if line.startswith("bm25 ")]
    assert rows == [["bm25", "no-feedback"]]


def test_cli_like_top_changes_what_is_liked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alice's 03-26 target made off-topic and another 03-26 paper (Dan's, not a user) on her
    # topic: her target is no longer first that day, so a top-1 cut-off does not like it
    quantum = "Matching decoders correct errors of surface code qubits in quantum error correction."
    edits = {
        17: {  # 2503.10018, Alice's target
            "Fast decoders for surface code quantum error correction": "Crop yield forecasts",
            quantum: "Weather records forecast the crop yields of farms.",
        },
        20: {  # 2503.10021, Dan's
            "Federated learning on phones": "Matching decoders for surface codes",
            "Phones train a shared model with federated learning.": quantum,
        },
    }
    lines = FEED.read_text(encoding="utf-8").splitlines()
    for number, replacements in edits.items():
        for old, new in replacements.items():
            assert old in lines[number]
            lines[number] = lines[number].replace(old, new)
    data = tmp_path / "feed.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    home = tmp_path / "home"
    wide = orjson.loads(
        assert_ok(authors_cli(home, "--json", "--method", "max-cosine", data=data)).stdout
    )
    narrow = orjson.loads(
        assert_ok(
            authors_cli(home, "--json", "--method", "max-cosine", "--like-top", "1", data=data)
        ).stdout
    )
    assert f"targets in a day's top {LIKE_TOP} liked" in wide["protocol"]
    assert "targets in a day's top 1 liked" in narrow["protocol"]
    # Alice, Gina and Hank like a target before their last target day within the top 20;
    # within the top 1, Alice no longer does
    assert "3 liked a target" in likes_notes(wide)[0]
    assert "2 liked a target" in likes_notes(narrow)[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--method-users", "arxiv-sanity"],
            "error: --method-users 'arxiv-sanity': expected NAME=N, e.g. arxiv-sanity=80",
        ),
        (
            ["--method-users", "bm25=2,arxiv-sanity=0"],
            "error: --method-users 'arxiv-sanity=0': N must be a whole number >= 1",
        ),
        (
            ["--method-users", "arxiv-sanity=many"],
            "error: --method-users 'arxiv-sanity=many': N must be a whole number >= 1",
        ),
        (
            ["--method-users", "svm=80"],
            "error: --method-users 'svm=80': unknown method(s) 'svm'; the methods are: ",
        ),
        (
            ["--method-users", "bm25=2", "--method-users", "bm25=3"],
            "error: --method-users 'bm25=3': bm25 is capped twice",
        ),
        (
            ["--like-top", "0"],
            "error: --like-top must be at least 1 (the rank a target must reach to be liked)",
        ),
    ],
)
def test_cli_bad_values_are_one_line_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    result = authors_cli(tmp_path / "home", *args)
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def cli_eval_module() -> ModuleType:
    """paperradar.cli.eval, imported as the command imports it: through paperradar.cli."""
    import paperradar.cli
    import paperradar.cli.eval

    assert paperradar.cli.main.commands["eval"] is paperradar.cli.eval.eval_group
    return paperradar.cli.eval


def test_method_users_parsing() -> None:
    _method_users = cli_eval_module()._method_users

    assert _method_users(()) == {}
    assert _method_users(("arxiv-sanity=80", " zotero = 5 ,bm25=1,")) == {
        "arxiv-sanity": 80,
        "zotero": 5,
        "bm25": 1,
    }
    for bad in ("bm25=\u00b2", "bm25=1.5", "bm25=", "bm25=-2"):
        with pytest.raises(UsageError, match="N must be a whole number >= 1"):
            _method_users((bad,))


def test_like_top_help_shows_the_library_default() -> None:
    assert cli_eval_module().LIKE_TOP == LIKE_TOP
