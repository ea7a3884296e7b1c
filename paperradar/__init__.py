"""paperradar: a self-hosted research-paper radar.

The public API: open a :class:`Store`, :func:`ingest_files` into it, search it with
:func:`keyword_search`, and read papers back as :class:`Paper`. The radar:
:func:`create_profile` and :func:`load_profile` a :class:`Profile`, then :func:`make_digest`
(a :class:`Digest` of :class:`Ranked` papers, each with its :class:`Why`); :func:`trending`;
reviewer affinity with :func:`compute_affinity`.

The names are imported on first use (``paperradar.Store`` imports the store, nothing else),
so that ``import paperradar`` and ``paperradar --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: where each public name lives (imported by __getattr__ on first use)
_MODULES = {
    "paper_from_dict": "paperradar.codec",
    "paper_to_dict": "paperradar.codec",
    "Config": "paperradar.config",
    "load_config": "paperradar.config",
    "resolve_home": "paperradar.config",
    "DigestOptions": "paperradar.digest",
    "make_digest": "paperradar.digest",
    "ConfigError": "paperradar.errors",
    "FormatError": "paperradar.errors",
    "InputError": "paperradar.errors",
    "PaperRadarError": "paperradar.errors",
    "SourceError": "paperradar.errors",
    "StoreError": "paperradar.errors",
    "UsageError": "paperradar.errors",
    "ingest_files": "paperradar.ingest",
    "Digest": "paperradar.models",
    "IngestReport": "paperradar.models",
    "Paper": "paperradar.models",
    "Profile": "paperradar.models",
    "Ranked": "paperradar.models",
    "Sighting": "paperradar.models",
    "Why": "paperradar.models",
    "compute_affinity": "paperradar.radar.affinity",
    "create_profile": "paperradar.radar.profiles",
    "load_profile": "paperradar.radar.profiles",
    "Trend": "paperradar.radar.trending",
    "trending": "paperradar.radar.trending",
    "Filters": "paperradar.search",
    "Hit": "paperradar.search",
    "keyword_search": "paperradar.search",
    "parse_since": "paperradar.search",
    "Store": "paperradar.store",
    "store_stats": "paperradar.store.stats",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, and keep the name here."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
