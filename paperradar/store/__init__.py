"""The store: the only package that speaks SQL (see docs/architecture.md, docs/storage.md).

:func:`open_store` opens the store of a paperradar home; :class:`~paperradar.store.api.Store`
is the protocol every backend implements. The embedded default is SQLite
(:class:`~paperradar.store.sqlite.store.SqliteStore`, one file in the home, also exported as
``Store``: ``Store.open(home)``, ``Store(path)``); a
``postgresql://`` URL (``--store``, ``$PAPERRADAR_STORE`` or ``[store] url`` in the home's
config.toml) selects PostgreSQL (:class:`~paperradar.store.postgres.store.PgStore`).
"""

from __future__ import annotations

import os
from pathlib import Path

from paperradar.config import STORE_ENV
from paperradar.errors import ConfigError
from paperradar.store.api import Store as StoreProtocol
from paperradar.store.sqlite.store import DB_NAME, Prepared, SqliteStore, Store

_SCHEMES = ("postgresql://", "postgres://")


def store_url(home: Path) -> str | None:
    """The store's URL: ``$PAPERRADAR_STORE``, else ``[store] url`` in the home's config.toml,
    else None (the SQLite file in the home). A URL of another kind is a ConfigError."""
    from paperradar.config import load_config

    url = os.environ.get(STORE_ENV, "").strip()
    where = STORE_ENV
    if not url:
        value = load_config(home).get("store", "url")
        where = "[store] url"
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a postgresql:// URL, got {value!r}")
        url = value.strip()
    if not url:
        return None
    if not is_postgres_url(url):
        raise ConfigError(f"{where}: expected a postgresql:// URL, got {url.split('://')[0]!r}")
    return url


def open_store(home: Path) -> StoreProtocol:
    """The store of the paperradar home ``home``: PostgreSQL when a URL names one, else the
    SQLite file in the home (created and migrated on first use)."""
    url = store_url(home)
    if url is None:
        return SqliteStore.open(home)
    return open_postgres(url, home)


def is_postgres_url(text: str) -> bool:
    """Whether ``text`` is a ``postgresql://`` (or ``postgres://``) URL."""
    return text.startswith(_SCHEMES)


def open_postgres(url: str, home: Path) -> StoreProtocol:
    """The PostgreSQL store at ``url``, with ``home`` for its config.toml and caches (a
    ConfigError where psycopg is not installed)."""
    try:
        from paperradar.store.postgres.store import PgStore
    except ImportError as exc:
        raise ConfigError(
            f"a PostgreSQL store needs psycopg: pip install 'paperradar[postgres]' ({exc})"
        ) from exc
    return PgStore(url, home)


__all__ = [
    "DB_NAME",
    "Prepared",
    "SqliteStore",
    "Store",
    "is_postgres_url",
    "open_postgres",
    "open_store",
    "store_url",
]
