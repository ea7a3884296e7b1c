"""Profiles, feedback, rules, ranking and digests, with a real store and the fake embedder.

The fixture day has 48 papers on three topics (graphs, speech, robots) over two listing
days; the researcher's own papers (a BibTeX file) are two on graphs and one on speech.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers import paths
from helpers.cli import run_cli

from paperradar import Store, ingest_files
from paperradar.digest import DigestOptions, make_digest
from paperradar.embedding import FakeEmbedder
from paperradar.errors import UsageError
from paperradar.models import Paper
from paperradar.radar.profiles import (
    add_author,
    add_files,
    add_ids,
    add_rule,
    author_matches,
    create_profile,
    load_profile,
    normalise_author,
    profile_names,
    record_feedback,
    remove_profile,
    remove_rule,
)
from paperradar.radar.ranking import RankingConfig, diversify, rank, scorer_for
from paperradar.search.rerank import IdentityReranker, RerankQuery

FIXTURES = paths.FIXTURES / "radar"
LISTINGS = FIXTURES / "listings.jsonl"
OWN = FIXTURES / "own.bib"
WEIGHT = RankingConfig().keyword_weight
DAY1 = dt.date(2026, 7, 1)
DAY2 = dt.date(2026, 7, 2)


def topic(paper: Paper) -> str:
    return paper.title.rsplit("(", 1)[1].split()[0]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "home")
    ingest_files(s, [LISTINGS])
    create_profile(s, "ada")
    add_files(s, "ada", [OWN])
    return s


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder(dim=256)


def digest_of(store: Store, embedder: FakeEmbedder, day: dt.date = DAY1, top: int = 10):  # type: ignore[no-untyped-def]
    return make_digest(store, "ada", embedder, DigestOptions(start=day, end=day, top=top))


# --------------------------------------------------------------------------- profiles


def test_profiles_are_created_listed_and_removed(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "h")
    create_profile(s, "b-one")
    create_profile(s, "a.two")
    assert profile_names(s) == ["a.two", "b-one"]
    with pytest.raises(UsageError, match="already exists"):
        create_profile(s, "a.two")
    with pytest.raises(UsageError, match="invalid profile name"):
        create_profile(s, "bad name!")
    remove_profile(s, "a.two")
    assert profile_names(s) == ["b-one"]
    with pytest.raises(UsageError, match="no profile named 'nope'; profiles: b-one"):
        load_profile(s, "nope")


def test_own_papers_from_a_file_are_ingested_once_and_linked(store: Store) -> None:
    prof = load_profile(store, "ada")
    assert len(prof.papers) == 3
    titles = {p.title for p in store.papers.load(prof.papers)}
    assert "Graph transformer for node classification" in titles
    # the same file again adds nothing, and stores no duplicate papers
    count = store.papers.count()
    again = add_files(store, "ada", [OWN])
    assert (again.added, again.already) == (0, 3) and store.papers.count() == count


def test_own_papers_by_id_and_by_author(store: Store) -> None:
    create_profile(store, "other")
    report = add_ids(store, "other", ["arxiv:2607.00001", "2607.00002"])
    assert report.added == 2
    with pytest.raises(UsageError, match="no paper with id"):
        add_ids(store, "other", ["arxiv:9999.99999"])
    assert len(load_profile(store, "other").papers) == 2  # the failed call added nothing
    # "Author Graphs 0" wrote every third graphs paper; initials and case do not matter
    by_author = add_author(store, "other", "author graphs 0")
    assert by_author.added + by_author.already == 6
    with pytest.raises(UsageError, match="no paper in the store has an author"):
        add_author(store, "other", "Nobody Atall")


def test_author_names_match_normalised() -> None:
    assert normalise_author("Müller, J.-P.") == "j p muller"
    assert author_matches("Ada Researcher", "A. Researcher")
    assert author_matches("Researcher, Ada", "ada researcher")
    assert not author_matches("Ada Researcher", "Bob Researcher")
    assert not author_matches("Ada Researcher", "Ada Other")


def test_feedback_keeps_history_and_the_latest_opinion_wins(store: Store) -> None:
    record_feedback(store, "ada", ["2607.00003"], "like")
    record_feedback(store, "ada", ["2607.00003"], "dislike")
    record_feedback(store, "ada", ["2607.00004"], "like")
    record_feedback(store, "ada", ["2607.00004"], "clear")
    record_feedback(store, "ada", ["2607.00005"], "save")
    prof = load_profile(store, "ada")
    third = store.papers.resolve("arxiv:2607.00003")
    assert [f.action for f in prof.feedback] == ["like", "dislike", "like", "clear", "save"]
    assert prof.opinions() == {third: "dislike"}
    assert prof.saved() == [store.papers.resolve("arxiv:2607.00005")]
    with pytest.raises(UsageError, match="unknown action"):
        record_feedback(store, "ada", ["2607.00003"], "love")


def test_rules_are_normalised_and_unique(store: Store) -> None:
    assert add_rule(store, "ada", "follow-keyword", "Speaker  Diarization")
    assert not add_rule(store, "ada", "follow-keyword", "speaker diarization")
    assert add_rule(store, "ada", "mute-category", "cs.RO")
    assert remove_rule(store, "ada", "follow-keyword", "SPEAKER diarization")
    assert [r.kind for r in load_profile(store, "ada").rules] == ["mute-category"]
    with pytest.raises(UsageError, match="unknown rule"):
        add_rule(store, "ada", "follow-venue", "NeurIPS")


# --------------------------------------------------------------------------- ranking


def test_ranking_puts_the_profiles_topics_first_and_explains(
    store: Store, embedder: FakeEmbedder
) -> None:
    digest = digest_of(store, embedder, top=10)
    assert digest.candidates == 24
    topics = [topic(e.paper) for e in digest.entries]
    assert "robots" not in topics[:6]
    assert set(topics[:6]) <= {"graphs", "speech"}
    first = digest.entries[0]
    assert 1 <= len(first.why.neighbours) <= 3
    own_titles = {p.title for p in store.papers.load(load_profile(store, "ada").papers)}
    assert {n.title for n in first.why.neighbours} <= own_titles
    assert all(n.kind == "own" for n in first.why.neighbours)
    sims = [n.similarity for n in first.why.neighbours]
    assert sims == sorted(sims, reverse=True) and sims[0] > 0.2
    assert first.why.terms  # shares distinctive words with the profile
    assert first.parts["similarity"] > 0 and first.score == pytest.approx(
        (1 - WEIGHT) * first.parts["similarity"] + WEIGHT * first.parts["keywords"], abs=2e-4
    )
    scores = [e.score for e in digest.entries]
    assert scores == sorted(scores, reverse=True)


def test_likes_lift_a_topic_in_the_next_ranking(store: Store, embedder: FakeEmbedder) -> None:
    prof = load_profile(store, "ada")
    before, _ = rank(store, prof, embedder, _day(store, DAY2))
    robots_before = [i for i, r in enumerate(before) if topic(r.paper) == "robots"]
    # like four robot papers of day 1: day 2's robot papers move up
    liked = [
        r.paper.id or ""
        for r in rank(store, prof, embedder, _day(store, DAY1))[0]
        if topic(r.paper) == "robots"
    ][:4]
    assert len(liked) == 4
    record_feedback(store, "ada", liked, "like")
    after, _ = rank(store, load_profile(store, "ada"), embedder, _day(store, DAY2))
    robots_after = [i for i, r in enumerate(after) if topic(r.paper) == "robots"]
    assert sum(robots_after) < sum(robots_before)
    assert min(robots_after) < min(robots_before)
    lifted = after[min(robots_after)]
    assert lifted.parts["feedback"] > 0
    assert any(n.kind == "liked" for n in lifted.why.neighbours)


def test_dislikes_push_a_topic_down_and_hide_the_paper(
    store: Store, embedder: FakeEmbedder
) -> None:
    prof = load_profile(store, "ada")
    day1 = rank(store, prof, embedder, _day(store, DAY1))[0]
    speech = [r.paper.id or "" for r in day1 if topic(r.paper) == "speech"][:4]
    before = rank(store, prof, embedder, _day(store, DAY2))[0]
    record_feedback(store, "ada", speech, "dislike")
    prof = load_profile(store, "ada")
    after = rank(store, prof, embedder, _day(store, DAY2))[0]

    def mean_rank(rows: list) -> float:  # type: ignore[type-arg]
        places = [i for i, r in enumerate(rows) if topic(r.paper) == "speech"]
        return sum(places) / len(places)

    # the researcher has an own speech paper, so speech stays above robots, but the
    # classifier now counts against speech: each speech paper's feedback part is negative
    assert mean_rank(after) >= mean_rank(before)
    speech_after = [r for r in after if topic(r.paper) == "speech"]
    assert all(r.parts["feedback"] < 0 for r in speech_after)
    assert all(r.parts["feedback"] > 0 for r in after if topic(r.paper) == "graphs")
    day1_after = rank(store, prof, embedder, _day(store, DAY1))[0]
    assert not {r.paper.id for r in day1_after} & set(speech)


def test_mutes_exclude_and_follows_boost_and_include(store: Store, embedder: FakeEmbedder) -> None:
    add_rule(store, "ada", "mute-category", "eess")  # an archive mutes its categories
    add_rule(store, "ada", "mute-keyword", "graph transformer")
    add_rule(store, "ada", "follow-author", "Author Robots 1")
    digest = digest_of(store, embedder, top=5)
    titles = [e.paper.title.lower() for e in digest.entries]
    assert not any("speech" in topic(e.paper) for e in digest.entries)
    assert not any("graph transformer" in t for t in titles)
    followed = [e for e in digest.entries if e.why.rule]
    assert followed and all("Author Robots 1" in e.paper.authors for e in followed)
    assert all(e.why.rule == "follows author Author Robots 1" for e in followed)
    assert all(e.parts["follow"] == RankingConfig().follow_boost for e in followed)
    # every followed paper of the day is in the digest even when the top is small
    expected = sum(
        1
        for p in store.papers.load(_day(store, DAY1))
        if "Author Robots 1" in p.authors and "graph transformer" not in p.abstract.lower()
    )
    assert len(followed) == expected


def test_keyword_follow_matches_phrases_on_word_boundaries(
    store: Store, embedder: FakeEmbedder
) -> None:
    add_rule(store, "ada", "follow-keyword", "sim to real")  # hyphen or space
    prof = load_profile(store, "ada")
    ranked = rank(store, prof, embedder, _day(store, DAY1))[0]
    hits = [r for r in ranked if r.why.rule]
    assert hits and all("sim-to-real" in (r.paper.title + r.paper.abstract) for r in hits)
    scorer = scorer_for(store, prof, embedder)
    from paperradar.radar.ranking import Text

    assert scorer.followed(Text("Sim to real", "")) is not None
    assert scorer.followed(Text("simulator to reality", "")) is None


def test_digests_do_not_repeat_and_a_rerun_of_the_window_is_stable(
    store: Store, embedder: FakeEmbedder
) -> None:
    both = DigestOptions(start=DAY1, end=DAY2, top=5)
    first = make_digest(store, "ada", embedder, DigestOptions(start=DAY1, end=DAY1, top=5))
    again = make_digest(store, "ada", embedder, DigestOptions(start=DAY1, end=DAY1, top=5))
    assert [e.row_id for e in again.entries] == [e.row_id for e in first.entries]
    assert again.id == first.id is not None
    wider = make_digest(store, "ada", embedder, both)
    assert not {e.row_id for e in wider.entries} & {e.row_id for e in first.entries}
    assert wider.candidates == 48 - 5
    rows = store.conn.execute("SELECT count(*) AS n FROM digests").fetchall()
    assert rows[0]["n"] == 2
    unrecorded = make_digest(
        store, "ada", embedder, DigestOptions(start=DAY2, end=DAY2, top=5, record=False)
    )
    assert unrecorded.id is None
    assert store.conn.execute("SELECT count(*) AS n FROM digests").fetchall()[0]["n"] == 2
    # a window with nothing listed gives an empty digest, which is not recorded
    empty_day = DAY2 + dt.timedelta(days=30)
    empty = make_digest(store, "ada", embedder, DigestOptions(start=empty_day, end=empty_day))
    assert not empty.entries and empty.id is None
    assert store.conn.execute("SELECT count(*) AS n FROM digests").fetchall()[0]["n"] == 2


def test_diversity_caps_one_subtopic(store: Store, embedder: FakeEmbedder) -> None:
    prof = load_profile(store, "ada")
    ranked, vectors = rank(store, prof, embedder, _day(store, DAY1) + _day(store, DAY2))
    plain = [topic(r.paper) for r in ranked[:8]]
    mixed = [topic(r.paper) for r in diversify(ranked, vectors, 8, balance=0.5)]
    assert len(set(mixed)) >= len(set(plain))
    assert max(mixed.count(t) for t in set(mixed)) <= max(plain.count(t) for t in set(plain))
    assert diversify(ranked, vectors, 8, balance=1.0) == ranked[:8]


def test_a_profile_without_papers_is_a_clear_error(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "h")
    ingest_files(s, [LISTINGS])
    create_profile(s, "empty")
    with pytest.raises(UsageError, match="has no papers yet"):
        make_digest(s, "empty", FakeEmbedder(), DigestOptions(start=DAY1, end=DAY1))


def test_feedback_survives_a_merge_of_two_stored_papers(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "h")
    first = tmp_path / "a.jsonl"
    first.write_text(
        '{"id": "2607.09999", "title": "Alpha paper", "abstract": "Short.", "authors": [],'
        ' "categories": ["cs.LG"], "comment": null, "crawl_date": "2026-07-01"}\n',
        encoding="utf-8",
    )
    bib = tmp_path / "b.bib"
    bib.write_text(
        "@article{x, title = {Beta paper}, doi = {10.1234/xyz}, abstract = {Other.}}\n",
        encoding="utf-8",
    )
    ingest_files(s, [first, bib])
    create_profile(s, "p")
    record_feedback(s, "p", ["doi:10.1234/xyz"], "like")
    add_ids(s, "p", ["doi:10.1234/xyz"])
    # a record carrying both ids shows the two stored papers are one
    both = tmp_path / "both.bib"
    both.write_text(
        "@article{y, title = {Alpha paper}, doi = {10.1234/xyz}, eprint = {2607.09999},"
        " archiveprefix = {arXiv}, abstract = {Short.}}\n",
        encoding="utf-8",
    )
    ingest_files(s, [both])
    prof = load_profile(s, "p")
    kept = s.papers.resolve("doi:10.1234/xyz")
    assert s.papers.resolve("arxiv:2607.09999") == kept  # the two stored papers are now one
    assert s.papers.count() == 1
    assert prof.liked() == [kept] and prof.papers == [kept]  # what the user did follows it


def _day(store: Store, day: dt.date) -> list[int]:
    from paperradar.digest import candidate_ids

    return candidate_ids(store, day, day)


# --------------------------------------------------------------------------- CLI


def test_cli_profile_feedback_and_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERRADAR_EMBEDDER", "fake")
    home = tmp_path / "home"
    assert run_cli(home, "ingest", "-q", LISTINGS).code == 0
    result = run_cli(home, "digest")
    assert result.code == 2 and "no profile yet" in result.stderr
    assert run_cli(home, "profile", "create", "ada").code == 0
    added = run_cli(home, "profile", "add", "ada", OWN, "--json")
    assert added.code == 0 and '"added": 3' in added.stdout
    empty = run_cli(home, "digest", "--since", "1d")
    assert empty.code == 0 and "the newest listing in the store is 2026-07-02" in " ".join(
        empty.stdout.split()
    )
    assert run_cli(home, "like", "2607.00040").code == 0
    assert run_cli(home, "mute", "--category", "cs.RO").code == 0
    bad = run_cli(home, "mute", "--author", "X")
    assert bad.code == 2 and "mute takes --keyword or --category" in bad.stderr
    shown = run_cli(home, "profile", "show", "--json")
    assert '"action": "like"' in shown.stdout and '"kind": "mute-category"' in shown.stdout
    out = run_cli(home, "digest", "--day", "2026-07-01", "--top", "5", "--json")
    assert out.code == 0, out.stderr
    import json

    data = json.loads(out.stdout)
    assert data["profile"] == "ada" and len(data["entries"]) == 5
    assert all("cs.RO" not in e["categories"] for e in data["entries"])
    assert all(e["why"]["neighbours"] for e in data["entries"])
    feed = run_cli(
        home,
        "digest",
        "--day",
        "2026-07-02",
        "--top",
        "3",
        "--no-record",
        "--format",
        "rss",
        "--feed-url",
        "https://example.org/radar.xml",
    )
    import feedparser

    parsed = feedparser.parse(feed.stdout)
    assert not parsed.bozo and len(parsed.entries) == 3
    assert parsed.feed.link == "https://example.org/radar.xml"
    unknown = run_cli(home, "like", "arxiv:0000.00000")
    assert unknown.code == 2 and "no paper with id" in unknown.stderr
    two = run_cli(home, "profile", "create", "bob")
    assert two.code == 0
    ambiguous = run_cli(home, "like", "2607.00040")
    assert ambiguous.code == 2 and "--profile is needed" in ambiguous.stderr


# --------------------------------------------------------------------------- rerankers


class _TopicFirst:
    """A reranker that puts one topic's papers first, keeping the order otherwise."""

    name = "topic-first"

    def __init__(self, word: str) -> None:
        self.word = word
        self.queries: list[RerankQuery] = []

    def rerank(self, query: RerankQuery, candidates: Sequence[str]) -> list[int]:
        self.queries.append(query)
        return sorted(range(len(candidates)), key=lambda i: self.word not in candidates[i])


def test_a_reranker_reorders_the_digest_pool_before_diversity(
    store: Store, embedder: FakeEmbedder
) -> None:
    plain = make_digest(
        store, "ada", embedder, DigestOptions(start=DAY1, end=DAY1, top=5, record=False)
    )
    assert topic(plain.entries[0].paper) == "graphs"  # the profile is mostly graphs
    reranker = _TopicFirst("robots")
    reranked = make_digest(
        store,
        "ada",
        embedder,
        DigestOptions(start=DAY1, end=DAY1, top=5, record=False, reranker=reranker),
    )
    assert topic(reranked.entries[0].paper) == "robots"
    assert reranker.queries and len(reranker.queries[0].anchors) == 3  # the own papers
    same = make_digest(
        store,
        "ada",
        embedder,
        DigestOptions(start=DAY1, end=DAY1, top=5, record=False, reranker=IdentityReranker()),
    )
    assert [e.row_id for e in same.entries] == [e.row_id for e in plain.entries]
