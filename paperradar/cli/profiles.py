"""The profile commands: ``profile`` (create, list, show, add, drop, rm), feedback (like,
dislike, save, unsave, clear), and rules (follow, unfollow, mute, unmute).

Added to the ``paperradar`` group by paperradar.cli; as thin as the rest of the CLI.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
from rich.table import Table

from paperradar.cli.common import (
    PROFILE_HELP,
    CommandSet,
    emit_json,
    escape,
    handle_errors,
    home_config,
    home_store,
    out,
    resolve_profile,
)
from paperradar.codec import paper_to_dict
from paperradar.errors import PaperRadarError, UsageError
from paperradar.readers import FORMAT_NAMES

commands = CommandSet()


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

    with home_store(ctx) as store:
        create_profile(store, name)
    out.print(f"created profile {name}; add papers with `paperradar profile add {name} FILE`")


@profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
@handle_errors
def profile_list(ctx: click.Context, as_json: bool) -> None:
    """List the profiles with their number of papers, rules and feedback actions."""
    from paperradar.radar.profiles import load_profile, profile_names

    with home_store(ctx) as store:
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
        emit_json(rows)
        return
    if not rows:
        out.print("no profiles yet: `paperradar profile create NAME`")
        return
    table = Table()
    for column in ("name", "papers", "liked", "disliked", "saved", "rules", "created"):
        table.add_column(column, justify="right" if column not in ("name", "created") else "left")
    for row in rows:
        table.add_row(*(escape(str(row[c])) for c in row))
    out.print(table)


@profile.command("show")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
@handle_errors
def profile_show(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Show a profile: its papers, follow and mute rules, and feedback history."""
    from paperradar.radar.profiles import load_profile

    with home_store(ctx) as store:
        prof = load_profile(store, resolve_profile(store, name))
        papers = store.papers.load(prof.papers)
        touched = sorted({f.paper_id for f in prof.feedback})
        titles = {i: p for i, p in zip(touched, store.papers.load(touched), strict=False)}
        by_row = store.papers.pids(touched)
    if as_json:
        emit_json(
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
    out.print(f"[bold]{escape(prof.name)}[/bold] (created {prof.created:%Y-%m-%d})")
    out.print(f"{len(papers)} own papers:")
    for p in papers:
        label = p.title or (p.abstract[:90] + "…" if len(p.abstract) > 90 else p.abstract)
        out.print(f"  {escape(p.id or '')}  {escape(label)}")
    if prof.rules:
        out.print("rules:")
        for rule in prof.rules:
            out.print(f"  {rule.kind}: {escape(rule.value)}")
    if prof.feedback:
        out.print("feedback:")
        for f in prof.feedback:
            paper = titles.get(f.paper_id)
            title = paper.title if paper else ""
            out.print(
                f"  {f.at:%Y-%m-%d %H:%M}  {f.action:<8} {escape(by_row.get(f.paper_id, '?'))}"
                f"  {escape(title[:70])}"
            )


@profile.command("add")
@click.argument("name")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--id",
    "ids",
    multiple=True,
    help="A paper's arXiv id, DOI, s2: or hf: id (repeatable); fetched if the store lacks it.",
)
@click.option("--offline", is_flag=True, help="Fetch nothing: --id takes stored papers only.")
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
    offline: bool,
    author: str | None,
    fmt: str | None,
    as_json: bool,
) -> None:
    """Add own papers to profile NAME: from FILES (any readable format; ingested into the
    store first), by id (--id; the store's papers, else fetched from arXiv, OpenAlex or
    Semantic Scholar), or by author name (--author)."""
    from paperradar.radar.profiles import add_author, add_files, add_ids, load_profile
    from paperradar.sources.lookup import (
        LookupResult,
        LookupSettings,
        fetch_missing,
        lookup_settings,
    )

    if not (files or ids or author):
        raise UsageError("give FILES, --id ID or --author NAME")
    added = already = 0
    looked = LookupResult()
    with home_store(ctx) as store:
        load_profile(store, name)  # an unknown profile fails before anything is fetched
        if ids:

            def settings() -> LookupSettings:
                return lookup_settings(home_config(ctx), interactive=True)

            looked = fetch_missing(store, ids, None if offline else settings)
        with store.transaction():  # files, the ids found and author: all or nothing
            reports = []
            if files:
                reports.append(add_files(store, name, list(files), fmt=fmt))
            found = list(store.papers.pids(looked.row_ids()).values())
            if found:
                reports.append(add_ids(store, name, found))
            if author:
                reports.append(add_author(store, name, author))
            total = len(load_profile(store, name).papers)
    for report in reports:
        added += report.added
        already += report.already
    if as_json:
        outcomes = [{"id": o.ref, "status": o.status, "detail": o.detail} for o in looked.outcomes]
        emit_json({"added": added, "already": already, "papers": total, "ids": outcomes})
    else:
        for outcome in looked.outcomes:
            out.print(f"  {outcome.line()}", markup=False, emoji=False, soft_wrap=True)
        out.print(f"added {added} papers to {name} ({already} were already there); {total} in all")
    if looked.missing:
        found_n = len(looked.found)
        kept = f"the other {found_n} are in {name}" if found_n else "none of the ids was added"
        text = f"{looked.missing_message(details=False)}; {kept}"
        raise (PaperRadarError(text) if looked.unreachable else UsageError(text))


@profile.command("drop")
@click.argument("name")
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
@handle_errors
def profile_drop(ctx: click.Context, name: str, ids: tuple[str, ...]) -> None:
    """Remove papers (by id) from profile NAME's own papers; they stay in the store."""
    from paperradar.radar.profiles import remove_papers

    with home_store(ctx) as store:
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

    with home_store(ctx) as store:
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

        with home_store(ctx) as store:
            name = resolve_profile(store, name)
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
        with home_store(ctx) as store, store.transaction():  # all the rules or none
            name = resolve_profile(store, name)
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
