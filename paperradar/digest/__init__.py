"""Digests: a profile's ranked, explained and diversified papers for a window of listing
dates (build.py), rendered as a terminal table, Markdown, HTML, RSS and Atom (render.py) and
delivered by email through an outbox (mail.py)."""

from paperradar.digest.build import DigestOptions, candidate_ids, make_digest, past_digests

__all__ = ["DigestOptions", "candidate_ids", "make_digest", "past_digests"]
