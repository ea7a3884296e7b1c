"""The demo's digest with the real model: its top papers are topically right for the
researcher of seeds 000/001 (language and vision foundation models: training, reasoning,
continual learning), i.e. closer to their papers than the day's typical paper."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers.paths import ARXIV_SLICE, SEED_FILES

from paperradar import Store, ingest_files
from paperradar.digest import DigestOptions, candidate_ids, make_digest
from paperradar.embedding import default_embedder
from paperradar.embedding.backfill import embed_missing
from paperradar.models import Paper, Ranked
from paperradar.radar.profiles import add_files, create_profile, load_profile, record_feedback
from paperradar.radar.ranking import rank

pytestmark = pytest.mark.integration
LAST_DAY = dt.date(2026, 7, 1)


@pytest.fixture
def day_store(tmp_path: Path, embedded_day: Path) -> Store:
    """A copy of the embedded store of the slice's last listing day, with the researcher's
    profile (each test gets its own copy: digests and feedback do not leak)."""
    home = tmp_path / "home"
    shutil.copytree(embedded_day, home)
    store = Store.open(home)
    create_profile(store, "researcher")
    add_files(store, "researcher", SEED_FILES[:2])
    return store


@pytest.fixture(scope="module")
def embedded_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 300 papers listed on the last day and the researcher's papers, embedded once."""
    folder = tmp_path_factory.mktemp("demo")
    day = folder / "last-day.jsonl"
    with gzip.open(ARXIV_SLICE, "rt", encoding="utf-8") as fh, day.open("w") as outfile:
        for line in fh:
            if json.loads(line)["crawl_date"] == LAST_DAY.isoformat():
                outfile.write(line)
    home = folder / "home"
    with Store.open(home) as store:
        ingest_files(store, [day, *SEED_FILES[:2]])
        embed_missing(store, default_embedder())
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return home


def test_demo_digest_is_topically_right(day_store: Store) -> None:
    store = day_store
    embedder = default_embedder()
    digest = make_digest(
        store, "researcher", embedder, DigestOptions(start=LAST_DAY, end=LAST_DAY, top=10)
    )
    assert digest.candidates == 300 and len(digest.entries) == 10
    ranked, _ = rank(
        store, load_profile(store, "researcher"), embedder, candidate_ids(store, LAST_DAY, LAST_DAY)
    )
    similarity = np.array([r.parts["similarity"] for r in ranked])
    median, upper = np.median(similarity), np.percentile(similarity, 90)
    top = np.array([e.parts["similarity"] for e in digest.entries])
    assert (top > median).all()  # every one is closer to the researcher than the median
    assert top.mean() > upper  # and on average in the day's closest tenth
    for entry in digest.entries:  # explained by the researcher's own papers
        assert entry.why.neighbours and entry.why.neighbours[0].similarity > 0.4
        assert all(n.kind == "own" for n in entry.why.neighbours)
    words = " ".join(e.paper.title + " " + e.paper.abstract for e in digest.entries).lower()
    assert sum(w in words for w in ("language model", "foundation model", "llm", "reasoning")) >= 3


def test_liking_a_handful_of_one_topic_lifts_that_topic(day_store: Store) -> None:
    """Real data, real model: the researcher (language and vision models) likes five medical
    papers of the day; the day's other medical papers move up in the next ranking."""
    store = day_store
    embedder = default_embedder()
    candidates = candidate_ids(store, LAST_DAY, LAST_DAY)
    before, _ = rank(store, load_profile(store, "researcher"), embedder, candidates)
    medical_papers = [r for r in before if medical(r.paper)]
    assert len(medical_papers) >= 15
    liked = medical_papers[: len(medical_papers) : 3][:5]  # five spread over the topic's ranks
    record_feedback(store, "researcher", [r.paper.id or "" for r in liked], "like")
    after, _ = rank(store, load_profile(store, "researcher"), embedder, candidates)
    rest = {r.row_id for r in medical_papers} - {r.row_id for r in liked}

    def places(rows: list[Ranked]) -> list[int]:
        return [i for i, r in enumerate(rows) if r.row_id in rest]

    assert np.mean(places(after)) < 0.6 * np.mean(places(before))
    assert all(after[i].parts["feedback"] > 0 for i in places(after)[:5])
    assert sum(map(medical, (r.paper for r in after[:20]))) > sum(
        map(medical, (r.paper for r in before[:20]))
    )


def medical(paper: Paper) -> bool:
    text = f"{paper.title} {paper.abstract}".lower()
    return "medical" in text or "clinical" in text
