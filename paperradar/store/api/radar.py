"""Profiles, their papers, rules and feedback; digests and what they showed."""

from __future__ import annotations

from typing import Protocol


class RadarRepo(Protocol):
    """Profiles, their papers, rules and feedback; digests and what they showed."""
