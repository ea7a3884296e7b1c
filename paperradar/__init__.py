"""paperradar: a self-hosted research-paper radar.

The public API: open a :class:`Store`, :func:`ingest_files` into it, search it with
:func:`keyword_search`, and read papers back as :class:`Paper`. The radar:
:func:`create_profile` and :func:`load_profile` a :class:`Profile`, then :func:`make_digest`
(a :class:`Digest` of :class:`Ranked` papers, each with its :class:`Why`); :func:`trending`;
reviewer affinity with :func:`compute_affinity`.
"""

from paperradar.codec import paper_from_dict, paper_to_dict
from paperradar.config import Config, load_config, resolve_home
from paperradar.digest import DigestOptions, make_digest
from paperradar.errors import (
    ConfigError,
    FormatError,
    InputError,
    PaperRadarError,
    SourceError,
    StoreError,
    UsageError,
)
from paperradar.ingest import ingest_files
from paperradar.models import Digest, IngestReport, Paper, Profile, Ranked, Sighting, Why
from paperradar.radar.affinity import compute_affinity
from paperradar.radar.profiles import create_profile, load_profile
from paperradar.radar.trending import Trend, trending
from paperradar.search import Filters, Hit, keyword_search, parse_since
from paperradar.store import Store
from paperradar.store.stats import store_stats

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Digest",
    "DigestOptions",
    "Filters",
    "FormatError",
    "Hit",
    "IngestReport",
    "InputError",
    "Paper",
    "PaperRadarError",
    "Profile",
    "Ranked",
    "Sighting",
    "SourceError",
    "Store",
    "StoreError",
    "Trend",
    "UsageError",
    "Why",
    "__version__",
    "compute_affinity",
    "create_profile",
    "ingest_files",
    "keyword_search",
    "load_config",
    "load_profile",
    "make_digest",
    "paper_from_dict",
    "paper_to_dict",
    "parse_since",
    "resolve_home",
    "store_stats",
    "trending",
]
