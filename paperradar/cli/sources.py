"""The live-source commands: ``sync``, ``watch`` and ``profile add-author``.

Thin: every command parses its options and calls paperradar.sources.sync, paperradar.schedule.run,
paperradar.schedule.watch or paperradar.sources.lookup. paperradar.cli adds
``sync`` and ``watch`` to the ``paperradar`` group and ``add-author`` to the ``profile`` group.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any

import click
import orjson

from paperradar.cli.common import (
    CommandSet,
    emit_json,
    err,
    handle_errors,
    home_embedder,
    home_store,
    out,
)
from paperradar.config import load_config, resolve_home
from paperradar.errors import PaperRadarError, UsageError

if TYPE_CHECKING:
    from paperradar.sources.sync import SourceRun, SyncReport

commands = CommandSet()


def _run_line(run: SourceRun, dry_run: bool) -> str:
    if run.error:
        return f"{run.name}: error: {run.error.removeprefix(run.name + ': ')}"
    if run.up_to_date:
        return f"{run.name}: up to date"
    if dry_run:
        how = "resume an interrupted run with" if run.resumed else "start with"
        return f"{run.name}: would {how} {run.requests[0]}"
    r = run.report
    parts = [
        f"{run.pages} page{'s' if run.pages != 1 else ''}",
        f"read {r.read:,}",
        f"new {r.new:,}",
        f"merged {r.merged:,}",
        f"skipped {r.skipped:,}",
    ]
    parts += [f"{key.replace('_', ' ')} {value:,}" for key, value in sorted(run.notes.items())]
    if run.resumed:
        parts.append("resumed")
    if not run.complete:
        parts.append("stopped (resumes next run)")
    return f"{run.name}: " + " · ".join(parts)


def _run_json(run: SourceRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "kind": run.kind,
        "resumed": run.resumed,
        "up_to_date": run.up_to_date,
        "complete": run.complete,
        "pages": run.pages,
        "requests": run.requests,
        "read": run.report.read,
        "new": run.report.new,
        "merged": run.report.merged,
        "skipped": run.report.skipped,
        "notes": run.notes,
        "bad_records": run.bad,
        "error": run.error,
        "cursor": run.cursor,
    }


@commands.command()
@click.option("--source", "-s", "only", multiple=True, help="Sync only this source (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be fetched; fetch nothing.")
@click.option("--embed", is_flag=True, help="Then embed the papers that have no vector yet.")
@click.option("--status", is_flag=True, help="Show each source's saved state and stop.")
@click.option("--reset", "reset", metavar="NAME", help="Forget a source's cursor and stop.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@handle_errors
def sync(
    ctx: click.Context,
    only: tuple[str, ...],
    dry_run: bool,
    embed: bool,
    status: bool,
    reset: str | None,
    as_json: bool,
) -> None:
    """Pull new papers from the sources configured in config.toml ([sources.NAME]).

    Each source goes on from where its last run stopped; an interrupted run resumes
    without asking again for what it stored. A failing source is reported and the others
    still run (exit code 1 if any failed).
    """
    from paperradar.schedule.run import sync_home
    from paperradar.sources import source_tables
    from paperradar.sources.sync import reset_source, source_states

    home = resolve_home(ctx.obj["home"])
    with home_store(ctx) as store:
        if status:
            tables = source_tables(load_config(home))
            configured = {name: str(table.get("kind", name)) for name, table in tables.items()}
            states = source_states(store, configured)
            if as_json:
                emit_json(states)
                return
            if not states:
                out.print(
                    "no sources configured and none ever synced: add [sources.NAME] tables "
                    f"to {home / 'config.toml'} (docs/sources.md)",
                    markup=False,
                    soft_wrap=True,
                )
            for state in states:
                if not state["synced"]:
                    out.print(f"{state['name']} ({state['kind']}): never synced", markup=False)
                    continue
                cursor = orjson.dumps(state["cursor"]).decode()
                line = f"{state['name']} ({state['kind']}): cursor {cursor}"
                if not state["configured"]:
                    line += " · no longer in config.toml"
                if state["interrupted"]:
                    line += " · interrupted run waiting"
                if state["failures"]:
                    runs = "run" if state["failures"] == 1 else "runs"
                    line += f" · {state['failures']} failed {runs}: {state['last_error']}"
                out.print(line, markup=False, soft_wrap=True)
            return
        if reset:
            if not reset_source(store, reset):
                raise UsageError(f"no saved state for a source named {reset!r}")
            err.print(f"{reset}: cursor forgotten; its next run starts afresh", markup=False)
            return
        progress = None if as_json else _progress_printer()
        report = sync_home(store, home, only=only, dry_run=dry_run, progress=progress)
        embedded = None
        if embed and not dry_run:
            from paperradar.embedding.backfill import embed_missing

            embedded = embed_missing(store, home_embedder(ctx)).embedded
    _print_report(report, dry_run, as_json, embedded)


def _progress_printer() -> Any:
    def show(run: SourceRun) -> None:
        err.print(f"{run.name}: page {run.pages}: {run.requests[-1]}", markup=False)

    return show


def _print_report(report: SyncReport, dry_run: bool, as_json: bool, embedded: int | None) -> None:
    if as_json:
        emit_json({"sources": [_run_json(run) for run in report.runs], "embedded": embedded})
    else:
        if not report.runs:
            out.print(
                "no sources configured: add [sources.NAME] tables to config.toml", markup=False
            )
        for run in report.runs:
            out.print(_run_line(run, dry_run), markup=False, soft_wrap=True)
        if embedded is not None:
            out.print(f"embedded {embedded:,}")
    if report.failed:
        raise PaperRadarError(
            f"{len(report.failed)} of {len(report.runs)} sources failed "
            "(each resumes where it stopped on the next sync)"
        )


@commands.command()
@click.option("--once", is_flag=True, help="Run what is due (or the next slot), then exit.")
@click.pass_context
@handle_errors
def watch(ctx: click.Context, once: bool) -> None:
    """Sync, then build (and email) each profile's digest, on the [watch] schedule.

    Runs until SIGTERM or Ctrl-C, which stop it between two steps. A slot that finished
    never runs again; one that was stopped or crashed runs again at the next start.
    """
    from paperradar.schedule.run import run_slot, schedule_with_subscriptions
    from paperradar.schedule.watch import run_watch, watch_settings

    home = resolve_home(ctx.obj["home"])
    settings = watch_settings(load_config(home))
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        err.print(f"{signal.Signals(signum).name}: stopping after the current step", markup=False)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    days = ",".join(
        d
        for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        if i in settings.schedule.days
    )
    err.print(f"watching: {settings.schedule.at.isoformat()} on {days} (local time)", markup=False)
    with home_store(ctx) as store:
        run_watch(
            store,
            settings,
            lambda slot, should_stop: run_slot(home, settings, slot, should_stop),
            stop,
            once=once,
            log=lambda line: err.print(line, markup=False),
            refresh=lambda: schedule_with_subscriptions(home, settings),
        )
    err.print("stopped" if stop.is_set() else "done", markup=False)


@click.command("add-author")
@click.argument("name")
@click.option("--s2", "s2_id", help="The author's Semantic Scholar id.")
@click.option("--arxiv", "arxiv_name", help="The author's name as arXiv lists it.")
@click.option("--orcid", help="The author's ORCID iD (works from OpenAlex).")
@click.option("--openalex", "openalex_id", help="The author's OpenAlex id (A5023888391).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@handle_errors
def profile_add_author(
    ctx: click.Context,
    name: str,
    s2_id: str | None,
    arxiv_name: str | None,
    orcid: str | None,
    openalex_id: str | None,
    as_json: bool,
) -> None:
    """Add an author's papers, with abstracts, to profile NAME: from Semantic Scholar (--s2),
    arXiv (--arxiv NAME: the papers listing that name) or OpenAlex (--orcid, --openalex).

    Settings: [s2] base_url and api_key (or $PAPERRADAR_S2_API_KEY), [lookup] arxiv_url,
    openalex_url and mailto in config.toml; requests follow the [http] settings.
    """
    from paperradar.radar.profiles import add_papers, author_matches, load_profile
    from paperradar.sources.lookup import fetch_author, lookup_settings

    settings = lookup_settings(load_config(resolve_home(ctx.obj["home"])))
    with home_store(ctx) as store:
        load_profile(store, name)  # an unknown profile fails before any request
        found = fetch_author(
            settings, s2_id=s2_id, arxiv_name=arxiv_name, orcid=orcid, openalex_id=openalex_id
        )
        papers = found.papers
        if arxiv_name:  # arXiv matches names loosely: keep the papers that list this one
            papers = [p for p in papers if any(author_matches(arxiv_name, a) for a in p.authors)]
        report = add_papers(store, name, papers, found.origin)
    stored = report.ingest
    if as_json:
        emit_json(
            {
                "profile": name,
                "author": found.author.removesuffix(f" ({s2_id})") if s2_id else found.author,
                "service": found.service,
                "fetched": len(papers),
                "added": report.added,
                "already": report.already,
                "new": stored.new if stored else 0,
                "merged": stored.merged if stored else 0,
            }
        )
        return
    out.print(
        f"{found.author}: {len(papers)} papers from {found.service} · "
        f"added {report.added} to {name} · already there {report.already}",
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
