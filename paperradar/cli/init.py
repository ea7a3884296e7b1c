"""``paperradar init``: a commented starter ``config.toml`` in the home, and where it is.

Every setting the product reads is in the starter, commented out with its default (or, where
there is none, an example) and one line on what it does. A section is used by uncommenting its
``[header]`` and the keys to change; with everything commented the file means all defaults.
"""

from __future__ import annotations

from pathlib import Path

import click

from paperradar.cli.common import CommandSet, handle_errors, out
from paperradar.config import CONFIG_NAME, resolve_home
from paperradar.errors import UsageError

commands = CommandSet()

STARTER = """\
# paperradar settings: {path}
#
# Every setting is commented out and shows its default (or an example where there is none).
# To change one, uncomment its [section] line and the key. Environment variables
# PAPERRADAR_<SECTION>_<KEY> win over this file. All settings: docs/config.md.

# --- Embedding and search ----------------------------------------------------
# [embedding]
# model = "minilm"              # the embedding model: minilm (bundled) or fake (tests only)

# [search]
# rerank = "none"               # a second look at ranked lists (only none is registered)
# hnsw_threshold = 200000       # embedded papers from which searches use the HNSW graph

# --- Fetching: sync, watch, profile add --id, profile add-author --------------
# [http]
# contact = "you@example.org"   # your email address, sent in the User-Agent (no default)
# timeout = 30                  # seconds to connect and for each read or write
# attempts = 5                  # tries per request, the first included
# backoff = 2                   # base of the exponential backoff between tries, seconds
# backoff_max = 120             # the longest backoff wait, seconds
# retry_after_max = 600         # a longer Retry-After fails the request at once
# default_interval = 1          # seconds between two requests to a host without its own

# [http.intervals]
# "export.arxiv.org" = 3        # seconds between two requests to this host

# [lookup]
# arxiv_url = "http://export.arxiv.org/api/query"   # arXiv's export API (ids, authors)
# openalex_url = "https://api.openalex.org"         # OpenAlex (DOIs, ORCID iDs, authors)
# mailto = "you@example.org"    # sent to OpenAlex with each request (no default)
# openalex_api_key = ""         # OpenAlex API key (or $PAPERRADAR_OPENALEX_API_KEY)

# [s2]
# base_url = "https://api.semanticscholar.org"      # Semantic Scholar's API
# api_key = ""                  # Semantic Scholar API key (or $PAPERRADAR_S2_API_KEY)

# --- Live sources: one table per source, synced by sync and watch -------------
# [sources.arxiv-cs]
# kind = "arxiv-oai"            # new arXiv papers by OAI-PMH
# set = "cs"                    # the OAI set (an arXiv archive) to harvest

# [sources.arxiv-daily]
# kind = "arxiv-rss"            # arXiv's daily announcement feeds
# categories = ["cs.CL", "cs.LG"]   # the categories to read

# [sources.hf]
# kind = "hf-daily"             # Hugging Face's daily papers, with upvotes

# --- watch: the daily sync, digests and email --------------------------------
# [watch]
# at = "07:00"                  # local time of the daily run
# days = "mon-fri"              # daily, weekdays, weekends, or days such as mon,wed-fri
# top = 20                      # papers per digest
# profiles = []                 # profiles to build digests for (empty: every profile)
# embed = true                  # embed new papers after the sync
# catch_up_hours = 12           # how old a missed run may be and still run at start

# [watch.email]
# ada = "ada@example.org"       # profile = address its digest is emailed to

# --- Email: digest --email, deliver, watch ------------------------------------
# [email]
# host = "smtp.example.org"     # the SMTP server (required to send)
# from = "Paper Radar <radar@example.org>"   # the sender (required to send)
# port = 587                    # 587 for starttls, 465 for ssl, 25 for none
# security = "starttls"         # starttls, ssl or none
# timeout = 30                  # seconds to wait for the server
# user = "radar@example.org"    # login name; the password goes in $PAPERRADAR_SMTP_PASSWORD
"""


def starter_config(path: Path) -> str:
    """The starter file's text (naming its own ``path``)."""
    return STARTER.format(path=path)


def _config_state(path: Path) -> str:
    return "exists" if path.is_file() else "not written yet: `paperradar init` writes a starter"


@commands.command()
@click.option("--force", is_flag=True, help="Replace an existing config.toml (kept as .bak).")
@click.option("--where", is_flag=True, help="Only say where the home and config.toml are.")
@click.pass_context
@handle_errors
def init(ctx: click.Context, force: bool, where: bool) -> None:
    """Write a commented starter config.toml into the home, and say where it is."""
    home = resolve_home(ctx.obj["home"])
    path = home / CONFIG_NAME
    if where:
        out.print(f"home: {home}", markup=False, soft_wrap=True)
        out.print(f"config: {path} ({_config_state(path)})", markup=False, soft_wrap=True)
        return
    if home.exists() and not home.is_dir():
        raise UsageError(f"the home {home} is not a directory")
    backup = path.with_name(CONFIG_NAME + ".bak")
    if path.exists():
        if not force:
            raise UsageError(
                f"{path} exists: edit it, or replace it with `paperradar init --force`"
            )
        path.replace(backup)
    home.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(CONFIG_NAME + ".new")
    partial.write_text(starter_config(path), encoding="utf-8")
    partial.replace(path)  # never a half-written config.toml
    out.print(f"wrote a starter config: {path}", markup=False, soft_wrap=True)
    if force and backup.exists():
        out.print(f"the old one is kept as {backup}", markup=False, soft_wrap=True)
    out.print(
        "every setting in it is commented out (the defaults); next: "
        "`paperradar profile create NAME`, then "
        "`paperradar profile add NAME --id ARXIV_ID_OR_DOI` or a .bib/.ris file",
        markup=False,
        soft_wrap=True,
    )
