"""A researcher's publication list as plain ``Abstract:<text>`` lines (seeds 000/001).

One paper a line, no titles and no ids: each becomes a paper known by its content id (a hash
of its abstract's first normalised characters), so the same abstract on two pages is one paper.
Blank lines are skipped; any other line is a bad record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from paperradar.models import Paper, Sighting
from paperradar.readers.base import BadRecord, ReadContext, Record, clean_text
from paperradar.readers.limits import checked

PREFIX = "abstract:"


class AbstractListReader:
    name = "abstracts"
    description = "a publication list of 'Abstract:<text>' lines, one paper a line"

    def sniff(self, head: str, filename: str) -> bool:
        lines = [line for line in head.splitlines() if line.strip()]
        return bool(lines) and all(line.lower().startswith(PREFIX) for line in lines[:3])

    def parse(self, stream: TextIO, ctx: ReadContext) -> Iterator[Record]:
        rank = 0
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            if not line.lower().startswith(PREFIX):
                yield BadRecord(number, "expected a line starting with 'Abstract:'")
                continue
            abstract = clean_text(line[len(PREFIX) :])
            if not abstract:
                yield BadRecord(number, "empty abstract")
                continue
            rank += 1
            sighting = Sighting(source=self.name, locator=ctx.origin, rank=rank)
            yield checked(Paper(abstract=abstract, sightings=[sighting]), number)


READER = AbstractListReader()
