"""Walk the records of a JSON file and tell the line each one starts on.

A JSON reader needs more than ``json.loads``: a bad record must be reported at its line, so
the scanner decodes the elements of a top-level array one by one (``raw_decode`` at each
element's offset) and keeps a running line count. Three shapes are understood:

- a top-level array: each element is a record;
- a top-level object: one record, unless one of ``list_keys`` holds an array (a wrapper such
  as ``{"dailyPapers": [...]}``), whose elements are then the records;
- JSON Lines: more than one top-level value, one per line. A line that is not valid JSON
  becomes a :class:`JsonLineError` record; the reader turns it into a bad record.

A document that is not JSON at all raises ``FormatError`` with the line the decoder stopped at;
so do a record over ``limits.MAX_RECORD_CHARS``, nesting deeper than ``limits.MAX_JSON_DEPTH``
and a number with more digits than Python reads (4,300). A lone surrogate escape
(``"\\ud800"``) is read as Python's decoder reads it, a lone surrogate, which ``limits.vet``
later replaces with U+FFFD.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from paperradar.errors import FormatError
from paperradar.readers.limits import MAX_JSON_DEPTH, MAX_RECORD_CHARS, too_long

_DECODER = json.JSONDecoder()
_WS_RUN = re.compile(r"[ \t\r\n]*")
#: A JSON string or a bracket: what :func:`too_deep` walks once a text has many brackets.
_DEPTH_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
TOO_DEEP = f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
#: Python reads no integer longer than this (sys.get_int_max_str_digits()).
TOO_MANY_DIGITS = "invalid JSON: a number with more than 4,300 digits"


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
        match = _WS_RUN.match(self.text, pos)  # always matches, perhaps nothing
        return match.end() if match else pos

    def decode(self, pos: int, record: bool = True, level: int = 0) -> tuple[Any, int]:
        """The value at ``pos`` and its end; a ``record`` must also fit MAX_RECORD_CHARS.
        ``level``: the arrays and objects the value sits in (its depth counts from the top)."""
        try:
            value, end = _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise FormatError(self.origin, exc.lineno, f"invalid JSON: {exc.msg}") from exc
        except RecursionError:
            raise self.fail(pos, TOO_DEEP) from None
        except ValueError:  # an integer of more than 4,300 digits
            raise self.fail(pos, TOO_MANY_DIGITS) from None
        if record and end - pos > MAX_RECORD_CHARS:
            raise self.fail(pos, too_long("the JSON record", end - pos))
        deep = too_deep(self.text, pos, end, level)
        if deep is not None:
            raise self.fail(deep, TOO_DEEP)
        return value, end

    def fail(self, pos: int, reason: str) -> FormatError:
        return FormatError(self.origin, self.text.count("\n", 0, pos) + 1, reason)

    def iter_array(self, pos: int, level: int = 1) -> Generator[tuple[int, Any], None, int]:
        """Elements of the array opening at ``pos`` with their lines; returns the end offset."""
        pos = self.skip_ws(pos + 1)
        if pos < len(self.text) and self.text[pos] == "]":
            return pos + 1
        while True:
            if pos >= len(self.text):
                raise self.fail(pos, "invalid JSON: unterminated array (file truncated?)")
            value, end = self.decode(pos, level=level)
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
    value, end = doc.decode(start, record=False)
    if doc.skip_ws(end) < len(text):
        return JsonRecords(_json_lines(text), lines=True)
    for key in list_keys:
        if isinstance(value.get(key), list):
            wrapper = {k: v for k, v in value.items() if k != key}
            records = doc.iter_array(doc.member_array_start(start, key), level=2)
            return JsonRecords(records, wrapper)
    if end - start > MAX_RECORD_CHARS:  # one object: the record itself
        raise doc.fail(start, too_long("the JSON record", end - start))
    return JsonRecords(iter([(doc.line_at(start), value)]))


def _array_then_end(doc: _Text, start: int) -> Iterator[tuple[int, Any]]:
    end = yield from doc.iter_array(start)
    if doc.skip_ws(end) < len(doc.text):
        raise doc.fail(end, "invalid JSON: extra data after the top-level array")


def _json_lines(text: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_RECORD_CHARS:
            yield number, JsonLineError(too_long("the line", len(line)))
            continue
        try:
            yield number, loads(line)
        except json.JSONDecodeError as exc:
            yield number, JsonLineError(f"invalid JSON: {exc.msg}")


def loads(text: str) -> Any:
    """One JSON value (orjson), checked against MAX_JSON_DEPTH. A lone surrogate escape,
    which orjson refuses, is read as Python's decoder reads it. Raises JSONDecodeError."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if exc.msg.startswith("depth limit"):  # orjson's own limit, 1,024 levels
            raise _error(TOO_DEEP, text, exc.pos) from None
        if "surrogate" not in exc.msg:
            raise
        try:
            value = json.loads(text)
        except RecursionError:
            raise _error(TOO_DEEP, text, 0) from None
        except json.JSONDecodeError:
            raise
        except ValueError:  # an integer of more than 4,300 digits
            raise _error(TOO_MANY_DIGITS, text, 0) from None
    deep = too_deep(text)
    if deep is not None:
        raise _error(TOO_DEEP, text, deep)
    return value


def _error(reason: str, text: str, pos: int) -> json.JSONDecodeError:
    return json.JSONDecodeError(reason.removeprefix("invalid JSON: "), text, pos)


def too_deep(text: str, start: int = 0, end: int | None = None, level: int = 0) -> int | None:
    """Where nesting first goes deeper than MAX_JSON_DEPTH in the JSON ``text[start:end]``,
    which sits inside ``level`` arrays or objects; None if it never does. Linear: a text with
    few brackets is passed by counting them."""
    stop = len(text) if end is None else end
    opening = text.count("[", start, stop) + text.count("{", start, stop)
    if level + opening <= MAX_JSON_DEPTH:
        return None
    depth = level
    for match in _DEPTH_TOKEN.finditer(text, start, stop):
        char = text[match.start()]
        if char == "[" or char == "{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return match.start()
        elif char == "]" or char == "}":
            depth -= 1
    return None
