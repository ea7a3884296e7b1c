"""The radar's commands: profiles, feedback, follows and mutes, digests, trending, affinity.

Added to the ``paperradar`` group by paperradar.cli; as thin as the rest of the CLI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from paperradar.cli.common import CommandSet, err, handle_errors, out
from paperradar.cli.common import date_of as _date_of
from paperradar.cli.common import emit_json as _emit_json
from paperradar.cli.common import escape as _escape
from paperradar.cli.common import home_store as _store
from paperradar.codec import paper_to_dict
from paperradar.config import resolve_home
from paperradar.errors import PaperRadarError, UsageError
from paperradar.readers import FORMAT_NAMES

if TYPE_CHECKING:
    from paperradar.digest.mail import SmtpSettings
    from paperradar.models import Digest
    from paperradar.store import Store

commands = CommandSet()
PROFILE_HELP = "The profile (may be left out when there is only one)."


def _profile(store: Store, given: str | None) -> str:
    """The named profile, or the only one there is."""
    from paperradar.radar.profiles import profile_names

    if given:
        return given
    names = profile_names(store)
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError("no profile yet: create one with `paperradar profile create NAME`")
    raise UsageError(f"--profile is needed: there are {len(names)} ({', '.join(names)})")


# --------------------------------------------------------------------------- profile


@commands.group()
def profile() -> None:
    """Create and fill researcher profiles (own papers, rules, feedback)."""


@profile.command("create")
@click.argument("name")
@click.pass_context
@handle_errors
def profile_create(ctx: click.Context, name: str) -> None:
    """Create an empty profile called NAME."""
    from paperradar.radar.profiles import create_profile

    with _store(ctx) as store:
        create_profile(store, name)
    out.print(f"created profile {name}; add papers with `paperradar profile add {name} FILE`")


@profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
@handle_errors
def profile_list(ctx: click.Context, as_json: bool) -> None:
    """List the profiles with their number of papers, rules and feedback actions."""
    from paperradar.radar.profiles import load_profile, profile_names

    with _store(ctx) as store:
        profiles = [load_profile(store, name) for name in profile_names(store)]
    rows = [
        {
            "name": p.name,
            "papers": len(p.papers),
            "liked": len(p.liked()),
            "disliked": len(p.disliked()),
            "saved": len(p.saved()),
            "rules": len(p.rules),
            "created": p.created.isoformat(),
        }
        for p in profiles
    ]
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        out.print("no profiles yet: `paperradar profile create NAME`")
        return
    table = Table()
    for column in ("name", "papers", "liked", "disliked", "saved", "rules", "created"):
        table.add_column(column, justify="right" if column not in ("name", "created") else "left")
    for row in rows:
        table.add_row(*(_escape(str(row[c])) for c in row))
    out.print(table)


@profile.command("show")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
@handle_errors
def profile_show(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Show a profile: its papers, follow and mute rules, and feedback history."""
    from paperradar.radar.profiles import load_profile

    with _store(ctx) as store:
        prof = load_profile(store, _profile(store, name))
        papers = store.load(prof.papers)
        touched = sorted({f.paper_id for f in prof.feedback})
        titles = {i: p for i, p in zip(touched, store.load(touched), strict=False)}
        by_row = store.papers.pids(touched)
    if as_json:
        _emit_json(
            {
                "name": prof.name,
                "created": prof.created.isoformat(),
                "papers": [paper_to_dict(p) for p in papers],
                "rules": [dataclasses.asdict(r) for r in prof.rules],
                "feedback": [
                    {"paper": by_row.get(f.paper_id), "action": f.action, "at": f.at.isoformat()}
                    for f in prof.feedback
                ],
            }
        )
        return
    out.print(f"[bold]{_escape(prof.name)}[/bold] (created {prof.created:%Y-%m-%d})")
    out.print(f"{len(papers)} own papers:")
    for p in papers:
        label = p.title or (p.abstract[:90] + "…" if len(p.abstract) > 90 else p.abstract)
        out.print(f"  {_escape(p.id or '')}  {_escape(label)}")
    if prof.rules:
        out.print("rules:")
        for rule in prof.rules:
            out.print(f"  {rule.kind}: {_escape(rule.value)}")
    if prof.feedback:
        out.print("feedback:")
        for f in prof.feedback:
            paper = titles.get(f.paper_id)
            title = paper.title if paper else ""
            out.print(
                f"  {f.at:%Y-%m-%d %H:%M}  {f.action:<8} {_escape(by_row.get(f.paper_id, '?'))}"
                f"  {_escape(title[:70])}"
            )


@profile.command("add")
@click.argument("name")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--id", "ids", multiple=True, help="A stored paper's id (repeatable).")
@click.option("--author", help="Every stored paper with this author.")
@click.option("--format", "fmt", type=click.Choice(FORMAT_NAMES), help="Format of the FILES.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def profile_add(
    ctx: click.Context,
    name: str,
    files: tuple[Path, ...],
    ids: tuple[str, ...],
    author: str | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    """Add own papers to profile NAME: from FILES (any readable format; ingested into the
    store first), from stored ids (--id), or by author name (--author)."""
    from paperradar.radar.profiles import add_author, add_files, add_ids, load_profile

    if not (files or ids or author):
        raise UsageError("give FILES, --id ID or --author NAME")
    added = already = 0
    with _store(ctx) as store, store.transaction():  # files, ids and author: all or nothing
        load_profile(store, name)  # an unknown profile fails before anything is ingested
        reports = []
        if files:
            reports.append(add_files(store, name, list(files), fmt=fmt))
        if ids:
            reports.append(add_ids(store, name, list(ids)))
        if author:
            reports.append(add_author(store, name, author))
        total = len(load_profile(store, name).papers)
    for report in reports:
        added += report.added
        already += report.already
    if as_json:
        _emit_json({"added": added, "already": already, "papers": total})
        return
    out.print(f"added {added} papers to {name} ({already} were already there); {total} in all")


@profile.command("drop")
@click.argument("name")
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
@handle_errors
def profile_drop(ctx: click.Context, name: str, ids: tuple[str, ...]) -> None:
    """Remove papers (by id) from profile NAME's own papers; they stay in the store."""
    from paperradar.radar.profiles import remove_papers

    with _store(ctx) as store:
        removed = remove_papers(store, name, list(ids))
    out.print(f"removed {removed} papers from {name}")


@profile.command("rm")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
@click.pass_context
@handle_errors
def profile_rm(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete profile NAME with its rules, feedback and digests (papers stay in the store)."""
    from paperradar.radar.profiles import load_profile, remove_profile

    with _store(ctx) as store:
        load_profile(store, name)
        if not yes and not click.confirm(f"delete profile {name}?", err=True, default=False):
            raise UsageError("not deleted")
        remove_profile(store, name)
    out.print(f"deleted profile {name}")


# --------------------------------------------------------------------------- feedback


def _feedback_command(action: str, help_text: str) -> None:
    @commands.command(action, help=help_text)
    @click.argument("ids", nargs=-1, required=True)
    @click.option("--profile", "-p", "name", help=PROFILE_HELP)
    @click.pass_context
    @handle_errors
    def command(ctx: click.Context, ids: tuple[str, ...], name: str | None) -> None:
        from paperradar.radar.profiles import record_feedback

        with _store(ctx) as store:
            name = _profile(store, name)
            rows = record_feedback(store, name, list(ids), action)
        out.print(f"{action}: {len(rows)} paper{'s' if len(rows) != 1 else ''} ({name})")


_feedback_command("like", "Like papers (by id): more like them in later digests.")
_feedback_command("dislike", "Dislike papers (by id): fewer like them in later digests.")
_feedback_command("save", "Save papers (by id) to read later.")
_feedback_command("unsave", "Take papers (by id) off the saved list.")
_feedback_command("clear", "Forget a like or dislike of papers (by id).")


# --------------------------------------------------------------------------- rules


_RULE_HELP = {
    "follow": "Follow authors or keywords: their papers are boosted and always shown.",
    "unfollow": "Stop following authors or keywords.",
    "mute": "Mute keywords or categories: their papers are never shown.",
    "unmute": "Stop muting keywords or categories.",
}


def _rule_command(verb: str, kinds: dict[str, str], remove: bool) -> None:
    options = dict(kinds)

    @commands.command(verb, help=_RULE_HELP[verb])
    @click.option("--author", multiple=True, help="An author name (repeatable).")
    @click.option("--keyword", multiple=True, help="A keyword or phrase (repeatable).")
    @click.option("--category", multiple=True, help="An arXiv category or archive (repeatable).")
    @click.option("--profile", "-p", "name", help=PROFILE_HELP)
    @click.pass_context
    @handle_errors
    def command(
        ctx: click.Context,
        author: tuple[str, ...],
        keyword: tuple[str, ...],
        category: tuple[str, ...],
        name: str | None,
    ) -> None:
        from paperradar.radar.profiles import add_rule, remove_rule

        given = {"author": author, "keyword": keyword, "category": category}
        wrong = [k for k, v in given.items() if v and k not in options]
        if wrong:
            raise UsageError(f"{verb} takes {' or '.join('--' + k for k in options)}")
        if not any(given.values()):
            raise UsageError(f"{verb}: give {' or '.join('--' + k for k in options)}")
        changed = 0
        with _store(ctx) as store, store.transaction():  # all the rules or none
            name = _profile(store, name)
            for option, kind in options.items():
                for value in given[option]:
                    action = remove_rule if remove else add_rule
                    changed += action(store, name, kind, value)
        out.print(f"{verb}: {changed} rule{'s' if changed != 1 else ''} changed ({name})")


_FOLLOW = {"author": "follow-author", "keyword": "follow-keyword"}
_MUTE = {"keyword": "mute-keyword", "category": "mute-category"}
_rule_command("follow", _FOLLOW, remove=False)
_rule_command("unfollow", _FOLLOW, remove=True)
_rule_command("mute", _MUTE, remove=False)
_rule_command("unmute", _MUTE, remove=True)


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
    from paperradar.embedding import default_embedder
    from paperradar.store import Store

    home = resolve_home(ctx.obj["home"])
    settings = None
    sent = True
    if email:  # bad settings or address fail before a digest is recorded
        from paperradar.digest import mail

        mail.check_address(email)
        settings = mail.smtp_settings(home)
    with Store.open(home) as store:
        start, end = _window(store, since, day, until)
        name = _profile(store, name)
        result = make_digest(
            store,
            name,
            default_embedder(),
            DigestOptions(start=start, end=end, top=top, record=not no_record),
        )
        newest = _newest_listing(store) if not result.entries else None
        if email and settings is not None:
            sent = _send(store, result, email, settings)
    if as_json or fmt == "json":
        _emit_json(_digest_json(result))
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
                "date": _date_of(entry.paper),
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
    from paperradar.store import Store

    home = resolve_home(ctx.obj["home"])
    with Store.open(home) as store:
        if not store.delivery.waiting_count():
            out.print("nothing to send")
            return
        report = mail.deliver_pending(store, mail.smtp_settings(home))
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
    from paperradar.radar.trending import trending as find_trending
    from paperradar.search import parse_since

    start = parse_since(since)
    end = parse_since(until, option="--until") if until else None
    with _store(ctx) as store:
        trends = find_trending(store, start, end, limit=limit, category=category)
        newest = _newest_sighting(store) if not trends else None
    if as_json:
        _emit_json(
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
        hint = f"; the newest sighting is {newest} (try --since {newest})" if newest else ""
        out.print(f"nothing trending since {start.isoformat()}{hint}")
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
            _escape(t.paper.id or ""),
            _escape(t.paper.title),
            _escape("; ".join(t.reasons)),
            f"{t.score:.2f}",
        )
    out.print(table)


def _newest_sighting(store: Store) -> str | None:
    day = store.papers.newest_sighting()
    return day.isoformat() if day else None


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

    from paperradar.embedding import default_embedder
    from paperradar.radar.affinity import compute_affinity, write_scores

    embedder = default_embedder()
    with _store(ctx) as store:
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
        _emit_json(summary)
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
