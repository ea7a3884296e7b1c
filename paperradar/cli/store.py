"""``paperradar store``: the store as a whole. ``store copy SRC DST`` copies every row of one
store into an empty one, between backends in either direction (a laptop's SQLite home to the
lab's PostgreSQL server, or back), resumably (paperradar.store.copying).

Added to the ``paperradar`` group by paperradar.cli; as thin as the rest of the CLI.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from paperradar.cli.common import CommandSet, emit_json, err, handle_errors, out

if TYPE_CHECKING:
    from paperradar.store.copying import Progress

commands = CommandSet()

#: seconds between two progress lines of one table (a line always ends each table)
_EVERY_S = 10.0


def _progress_lines() -> Progress:
    """progress(table, rows, total): a line on stderr when a table is done, and at most
    every few seconds while a large one is being copied."""
    last: dict[str, float] = {}
    finished: set[str] = set()

    def show(table: str, rows: int, total: int) -> None:
        now = time.monotonic()
        started = last.setdefault(table, now)
        if table in finished or (rows < total and now - started < _EVERY_S):
            return
        if rows >= total:
            finished.add(table)
        last[table] = now
        err.print(f"store copy: {table} {rows:,} of {total:,}", markup=False)

    return show


@commands.group()
def store() -> None:
    """The store as a whole: copy it to another backend."""


@store.command("copy")
@click.argument("src")
@click.argument("dst")
@click.option(
    "--chunk",
    type=click.IntRange(min=1),
    default=None,
    help="Rows copied per transaction (default 2,000).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
@handle_errors
def copy(
    ctx: click.Context, src: str, dst: str, chunk: int | None, quiet: bool, as_json: bool
) -> None:
    """Copy every row of the store SRC into the empty store DST (resuming an unfinished
    copy from SRC), then check every table's count.

    SRC and DST are each a postgresql:// URL or a paperradar home directory (its SQLite
    file); the global --store and $PAPERRADAR_STORE do not change them."""
    from paperradar.config import resolve_home
    from paperradar.store.copying import DEFAULT_CHUNK, copy_store, open_end

    home = resolve_home(ctx.obj["home"])  # a PostgreSQL side's config.toml and caches
    with open_end(src, "SRC", home) as source, open_end(dst, "DST", home) as destination:
        progress = None if quiet else _progress_lines()
        try:
            report = copy_store(
                source, destination, chunk=chunk or DEFAULT_CHUNK, progress=progress
            )
        except KeyboardInterrupt:
            err.print(
                "interrupted: the chunks copied so far are kept; run the same command again "
                "to resume",
                markup=False,
            )
            sys.exit(130)
    if as_json:
        emit_json(report.as_json())
        return
    counts = ", ".join(f"{n:,} {t}" for t, n in report.counts.items() if n) or "nothing"
    again = " (resumed)" if report.resumed else ""
    out.print(
        f"copied {report.source} to {report.destination}{again}: {counts}; counts checked",
        markup=False,
        soft_wrap=True,
    )
