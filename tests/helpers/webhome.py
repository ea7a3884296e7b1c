"""A web home for the web tests: two users with one profile each, and real papers.

``build_home(path)`` ingests tests/fixtures/radar/listings.jsonl and the own papers of
tests/fixtures/radar/own.bib, embeds them with the fake embedder, and makes:

- user ``alice`` (password ``alice-password``) owning profile ``alice-ml``;
- user ``bob`` (password ``bob-password``) owning profile ``bob-db``;
- profile ``nobody`` owned by no one (reachable only in single-user mode).

``backend="postgres"`` puts its store in a database of its own (tests/helpers/backends.py);
a home whose config.toml already names a store keeps it.
"""

from __future__ import annotations

from pathlib import Path

from helpers import backends, paths
from paperradar import ingest_files
from paperradar.embedding import FakeEmbedder
from paperradar.embedding.backfill import embed_missing
from paperradar.radar.profiles import add_files, create_profile
from paperradar.web.accounts import add_user, grant_profile

FIXTURES = paths.FIXTURES / "radar"
PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}


def build_home(home: Path, backend: str = backends.SQLITE) -> Path:
    if backends.store_url(home) is None:
        backends.make_home(home, backend)
    home.mkdir(parents=True, exist_ok=True)
    with backends.open_home(home) as store:
        ingest_files(store, [FIXTURES / "listings.jsonl"])
        for profile in ("alice-ml", "bob-db", "nobody"):
            create_profile(store, profile)
        add_files(store, "alice-ml", [FIXTURES / "own.bib"])
        embed_missing(store, FakeEmbedder())
        for user, password in PASSWORDS.items():
            add_user(store, user, password)
        grant_profile(store, "alice", "alice-ml")
        grant_profile(store, "bob", "bob-db")
    return home
