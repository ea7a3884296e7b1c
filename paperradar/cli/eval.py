"""The ``eval`` commands: paperradar on public benchmarks (csfcube, citeulike, authors, tune).

Added to the ``paperradar`` group by paperradar.cli; as thin as the rest of the CLI: each
command calls its dataset module's ``run`` (paperradar.eval.*) and prints the report with
paperradar.eval.table. Vectors are cached in the home's store, so a re-run embeds nothing.
``eval tune`` chooses the ranking's defaults on part of every benchmark given and reports them
on the rest (paperradar.eval.tuning.run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from paperradar.cli.common import (
    CommandSet,
    StageProgress,
    emit_json,
    handle_errors,
    home_embedder,
    home_store,
    stage_progress,
)
from paperradar.errors import UsageError

if TYPE_CHECKING:
    from paperradar.eval import EvalReport

F = TypeVar("F", bound=Callable[..., Any])
#: paperradar.eval.replay.LIKE_TOP, for --like-top's help only (importing the eval modules
#: would slow every command's start-up; a test keeps the two equal)
LIKE_TOP = 20


def common_options(func: F) -> F:
    """--method, --json, --quiet and --home, shared by every eval command."""
    options = [
        click.option(
            "--method",
            "methods",
            multiple=True,
            help="A method to evaluate (repeat, or separate with commas); default: all.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the report as JSON."),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
        click.option(
            "--home",
            type=click.Path(file_okay=False, path_type=Path),
            help="Cache vectors in this paperradar home (default: the global --home).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _methods(values: tuple[str, ...]) -> list[str] | None:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None


def _per_user(progress: StageProgress | None, stage: str) -> Callable[[int, int], None] | None:
    """A ``progress(done, total)`` callback drawing on the bar as ``stage``."""
    if progress is None:
        return None

    def update(done: int, total: int) -> None:
        progress(stage, done, total)

    return update


def _print(report: EvalReport, as_json: bool) -> None:
    from paperradar.eval.table import format_report, report_to_json

    if as_json:
        emit_json(report_to_json(report))
    else:
        click.echo(format_report(report), nl=False)


def _data_option(help_text: str) -> Callable[[F], F]:
    return click.option("--data", required=True, type=click.Path(path_type=Path), help=help_text)


commands = CommandSet()


@commands.group("eval")
def eval_group() -> None:
    """Evaluate paperradar on public benchmarks (datasets you downloaded)."""


@eval_group.command("csfcube")
@_data_option("The CSFCube release folder (github.com/iesl/CSFCube).")
@common_options
@click.pass_context
@handle_errors
def eval_csfcube(
    ctx: click.Context,
    data: Path,
    methods: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    home: Path | None,
) -> None:
    """CSFCube faceted query-by-example: NDCG%20 and more on its two-fold test protocol,
    beside the published SPECTER figures. Methods: paperradar, bm25, hybrid (each also
    -facet: the query's facet sentences only) and specter (the dataset's rankings)."""
    from paperradar.eval import csfcube

    with home_store(ctx, home) as store, stage_progress(quiet or as_json) as progress:
        report = csfcube.run(
            data,
            embedder=home_embedder(ctx, home),
            methods=_methods(methods),
            store=store,
            progress=progress,
        )
    _print(report, as_json)


@eval_group.command("citeulike")
@_data_option("The CiteULike folder (citeulike-a or citeulike-t).")
@click.option(
    "--split",
    type=click.Choice(["sparse", "dense"]),
    default="sparse",
    show_default=True,
    help="Which of the dataset's settings to evaluate.",
)
@click.option("--users", default=500, show_default=True, help="Users sampled.")
@click.option("--seed", default=0, show_default=True, help="Sampling seed.")
@common_options
@click.pass_context
@handle_errors
def eval_citeulike(
    ctx: click.Context,
    data: Path,
    split: str,
    users: int,
    seed: int,
    methods: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    home: Path | None,
) -> None:
    """CiteULike libraries: recall@M of held-out papers for sampled users."""
    from paperradar.eval import citeulike

    with home_store(ctx, home) as store, stage_progress(quiet or as_json) as progress:
        report = citeulike.run(
            data,
            embedder=home_embedder(ctx, home),
            methods=_methods(methods),
            split=split,
            users=users,
            seed=seed,
            store=store,
            progress=_per_user(progress, "users"),
        )
    _print(report, as_json)


@eval_group.command("authors")
@_data_option("The authors dataset file.")
@click.option(
    "--cutoff",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Papers before this date are the profile, after it the ones to find (YYYY-MM-DD).",
)
@click.option(
    "--min-papers", default=4, show_default=True, help="Authors with fewer papers are skipped."
)
@click.option("--users", default=300, show_default=True, help="Authors sampled.")
@click.option("--seed", default=0, show_default=True, help="Sampling seed.")
@click.option(
    "--method-users",
    "method_users",
    multiple=True,
    metavar="NAME=N",
    help="Run method NAME on the first N users drawn only, for slow methods such as "
    "arxiv-sanity (repeat, or separate with commas).",
)
@click.option("--no-likes", is_flag=True, help="Skip the simulated-likes split.")
@click.option(
    "--like-top",
    type=int,
    metavar="N",
    help=f"Simulated likes: the targets in a day's top N are liked.  [default: {LIKE_TOP}]",
)
@common_options
@click.pass_context
@handle_errors
def eval_authors(
    ctx: click.Context,
    data: Path,
    cutoff: dt.datetime | None,
    min_papers: int,
    users: int,
    seed: int,
    method_users: tuple[str, ...],
    no_likes: bool,
    like_top: int | None,
    methods: tuple[str, ...],
    as_json: bool,
    quiet: bool,
    home: Path | None,
) -> None:
    """Authors as users: rank their later papers from their earlier ones."""
    from paperradar.eval import authors
    from paperradar.eval.replay import LIKE_TOP as DEFAULT_LIKE_TOP

    caps = _method_users(method_users)
    with home_store(ctx, home) as store, stage_progress(quiet or as_json) as progress:
        report = authors.run(
            data,
            embedder=home_embedder(ctx, home),
            methods=_methods(methods),
            cutoff=cutoff.date() if cutoff else None,
            min_papers=min_papers,
            users=users,
            seed=seed,
            store=store,
            likes=not no_likes,
            like_top=DEFAULT_LIKE_TOP if like_top is None else like_top,
            method_users=caps,
            progress=progress,
        )
    _print(report, as_json)


def _method_users(values: tuple[str, ...]) -> dict[str, int]:
    """``--method-users NAME=N`` values (repeated or comma-separated) as {NAME: N}."""
    from paperradar.eval.authors import check_methods

    caps: dict[str, int] = {}
    for item in (part.strip() for value in values for part in value.split(",")):
        if not item:
            continue
        name, sep, count = (s.strip() for s in item.partition("="))
        if not sep or not name:
            raise UsageError(f"--method-users {item!r}: expected NAME=N, e.g. arxiv-sanity=80")
        try:
            check_methods([name])
        except UsageError as exc:
            raise UsageError(f"--method-users {item!r}: {exc}") from exc
        if not (count.isascii() and count.isdigit()) or int(count) < 1:
            raise UsageError(f"--method-users {item!r}: N must be a whole number >= 1")
        if name in caps:
            raise UsageError(f"--method-users {item!r}: {name} is capped twice")
        caps[name] = int(count)
    return caps


@eval_group.command("tune")
@click.option(
    "--csfcube",
    type=click.Path(path_type=Path),
    help="The CSFCube release folder.",
)
@click.option(
    "--citeulike",
    type=click.Path(path_type=Path),
    help="The CiteULike-a folder (its dense split is used).",
)
@click.option(
    "--authors",
    type=click.Path(path_type=Path),
    help="The arxiv-cs-daily JSON Lines file (author replay).",
)
@click.option("--citeulike-users", default=500, show_default=True, help="CiteULike users drawn.")
@click.option("--authors-users", default=300, show_default=True, help="Authors drawn.")
@click.option(
    "--cutoff",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The author replay's cut-off day (default: 70% of its listing days).",
)
@click.option("--seed", default=0, show_default=True, help="The draws' seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Cache vectors in this paperradar home (default: the global --home).",
)
@click.pass_context
@handle_errors
def eval_tune(
    ctx: click.Context,
    csfcube: Path | None,
    citeulike: Path | None,
    authors: Path | None,
    citeulike_users: int,
    authors_users: int,
    cutoff: dt.datetime | None,
    seed: int,
    as_json: bool,
    quiet: bool,
    home: Path | None,
) -> None:
    """Choose the ranking's defaults on TUNE units of every benchmark given (two at least),
    and report them on the held-out REPORT units (docs/evaluation.md, "Tuning")."""
    from paperradar.eval.tuning import sets as tuning_sets
    from paperradar.eval.tuning.run import format_tuning, run, tuning_to_json

    given = [d for d in (csfcube, citeulike, authors) if d is not None]
    if len(given) < 2:
        raise UsageError(
            "give at least two of --csfcube, --citeulike and --authors: no default is tuned "
            "on a single benchmark"
        )
    embedder = home_embedder(ctx, home)
    benchmarks = []
    with home_store(ctx, home) as store, stage_progress(quiet or as_json) as progress:
        if csfcube is not None:
            benchmarks.append(tuning_sets.csfcube_benchmark(csfcube, embedder, store))
        if citeulike is not None:
            benchmarks.append(
                tuning_sets.citeulike_benchmark(
                    citeulike, embedder, store, users=citeulike_users, seed=seed
                )
            )
        if authors is not None:
            benchmarks.append(
                tuning_sets.authors_benchmark(
                    authors,
                    embedder,
                    store,
                    users=authors_users,
                    seed=seed,
                    cutoff=cutoff.date() if cutoff else None,
                )
            )
        report = run(benchmarks, progress=progress)
    if as_json:
        emit_json(tuning_to_json(report))
    else:
        click.echo(format_tuning(report), nl=False)
