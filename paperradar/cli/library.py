"""The library commands: ingest, search, similar, embed, show and stats."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from paperradar.cli.common import (
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
    progress_lines,
)
from paperradar.codec import paper_to_dict
from paperradar.readers import FORMAT_NAMES

if TYPE_CHECKING:
    from paperradar.embedding import Embedder
    from paperradar.embedding.backfill import EmbedReport
    from paperradar.models import IngestReport, Paper
    from paperradar.readers import OpenedFile
    from paperradar.search import Hit
    from paperradar.store.api import Store

#: paperradar.search.semantic.MODES, for --mode's choices (importing it would slow every
#: command's start-up; a test keeps the two equal)
MODES = ("keyword", "semantic", "hybrid")

commands = CommandSet()


@commands.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    help="Read every file in this format instead of detecting it.",
)
@click.option("--skip-bad", is_flag=True, help="Store the good records; list the bad ones.")
@click.option(
    "--embed", "then_embed", is_flag=True, help="Then embed every paper without a vector."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def ingest(
    ctx: click.Context,
    files: tuple[Path, ...],
    fmt: str | None,
    skip_bad: bool,
    then_embed: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Read paper files (format auto-detected) into the store, merging duplicates.

    All files are stored in one transaction: a bad record stops the ingest with
    FILE:LINE and leaves the store unchanged, unless --skip-bad.
    """
    # the library is imported before the clock starts: the summary's time and records/s
    # measure reading and storing, as they did when the CLI imported everything up front
    import paperradar.ingest  # noqa: F401
    from paperradar.readers import all_readers
    from paperradar.store import open_store  # noqa: F401

    all_readers()
    started = time.perf_counter()
    with home_store(ctx) as store:
        report = _ingest_with_progress(store, list(files), fmt, skip_bad, quiet or as_json)
        elapsed = time.perf_counter() - started
        embedded = (
            _embed_with_progress(store, home_embedder(ctx), quiet or as_json)
            if then_embed
            else None
        )
    if as_json:
        extra = {"embedded": embedded.embedded} if embedded else {}
        emit_json({**dataclasses.asdict(report), "seconds": round(elapsed, 3), **extra})
        return
    for line in report.bad:
        err.print(f"skipped: {line}", markup=False)
    rate = report.read / elapsed if elapsed > 0 else 0.0
    out.print(
        f"read {report.read:,} · new {report.new:,} · merged {report.merged:,} · "
        f"skipped {report.skipped:,} in {elapsed:.1f} s ({rate:,.0f} records/s)"
    )
    if embedded:
        out.print(f"embedded {embedded.embedded:,} texts; {embedded.pending:,} still to do")


def _ingest_with_progress(
    store: Store, files: list[Path], fmt: str | None, skip_bad: bool, quiet: bool
) -> IngestReport:
    from paperradar.ingest import ingest_files

    if quiet or not err.is_terminal:
        return ingest_files(store, files, fmt=fmt, skip_bad=skip_bad)
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    sizes = {path: path.stat().st_size for path in files if path.is_file()}
    done_before: dict[Path, int] = {}
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=sum(sizes.values()) or None, records="0")

        def progress(opened: OpenedFile, report: IngestReport) -> None:
            done_before.setdefault(opened.path, sum(done_before.values()))
            position = done_before[opened.path] + opened.position()
            bar.update(task, completed=position, records=f"{report.read:,}")

        return ingest_files(store, files, fmt=fmt, skip_bad=skip_bad, progress=progress)


def _authors_short(paper: Paper) -> str:
    if paper.authors:
        first = paper.authors[0]
        return first if len(paper.authors) == 1 else f"{first} et al."
    return f"{paper.author_count} authors" if paper.author_count else ""


def _print_hits(hits: list[Hit], as_json: bool, score: str = "score") -> None:
    if as_json:
        emit_json([{**paper_to_dict(h.paper), score: round(h.score, 4)} for h in hits])
        return
    if not hits:
        out.print("no papers match")
        return
    table = Table(show_lines=False, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("title", ratio=3, overflow="fold")
    table.add_column("authors", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column(score, justify="right", no_wrap=True)
    for rank, hit in enumerate(hits, start=1):
        p = hit.paper
        table.add_row(
            str(rank),
            p.id or "",
            date_of(p),
            escape(p.title or p.abstract[:80] + "…"),
            escape(_authors_short(p)),
            f"{hit.score:.3f}" if hit.score < 1.5 else f"{hit.score:.2f}",
        )
    out.print(table)


@commands.command()
@click.argument("query")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="hybrid",
    show_default=True,
    help="keyword (bm25), semantic (embeddings) or hybrid (both, rank-fused).",
)
@click.option("--limit", "-n", default=20, show_default=True, help="Number of results.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.pass_context
@handle_errors
def search(
    ctx: click.Context,
    query: str,
    mode: str,
    limit: int,
    since: str | None,
    until: str | None,
    category: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Search papers by keyword, meaning, or both (the default).

    Hybrid and semantic search need embeddings (`paperradar embed`); until there are any,
    hybrid search gives keyword results and says so.
    """
    from paperradar.search.semantic import has_vectors
    from paperradar.search.semantic import search as semantic_search_mode

    filters = filters_from(since, until, category, source)
    embedder = home_embedder(ctx) if mode != "keyword" else None
    reranker = home_reranker(ctx)
    with home_store(ctx) as store:
        keyword_only = embedder is not None and not has_vectors(store, embedder.model_id)
        keyword_only = keyword_only and mode == "hybrid"
        hits = semantic_search_mode(
            store, query, "keyword" if keyword_only else mode, embedder, limit, filters, reranker
        )
    if keyword_only and not as_json:
        err.print("note: no embeddings yet, so keyword results only (run `paperradar embed`)")
    _print_hits(hits, as_json)


@commands.command()
@click.argument("paper_id", required=False)
@click.option("--text", help="Find papers similar to this text.")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path),
    help="Find papers similar to the papers in this file (any readable format).",
)
@click.option("--limit", "-n", default=10, show_default=True, help="Number of results.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.pass_context
@handle_errors
def similar(
    ctx: click.Context,
    paper_id: str | None,
    text: str | None,
    file: Path | None,
    limit: int,
    since: str | None,
    until: str | None,
    category: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Papers most similar to a paper (by id), a text, or the papers of a file.

    Never returns the paper itself or its duplicates. Scores are cosine similarities.
    """
    from paperradar.search.semantic import papers_from_file
    from paperradar.search.semantic import similar as find_similar

    filters = filters_from(since, until, category, source)
    embedder = home_embedder(ctx)
    papers = papers_from_file(file) if file else []
    with home_store(ctx) as store:
        hits = find_similar(
            store,
            embedder,
            paper_id=paper_id,
            text=text,
            papers=papers,
            limit=limit,
            filters=filters,
        )
    _print_hits(hits, as_json, score="cosine")


@commands.command()
@click.option("--limit", type=click.IntRange(min=1), help="Embed at most this many texts now.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
@handle_errors
def embed(ctx: click.Context, limit: int | None, quiet: bool, as_json: bool) -> None:
    """Embed the papers that have no vector yet (resumable: Ctrl-C keeps what is done)."""
    with home_store(ctx) as store:
        report = _embed_with_progress(store, home_embedder(ctx), quiet or as_json, limit)
    if as_json:
        emit_json(dataclasses.asdict(report))
        return
    out.print(
        f"embedded {report.embedded:,} texts with {report.model}; {report.pending:,} still to do"
    )


def _embed_with_progress(
    store: Store, embedder: Embedder, quiet: bool, limit: int | None = None
) -> EmbedReport:
    from paperradar.embedding.backfill import embed_missing

    if quiet:
        return embed_missing(store, embedder, limit=limit)
    if not err.is_terminal:  # a log or a pipe: a plain line now and then, not a bar
        return embed_missing(store, embedder, progress=progress_lines("embed"), limit=limit)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]embed"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("embed", total=None, rate="")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            elapsed = time.perf_counter() - started
            rate = f"{done / elapsed:,.0f} texts/s" if elapsed > 0 and done else ""
            bar.update(task, completed=done, total=total, rate=rate)

        return embed_missing(store, embedder, progress=progress, limit=limit)


@commands.command()
@click.argument("paper_id")
@click.option("--json", "as_json", is_flag=True, help="Print the paper as JSON.")
@click.pass_context
@handle_errors
def show(ctx: click.Context, paper_id: str, as_json: bool) -> None:
    """Show one paper by any of its ids (arXiv id, DOI, s2:, hf:, cid:)."""
    with home_store(ctx) as store:
        paper = store.papers.get(paper_id)
    if as_json:
        emit_json(paper_to_dict(paper))
        return
    out.print(f"[bold]{escape(paper.title) or '(untitled)'}[/bold]")
    rows: list[tuple[str, str]] = [
        ("id", paper.id or ""),
        ("aliases", ", ".join(paper.aliases)),
        ("authors", ", ".join(paper.authors) or _authors_short(paper)),
        ("categories", " ".join(paper.categories)),
        ("organisation", paper.organisation or ""),
        ("submitted", _dated(paper.submitted, paper.submitted_year_inferred)),
        ("updated", _dated(paper.updated, False)),
        ("listed", _dated(paper.listed, paper.listed_year_inferred)),
        ("version", f"v{paper.arxiv_version}" if paper.arxiv_version else ""),
        ("upvotes", str(paper.upvotes) if paper.upvotes is not None else ""),
        ("comment", paper.comment or ""),
        ("journal", paper.journal_ref or ""),
        ("links", "  ".join(f"{k}: {v}" for k, v in paper.links.items())),
        ("withdrawn", "yes" if paper.withdrawn else ""),
    ]
    for label, value in rows:
        if value:
            out.print(f"[dim]{label:>12}[/dim]  {escape(value)}")
    out.print()
    abstract = paper.abstract + (" […truncated]" if paper.abstract_truncated else "")
    out.print(escape(abstract) or "(no abstract)")
    out.print()
    out.print(f"[dim]seen {len(paper.sightings)} time(s):[/dim]")
    for s in paper.sightings:
        when = _dated(s.seen_on, s.seen_on_inferred) or "undated"
        extra = "".join(
            f", {label} {value}"
            for label, value in (("rank", s.rank), ("upvotes", s.upvotes), ("as", s.kind))
            if value is not None
        )
        out.print(f"  {when}  {escape(s.source)}  {escape(s.locator)}{extra}")


def _dated(day: object, inferred: bool) -> str:
    if day is None:
        return ""
    return f"{day} (year inferred)" if inferred else str(day)


@commands.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
@handle_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Figures about the store: papers, sources, categories, dates, size."""
    from paperradar.config import resolve_home
    from paperradar.store.stats import store_stats

    with home_store(ctx) as store:
        figures = store_stats(store)
    config = resolve_home(ctx.obj["home"]) / "config.toml"
    figures = {"store": figures.pop("store"), "config": str(config), **figures}
    if as_json:
        emit_json(figures)
        return
    table = Table(show_header=False, box=None)
    state = "" if config.is_file() else " (none yet: `paperradar init` writes a starter)"
    figures["config"] = f"{config}{state}"
    for key in (
        "store",
        "config",
        "papers",
        "with_abstract",
        "truncated_abstracts",
        "with_arxiv_id",
        "without_title",
        "withdrawn",
        "aliases",
        "sightings",
        "first_date",
        "last_date",
        "last_ingest",
    ):
        value = figures[key]
        table.add_row(key.replace("_", " "), f"{value:,}" if isinstance(value, int) else str(value))
    table.add_row("size", f"{figures['size_bytes'] / 1e6:,.1f} MB")
    out.print(table)
    if figures["sources"]:
        sources = Table("source", "papers", "sightings", title="sources")
        for row in figures["sources"]:
            sources.add_row(escape(row["source"]), f"{row['papers']:,}", f"{row['sightings']:,}")
        out.print(sources)
    if figures["top_categories"]:
        cats = Table("category", "papers", title="top primary categories")
        for row in figures["top_categories"]:
            cats.add_row(row["category"], f"{row['papers']:,}")
        out.print(cats)
