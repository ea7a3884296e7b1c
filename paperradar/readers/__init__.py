"""Readers: one module per file format, each yielding Paper records.

The registry below is in sniffing order: the first reader whose ``sniff`` accepts a file's
head reads it, unless ``--format`` names one.
"""

from __future__ import annotations

import functools
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from paperradar.errors import FormatError, UsageError
from paperradar.readers.base import BadRecord, ReadContext, Reader, Record
from paperradar.readers.limits import MAX_RECORD_CHARS, checked, too_long

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


def open_text(path: Path, origin: str | None = None) -> TextIO:
    """Open a file as UTF-8 text (BOM stripped), decompressing ``.gz`` transparently.

    Lines are read at most :data:`~paperradar.readers.limits.MAX_RECORD_CHARS` at a time: a
    longer one raises FormatError naming ``origin`` (default: the path) and the line.
    """
    where = origin or str(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise FormatError(where, None, f"cannot open: {exc.strerror or exc}") from exc
    with raw:
        magic = raw.read(2)
    binary: BinaryIO = (
        cast(BinaryIO, gzip.GzipFile(filename=path, mode="rb"))
        if magic == GZIP_MAGIC
        else path.open("rb")
    )
    return _BoundedText(binary, where)


class _BoundedText(io.TextIOWrapper):
    """UTF-8 text whose lines are read at most MAX_RECORD_CHARS at a time; it counts lines
    to name the one that is too long."""

    def __init__(self, binary: BinaryIO, origin: str) -> None:
        super().__init__(binary, encoding="utf-8-sig", errors="strict", newline="")
        self.origin = origin
        self.line = 1  # the line the next character read is on (counting "\n")

    # The ignores below are typeshed's own: _IOBase types these for bytes.
    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        if size is not None and size >= 0:
            text = super().readline(size)
        else:
            text = super().readline(MAX_RECORD_CHARS + 1)
            if len(text) > MAX_RECORD_CHARS and text[-1] not in "\r\n":
                raise FormatError(self.origin, self.line, too_long("the line", len(text)))
        if text and text[-1] in "\r\n":
            self.line += 1
        return text

    def read(self, size: int | None = -1, /) -> str:
        text = super().read(size)
        self.line += text.count("\n")
        return text

    def __iter__(self) -> _BoundedText:  # type: ignore[override]
        return self

    def __next__(self) -> str:  # type: ignore[override]
        text = self.readline()
        if not text:
            raise StopIteration
        return text


def read_head(path: Path, origin: str | None = None) -> str:
    """The first SNIFF_CHARS characters of a file's text, for sniffing."""
    where = origin or str(path)
    with open_text(path, where) as fh:
        try:
            return fh.read(SNIFF_CHARS)
        except UnicodeDecodeError as exc:
            raise FormatError(where, None, f"not UTF-8 text ({exc.reason})") from exc
        except GZIP_DAMAGE as exc:
            raise FormatError(where, None, _gzip_reason(exc)) from exc
        except OSError as exc:
            raise FormatError(where, None, f"cannot read: {exc}") from exc


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
    """Pick the reader for ``path`` (sniffed unless ``fmt`` names one) and start reading.

    The records end with FormatError (``FILE: no records (read as FORMAT)``) when the file
    gives none at all, unless it is one of :data:`EMPTY_FEEDS` that its reader recognises. A
    damaged gzip file fails as ``FILE: corrupt gzip data (...)``, whatever the damage made
    the reader see first.
    """
    context = ctx or ReadContext(origin=str(path))
    origin = context.origin
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(origin, None, f"cannot open: {exc.strerror or exc}") from exc
    gzipped = _is_gzip(path)
    if fmt:
        reader = get_reader(fmt)
    else:
        try:
            reader = detect(read_head(path, origin), path.name)
        except FormatError as exc:
            _raise_if_damaged(path, origin, gzipped)
            raise FormatError(origin, exc.line, exc.reason) from None
    raw: list[BinaryIO] = []

    def records() -> Iterator[Record]:
        count = 0
        vetted = reader.name not in _UNVETTED
        unchecked_gzip = gzipped  # is a bad record the gzip damage's doing? asked once
        with open_text(path, origin) as fh:
            raw.append(_raw_of(fh))
            try:
                for record in reader.parse(fh, context):
                    count += 1
                    if isinstance(record, BadRecord):
                        if unchecked_gzip:
                            _raise_if_damaged(path, origin, gzipped)
                            unchecked_gzip = False
                    elif not vetted:
                        record = checked(record, None, f"record {count}: ")
                    yield record
            except FormatError:
                _raise_if_damaged(path, origin, gzipped)
                raise
            except UnicodeDecodeError as exc:
                _raise_if_damaged(path, origin, gzipped)
                raise FormatError(origin, None, f"not UTF-8 text ({exc.reason})") from exc
            except GZIP_DAMAGE as exc:
                raise FormatError(origin, None, _gzip_reason(exc)) from exc
            except OSError as exc:
                raise FormatError(origin, None, f"cannot read: {exc}") from exc
            except RecursionError:  # a reader's own recursion; no reader is known to recurse
                raise FormatError(origin, None, "nested too deeply to read") from None
        if count == 0 and not _may_be_empty(reader, path, origin):
            raise FormatError(origin, None, f"no records (read as {reader.name})")

    return OpenedFile(path, reader, records(), size, raw)


#: Formats whose files may hold no record: a feed of a day without announcements. Their
#: reader must still recognise the file (sniff it) for an empty one to be read.
EMPTY_FEEDS = frozenset({"oai-pmh", "arxiv-rss", "arxiv-atom", "hf-daily"})
#: Readers that do not vet their own records (limits.checked, at the record's line): their
#: records are vetted here, without a line.
_UNVETTED = frozenset({"bibtex"})

GZIP_MAGIC = b"\x1f\x8b"
#: What a damaged gzip stream raises while it is read.
GZIP_DAMAGE: tuple[type[Exception], ...] = (gzip.BadGzipFile, zlib.error, EOFError)


def _is_gzip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


def _gzip_reason(exc: Exception) -> str:
    if isinstance(exc, EOFError):
        return "corrupt gzip data: the stream ends before its end marker (truncated?)"
    if str(exc).startswith("Not a gzipped file"):  # the file did start as gzip
        return "corrupt gzip data: bytes that are not gzip after the compressed stream"
    return f"corrupt gzip data ({exc})"


def gzip_damage(path: Path) -> str | None:
    """Why the gzip file at ``path`` is damaged, or None when it decompresses cleanly to the
    end (checked in bounded memory; the text is not kept)."""
    try:
        with gzip.GzipFile(filename=path, mode="rb") as fh:
            while fh.read(1 << 20):
                pass
    except GZIP_DAMAGE as exc:
        return _gzip_reason(exc)
    except OSError:
        return None  # not damage: the error the reading itself met stands
    return None


def _raise_if_damaged(path: Path, origin: str, gzipped: bool) -> None:
    """A reader met something wrong in a gzip file: if the gzip stream itself is damaged,
    say that instead (garbage from a damaged stream reads as anything)."""
    reason = gzip_damage(path) if gzipped else None
    if reason:
        raise FormatError(origin, None, reason) from None


def _may_be_empty(reader: Reader, path: Path, origin: str) -> bool:
    if reader.name not in EMPTY_FEEDS:
        return False
    try:
        return reader.sniff(read_head(path, origin), path.name)
    except FormatError:
        return False


def _raw_of(fh: TextIO) -> BinaryIO:
    binary = getattr(fh, "buffer", None)
    inner = getattr(binary, "fileobj", None)  # GzipFile wraps the real file
    return cast(BinaryIO, inner or binary)
