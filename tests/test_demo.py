"""The demo's digest with the real model: its top papers are topically right for the
researcher of seeds 000/001 (language and vision foundation models: training, reasoning,
continual learning), i.e. closer to their papers than the day's typical paper."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ARXIV_SLICE, SEED_FILES

from paperradar import Store, ingest_files
from paperradar.digest import DigestOptions, candidate_ids, make_digest
from paperradar.embedding import default_embedder
from paperradar.profile import add_files, create_profile, load_profile
from paperradar.ranking import rank

pytestmark = pytest.mark.integration
LAST_DAY = dt.date(2026, 7, 1)


def test_demo_digest_is_topically_right(tmp_path: Path) -> None:
    day = tmp_path / "last-day.jsonl"
    with gzip.open(ARXIV_SLICE, "rt", encoding="utf-8") as fh, day.open("w") as outfile:
        for line in fh:
            if json.loads(line)["crawl_date"] == LAST_DAY.isoformat():
                outfile.write(line)
    store = Store.open(tmp_path / "home")
    ingest_files(store, [day])
    create_profile(store, "researcher")
    add_files(store, "researcher", SEED_FILES[:2])
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
