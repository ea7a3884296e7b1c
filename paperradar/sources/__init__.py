"""Live sources: one module per source, each a :class:`~paperradar.sources.base.Source`.

A source is configured by a ``[sources.NAME]`` table of config.toml. Its ``kind`` (default:
the table's name) picks the module; every other key is the module's option. ``enabled =
false`` keeps a table without syncing it. See docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from paperradar.config import Config
from paperradar.errors import ConfigError, UsageError
from paperradar.sources import arxiv_api, arxiv_oai, arxiv_rss, hf_daily, openalex
from paperradar.sources import semantic_scholar as s2
from paperradar.sources.base import Source

#: kind -> the module's ``from_config(name, table)``
KINDS: dict[str, Callable[[str, Mapping[str, Any]], Source]] = {
    arxiv_oai.KIND: arxiv_oai.from_config,
    arxiv_api.KIND: arxiv_api.from_config,
    arxiv_rss.KIND: arxiv_rss.from_config,
    hf_daily.KIND: hf_daily.from_config,
    s2.KIND: s2.from_config,
    openalex.KIND: openalex.from_config,
}

#: ids a profile hands to a source that takes seed papers (``profile = "NAME"``)
ProfileIds = Callable[[str], tuple[list[str], list[str]]]


def source_tables(config: Config) -> dict[str, dict[str, Any]]:
    """The ``[sources.NAME]`` tables, checked to be tables."""
    tables = config.values.get("sources", {})
    if not isinstance(tables, dict):
        raise ConfigError("[sources] must hold one table per source: [sources.NAME]")
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"[sources.{name}] must be a table of options")
    return tables


def configured_sources(
    config: Config, only: Sequence[str] = (), profile_ids: ProfileIds | None = None
) -> list[tuple[Source, str]]:
    """``(source, kind)`` for each enabled source, in config order; ``only`` picks by name
    (a disabled source named there runs too)."""
    tables = source_tables(config)
    unknown = [name for name in only if name not in tables]
    if unknown:
        known = ", ".join(tables) or "none configured"
        raise UsageError(f"no source named {unknown[0]!r} in config.toml (sources: {known})")
    out: list[tuple[Source, str]] = []
    for name, table in tables.items():
        if only and name not in only:
            continue
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"[sources.{name}] enabled must be true or false")
        if not enabled and not only:
            continue
        kind = table.get("kind", name)
        if kind not in KINDS:
            raise ConfigError(
                f"[sources.{name}] kind: unknown source kind {kind!r}; "
                f"choose from {', '.join(KINDS)}"
            )
        options = dict(table)
        if "profile" in options and kind == s2.KIND:
            options = _with_profile_ids(name, options, profile_ids)
        out.append((KINDS[kind](name, options), kind))
    return out


def _with_profile_ids(
    name: str, options: dict[str, Any], profile_ids: ProfileIds | None
) -> dict[str, Any]:
    profile = options.pop("profile")
    if not isinstance(profile, str) or profile_ids is None:
        raise ConfigError(f"[sources.{name}] profile must be a profile name")
    positive, negative = profile_ids(profile)
    for key, ids in (("positive", positive), ("negative", negative)):
        given = options.get(key, [])
        options[key] = [*([given] if isinstance(given, str) else given), *ids]
    return options
