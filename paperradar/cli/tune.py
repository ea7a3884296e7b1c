"""``paperradar eval tune``: the ranking's defaults chosen on part of every benchmark given
and reported on the rest (paperradar.eval.tuning.run). Registered on the ``eval`` group."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from paperradar.cli import _emit_json, handle_errors
from paperradar.cli.eval import _home_store, _progress, eval_group
from paperradar.embedding import default_embedder
from paperradar.errors import UsageError


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
    embedder = default_embedder()
    benchmarks = []
    with _home_store(ctx, home) as store, _progress(quiet or as_json) as progress:
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
        _emit_json(tuning_to_json(report))
    else:
        click.echo(format_tuning(report), nl=False)
