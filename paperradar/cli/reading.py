"""The reading-list commands: ``saved`` (the reading list), ``export`` (saved, liked, a
digest or a search as BibTeX, RIS or CSL-JSON) and ``cite`` (one paper's citation).

Added to the ``paperradar`` group by paperradar.cli; as thin as the rest of the CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from paperradar.cli.common import (
    PROFILE_HELP,
    CommandSet,
    date_of,
    emit_json,
    err,
    escape,
    filter_options,
    filters_from,
    handle_errors,
    home_embedder,
    home_reranker,
    home_store,
    out,
    resolve_profile,
)
from paperradar.codec import paper_to_dict
from paperradar.errors import PaperRadarError, UsageError

commands = CommandSet()

#: paperradar.exports.FORMATS and paperradar.search.semantic.MODES, for the choices of
#: --format and --mode (importing them would slow every command's start-up; a test keeps
#: them equal)
EXPORT_FORMATS = ("bibtex", "ris", "csl-json")
MODES = ("keyword", "semantic", "hybrid")
CITE_FORMATS = ("text", *EXPORT_FORMATS)


@commands.command()
@click.option("--profile", "-p", "name", help=PROFILE_HELP)
@click.option("--liked", is_flag=True, help="The liked papers instead of the saved ones.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
@handle_errors
def saved(ctx: click.Context, name: str | None, liked: bool, as_json: bool) -> None:
    """The reading list: the profile's saved papers, the most recently saved first."""
    from paperradar.exports import kept_papers
    from paperradar.radar.profiles import load_profile

    which = "liked" if liked else "saved"
    with home_store(ctx) as store:
        name = resolve_profile(store, name)
        kept = kept_papers(store, load_profile(store, name), which)
    if as_json:
        emit_json([{which: k.at.isoformat(), **paper_to_dict(k.paper)} for k in kept])
        return
    if not kept:
        verb = "like" if liked else "save"
        out.print(f"{name} has no {which} papers: `paperradar {verb} ID` adds one")
        return
    table = Table(title=f"{which} · {escape(name)} · {len(kept)}")
    for column in (which, "id", "title", "date", "authors"):
        table.add_column(column, no_wrap=column in (which, "id", "date"))
    for k in kept:
        authors = ", ".join(k.paper.authors[:2]) + (" et al." if len(k.paper.authors) > 2 else "")
        table.add_row(
            f"{k.at:%Y-%m-%d %H:%M}",
            escape(k.paper.id or ""),
            escape(k.paper.title or k.paper.abstract[:80]),
            date_of(k.paper),
            escape(authors),
        )
    out.print(table)


@commands.command()
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="The file format."
)
@click.option("--saved", "from_saved", is_flag=True, help="The profile's saved papers.")
@click.option("--liked", "from_liked", is_flag=True, help="The profile's liked papers.")
@click.option("--digest", "digest_id", type=int, help="The papers of a recorded digest (its id).")
@click.option("--search", "query", help="The results of a search for QUERY.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="hybrid",
    show_default=True,
    help="With --search: keyword, semantic or hybrid.",
)
@click.option("--limit", "-n", default=20, show_default=True, help="With --search: results.")
@filter_options
@click.option("--profile", "-p", "name", help=PROFILE_HELP)
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write to FILE.")
@click.pass_context
@handle_errors
def export(
    ctx: click.Context,
    fmt: str,
    from_saved: bool,
    from_liked: bool,
    digest_id: int | None,
    query: str | None,
    mode: str,
    limit: int,
    since: str | None,
    until: str | None,
    category: str | None,
    source: str | None,
    name: str | None,
    out_path: Path | None,
) -> None:
    """Export papers to BibTeX, RIS or CSL-JSON (stdout, or --out FILE): the saved or liked
    papers of a profile, a recorded digest, or a search's results."""
    from paperradar.exports import digest_papers, export, kept_papers
    from paperradar.models import Paper
    from paperradar.radar.profiles import load_profile
    from paperradar.search.semantic import has_vectors, search

    chosen = [from_saved, from_liked, digest_id is not None, query is not None]
    if sum(chosen) != 1:
        raise UsageError("export what? give one of --saved, --liked, --digest ID, --search QUERY")
    filters = filters_from(since, until, category, source)
    embedder = home_embedder(ctx) if query is not None and mode != "keyword" else None
    papers: list[Paper]
    with home_store(ctx) as store:
        if from_saved or from_liked:
            which = "saved" if from_saved else "liked"
            name = resolve_profile(store, name)
            kept = kept_papers(store, load_profile(store, name), which)
            papers, what = [k.paper for k in kept], f"{which} papers of {name}"
        elif digest_id is not None:
            papers, what = digest_papers(store, digest_id), f"papers of digest {digest_id}"
        else:
            assert query is not None
            if mode == "hybrid" and embedder and not has_vectors(store, embedder.model_id):
                mode = "keyword"  # as `search` does
                err.print(
                    "note: no embeddings yet, so keyword results only (run `paperradar embed`)"
                )
            hits = search(store, query, mode, embedder, limit, filters, home_reranker(ctx))
            papers, what = [h.paper for h in hits], f"results for {query!r}"
    text = export(papers, fmt)
    if not papers:
        err.print(f"note: no {what} to export", markup=False)
    if out_path is None:
        sys.stdout.write(text)
        return
    try:
        out_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PaperRadarError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    plural = "s" if len(papers) != 1 else ""
    err.print(f"wrote {len(papers)} paper{plural} ({what}) to {out_path}", markup=False)


@commands.command()
@click.argument("paper_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(CITE_FORMATS),
    default="text",
    show_default=True,
    help="A reference line (text) or one entry of a citation format.",
)
@click.pass_context
@handle_errors
def cite(ctx: click.Context, paper_id: str, fmt: str) -> None:
    """Cite one paper (by any of its ids): a reference line, or its entry in a citation format."""
    from paperradar.exports import cite as citation_of
    from paperradar.exports import export

    with home_store(ctx) as store:
        paper = store.papers.get(paper_id)
    if fmt == "text":
        sys.stdout.write(citation_of(paper).text + "\n")
        return
    sys.stdout.write(export([paper], fmt))
