"""The daily-papers listing reader on small pages in both layouts."""

from __future__ import annotations

import datetime as dt
import io

from paperradar.models import Paper
from paperradar.readers.base import BadRecord, ReadContext
from paperradar.readers.listing import READER

CTX = ReadContext(origin="page.txt", reference_date=dt.date(2026, 3, 10))

FULL = """new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Mar 2

Sparse Attention at Scale

We study sparse attention for long contexts and show it matches dense attention.

  • 3 authors
·
Feb 27 12

A Cut Abstract

Deep networks forget old tasks when trained on new ones. We propose a bottleneck that cuts forge

openbmb OpenBMB
·
Dec 30, 2024

No Metadata Here

An entry that the site printed without authors or a date.

Another Paper

Its abstract ends with code at https://github.com/example/repo

  • 1 authors
·
Dec 31 3
"""

COMPACT = """Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribeFirst Compact Title
First abstract, complete.
Second Compact Title
Second abstract, cut mid-wo
"""


def parse(text: str) -> list[Paper | BadRecord]:
    return list(READER.parse(io.StringIO(text), CTX))


def test_full_layout() -> None:
    papers = parse(FULL)
    assert [p.title for p in papers if isinstance(p, Paper)] == [
        "Sparse Attention at Scale",
        "A Cut Abstract",
        "No Metadata Here",
        "Another Paper",
    ]
    sparse, cut, bare, other = papers
    assert isinstance(sparse, Paper) and isinstance(cut, Paper)
    assert isinstance(bare, Paper) and isinstance(other, Paper)
    # page date "Mar 2" resolves against 2026-03-10; "Feb 27" against the page date
    assert sparse.submitted == dt.date(2026, 2, 27) and sparse.submitted_year_inferred
    assert (sparse.author_count, sparse.upvotes) == (3, 12)
    assert sparse.sightings[0].seen_on == dt.date(2026, 3, 2)
    assert sparse.sightings[0].rank == 1
    assert cut.organisation == "OpenBMB" and cut.submitted == dt.date(2024, 12, 30)
    assert not cut.submitted_year_inferred and cut.abstract_truncated
    assert not sparse.abstract_truncated and not other.abstract_truncated
    assert bare.submitted is None and bare.author_count is None
    # "Dec 31" on a page of 2026-03-02 is the last Dec 31 before it
    assert other.submitted == dt.date(2025, 12, 31) and other.upvotes == 3


def test_compact_layout_with_chrome_glued_to_the_first_title() -> None:
    first, second = parse(COMPACT)
    assert isinstance(first, Paper) and isinstance(second, Paper)
    assert first.title == "First Compact Title"
    assert second.abstract_truncated and not first.abstract_truncated
    assert first.sightings[0].seen_on is None


def test_sniff() -> None:
    assert READER.sniff(FULL, "x.txt") and READER.sniff(COMPACT, "x.txt")
    assert not READER.sniff("Abstract: a paper\n", "x.txt")
    assert not READER.sniff('{"title": "x"}', "x.json")


def test_bad_entries_are_reported_with_their_line() -> None:
    text = FULL.replace("Dec 30, 2024", "Smarch 99") + "Dangling Title\n"
    records = parse(text)
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert [b.line for b in bad] == [27, 40]
    assert "not a listing date: 'Smarch 99'" in bad[0].reason
    assert "without an abstract" in bad[1].reason
