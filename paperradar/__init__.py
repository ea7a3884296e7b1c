"""paperradar: a self-hosted research-paper radar.

The public API: open a :class:`Store`, :func:`ingest_files` into it, search it with
:func:`keyword_search`, and read papers back as :class:`Paper`.
"""

from paperradar.codec import paper_from_dict, paper_to_dict
from paperradar.config import Config, load_config, resolve_home
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
from paperradar.models import IngestReport, Paper, Sighting
from paperradar.search import Filters, Hit, keyword_search, parse_since
from paperradar.stats import store_stats
from paperradar.store import Store

__version__ = "0.1.0"

__all__ = [
    "Config",
    "ConfigError",
    "Filters",
    "FormatError",
    "Hit",
    "IngestReport",
    "InputError",
    "Paper",
    "PaperRadarError",
    "Sighting",
    "SourceError",
    "Store",
    "StoreError",
    "UsageError",
    "__version__",
    "ingest_files",
    "keyword_search",
    "load_config",
    "paper_from_dict",
    "paper_to_dict",
    "parse_since",
    "resolve_home",
    "store_stats",
]
