"""The ``paperradar`` command: thin shells over the library.

Every command turns a PaperRadarError into ``error: <message>`` on stderr and exit code 1
(2 for bad input or usage); results go to stdout, as a table or, with ``--json``, as JSON.

This module defines the ``paperradar`` group and adds the commands of its modules to it:
library (ingest, search, similar, embed, show, stats), profiles (profile, feedback, rules),
reading (saved, export, cite), digests (digest, deliver, trending, affinity), sources (sync,
watch, profile add-author), web (serve, user), eval and store (store copy). They share
paperradar.cli.common and import nothing from here.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from paperradar import __version__
from paperradar.cli import (
    digests,
    eval,
    init,
    library,
    profiles,
    reading,
    sources,
    store,
    web,
)
from paperradar.cli.common import reset_consoles
from paperradar.config import STORE_ENV


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (default: $PAPERRADAR_HOME or the user data dir).",
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="A postgresql:// URL to use instead of the home's SQLite file "
    "(default: $PAPERRADAR_STORE, else [store] url in config.toml).",
)
@click.version_option(__version__, prog_name="paperradar")
@click.pass_context
def main(ctx: click.Context, home: Path | None, store_url: str | None) -> None:
    """paperradar: a self-hosted research-paper radar."""
    reset_consoles()
    ctx.ensure_object(dict)
    ctx.obj["home"] = home
    if store_url:  # every store this command opens, and the processes it starts, use it
        os.environ[STORE_ENV] = store_url


for _module in (init, library, profiles, reading, digests, sources, web, eval, store):
    for _command in _module.commands.commands:
        main.add_command(_command)
profiles.profile.add_command(sources.profile_add_author)

__all__ = ["main"]
