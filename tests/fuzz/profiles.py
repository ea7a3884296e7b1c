"""Hypothesis profiles of the fuzzing harness: "ci" (``make test``: a few fixed examples per
format) and "fuzz" (``make fuzz``: PAPERRADAR_FUZZ=fuzz, random and many, and the CLI and
web drivers too). PAPERRADAR_FUZZ_EXAMPLES overrides the examples per format and driver."""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("PAPERRADAR_FUZZ", "ci")

_COMMON = settings(
    database=None,  # every failure found is kept in tests/fuzz/regressions/ instead
    deadline=dt.timedelta(seconds=20),
    suppress_health_check=list(HealthCheck),
    print_blob=True,
    report_multiple_bugs=False,
)
settings.register_profile("ci", _COMMON, max_examples=30, derandomize=True)
settings.register_profile("fuzz", _COMMON, max_examples=300)
if PROFILE not in ("ci", "fuzz"):
    raise ValueError(f"PAPERRADAR_FUZZ={PROFILE!r}: 'ci' or 'fuzz'")


def examples(ci: int, fuzz: int) -> int:
    """Examples per format for a test: its figure in this profile, unless overridden."""
    override = os.environ.get("PAPERRADAR_FUZZ_EXAMPLES")
    if override:
        return int(override)
    return fuzz if PROFILE == "fuzz" else ci


def fuzz_settings(ci: int, fuzz: int) -> settings:
    return settings(settings.get_profile(PROFILE), max_examples=examples(ci, fuzz))
