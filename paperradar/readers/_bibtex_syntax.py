"""The BibTeX / BibLaTeX syntax: entries, fields, ``@string`` macros, with line numbers.

Follows BibTeX's own rules:

- Text outside entries is ignored. An ``@`` starts an entry only when a type name and an
  opening ``{`` or ``(`` follow; any other ``@`` (an e-mail address) is ignored text.
- An entry is delimited by braces or parentheses; braces must balance inside it (quotes do
  not protect braces), so a missing closing brace swallows the rest of the file and is
  reported as an unterminated entry at the line where it starts.
- A field value is ``{...}`` (nested braces kept), ``"..."`` (ends at a ``"`` outside
  braces), a number, or a macro name, joined by ``#``. Macros are ``@string`` definitions
  and the month names ``jan``..``dec`` (case-insensitive); an undefined macro is the empty
  string, as BibTeX makes it after a warning.
- ``@comment`` and ``@preamble`` are skipped; ``@comment`` with no brace skips only its name.
- Field names and entry types are case-insensitive (lower-cased here). When a field repeats
  within an entry, the **first** value wins, as in BibTeX ("ignoring the extra field").

Values are returned raw (inner braces and LaTeX kept); :mod:`._latex` turns them into text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from paperradar.errors import FormatError

_TYPE = re.compile(r"[A-Za-z][\w\-]*")
_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_NUMBER = re.compile(r"\d+")
_BRACE = re.compile(r"[{}]")
_SPACE = re.compile(r"\s+")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
STANDARD_MACROS = {name[:3].lower(): name for name in _MONTHS}


@dataclass(slots=True)
class Entry:
    """One ``@type{key, ...}`` entry: its type, key, 1-based start line and raw fields."""

    kind: str
    key: str
    line: int
    fields: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # a syntax error inside the entry (the entry is a bad record)


class _EntryError(Exception):
    """A syntax error inside one entry's body."""


class BibScanner:
    """Scan a whole BibTeX text into entries, expanding macros on the way."""

    def __init__(self, text: str, origin: str) -> None:
        self.text = text
        self.origin = origin
        self.macros: dict[str, str] = dict(STANDARD_MACROS)
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    def entries(self) -> Iterator[Entry]:
        """Every regular entry in order; ``@string`` is applied, comments skipped."""
        text, pos = self.text, 0
        while (at := text.find("@", pos)) >= 0:
            pos = at + 1
            match = _TYPE.match(text, pos)
            if not match:
                continue
            kind = match.group().lower()
            opening = self._skip_space(match.end())
            if opening >= len(text) or text[opening] not in "{(":
                pos = match.end()
                continue
            closing = self._closing(opening)
            line = self.line_of(at)
            if closing is None:
                delimiter = "}" if text[opening] == "{" else ")"
                raise FormatError(
                    self.origin,
                    line,
                    f"unterminated @{kind} entry: no closing '{delimiter}' before the end of file",
                )
            pos = closing + 1
            if kind in ("comment", "preamble"):
                continue
            if kind == "string":
                self._define(opening + 1, closing, line)
                continue
            yield self._entry(kind, opening + 1, closing, line)

    # -- structure -----------------------------------------------------------------------

    def _closing(self, opening: int) -> int | None:
        """Index of the delimiter that closes the entry opened at ``opening``, else None."""
        text = self.text
        if text[opening] == "{":
            depth = 0
            for match in _BRACE.finditer(text, opening):
                depth += 1 if match.group() == "{" else -1
                if depth == 0:
                    return match.start()
            return None
        depth, quoted = 0, False
        for index in range(opening + 1, len(text)):
            char = text[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif depth == 0 and char == '"':
                quoted = not quoted
            elif depth == 0 and not quoted and char == ")":
                return index
        return None

    def _define(self, start: int, end: int, line: int) -> None:
        try:
            pos = self._skip_space(start)
            name, pos = self._field_name(pos, end)
            value, pos = self._value(self._equals(pos, end, name), end, name)
            if self._skip_space(pos) < end:
                raise _EntryError(f"unexpected text after the value at line {self.line_of(pos)}")
        except _EntryError as exc:
            raise FormatError(self.origin, line, f"malformed @string: {exc}") from None
        self.macros[name] = value

    def _entry(self, kind: str, start: int, end: int, line: int) -> Entry:
        text = self.text
        comma = text.find(",", start, end)
        key_end = end if comma < 0 else comma
        key = text[start:key_end].strip()
        entry = Entry(kind=kind, key=key, line=line)
        if "=" in key:
            entry.key = ""
            entry.error = "no citation key before the first field"
            return entry
        try:
            self._fields(entry, key_end + 1, end)
        except _EntryError as exc:
            entry.error = str(exc)
        return entry

    def _fields(self, entry: Entry, pos: int, end: int) -> None:
        while (pos := self._skip_space(pos)) < end:
            name, pos = self._field_name(pos, end)
            value, pos = self._value(self._equals(pos, end, name), end, name)
            entry.fields.setdefault(name, value)  # the first value wins
            pos = self._skip_space(pos)
            if pos < end:
                if self.text[pos] != ",":
                    raise _EntryError(
                        f"expected ',' after field '{name}' at line {self.line_of(pos)}"
                    )
                pos += 1

    # -- tokens --------------------------------------------------------------------------

    def _skip_space(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def _field_name(self, pos: int, end: int) -> tuple[str, int]:
        match = _NAME.match(self.text, pos, end)
        if not match:
            raise _EntryError(f"expected a field name at line {self.line_of(pos)}")
        return match.group().lower(), match.end()

    def _equals(self, pos: int, end: int, name: str) -> int:
        pos = self._skip_space(pos)
        if pos >= end or self.text[pos] != "=":
            raise _EntryError(f"expected '=' after field '{name}' at line {self.line_of(pos)}")
        return pos + 1

    def _value(self, pos: int, end: int, name: str) -> tuple[str, int]:
        """A value: parts joined by ``#``; returns the raw concatenation and the next index."""
        parts: list[str] = []
        while True:
            pos = self._skip_space(pos)
            part, pos = self._part(pos, end, name)
            parts.append(part)
            after = self._skip_space(pos)
            if after < end and self.text[after] == "#":
                pos = after + 1
                continue
            return "".join(parts), pos

    def _part(self, pos: int, end: int, name: str) -> tuple[str, int]:
        text = self.text
        if pos >= end:
            raise _EntryError(f"field '{name}' has no value at line {self.line_of(pos)}")
        char = text[pos]
        if char == "{":
            close = self._group_end(pos, end)
            return text[pos + 1 : close], close + 1
        if char == '"':
            close = self._quote_end(pos, end, name)
            return text[pos + 1 : close], close + 1
        number = _NUMBER.match(text, pos, end)
        if number:
            return number.group(), number.end()
        macro = _NAME.match(text, pos, end)
        if macro:
            return self.macros.get(macro.group().lower(), ""), macro.end()
        raise _EntryError(f"field '{name}' has no value at line {self.line_of(pos)}")

    def _group_end(self, opening: int, end: int) -> int:
        depth = 0
        for match in _BRACE.finditer(self.text, opening, end):
            depth += 1 if match.group() == "{" else -1
            if depth == 0:
                return match.start()
        raise _EntryError(f"unbalanced braces in a value at line {self.line_of(opening)}")

    def _quote_end(self, opening: int, end: int, name: str) -> int:
        depth = 0
        for index in range(opening + 1, end):
            char = self.text[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth == 0:
                return index
        line = self.line_of(opening)
        raise _EntryError(f"unterminated quoted value of field '{name}' at line {line}")
