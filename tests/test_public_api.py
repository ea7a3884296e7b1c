"""The package's public API is what __all__ says, and the CLI's format list is the registry's."""

from __future__ import annotations

import paperradar
from paperradar.readers import FORMAT_NAMES, all_readers

PUBLIC = {
    "Digest",
    "DigestOptions",
    "Profile",
    "Ranked",
    "Trend",
    "Why",
    "compute_affinity",
    "create_profile",
    "load_profile",
    "make_digest",
    "trending",
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
}


def test_public_api_is_exactly_all() -> None:
    assert set(paperradar.__all__) == PUBLIC
    for name in paperradar.__all__:
        assert getattr(paperradar, name) is not None


def test_errors_form_one_hierarchy() -> None:
    for name in ("InputError", "FormatError", "UsageError", "SourceError", "StoreError"):
        assert issubclass(getattr(paperradar, name), paperradar.PaperRadarError)
    assert issubclass(paperradar.FormatError, paperradar.InputError)


def test_format_names_match_the_registry_in_sniffing_order() -> None:
    assert [reader.name for reader in all_readers()] == FORMAT_NAMES
    assert all(reader.description for reader in all_readers())
