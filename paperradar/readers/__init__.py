"""Readers: one module per file format, each yielding Paper records.

The registry below is in sniffing order: the first reader whose ``sniff`` accepts a file's
head reads it, unless ``--format`` names one.
"""

from __future__ import annotations

import functools
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from paperradar.errors import FormatError, UsageError
from paperradar.readers.base import BadRecord, ReadContext, Reader, Record

__all__ = [
    "FORMAT_NAMES",
    "BadRecord",
    "OpenedFile",
    "ReadContext",
    "Reader",
    "Record",
    "all_readers",
    "detect",
    "get_reader",
    "open_text",
    "read_path",
]


#: The --format names, in sniffing order (a test checks them against all_readers()).
FORMAT_NAMES = [
    "oai-pmh",
    "arxiv-rss",
    "arxiv-atom",
    "hf-daily",
    "csl-json",
    "arxiv-daily",
    "paperradar-json",
    "bibtex",
    "ris",
    "abstracts",
    "csv",
    "listing",
]


@functools.cache
def all_readers() -> tuple[Reader, ...]:
    """Every reader, in sniffing order (imported on first use)."""
    from paperradar.readers import (
        abstracts,
        arxiv_atom,
        arxiv_rss,
        bibtex,
        csl_json,
        csv_table,
        hf_daily,
        jsonl,
        listing,
        oai_pmh,
        ris,
    )

    return (
        oai_pmh.READER,
        arxiv_rss.READER,
        arxiv_atom.READER,
        hf_daily.READER,
        csl_json.READER,
        jsonl.ARXIV_DAILY_READER,
        jsonl.PAPERRADAR_READER,
        bibtex.READER,
        ris.READER,
        abstracts.READER,
        csv_table.READER,
        listing.READER,
    )


SNIFF_CHARS = 16_384


def get_reader(name: str) -> Reader:
    for reader in all_readers():
        if reader.name == name:
            return reader
    names = ", ".join(r.name for r in all_readers())
    raise UsageError(f"unknown format {name!r}; known formats: {names}")


def open_text(path: Path) -> TextIO:
    """Open a file as UTF-8 text (BOM stripped), decompressing ``.gz`` transparently."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise FormatError(str(path), None, f"cannot open: {exc.strerror or exc}") from exc
    with raw:
        magic = raw.read(2)
    binary: BinaryIO = (
        cast(BinaryIO, gzip.GzipFile(filename=path, mode="rb"))
        if magic == b"\x1f\x8b"
        else path.open("rb")
    )
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")


def read_head(path: Path) -> str:
    with open_text(path) as fh:
        try:
            return fh.read(SNIFF_CHARS)
        except UnicodeDecodeError as exc:
            raise FormatError(str(path), None, f"not UTF-8 text ({exc.reason})") from exc
        except (OSError, EOFError) as exc:
            raise FormatError(str(path), None, f"cannot read: {exc}") from exc


def detect(head: str, filename: str) -> Reader:
    """The reader for a file, from its first characters and its name."""
    for reader in all_readers():
        if reader.sniff(head, filename):
            return reader
    raise FormatError(filename, None, "unrecognised format (use --format to name one)")


@dataclass(slots=True)
class OpenedFile:
    """A file being read: its reader, its records, and how far reading has got."""

    path: Path
    reader: Reader
    records: Iterator[Record]
    size: int
    _raw: list[BinaryIO]

    def position(self) -> int:
        """Bytes of the file (compressed, for .gz) consumed so far."""
        try:
            return self._raw[0].tell() if self._raw and not self._raw[0].closed else self.size
        except (OSError, ValueError):
            return self.size


def read_path(path: Path, fmt: str | None = None, ctx: ReadContext | None = None) -> OpenedFile:
    """Pick the reader for ``path`` (sniffed unless ``fmt`` names one) and start reading."""
    context = ctx or ReadContext(origin=str(path))
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(context.origin, None, f"cannot open: {exc.strerror or exc}") from exc
    if fmt:
        reader = get_reader(fmt)
    else:
        try:
            reader = detect(read_head(path), path.name)
        except FormatError as exc:
            raise FormatError(context.origin, exc.line, exc.reason) from None
    raw: list[BinaryIO] = []

    def records() -> Iterator[Record]:
        with open_text(path) as fh:
            raw.append(_raw_of(fh))
            try:
                yield from reader.parse(fh, context)
            except UnicodeDecodeError as exc:
                raise FormatError(context.origin, None, f"not UTF-8 text ({exc.reason})") from exc
            except (OSError, EOFError) as exc:  # truncated gzip and the like
                raise FormatError(context.origin, None, f"cannot read: {exc}") from exc

    return OpenedFile(path, reader, records(), size, raw)


def _raw_of(fh: TextIO) -> BinaryIO:
    binary = getattr(fh, "buffer", None)
    inner = getattr(binary, "fileobj", None)  # GzipFile wraps the real file
    return cast(BinaryIO, inner or binary)
