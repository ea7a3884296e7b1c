"""The fuzzer's inputs: each format's real files, and hypothesis strategies that damage them.

A case is a file's bytes, its name (readers sniff by extension too) and whether the format
is forced (``--format``) or recognised. Damage is one to three of: truncation, byte flips,
random bytes, hostile tokens (lone-surrogate escapes, huge numbers, NULs, BOMs, markup),
deep nesting, a repeated slice or one huge run (records and fields past the limits), whole-file
re-encoding (Latin-1, UTF-16/32 with or without BOM, CRLF), and last, maybe, gzip -- intact,
or with its stream flipped, truncated or followed by junk.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers import paths
from hypothesis import strategies as st

from paperradar.readers import FORMAT_NAMES

CORPUS = Path(__file__).resolve().parent / "corpus"
#: a big listing page is cut to this many bytes (at a line end) to keep examples fast
MAX_SEED_BYTES = 40_000


def _files(*patterns: str) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        found += sorted(paths.REPO.glob(pattern))
    return [path for path in found if path.is_file()]


#: format -> the real files it is fuzzed from (tests/fixtures, data/seeds, data/examples;
#: paperradar-json from tests/fuzz/corpus: the library's own export of fixture papers)
SOURCES: dict[str, list[Path]] = {
    "oai-pmh": _files("tests/fixtures/oai-pmh/*.xml", "tests/fixtures/sources/arxiv/oai-pmh/*"),
    "arxiv-rss": _files(
        "tests/fixtures/arxiv-rss/*.xml", "tests/fixtures/sources/arxiv/arxiv-rss/*"
    ),
    "arxiv-atom": _files(
        "tests/fixtures/arxiv-atom/*.xml", "tests/fixtures/sources/arxiv/arxiv-atom/*"
    ),
    "hf-daily": _files("tests/fixtures/hf-daily/*", "tests/fixtures/sources/web/hf_daily_*"),
    "csl-json": _files("tests/fixtures/csl-json/*.json"),
    "arxiv-daily": _files("tests/fixtures/cli/*.jsonl", "tests/fixtures/radar/listings.jsonl"),
    "paperradar-json": _files("tests/fuzz/corpus/paperradar-json/*"),
    "bibtex": _files("tests/fixtures/bibtex/*.bib", "data/examples/*.bib"),
    "ris": _files("tests/fixtures/ris/*.ris"),
    "abstracts": _files("data/seeds/000_*.txt", "data/seeds/001_*.txt"),
    "csv": _files("tests/fixtures/csv/*"),
    "listing": _files("data/seeds/002_*.txt", "data/seeds/003_*.txt", "data/seeds/004_*.txt"),
}
assert set(SOURCES) == set(FORMAT_NAMES), "every format needs real files to fuzz"


def seed_bytes(path: Path) -> bytes:
    """A source file's bytes, a big one cut at a line end."""
    data = path.read_bytes()
    if len(data) <= MAX_SEED_BYTES:
        return data
    cut = data.rfind(b"\n", 0, MAX_SEED_BYTES)
    return data[: cut + 1 if cut > 0 else MAX_SEED_BYTES]


@dataclass(frozen=True)
class Case:
    """One input: the bytes, the file's name, and the format forced (None: recognised)."""

    data: bytes
    name: str
    fmt: str | None
    steps: tuple[str, ...]  # the damage done, for the report

    def __repr__(self) -> str:
        size, head = len(self.data), self.data[:200]
        return f"Case({self.name!r}, fmt={self.fmt!r}, steps={self.steps}, {size} B: {head!r})"


# --------------------------------------------------------------------------- tokens

HUGE_NUMBERS = [
    b"1" + b"0" * 400,
    b"9" * 5000,
    b"1e999999",
    b"-1e-999999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"99999999999999999999999999",
    b"NaN",
    b"Infinity",
    b"-0",
    b"0x7fffffffffffffff",
]
TOKENS = [
    b"\\ud800",
    b"\\udfff",
    b'"\\ud800"',
    b"\\udc00\\ud800",
    b"\\u0000",
    b"\\",
    b"\x00",
    b"\x00" * 64,
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xed\xa0\x80",  # a surrogate encoded as UTF-8 (invalid)
    b"\xc0\x80",
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\x80",
    "\u2028\u2029\x85".encode(),
    "\U0001f600\u0301\ufeff".encode(),
    b"\r",
    b"\r\n",
    b"\t",
    b'"',
    b"'",
    b",",
    b";",
    b"%",
    b"#",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'""',
    b"]]]]",
    b"}}}}",
    b"{{{{",
    b'{"a":',
    b"<![CDATA[",
    b"]]>",
    b'<!DOCTYPE x [<!ENTITY a "b">]>',
    b"&a;",
    b"&#0;",
    b"&#xD800;",
    b"&#x110000;",
    b"&#99999999999;",
    b"<?xml version='1.0'?>",
    b"</",
    b"<a:b xmlns:a='x'>",
    b"@string{x = x # x}",
    b"@comment{",
    b"@article{k,",
    b"@preamble{",
    b"\\'{",
    b" # ",
    b"\nTY  - JOUR\n",
    b"\nER  - \n",
    b"\nAU  - \n",
    b"\nPY  - 99999\n",
    b"\nAbstract:",
    "\n• 4 authors\n".encode(),
    "\n• 99999999999999999999 authors\n".encode(),
    "\n•\n".encode(),
    "\n• x authors\n".encode(),
    b"\nNov 31\n",
    b"\nFeb 29\n",
    b"\n\n\n\n",
    b"-" * 3,
    *HUGE_NUMBERS,
]
#: opening and closing of one level of nesting, per family of formats
NESTING = [
    (b"[", b"]"),
    (b'{"a":', b"}"),
    (b"{", b"}"),
    (b"<a>", b"</a>"),
    (b"(", b")"),
    (b"\\'{", b"}"),
]
DEPTHS = [10, 600, 1_100, 5_000, 100_000]
#: sizes of one huge run: a record or field near and past the readers' limit (8 MiB)
BIG = [1_000, 100_000, 2_000_000, 9 * 1024 * 1024]
#: where a token goes: after one of these, else anywhere
_ANCHORS = re.compile(rb'["\':=>{\[(,\n]')
_NUMBER = re.compile(rb"\d+")
_ARXIV_ID = re.compile(rb"(\d{4}\.\d{4,5})(?:v\d+)?")


# --------------------------------------------------------------------------- damage

Damage = Callable[[bytes, st.DrawFn], tuple[bytes, str]]


def _position(data: bytes, draw: st.DrawFn) -> int:
    """A position to insert at: often just after a quote, bracket, colon or line end."""
    if data and draw(st.booleans(), label="at an anchor"):
        anchors = [m.end() for m in _ANCHORS.finditer(data, 0, 200_000)]
        if anchors:
            return anchors[draw(st.integers(0, len(anchors) - 1), label="anchor")]
    return draw(st.integers(0, len(data)), label="position")


def truncate(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    at = draw(st.integers(0, max(len(data) - 1, 0)), label="truncate at")
    return data[:at], f"truncate@{at}"


def flip(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    if not data:
        return data, "flip(empty)"
    out = bytearray(data)
    count = draw(st.integers(1, 8), label="flips")
    for _ in range(count):
        at = draw(st.integers(0, len(out) - 1), label="flip at")
        out[at] ^= draw(st.integers(1, 255), label="mask")
    return bytes(out), f"flip x{count}"


def insert_bytes(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    at = _position(data, draw)
    junk = draw(st.binary(min_size=1, max_size=32), label="random bytes")
    return data[:at] + junk + data[at:], f"insert {len(junk)} B@{at}"


def insert_token(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    at = _position(data, draw)
    token = draw(st.sampled_from(TOKENS), label="token")
    return data[:at] + token + data[at:], f"token {token[:20]!r}@{at}"


def huge_number(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    numbers = list(_NUMBER.finditer(data, 0, 200_000))
    number = draw(st.sampled_from(HUGE_NUMBERS), label="number")
    if not numbers:
        at = _position(data, draw)
        return data[:at] + number + data[at:], f"number {number[:12]!r}@{at}"
    match = numbers[draw(st.integers(0, len(numbers) - 1), label="which number")]
    if draw(st.booleans(), label="lengthen"):  # 2101.00001v1 -> 2101.00001v1999...
        return data[: match.end()] + b"9" * 5000 + data[match.end() :], f"long@{match.end()}"
    return data[: match.start()] + number + data[match.end() :], f"number@{match.start()}"


def nest(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    opening, closing = draw(st.sampled_from(NESTING), label="nesting")
    depth = draw(st.sampled_from(DEPTHS), label="depth")
    balanced = draw(st.booleans(), label="balanced")
    if draw(st.booleans(), label="around the whole"):
        return opening * depth + data + (closing * depth if balanced else b""), f"wrap {depth}"
    at = _position(data, draw)
    inner = opening * depth + (closing * depth if balanced else b"")
    return data[:at] + inner + data[at:], f"nest {opening!r} x{depth}@{at}"


def repeat(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    """A slice repeated (many records, or one long one), or one huge run of a character."""
    at = _position(data, draw)
    size = draw(st.sampled_from(BIG), label="size")
    if data and draw(st.booleans(), label="a slice"):
        start = draw(st.integers(0, len(data) - 1), label="slice start")
        piece = data[start : start + draw(st.integers(1, 4000), label="slice length")]
        run = piece * max(1, size // len(piece))
    else:
        run = draw(st.sampled_from([b"x", b" ", b"a ", b"\\", b"\n", b"{"]), label="run")
        run = run * (size // len(run))
    return data[:at] + run + data[at:], f"repeat {len(run)} B@{at}"


def delete(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    if not data:
        return data, "delete(empty)"
    start = draw(st.integers(0, len(data) - 1), label="delete start")
    length = draw(st.integers(1, 200), label="delete length")
    return data[:start] + data[start + length :], f"delete {length}@{start}"


ENCODINGS = ["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"]


def reencode(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from([*ENCODINGS, "crlf", "cr", "bom twice"]), label="encoding")
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n"), kind
    if kind == "cr":
        return data.replace(b"\n", b"\r"), kind
    if kind == "bom twice":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + data, kind
    text = data.decode("utf-8", errors="replace")
    return text.encode(kind, errors="replace"), kind


DAMAGE: list[Damage] = [
    truncate,
    flip,
    insert_bytes,
    insert_token,
    huge_number,
    nest,
    repeat,
    delete,
    reencode,
]


def gzip_damage(data: bytes, draw: st.DrawFn) -> tuple[bytes, str]:
    """``data`` gzipped, the stream then maybe flipped, truncated or followed by junk."""
    packed = gzip.compress(data, mtime=0)
    how = draw(
        st.sampled_from(["intact", "flip", "truncate", "junk after", "two members"]),
        label="gzip damage",
    )
    if how == "flip":
        out = bytearray(packed)
        for _ in range(draw(st.integers(1, 4), label="gzip flips")):
            at = draw(st.integers(2, len(out) - 1), label="gzip flip at")
            out[at] ^= draw(st.integers(1, 255), label="gzip mask")
        packed = bytes(out)
    elif how == "truncate":
        packed = packed[: draw(st.integers(2, len(packed) - 1), label="gzip cut")]
    elif how == "junk after":
        packed += draw(st.binary(min_size=1, max_size=64), label="gzip junk")
    elif how == "two members":
        packed += gzip.compress(data[: len(data) // 2], mtime=0)
    return packed, f"gzip {how}"


@st.composite
def cases(draw: st.DrawFn, fmt: str) -> Case:
    """A damaged real file of format ``fmt``."""
    source = draw(st.sampled_from(SOURCES[fmt]), label="source")
    data = seed_bytes(source)
    steps: list[str] = [source.name]
    for damage in draw(st.lists(st.sampled_from(DAMAGE), min_size=1, max_size=3), label="damage"):
        data, step = damage(data, draw)
        steps.append(step)
    name = source.name
    if draw(st.integers(0, 4), label="gzip?") == 0:
        data, step = gzip_damage(data, draw)
        steps.append(step)
        name += ".gz" if draw(st.booleans(), label=".gz name") else ""
    forced = draw(st.booleans(), label="forced format")
    return Case(data=data, name=name, fmt=fmt if forced else None, steps=tuple(steps))


# --------------------------------------------------------------------------- fixed damage

#: where a field's text starts, in any of the formats (the first found is used)
_FIELD_STARTS = [b'"title": "', b'"title":"', b"title = {", b"<title>", b"TI  - ", b"Abstract:"]


def _in_a_field(data: bytes, insert: bytes) -> bytes:
    """``insert`` at the start of the first title-like field, else after the first line."""
    for start in _FIELD_STARTS:
        at = data.find(start)
        if at >= 0:
            at += len(start)
            return data[:at] + insert + data[at:]
    at = data.find(b"\n") + 1
    return data[:at] + insert + data[at:]


_AUTHOR_STARTS = [
    b"author = {",
    b"author={",
    b'"authors": ["',
    b'"name": "',
    b"AU  - ",
    b"<dc:creator>",
    b"<name>",
    b'"family": "',
]


def _in_authors(data: bytes, insert: bytes) -> bytes:
    """``insert`` inside the first author list or name, else in the first title-like field."""
    for start in _AUTHOR_STARTS:
        at = data.find(start)
        if at >= 0:
            at += len(start)
            return data[:at] + b"A" + insert + b"B" + data[at:]
    return _in_a_field(data, insert)


def _first_numbers(data: bytes, number: bytes, count: int = 5) -> bytes:
    """The first ``count`` runs of digits (0: all) replaced by ``number``."""
    return _NUMBER.sub(number, data, count=count)


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :] if data else data


#: one fixed instance of each kind of damage issue 15 found, applied to a format's first file
FIXED_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "bom only": lambda data: b"\xef\xbb\xbf",
    "truncated": lambda data: data[: len(data) // 2],
    "nul bytes": lambda data: _in_a_field(data, b"\x00" * 16),
    "lone surrogate escape": lambda data: _in_a_field(data, b"\\ud800 \\udfff"),
    "invalid utf-8": lambda data: _in_a_field(data, b"\xed\xa0\x80\xff"),
    "utf-16 with bom": lambda data: data.decode("utf-8", "replace").encode("utf-16"),
    "latin-1": lambda data: _in_a_field(data, "Schrödinger ".encode("latin-1")),
    "numbers beyond 64 bits": lambda data: _first_numbers(data, b"18446744073709551616", 0),
    "number of 5000 digits": lambda data: _first_numbers(data, b"9" * 5000),
    "number 10^400": lambda data: _first_numbers(data, b"1" + b"0" * 400),
    "json nested 100,000 deep": lambda data: b"[" * 100_000 + data + b"]" * 100_000,
    "xml nested 5,000 deep": lambda data: _in_a_field(data, b"<a>" * 5_000 + b"</a>" * 5_000),
    "braces nested 100,000 deep": lambda data: _in_a_field(data, b"{" * 100_000 + b"}" * 100_000),
    "a field of 9 MiB": lambda data: _in_a_field(data, b"x" * (9 * 1024 * 1024)),
    "100,000 spaces in a field": lambda data: _in_a_field(data, b"x" + b" " * 100_000 + b"y"),
    "100,000 line ends in a field": lambda data: _in_a_field(data, b"x" + b"\n" * 100_000 + b"y"),
    "100,000 spaces in an author list": lambda data: _in_authors(data, b" \n" * 50_000),
    "arXiv version of 5,000 digits": lambda data: _ARXIV_ID.sub(
        rb"\1v" + b"9" * 5000, data, count=1
    ),
    "listing author count": lambda data: data.replace(
        "• ".encode(), "• 99999999999999999999 ".encode(), 1
    ),
    "gzip truncated": lambda data: gzip.compress(data, mtime=0)[:-9],
    "gzip flipped": lambda data: _flip_middle(gzip.compress(data, mtime=0)),
    "gzip with junk after": lambda data: gzip.compress(data, mtime=0) + b"\x00junk",
}
