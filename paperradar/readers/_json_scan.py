"""Walk the records of a JSON file and tell the line each one starts on.

A JSON reader needs more than ``json.loads``: a bad record must be reported at its line, so
the scanner decodes the elements of a top-level array one by one (``raw_decode`` at each
element's offset) and keeps a running line count. Three shapes are understood:

- a top-level array: each element is a record;
- a top-level object: one record, unless one of ``list_keys`` holds an array (a wrapper such
  as ``{"dailyPapers": [...]}``), whose elements are then the records;
- JSON Lines: more than one top-level value, one per line. A line that is not valid JSON
  becomes a :class:`JsonLineError` record; the reader turns it into a bad record.

A document that is not JSON at all raises ``FormatError`` with the line the decoder stopped at.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from paperradar.errors import FormatError

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class JsonLineError:
    """A JSON Lines line that does not parse: the reason, for the reader's bad record."""

    reason: str


@dataclass(slots=True)
class JsonRecords:
    """The records of a JSON document and, for a wrapper object, its other members."""

    records: Iterator[tuple[int, Any]]
    wrapper: dict[str, Any] = field(default_factory=dict)
    lines: bool = False  # True for JSON Lines


class _Text:
    """The document with a cursor and a line count that only moves forward."""

    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin
        self._line_pos = 0
        self._line = 1

    def line_at(self, pos: int) -> int:
        if pos < self._line_pos:  # never happens in a forward scan; stay correct anyway
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def skip_ws(self, pos: int) -> int:
        text = self.text
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        return pos

    def decode(self, pos: int) -> tuple[Any, int]:
        try:
            return _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise FormatError(self.origin, exc.lineno, f"invalid JSON: {exc.msg}") from exc

    def fail(self, pos: int, reason: str) -> FormatError:
        return FormatError(self.origin, self.text.count("\n", 0, pos) + 1, reason)

    def iter_array(self, pos: int) -> Generator[tuple[int, Any], None, int]:
        """Elements of the array opening at ``pos`` with their lines; returns the end offset."""
        pos = self.skip_ws(pos + 1)
        if pos < len(self.text) and self.text[pos] == "]":
            return pos + 1
        while True:
            if pos >= len(self.text):
                raise self.fail(pos, "invalid JSON: unterminated array (file truncated?)")
            value, end = self.decode(pos)
            yield self.line_at(pos), value
            pos = self.skip_ws(end)
            if pos < len(self.text) and self.text[pos] == ",":
                pos = self.skip_ws(pos + 1)
                continue
            if pos < len(self.text) and self.text[pos] == "]":
                return pos + 1
            raise self.fail(pos, "invalid JSON: expected ',' or ']' in the array")

    def member_array_start(self, start: int, key: str) -> int:
        """Offset of the array that member ``key`` of the object at ``start`` holds."""
        pos = self.skip_ws(start + 1)
        while self.text[pos] != "}":
            name, pos = _DECODER.raw_decode(self.text, pos)
            pos = self.skip_ws(self.skip_ws(pos) + 1)  # past the ':'
            if name == key:
                return pos
            _, pos = _DECODER.raw_decode(self.text, pos)
            pos = self.skip_ws(pos)
            if self.text[pos] == ",":
                pos = self.skip_ws(pos + 1)
        raise self.fail(start, f"no {key!r} member")  # unreachable: the key was found before


def scan_json(text: str, origin: str, list_keys: tuple[str, ...] = ()) -> JsonRecords:
    """The records of ``text`` (see the module doc); raises FormatError if it is not JSON."""
    doc = _Text(text, origin)
    start = doc.skip_ws(0)
    if start >= len(text):
        raise FormatError(origin, 1, "empty file: no JSON value")
    if text[start] == "[":
        return JsonRecords(_array_then_end(doc, start))
    if text[start] != "{":
        raise doc.fail(start, "not JSON: expected '[' or '{'")
    value, end = doc.decode(start)
    if doc.skip_ws(end) < len(text):
        return JsonRecords(_json_lines(text), lines=True)
    for key in list_keys:
        if isinstance(value.get(key), list):
            wrapper = {k: v for k, v in value.items() if k != key}
            return JsonRecords(doc.iter_array(doc.member_array_start(start, key)), wrapper)
    return JsonRecords(iter([(doc.line_at(start), value)]))


def _array_then_end(doc: _Text, start: int) -> Iterator[tuple[int, Any]]:
    end = yield from doc.iter_array(start)
    if doc.skip_ws(end) < len(doc.text):
        raise doc.fail(end, "invalid JSON: extra data after the top-level array")


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, JsonLineError(f"invalid JSON: {str(exc).split(':')[0]}")
