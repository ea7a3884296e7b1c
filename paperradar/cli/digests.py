"""The digest commands: ``digest`` (build, print, write and email a profile's digest),
``deliver`` (the outbox), ``trending`` and ``affinity`` (reviewer-paper scores).

Added to the ``paperradar`` group by paperradar.cli; as thin as the rest of the CLI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from paperradar.cli.common import (
    PROFILE_HELP,
    CommandSet,
    date_of,
    emit_json,
    err,
    escape,
    handle_errors,
    home_embedder,
    home_reranker,
    home_store,
    out,
    resolve_profile,
)
from paperradar.codec import paper_to_dict
from paperradar.config import resolve_home
from paperradar.errors import PaperRadarError, UsageError

if TYPE_CHECKING:
    from paperradar.digest.mail import SmtpSettings
    from paperradar.models import Digest
    from paperradar.store.api import Store

commands = CommandSet()


# --------------------------------------------------------------------------- digest


def _window(
    store: Store, since: str | None, day: str | None, until: str | None
) -> tuple[dt.date, dt.date]:
    from paperradar.search import parse_since

    if day and (since or until):
        raise UsageError("--day cannot be combined with --since or --until")
    if day == "latest":
        newest = _newest_listing(store)
        if newest is None:
            raise UsageError("--day latest: the store has no dated papers")
        day = newest
    if day:
        start = parse_since(day, option="--day")
        return start, start
    today = dt.date.today()
    start = parse_since(since or "1d", option="--since")
    end = parse_since(until, option="--until") if until else today
    return start, end


def _newest_listing(store: Store) -> str | None:
    """The newest listing date a source printed in full (not one with an inferred year)."""
    day = store.papers.newest_listing()
    return day.isoformat() if day else None


@commands.command()
@click.option("--profile", "-p", "name", help=PROFILE_HELP)
@click.option("--since", help="Papers listed since a date or a span back (default 1d).")
@click.option("--until", help="Papers listed up to a date (default today).")
@click.option("--day", help="Papers listed on one day: YYYY-MM-DD, or 'latest' in the store.")
@click.option("--top", default=20, show_default=True, type=int, help="Papers in the digest.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "markdown", "html", "rss", "atom", "json"]),
    default="terminal",
    show_default=True,
    help="What to print on stdout.",
)
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Also write HTML here.")
@click.option("--feed", "feed_path", type=click.Path(path_type=Path), help="Also write a feed.")
@click.option(
    "--feed-format",
    type=click.Choice(["rss", "atom"]),
    default="rss",
    show_default=True,
    help="The --feed file's format.",
)
@click.option(
    "--feed-url", help="The feed's own public URL (the channel link and self link of the feed)."
)
@click.option("--email", "email", help="Also send it to this address (settings: config.toml).")
@click.option("--no-record", is_flag=True, help="Do not remember what this digest showed.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.pass_context
@handle_errors
def digest(
    ctx: click.Context,
    name: str | None,
    since: str | None,
    until: str | None,
    day: str | None,
    top: int,
    fmt: str,
    html_path: Path | None,
    feed_path: Path | None,
    feed_format: str,
    feed_url: str | None,
    email: str | None,
    no_record: bool,
    as_json: bool,
) -> None:
    """A profile's digest: the window's new papers, ranked, explained and diversified.

    Papers shown by an earlier digest of the profile are not shown again (building the
    same window again replaces its digest).
    """
    from paperradar.digest import DigestOptions, make_digest, render
    from paperradar.store import open_store

    home = resolve_home(ctx.obj["home"])
    settings = None
    sent = True
    if email:  # bad settings or address fail before a digest is recorded
        from paperradar.digest import mail

        mail.check_address(email)
        settings = mail.smtp_settings(home)
    with open_store(home) as store:
        start, end = _window(store, since, day, until)
        name = resolve_profile(store, name)
        result = make_digest(
            store,
            name,
            home_embedder(ctx, home),
            DigestOptions(
                start=start,
                end=end,
                top=top,
                record=not no_record,
                reranker=home_reranker(ctx, home),
            ),
        )
        newest = _newest_listing(store) if not result.entries else None
        if email and settings is not None:
            sent = _send(store, result, email, settings)
    if as_json or fmt == "json":
        emit_json(_digest_json(result))
    elif fmt == "terminal":
        if not result.entries:
            hint = f"; the newest listing in the store is {newest}" if newest else ""
            out.print(f"no new papers for {name} listed {result.window}{hint}")
        else:
            render.to_terminal(result, out)
    else:
        if fmt == "markdown":
            text = render.to_markdown(result)
        elif fmt == "html":
            text = render.to_html(result)
        elif fmt == "rss":
            text = render.to_rss(result, feed_url)
        else:
            text = render.to_atom(result, feed_url)
        click.echo(text, nl=not text.endswith("\n"))
    if html_path or feed_path:
        render.write_outputs(
            result,
            html_path=html_path,
            feed_path=feed_path,
            fmt="atom" if feed_format == "atom" else "rss",
            feed_url=feed_url,
        )
        for path in (html_path, feed_path):
            if path:
                err.print(f"wrote {path.resolve()}", markup=False)
    if not sent:
        raise PaperRadarError(f"the digest was not emailed to {email}: see the warnings above")


def _digest_json(result: Digest) -> dict[str, object]:
    return {
        "profile": result.profile,
        "window": {"start": result.start.isoformat(), "end": result.end.isoformat()},
        "candidates": result.candidates,
        "created": result.created.isoformat(),
        "entries": [
            {
                **paper_to_dict(entry.paper),
                "date": date_of(entry.paper),
                "score": entry.score,
                "parts": entry.parts,
                "why": dataclasses.asdict(entry.why),
            }
            for entry in result.entries
        ],
    }


def _send(store: Store, result: Digest, address: str, settings: SmtpSettings) -> bool:
    """Queue the digest for ``address`` and deliver the outbox; whether this one went out."""
    from paperradar.digest import mail

    outcome = mail.send_digest(store, result, address, settings)
    if outcome.status == "empty":
        err.print("email: not sent, the digest is empty", markup=False)
        return True
    for problem in outcome.problems:
        err.print(f"warning: {problem}", markup=False)
    err.print(
        f"email to {address}: {outcome.status}"
        + ("" if outcome.status == "sent" else " (`paperradar deliver` retries pending mail)"),
        markup=False,
    )
    return outcome.status == "sent"


@commands.command()
@click.pass_context
@handle_errors
def deliver(ctx: click.Context) -> None:
    """Send the emails waiting in the outbox (after a failure)."""
    from paperradar.digest import mail
    from paperradar.store import open_store

    home = resolve_home(ctx.obj["home"])
    with open_store(home) as store:
        if not store.delivery.waiting_count():
            out.print("nothing to send")
            return
        try:
            report = mail.deliver_pending(store, mail.smtp_settings(home))
        except KeyboardInterrupt:
            err.print(
                "interrupted: no message goes out twice; the unsent ones wait in the outbox "
                "(run `paperradar deliver` again)",
                markup=False,
            )
            sys.exit(130)
    for problem in report.errors:
        err.print(f"warning: {problem}", markup=False)
    out.print(f"{report.sent} sent, {report.pending} waiting, {report.failed} failed")
    if report.pending or report.failed:
        raise PaperRadarError("some mail was not delivered: see the warnings above")


# --------------------------------------------------------------------------- trending


@commands.command()
@click.option("--since", default="7d", show_default=True, help="Sightings since a date or span.")
@click.option("--until", help="Sightings up to a date (default: the newest in the window).")
@click.option("--category", help="Only papers in a category (cs.CL) or archive (cs).")
@click.option("--limit", "-n", default=20, show_default=True, help="Number of papers.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
@handle_errors
def trending(
    ctx: click.Context,
    since: str,
    until: str | None,
    category: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """What is trending: upvotes and recency from daily-papers listings, and appearances
    across sources and days (see docs/trending.md)."""
    from paperradar.radar.trending import empty_reason, latest_window
    from paperradar.radar.trending import trending as find_trending
    from paperradar.search import parse_since

    start = parse_since(since)
    end = parse_since(until, option="--until") if until else None
    defaulted = ctx.get_parameter_source("since") is click.core.ParameterSource.DEFAULT
    with home_store(ctx) as store:
        moved = latest_window(store, start) if defaulted and end is None else None
        if moved:
            err.print(
                f"no source listed a paper since {start.isoformat()}: showing "
                f"{moved[0].isoformat()} to {moved[1].isoformat()}, the newest days in the store",
                markup=False,
            )
            start, end = moved
        trends = find_trending(store, start, end, limit=limit, category=category)
        reason = empty_reason(store, start, end, category) if not trends else ""
    if as_json:
        emit_json(
            [
                {
                    **paper_to_dict(t.paper),
                    "score": round(t.score, 4),
                    "upvotes": t.upvotes,
                    "sources": t.sources,
                    "appearances": t.appearances,
                    "first_seen": t.first_seen.isoformat(),
                    "last_seen": t.last_seen.isoformat(),
                    "reasons": t.reasons,
                }
                for t in trends
            ]
        )
        return
    if not trends:
        out.print(f"nothing trending: {reason}", markup=False, soft_wrap=True)
        return
    table = Table(expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("title", ratio=3, overflow="fold")
    table.add_column("why", ratio=2, overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    for rank, t in enumerate(trends, start=1):
        table.add_row(
            str(rank),
            escape(t.paper.id or ""),
            escape(t.paper.title),
            escape("; ".join(t.reasons)),
            f"{t.score:.2f}",
        )
    out.print(table)


# --------------------------------------------------------------------------- affinity


@commands.command()
@click.option(
    "--reviewers",
    "reviewers_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder of ~Reviewer_Id.jsonl files (OpenReview expertise format).",
)
@click.option(
    "--submissions",
    "submissions_file",
    required=True,
    type=click.Path(path_type=Path),
    help="Submissions: a JSON object id -> note, a JSON list, or JSON Lines.",
)
@click.option(
    "--out", "out_path", required=True, type=click.Path(path_type=Path), help="CSV to write."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def affinity(
    ctx: click.Context,
    reviewers_dir: Path,
    submissions_file: Path,
    out_path: Path,
    quiet: bool,
    as_json: bool,
) -> None:
    """Reviewer-paper affinity: one `submission_id,reviewer_id,score` row per pair (no
    header), each reviewer scored like a profile whose own papers are their publications.
    Texts are embedded once and cached in the store, so a re-run embeds nothing."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from paperradar.radar.affinity import compute_affinity, write_scores

    embedder = home_embedder(ctx)
    with home_store(ctx) as store:
        if quiet or as_json or not err.is_terminal:
            report = compute_affinity(reviewers_dir, submissions_file, embedder, store=store)
        else:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            ) as bar:
                tasks: dict[str, object] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        label = "embed texts" if stage == "embed" else "score reviewers"
                        tasks[stage] = bar.add_task(label, total=total)
                    bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

                report = compute_affinity(
                    reviewers_dir, submissions_file, embedder, store=store, progress=progress
                )
    rows = write_scores(report.rows(), out_path)
    summary = {
        "pairs": rows,
        "reviewers": len(report.reviewer_ids),
        "submissions": len(report.submission_ids),
        "reviewers_without_papers": report.reviewers_without_papers,
        "skipped_papers": report.skipped_papers,
        "skipped_submissions": report.skipped_submissions,
        "texts": report.texts,
        "embedded": report.embedded,
        "embed_seconds": round(report.embed_seconds, 2),
        "score_seconds": round(report.score_seconds, 2),
        "out": str(out_path.resolve()),
    }
    if as_json:
        emit_json(summary)
        return
    out.print(
        f"wrote {rows:,} scores ({summary['reviewers']} reviewers x {summary['submissions']} "
        f"submissions) to {summary['out']}; embedded {report.embedded:,} of {report.texts:,} "
        f"texts in {summary['embed_seconds']} s, scored in {summary['score_seconds']} s",
        markup=False,
    )
    if report.reviewers_without_papers:
        err.print(
            f"note: no usable papers, no rows: {', '.join(report.reviewers_without_papers)}",
            markup=False,
        )
    skipped = report.skipped_papers + len(report.skipped_submissions)
    if skipped:
        err.print(f"note: skipped {skipped} papers with neither title nor abstract", markup=False)
